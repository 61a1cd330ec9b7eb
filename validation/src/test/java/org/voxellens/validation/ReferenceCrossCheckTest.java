package org.voxellens.validation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.voxellens.xai.attribution.Attribution;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.attribution.GradCam;
import org.voxellens.xai.attribution.InputXGradient;
import org.voxellens.xai.attribution.IntegratedGradients;
import org.voxellens.xai.attribution.NoiseSource;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.attribution.Saliency;
import org.voxellens.xai.attribution.SmoothGrad;
import org.voxellens.xai.model.GradCamLayer;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.SegmentationTarget;
import org.voxellens.xai.target.Target;
import org.voxellens.xai.target.TargetSpec;

/**
 * Every attribution method, run through DJL/libtorch 2.7 in Java, against the same method written independently
 * in PyTorch 1.13 (validation/python/make_references.py) on the same TorchScript file and input.
 *
 * <p>Tolerance: max |java - torch| <= TOL * max |torch| over the whole map (TOL = 1e-4; different libtorch
 * versions may pick different convolution kernels, so bit equality is not expected). VarGrad is a difference
 * of two nearly equal means, so it gets 1e-3.
 */
class ReferenceCrossCheckTest {

    static final double TOL = 1e-4;
    static final Path MODELS = Path.of("../models");

    abstract static class ModelCase {
        final String name;
        Reference ref;
        ModelPackage pkg;
        TorchModel model;
        Tensor input;
        Target target;

        ModelCase(String name) { this.name = name; }

        @BeforeAll
        void load() throws IOException {
            ref = new Reference(name);
            pkg = ModelPackage.open(MODELS.resolve(name));
            assertEquals(ref.manifest.get("model_sha256").getAsString(), pkg.verifiedSha256(),
                "the reference was computed on this model file");
            model = TorchModel.load(pkg, DeviceSpec.CPU);
            input = ref.tensor("input");
            target = new TargetSpec(Integer.toString(ref.manifest.get("target_class_index").getAsInt()), null)
                .resolve(pkg, model.forward(input), null);
        }

        @AfterAll
        void close() {
            if (model != null) model.close();
        }

        Attribution run(AttributionMethod m) {
            return m.explain(new ExplainContext(model, input, target, 7, Progress.NONE));
        }

        @Test
        void logits() throws IOException {
            assertClose("logits", ref.tensor("logits"), model.forward(input), TOL);
        }

        @Test
        void saliencyIsTheGradientMagnitude() throws IOException {
            Tensor g = ref.tensor("grad");
            float[] abs = new float[g.size()];
            for (int i = 0; i < abs.length; i++) abs[i] = Math.abs(g.data()[i]);
            assertClose("saliency", new Tensor(abs, g.shape()), run(new Saliency()).map(), TOL);
        }

        @Test
        void inputTimesGradient() throws IOException {
            Tensor g = ref.tensor("grad");
            float[] ixg = new float[g.size()];
            for (int i = 0; i < ixg.length; i++) ixg[i] = g.data()[i] * input.data()[i];
            assertClose("inputxgrad", new Tensor(ixg, g.shape()), run(new InputXGradient()).map(), TOL);
        }

        @Test
        void integratedGradientsAndCompleteness() throws IOException {
            JsonObject p = ref.parameters().getAsJsonObject("integrated_gradients");
            int steps = p.get("steps").getAsInt();
            Attribution a = run(IntegratedGradients.builder().steps(steps).batchSize(5).build());
            assertClose("ig", ref.tensor("ig_zero_" + steps), a.map(), TOL);
            double fx = p.get("f_x").getAsDouble(), fb = p.get("f_baseline").getAsDouble();
            assertEquals(fx, ((Number) a.diagnostics().get("score_input")).doubleValue(), 1e-4 * Math.max(1, Math.abs(fx)));
            assertEquals(fb, ((Number) a.diagnostics().get("score_baseline")).doubleValue(), 1e-4 * Math.max(1, Math.abs(fb)));
            // the same completeness error as PyTorch's, to within the tolerance of the sums
            double torchErr = p.get("completeness_relative_error").getAsDouble();
            double ours = ((Number) a.diagnostics().get("completeness_error_rel")).doubleValue();
            assertEquals(torchErr, ours, 1e-3 + 1e-2 * torchErr);
        }

        @Test
        void smoothGradFamilyWithTheReferenceNoise() throws IOException {
            Tensor noise = ref.tensor("noise");
            int samples = (int) noise.dim(0);
            NoiseSource fromTorch = (out, sigma, s) -> System.arraycopy(noise.data(), s * out.length, out, 0, out.length);
            JsonObject p = ref.parameters().getAsJsonObject("smoothgrad");
            for (SmoothGrad.Variant v : SmoothGrad.Variant.values()) {
                // batch size 2 does not divide the sample count: covers the short last batch
                Attribution a = run(SmoothGrad.builder().variant(v).samples(samples).batchSize(2).noise(fromTorch)
                    .noiseFraction(p.get("sigma_fraction").getAsDouble()).build());
                assertClose(v.id(), ref.tensor(v.id()), a.map(), v == SmoothGrad.Variant.VARGRAD ? 1e-3 : TOL);
                assertEquals(p.get("sigma").getAsDouble(), ((Number) a.diagnostics().get("sigma")).doubleValue(), 1e-5);
            }
        }

        @Test
        void gradCamAndGradCamPlusPlusAtEveryLayer() throws IOException {
            for (GradCamLayer layer : pkg.gradCamLayers()) {
                TorchModel.LayerGradients lg = model.layerGradients(input, target, layer);
                String l = layer.name();
                if (ref.has("activations_" + l)) {
                    assertClose("activations " + l, ref.tensor("activations_" + l), lg.activations(), TOL);
                    assertClose("layer gradient " + l, ref.tensor("layergrad_" + l), lg.gradients(), TOL);
                }
                assertClose("gradcam raw " + l, ref.tensor("gradcam_" + l + "_raw"), GradCam.cam(lg.activations(), lg.gradients()), TOL);
                assertClose("gradcam++ raw " + l, ref.tensor("gradcampp_" + l + "_raw"),
                    GradCam.camPlusPlus(lg.activations(), lg.gradients()), TOL);
                if (ref.has("gradcam_" + l)) {
                    assertClose("gradcam " + l, ref.tensor("gradcam_" + l), run(new GradCam(false, l)).map(), TOL);
                    assertClose("gradcam++ " + l, ref.tensor("gradcampp_" + l), run(new GradCam(true, l)).map(), TOL);
                }
            }
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Classifier extends ModelCase {
        Classifier() { super("demo-classifier"); }

        @Test
        void predictsTheLesion() {
            JsonObject p = ref.parameters();
            assertTrue(p.getAsJsonArray("probabilities").get(1).getAsDouble() > 0.5, "the reference input has a lesion");
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Segmenter extends ModelCase {
        Segmenter() { super("demo-segmenter"); }

        @Test
        void predictedMaskTargetIsTheReferenceMask() throws IOException {
            SegmentationTarget t = (SegmentationTarget) target;
            assertEquals(SegmentationTarget.Region.PREDICTED, t.region(), "the documented default region");
            assertArrayEquals(ref.tensor("target_mask").data(), t.mask());
        }

        @Test
        void wholeChannelTarget() throws IOException {
            Target channel = new TargetSpec("1", SegmentationTarget.Region.CHANNEL).resolve(pkg, model.forward(input), null);
            assertClose("grad over whole channel", ref.tensor("grad_channel"), model.inputGradients(input, channel).gradients(), TOL);
        }
    }

    /** max |actual - expected| <= tol * max |expected|, with shapes compared first. */
    static void assertClose(String what, Tensor expected, Tensor actual, double tol) {
        assertEquals(expected.size(), actual.size(), what + ": size");
        double maxRef = 0, maxErr = 0;
        float[] e = expected.data(), a = actual.data();
        for (int i = 0; i < e.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(e[i]));
            maxErr = Math.max(maxErr, Math.abs(e[i] - a[i]));
        }
        assertTrue(maxRef > 0, what + ": the reference is all zero, the comparison would prove nothing");
        System.out.printf(java.util.Locale.ROOT, "cross-check %-34s max |java - torch| / max |torch| = %.2e%n", what, maxErr / maxRef);
        assertTrue(maxErr <= tol * maxRef, String.format("%s: max error %.3g exceeds %.1g x max |ref| %.3g", what, maxErr, tol, maxRef));
    }
}
