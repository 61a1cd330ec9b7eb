package org.voxellens.xai.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.voxellens.xai.attribution.Attribution;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;

/**
 * Model-parameter randomisation sanity check (Adebayo et al. 2018). An explanation that depends on what the model
 * learned must change when the learned weights are destroyed.
 *
 * <p><b>Layers.</b> The TorchScript parameters are grouped by module prefix: the first {@code groupDepth} components
 * of the name (default 1: {@code block3.0.weight} and {@code block3.1.bias} form layer {@code block3}; a name with
 * fewer components is grouped by everything but its last). Layers are ordered by their first parameter's position
 * in the module (registration order, usually input → output), and randomised from the output backwards.
 *
 * <p><b>Randomisation.</b> Each parameter tensor of a layer is replaced by i.i.d. N(0, rms²) values, rms the root
 * mean square of the original tensor (keeps the scale a layer works at, destroys what was learned; an all-zero
 * tensor stays zero). Values depend only on the seed, the layer and the parameter. BatchNorm running statistics are
 * buffers, not parameters, and are kept.
 * <ul>
 *   <li>cascading (default): layers L, L−1, ..., 1 are randomised cumulatively, the map recomputed after each;</li>
 *   <li>independent (optional): each layer alone, the others original.</li>
 * </ul>
 * <p><b>Similarity</b> of the randomised map to the original, both as magnitudes |map|: Spearman rank correlation
 * (average ranks for ties; NaN, counted as "changed", when the randomised map is constant) and SSIM in 3D
 * ({@link MapStats#ssim3d}: each |map| divided by its maximum, data range 1, 7³ uniform window).
 *
 * <p><b>Verdict.</b> The method passes when, with every layer randomised (the last cascading step), the Spearman
 * correlation is below {@code threshold} (default 0.5): a map that still ranks voxels much as before once nothing
 * learned is left reflects the input, not the model.
 *
 * <p>Weights are changed in place and always restored (also on error or cancel) from copies taken first; the result
 * says whether the model's output on the input is bit-identical afterwards. Cost: one method evaluation per layer
 * and mode, each at the method's own cost. Not thread-safe with other users of the same model.
 */
public final class RandomisationCheck implements Metric {

    private final int groupDepth;
    private final boolean cascading;
    private final boolean independent;
    private final double threshold;
    private final int ssimWindow;

    private RandomisationCheck(Builder b) {
        this.groupDepth = b.groupDepth;
        this.cascading = b.cascading;
        this.independent = b.independent;
        this.threshold = b.threshold;
        this.ssimWindow = b.ssimWindow;
    }

    public static Builder builder() { return new Builder(); }

    @Override
    public String id() { return "randomisation"; }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("group_depth", groupDepth);
        p.put("cascading", cascading);
        p.put("independent", independent);
        p.put("randomisation", "N(0, rms(original)^2) per parameter tensor");
        p.put("similarity", "spearman and 3D SSIM of |map| (normalised to max 1, window " + ssimWindow + ")");
        p.put("pass_if", "spearman < " + threshold + " with every layer randomised");
        return p;
    }

    /** Parameter names grouped into layers, in module order (input → output). */
    public static List<Layer> layers(List<String> parameterNames, int groupDepth) {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (String name : parameterNames) {
            String[] parts = name.split("\\.");
            int depth = Math.min(groupDepth, Math.max(1, parts.length - 1));
            String key = String.join(".", Arrays.copyOfRange(parts, 0, depth));
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(name);
        }
        List<Layer> out = new ArrayList<>();
        groups.forEach((k, v) -> out.add(new Layer(k, List.copyOf(v))));
        return out;
    }

    @Override
    public Result evaluate(ExplainContext ctx, AttributionMethod method, Attribution attribution) {
        Cost.Meter meter = new Cost.Meter(ctx.model());
        TorchModel model = ctx.model();
        List<Layer> layers = layers(model.parameterNames(), groupDepth);
        if (layers.isEmpty()) throw new IllegalArgumentException("model " + model.modelPackage().name() + " exposes no parameters");
        long[] s = attribution.map().shape();
        int[] dims = {(int) s[2], (int) s[3], (int) s[4]};
        float[] original = MapStats.absNormalised(attribution.map().data());
        Tensor logitsBefore = model.forward(ctx.input());
        Map<String, Tensor> saved = new LinkedHashMap<>();
        for (String name : model.parameterNames()) saved.put(name, model.parameter(name));

        Progress outer = ctx.progress();
        Progress inner = new Progress() {
            @Override public void update(String stage, int done, int total) { }
            @Override public boolean isCancelled() { return outer.isCancelled(); }
        };
        int total = (cascading ? layers.size() : 0) + (independent ? layers.size() : 0);
        List<Step> cascade = new ArrayList<>(), single = new ArrayList<>();
        int done = 0;
        outer.step(id(), 0, total);
        try {
            if (cascading) {
                List<String> randomised = new ArrayList<>();
                for (int i = layers.size() - 1; i >= 0; i--) {
                    randomise(model, layers.get(i), i, saved, ctx.seed());
                    randomised.add(layers.get(i).name());
                    cascade.add(compare(ctx, method, inner, original, dims, List.copyOf(randomised)));
                    outer.step(id(), ++done, total);
                }
                restore(model, saved, saved.keySet());
            }
            if (independent) {
                for (int i = layers.size() - 1; i >= 0; i--) {
                    randomise(model, layers.get(i), i, saved, ctx.seed());
                    single.add(compare(ctx, method, inner, original, dims, List.of(layers.get(i).name())));
                    restore(model, saved, layers.get(i).parameters());
                    outer.step(id(), ++done, total);
                }
            }
        } finally {
            restore(model, saved, saved.keySet());
        }
        boolean restored = logitsBefore.equals(model.forward(ctx.input()));
        Boolean passed = null;
        if (cascading) {
            double rho = cascade.get(cascade.size() - 1).spearman();
            passed = !(rho >= threshold);
        }
        List<String> names = layers.stream().map(Layer::name).toList();
        return new Result(parameters(), names, cascade, single, passed, restored, meter.stop(total));
    }

    private Step compare(ExplainContext ctx, AttributionMethod method, Progress inner, float[] original, int[] dims,
                         List<String> randomised) {
        Attribution a = method.explain(new ExplainContext(ctx.model(), ctx.input(), ctx.target(), ctx.seed(), inner));
        float[] m = MapStats.absNormalised(a.map().data());
        return new Step(randomised, MapStats.spearman(original, m), MapStats.ssim3d(original, m, dims, ssimWindow, 1.0));
    }

    private static void randomise(TorchModel model, Layer layer, int layerIndex, Map<String, Tensor> saved, long seed) {
        int p = 0;
        for (String name : layer.parameters()) {
            Tensor orig = saved.get(name);
            double ss = 0;
            for (float f : orig.data()) ss += (double) f * f;
            double rms = Math.sqrt(ss / orig.size());
            SplittableRandom r = new SplittableRandom(PerturbationSource.streamSeed(seed, 0xADEB0L + layerIndex, p++));
            float[] v = new float[orig.size()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * rms);
            model.setParameter(name, new Tensor(v, orig.shape()));
        }
    }

    private static void restore(TorchModel model, Map<String, Tensor> saved, java.util.Collection<String> names) {
        for (String name : names) model.setParameter(name, saved.get(name));
    }

    /** A group of parameters randomised together. */
    public record Layer(String name, List<String> parameters) {}

    /** Similarity of |map| after randomising {@code randomisedLayers} to the original |map|. */
    public record Step(List<String> randomisedLayers, double spearman, double ssim) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("randomised", randomisedLayers);
            m.put("spearman", spearman);
            m.put("ssim", ssim);
            return m;
        }
    }

    /**
     * @param passed null when the cascading mode was not run
     * @param weightsRestored the model's output on the input is bit-identical to before the check
     */
    public record Result(Map<String, Object> parameters, List<String> layers, List<Step> cascading, List<Step> independent,
                         Boolean passed, boolean weightsRestored, Cost cost) implements MetricResult {

        @Override
        public String metric() { return "randomisation"; }

        @Override
        public Map<String, Object> values() {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("layers_input_to_output", layers);
            v.put("cascading", cascading.stream().map(Step::toMap).toList());
            if (!independent.isEmpty()) v.put("independent", independent.stream().map(Step::toMap).toList());
            v.put("passed", passed);
            v.put("weights_restored", weightsRestored);
            return v;
        }
    }

    public static final class Builder {
        private int groupDepth = 1;
        private boolean cascading = true;
        private boolean independent = false;
        private double threshold = 0.5;
        private int ssimWindow = 7;

        /** Name components that make a layer (default 1: top-level modules). */
        public Builder groupDepth(int d) {
            if (d < 1) throw new IllegalArgumentException("group depth must be >= 1, got " + d);
            this.groupDepth = d;
            return this;
        }

        public Builder cascading(boolean c) { this.cascading = c; return this; }

        /** Also randomise each layer alone (default off: doubles the cost). */
        public Builder independent(boolean i) { this.independent = i; return this; }

        /** Spearman correlation at or above which the fully randomised map counts as unchanged (default 0.5). */
        public Builder threshold(double t) { this.threshold = t; return this; }

        public Builder ssimWindow(int w) {
            if (w < 1 || w % 2 == 0) throw new IllegalArgumentException("SSIM window must be odd and >= 1, got " + w);
            this.ssimWindow = w;
            return this;
        }

        public RandomisationCheck build() {
            if (!cascading && !independent) throw new IllegalArgumentException("enable cascading or independent randomisation");
            return new RandomisationCheck(this);
        }
    }
}
