package org.voxellens.xai.attribution;

import java.util.LinkedHashMap;
import java.util.Map;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;

/**
 * SmoothGrad (Smilkov et al. 2017) and its relatives: gradients averaged over noisy copies of the input, which
 * removes the high-frequency speckle of raw gradients. SmoothGrad² averages squared gradients, VarGrad takes
 * their variance (Adebayo et al. 2018). Samples are evaluated in batches; the noise of sample s depends only on
 * the seed and s (see {@link NoiseSource}).
 */
public final class SmoothGrad implements AttributionMethod {

    public enum Variant {
        SMOOTHGRAD("smoothgrad"), SMOOTHGRAD_SQ("smoothgrad_sq"), VARGRAD("vargrad");

        private final String id;

        Variant(String id) { this.id = id; }

        public String id() { return id; }
    }

    private final Variant variant;
    private final int samples;
    private final double noiseFraction;
    private final int batchSize;
    private final NoiseSource noise;

    private SmoothGrad(Builder b) {
        this.variant = b.variant;
        this.samples = b.samples;
        this.noiseFraction = b.noiseFraction;
        this.batchSize = b.batchSize;
        this.noise = b.noise;
    }

    public static Builder builder() { return new Builder(); }

    @Override
    public String id() { return variant.id(); }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("samples", samples);
        p.put("noise_fraction", noiseFraction);
        p.put("noise", "gaussian, sigma = noise_fraction * (max - min) of the model input");
        p.put("batch_size", batchSize == 0 ? "auto" : batchSize);
        return p;
    }

    @Override
    public Attribution explain(ExplainContext ctx) {
        Tensor x = ctx.input();
        double sigma = noiseFraction * range(x.data());
        NoiseSource source = noise != null ? noise : NoiseSource.seeded(ctx.seed());
        int n = x.size();
        double[] sum, sumSq;
        int batch;
        boolean squares = variant != Variant.SMOOTHGRAD;
        try (TorchModel.GradientSums sums = ctx.model().gradientSums(x, null, squares)) {
            batch = BatchedGradients.run(ctx, id(), samples, batchSize, sums, (acc, start, b) -> {
                float[] noiseBatch = new float[b * n];
                for (int s = 0; s < b; s++) source.fill(noiseBatch, s * n, n, sigma, start + s);
                acc.addNoisy(noiseBatch, b, ctx.target());
            });
            sum = sums.sum();
            sumSq = squares ? sums.sumOfSquares() : null;
        }
        Gradients.checkFinite(id(), sum);
        if (sumSq != null) Gradients.checkFinite(id(), sumSq);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double mean = sum[i] / samples;
            double meanSq = sumSq == null ? 0 : sumSq[i] / samples;
            out[i] = (float) switch (variant) {
                case SMOOTHGRAD -> mean;
                case SMOOTHGRAD_SQ -> meanSq;
                case VARGRAD -> Math.max(0, meanSq - mean * mean);
            };
        }
        Tensor map = new Tensor(out, x.shape());
        Map<String, Object> diag = new LinkedHashMap<>();
        diag.put("sigma", sigma);
        diag.put("batch_size", batch);
        // SmoothGrad's mean gradient is signed; its per-channel sum is the map, shown as magnitude by renderers.
        return Attribution.ofChannels(id(), map, Gradients.sumChannels(map), variant == Variant.SMOOTHGRAD, diag);
    }

    private static double range(float[] d) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float f : d) {
            lo = Math.min(lo, f);
            hi = Math.max(hi, f);
        }
        return hi - lo;
    }

    public static final class Builder {
        private Variant variant = Variant.SMOOTHGRAD;
        private int samples = 25;
        private double noiseFraction = 0.15;
        private int batchSize = 8;
        private NoiseSource noise;

        public Builder variant(Variant v) { this.variant = v; return this; }

        public Builder samples(int n) {
            if (n < 1) throw new IllegalArgumentException("SmoothGrad needs at least 1 sample, got " + n);
            this.samples = n;
            return this;
        }

        /** Noise standard deviation as a fraction of the input's intensity range (Smilkov et al.: 0.1-0.2). */
        public Builder noiseFraction(double f) {
            if (!(f >= 0) || !Double.isFinite(f)) throw new IllegalArgumentException("noise fraction must be >= 0, got " + f);
            this.noiseFraction = f;
            return this;
        }

        /** Samples per forward+backward pass; 0 chooses from free memory ({@link org.voxellens.xai.runtime.BatchSizer}). */
        public Builder batchSize(int b) {
            if (b < 0) throw new IllegalArgumentException("batch size must be >= 1 (or 0 = from free memory), got " + b);
            this.batchSize = b;
            return this;
        }

        /** Replaces the seeded Gaussian noise (tests feed PyTorch's noise to compare with its reference). */
        public Builder noise(NoiseSource n) { this.noise = n; return this; }

        public SmoothGrad build() { return new SmoothGrad(this); }
    }
}
