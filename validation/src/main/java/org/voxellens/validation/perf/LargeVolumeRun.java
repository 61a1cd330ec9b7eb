package org.voxellens.validation.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.MethodCatalog;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.pipeline.Explainer;
import org.voxellens.xai.pipeline.Tiling;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.SegmentationTarget;
import org.voxellens.xai.target.TargetSpec;

/**
 * The memory ceiling of a CT-sized explanation (docs/performance.md): a synthetic 512×512×300 CT (0.7×0.7×1 mm,
 * Hounsfield-like values: air, soft tissue, a bone shell, a dense lesion) explained by the demo UNet declared at the
 * CT's own spacing, so the sliding window covers all 78.6 M voxels (the worst case: no downsampling). The target is
 * the lesion class's logits over an ROI around the lesion; tiles outside it are skipped. Prints wall time, peak RSS
 * (VmHWM) and peak heap of the whole run. Not a test: minutes on 2 cores.
 *
 * <pre>java -Xmx6g -cp ... org.voxellens.validation.perf.LargeVolumeRun [--root .] [--dims 512,512,300]
 *   [--method smoothgrad] [--samples 8] [--overlap 0.25] [--threads 2]</pre>
 */
public final class LargeVolumeRun {

    private LargeVolumeRun() {}

    public static void main(String[] args) throws IOException {
        Path root = Path.of(".");
        int[] dims = {512, 512, 300};
        String method = "smoothgrad";
        int samples = 8, threads = 2;
        double overlap = 0.25;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root" -> root = Path.of(args[++i]);
                case "--dims" -> {
                    String[] p = args[++i].split(",");
                    dims = new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])};
                }
                case "--method" -> method = args[++i];
                case "--samples" -> samples = Integer.parseInt(args[++i]);
                case "--overlap" -> overlap = Double.parseDouble(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Bench.configureThreads(threads);
        double[] spacing = {0.7, 0.7, 1.0};
        Path tmp = Files.createTempDirectory("vl-ceiling");
        ModelPackage pkg = Bench.derived(root.resolve("models/demo-segmenter"), tmp,
            vl -> vl.put("spacing", List.of(spacing[0], spacing[1], spacing[2])));
        Bench.resetPeaks();
        long t0 = System.nanoTime();
        Volume ct = syntheticCt(dims, spacing);
        Volume roi = lesionRoi(ct.geometry());
        List<AttributionMethod> methods = MethodCatalog.parse(method,
            new MethodCatalog.Options(null, samples, 0.15, 16, org.voxellens.xai.attribution.IntegratedGradients.Baseline.ZERO, 0));
        String[] lastStage = {""};
        Progress progress = (stage, done, total) -> {
            if (!stage.equals(lastStage[0]) || done == total) {
                System.err.printf(Locale.ROOT, "  %s %d/%d  (%.0f s, RSS peak %.0f MiB)%n", stage, done, total,
                    (System.nanoTime() - t0) / 1e9, Bench.vmHwmMb());
                lastStage[0] = stage;
            }
        };
        Explainer.Result res;
        try (TorchModel model = TorchModel.load(pkg, DeviceSpec.CPU)) {
            res = new Explainer(model, Tiling.DEFAULT.withOverlap(overlap)).explain(ct,
                new TargetSpec("lesion", SegmentationTarget.Region.ROI), roi, methods, 42, progress);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Explainer.MethodResult m = res.methods().get(0);
        Map<?, ?> sw = (Map<?, ?>) m.attribution().diagnostics().get("sliding_window");
        System.out.printf(Locale.ROOT, "volume %dx%dx%d (%.1f M voxels), model grid %s, %d tiles of 48³ (overlap %.2f), %s explained%n",
            dims[0], dims[1], dims[2], dims[0] * (double) dims[1] * dims[2] / 1e6, java.util.Arrays.toString(res.modelGrid().dims()),
            sw.get("tiles"), overlap, sw.get("tiles_explained"));
        System.out.printf(Locale.ROOT, "method %s (%d samples; per tile %s), inference %.1f s, method %.1f s, total %.1f s%n",
            m.method().id(), samples, m.attribution().diagnostics().get("per_tile_max_abs"), res.forwardSeconds(), m.seconds(), seconds);
        System.out.printf(Locale.ROOT, "peak RSS %.0f MiB, peak heap %.0f MiB, max heap %.0f MiB%n", Bench.vmHwmMb(),
            Bench.peakHeapMb(), Runtime.getRuntime().maxMemory() / 1048576.0);
    }

    /** Air (-1000) around an elliptic body of soft tissue (40) in a bone shell (700), with a dense lesion (120). */
    static Volume syntheticCt(int[] d, double[] spacing) {
        Geometry g = Geometry.axisAligned(d, spacing, new double[] {-d[0] * spacing[0] / 2, -d[1] * spacing[1] / 2, 0});
        float[] v = new float[Math.toIntExact((long) d[0] * d[1] * d[2])];
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        int[] lc = lesionCentre(d);
        for (int k = 0; k < d[2]; k++) {
            for (int j = 0; j < d[1]; j++) {
                for (int i = 0; i < d[0]; i++) {
                    double x = (i - d[0] / 2.0) / (0.42 * d[0]), y = (j - d[1] / 2.0) / (0.36 * d[1]);
                    double rr = Math.sqrt(x * x + y * y);
                    double hu = rr < 0.93 ? 40 : rr < 1 ? 700 : -1000;
                    double lx = (i - lc[0]) * spacing[0], ly = (j - lc[1]) * spacing[1], lz = (k - lc[2]) * spacing[2];
                    if (lx * lx + ly * ly + lz * lz < 64) hu = 120;
                    v[i + d[0] * (j + d[1] * k)] = (float) (hu + 10 * r.nextGaussian());
                }
            }
        }
        return new Volume(g, v);
    }

    static int[] lesionCentre(int[] d) { return new int[] {d[0] * 5 / 8, d[1] * 3 / 8, d[2] / 2}; }

    /** A 40-voxel cube around the lesion. */
    static Volume lesionRoi(Geometry g) {
        int[] d = g.dims(), c = lesionCentre(d);
        float[] m = new float[Math.toIntExact(g.voxelCount())];
        for (int k = Math.max(0, c[2] - 20); k < Math.min(d[2], c[2] + 20); k++) {
            for (int j = Math.max(0, c[1] - 20); j < Math.min(d[1], c[1] + 20); j++) {
                for (int i = Math.max(0, c[0] - 20); i < Math.min(d[0], c[0] + 20); i++) m[i + d[0] * (j + d[1] * k)] = 1;
            }
        }
        return new Volume(g, m);
    }
}
