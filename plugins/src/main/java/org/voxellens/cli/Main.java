package org.voxellens.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.voxellens.xai.attribution.IntegratedGradients;
import org.voxellens.xai.pipeline.Tiling;
import org.voxellens.xai.attribution.MethodCatalog;
import org.voxellens.xai.metrics.MetricCatalog;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.SegmentationTarget;
import org.voxellens.xai.target.TargetSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The {@code voxellens} command line. */
@Command(name = "voxellens", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Explains 3D medical-imaging models, in the patient's geometry. Research use only.",
    subcommands = {Main.Explain.class, Main.Demo.class, ScoreCommand.class, ValidateCommand.class, BenchCommand.class, SeriesCommand.class, ConvertCommand.class, FijiInstallCommand.class, PacsCommand.class, EngineCheckCommand.class, GpuSetupCommand.class, PackageCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** On every command: the whole error (the engine's full TorchScript traceback, Java's stack trace) after the one line. */
    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
        description = "On an error, also print the full message and stack trace (the engine's whole TorchScript traceback).")
    void debug(boolean on) {
        if (on) System.setProperty("voxellens.debug", "true");
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line and returns the exit code (tests call this instead of main). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Quiet.libraries();
        TorchModel.Engines.configureOffline();
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof CancellationException) {
                err.println("voxellens: cancelled; no results written");
                if (Boolean.getBoolean("voxellens.debug")) e.printStackTrace(err);
                return 130;
            }
            err.println("voxellens: error: " + message(e));
            if (Boolean.getBoolean("voxellens.debug")) e.printStackTrace(err);
            return 1;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError | StackOverflowError e) {
            // picocli hands Errors on; they are the input's fault as often as not (a header that asks for gigabytes)
            err.println("voxellens: error: " + (e instanceof OutOfMemoryError
                ? "out of memory (" + message(e) + "); the input asks for more than this JVM has (-Xmx, VOXELLENS_JAVA_OPTS)"
                : "the input is nested too deeply to read (stack overflow)"));
            if (Boolean.getBoolean("voxellens.debug")) e.printStackTrace(err);
            return 1;
        }
    }

    /**
     * Library chatter only when something is wrong. Debian's PixelMed jar puts its own slf4j 1.7 and the
     * java.util.logging binding on the classpath through its manifest, and that binding can win over
     * slf4j-simple, so both backends are told. DJL warns about CUDA on every start of a CPU-only machine;
     * --device reports GPU problems itself.
     */
    static final class Quiet {
        private static final java.util.logging.Logger DJL = java.util.logging.Logger.getLogger("ai.djl");
        private static final java.util.logging.Logger CUDA = java.util.logging.Logger.getLogger("ai.djl.util.cuda");
        /** PixelMed's networking logs every PDU at INFO (and could echo identifiers); its failures surface as exceptions. */
        private static final java.util.logging.Logger PIXELMED = java.util.logging.Logger.getLogger("com.pixelmed");

        static void libraries() {
            DJL.setLevel(java.util.logging.Level.WARNING);
            CUDA.setLevel(java.util.logging.Level.OFF);
            PIXELMED.setLevel(java.util.logging.Level.SEVERE);
        }
    }

    static String message(Throwable e) {
        Throwable t = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        String m = t.getMessage();
        if (m == null || m.isBlank()) m = t.getClass().getSimpleName();
        if (t instanceof java.nio.file.NoSuchFileException) m = m + ": file not found";
        String line = m.strip().split("\\R", 2)[0];
        // the engine's message was cut to its cause: say where the rest is
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof ai.djl.engine.EngineException && !Boolean.getBoolean("voxellens.debug")) {
                return line + " (--debug shows the engine's whole message)";
            }
        }
        return line;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() { return new String[] {"voxellens " + Versions.voxellens()}; }
    }

    /** Options shared by explain and demo. */
    static final class Common {
        @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE}).", defaultValue = "results")
        Path out;
        @Option(names = "--device", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).", defaultValue = "auto")
        String device;
        @Option(names = "--threads", description = "CPU threads for the engine (default: all cores).")
        Integer threads;
        @Option(names = "--seed", description = "Seed for SmoothGrad noise (default: ${DEFAULT-VALUE}).", defaultValue = "42")
        long seed;
        @Option(names = "--layer", description = "Grad-CAM layer (default: the model's default layer).")
        String layer;
        @Option(names = "--samples", description = "SmoothGrad/VarGrad samples (default: ${DEFAULT-VALUE}).", defaultValue = "25")
        int samples;
        @Option(names = "--noise", description = "SmoothGrad noise sigma as a fraction of the input's intensity range (default: ${DEFAULT-VALUE}).", defaultValue = "0.15")
        double noise;
        @Option(names = "--ig-steps", description = "Integrated Gradients steps (default: ${DEFAULT-VALUE}).", defaultValue = "32")
        int igSteps;
        @Option(names = "--ig-baseline", description = "zero or blur (default: ${DEFAULT-VALUE}).", defaultValue = "zero")
        String igBaseline;
        @Option(names = "--batch-size", description = "Samples per forward(/backward) pass for SmoothGrad, IG, occlusion and the metrics: a number, or auto = from free memory (default: ${DEFAULT-VALUE}).", defaultValue = "auto")
        String batchSize;
        @Option(names = "--tile-overlap", description = "Sliding window (segmentation models that declare a spacing): overlap of neighbouring tiles, 0-0.9 (default: ${DEFAULT-VALUE}).", defaultValue = "0.5")
        double tileOverlap;
        @Option(names = "--tile-batch", description = "Sliding window: tiles per pass (inference; saliency, Input×Gradient, Grad-CAM), a number or auto (default: ${DEFAULT-VALUE}).", defaultValue = "auto")
        String tileBatch;
        @Option(names = "--occlusion-window", description = "Occlusion: fine window edge in model voxels (default: ${DEFAULT-VALUE}).", defaultValue = "8")
        int occlusionWindow;
        @Option(names = "--occlusion-stride", description = "Occlusion: fine window stride (default: half the window).")
        Integer occlusionStride;
        @Option(names = "--occlusion-levels", description = "Occlusion: coarse-to-fine levels before the fine one, 0 = plain occlusion (default: ${DEFAULT-VALUE}).", defaultValue = "2")
        int occlusionLevels;
        @Option(names = "--occlusion-refine", description = "Occlusion: fraction of windows refined per level (default: ${DEFAULT-VALUE}).", defaultValue = "0.25")
        double occlusionRefine;
        @Option(names = "--occlusion-near-target", description = "Occlusion: only occlude windows near the target's mask (segmentation).")
        boolean occlusionNearTarget;

        int batch() { return count(batchSize, "--batch-size"); }

        static int count(String text, String option) {
            if (text.equalsIgnoreCase("auto")) return 0;
            try {
                int n = Integer.parseInt(text.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // falls through to the error below
            }
            throw new IllegalArgumentException(option + " must be a positive number or auto, got " + text);
        }

        Tiling tiling() {
            if (metricTiles < 1) throw new IllegalArgumentException("--metric-tiles must be >= 1, got " + metricTiles);
            return new Tiling(tileOverlap, count(tileBatch, "--tile-batch"), metricTiles); // checks the overlap
        }
        @Option(names = "--lut", description = "Colour map: fire, jet, hot, viridis, grays (default: ${DEFAULT-VALUE}).", defaultValue = "fire")
        String lut;
        @Option(names = "--opacity", description = "Heat-map opacity 0-1 (default: ${DEFAULT-VALUE}).", defaultValue = "0.5")
        double opacity;
        @Option(names = "--threshold", description = "Hide map values below this fraction of its maximum (default: ${DEFAULT-VALUE}).", defaultValue = "0.2")
        double threshold;
        @Option(names = "--dicom-out", description = "Also write DICOM: per method a Parametric Map and Secondary Capture overlays (and a SEG for segmentation models), in the source study (or a new research study for NIfTI input).")
        Path dicomOut;
        @Option(names = "--dicom-outputs", description = "Which DICOM objects to write (and for pacs run: store): pm "
            + "(Parametric Map), sc (Secondary Capture overlays: most of the bytes), seg, comma-separated (default: ${DEFAULT-VALUE}).",
            defaultValue = "pm,sc,seg")
        String dicomOutputs;
        @Option(names = "--metrics", description = "Trust scores for every map: infidelity, infidelity_patches, sensitivity, randomisation, deletion, localisation (needs --mask), or all.")
        String metrics;
        @Option(names = "--mask", description = "Ground-truth mask (NIfTI or DICOM) for the localisation metric.")
        Path mask;
        @Option(names = "--metric-perturbations", description = "Infidelity perturbations (default: 32).")
        Integer metricPerturbations;
        @Option(names = "--metric-samples", description = "Sensitivity-max points (default: 10; each re-runs the method).")
        Integer metricSamples;
        @Option(names = "--metric-tiles", description = "Sliding window: explained tiles scored per method and metric, those with the most target voxels (default: ${DEFAULT-VALUE}).",
            defaultValue = "" + Tiling.DEFAULT_METRIC_TILES)
        int metricTiles;

        MetricCatalog.Options metricOptions() {
            if (mask != null && metrics == null) throw new IllegalArgumentException("--mask is for --metrics localisation");
            return new MetricCatalog.Options(metricPerturbations, metricSamples, null, batch(), null);
        }

        MethodCatalog.Options methodOptions() {
            IntegratedGradients.Baseline b = switch (igBaseline.toLowerCase(Locale.ROOT)) {
                case "zero" -> IntegratedGradients.Baseline.ZERO;
                case "blur", "blurred" -> IntegratedGradients.Baseline.BLUR;
                default -> throw new IllegalArgumentException("--ig-baseline must be zero or blur, got " + igBaseline);
            };
            return new MethodCatalog.Options(layer, samples, noise, igSteps, b, batch(), new MethodCatalog.OcclusionOptions(
                occlusionWindow, occlusionStride == null ? 0 : occlusionStride, occlusionLevels, occlusionRefine, occlusionNearTarget));
        }

        void applyThreads() {
            Main.applyThreads(threads);
        }
    }

    /** libtorch intra-op threads (null: the engine's default, all cores); must run before the engine loads. */
    static void applyThreads(Integer threads) {
        if (threads != null) {
            if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1");
            System.setProperty("ai.djl.pytorch.num_threads", threads.toString());
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
    }

    /** Shared run logic: progress line, Ctrl-C, exit code. */
    abstract static class Runner implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        int execute(Common common, ExplainJob.Request request) throws IOException {
            common.applyThreads();
            ConsoleProgress progress = new ConsoleProgress(spec.commandLine().getErr(), System.console() != null);
            CountDownLatch done = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                progress.cancel();
                try {
                    done.await(20, TimeUnit.SECONDS); // lets the run remove its partial output before the JVM exits
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                new ExplainJob(spec.commandLine().getOut(), progress).run(request);
                return 0;
            } finally {
                progress.endLine();
                done.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is already running: the JVM is exiting after Ctrl-C
                }
            }
        }
    }

    @Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Explain a model's output for one volume: maps (NIfTI on the input's grid), pictures, summary.json, report.html.")
    static final class Explain extends Runner {
        @Option(names = "--input", required = true, description = "Input volume: .nii/.nii.gz, a DICOM file, or a folder of DICOM files. "
            + "A model with several input channels takes one --input per channel, in the model's channel order (each resampled onto the model grid of the first), or one 4D NIfTI.")
        List<Path> inputs;
        @Option(names = "--series", description = "DICOM folders: SeriesInstanceUID or series number (default: the largest 3D series).")
        String series;
        @Option(names = "--model", required = true, description = "Model package folder (TorchScript + rdf.yaml).")
        Path model;
        @Option(names = "--method", description = "Comma-separated: gradcam, gradcampp, smoothgrad, smoothgrad_sq, vargrad, saliency, inputxgrad, ig, occlusion, or all (default: ${DEFAULT-VALUE}).", defaultValue = "gradcam,smoothgrad")
        String methods;
        @Option(names = "--target", description = "Class to explain, by name or index (default: the model's default target, else the predicted class).")
        String target;
        @Option(names = "--region", description = "Segmentation only: predicted (default), roi or channel.")
        String region;
        @Option(names = "--roi", description = "ROI mask (NIfTI) for --region roi.")
        Path roi;
        @Mixin
        Common common;

        @Override
        public Integer call() throws IOException {
            SegmentationTarget.Region r = null;
            if (region != null) {
                try {
                    r = SegmentationTarget.Region.valueOf(region.toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--region must be predicted, roi or channel, got " + region);
                }
            }
            if (roi != null && r == null) r = SegmentationTarget.Region.ROI;
            return execute(common, new ExplainJob.Request(inputs.get(0), series, model, methods, new TargetSpec(target, r), roi, common.out,
                DeviceSpec.parse(common.device), common.seed, common.methodOptions(), common.lut, common.opacity, common.threshold,
                common.metrics, common.metricOptions(), common.mask, common.dicomOut, common.tiling(), inputs.subList(1, inputs.size()),
                DicomOutputs.parse(common.dicomOutputs)));
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Explain the bundled sample with the bundled demo classifier, every method.")
    static final class Demo extends Runner {
        @Mixin
        Common common;

        @Override
        public Integer call() throws IOException {
            Path home = home();
            Path input = home.resolve("samples/demo-brain.nii.gz");
            Path model = home.resolve("models/demo-classifier");
            if (!Files.exists(input) || !Files.exists(model)) {
                throw new IOException("bundled sample or model not found under " + home + " (set -Dvoxellens.home)");
            }
            spec.commandLine().getOut().println("Demo: " + home.relativize(input) + " with " + home.relativize(model) + ", every method, target 'lesion'");
            return execute(common, new ExplainJob.Request(input, null, model, "all", new TargetSpec("lesion", null), null, common.out,
                DeviceSpec.parse(common.device), common.seed, common.methodOptions(), common.lut, common.opacity, common.threshold,
                common.metrics, common.metricOptions(), common.mask, common.dicomOut, common.tiling(), List.of(),
                DicomOutputs.parse(common.dicomOutputs)));
        }

        private static Path home() {
            String h = System.getProperty("voxellens.home");
            return Path.of(h == null ? "." : h).toAbsolutePath().normalize();
        }
    }
}
