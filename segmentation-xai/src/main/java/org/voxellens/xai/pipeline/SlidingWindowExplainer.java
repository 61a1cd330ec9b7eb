package org.voxellens.xai.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Interpolation;
import org.voxellens.volumetric.Resampler;
import org.voxellens.volumetric.SlidingWindow;
import org.voxellens.volumetric.Volume;
import org.voxellens.xai.attribution.Attribution;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.attribution.SinglePassMethod;
import org.voxellens.xai.metrics.Metric;
import org.voxellens.xai.metrics.MetricResult;
import org.voxellens.xai.metrics.TiledMetricResult;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.model.Preprocessing;
import org.voxellens.xai.runtime.BatchSizer;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.SegmentationTarget;
import org.voxellens.xai.target.Target;
import org.voxellens.xai.target.TargetSpec;

/**
 * Explains a volume larger than a segmentation model's input by sliding window: the source is resampled once onto a
 * grid at the model's spacing that covers all of it ({@link ModelGrid#covering}) and preprocessed as a whole (so
 * that z-scoring sees the whole volume, as nnU-Net does); inference runs tile by tile, tiles batched, and the
 * logits are blended with Gaussian weights ({@link SlidingWindow}). The target is resolved on the blended output,
 * so a predicted mask is the whole volume's; each tile then explains that mask's part inside it, and every
 * method's tile maps are blended with the same weights.
 *
 * <p>A tile whose part of the target mask is empty has a constant score (zero), hence a zero map for every method:
 * it is skipped and counts as zero in the blend. Memory: only the blended logits, the target mask, the prepared
 * input and one map accumulator per method are volume-sized; tiles are streamed.
 *
 * <p>Trust metrics: those that run the model or the method ({@link Metric#usesModel}) are evaluated on at most
 * {@link Tiling#metricTiles} explained tiles, those with the most target voxels, each with the tile's input, its
 * part of the target, the seed the method saw there and the method's own (un-blended) map of that tile, and joined
 * into a mean weighted by the tiles' target voxels ({@link TiledMetricResult}); only the scored tiles' maps are kept.
 * Map-only metrics (localisation) score the whole blended map on the grid against the ground truth on that grid.
 */
final class SlidingWindowExplainer {

    private final TorchModel model;
    private final Tiling tiling;

    SlidingWindowExplainer(TorchModel model, Tiling tiling) {
        this.model = model;
        this.tiling = tiling;
    }

    /** Segmentation models that declare a spacing are run by sliding window; classifiers see the whole volume. */
    static boolean applies(ModelPackage pkg) {
        return pkg.spacing() != null && pkg.task() == org.voxellens.xai.model.ModelTask.SEGMENTATION;
    }

    /** @param metrics trust scores for every map, or null for none */
    Explainer.Result explain(List<Volume> channels, TargetSpec targetSpec, Volume roi, List<AttributionMethod> methods,
                             Explainer.MetricsRequest metrics, long seed, Progress progress) {
        ModelPackage pkg = model.modelPackage();
        Volume source = channels.get(0);
        Geometry grid = ModelGrid.covering(source.geometry(), pkg);
        List<Metric> metricList = metrics == null ? List.of() : metrics.create(grid);
        // every channel on the covering grid, stacked channel-major ([C, z, y, x]) as the tiles are cut from it
        Tensor preparedInput = Explainer.prepare(pkg, channels, grid);
        float[] prepared = preparedInput.data();
        int[] tile = ModelGrid.inputSize(source.geometry(), pkg);
        SlidingWindow window = SlidingWindow.of(grid.dims(), tile, tiling.overlap());
        float[] weightSum = window.weightSum();
        long[] full = {1, 1, grid.nz(), grid.ny(), grid.nx()};

        long t0 = System.nanoTime();
        Tensor output = infer(window, prepared, weightSum, grid, progress);
        double forwardSeconds = (System.nanoTime() - t0) / 1e9;

        float[] roiOnGrid = roi == null ? null : Explainer.maskOnGrid(roi, grid);
        Target target = targetSpec.resolve(pkg, output, roiOnGrid);
        Explainer.Prediction prediction = Explainer.Prediction.of(pkg, output, grid, source.geometry());
        SegmentationTarget seg = (SegmentationTarget) target;
        long[] targetVoxels = targetVoxels(window, seg);
        int[] toScore = metricList.stream().anyMatch(Metric::usesModel) ? tilesToScore(targetVoxels, tiling.metricTiles()) : new int[0];
        Set<Integer> keep = IntStream.of(toScore).boxed().collect(Collectors.toSet());

        List<Explainer.MethodResult> results = new ArrayList<>();
        for (AttributionMethod m : methods) {
            long s = System.nanoTime();
            Map<Integer, Attribution> tileMaps = new HashMap<>();
            Attribution a = explainTiled(m, window, prepared, weightSum, seg, targetVoxels, keep, tileMaps, seed, progress, full);
            double seconds = (System.nanoTime() - s) / 1e9;
            Volume onGrid = new Volume(grid, a.map().data());
            Volume onSource = Resampler.resample(onGrid, source.geometry(), Interpolation.LINEAR, 0f);
            List<MetricResult> scores = new ArrayList<>();
            for (Metric metric : metricList) {
                scores.add(metric.usesModel()
                    ? scoreTiles(metric, m, tileMaps, toScore, window, prepared, seg, targetVoxels, seed, progress)
                    : metric.evaluate(new ExplainContext(model, preparedInput, seg, seed, progress), m, a));
            }
            results.add(new Explainer.MethodResult(m, a, onGrid, onSource, seconds, scores,
                Explainer.channelMaps(a, grid, source.geometry())));
        }
        return new Explainer.Result(grid, preparedInput, output, target, prediction, results, forwardSeconds);
    }

    /** Blended logits {@code [1, C, z, y, x]} on the whole grid. */
    private Tensor infer(SlidingWindow window, float[] prepared, float[] weightSum, Geometry grid, Progress progress) {
        ModelPackage pkg = model.modelPackage();
        int tv = window.tileVoxels(), tiles = window.count();
        int batch = Math.min(tiles, BatchSizer.choose(tiling.batchSize(), tv, BatchSizer.Pass.FORWARD, model.device()));
        float[] sums = null;
        int classes = 0;
        progress.step("inference", 0, tiles);
        for (int start = 0; start < tiles; start += batch) {
            int b = Math.min(batch, tiles - start);
            int c = pkg.channels();
            float[] in = new float[b * tv * c];
            for (int i = 0; i < b; i++) window.extract(prepared, c, start + i, in, i * tv * c);
            Tensor tileInput = new Tensor(in, pkg.inputShape(b, window.tileDims()));
            Tensor out = model.forward(tileInput);
            Explainer.checkOutput(pkg, tileInput, out);
            if (sums == null) {
                classes = (int) out.dim(1);
                sums = new float[Math.multiplyExact(classes, weightSum.length)];
            }
            for (int i = 0; i < b; i++) window.accumulate(out.data(), i * classes * tv, classes, start + i, sums);
            progress.step("inference", start + b, tiles);
        }
        SlidingWindow.normalise(sums, classes, weightSum);
        return new Tensor(sums, new long[] {1, classes, grid.nz(), grid.ny(), grid.nx()});
    }

    /**
     * @param targetVoxels the target's voxels in each tile ({@link #targetVoxels}); tiles with none are skipped
     * @param keep tiles whose own map goes into {@code tileMaps} (for the metrics)
     */
    private Attribution explainTiled(AttributionMethod m, SlidingWindow window, float[] prepared, float[] weightSum,
                                     SegmentationTarget target, long[] targetVoxels, Set<Integer> keep,
                                     Map<Integer, Attribution> tileMaps, long seed, Progress progress, long[] full) {
        if (m instanceof SinglePassMethod single) {
            return explainTiledBatched(single, window, prepared, weightSum, target, targetVoxels, keep, tileMaps, progress, full);
        }
        int tiles = window.count();
        Blend acc = new Blend(weightSum.length);
        Map<String, Double> maxima = new LinkedHashMap<>();
        Map<String, Long> totals = new LinkedHashMap<>();
        Boolean signed = null;
        int evaluated = 0;
        int[] unitsPerTile = {1};
        for (int t = 0; t < tiles; t++) {
            if (targetVoxels[t] == 0) {
                progress.step(m.id(), (t + 1) * unitsPerTile[0], tiles * unitsPerTile[0]);
                continue; // constant score: a zero map
            }
            Attribution a = m.explain(tileContext(window, prepared, target, targetVoxels, t, seed,
                tileProgress(progress, t, tiles, unitsPerTile)));
            acc.add(window, a, t);
            if (keep.contains(t)) tileMaps.put(t, a);
            signed = a.signed();
            evaluated++;
            merge(a.diagnostics(), maxima, totals);
        }
        return blended(m.id(), window, acc, weightSum, evaluated, signed, maxima, totals, full);
    }

    /**
     * A single-pass method (saliency, Input×Gradient, Grad-CAM) explains {@code batch} tiles per forward+backward:
     * each tile keeps its own part of the target mask (a per-sample mask), so the result equals explaining the
     * tiles one at a time.
     */
    private Attribution explainTiledBatched(SinglePassMethod m, SlidingWindow window, float[] prepared, float[] weightSum,
                                            SegmentationTarget target, long[] targetVoxels, Set<Integer> keep,
                                            Map<Integer, Attribution> tileMaps, Progress progress, long[] full) {
        ModelPackage pkg = model.modelPackage();
        int tv = window.tileVoxels(), tiles = window.count();
        Blend acc = new Blend(weightSum.length);
        // tiles without target voxels have a constant score: a zero map, skipped
        List<Integer> todo = IntStream.range(0, tiles).filter(t -> targetVoxels[t] > 0).boxed().toList();
        int batch = Math.max(1, Math.min(todo.size(),
            BatchSizer.choose(tiling.batchSize(), tv, BatchSizer.Pass.GRADIENT, model.device())));
        Map<String, Double> maxima = new LinkedHashMap<>();
        Map<String, Long> totals = new LinkedHashMap<>();
        Boolean signed = null;
        progress.step(m.id(), tiles - todo.size(), tiles);
        for (int start = 0; start < todo.size(); start += batch) {
            int b = Math.min(batch, todo.size() - start);
            int c = pkg.channels();
            float[] in = new float[b * tv * c];
            float[] masks = target.mask() == null ? null : new float[b * tv];
            long voxels = 0;
            for (int i = 0; i < b; i++) {
                int t = todo.get(start + i);
                window.extract(prepared, c, t, in, i * tv * c);
                if (masks != null) window.extract(target.mask(), 1, t, masks, i * tv);
            }
            if (masks != null) for (float f : masks) if (f != 0) voxels++;
            SegmentationTarget batchTarget = masks == null ? target
                : target.withMask(masks, voxels);
            List<Attribution> maps = m.explainBatch(model, new Tensor(in, pkg.inputShape(b, window.tileDims())), batchTarget);
            for (int i = 0; i < b; i++) {
                Attribution a = maps.get(i);
                int t = todo.get(start + i);
                acc.add(window, a, t);
                if (keep.contains(t)) tileMaps.put(t, a);
                signed = a.signed();
                merge(a.diagnostics(), maxima, totals);
            }
            progress.step(m.id(), tiles - todo.size() + start + b, tiles);
        }
        return blended(m.id(), window, acc, weightSum, todo.size(), signed, maxima, totals, full);
    }

    /**
     * One tile as the method sees it: the tile of the prepared input, the target's part inside the tile, and seed +
     * tile index (each tile draws its own noise: the same noise pattern in every tile would be correlated across the
     * overlaps), reproducibly for a given seed and tiling.
     */
    private ExplainContext tileContext(SlidingWindow window, float[] prepared, SegmentationTarget target, long[] targetVoxels,
                                       int t, long seed, Progress progress) {
        int c = model.modelPackage().channels();
        float[] in = new float[window.tileVoxels() * c];
        window.extract(prepared, c, t, in, 0);
        SegmentationTarget tileTarget = target;
        if (target.mask() != null) {
            float[] mask = new float[window.tileVoxels()];
            window.extract(target.mask(), 1, t, mask, 0);
            tileTarget = target.withMask(mask, targetVoxels[t]);
        }
        return new ExplainContext(model, new Tensor(in, model.modelPackage().inputShape(1, window.tileDims())), tileTarget, seed + t, progress);
    }

    /** The target's voxels inside each tile (every voxel of the tile when the target has no mask). */
    static long[] targetVoxels(SlidingWindow window, SegmentationTarget target) {
        long[] n = new long[window.count()];
        float[] mask = new float[window.tileVoxels()];
        for (int t = 0; t < n.length; t++) {
            if (target.mask() == null) {
                n[t] = mask.length;
                continue;
            }
            window.extract(target.mask(), 1, t, mask, 0);
            for (float f : mask) if (f != 0) n[t]++;
        }
        return n;
    }

    /**
     * The tiles the metrics score: at most {@code k} of those holding target voxels, most voxels first, ties by lower
     * index (deterministic).
     */
    static int[] tilesToScore(long[] targetVoxels, int k) {
        return IntStream.range(0, targetVoxels.length).filter(t -> targetVoxels[t] > 0).boxed()
            .sorted(Comparator.comparingLong((Integer t) -> -targetVoxels[t]).thenComparingInt(t -> t))
            .limit(k).mapToInt(Integer::intValue).toArray();
    }

    /**
     * A model-running metric on the scored tiles, in the order chosen, each evaluated by the metric itself on the tile
     * as the method explained it; one progress bar over the tiles, cancel checked inside the metric as usual.
     */
    private MetricResult scoreTiles(Metric metric, AttributionMethod m, Map<Integer, Attribution> tileMaps, int[] order,
                                    SlidingWindow window, float[] prepared, SegmentationTarget target, long[] targetVoxels,
                                    long seed, Progress progress) {
        int[] unitsPerTile = {1};
        List<TiledMetricResult.Tile> scored = new ArrayList<>();
        for (int i = 0; i < order.length; i++) {
            int t = order[i];
            ExplainContext ctx = tileContext(window, prepared, target, targetVoxels, t, seed,
                tileProgress(progress, i, order.length, unitsPerTile));
            scored.add(new TiledMetricResult.Tile(t, window.origin(t), targetVoxels[t], metric.evaluate(ctx, m, tileMaps.get(t))));
        }
        int explained = (int) Arrays.stream(targetVoxels).filter(v -> v > 0).count();
        return TiledMetricResult.join(metric, scored, explained, tiling.metricTiles(), window.tileDims());
    }

    private static void merge(Map<String, Object> diagnostics, Map<String, Double> maxima, Map<String, Long> totals) {
        for (Map.Entry<String, Object> e : diagnostics.entrySet()) {
            if (e.getValue() instanceof Number num && !(e.getValue() instanceof Float f && f.isNaN())) {
                maxima.merge(e.getKey(), Math.abs(num.doubleValue()), Math::max);
                // counts (model evaluations, passes) add up over the tiles
                if (num instanceof Long || num instanceof Integer) totals.merge(e.getKey(), num.longValue(), Long::sum);
            }
        }
    }

    /** The blended map, and each input channel's when the method gives them (multi-channel gradient methods). */
    private static final class Blend {
        final float[] map;
        float[] channels;
        int c;

        Blend(int voxels) { map = new float[voxels]; }

        void add(SlidingWindow window, Attribution a, int t) {
            window.accumulate(a.map().data(), 0, 1, t, map);
            if (a.channels() != null) {
                if (channels == null) {
                    c = (int) a.channels().dim(1);
                    channels = new float[Math.multiplyExact(c, map.length)];
                }
                window.accumulate(a.channels().data(), 0, c, t, channels);
            }
        }
    }

    private static Attribution blended(String id, SlidingWindow window, Blend blend, float[] weightSum, int evaluated,
                                       Boolean signed, Map<String, Double> maxima, Map<String, Long> totals, long[] full) {
        int tiles = window.count();
        float[] acc = blend.map;
        SlidingWindow.normalise(acc, 1, weightSum);
        Tensor channels = null;
        if (blend.channels != null) {
            SlidingWindow.normalise(blend.channels, blend.c, weightSum);
            channels = new Tensor(blend.channels, new long[] {1, blend.c, full[2], full[3], full[4]});
        }
        Map<String, Object> diag = new LinkedHashMap<>();
        Map<String, Object> sw = new LinkedHashMap<>();
        sw.put("tiles", tiles);
        sw.put("tiles_explained", evaluated);
        sw.put("tiles_skipped_outside_target", tiles - evaluated);
        sw.put("tile_size_xyz", window.tileDims());
        sw.put("overlap", window.overlap());
        sw.put("grid_xyz", window.volumeDims());
        sw.put("blending", "gaussian, sigma = tile/8");
        diag.put("sliding_window", sw);
        diag.put("per_tile_max_abs", maxima);
        diag.put("sum_over_tiles", totals);
        return new Attribution(id, new Tensor(acc, full), signed != null && signed, diag, channels);
    }

    /** One progress bar per method over all tiles; cancel is checked inside each tile's method as usual. */
    private static Progress tileProgress(Progress outer, int tile, int tiles, int[] unitsPerTile) {
        return new Progress() {
            @Override
            public void update(String stage, int done, int total) {
                unitsPerTile[0] = Math.max(1, total);
                outer.update(stage, tile * unitsPerTile[0] + done, tiles * unitsPerTile[0]);
            }

            @Override
            public boolean isCancelled() { return outer.isCancelled(); }
        };
    }
}
