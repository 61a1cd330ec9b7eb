package org.voxellens.xai.attribution;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;

/**
 * Integrated Gradients (Sundararajan et al. 2017): (x - x') times the gradient averaged along the straight path
 * from a baseline x' to x, by the midpoint rule. Its attributions should add up to f(x) - f(x'); the relative
 * completeness error is reported, since a large one means too few steps.
 *
 * <p>Baselines: {@code zero} (after z-scoring, the mean intensity) or {@code blur} (the input smoothed with a wide
 * Gaussian: keeps the overall intensity and removes the structure a lesion adds, so the path does not cross
 * images far outside the training distribution).
 */
public final class IntegratedGradients implements AttributionMethod {

    public enum Baseline { ZERO, BLUR }

    private final int steps;
    private final Baseline baseline;
    private final double blurSigmaVoxels;
    private final int batchSize;

    private IntegratedGradients(Builder b) {
        this.steps = b.steps;
        this.baseline = b.baseline;
        this.blurSigmaVoxels = b.blurSigmaVoxels;
        this.batchSize = b.batchSize;
    }

    public static Builder builder() { return new Builder(); }

    @Override
    public String id() { return "ig"; }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("steps", steps);
        p.put("rule", "riemann_midpoint");
        p.put("baseline", baseline.name().toLowerCase(Locale.ROOT));
        if (baseline == Baseline.BLUR) p.put("blur_sigma_voxels", blurSigmaVoxels);
        p.put("batch_size", batchSize == 0 ? "auto" : batchSize);
        return p;
    }

    @Override
    public Attribution explain(ExplainContext ctx) {
        Tensor x = ctx.input();
        Tensor base = baseline(x);
        int n = x.size();
        float[] xd = x.data(), bd = base.data();
        double[] gradSum;
        int batch;
        try (TorchModel.GradientSums sums = ctx.model().gradientSums(x, base, false)) {
            batch = BatchedGradients.run(ctx, id(), steps, batchSize, sums, (acc, start, b) -> {
                float[] alphas = new float[b];
                for (int s = 0; s < b; s++) alphas[s] = (float) ((start + s + 0.5) / steps);
                acc.addPath(alphas, ctx.target());
            });
            gradSum = sums.sum();
        }
        Gradients.checkFinite(id(), gradSum);
        float[] ig = new float[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            ig[i] = (float) ((xd[i] - bd[i]) * gradSum[i] / steps);
            total += ig[i];
        }
        float[] pair = new float[2 * n];
        System.arraycopy(xd, 0, pair, 0, n);
        System.arraycopy(bd, 0, pair, n, n);
        float[] f = ctx.model().scores(new Tensor(pair, x.batchShape(2)), ctx.target());
        double delta = (double) f[0] - f[1];
        Map<String, Object> diag = new LinkedHashMap<>();
        diag.put("batch_size", batch);
        diag.put("score_input", f[0]);
        diag.put("score_baseline", f[1]);
        diag.put("attribution_sum", total);
        diag.put("completeness_error_abs", Math.abs(total - delta));
        diag.put("completeness_error_rel", Math.abs(delta) > 0 ? Math.abs(total - delta) / Math.abs(delta) : Double.NaN);
        Tensor perChannel = new Tensor(ig, x.shape());
        return Attribution.ofChannels(id(), perChannel, Gradients.sumChannels(perChannel), true, diag);
    }

    private Tensor baseline(Tensor x) {
        if (baseline == Baseline.ZERO) return Tensor.zeros(x.shape());
        return Baselines.blurred(x, blurSigmaVoxels);
    }

    public static final class Builder {
        private int steps = 32;
        private Baseline baseline = Baseline.ZERO;
        private double blurSigmaVoxels = 8;
        private int batchSize = 8;

        public Builder steps(int n) {
            if (n < 1) throw new IllegalArgumentException("IG needs at least 1 step, got " + n);
            this.steps = n;
            return this;
        }

        public Builder baseline(Baseline b) { this.baseline = b; return this; }

        /** Width of the blurred baseline's Gaussian, in model-input voxels. */
        public Builder blurSigmaVoxels(double s) {
            if (!(s > 0)) throw new IllegalArgumentException("blur sigma must be > 0, got " + s);
            this.blurSigmaVoxels = s;
            return this;
        }

        /** Samples per forward+backward pass; 0 chooses from free memory ({@link org.voxellens.xai.runtime.BatchSizer}). */
        public Builder batchSize(int b) {
            if (b < 0) throw new IllegalArgumentException("batch size must be >= 1 (or 0 = from free memory), got " + b);
            this.batchSize = b;
            return this;
        }

        public IntegratedGradients build() { return new IntegratedGradients(this); }
    }
}
