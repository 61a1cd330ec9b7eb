package org.voxellens.xai.metrics;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.voxellens.xai.attribution.Attribution;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.Baselines;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.runtime.Tensor;

/**
 * Deletion and insertion curves (Petsiuk et al. 2018, RISE). Voxels are ranked by the map (largest first; ties by
 * voxel index, a stable sort), and at step k = 0..K the first n_k = floor(k·V / K) of the V voxels are
 * <ul>
 *   <li>deletion: set to the baseline in the input (every channel), starting from x — a good map makes the score
 *       fall fast (low area);</li>
 *   <li>insertion: copied from x into the baseline, starting from the baseline — a good map makes it rise fast
 *       (high area).</li>
 * </ul>
 * The curves are the target score (logit, or a segmentation target's summed logits; not a probability) at each
 * step; the areas use the trapezoid rule on the normalised abscissa k/K ∈ [0, 1].
 *
 * <p>Baselines: {@code ZERO} (a constant, default 0 = the mean intensity after z-scoring) or {@code BLUR} (the input
 * smoothed with a Gaussian of {@code blurSigmaVoxels}, default 8 voxels, as Integrated Gradients' blur baseline:
 * removes structure without creating an out-of-distribution hole). Ranking: {@code VALUE} (default; for signed
 * maps evidence for the target comes first) or {@code ABSOLUTE}.
 *
 * <p>Cost: 2(K+1) model samples, forward only, {@code batchSize} per pass.
 */
public final class DeletionInsertion implements Metric {

    public enum Baseline { ZERO, BLUR }

    public enum Ranking { VALUE, ABSOLUTE }

    private final int steps;
    private final Baseline baseline;
    private final float baselineValue;
    private final double blurSigmaVoxels;
    private final Ranking ranking;
    private final int batchSize;

    private DeletionInsertion(Builder b) {
        this.steps = b.steps;
        this.baseline = b.baseline;
        this.baselineValue = b.baselineValue;
        this.blurSigmaVoxels = b.blurSigmaVoxels;
        this.ranking = b.ranking;
        this.batchSize = b.batchSize;
    }

    public static Builder builder() { return new Builder(); }

    @Override
    public String id() { return "deletion_insertion"; }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("steps", steps);
        p.put("baseline", baseline.name().toLowerCase(Locale.ROOT));
        if (baseline == Baseline.ZERO) p.put("baseline_value", baselineValue);
        else p.put("blur_sigma_voxels", blurSigmaVoxels);
        p.put("ranking", ranking.name().toLowerCase(Locale.ROOT));
        p.put("voxels_at_step_k", "floor(k * V / steps), ties by voxel index");
        p.put("score", "target score (logits), not probabilities");
        p.put("auc", "trapezoid on k / steps in [0, 1]");
        p.put("batch_size", batchSize == 0 ? "auto" : batchSize);
        return p;
    }

    @Override
    public Result evaluate(ExplainContext ctx, AttributionMethod method, Attribution attribution) {
        return curves(ctx, attribution.map().data());
    }

    /** The curves for any map on the input's spatial grid (the map need not come from a method). */
    public Result curves(ExplainContext ctx, float[] map) {
        Cost.Meter meter = new Cost.Meter(ctx.model());
        Tensor x = ctx.input();
        float[] xd = x.data();
        int n = x.size(), voxels = map.length;
        if (n % voxels != 0) throw new IllegalArgumentException("map of " + voxels + " voxels does not match the input " + x);
        int channels = n / voxels;
        float[] rankBy = map;
        if (ranking == Ranking.ABSOLUTE) {
            rankBy = new float[voxels];
            for (int i = 0; i < voxels; i++) rankBy[i] = Math.abs(map[i]);
        }
        int[] order = MapStats.orderDescending(rankBy);
        float[] base = baseline(x);
        int points = steps + 1;
        double[] deletion = new double[points], insertion = new double[points];
        int total = 2 * points;
        ctx.progress().step(id(), 0, total);
        int batchSize = org.voxellens.xai.runtime.BatchSizer.choose(this.batchSize, n,
            org.voxellens.xai.runtime.BatchSizer.Pass.FORWARD, ctx.model().device());
        for (int start = 0; start < total; start += batchSize) {
            int b = Math.min(batchSize, total - start);
            float[] batch = new float[b * n];
            for (int s = 0; s < b; s++) {
                int j = start + s;
                boolean del = j < points;
                int k = del ? j : j - points;
                int count = (int) ((long) k * voxels / steps);
                System.arraycopy(del ? xd : base, 0, batch, s * n, n);
                float[] from = del ? base : xd;
                for (int r = 0; r < count; r++) {
                    int v = order[r];
                    for (int c = 0; c < channels; c++) batch[s * n + c * voxels + v] = from[c * voxels + v];
                }
            }
            float[] f = ctx.model().scores(new Tensor(batch, x.batchShape(b)), ctx.target());
            for (int s = 0; s < b; s++) {
                int j = start + s;
                if (j < points) deletion[j] = f[s];
                else insertion[j - points] = f[s];
            }
            ctx.progress().step(id(), start + b, total);
        }
        return new Result(parameters(), deletion, insertion, MapStats.trapezoidAuc(deletion), MapStats.trapezoidAuc(insertion),
            meter.stop(0));
    }

    private float[] baseline(Tensor x) {
        if (baseline == Baseline.ZERO) {
            float[] b = new float[x.size()];
            java.util.Arrays.fill(b, baselineValue);
            return b;
        }
        return Baselines.blurred(x, blurSigmaVoxels).data();
    }

    /** @param deletion score at steps 0..K (deletion[0] = f(x)); insertion[0] = f(baseline) */
    public record Result(Map<String, Object> parameters, double[] deletion, double[] insertion, double deletionAuc,
                         double insertionAuc, Cost cost) implements MetricResult {

        @Override
        public String metric() { return "deletion_insertion"; }

        @Override
        public Map<String, Object> values() {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("deletion_auc", deletionAuc);
            v.put("insertion_auc", insertionAuc);
            v.put("deletion_curve", Infidelity.toList(deletion));
            v.put("insertion_curve", Infidelity.toList(insertion));
            return v;
        }
    }

    public static final class Builder {
        private int steps = 16;
        private Baseline baseline = Baseline.ZERO;
        private float baselineValue = 0f;
        private double blurSigmaVoxels = 8;
        private Ranking ranking = Ranking.VALUE;
        private int batchSize = 8;

        /** K: the curve has K + 1 points (default 16). */
        public Builder steps(int k) {
            if (k < 1) throw new IllegalArgumentException("deletion/insertion needs at least 1 step, got " + k);
            this.steps = k;
            return this;
        }

        public Builder baseline(Baseline b) { this.baseline = b; return this; }

        /** Value of the {@code ZERO} baseline (default 0). */
        public Builder baselineValue(float v) { this.baselineValue = v; return this; }

        public Builder blurSigmaVoxels(double s) {
            if (!(s > 0)) throw new IllegalArgumentException("blur sigma must be > 0, got " + s);
            this.blurSigmaVoxels = s;
            return this;
        }

        public Builder ranking(Ranking r) { this.ranking = r; return this; }

        /** Model samples per forward pass; 0 chooses from free memory ({@link org.voxellens.xai.runtime.BatchSizer}). */
        public Builder batchSize(int b) {
            if (b < 0) throw new IllegalArgumentException("batch size must be >= 1 (or 0 = from free memory), got " + b);
            this.batchSize = b;
            return this;
        }

        public DeletionInsertion build() { return new DeletionInsertion(this); }
    }
}
