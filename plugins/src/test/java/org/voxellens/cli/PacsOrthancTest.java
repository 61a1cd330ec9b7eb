package org.voxellens.cli;

import org.voxellens.testing.Dciodvfy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code voxellens pacs} against a real Orthanc (DICOMweb plugin, authentication on) in a private network
 * namespace: studies built from real volumes are uploaded, {@code pacs run} explains them over DICOMweb and over
 * DIMSE, and QIDO-RS (independent of the client under test) shows exactly the expected result series per study,
 * referencing the source, each passing dciodvfy. Failure cases: wrong password, Orthanc killed mid-batch and
 * restarted, a series that cannot be decoded. No patient name, ID or birth date in any output or the journal.
 */
class PacsOrthancTest {

    @TempDir
    Path tmp;
    private OrthancFixture orthanc;

    @AfterEach
    void stop() {
        if (orthanc != null) orthanc.close();
    }

    private OrthancFixture orthanc() throws Exception {
        orthanc = OrthancFixture.create(tmp.resolve("orthanc"));
        return orthanc;
    }

    @Test
    void echoAndFindOverBothTransportsAndAWrongPasswordFailsAtOnce() throws Exception {
        OrthancFixture o = orthanc();
        PacsTestData.Series a = PacsTestData.colin(tmp, "20260315");
        PacsTestData.Series b = PacsTestData.demo(tmp, "demo", "20250102");
        o.upload(a.files());
        o.upload(b.files());
        for (String transport : List.of("dicomweb", "dimse")) {
            Path yaml = o.pacsYaml(tmp.resolve(transport + ".yaml"), transport, o.password, 2, 50);
            ExplainCommandTest.Run echo = ExplainCommandTest.cli("pacs", "echo", "--pacs", yaml.toString());
            assertEquals(0, echo.code(), transport + ": " + echo.err());
            assertTrue(echo.out().contains(transport.equals("dimse") ? "C-ECHO succeeded" : "HTTP 200"), echo.out());
            ExplainCommandTest.Run y2026 = ExplainCommandTest.cli("pacs", "find", "--pacs", yaml.toString(), "--query",
                "Modality=MR&StudyDate=20260101-20261231", "--series");
            assertEquals(0, y2026.code(), transport + ": " + y2026.err());
            assertTrue(y2026.out().contains(a.studyUid()) && !y2026.out().contains(b.studyUid()), transport + ": " + y2026.out());
            assertTrue(y2026.out().contains(a.seriesUid()) && y2026.out().contains("36"), transport + ": series listed " + y2026.out());
            ExplainCommandTest.Run mr = ExplainCommandTest.cli("pacs", "find", "--pacs", yaml.toString(), "--query", "Modality=MR");
            assertTrue(mr.out().startsWith("2 studies") && mr.out().contains(b.studyUid()), transport + ": " + mr.out());
            assertNoPatientData(echo, y2026, mr); // the descriptions hold the patient's name, ID and birth date
            // Only a user who asks sees the free text.
            ExplainCommandTest.Run shown = ExplainCommandTest.cli("pacs", "find", "--pacs", yaml.toString(), "--query",
                "Modality=MR&StudyDate=20260101-20261231", "--series", "--show-descriptions");
            assertEquals(0, shown.code(), transport + ": " + shown.err());
            assertTrue(shown.out().contains(PacsTestData.STUDY_DESCRIPTION) && shown.out().contains(PacsTestData.SERIES_DESCRIPTION),
                transport + ": descriptions on request: " + shown.out());
        }
        String wrong = "not-" + o.password;
        Path bad = o.pacsYaml(tmp.resolve("wrong.yaml"), "dicomweb", wrong, 5, 2000);
        long t0 = System.nanoTime();
        ExplainCommandTest.Run r = ExplainCommandTest.cli("pacs", "run", "--pacs", bad.toString(), "--query", "Modality=MR",
            "--model", ExplainCommandTest.CLASSIFIER.toString(), "--method", "saliency", "--journal", tmp.resolve("j.jsonl").toString(),
            "--out", tmp.resolve("maps").toString());
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("HTTP 401") && r.err().contains("Unauthorized") && r.err().contains("dicomweb.auth"), r.err());
        assertFalse((r.out() + r.err()).contains(wrong), "the password is never printed");
        // 5 retries with 2 s backoff would take a minute: a 401 is not retried (nothing repeated forever).
        assertTrue(seconds < 30, "no retries on 401: " + seconds + " s");
        assertEquals(1, o.qidoSeries(a.studyUid()).size(), "nothing stored");
    }

    @Test
    void runOverDicomWebStoresEachResultOnceAndARerunStoresNothingTwice() throws Exception {
        OrthancFixture o = orthanc();
        PacsTestData.Series a = PacsTestData.colin(tmp, "20260315");
        PacsTestData.Series b = PacsTestData.demo(tmp, "demo", "20260316");
        o.upload(a.files());
        o.upload(b.files());
        Path yaml = o.pacsYaml(tmp.resolve("pacs.yaml"), "dicomweb", o.password, 2, 100);
        Path journal = tmp.resolve("run.jsonl");
        Path deid = tmp.resolve("shared");
        ExplainCommandTest.Run r = run(yaml, "--query", "Modality=MR&StudyDate=20260101-20261231", journal,
            "--deidentify-out", deid.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        List<JsonObject> lines = journal(journal);
        assertEquals(2, lines.size(), "one journal line per study");
        for (JsonObject l : lines) assertEquals("done", l.get("status").getAsString(), l.toString());
        for (PacsTestData.Series s : List.of(a, b)) assertResults(o, s, 2, "dicomweb " + s.studyUid());
        Map<String, Integer> before = counts(o, a, b);

        // De-identified copies: no patient data, still valid objects.
        List<Path> copies;
        try (Stream<Path> w = Files.walk(deid)) {
            copies = w.filter(Files::isRegularFile).toList();
        }
        assertEquals((1 + 36) + (1 + 40), copies.size(), "copies: 1 PM + 36 SC for Colin27, 1 PM + 40 SC for the demo head");
        for (Path c : List.of(copies.get(0), copies.get(copies.size() - 1))) {
            AttributeList l = read(c);
            String all = l.toString();
            assertFalse(all.contains(PacsTestData.PATIENT_NAME) || all.contains(PacsTestData.PATIENT_ID)
                || all.contains(PacsTestData.BIRTH_DATE) || all.contains("Testperson"),
                "de-identified copy holds patient data (free text included): " + c);
            assertFalse(all.contains(a.studyUid()) || all.contains(b.studyUid()), "study UIDs replaced");
            assertEquals("YES", Attribute.getSingleStringValueOrEmptyString(l, TagFromName.PatientIdentityRemoved));
            assertEquals("REMOVED", Attribute.getSingleStringValueOrEmptyString(l, TagFromName.LongitudinalTemporalInformationModified));
            Set<String> codes = new HashSet<>();
            SequenceAttribute methods = (SequenceAttribute) l.get(TagFromName.DeidentificationMethodCodeSequence);
            for (int i = 0; i < methods.getNumberOfItems(); i++) {
                codes.add(Attribute.getSingleStringValueOrEmptyString(methods.getItem(i).getAttributeList(), TagFromName.CodeValue));
            }
            assertTrue(codes.contains("113100"), "basic profile declared: " + codes);
            assertFalse(codes.contains("113110") || codes.contains("113104") || codes.contains("113105"),
                "no Retain UIDs (they are hashed), no descriptor options (descriptions are removed): " + codes);
            assertEquals(List.of(), Dciodvfy.errors(c), c.toString());
        }

        // Re-run: the journal says done, nothing runs, nothing is stored.
        ExplainCommandTest.Run again = run(yaml, "--query", "Modality=MR&StudyDate=20260101-20261231", journal);
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("2 already done") && again.out().contains("0 studies done, 2 skipped"), again.out());
        assertEquals(2, journal(journal).size(), "skipped studies add no journal line");
        // Without the journal everything runs again, but the results already in the PACS are not stored twice.
        Path fresh = tmp.resolve("fresh.jsonl");
        ExplainCommandTest.Run noJournal = run(yaml, "--query", "Modality=MR&StudyDate=20260101-20261231", fresh);
        assertEquals(0, noJournal.code(), noJournal.err());
        for (JsonObject l : journal(fresh)) {
            for (var e : l.getAsJsonArray("results")) {
                assertEquals("already_present", e.getAsJsonObject().get("action").getAsString(), l.toString());
            }
        }
        assertEquals(before, counts(o, a, b), "no duplicate series or instances");
        assertNoPatientData(r, again, noJournal);
        assertNoPatientData(Files.readString(journal) + Files.readString(fresh));
        for (PacsTestData.Series s : List.of(a, b)) {
            Path maps = journal.resolveSibling("maps").resolve(s.studyUid());
            for (String f : List.of("report.html", "summary.json")) {
                assertTrue(Files.exists(maps.resolve(f)), maps.resolve(f).toString());
                assertNoPatientData(Files.readString(maps.resolve(f)));
            }
        }
    }

    /** --dicom-outputs: what is written is what is stored; the rest is neither written nor stored. */
    @Test
    void dicomOutputsChooseWhatIsStored() throws Exception {
        OrthancFixture o = orthanc();
        PacsTestData.Series b = PacsTestData.demo(tmp, "demo", "20260316");
        o.upload(b.files());
        Path yaml = o.pacsYaml(tmp.resolve("pacs.yaml"), "dicomweb", o.password, 1, 100);
        Path journal = tmp.resolve("run.jsonl");
        ExplainCommandTest.Run r = run(yaml, "--query", "Modality=MR", journal, "--dicom-outputs", "pm");
        assertEquals(0, r.code(), r.out() + r.err());
        assertResults(o, b, 1, "parametric map only");
        List<JsonObject> series = o.qidoSeries(b.studyUid());
        assertTrue(series.stream().noneMatch(x -> OrthancFixture.value(x, "00080060").equals("OT")), "no Secondary Capture: " + series);
        assertEquals(1, journal(journal).get(0).getAsJsonArray("results").size());
        ExplainCommandTest.Run bad = run(yaml, "--query", "Modality=MR", tmp.resolve("j2.jsonl"), "--dicom-outputs", "pm,overlay");
        assertNotEquals(0, bad.code(), bad.out() + bad.err());
        assertTrue(bad.err().contains("--dicom-outputs") && bad.err().contains("overlay"), bad.err());
    }

    @Test
    void runOverDimseWithASegmentationModelStoresMapOverlayAndSeg() throws Exception {
        OrthancFixture o = orthanc();
        PacsTestData.Series b = PacsTestData.demo(tmp, "demo", "20260316");
        o.upload(b.files());
        Path yaml = o.pacsYaml(tmp.resolve("pacs.yaml"), "dimse", o.password, 2, 100);
        Path uids = tmp.resolve("uids.txt");
        Files.writeString(uids, "# studies to explain\n" + b.studyUid() + "\n");
        Path journal = tmp.resolve("run.jsonl");
        List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord rec) {
                logged.add(rec.getLoggerName() + " " + rec.getMessage() + " " + java.util.Arrays.toString(rec.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger.getLogger("").addHandler(capture);
        ExplainCommandTest.Run r;
        try {
            r = ExplainCommandTest.cli("pacs", "run", "--pacs", yaml.toString(), "--studies", uids.toString(),
                "--model", ExplainCommandTest.SEGMENTER.toString(), "--method", "saliency,inputxgradient", "--journal", journal.toString(),
                "--out", tmp.resolve("maps").toString(), "--threads", "2");
        } finally {
            java.util.logging.Logger.getLogger("").removeHandler(capture);
        }
        assertNoPatientData(String.join("\n", logged)); // library logs (java.util.logging) too
        assertEquals(0, r.code(), r.out() + r.err());
        JsonObject line = journal(journal).get(0);
        assertEquals("done", line.get("status").getAsString());
        assertEquals("dimse", line.get("transport").getAsString());
        assertEquals(b.seriesUid(), line.get("input_series_uid").getAsString());
        assertResults(o, b, 5, "dimse"); // per method a PM and an SC, one SEG
        Set<String> numbers = new HashSet<>();
        for (JsonObject s : o.qidoSeries(b.studyUid())) numbers.add(OrthancFixture.value(s, "00200011"));
        assertEquals(6, numbers.size(), "every series of the study has its own Series Number: " + numbers);
        assertTrue(Files.exists(tmp.resolve("maps").resolve(b.studyUid()).resolve("saliency.nii.gz")), "maps kept under --out/<study>");
        assertNoPatientData(r);
        assertNoPatientData(Files.readString(journal));
    }

    @Test
    void orthancKilledMidBatchThenRestartedRerunCompletesEverythingWithoutDuplicates() throws Exception {
        OrthancFixture o = orthanc();
        PacsTestData.Series a = PacsTestData.colin(tmp, "20260315");
        PacsTestData.Series b = PacsTestData.demo(tmp, "demo", "20260316");
        o.upload(a.files());
        o.upload(b.files());
        Path yaml = o.pacsYaml(tmp.resolve("pacs.yaml"), "dicomweb", o.password, 1, 100);
        Path journal = tmp.resolve("run.jsonl");
        CompletableFuture<ExplainCommandTest.Run> first = CompletableFuture.supplyAsync(() ->
            run(yaml, "--query", "Modality=MR", journal));
        // Kill the PACS as soon as the first study is journaled, while the second is under way.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!first.isDone() && System.nanoTime() < deadline) {
            if (Files.exists(journal) && Files.size(journal) > 0) {
                o.kill();
                break;
            }
            Thread.sleep(10);
        }
        ExplainCommandTest.Run r1 = first.get(120, TimeUnit.SECONDS);
        assertNotEquals(0, r1.code(), "a study failed: " + r1.out());
        List<JsonObject> l1 = journal(journal);
        assertEquals(2, l1.size(), r1.out());
        assertEquals(Set.of("done", "failed"), Set.of(l1.get(0).get("status").getAsString(), l1.get(1).get("status").getAsString()));
        assertFalse(l1.get(1).get("reason").getAsString().isBlank());

        o.start(); // same storage: what was stored before the crash is still there
        ExplainCommandTest.Run r2 = run(yaml, "--query", "Modality=MR", journal);
        assertEquals(0, r2.code(), r2.out() + r2.err());
        assertTrue(r2.out().contains("1 studies done, 1 skipped"), r2.out());
        for (PacsTestData.Series s : List.of(a, b)) assertResults(o, s, 2, "after restart");
        assertNoPatientData(r1, r2);
    }

    /**
     * Ctrl-C (here SIGTERM, which runs the same shutdown hook) in the middle of a batch, in a separate JVM as a user
     * would: every journal line is complete, no study is marked failed because of the interruption, and the re-run
     * finishes the rest without duplicates.
     */
    @Test
    void interruptingARunLeavesAConsistentJournalAndTheRerunFinishes() throws Exception {
        OrthancFixture o = orthanc();
        List<PacsTestData.Series> studies = List.of(PacsTestData.colin(tmp, "20260315"), PacsTestData.demo(tmp, "demo", "20260316"));
        for (PacsTestData.Series s : studies) o.upload(s.files());
        Path yaml = o.pacsYaml(tmp.resolve("pacs.yaml"), "dicomweb", o.password, 1, 100);
        Path journal = tmp.resolve("run.jsonl");
        Path jvmTmp = Files.createDirectories(tmp.resolve("jvm-tmp")); // the run's java.io.tmpdir, to see what it leaves
        Process p = pacsRunJvm(yaml, journal, jvmTmp, tmp.resolve("run.log"));
        // A second run on the same journal, in this JVM, while the first holds it: refused, naming the holder.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && System.nanoTime() < deadline && !Files.exists(RunJournal.ownerFile(journal))) Thread.sleep(10);
        ExplainCommandTest.Run second = run(yaml, "--query", "Modality=MR", journal);
        assertNotEquals(0, second.code(), second.out() + second.err());
        assertTrue(second.err().contains("in use by another pacs run") && second.err().contains("pid " + p.pid()),
            "refused, naming the first run's process: " + second.err());
        assertFalse(second.out().contains("Studies "), "the second run processes nothing: " + second.out());
        while (p.isAlive() && System.nanoTime() < deadline && !(Files.exists(journal) && Files.size(journal) > 0)) Thread.sleep(10);
        Thread.sleep(1500); // the next study is under way
        p.destroy(); // SIGTERM: the shutdown hook cancels, the run stops at the next step
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the run stops");
        assertEquals(List.of(), ourTempFiles(jvmTmp), "the run's temporary folder is removed on Ctrl-C");
        String log = Files.readString(tmp.resolve("run.log"));
        List<JsonObject> lines = journal(journal); // every line parses
        assertTrue(Files.readString(journal).endsWith("\n"), "no half line");
        assertFalse(lines.isEmpty(), log);
        for (JsonObject l : lines) assertEquals("done", l.get("status").getAsString(), "an interruption is not a failure: " + l);
        assertTrue(lines.size() < 2 || log.contains("0 failed"), "stopped mid-batch (or had already finished): " + log);
        if (lines.size() < 2) assertTrue(log.contains("cancelled; the studies finished before are stored"), log);

        ExplainCommandTest.Run again = run(yaml, "--query", "Modality=MR", journal);
        assertEquals(0, again.code(), again.out() + again.err());
        assertTrue(again.out().contains(lines.size() + " already done"), again.out());
        assertEquals(2, journal(journal).size(), "one line per study over both runs");
        for (PacsTestData.Series s : studies) {
            assertEquals(3, o.qidoSeries(s.studyUid()).size(), "source + 2 results, no duplicates (validity: other tests)");
        }
        assertNoPatientData(log + again.out() + again.err());
    }

    /**
     * SIGKILL (no code of the run can react) while a study's series is on disk: the identified files stay behind,
     * and the next run removes them before it starts, then finishes the batch without duplicates.
     */
    @Test
    void aKilledRunsTemporaryFilesAreRemovedByTheNextRun() throws Exception {
        OrthancFixture o = orthanc();
        List<PacsTestData.Series> studies = List.of(PacsTestData.colin(tmp, "20260315"), PacsTestData.demo(tmp, "demo", "20260316"));
        for (PacsTestData.Series s : studies) o.upload(s.files());
        Path yaml = o.pacsYaml(tmp.resolve("pacs.yaml"), "dicomweb", o.password, 1, 100);
        Path journal = tmp.resolve("run.jsonl");
        Path jvmTmp = Files.createDirectories(tmp.resolve("jvm-tmp"));
        Process p = pacsRunJvm(yaml, journal, jvmTmp, tmp.resolve("run.log"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && System.nanoTime() < deadline && ourTempFiles(jvmTmp).stream().noneMatch(f -> f.contains("/in/"))) {
            Thread.sleep(5);
        }
        p.destroyForcibly(); // SIGKILL
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        List<String> left = ourTempFiles(jvmTmp);
        assertTrue(left.stream().anyMatch(f -> f.contains("/in/")), "the killed run left retrieved files (test setup): " + left
            + "\n" + Files.readString(tmp.resolve("run.log")));

        Process again = pacsRunJvm(yaml, journal, jvmTmp, tmp.resolve("again.log"));
        assertTrue(again.waitFor(180, TimeUnit.SECONDS), "the re-run finishes");
        String log = Files.readString(tmp.resolve("again.log"));
        assertEquals(0, again.exitValue(), log);
        assertEquals(List.of(), ourTempFiles(jvmTmp), "nothing of either run is left in the temporary folder");
        Map<String, String> last = new HashMap<>();
        for (JsonObject l : journal(journal)) last.put(l.get("study_instance_uid").getAsString(), l.get("status").getAsString());
        assertEquals(Map.of(studies.get(0).studyUid(), "done", studies.get(1).studyUid(), "done"), last);
        for (PacsTestData.Series s : studies) assertEquals(3, o.qidoSeries(s.studyUid()).size(), "source + 2 results, no duplicates");
        assertNoPatientData(log + Files.readString(tmp.resolve("run.log")));
    }

    @Test
    void aSeriesThatCannotBeDecodedIsJournaledAsFailedAndTheBatchGoesOn() throws Exception {
        OrthancFixture o = orthanc();
        PacsTestData.Series a = PacsTestData.colin(tmp, "20260315");
        PacsTestData.Series bad = PacsTestData.demo(tmp, "broken", "20260317");
        PacsTestData.truncatePixelData(bad.files().get(bad.files().size() / 2));
        o.upload(bad.files());
        o.upload(a.files());
        Path yaml = o.pacsYaml(tmp.resolve("pacs.yaml"), "dicomweb", o.password, 1, 100);
        Path journal = tmp.resolve("run.jsonl");
        ExplainCommandTest.Run r = run(yaml, "--query", "Modality=MR", journal, "--concurrency", "2"); // both in flight
        assertEquals(1, r.code(), r.out() + r.err());
        Map<String, JsonObject> byStudy = new HashMap<>();
        for (JsonObject l : journal(journal)) byStudy.put(l.get("study_instance_uid").getAsString(), l);
        assertEquals("done", byStudy.get(a.studyUid()).get("status").getAsString());
        JsonObject failed = byStudy.get(bad.studyUid());
        assertEquals("failed", failed.get("status").getAsString());
        String reason = failed.get("reason").getAsString();
        assertTrue(reason.toLowerCase().contains("pixel"), "reason names the problem: " + reason);
        String cut = Attribute.getSingleStringValueOrEmptyString(read(bad.files().get(bad.files().size() / 2)), TagFromName.SOPInstanceUID);
        assertTrue(reason.contains("instance " + cut), "the instance is named by its SOP Instance UID: " + reason);
        assertFalse(reason.contains("/in/") || reason.contains(System.getProperty("java.io.tmpdir")), "no temp paths: " + reason);
        assertResults(o, a, 2, "good study");
        assertEquals(1, o.qidoSeries(bad.studyUid()).size(), "nothing stored for the broken study");
        assertNoPatientData(r);
        assertNoPatientData(Files.readString(journal));
    }

    /**
     * A PACS whose answer stops after 60 KB and stays silent with the connection open (a TCP proxy in front of the
     * real Orthanc), over both transports: the study fails after two attempts of the stall limit each, the journal
     * says why, the run ends (it used to hang forever), and no retrieved file is left in the temporary folder.
     */
    @Test
    void aTransferThatStallsMidwayFailsTheStudyAfterTheStallLimitOverBothTransports() throws Exception {
        OrthancFixture o = orthanc();
        PacsTestData.Series a = PacsTestData.colin(tmp, "20260315");
        o.upload(a.files());
        for (String transport : List.of("dicomweb", "dimse")) {
            boolean web = transport.equals("dicomweb");
            try (StallingProxy proxy = new StallingProxy(o.peerIp, web ? OrthancFixture.HTTP : OrthancFixture.DICOM, 60_000)) {
                Path yaml = o.pacsYaml(tmp.resolve(transport + ".yaml"), transport, o.password, 1, 100);
                String text = Files.readString(yaml)
                    .replace(o.dicomWebUrl(), "http://127.0.0.1:" + proxy.port() + "/dicom-web")
                    .replace("read_timeout_s: 60", "read_timeout_s: 60\n  stall_timeout_s: 2")
                    .replace("host: " + o.peerIp + ", port: " + OrthancFixture.DICOM,
                        "host: 127.0.0.1, port: " + proxy.port() + ", stall_timeout_s: 2");
                Files.writeString(yaml, text);
                Path journal = tmp.resolve(transport + ".jsonl");
                Set<String> before = ourTempEntries();
                long t0 = System.nanoTime();
                ExplainCommandTest.Run r = run(yaml, "--query", "Modality=MR", journal);
                double took = (System.nanoTime() - t0) / 1e9;
                assertEquals(1, r.code(), transport + ": " + r.out() + r.err());
                assertEquals(2, proxy.stalled.get(), transport + ": the first attempt and one retry stalled");
                List<JsonObject> lines = journal(journal);
                assertEquals(1, lines.size(), r.out());
                assertEquals("failed", lines.get(0).get("status").getAsString());
                String reason = lines.get(0).get("reason").getAsString();
                assertTrue(reason.contains("no data for 2 s (" + transport + ".stall_timeout_s)")
                    && reason.contains("gave up after 2 attempts"), transport + ": " + reason);
                // two stalls of 2 s, the watchdog's quarter second, the query and the model: far from "forever"
                assertTrue(took < 60, transport + ": took " + took + " s");
                assertEquals(before, ourTempEntries(), transport + ": the run's temporary folder is gone");
                assertEquals(1, o.qidoSeries(a.studyUid()).size(), "nothing stored");
                assertNoPatientData(r);
            }
        }
    }

    private static Set<String> ourTempEntries() throws IOException {
        return new HashSet<>(ourTempFiles(Path.of(System.getProperty("java.io.tmpdir"))));
    }

    // ------------------------------------------------------------------ helpers

    /** {@code pacs run} in its own JVM, as a user starts it, with {@code jvmTmp} as its java.io.tmpdir. */
    private Process pacsRunJvm(Path yaml, Path journal, Path jvmTmp, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Dai.djl.offline=true", "-Djava.awt.headless=true", "-Djava.io.tmpdir=" + jvmTmp, "-cp",
            System.getProperty("java.class.path"), "org.voxellens.cli.Main", "pacs", "run", "--pacs", yaml.toString(),
            "--query", "Modality=MR", "--model", ExplainCommandTest.CLASSIFIER.toString(), "--method", "smoothgrad",
            "--samples", "16", "--journal", journal.toString(), "--out", tmp.resolve("maps").toString(), "--threads", "2"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        return pb.start();
    }

    /** Every file and folder VoxelLens put under a temporary folder, as paths relative to it. */
    private static List<String> ourTempFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(f -> !f.equals(dir)).map(f -> dir.relativize(f).toString())
                .filter(f -> f.startsWith("voxellens")).sorted().toList();
        }
    }

    private static ExplainCommandTest.Run run(Path yaml, String selector, String value, Path journal, String... more) {
        List<String> args = new ArrayList<>(List.of("pacs", "run", "--pacs", yaml.toString(), selector, value,
            "--model", ExplainCommandTest.CLASSIFIER.toString(), "--method", "saliency", "--journal", journal.toString(),
            "--out", journal.resolveSibling("maps").toString(), "--threads", "2"));
        args.addAll(List.of(more));
        return ExplainCommandTest.cli(args.toArray(String[]::new));
    }

    /**
     * The study holds its source series and exactly {@code results} VoxelLens series, each in the source study,
     * referencing the source series or its images, and passing dciodvfy (first and last instance of each).
     */
    private void assertResults(OrthancFixture o, PacsTestData.Series src, int results, String what) throws Exception {
        List<JsonObject> series = o.qidoSeries(src.studyUid());
        List<JsonObject> ours = series.stream().filter(s -> !OrthancFixture.value(s, "0020000E").equals(src.seriesUid())).toList();
        assertEquals(1 + results, series.size(), what + ": source + " + results + " result series, got " + series);
        assertEquals(results, ours.size(), what);
        Set<String> sourceUids = new HashSet<>();
        sourceUids.add(src.seriesUid());
        for (Path f : src.files()) sourceUids.add(Attribute.getSingleStringValueOrEmptyString(read(f), TagFromName.SOPInstanceUID));
        for (JsonObject s : ours) {
            String uid = OrthancFixture.value(s, "0020000E");
            List<Path> files = o.downloadSeries(uid, tmp.resolve("check").resolve(uid));
            assertEquals(Integer.parseInt(OrthancFixture.value(s, "00201209")), files.size());
            for (Path f : List.of(files.get(0), files.get(files.size() - 1))) {
                AttributeList l = read(f);
                assertEquals(src.studyUid(), Attribute.getSingleStringValueOrEmptyString(l, TagFromName.StudyInstanceUID));
                Set<String> refs = new HashSet<>();
                collectUids(l, refs, false);
                refs.retainAll(sourceUids);
                assertFalse(refs.isEmpty(), what + ": " + uid + " references the source");
                assertEquals(List.of(), Dciodvfy.errors(f), what + ": " + uid);
            }
        }
    }

    private static Map<String, Integer> counts(OrthancFixture o, PacsTestData.Series... studies) throws Exception {
        Map<String, Integer> m = new HashMap<>();
        for (PacsTestData.Series s : studies) {
            for (JsonObject x : o.qidoSeries(s.studyUid())) {
                m.put(OrthancFixture.value(x, "0020000E"), Integer.parseInt(OrthancFixture.value(x, "00201209")));
            }
        }
        return m;
    }

    /** UIDs inside sequences (references), not the object's own top-level UIDs. */
    private static void collectUids(AttributeList l, Set<String> out, boolean nested) {
        for (Attribute a : l.values()) {
            if (a instanceof SequenceAttribute s) {
                for (int i = 0; i < s.getNumberOfItems(); i++) collectUids(s.getItem(i).getAttributeList(), out, true);
            } else if (nested && a instanceof UniqueIdentifierAttribute) {
                String[] v = safe(a);
                for (String x : v) out.add(x.strip());
            }
        }
    }

    private static String[] safe(Attribute a) {
        try {
            String[] v = a.getStringValues();
            return v == null ? new String[0] : v;
        } catch (com.pixelmed.dicom.DicomException e) {
            return new String[0];
        }
    }

    private static List<JsonObject> journal(Path file) throws IOException {
        List<JsonObject> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) out.add(JsonParser.parseString(line).getAsJsonObject());
        }
        return out;
    }

    private static void assertNoPatientData(ExplainCommandTest.Run... runs) {
        StringBuilder b = new StringBuilder();
        for (ExplainCommandTest.Run r : runs) b.append(r.out()).append(r.err());
        assertNoPatientData(b.toString());
    }

    private static void assertNoPatientData(String text) {
        assertFalse(text.contains(PacsTestData.PATIENT_NAME) || text.contains("Testperson"), "patient name in output");
        assertFalse(text.contains(PacsTestData.PATIENT_ID), "patient ID in output");
        assertFalse(text.contains(PacsTestData.BIRTH_DATE), "birth date in output");
    }

    private static AttributeList read(Path f) throws Exception {
        AttributeList l = new AttributeList();
        l.read(f.toFile());
        return l;
    }
}
