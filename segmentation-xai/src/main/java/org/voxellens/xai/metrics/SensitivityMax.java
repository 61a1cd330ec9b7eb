package org.voxellens.xai.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import org.voxellens.xai.attribution.Attribution;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.runtime.Tensor;

/**
 * Max-sensitivity (Yeh et al. 2019, as Captum's {@code sensitivity_max} with {@code norm_ord="fro"}):
 *
 * <pre>  SENS = max_k ‖Φ(x̃_k) − Φ(x)‖_F / ‖Φ(x)‖_F,   x̃_k uniform in the L∞ ball of radius r around x</pre>
 *
 * r = {@code radiusFraction} (default 0.02, Captum's default radius for unit-range inputs) × (max − min) of the
 * model input; N = {@code samples} (default 10, Captum's default). Lower is better: a map that does not move under
 * imperceptible input changes. Where ‖Φ(x)‖ = 0 the difference is divided by 1 (Captum's safe_div); a method whose
 * map never changes (e.g. a constant) scores 0.
 *
 * <p>The method is re-run at every sample point with the same target and seed (SmoothGrad sees the same noise at
 * every point, so its own sampling does not count as sensitivity). Cost: N method evaluations, i.e. N × the
 * method's own cost; SmoothGrad with S samples costs N·S gradient samples. {@link Cost} reports both.
 */
public final class SensitivityMax implements Metric {

    private final int samples;
    private final double radiusFraction;
    private final PerturbationSource source;

    private SensitivityMax(Builder b) {
        this.samples = b.samples;
        this.radiusFraction = b.radiusFraction;
        this.source = b.source;
    }

    public static Builder builder() { return new Builder(); }

    @Override
    public String id() { return "sensitivity"; }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("samples", samples);
        p.put("radius_fraction", radiusFraction);
        p.put("sampling", source != null ? "custom" : "uniform in the L-infinity ball, radius = radius_fraction * (max - min) of the model input");
        p.put("norm", "frobenius");
        return p;
    }

    @Override
    public Result evaluate(ExplainContext ctx, AttributionMethod method, Attribution attribution) {
        Cost.Meter meter = new Cost.Meter(ctx.model());
        Tensor x = ctx.input();
        double radius = radiusFraction * Infidelity.range(x.data());
        PerturbationSource src = source != null ? source : PerturbationSource.uniformBall(radius, ctx.seed());
        float[] phi0 = attribution.map().data();
        double norm0 = 0;
        for (float f : phi0) norm0 += (double) f * f;
        norm0 = Math.sqrt(norm0);
        double denom = norm0 != 0 ? norm0 : 1;
        // the inner method reports nothing (its stages would interleave with ours) but still sees a cancel
        Progress outer = ctx.progress();
        Progress inner = new Progress() {
            @Override public void update(String stage, int done, int total) { }
            @Override public boolean isCancelled() { return outer.isCancelled(); }
        };
        double[] sens = new double[samples];
        double max = 0;
        float[] xt = new float[x.size()];
        outer.step(id(), 0, samples);
        for (int k = 0; k < samples; k++) {
            src.fill(k, x.data(), xt);
            Tensor xk = new Tensor(xt.clone(), x.shape());
            float[] phi = method.explain(new ExplainContext(ctx.model(), xk, ctx.target(), ctx.seed(), inner)).map().data();
            if (phi.length != phi0.length) throw new IllegalStateException(method.id() + " returned maps of different sizes");
            double d = 0;
            for (int i = 0; i < phi.length; i++) {
                double diff = (double) phi[i] - phi0[i];
                d += diff * diff;
            }
            sens[k] = Math.sqrt(d) / denom;
            max = Math.max(max, sens[k]);
            outer.step(id(), k + 1, samples);
        }
        Map<String, Object> params = parameters();
        if (source == null) params.put("radius", radius);
        return new Result(params, max, sens, norm0, meter.stop(samples));
    }

    /** @param sensitivities ‖Φ(x̃_k) − Φ(x)‖ / ‖Φ(x)‖ per sample point */
    public record Result(Map<String, Object> parameters, double sensitivityMax, double[] sensitivities, double mapNorm, Cost cost)
        implements MetricResult {

        @Override
        public String metric() { return "sensitivity"; }

        @Override
        public Map<String, Object> values() {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("sensitivity_max", sensitivityMax);
            v.put("sensitivities", Infidelity.toList(sensitivities));
            v.put("map_norm", mapNorm);
            v.put("note", "the method was re-run " + sensitivities.length + " times: its cost multiplied by " + sensitivities.length);
            return v;
        }
    }

    public static final class Builder {
        private int samples = 10;
        private double radiusFraction = 0.02;
        private PerturbationSource source;

        public Builder samples(int n) {
            if (n < 1) throw new IllegalArgumentException("sensitivity needs at least 1 sample, got " + n);
            this.samples = n;
            return this;
        }

        /** L∞ radius as a fraction of the model input's intensity range (default 0.02). */
        public Builder radiusFraction(double r) {
            if (!(r > 0) || !Double.isFinite(r)) throw new IllegalArgumentException("radius fraction must be > 0, got " + r);
            this.radiusFraction = r;
            return this;
        }

        /** Replaces the seeded sample points (tests feed PyTorch's saved ones). */
        public Builder perturbationSource(PerturbationSource s) { this.source = s; return this; }

        public SensitivityMax build() { return new SensitivityMax(this); }
    }
}
