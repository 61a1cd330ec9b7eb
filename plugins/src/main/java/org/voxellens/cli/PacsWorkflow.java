package org.voxellens.cli;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.TagFromName;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.voxellens.io.dicom.out.DeidentifiedCopy;
import org.voxellens.io.pacs.Pacs;
import org.voxellens.io.pacs.PacsException;
import org.voxellens.io.pacs.SeriesRef;
import org.voxellens.volumetric.AtomicFiles;
import org.voxellens.xai.attribution.Progress;

/**
 * {@code pacs run}: for each study, pick the input series, retrieve it, explain it with the ordinary
 * {@link ExplainJob} (maps and report under {@code --out/<study UID>/}, DICOM results in a temporary folder),
 * store the DICOM results back into the same study unless the PACS already holds them, and journal the study.
 * Studies the journal marks done are skipped; failed ones run again. Result UIDs are deterministic (model, input
 * series, seed), so a re-run produces the same series, and the check before storing keeps a second copy out.
 * A failing study is journaled with its reason and the batch goes on, except on an authentication failure, which
 * no later study could get past.
 */
final class PacsWorkflow {

    /** What to run on every study: the explain request's settings (input, out and dicomOut are set per study). */
    record Settings(ExplainJob.Request explain, Path deidentifyOut, int concurrency, String transport) {}

    /** How the batch went. */
    record Outcome(int done, int skipped, int failed, boolean aborted) {}

    private static final Set<String> IMAGE_MODALITIES = Set.of("MR", "CT", "PT");

    private final Pacs pacs;
    private final RunJournal journal;
    private final Settings settings;
    private final PrintWriter log;
    private final ConsoleProgress progress;
    private final AtomicBoolean abort = new AtomicBoolean();

    PacsWorkflow(Pacs pacs, RunJournal journal, Settings settings, PrintWriter log, ConsoleProgress progress) {
        this.pacs = pacs;
        this.journal = journal;
        this.settings = settings;
        this.log = log;
        this.progress = progress;
    }

    /** Runs the studies; per-study folders go under {@code work}, the run's private temporary folder. */
    Outcome run(List<String> studies, Path work) throws IOException {
        List<String> todo = new ArrayList<>();
        int skipped = 0;
        for (String s : studies) {
            if (RunJournal.DONE.equals(journal.status(s))) skipped++;
            else if (!todo.contains(s)) todo.add(s);
        }
        say(String.format(Locale.ROOT, "Studies %d: %d to run, %d already done (journal %s)", studies.size(), todo.size(),
            skipped, journal.file()));
        AtomicInteger finished = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(settings.concurrency(), Math.max(1, todo.size()))));
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < todo.size(); i++) {
                String study = todo.get(i);
                String tag = "[" + (i + 1) + "/" + todo.size() + "]";
                futures.add(pool.submit(() -> {
                    if (progress.isCancelled() || abort.get()) return null;
                    boolean ok = processStudy(study, tag, work);
                    (ok ? done : failed).incrementAndGet();
                    progress.update("studies", finished.incrementAndGet(), todo.size());
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    awaitOrCancel(f, pool);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof CancellationException c) throw c;
                    if (e.getCause() instanceof IOException io) throw io; // the journal itself failed
                    throw new IOException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CancellationException("interrupted");
                }
            }
        } finally {
            pool.shutdownNow();
            try {
                // the studies' folders are removed by their own workers; wait so none is still writing into them
                pool.awaitTermination(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (progress.isCancelled()) throw new CancellationException("cancelled");
        return new Outcome(done.get(), skipped, failed.get(), abort.get());
    }

    /**
     * Waits for one study; on Ctrl-C interrupts the workers at once, so that a transfer in progress stops instead of
     * running to its end (the studies in flight then get no journal line and run again next time).
     */
    private void awaitOrCancel(Future<?> f, ExecutorService pool) throws ExecutionException, InterruptedException {
        while (true) {
            try {
                f.get(200, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                if (progress.isCancelled()) {
                    pool.shutdownNow();
                    throw new CancellationException("cancelled");
                }
            }
        }
    }

    /** One study from search to journal line; false when it failed (journaled). */
    private boolean processStudy(String study, String tag, Path work) throws IOException {
        long t0 = System.nanoTime();
        Map<String, Double> timings = new LinkedHashMap<>();
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("study_instance_uid", study);
        entry.put("transport", settings.transport());
        entry.put("model", settings.explain().model().getFileName().toString());
        entry.put("methods", settings.explain().methods());
        StringWriter buffer = new StringWriter();
        PrintWriter studyLog = new PrintWriter(buffer, true);
        Path dir = null;
        try {
            dir = Files.createTempDirectory(work, "study-");
            long t = System.nanoTime();
            List<SeriesRef> series = pacs.findSeries(study);
            SeriesRef input = pickInput(study, series);
            entry.put("input_series_uid", input.seriesInstanceUid());
            Path in = dir.resolve("in");
            int n = pacs.retrieveSeries(study, input.seriesInstanceUid(), in);
            timings.put("retrieve", seconds(t));
            studyLog.printf(Locale.ROOT, "Series %s: %d instances retrieved%n", input.seriesInstanceUid(), n);

            t = System.nanoTime();
            Path dicom = dir.resolve("dicom");
            ExplainJob.Request base = settings.explain();
            ExplainJob.Request r = new ExplainJob.Request(in, null, base.model(), base.methods(), base.target(), null,
                base.out().resolve(study), base.device(), base.seed(), base.methodOptions(), base.colorMap(),
                base.opacity(), base.threshold(), null, base.metricOptions(), null, dicom, base.tiling(), List.of(),
                base.dicomOutputs());
            new ExplainJob(studyLog, cancelOnly()).run(r);
            timings.put("explain", seconds(t));

            t = System.nanoTime();
            Map<String, List<Path>> results = resultSeries(dicom);
            Map<String, Integer> present = new TreeMap<>();
            for (SeriesRef s : pacs.findSeries(study)) present.put(s.seriesInstanceUid(), s.instances());
            List<Map<String, Object>> written = new ArrayList<>();
            for (Map.Entry<String, List<Path>> e : results.entrySet()) {
                int have = present.getOrDefault(e.getKey(), 0);
                boolean already = have >= e.getValue().size();
                if (!already) pacs.store(study, e.getValue());
                Map<String, Object> w = new LinkedHashMap<>();
                w.put("series_instance_uid", e.getKey());
                w.put("instances", e.getValue().size());
                w.put("action", already ? "already_present" : "stored");
                written.add(w);
                studyLog.printf(Locale.ROOT, "Result %s: %d instances %s%n", e.getKey(), e.getValue().size(),
                    already ? "already in the PACS, not stored again" : "stored");
            }
            timings.put("store", seconds(t));
            if (settings.deidentifyOut() != null) {
                List<Path> all = results.values().stream().flatMap(List::stream).toList();
                Path to = DeidentifiedCopy.write(all, settings.deidentifyOut());
                studyLog.println("Export de-identified copies in " + to);
            }
            entry.put("status", RunJournal.DONE);
            entry.put("results", written);
            return true;
        } catch (CancellationException e) {
            throw e; // not journaled: the study runs again next time
        } catch (Exception e) {
            // Ctrl-C interrupts a transfer, which then fails: that is no failure of the study
            if (progress.isCancelled()) throw new CancellationException("cancelled");
            if (e instanceof PacsException p && p.authentication()) abort.set(true);
            String reason = FailureReasons.withoutTempPaths(Main.message(e), dir);
            entry.put("status", RunJournal.FAILED);
            entry.put("reason", reason);
            studyLog.println("Failed " + reason);
            return false;
        } finally {
            timings.put("total", seconds(t0));
            if (entry.containsKey("status")) {
                entry.put("timings_s", timings);
                entry.put("finished", Instant.now().toString());
                journal.append(entry);
            }
            if (dir != null) AtomicFiles.deleteTree(dir);
            String head = tag + " study " + study + ": ";
            String status = entry.containsKey("status") ? String.valueOf(entry.get("status")) : "cancelled";
            StringBuilder b = new StringBuilder(head + status + String.format(Locale.ROOT, " (%.1f s)", seconds(t0)));
            for (String line : buffer.toString().split("\\R")) if (!line.isBlank()) b.append("\n    ").append(line);
            say(b.toString());
        }
    }

    /** SOP classes of what VoxelLens (or another tool) derives: never an input, even when their modality is MR/CT. */
    private static final Set<String> DERIVED_CLASSES = Set.of(
        SOPClass.ParametricMapStorage, SOPClass.SegmentationStorage, SOPClass.SecondaryCaptureImageStorage,
        SOPClass.MultiframeGrayscaleByteSecondaryCaptureImageStorage, SOPClass.MultiframeGrayscaleWordSecondaryCaptureImageStorage,
        SOPClass.MultiframeTrueColorSecondaryCaptureImageStorage, SOPClass.MultiframeSingleBitSecondaryCaptureImageStorage);

    /**
     * The series to explain: the image series (MR, CT, PET) with the most instances, never a result object that a
     * previous run stored into the same study (a Parametric Map has the source's modality, so the SOP class of a
     * candidate's first instance decides). The reader then checks that it really is a 3D volume.
     */
    private SeriesRef pickInput(String study, List<SeriesRef> series) throws IOException {
        List<SeriesRef> candidates = series.stream()
            .filter(s -> IMAGE_MODALITIES.contains(s.modality().toUpperCase(Locale.ROOT)))
            .sorted(Comparator.comparingInt(SeriesRef::instances).reversed()).toList();
        for (SeriesRef s : candidates) {
            if (!DERIVED_CLASSES.contains(pacs.sopClassUid(study, s.seriesInstanceUid()))) return s;
        }
        throw new IOException("study " + study + ": no MR, CT or PET image series to explain (" + series.size()
            + " series; derived objects such as Parametric Maps, SEG and Secondary Capture are skipped)");
    }

    /** The result files grouped by Series Instance UID (read from their headers). */
    private static Map<String, List<Path>> resultSeries(Path dicom) throws IOException {
        Map<String, List<Path>> out = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(dicom)) {
            files = s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().endsWith(".dcm")).sorted().toList();
        }
        for (Path f : files) {
            AttributeList l = new AttributeList();
            try {
                l.read(f.toString(), TagFromName.PixelData);
            } catch (com.pixelmed.dicom.DicomException e) {
                throw new IOException(f + ": cannot read the result back (" + e.getMessage() + ")", e);
            }
            out.computeIfAbsent(Attribute.getSingleStringValueOrEmptyString(l, TagFromName.SeriesInstanceUID),
                k -> new ArrayList<>()).add(f);
        }
        if (out.isEmpty()) throw new IOException(dicom + ": the explanation wrote no DICOM results");
        return out;
    }

    /** The explain job's own progress stays quiet (the batch has its line); only Ctrl-C passes through. */
    private Progress cancelOnly() {
        return new Progress() {
            @Override
            public boolean isCancelled() { return progress.isCancelled(); }

            @Override
            public void update(String stage, int done, int total) {
            }
        };
    }

    private synchronized void say(String text) {
        progress.endLine();
        log.println(text);
        log.flush();
    }

    private static double seconds(long t0) {
        return Math.round((System.nanoTime() - t0) / 1e7) / 100.0;
    }
}
