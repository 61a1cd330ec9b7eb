package org.voxellens.xai.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.voxellens.xai.attribution.Attribution;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.runtime.Tensor;

/**
 * Explanation infidelity (Yeh et al. 2019, as Captum's {@code captum.metrics.infidelity}):
 *
 * <pre>  INFD = mean_k ( Σ_i I_k,i · Φ_i − [f(x) − f(x − I_k)] )²</pre>
 *
 * over N perturbations I_k, where f is the target score and Φ the map. Lower is better; 0 means the map predicts
 * the score change of every perturbation exactly. Two perturbation families:
 * <ul>
 *   <li>{@code GAUSSIAN} (default): I ~ N(0, σ²) per voxel, σ = {@code noiseFraction} (default 0.1) × (max − min) of
 *       the model input: Captum's default perturbation.</li>
 *   <li>{@code PATCHES}: {@code patchCount} (default 4) cubes of {@code patchSize}³ voxels (default 8) at random
 *       positions replaced by {@code patchBaseline} (default 0, the mean intensity after z-scoring); I = x − x̃. The
 *       volumetric analogue of Yeh et al.'s square removal.</li>
 * </ul>
 * The normalised variant (Captum's {@code normalize=True}) first rescales the map by the optimal β = Σ_k a_k Δ_k /
 * Σ_k a_k² (a_k = Σ I_k Φ, Δ_k = f(x) − f(x − I_k)), so only the map's shape, not its scale, is judged. Both are
 * reported.
 *
 * <p>Maps multiplied by the input (Input×Gradient, IG with a zero baseline) estimate contributions relative to 0, not
 * sensitivities; as Captum's {@code multiply_by_inputs}, their perturbation is then divided by the input:
 * Σ_i (I_i / x_i) Φ_i (where x_i = 0 it is divided by 1). Default: on for the method ids {@code inputxgrad} and
 * {@code ig}. Multi-channel inputs: the per-channel terms I_c (or I_c / x_c) are summed per voxel before the
 * product with the (channel-combined) map; exact for one channel.
 *
 * <p>Cost: 1 + N model samples, forward only, {@code batchSize} per pass. Perturbation k depends only on the
 * seed ({@code ctx.seed()}) and k.
 */
public final class Infidelity implements Metric {

    public enum Kind { GAUSSIAN, PATCHES }

    /** Method ids whose maps are multiplied by the input. */
    public static final Set<String> MULTIPLICATIVE = Set.of("inputxgrad", "ig");

    private final Kind kind;
    private final int perturbations;
    private final double noiseFraction;
    private final int patchSize;
    private final int patchCount;
    private final float patchBaseline;
    private final int batchSize;
    private final Boolean multiplyByInputs;
    private final PerturbationSource source;

    private Infidelity(Builder b) {
        this.kind = b.kind;
        this.perturbations = b.perturbations;
        this.noiseFraction = b.noiseFraction;
        this.patchSize = b.patchSize;
        this.patchCount = b.patchCount;
        this.patchBaseline = b.patchBaseline;
        this.batchSize = b.batchSize;
        this.multiplyByInputs = b.multiplyByInputs;
        this.source = b.source;
    }

    public static Builder builder() { return new Builder(); }

    @Override
    public String id() { return kind == Kind.PATCHES ? "infidelity_patches" : "infidelity"; }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("perturbation", source != null ? "custom" : kind.name().toLowerCase(Locale.ROOT));
        p.put("perturbations", perturbations);
        if (kind == Kind.GAUSSIAN) {
            p.put("noise_fraction", noiseFraction);
            p.put("noise", "I ~ N(0, sigma^2), sigma = noise_fraction * (max - min) of the model input");
        } else {
            p.put("patch_size_voxels", patchSize);
            p.put("patch_count", patchCount);
            p.put("patch_baseline", patchBaseline);
        }
        p.put("multiply_by_inputs", multiplyByInputs == null ? "auto (inputxgrad, ig)" : multiplyByInputs);
        p.put("batch_size", batchSize == 0 ? "auto" : batchSize);
        return p;
    }

    @Override
    public Result evaluate(ExplainContext ctx, AttributionMethod method, Attribution attribution) {
        Cost.Meter meter = new Cost.Meter(ctx.model());
        Tensor x = ctx.input();
        float[] xd = x.data();
        int n = x.size();
        float[] phi = attribution.map().data();
        int voxels = phi.length;
        // a multi-channel gradient method's own per-channel maps: I · phi over every input element, not a shared map
        float[] perChannel = attribution.channels() == null ? null : attribution.channels().data();
        if (n % voxels != 0) {
            throw new IllegalArgumentException("map of " + voxels + " voxels does not match the input " + x);
        }
        int channels = n / voxels;
        boolean mbi = multiplyByInputs != null ? multiplyByInputs : MULTIPLICATIVE.contains(method.id());
        double sigma = noiseFraction * range(xd);
        PerturbationSource src = source != null ? source : kind == Kind.GAUSSIAN
            ? PerturbationSource.gaussian(sigma, ctx.seed())
            : PerturbationSource.patches(spatial(x), patchSize, patchCount, patchBaseline, ctx.seed());

        double fx = ctx.model().scores(x, ctx.target())[0];
        double[] a = new double[perturbations], delta = new double[perturbations];
        ctx.progress().step(id(), 0, perturbations);
        int batchSize = org.voxellens.xai.runtime.BatchSizer.choose(this.batchSize, n,
            org.voxellens.xai.runtime.BatchSizer.Pass.FORWARD, ctx.model().device());
        for (int start = 0; start < perturbations; start += batchSize) {
            int b = Math.min(batchSize, perturbations - start);
            float[] batch = new float[b * n];
            float[] one = new float[n];
            for (int s = 0; s < b; s++) {
                src.fill(start + s, xd, one);
                System.arraycopy(one, 0, batch, s * n, n);
            }
            float[] f = ctx.model().scores(new Tensor(batch, x.batchShape(b)), ctx.target());
            for (int s = 0; s < b; s++) {
                double dot = 0;
                for (int v = 0; v < voxels; v++) {
                    double iv = 0;
                    for (int c = 0; c < channels; c++) {
                        int i = c * voxels + v;
                        double pert = (double) xd[i] - batch[s * n + i];
                        double term = mbi ? pert / (xd[i] != 0 ? xd[i] : 1) : pert;
                        if (perChannel != null) dot += term * perChannel[i];
                        else iv += term;
                    }
                    if (perChannel == null) dot += iv * phi[v];
                }
                a[start + s] = dot;
                delta[start + s] = fx - f[s];
            }
            ctx.progress().step(id(), start + b, perturbations);
        }
        double sad = 0, saa = 0, plain = 0;
        for (int k = 0; k < perturbations; k++) {
            sad += a[k] * delta[k];
            saa += a[k] * a[k];
            plain += (a[k] - delta[k]) * (a[k] - delta[k]);
        }
        double beta = saa != 0 ? sad / saa : 0;
        double normalised = 0;
        for (int k = 0; k < perturbations; k++) normalised += (beta * a[k] - delta[k]) * (beta * a[k] - delta[k]);
        Map<String, Object> params = parameters();
        params.put("multiply_by_inputs", mbi);
        if (kind == Kind.GAUSSIAN && source == null) params.put("sigma", sigma);
        return new Result(params, plain / perturbations, normalised / perturbations, beta, fx, a, delta,
            meter.stop(0));
    }

    static double range(float[] d) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float f : d) {
            lo = Math.min(lo, f);
            hi = Math.max(hi, f);
        }
        return hi - lo;
    }

    static int[] spatial(Tensor t) {
        long[] s = t.shape();
        return new int[] {(int) s[2], (int) s[3], (int) s[4]};
    }

    /**
     * @param attributionDotPerturbation a_k = Σ I_k Φ per perturbation
     * @param scoreDifferences Δ_k = f(x) − f(x − I_k) per perturbation
     */
    public record Result(Map<String, Object> parameters, double infidelity, double infidelityNormalised, double beta,
                         double scoreInput, double[] attributionDotPerturbation, double[] scoreDifferences, Cost cost)
        implements MetricResult {

        @Override
        public String metric() { return "patches".equals(parameters.get("perturbation")) ? "infidelity_patches" : "infidelity"; }

        @Override
        public Map<String, Object> values() {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("infidelity", infidelity);
            v.put("infidelity_normalised", infidelityNormalised);
            v.put("beta", beta);
            v.put("score_input", scoreInput);
            v.put("attribution_dot_perturbation", toList(attributionDotPerturbation));
            v.put("score_differences", toList(scoreDifferences));
            return v;
        }
    }

    static List<Double> toList(double[] v) {
        return java.util.Arrays.stream(v).boxed().toList();
    }

    public static final class Builder {
        private Kind kind = Kind.GAUSSIAN;
        private int perturbations = 32;
        private double noiseFraction = 0.1;
        private int patchSize = 8;
        private int patchCount = 4;
        private float patchBaseline = 0f;
        private int batchSize = 8;
        private Boolean multiplyByInputs;
        private PerturbationSource source;

        public Builder kind(Kind k) { this.kind = k; return this; }

        public Builder perturbations(int n) {
            if (n < 1) throw new IllegalArgumentException("infidelity needs at least 1 perturbation, got " + n);
            this.perturbations = n;
            return this;
        }

        /** Gaussian σ as a fraction of the model input's intensity range (default 0.1). */
        public Builder noiseFraction(double f) {
            if (!(f > 0) || !Double.isFinite(f)) throw new IllegalArgumentException("noise fraction must be > 0, got " + f);
            this.noiseFraction = f;
            return this;
        }

        /** Side of the removed cubes, in model-input voxels (default 8). */
        public Builder patchSize(int s) {
            if (s < 1) throw new IllegalArgumentException("patch size must be >= 1, got " + s);
            this.patchSize = s;
            return this;
        }

        /** Cubes per perturbation (default 4). */
        public Builder patchCount(int c) {
            if (c < 1) throw new IllegalArgumentException("patch count must be >= 1, got " + c);
            this.patchCount = c;
            return this;
        }

        /** Value the cubes are set to (default 0: the mean intensity after z-scoring). */
        public Builder patchBaseline(float v) { this.patchBaseline = v; return this; }

        /** Model samples per forward pass; 0 chooses from free memory ({@link org.voxellens.xai.runtime.BatchSizer}). */
        public Builder batchSize(int b) {
            if (b < 0) throw new IllegalArgumentException("batch size must be >= 1 (or 0 = from free memory), got " + b);
            this.batchSize = b;
            return this;
        }

        /** Force Captum's multiply_by_inputs on or off; null (default) decides by the method id. */
        public Builder multiplyByInputs(Boolean m) { this.multiplyByInputs = m; return this; }

        /** Replaces the seeded perturbations (tests feed PyTorch's saved ones). */
        public Builder perturbationSource(PerturbationSource s) { this.source = s; return this; }

        public Infidelity build() { return new Infidelity(this); }
    }
}
