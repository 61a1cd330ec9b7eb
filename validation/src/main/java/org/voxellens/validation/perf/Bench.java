package org.voxellens.validation.perf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.attribution.GradCam;
import org.voxellens.xai.attribution.IntegratedGradients;
import org.voxellens.xai.attribution.Occlusion;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.attribution.Saliency;
import org.voxellens.xai.attribution.SmoothGrad;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.model.ModelTask;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.ClassLogitTarget;
import org.voxellens.xai.target.SegmentationTarget;
import org.voxellens.xai.target.Target;
import org.voxellens.xai.target.TargetSpec;

/**
 * Speed and memory of VoxelLens' explanation methods against the same methods in plain PyTorch on the same
 * TorchScript files (issue 7). The Java side goes through the project's own classes ({@link TorchModel},
 * {@link Saliency}, {@link GradCam}, {@link SmoothGrad}, {@link IntegratedGradients}); the reference is
 * {@code validation/python/bench_reference.py}, launched as a subprocess in the same run when a Python with torch
 * is available, with the same sizes, batch size, thread count, samples, steps, warm-up and repeats.
 *
 * <p>Methods: {@code forward} (one pass, no autograd), {@code saliency} (1 forward + backward), {@code grad_batch}
 * (one forward + backward of B noisy copies: SmoothGrad's and IG's unit of work), {@code gradcam} (probe method at
 * the model's default layer, upsampled to the input), {@code smoothgrad} (N samples, B per pass), {@code ig}
 * (n steps, B per pass, plus the completeness forward). Input: z-scored Gaussian noise {@code [1, 1, s, s, s]}
 * from a fixed seed. Target: class 1 ("lesion"), for the segmenter its logits summed over the whole channel
 * ({@link SegmentationTarget.Region#CHANNEL}; the same cost as a predicted mask, and defined on noise input).
 *
 * <p>Memory: peak process RSS (VmHWM of /proc/self/status, reset before each method by writing 5 to
 * /proc/self/clear_refs, so it is the high-water mark during that method, including everything already resident)
 * and peak JVM heap (sum of the heap pools' peak usage, reset before each method). The PyTorch side reports the
 * same VmHWM, one fresh interpreter per (model, size).
 *
 * <p>Models are benchmarked at sizes other than their declared input size through a temporary copy of the model
 * description with {@code input_size} changed and the weights pointing at the original TorchScript file.
 */
public final class Bench {

    public static final List<String> METHODS = List.of("forward", "saliency", "grad_batch", "gradcam", "smoothgrad", "ig", "occlusion");
    /** Plain occlusion's windows per axis in the bench (both sides): window = stride = size / 4, 64 windows. */
    static final int OCCLUSION_SPLIT = 4;
    public static final List<String> MODELS = List.of("demo-classifier", "demo-segmenter");
    /** SmoothGrad's allowed overhead over N/B batched forward+backward passes. */
    public static final double SMOOTHGRAD_TARGET = 1.15;
    static final long INPUT_SEED = 7;

    private Bench() {}

    /** What to run. {@code python} null: no reference run. */
    public record Options(Path modelsDir, List<String> models, List<Integer> sizes, List<String> methods, int threads,
                          int batch, int samples, int steps, int warmup, int repeats, String python, Path script,
                          boolean glibcReference) {

        public Options {
            models = List.copyOf(models);
            sizes = List.copyOf(sizes);
            methods = List.copyOf(methods);
            for (String m : methods) {
                if (!METHODS.contains(m)) throw new IllegalArgumentException("unknown method " + m + "; known: " + METHODS);
            }
            if (threads < 1 || batch < 1 || samples < 1 || steps < 1 || warmup < 0 || repeats < 1) {
                throw new IllegalArgumentException("threads, batch, samples, steps and repeats must be >= 1, warmup >= 0");
            }
        }

        /**
         * The full run, as issue 7 asks: 64³, 96³ and 128³, 2 threads, batch 8, SmoothGrad 16 samples, IG 16 steps,
         * warm-up 2, median of 3 (at 128³ the segmenter's batched passes peak at 9.5 GiB RSS in PyTorch; {@code --batch 4}
         * halves that).
         */
        public static Options defaults(Path root) {
            return new Options(root.resolve("models"), MODELS, List.of(64, 96, 128), METHODS, 2, 8, 16, 16, 2, 3,
                "/usr/bin/python3", root.resolve("validation/python/bench_reference.py"), true);
        }

        /** 64³ only, median of 2. */
        public static Options quick(Path root) {
            return defaults(root).withSizes(List.of(64)).withRepeats(2);
        }

        public Options withSizes(List<Integer> s) { return new Options(modelsDir, models, s, methods, threads, batch, samples, steps, warmup, repeats, python, script, glibcReference); }
        public Options withModels(List<String> m) { return new Options(modelsDir, m, sizes, methods, threads, batch, samples, steps, warmup, repeats, python, script, glibcReference); }
        public Options withMethods(List<String> m) { return new Options(modelsDir, models, sizes, m, threads, batch, samples, steps, warmup, repeats, python, script, glibcReference); }
        public Options withThreads(int t) { return new Options(modelsDir, models, sizes, methods, t, batch, samples, steps, warmup, repeats, python, script, glibcReference); }
        public Options withBatch(int b) { return new Options(modelsDir, models, sizes, methods, threads, b, samples, steps, warmup, repeats, python, script, glibcReference); }
        public Options withSamples(int n) { return new Options(modelsDir, models, sizes, methods, threads, batch, n, steps, warmup, repeats, python, script, glibcReference); }
        public Options withSteps(int n) { return new Options(modelsDir, models, sizes, methods, threads, batch, samples, n, warmup, repeats, python, script, glibcReference); }
        public Options withWarmup(int n) { return new Options(modelsDir, models, sizes, methods, threads, batch, samples, steps, n, repeats, python, script, glibcReference); }
        public Options withRepeats(int n) { return new Options(modelsDir, models, sizes, methods, threads, batch, samples, steps, warmup, n, python, script, glibcReference); }
        /** {@code python} null turns the reference run off. */
        public Options withPython(String exe, Path scriptPath) { return new Options(modelsDir, models, sizes, methods, threads, batch, samples, steps, warmup, repeats, exe, scriptPath, glibcReference); }
        /** Whether to also run the reference under glibc's malloc when the Java side has a preloaded one (default yes). */
        public Options withGlibcReference(boolean on) { return new Options(modelsDir, models, sizes, methods, threads, batch, samples, steps, warmup, repeats, python, script, on); }

        List<String> pythonCommand() {
            List<String> cmd = new ArrayList<>(List.of(python, script.toString(),
                "--models-dir", modelsDir.toAbsolutePath().toString(), "--models", String.join(",", models),
                "--sizes", join(sizes), "--methods", String.join(",", methods), "--threads", "" + threads,
                "--batch", "" + batch, "--samples", "" + samples, "--steps", "" + steps,
                "--warmup", "" + warmup, "--repeats", "" + repeats));
            return cmd;
        }
    }

    /** One timed measurement: median seconds of the repeats, peak RSS and (Java) peak heap in MiB. */
    public record Measurement(double seconds, List<Double> runs, double peakRssMb, double peakHeapMb) {}

    /**
     * One (model, size, method): the Java side and, when run, the PyTorch reference under the same malloc as the
     * Java side ({@code pytorch}) and, when the Java side runs a preloaded allocator, under glibc's malloc as plain
     * PyTorch runs by default ({@code pytorchGlibc}); null where not run.
     */
    public record Row(String model, int size, String method, Measurement java, Measurement pytorch, Measurement pytorchGlibc) {
        /** Java seconds / PyTorch seconds (same allocator), NaN without a reference. */
        public double ratio() { return pytorch == null ? Double.NaN : java.seconds() / pytorch.seconds(); }

        /** Java seconds / PyTorch-with-glibc-malloc seconds, NaN where that was not run. */
        public double ratioGlibc() { return pytorchGlibc == null ? Double.NaN : java.seconds() / pytorchGlibc.seconds(); }
    }

    /** The SmoothGrad check for one (model, size, side): time(SmoothGrad N) / (N/B × time(one pass at batch B)). */
    public record SmoothGradCheck(String model, int size, String side, double smoothGradSeconds, double batchSeconds,
                                  int samples, int batch) {
        public double expectedSeconds() { return (double) samples / batch * batchSeconds; }
        public double ratio() { return smoothGradSeconds / expectedSeconds(); }
        public boolean passes() { return ratio() <= SMOOTHGRAD_TARGET; }
    }

    /** Everything measured, plus what the reference run said when it did not run. */
    public record Report(Options options, List<Row> rows, Map<String, String> versions, String pythonStatus,
                         double totalSeconds) {

        public Row row(String model, int size, String method) {
            for (Row r : rows) if (r.model.equals(model) && r.size == size && r.method.equals(method)) return r;
            return null;
        }

        public List<SmoothGradCheck> smoothGradChecks() {
            List<SmoothGradCheck> out = new ArrayList<>();
            for (String m : options.models()) {
                for (int s : options.sizes()) {
                    Row sg = row(m, s, "smoothgrad"), gb = row(m, s, "grad_batch");
                    if (sg == null || gb == null) continue;
                    int b = Math.min(options.batch(), options.samples());
                    out.add(new SmoothGradCheck(m, s, "Java", sg.java().seconds(), gb.java().seconds(), options.samples(), b));
                    if (sg.pytorch() != null && gb.pytorch() != null) {
                        out.add(new SmoothGradCheck(m, s, "PyTorch", sg.pytorch().seconds(), gb.pytorch().seconds(), options.samples(), b));
                    }
                }
            }
            return out;
        }

        /** One table per method, then the SmoothGrad check, in Markdown. */
        public String toMarkdown() {
            StringBuilder sb = new StringBuilder();
            Options o = options;
            sb.append(String.format(Locale.ROOT, "Settings: threads %d, batch %d, SmoothGrad %d samples, IG %d steps, "
                + "warm-up %d, median of %d; Java: %s; PyTorch: %s.%n%n", o.threads(), o.batch(), o.samples(), o.steps(),
                o.warmup(), o.repeats(), versions, pythonStatus));
            for (String method : o.methods()) {
                sb.append("### ").append(method).append("\n\n");
                boolean glibc = rows.stream().anyMatch(r -> r.pytorchGlibc() != null);
                sb.append("| model | size | Java s | PyTorch s | Java / PyTorch | Java runs min–max | PyTorch runs min–max "
                    + "| Java peak RSS MiB | Java peak heap MiB | PyTorch peak RSS MiB |"
                    + (glibc ? " PyTorch glibc-malloc s | Java / PyTorch glibc-malloc | PyTorch glibc-malloc runs min–max |" : "") + "\n");
                sb.append("|---|---|---|---|---|---|---|---|---|---|").append(glibc ? "---|---|---|" : "").append('\n');
                for (Row r : rows) {
                    if (!r.method().equals(method)) continue;
                    sb.append(String.format(Locale.ROOT, "| %s | %d³ | %.3f | %s | %s | %s | %s | %.0f | %.0f | %s |", r.model(), r.size(),
                        r.java().seconds(), seconds(r.pytorch()), ratio(r.pytorch(), r.ratio()),
                        spread(r.java()), r.pytorch() == null ? "–" : spread(r.pytorch()),
                        r.java().peakRssMb(), r.java().peakHeapMb(),
                        r.pytorch() == null ? "–" : String.format(Locale.ROOT, "%.0f", r.pytorch().peakRssMb())));
                    if (glibc) {
                        sb.append(String.format(Locale.ROOT, " %s | %s | %s |", seconds(r.pytorchGlibc()),
                            ratio(r.pytorchGlibc(), r.ratioGlibc()), r.pytorchGlibc() == null ? "–" : spread(r.pytorchGlibc())));
                    }
                    sb.append('\n');
                }
                sb.append('\n');
            }
            List<SmoothGradCheck> checks = smoothGradChecks();
            if (!checks.isEmpty()) {
                sb.append("### SmoothGrad overhead: time(SmoothGrad N) / (N/B × time(one forward+backward at batch B))\n\n");
                sb.append(String.format(Locale.ROOT, "Target ≤ %.2f.%n%n", SMOOTHGRAD_TARGET));
                sb.append("| model | size | side | SmoothGrad s | N/B × batch pass s | ratio | ≤ target |\n");
                sb.append("|---|---|---|---|---|---|---|\n");
                for (SmoothGradCheck c : checks) {
                    sb.append(String.format(Locale.ROOT, "| %s | %d³ | %s | %.3f | %.3f | %.2f | %s |%n", c.model(), c.size(),
                        c.side(), c.smoothGradSeconds(), c.expectedSeconds(), c.ratio(), c.passes() ? "yes" : "no"));
                }
                sb.append('\n');
            }
            return sb.toString();
        }
    }

    /** Runs the Java side, then (when configured and available) the PyTorch reference in a subprocess. */
    public static Report run(Options o) throws IOException {
        return run(o, System.err::println);
    }

    /**
     * As {@link #run(Options)}, with a sink for progress lines. Cell by cell: for each size and model the Java side,
     * then the PyTorch reference for that same (model, size), so both sides of a ratio are measured minutes apart at
     * most (the machine may be shared).
     */
    public static Report run(Options o, java.util.function.Consumer<String> log) throws IOException {
        long t0 = System.nanoTime();
        configureThreads(o.threads());
        Map<String, Measurement> java = new LinkedHashMap<>();
        Map<String, Measurement> py = new LinkedHashMap<>();
        Map<String, Measurement> pyGlibc = new LinkedHashMap<>();
        // A preloaded malloc (the launcher's tcmalloc) is inherited by the reference; plain PyTorch users run glibc's,
        // so the reference then also runs without it and both ratios are reported.
        boolean preloaded = !"glibc".equals(org.voxellens.xai.runtime.NativeAllocator.name())
            && System.getenv("LD_PRELOAD") != null && !System.getenv("LD_PRELOAD").isBlank();
        Map<String, String> versions = new LinkedHashMap<>();
        List<String> statuses = new ArrayList<>();
        Path tmp = Files.createTempDirectory("voxellens-bench");
        try {
            for (int size : o.sizes()) {
                for (String name : o.models()) {
                    ModelPackage pkg = resized(o.modelsDir().resolve(name), size, tmp.resolve(name + "-" + size));
                    try (TorchModel model = TorchModel.load(pkg, DeviceSpec.CPU)) {
                        if (versions.isEmpty()) versions.putAll(new java.util.TreeMap<>(TorchModel.Engines.versions()));
                        Tensor x = input(size, pkg.channels());
                        Target target = pkg.task() == ModelTask.CLASSIFICATION
                            ? new ClassLogitTarget(1, pkg.className(1))
                            : new TargetSpec("1", SegmentationTarget.Region.CHANNEL).resolve(pkg, model.forward(x), null);
                        ExplainContext ctx = new ExplainContext(model, x, target, 1234L, Progress.NONE);
                        for (String method : o.methods()) {
                            Runnable body = body(method, o, ctx);
                            Measurement m = measure(body, o.warmup(), o.repeats());
                            java.put(key(name, size, method), m);
                            log.accept(String.format(Locale.ROOT, "bench java %s %d³ %s: %.3f s, peak RSS %.0f MiB",
                                name, size, method, m.seconds(), m.peakRssMb()));
                        }
                    }
                    Options cell = o.withModels(List.of(name)).withSizes(List.of(size));
                    String st = runReference(cell, false, py, log);
                    if (!statuses.contains(st)) statuses.add(st);
                    if (preloaded && o.glibcReference()) {
                        String sg = "glibc malloc: " + runReference(cell, true, pyGlibc, log);
                        if (!statuses.contains(sg)) statuses.add(sg);
                    }
                }
            }
        } finally {
            deleteTree(tmp);
        }
        List<Row> rows = new ArrayList<>();
        for (String method : o.methods()) {
            for (int size : o.sizes()) {
                for (String name : o.models()) {
                    Measurement j = java.get(key(name, size, method));
                    if (j != null) rows.add(new Row(name, size, method, j, py.get(key(name, size, method)), pyGlibc.get(key(name, size, method))));
                }
            }
        }
        return new Report(o, rows, versions, String.join("; ", statuses), (System.nanoTime() - t0) / 1e9);
    }

    private static Runnable body(String method, Options o, ExplainContext ctx) {
        TorchModel model = ctx.model();
        return switch (method) {
            case "forward" -> () -> model.forward(ctx.input());
            case "saliency" -> explain(new Saliency(), ctx);
            case "grad_batch" -> {
                Tensor x = ctx.input();
                Tensor batch = noisyBatch(x, o.batch());
                yield () -> model.inputGradients(batch, ctx.target());
            }
            case "gradcam" -> explain(new GradCam(false, null), ctx);
            case "smoothgrad" -> explain(SmoothGrad.builder().samples(o.samples()).batchSize(o.batch()).build(), ctx);
            case "ig" -> explain(IntegratedGradients.builder().steps(o.steps()).batchSize(o.batch()).build(), ctx);
            case "occlusion" -> {
                int w = (int) ctx.input().dim(4) / OCCLUSION_SPLIT;
                yield explain(Occlusion.builder().window(w).stride(w).levels(0).batchSize(o.batch()).build(), ctx);
            }
            default -> throw new IllegalArgumentException("unknown method " + method);
        };
    }

    private static Runnable explain(AttributionMethod m, ExplainContext ctx) {
        return () -> m.explain(ctx);
    }

    static Measurement measure(Runnable body, int warmup, int repeats) {
        resetPeaks();
        for (int i = 0; i < warmup; i++) body.run();
        List<Double> runs = new ArrayList<>();
        for (int i = 0; i < repeats; i++) {
            long t = System.nanoTime();
            body.run();
            runs.add((System.nanoTime() - t) / 1e9);
        }
        return new Measurement(median(runs), List.copyOf(runs), vmHwmMb(), peakHeapMb());
    }

    static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }

    /**
     * Sets DJL's intra- and inter-op thread counts. They are read when the PyTorch engine starts: a JVM whose engine
     * already started with other settings keeps them (this is why the bench belongs in its own JVM).
     */
    static void configureThreads(int threads) {
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(threads));
    }

    /** Z-scored Gaussian noise {@code [1, C, s, s, s]} from a fixed seed. */
    static Tensor input(int size, int channels) {
        Random r = new Random(INPUT_SEED);
        float[] d = new float[channels * size * size * size];
        double sum = 0, sq = 0;
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
            sum += d[i];
            sq += (double) d[i] * d[i];
        }
        double mean = sum / d.length, sd = Math.sqrt(Math.max(0, sq / d.length - mean * mean));
        for (int i = 0; i < d.length; i++) d[i] = (float) ((d[i] - mean) / (sd + 1e-6));
        return new Tensor(d, new long[] {1, channels, size, size, size});
    }

    private static Tensor noisyBatch(Tensor x, int b) {
        float[] xd = x.data();
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float f : xd) {
            lo = Math.min(lo, f);
            hi = Math.max(hi, f);
        }
        double sigma = 0.15 * (hi - lo);
        Random r = new Random(1234);
        float[] d = new float[b * xd.length];
        for (int s = 0; s < b; s++) {
            for (int i = 0; i < xd.length; i++) d[s * xd.length + i] = (float) (xd[i] + sigma * r.nextGaussian());
        }
        return new Tensor(d, x.batchShape(b));
    }

    /**
     * The package in {@code folder} with {@code config.voxellens.input_size} set to {@code size}³, written as a new
     * description under {@code dir} whose weights point at the original TorchScript file (no copy).
     */
    static ModelPackage resized(Path folder, int size, Path dir) throws IOException {
        ModelPackage original = ModelPackage.open(folder);
        int[] declared = original.inputSize();
        if (declared[0] == size && declared[1] == size && declared[2] == size) return original;
        return derived(folder, dir, vl -> vl.put("input_size", List.of(size, size, size)));
    }

    /**
     * The package in {@code folder} with its {@code config.voxellens} map changed by {@code edit}, written as a new
     * description under {@code dir} whose weights point at the original TorchScript file (no copy).
     */
    static ModelPackage derived(Path folder, Path dir, java.util.function.Consumer<Map<String, Object>> edit) throws IOException {
        ModelPackage original = ModelPackage.open(folder);
        org.yaml.snakeyaml.Yaml yaml = new org.yaml.snakeyaml.Yaml();
        Map<String, Object> rdf;
        try (var in = Files.newInputStream(original.descriptor())) {
            rdf = yaml.load(in);
        }
        Map<String, Object> ts = sub(sub(rdf, "weights"), "torchscript");
        ts.put("source", original.weights().toAbsolutePath().toString());
        edit.accept(sub(sub(rdf, "config"), "voxellens"));
        Files.createDirectories(dir);
        Path out = dir.resolve("rdf.yaml");
        Files.writeString(out, yaml.dump(rdf));
        return ModelPackage.open(dir);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> sub(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Map)) throw new IllegalArgumentException("model description has no mapping '" + key + "'");
        return (Map<String, Object>) v;
    }

    // --- the PyTorch reference ---------------------------------------------------------------------------------

    private static String runReference(Options o, boolean withoutPreload, Map<String, Measurement> into,
                                       java.util.function.Consumer<String> log) {
        if (o.python() == null) return "not run (turned off)";
        if (!Files.isExecutable(Path.of(o.python()))) return "not run (" + o.python() + " not found)";
        if (!Files.isRegularFile(o.script())) return "not run (" + o.script() + " not found)";
        List<String> cmd = o.pythonCommand();
        log.accept("bench: " + String.join(" ", cmd));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        if (withoutPreload) pb.environment().remove("LD_PRELOAD");
        String torch = "?";
        List<String> errors = new ArrayList<>();
        try {
            Process p = pb.start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    ParsedLine pl = parseReferenceLine(line);
                    if (pl == null) continue;
                    if (pl.error() != null) {
                        errors.add(pl.error());
                        log.accept("bench pytorch: " + pl.error());
                        continue;
                    }
                    if (pl.torch() != null) torch = pl.torch();
                    into.put(key(pl.model(), pl.size(), pl.method()), pl.measurement());
                    log.accept(String.format(Locale.ROOT, "bench pytorch%s %s %d³ %s: %.3f s, peak RSS %.0f MiB",
                        withoutPreload ? " (glibc malloc)" : "", pl.model(), pl.size(), pl.method(), pl.measurement().seconds(), pl.measurement().peakRssMb()));
                }
            }
            if (!p.waitFor(6, TimeUnit.HOURS)) {
                p.destroyForcibly();
                return "timed out";
            }
            String base = "torch " + torch + " (" + o.python() + ")";
            if (p.exitValue() != 0 || !errors.isEmpty()) return base + ", errors: " + String.join("; ", errors);
            return base;
        } catch (IOException e) {
            return "not run (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** One parsed JSON line of bench_reference.py; {@code error} set for a failed (model, size) or skipped method. */
    record ParsedLine(String model, int size, String method, Measurement measurement, String torch, String error) {}

    /** Parses one output line of the reference script; null for lines that are not JSON objects. */
    static ParsedLine parseReferenceLine(String line) {
        String t = line.strip();
        if (!t.startsWith("{")) return null;
        JsonObject j;
        try {
            j = JsonParser.parseString(t).getAsJsonObject();
        } catch (RuntimeException e) {
            return null;
        }
        String model = str(j, "model");
        int size = j.has("size") ? j.get("size").getAsInt() : 0;
        String method = str(j, "method");
        if (j.has("error") || j.has("skipped") || !j.has("seconds")) {
            String why = j.has("error") ? str(j, "error") : j.has("skipped") ? str(j, "skipped") : "no seconds";
            return new ParsedLine(model, size, method, null, null, model + " " + size + "³ " + (method == null ? "" : method + " ") + why);
        }
        List<Double> runs = new ArrayList<>();
        if (j.has("runs")) for (JsonElement e : j.getAsJsonArray("runs")) runs.add(e.getAsDouble());
        double rss = j.has("peak_rss_mb") ? j.get("peak_rss_mb").getAsDouble() : Double.NaN;
        String torch = str(j, "torch");
        if (torch != null && str(j, "allocator") != null) torch += ", " + str(j, "allocator") + " malloc";
        return new ParsedLine(model, size, method, new Measurement(j.get("seconds").getAsDouble(), runs, rss, Double.NaN),
            torch, null);
    }

    private static String str(JsonObject j, String k) {
        return j.has(k) && !j.get(k).isJsonNull() ? j.get(k).getAsString() : null;
    }

    // --- memory -----------------------------------------------------------------------------------------------

    /** Resets the heap pools' peaks and the process's RSS high-water mark (Linux: 5 into /proc/self/clear_refs). */
    static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) p.resetPeakUsage();
        }
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException ignored) {
            // not Linux, or not permitted: VmHWM is then the high-water mark since the JVM started
        }
    }

    static double peakHeapMb() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) sum += p.getPeakUsage().getUsed();
        }
        return sum / (1024.0 * 1024.0);
    }

    /** VmHWM of /proc/self/status in MiB (NaN where there is none). */
    static double vmHwmMb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return Double.NaN;
    }

    // --- command line -----------------------------------------------------------------------------------------

    /**
     * {@code Bench [--quick] [--sizes 64,96] [--threads 2] [--batch 8] [--samples 16] [--steps 16] [--warmup 2]
     * [--repeats 3] [--models a,b] [--methods m,...] [--no-python] [--no-glibc-reference] [--python EXE] [--root DIR] [--out FILE.md]}
     */
    public static void main(String[] args) throws IOException {
        Path root = Path.of(".");
        for (int i = 0; i < args.length - 1; i++) if (args[i].equals("--root")) root = Path.of(args[i + 1]);
        Options o = Arrays.asList(args).contains("--quick") ? Options.quick(root) : Options.defaults(root);
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--quick")) continue;
            if (a.equals("--no-glibc-reference")) {
                o = o.withGlibcReference(false);
                continue;
            }
            if (a.equals("--no-python")) {
                o = o.withPython(null, o.script());
                continue;
            }
            if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
            String v = args[++i];
            switch (a) {
                case "--root" -> { }
                case "--sizes" -> o = o.withSizes(Arrays.stream(v.split(",")).map(String::trim).map(Integer::parseInt).toList());
                case "--models" -> o = o.withModels(List.of(v.split(",")));
                case "--methods" -> o = o.withMethods(List.of(v.split(",")));
                case "--threads" -> o = o.withThreads(Integer.parseInt(v));
                case "--batch" -> o = o.withBatch(Integer.parseInt(v));
                case "--samples" -> o = o.withSamples(Integer.parseInt(v));
                case "--steps" -> o = o.withSteps(Integer.parseInt(v));
                case "--warmup" -> o = o.withWarmup(Integer.parseInt(v));
                case "--repeats" -> o = o.withRepeats(Integer.parseInt(v));
                case "--python" -> o = o.withPython(v, o.script());
                case "--out" -> out = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        Report r = run(o);
        String md = r.toMarkdown();
        System.out.print(md);
        System.out.printf(Locale.ROOT, "(bench took %.0f s)%n", r.totalSeconds());
        if (out != null) {
            if (out.toAbsolutePath().getParent() != null) Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, md);
        }
    }

    private static String seconds(Measurement m) {
        return m == null ? "–" : String.format(Locale.ROOT, "%.3f", m.seconds());
    }

    private static String ratio(Measurement m, double r) {
        return m == null ? "–" : String.format(Locale.ROOT, "%.2f", r);
    }

    private static String spread(Measurement m) {
        if (m.runs().isEmpty()) return "–";
        double lo = m.runs().stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        double hi = m.runs().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        return String.format(Locale.ROOT, "%.3f–%.3f", lo, hi);
    }

    private static String key(String model, int size, String method) {
        return model + "|" + size + "|" + method;
    }

    private static String join(List<Integer> v) {
        StringBuilder sb = new StringBuilder();
        for (int i : v) sb.append(sb.length() == 0 ? "" : ",").append(i);
        return sb.toString();
    }

    private static void deleteTree(Path p) {
        try {
            org.voxellens.volumetric.AtomicFiles.deleteTree(p);
        } catch (IOException ignored) {
            // a temp folder left behind
        }
    }
}
