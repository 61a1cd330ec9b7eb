package org.voxellens.xai.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.voxellens.xai.attribution.Attribution;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.attribution.InputXGradient;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.attribution.Saliency;
import org.voxellens.xai.attribution.SmoothGrad;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.ClassLogitTarget;

/**
 * Properties of the model-based metrics on two tiny TorchScript models (src/test/resources/metrics, made by
 * make_test_models.py): an exactly linear one, where the right maps have infidelity 0 and known deletion curves,
 * and a small CNN for the randomisation check.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelMetricsTest {

    static final Path RES = Path.of("src/test/resources/metrics");
    TorchModel linear, cnn;
    Tensor x;
    final ClassLogitTarget target = new ClassLogitTarget(1, "lesion");

    @BeforeAll
    void load() throws Exception {
        linear = TorchModel.load(ModelPackage.open(RES.resolve("linear")), DeviceSpec.CPU);
        cnn = TorchModel.load(ModelPackage.open(RES.resolve("cnn")), DeviceSpec.CPU);
        SplittableRandom r = new SplittableRandom(5);
        float[] v = new float[512];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        x = new Tensor(v, new long[] {1, 1, 8, 8, 8});
    }

    @AfterAll
    void close() {
        if (linear != null) linear.close();
        if (cnn != null) cnn.close();
    }

    ExplainContext ctx(TorchModel m) { return new ExplainContext(m, x, target, 42, Progress.NONE); }

    /** The signed gradient (SmoothGrad with one noiseless sample). */
    static AttributionMethod gradient() { return SmoothGrad.builder().samples(1).noiseFraction(0).build(); }

    @Test
    void exactMapsOfALinearModelHaveZeroInfidelity() {
        for (Infidelity.Kind kind : Infidelity.Kind.values()) {
            Infidelity inf = Infidelity.builder().kind(kind).perturbations(6).batchSize(4).patchSize(3).build();
            AttributionMethod g = gradient();
            Infidelity.Result rg = inf.evaluate(ctx(linear), g, g.explain(ctx(linear)));
            AttributionMethod ixg = new InputXGradient();
            Infidelity.Result rx = inf.evaluate(ctx(linear), ixg, ixg.explain(ctx(linear)));
            assertEquals(true, rx.parameters().get("multiply_by_inputs"));
            double scale = 0;
            for (double d : rg.scoreDifferences()) scale = Math.max(scale, d * d);
            assertTrue(scale > 1e-3, "perturbations move the score");
            assertEquals(0, rg.infidelity(), 1e-7 * scale, kind + " gradient");
            assertEquals(0, rx.infidelity(), 1e-7 * scale, kind + " input x gradient");
            assertEquals(1, rg.beta(), 1e-4);
            // negative control: |gradient| mispredicts the score changes (the linear weights have both signs)
            AttributionMethod sal = new Saliency();
            Infidelity.Result rs = inf.evaluate(ctx(linear), sal, sal.explain(ctx(linear)));
            assertTrue(rs.infidelity() > 1e-2 * scale, kind + " saliency " + rs.infidelity() + " vs " + scale);
            assertTrue(rs.infidelityNormalised() <= rs.infidelity() + 1e-12, "the optimal scaling can only help");
        }
    }

    @Test
    void infidelityDependsOnTheSeedNotTheBatchSize() {
        AttributionMethod sal = new Saliency();
        Attribution a = sal.explain(ctx(cnn));
        for (Infidelity.Kind kind : Infidelity.Kind.values()) {
            Infidelity.Result b1 = Infidelity.builder().kind(kind).perturbations(5).batchSize(1).patchSize(3).build().evaluate(ctx(cnn), sal, a);
            Infidelity.Result b4 = Infidelity.builder().kind(kind).perturbations(5).batchSize(4).patchSize(3).build().evaluate(ctx(cnn), sal, a);
            assertArrayEquals(b1.attributionDotPerturbation(), b4.attributionDotPerturbation(), 0);
            assertArrayEquals(b1.scoreDifferences(), b4.scoreDifferences(), 1e-5);
            assertEquals(6, b4.cost().modelSamples());
            assertEquals(3, b4.cost().modelPasses());
            assertEquals(kind == Infidelity.Kind.PATCHES ? "infidelity_patches" : "infidelity", b4.metric(),
                "the result names its kind, as on the command line");
            ExplainContext other = new ExplainContext(cnn, x, target, 43, Progress.NONE);
            Infidelity.Result s43 = Infidelity.builder().kind(kind).perturbations(5).patchSize(3).build().evaluate(other, sal, a);
            assertFalse(java.util.Arrays.equals(b1.attributionDotPerturbation(), s43.attributionDotPerturbation()));
        }
    }

    @Test
    void patchPerturbationsReplaceCubesByTheBaseline() {
        float[] in = new float[2 * 64];
        java.util.Arrays.fill(in, 3f);
        float[] out = new float[in.length];
        PerturbationSource.patches(new int[] {4, 4, 4}, 2, 1, -1f, 7).fill(0, in, out);
        int changed = 0;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1f) changed++;
            else assertEquals(3f, out[i]);
        }
        assertEquals(2 * 8, changed, "one 2^3 cube in each of 2 channels");
    }

    @Test
    void sensitivityOfAConstantMapIsZeroAndOfTheCnnGradientPositive() {
        AttributionMethod constant = new AttributionMethod() {
            public String id() { return "constant"; }
            public Map<String, Object> parameters() { return Map.of(); }
            public Attribution explain(ExplainContext c) {
                float[] v = new float[512];
                java.util.Arrays.fill(v, 2f);
                return new Attribution(id(), new Tensor(v, new long[] {1, 1, 8, 8, 8}), false, Map.of());
            }
        };
        SensitivityMax sens = SensitivityMax.builder().samples(3).radiusFraction(0.05).build();
        SensitivityMax.Result rc = sens.evaluate(ctx(cnn), constant, constant.explain(ctx(cnn)));
        assertEquals(0.0, rc.sensitivityMax());
        assertEquals(3, rc.cost().methodEvaluations());
        // the gradient of a linear model is the same everywhere
        AttributionMethod sal = new Saliency();
        assertEquals(0.0, sens.evaluate(ctx(linear), sal, sal.explain(ctx(linear))).sensitivityMax(), 1e-6);
        SensitivityMax.Result rs = sens.evaluate(ctx(cnn), sal, sal.explain(ctx(cnn)));
        assertTrue(rs.sensitivityMax() > 1e-4, "cnn saliency moves: " + rs.sensitivityMax());
        double max = 0;
        for (double s : rs.sensitivities()) max = Math.max(max, s);
        assertEquals(max, rs.sensitivityMax());
    }

    @Test
    void sensitivityReportsThatItMultipliesTheMethodsCost() {
        AttributionMethod sg = SmoothGrad.builder().samples(4).batchSize(2).build();
        SensitivityMax.Result r = SensitivityMax.builder().samples(3).build().evaluate(ctx(cnn), sg, sg.explain(ctx(cnn)));
        assertEquals(3, r.cost().methodEvaluations());
        assertEquals(12, r.cost().modelSamples());
        assertEquals(6, r.cost().modelPasses());
    }

    @Test
    void deletionAndInsertionCurvesOfALinearModelAreKnown() {
        float[] w = linear.parameter("lin.weight").data(); // [2, 1, 8, 8, 8]
        double bias = linear.parameter("lin.bias").data()[1];
        float[] contrib = new float[512];
        for (int v = 0; v < 512; v++) contrib[v] = w[512 + v] * x.data()[v];
        AttributionMethod ixg = new InputXGradient();
        Attribution a = ixg.explain(ctx(linear));
        assertArrayEquals(contrib, a.map().data(), 1e-6f);
        DeletionInsertion.Result r = DeletionInsertion.builder().steps(4).batchSize(3).build().evaluate(ctx(linear), ixg, a);
        Integer[] order = new Integer[512];
        for (int i = 0; i < 512; i++) order[i] = i;
        java.util.Arrays.sort(order, (p, q) -> Float.compare(contrib[q], contrib[p]));
        double full = bias;
        for (float c : contrib) full += c;
        for (int k = 0; k <= 4; k++) {
            double top = 0;
            for (int i = 0; i < k * 128; i++) top += contrib[order[i]];
            assertEquals(full - top, r.deletion()[k], 1e-4, "deletion step " + k);
            assertEquals(bias + top, r.insertion()[k], 1e-4, "insertion step " + k);
        }
        assertTrue(r.insertionAuc() > r.deletionAuc());
        double auc = (r.deletion()[0] / 2 + r.deletion()[1] + r.deletion()[2] + r.deletion()[3] + r.deletion()[4] / 2) / 4;
        assertEquals(auc, r.deletionAuc(), 1e-9);
        assertEquals(10, r.cost().modelSamples());
        // the blurred baseline differs from zero and still gives K + 1 points
        DeletionInsertion.Result blur = DeletionInsertion.builder().steps(2).baseline(DeletionInsertion.Baseline.BLUR)
            .blurSigmaVoxels(2).build().evaluate(ctx(linear), ixg, a);
        assertEquals(3, blur.deletion().length);
        assertEquals(r.deletion()[0], blur.deletion()[0], 1e-5);
        assertTrue(Math.abs(blur.insertion()[0] - bias) > 1e-6);
    }

    @Test
    void randomisationRestoresTheWeightsAndFlagsAModelIndependentMap() {
        assertEquals(List.of("conv1", "conv2", "fc"),
            RandomisationCheck.layers(cnn.parameterNames(), 1).stream().map(RandomisationCheck.Layer::name).toList());
        Tensor logits = cnn.forward(x);
        Tensor w1 = cnn.parameter("conv1.weight");
        AttributionMethod sal = new Saliency();
        RandomisationCheck check = RandomisationCheck.builder().independent(true).build();
        RandomisationCheck.Result r = check.evaluate(ctx(cnn), sal, sal.explain(ctx(cnn)));
        assertTrue(r.weightsRestored());
        assertEquals(logits, cnn.forward(x), "bit-identical logits after the check");
        assertEquals(w1, cnn.parameter("conv1.weight"));
        assertEquals(3, r.cascading().size());
        assertEquals(List.of("fc", "conv2", "conv1"), r.cascading().get(2).randomisedLayers());
        assertEquals(3, r.independent().size());
        assertTrue(r.cascading().get(2).spearman() < 0.9, "saliency changes: " + r.cascading());
        assertEquals(6, r.cost().methodEvaluations());

        // |input| does not depend on the model: the check must fail it
        AttributionMethod edge = new AttributionMethod() {
            public String id() { return "abs_input"; }
            public Map<String, Object> parameters() { return Map.of(); }
            public Attribution explain(ExplainContext c) { return new Attribution(id(), c.input(), false, Map.of()); }
        };
        RandomisationCheck.Result bad = RandomisationCheck.builder().build().evaluate(ctx(cnn), edge, edge.explain(ctx(cnn)));
        assertFalse(bad.passed());
        assertEquals(1.0, bad.cascading().get(2).spearman(), 1e-12);
        assertEquals(1.0, bad.cascading().get(2).ssim(), 1e-9);
    }

    @Test
    void randomisationRestoresTheWeightsWhenCancelled() {
        Tensor logits = cnn.forward(x);
        int[] calls = {0};
        Progress cancelAfterOneLayer = new Progress() {
            public void update(String stage, int done, int total) { calls[0] = done; }
            public boolean isCancelled() { return calls[0] >= 1; }
        };
        AttributionMethod sal = new Saliency();
        Attribution a = sal.explain(ctx(cnn));
        assertThrows(CancellationException.class, () -> RandomisationCheck.builder().build()
            .evaluate(new ExplainContext(cnn, x, target, 42, cancelAfterOneLayer), sal, a));
        assertEquals(logits, cnn.forward(x));
    }

    @Test
    void infidelityHonoursCancel() {
        Progress cancelled = new Progress() {
            public void update(String stage, int done, int total) { }
            public boolean isCancelled() { return true; }
        };
        AttributionMethod sal = new Saliency();
        Attribution a = sal.explain(ctx(cnn));
        assertThrows(CancellationException.class, () -> Infidelity.builder().build()
            .evaluate(new ExplainContext(cnn, x, target, 42, cancelled), sal, a));
    }
}
