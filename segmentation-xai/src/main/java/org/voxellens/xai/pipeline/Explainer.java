package org.voxellens.xai.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Interpolation;
import org.voxellens.volumetric.Resampler;
import org.voxellens.volumetric.Volume;
import org.voxellens.xai.attribution.Attribution;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.metrics.Metric;
import org.voxellens.xai.metrics.MetricCatalog;
import org.voxellens.xai.metrics.MetricResult;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.model.ModelTask;
import org.voxellens.xai.model.Preprocessing;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.OutputHead;
import org.voxellens.xai.target.Target;
import org.voxellens.xai.target.TargetSpec;

/**
 * A volume in the patient's geometry → the model's grid → preprocessing → prediction and target → every method
 * → each map resampled back onto the source grid. Segmentation models that declare a spacing see the whole volume
 * by sliding window ({@link SlidingWindowExplainer}); others see one grid of their input size ({@link ModelGrid}).
 * The one place where geometry and explanation meet, so every
 * front end (command line, Fiji, PACS batch) produces maps that land where the anatomy is.
 */
public final class Explainer {

    private final TorchModel model;
    private final Tiling tiling;

    public Explainer(TorchModel model) {
        this(model, Tiling.DEFAULT);
    }

    /** @param tiling sliding-window settings for segmentation models that declare a spacing */
    public Explainer(TorchModel model, Tiling tiling) {
        this.model = model;
        this.tiling = tiling;
    }

    /** Whether this package is run by sliding window: segmentation models that declare a spacing. */
    public static boolean slidingWindow(ModelPackage pkg) {
        return SlidingWindowExplainer.applies(pkg);
    }

    /** Explains without scoring the maps. */
    public Result explain(Volume source, TargetSpec targetSpec, Volume roi, List<AttributionMethod> methods, long seed,
                          Progress progress) {
        return explain(source, targetSpec, roi, methods, null, seed, progress);
    }

    /**
     * @param roi a 0/1 mask in any geometry of the same patient (resampled by nearest neighbour), or null
     * @param metrics which trust scores to compute for every map, or null for none
     */
    public Result explain(Volume source, TargetSpec targetSpec, Volume roi, List<AttributionMethod> methods,
                          MetricsRequest metrics, long seed, Progress progress) {
        return explain(List.of(source), targetSpec, roi, methods, metrics, seed, progress);
    }

    /**
     * A model with several input channels (T1 + FLAIR, say): one volume per channel, in the package's channel
     * order, each in any geometry of the same patient. The model grid and every map follow the first; each
     * channel is resampled from its own grid straight onto the model's (one interpolation, not two).
     */
    public Result explain(List<Volume> channels, TargetSpec targetSpec, Volume roi, List<AttributionMethod> methods,
                          MetricsRequest metrics, long seed, Progress progress) {
        ModelPackage pkg = model.modelPackage();
        for (int c = 0; c < channels.size(); c++) {
            Volume v = channels.get(c);
            int bad = v.firstNonFinite();
            if (bad >= 0) {
                int nx = v.geometry().nx(), ny = v.geometry().ny();
                throw new IllegalArgumentException((channels.size() > 1 ? "channel " + c + " " : "") + "contains NaN or infinite voxels (first at voxel "
                    + (bad % nx) + "," + ((bad / nx) % ny) + "," + (bad / (nx * ny)) + "); fill or mask them before explaining");
            }
        }
        if (pkg.channels() != channels.size()) {
            throw new IllegalArgumentException("model " + pkg.name() + " expects " + pkg.channels() + " input channel"
                + (pkg.channels() == 1 ? "" : "s") + pkg.describeChannels() + "; " + channels.size() + " given"
                + (pkg.channels() > 1 ? " (one --input per channel, in that order, or one 4D NIfTI)" : ""));
        }
        Volume source = channels.get(0);
        if (SlidingWindowExplainer.applies(pkg)) {
            return new SlidingWindowExplainer(model, tiling).explain(channels, targetSpec, roi, methods, metrics, seed, progress);
        }
        Geometry grid = ModelGrid.of(source.geometry(), pkg);
        Tensor input = prepare(pkg, channels, grid);
        List<Metric> metricList = metrics == null ? List.of() : metrics.create(grid);

        long t0 = System.nanoTime();
        Tensor output = model.forward(input);
        double forwardSeconds = (System.nanoTime() - t0) / 1e9;
        checkOutput(pkg, input, output);
        float[] roiOnGrid = roi == null ? null : maskOnGrid(roi, grid);
        Target target = targetSpec.resolve(pkg, output, roiOnGrid);
        Prediction prediction = Prediction.of(pkg, output, grid, source.geometry());

        List<MethodResult> results = new ArrayList<>();
        for (AttributionMethod m : methods) {
            long s = System.nanoTime();
            ExplainContext ctx = new ExplainContext(model, input, target, seed, progress);
            Attribution a = m.explain(ctx);
            double seconds = (System.nanoTime() - s) / 1e9;
            Volume onGrid = new Volume(grid, a.map().data());
            Volume onSource = Resampler.resample(onGrid, source.geometry(), Interpolation.LINEAR, 0f);
            List<MetricResult> scores = new ArrayList<>();
            for (Metric metric : metricList) scores.add(metric.evaluate(ctx, m, a));
            results.add(new MethodResult(m, a, onGrid, onSource, seconds, scores, channelMaps(a, grid, source.geometry())));
        }
        return new Result(grid, input, output, target, prediction, results, forwardSeconds);
    }

    /** Every channel resampled onto {@code grid} (trilinear) and preprocessed: the model input {@code [1, C, z, y, x]}. */
    static Tensor prepare(ModelPackage pkg, List<Volume> channels, Geometry grid) {
        List<Volume> resampled = new ArrayList<>();
        for (Volume v : channels) resampled.add(Resampler.resample(v, grid, Interpolation.LINEAR, 0f));
        List<Volume> prepared = Preprocessing.applyChannels(pkg.preprocessing(), resampled);
        int n = grid.nx() * grid.ny() * grid.nz();
        float[] data = prepared.size() == 1 ? prepared.get(0).data() : new float[Math.multiplyExact(n, prepared.size())];
        if (prepared.size() > 1) for (int c = 0; c < prepared.size(); c++) System.arraycopy(prepared.get(c).data(), 0, data, c * n, n);
        return new Tensor(data, pkg.inputShape(1, grid.dims()));
    }

    /** A multi-channel method's per-channel maps on the source grid; empty when it has none. */
    static List<Volume> channelMaps(Attribution a, Geometry grid, Geometry source) {
        if (a.channels() == null) return List.of();
        int c = (int) a.channels().dim(1);
        int n = grid.nx() * grid.ny() * grid.nz();
        float[] d = a.channels().data();
        List<Volume> out = new ArrayList<>();
        for (int k = 0; k < c; k++) {
            Volume onGrid = new Volume(grid, Arrays.copyOfRange(d, k * n, (k + 1) * n));
            out.add(Resampler.resample(onGrid, source, Interpolation.LINEAR, 0f));
        }
        return out;
    }

    static void checkOutput(ModelPackage pkg, Tensor input, Tensor output) {
        long[] s = output.shape();
        if (pkg.task() == ModelTask.CLASSIFICATION && s.length != 2) {
            throw new IllegalArgumentException("model " + pkg.name() + " is declared a classifier but returned shape "
                + Arrays.toString(s) + "; expected [batch, classes]");
        }
        if (pkg.task() == ModelTask.SEGMENTATION) {
            long[] in = input.shape();
            if (s.length != 5 || s[2] != in[2] || s[3] != in[3] || s[4] != in[4]) {
                throw new IllegalArgumentException("model " + pkg.name() + " is declared a segmentation model but returned shape "
                    + Arrays.toString(s) + "; expected [batch, classes, " + in[2] + ", " + in[3] + ", " + in[4] + "]");
            }
        }
    }

    /** A 0/1 mask from any grid of the same patient onto {@code grid} (nearest neighbour; outside = 0). */
    static float[] maskOnGrid(Volume mask, Geometry grid) {
        float[] r = Resampler.resample(mask, grid, Interpolation.NEAREST, 0f).data();
        float[] out = new float[r.length];
        for (int i = 0; i < r.length; i++) out[i] = r[i] != 0 ? 1f : 0f;
        return out;
    }

    /**
     * Which trust scores to compute for each map, with their options; a ground-truth mask (any grid of the same
     * patient) enables localisation.
     */
    public record MetricsRequest(String names, MetricCatalog.Options options, Volume groundTruth) {

        List<Metric> create(Geometry grid) {
            MetricCatalog.Options o = options == null ? MetricCatalog.Options.DEFAULTS : options;
            float[] gt = groundTruth == null ? null : maskOnGrid(groundTruth, grid);
            if (gt != null) {
                boolean any = false;
                for (float f : gt) any |= f != 0;
                if (!any) throw new IllegalArgumentException("the ground-truth mask is empty inside the model's field of view");
            }
            return MetricCatalog.parse(names, new MetricCatalog.Options(o.perturbations(), o.samples(), o.steps(), o.batchSize(), gt));
        }
    }

    /**
     * One method's map on the model grid and on the source grid, how long it took, and its trust scores; for a
     * multi-channel model, each input channel's own map on the source grid (empty otherwise, and for methods that
     * see all channels at once).
     */
    public record MethodResult(AttributionMethod method, Attribution attribution, Volume onModelGrid, Volume onSource,
                               double seconds, List<MetricResult> metrics, List<Volume> channelsOnSource) {

        public MethodResult(AttributionMethod method, Attribution attribution, Volume onModelGrid, Volume onSource,
                            double seconds, List<MetricResult> metrics) {
            this(method, attribution, onModelGrid, onSource, seconds, metrics, List.of());
        }
    }

    public record Result(Geometry modelGrid, Tensor modelInput, Tensor modelOutput, Target target, Prediction prediction,
                         List<MethodResult> methods, double forwardSeconds) {}

    /**
     * What the model said: class probabilities for a classifier; for a segmentation model the per-class voxel
     * counts and the label map on the source grid; and how the output was read ({@link OutputHead}).
     */
    public record Prediction(Map<String, Double> probabilities, String predictedClass, Map<String, Long> voxelCounts,
                             Volume labels, OutputHead head, String outputWarning) {

        static Prediction of(ModelPackage pkg, Tensor output, Geometry grid, Geometry source) {
            OutputHead head = OutputHead.of(pkg, (int) output.dim(1));
            if (pkg.task() == ModelTask.CLASSIFICATION) {
                float[] z = output.data();
                return new Prediction(head.probabilities(z), head.className(head.predictedClass(z)), Map.of(), null, head,
                    head.suspicion(z));
            }
            float[] labels = head.labels(output.data());
            long[] counts = new long[head.classes()];
            for (float l : labels) counts[(int) l]++;
            Map<String, Long> cnt = new LinkedHashMap<>();
            for (int c = 0; c < head.classes(); c++) cnt.put(head.className(c), counts[c]);
            Volume onSource = Resampler.resample(new Volume(grid, labels), source, Interpolation.NEAREST, 0f);
            return new Prediction(Map.of(), null, cnt, onSource, head, head.suspicion(output.data()));
        }
    }
}
