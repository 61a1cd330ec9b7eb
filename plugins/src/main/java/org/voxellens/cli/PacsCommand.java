package org.voxellens.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.voxellens.io.pacs.Pacs;
import org.voxellens.io.pacs.PacsConfig;
import org.voxellens.io.pacs.PacsQuery;
import org.voxellens.io.pacs.SeriesRef;
import org.voxellens.io.pacs.StudyRef;
import org.voxellens.volumetric.RunTempDir;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.target.TargetSpec;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code voxellens pacs echo|find|run}: the research workflow against a PACS (DICOMweb or DIMSE, see pacs.yaml). */
@Command(name = "pacs", mixinStandardHelpOptions = true,
    description = "Search a PACS, explain its series and store the results back (DICOMweb or DIMSE, set in pacs.yaml).",
    subcommands = {PacsCommand.Echo.class, PacsCommand.Find.class, PacsCommand.Run.class})
final class PacsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The PACS options every subcommand has. */
    static final class Connection {
        @Option(names = "--pacs", required = true, description = "PACS configuration (YAML; secrets from files or environment variables).")
        Path config;
        @Option(names = "--transport", description = "dicomweb or dimse (default: the configuration's transport).")
        String transport;

        PacsConfig load() throws IOException {
            PacsConfig c = PacsConfig.load(config);
            if (transport == null) return c;
            return switch (transport.toLowerCase(Locale.ROOT)) {
                case "dicomweb" -> c.withTransport(PacsConfig.Transport.DICOMWEB);
                case "dimse" -> c.withTransport(PacsConfig.Transport.DIMSE);
                default -> throw new IllegalArgumentException("--transport must be dicomweb or dimse, got " + transport);
            };
        }
    }

    @Command(name = "echo", mixinStandardHelpOptions = true, description = "Check that the PACS answers (C-ECHO or an authenticated QIDO-RS request).")
    static final class Echo implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        Connection connection;

        @Override
        public Integer call() throws IOException {
            try (Pacs pacs = Pacs.open(connection.load())) {
                spec.commandLine().getOut().println(pacs.echo());
            }
            return 0;
        }
    }

    @Command(name = "find", mixinStandardHelpOptions = true, description = "List matching studies (UIDs, dates, modalities; no patient data), with --series their series.")
    static final class Find implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        Connection connection;
        @Option(names = "--query", description = "e.g. \"Modality=MR&StudyDate=20260101-20261231\" (study-level keys only).")
        String query;
        @Option(names = "--series", description = "Also list each study's series.")
        boolean series;
        @Option(names = "--show-descriptions", description = "Also print Study and Series Descriptions (free text: "
            + "it may hold patient names or dates, so it is left out by default).")
        boolean showDescriptions;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            try (Pacs pacs = Pacs.open(connection.load())) {
                List<StudyRef> studies = pacs.findStudies(PacsQuery.parse(query));
                out.println(studies.size() + " stud" + (studies.size() == 1 ? "y" : "ies"));
                for (StudyRef s : studies) {
                    out.printf(Locale.ROOT, "%s  %-8s  %-8s  %3s series%s%n", s.studyInstanceUid(),
                        s.studyDate().isEmpty() ? "-" : s.studyDate(), String.join("\\", s.modalities()),
                        s.seriesCount() < 0 ? "?" : Integer.toString(s.seriesCount()),
                        showDescriptions && !s.description().isEmpty() ? "  \"" + s.description() + '"' : "");
                    if (series) {
                        for (SeriesRef r : pacs.findSeries(s.studyInstanceUid())) out.println("    " + r.describe(showDescriptions));
                    }
                }
            }
            return 0;
        }
    }

    /** Which studies: a search, or a file of Study Instance UIDs. */
    static final class Selection {
        @Option(names = "--query", required = true, description = "Studies matching this search, e.g. \"Modality=MR&StudyDate=20260101-20261231\".")
        String query;
        @Option(names = "--studies", required = true, description = "A file with one Study Instance UID per line (# comments allowed).")
        Path studies;
    }

    @Command(name = "run", mixinStandardHelpOptions = true, modelTransformer = Run.ExplainOnlyOptions.class,
        description = "Explain every matching study's main image series and store the results (Parametric Map, Secondary Capture, SEG) back into the study; one journal line per study.")
    static final class Run implements Callable<Integer> {

        /** The shared explain options minus those that make no sense here (results go to the PACS; no ground truth). */
        static final class ExplainOnlyOptions implements CommandLine.IModelTransformer {
            @Override
            public CommandLine.Model.CommandSpec transform(CommandLine.Model.CommandSpec spec) {
                for (String name : List.of("--dicom-out", "--metrics", "--mask", "--metric-perturbations", "--metric-samples", "--metric-tiles")) {
                    CommandLine.Model.OptionSpec o = spec.findOption(name);
                    if (o != null) spec.remove(o);
                }
                return spec;
            }
        }

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        Connection connection;
        @ArgGroup(exclusive = true, multiplicity = "1")
        Selection selection;
        @Option(names = "--model", required = true, description = "Model package folder (TorchScript + rdf.yaml).")
        Path model;
        @Option(names = "--method", description = "Comma-separated methods, as for explain (default: ${DEFAULT-VALUE}).", defaultValue = "gradcam,smoothgrad")
        String methods;
        @Option(names = "--target", description = "Class to explain (default: the model's default target, else the predicted class).")
        String target;
        @Option(names = "--journal", required = true, description = "Journal (JSON lines): studies it marks done are skipped, failed ones retried.")
        Path journal;
        @Option(names = "--concurrency", description = "Studies in flight (default: pacs.yaml's concurrency, else 1).")
        Integer concurrency;
        @Option(names = "--deidentify-out", description = "Also write de-identified copies of the results here (for research sharing; see README).")
        Path deidentifyOut;
        @Mixin
        Main.Common common;

        @Override
        public Integer call() throws IOException {
            common.applyThreads();
            PacsConfig config = connection.load();
            int n = concurrency != null ? concurrency : config.concurrency();
            if (n < 1) throw new IllegalArgumentException("--concurrency must be >= 1");
            ExplainJob.Request explain = new ExplainJob.Request(null, null, model, methods, new TargetSpec(target, null), null,
                common.out, DeviceSpec.parse(common.device), common.seed, common.methodOptions(), common.lut, common.opacity,
                common.threshold, null, common.metricOptions(), null, null, null, List.of(),
                DicomOutputs.parse(common.dicomOutputs));
            PrintWriter out = spec.commandLine().getOut();
            ConsoleProgress progress = new ConsoleProgress(spec.commandLine().getErr(), System.console() != null);
            CountDownLatch finished = new CountDownLatch(1);
            // Retrieved series are identified patient data: a private folder per run, removed on every exit path;
            // what a killed run (SIGKILL, power cut) left is removed here, by the next run.
            RunTempDir.sweep("pacs");
            RunTempDir work = RunTempDir.create("pacs");
            Thread hook = new Thread(() -> {
                progress.cancel();
                try {
                    finished.await(30, TimeUnit.SECONDS); // the studies in flight stop; the journal stays consistent
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
                try {
                    work.close(); // also when a transfer did not stop in time: the JVM is going away
                } catch (IOException ignored) {
                    // the next run's sweep removes it
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            try (work; Pacs pacs = Pacs.open(config); RunJournal j = RunJournal.open(journal)) {
                out.println("PACS   " + config);
                out.println("Check  " + pacs.echo()); // a wrong password stops here, before any study
                List<String> uids = selection.studies != null ? readUids(selection.studies)
                    : pacs.findStudies(PacsQuery.parse(selection.query)).stream().map(StudyRef::studyInstanceUid).toList();
                PacsWorkflow.Outcome o;
                try {
                    o = new PacsWorkflow(pacs, j, new PacsWorkflow.Settings(explain, deidentifyOut, n,
                        config.transport().name().toLowerCase(Locale.ROOT)), out, progress).run(uids, work.path());
                } catch (java.util.concurrent.CancellationException e) {
                    spec.commandLine().getErr().println("voxellens: cancelled; the studies finished before are stored and "
                        + "journaled in " + journal + ", the ones in flight are not: a re-run continues");
                    return 130;
                }
                out.printf(Locale.ROOT, "Done   %d studies done, %d skipped (done before), %d failed%s; journal %s%n",
                    o.done(), o.skipped(), o.failed(), o.aborted() ? " (stopped: authentication failed)" : "", journal);
                return o.failed() > 0 || o.aborted() ? 1 : 0;
            } finally {
                progress.endLine();
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: Ctrl-C
                }
            }
        }

        private static List<String> readUids(Path file) throws IOException {
            List<String> out = new ArrayList<>();
            int n = 0;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                n++;
                String s = line.strip();
                if (s.isEmpty() || s.startsWith("#")) continue;
                if (!s.matches("[0-9]+(\\.[0-9]+)*") || s.length() > 64) {
                    throw new IOException(file + ": line " + n + " is not a Study Instance UID");
                }
                out.add(s);
            }
            if (out.isEmpty()) throw new IOException(file + ": no Study Instance UID in it");
            return out;
        }
    }
}
