package org.voxellens.validation.perf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.voxellens.xai.attribution.Attribution;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.attribution.Occlusion;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.metrics.MapStats;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.model.ModelTask;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.ClassLogitTarget;
import org.voxellens.xai.target.Target;
import org.voxellens.xai.target.TargetSpec;

/**
 * Coarse-to-fine occlusion against full fine occlusion with the same window and stride, on a whole model input
 * (docs/performance.md, "Occlusion in 3D"): model evaluations, time, and how much of what a reader sees agrees
 * (top-1 % and top-5 % voxels, the peak's distance, Spearman over all voxels). Not a test: a minute or more.
 *
 * <pre>java -cp ... org.voxellens.validation.perf.OcclusionFidelity [--root .] [--model demo-classifier]
 *   [--input validation/src/test/resources/reference/demo-classifier/input.f32] [--target lesion] [--window 8]
 *   [--stride 4] [--levels 2] [--refine 0.25] [--batch 16] [--threads 2]</pre>
 * The input is the model's prepared input, float32 little-endian, z-y-x, of the package's input size.
 */
public final class OcclusionFidelity {

    private OcclusionFidelity() {}

    public static void main(String[] args) throws IOException {
        Path root = Path.of(".");
        String modelName = "demo-classifier", target = "lesion";
        Path input = null;
        int window = 8, stride = 4, levels = 2, batch = 16, threads = 2;
        double refine = 0.25;
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i++]) {
                case "--root" -> root = Path.of(v);
                case "--model" -> modelName = v;
                case "--input" -> input = Path.of(v);
                case "--target" -> target = v;
                case "--window" -> window = Integer.parseInt(v);
                case "--stride" -> stride = Integer.parseInt(v);
                case "--levels" -> levels = Integer.parseInt(v);
                case "--refine" -> refine = Double.parseDouble(v);
                case "--batch" -> batch = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i - 1]);
            }
        }
        if (input == null) input = root.resolve("validation/src/test/resources/reference/demo-classifier/input.f32");
        Bench.configureThreads(threads);
        ModelPackage pkg = ModelPackage.open(root.resolve("models").resolve(modelName));
        long[] shape = pkg.inputShape(1);
        float[] x = new float[(int) (shape[2] * shape[3] * shape[4])];
        byte[] bytes = Files.readAllBytes(input);
        if (bytes.length != 4L * x.length) {
            throw new IllegalArgumentException(input + ": " + bytes.length + " bytes, the model input needs " + 4L * x.length);
        }
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
        try (TorchModel model = TorchModel.load(pkg, DeviceSpec.CPU)) {
            Tensor t = new Tensor(x, shape);
            Target tgt = pkg.task() == ModelTask.CLASSIFICATION
                ? new ClassLogitTarget(pkg.classIndex(target), target)
                : new TargetSpec(target, null).resolve(pkg, model.forward(t), null);
            ExplainContext ctx = new ExplainContext(model, t, tgt, 42, Progress.NONE);
            Occlusion fine = Occlusion.builder().window(window).stride(stride).levels(0).batchSize(batch).build();
            Occlusion c2f = Occlusion.builder().window(window).stride(stride).levels(levels).refineFraction(refine).batchSize(batch).build();
            long s0 = System.nanoTime();
            Attribution full = fine.explain(ctx);
            long s1 = System.nanoTime();
            Attribution fast = c2f.explain(ctx);
            long s2 = System.nanoTime();
            float[] a = full.map().data(), b = fast.map().data();
            int[] pa = peak(a, shape), pb = peak(b, shape);
            double dist = Math.sqrt(Math.pow(pa[0] - pb[0], 2) + Math.pow(pa[1] - pb[1], 2) + Math.pow(pa[2] - pb[2], 2));
            long nFull = ((Number) full.diagnostics().get("model_evaluations")).longValue();
            long nFast = ((Number) fast.diagnostics().get("model_evaluations")).longValue();
            System.out.printf(Locale.ROOT, "%s, input %dx%dx%d, target %s, window %d, stride %d, levels %d, refine %.2f, batch %d%n",
                modelName, shape[4], shape[3], shape[2], target, window, stride, levels, refine, batch);
            System.out.printf(Locale.ROOT, "full fine occlusion: %d evaluations, %.1f s%n", nFull, (s1 - s0) / 1e9);
            System.out.printf(Locale.ROOT, "coarse-to-fine:      %d evaluations, %.1f s (%.1fx fewer evaluations, %.1fx faster)%n",
                nFast, (s2 - s1) / 1e9, (double) nFull / nFast, (double) (s1 - s0) / (s2 - s1));
            System.out.printf(Locale.ROOT, "top-1%% overlap %.3f, top-5%% overlap %.3f, peak %.1f voxels apart, Spearman %.3f%n",
                MapStats.topOverlap(a, b, 0.01), MapStats.topOverlap(a, b, 0.05), dist, MapStats.spearman(a, b));
        }
    }

    private static int[] peak(float[] v, long[] shape) {
        int nx = (int) shape[4], ny = (int) shape[3];
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return new int[] {best % nx, (best / nx) % ny, best / (nx * ny)};
    }
}
