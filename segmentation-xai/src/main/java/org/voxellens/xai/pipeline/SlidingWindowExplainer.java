package org.voxellens.xai.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    Explainer.Result explain(Volume source, TargetSpec targetSpec, Volume roi, List<AttributionMethod> methods, long seed,
                             Progress progress) {
        ModelPackage pkg = model.modelPackage();
        Geometry grid = ModelGrid.covering(source.geometry(), pkg);
        float[] prepared = Preprocessing.apply(pkg.preprocessing(),
            Resampler.resample(source, grid, Interpolation.LINEAR, 0f)).data();
        SlidingWindow window = SlidingWindow.of(grid.dims(), pkg.inputSize(), tiling.overlap());
        float[] weightSum = window.weightSum();
        long[] full = {1, 1, grid.nz(), grid.ny(), grid.nx()};

        long t0 = System.nanoTime();
        Tensor output = infer(window, prepared, weightSum, grid, progress);
        double forwardSeconds = (System.nanoTime() - t0) / 1e9;

        float[] roiOnGrid = roi == null ? null : Explainer.maskOnGrid(roi, grid);
        Target target = targetSpec.resolve(pkg, output, roiOnGrid);
        Explainer.Prediction prediction = Explainer.Prediction.of(pkg, output, grid, source.geometry());
        SegmentationTarget seg = (SegmentationTarget) target;

        List<Explainer.MethodResult> results = new ArrayList<>();
        for (AttributionMethod m : methods) {
            long s = System.nanoTime();
            Attribution a = explainTiled(m, window, prepared, weightSum, seg, seed, progress, full);
            double seconds = (System.nanoTime() - s) / 1e9;
            Volume onGrid = new Volume(grid, a.map().data());
            Volume onSource = Resampler.resample(onGrid, source.geometry(), Interpolation.LINEAR, 0f);
            results.add(new Explainer.MethodResult(m, a, onGrid, onSource, seconds, List.of()));
        }
        return new Explainer.Result(grid, new Tensor(prepared, full), output, target, prediction, results, forwardSeconds);
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
            float[] in = new float[b * tv];
            for (int i = 0; i < b; i++) window.extract(prepared, 1, start + i, in, i * tv);
            Tensor out = model.forward(new Tensor(in, pkg.inputShape(b)));
            Explainer.checkOutput(pkg, out);
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

    private Attribution explainTiled(AttributionMethod m, SlidingWindow window, float[] prepared, float[] weightSum,
                                     SegmentationTarget target, long seed, Progress progress, long[] full) {
        if (m instanceof SinglePassMethod single) {
            return explainTiledBatched(single, window, prepared, weightSum, target, progress, full);
        }
        ModelPackage pkg = model.modelPackage();
        int tv = window.tileVoxels(), tiles = window.count();
        float[] acc = new float[weightSum.length];
        float[] tileMask = target.mask() == null ? null : new float[tv];
        Map<String, Double> maxima = new LinkedHashMap<>();
        Map<String, Long> totals = new LinkedHashMap<>();
        Boolean signed = null;
        int evaluated = 0;
        int[] unitsPerTile = {1};
        for (int t = 0; t < tiles; t++) {
            SegmentationTarget tileTarget = target;
            if (tileMask != null) {
                window.extract(target.mask(), 1, t, tileMask, 0);
                long n = 0;
                for (float f : tileMask) if (f != 0) n++;
                if (n == 0) {
                    progress.step(m.id(), (t + 1) * unitsPerTile[0], tiles * unitsPerTile[0]);
                    continue; // constant score: a zero map
                }
                tileTarget = new SegmentationTarget(target.classIndex(), target.className(), target.region(), tileMask.clone(), n);
            }
            float[] in = new float[tv];
            window.extract(prepared, 1, t, in, 0);
            // seed + t: each tile draws its own noise (the same noise pattern in every tile would be correlated across
            // the overlaps), reproducibly for a given seed and tiling
            Attribution a = m.explain(new ExplainContext(model, new Tensor(in, pkg.inputShape(1)), tileTarget, seed + t,
                tileProgress(progress, t, tiles, unitsPerTile)));
            window.accumulate(a.map().data(), 0, 1, t, acc);
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
                                            SegmentationTarget target, Progress progress, long[] full) {
        ModelPackage pkg = model.modelPackage();
        int tv = window.tileVoxels(), tiles = window.count();
        float[] acc = new float[weightSum.length];
        float[] tileMask = new float[tv];
        List<Integer> todo = new ArrayList<>();
        for (int t = 0; t < tiles; t++) {
            if (target.mask() == null) {
                todo.add(t);
                continue;
            }
            window.extract(target.mask(), 1, t, tileMask, 0);
            for (float f : tileMask) {
                if (f != 0) {
                    todo.add(t); // tiles without target voxels have a constant score: a zero map, skipped
                    break;
                }
            }
        }
        int batch = Math.max(1, Math.min(todo.size(),
            BatchSizer.choose(tiling.batchSize(), tv, BatchSizer.Pass.GRADIENT, model.device())));
        Map<String, Double> maxima = new LinkedHashMap<>();
        Map<String, Long> totals = new LinkedHashMap<>();
        Boolean signed = null;
        progress.step(m.id(), tiles - todo.size(), tiles);
        for (int start = 0; start < todo.size(); start += batch) {
            int b = Math.min(batch, todo.size() - start);
            float[] in = new float[b * tv];
            float[] masks = target.mask() == null ? null : new float[b * tv];
            long voxels = 0;
            for (int i = 0; i < b; i++) {
                int t = todo.get(start + i);
                window.extract(prepared, 1, t, in, i * tv);
                if (masks != null) window.extract(target.mask(), 1, t, masks, i * tv);
            }
            if (masks != null) for (float f : masks) if (f != 0) voxels++;
            SegmentationTarget batchTarget = masks == null ? target
                : new SegmentationTarget(target.classIndex(), target.className(), target.region(), masks, voxels);
            List<Attribution> maps = m.explainBatch(model, new Tensor(in, pkg.inputShape(b)), batchTarget);
            for (int i = 0; i < b; i++) {
                Attribution a = maps.get(i);
                window.accumulate(a.map().data(), 0, 1, todo.get(start + i), acc);
                signed = a.signed();
                merge(a.diagnostics(), maxima, totals);
            }
            progress.step(m.id(), tiles - todo.size() + start + b, tiles);
        }
        return blended(m.id(), window, acc, weightSum, todo.size(), signed, maxima, totals, full);
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

    private static Attribution blended(String id, SlidingWindow window, float[] acc, float[] weightSum, int evaluated,
                                       Boolean signed, Map<String, Double> maxima, Map<String, Long> totals, long[] full) {
        int tiles = window.count();
        SlidingWindow.normalise(acc, 1, weightSum);
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
        return new Attribution(id, new Tensor(acc, full), signed != null && signed, diag);
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
