package org.voxellens.xai.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.target.ClassLogitTarget;

/**
 * The TorchScript graph executor's optimiser is a per-thread libtorch switch that DJL only sets inside
 * {@code PtSymbolBlock.forward}; TorchModel bypasses that method, so it must set the switch itself. With the
 * optimiser on, a gradient pass runs through differentiable subgraphs (seen in libtorch's profiler as
 * {@code DifferentiableGraph} nodes, with ReLU's backward as {@code gt}/{@code mul}); with it off (our default) the
 * pass is plain autograd, as in the PyTorch reference.
 */
class TorchModelGraphExecutorTest {

    static final Path MODELS = Path.of(System.getProperty("voxellens.test.models", "../models"));

    @TempDir
    Path tmp;

    @Test
    void gradientPassesRunWithoutTheGraphOptimiser() throws Exception {
        try (TorchModel model = TorchModel.load(ModelPackage.open(MODELS.resolve("demo-classifier")), DeviceSpec.CPU)) {
            long[] shape = model.modelPackage().inputShape(1);
            float[] d = new float[(int) (shape[2] * shape[3] * shape[4])];
            SplittableRandom r = new SplittableRandom(3);
            for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
            Tensor x = new Tensor(d, shape);
            ClassLogitTarget target = new ClassLogitTarget(1, "lesion");
            model.inputGradients(x, target); // first run of a shape: where a profiling executor would specialise
            Path trace = tmp.resolve("trace.json");
            JniUtils.startProfile(false, false, false);
            try {
                model.inputGradients(x, target);
            } finally {
                JniUtils.stopProfile(trace.toString());
            }
            String t = Files.readString(trace, StandardCharsets.UTF_8);
            assertTrue(t.contains("convolution_backward"), "the profile recorded the pass");
            assertFalse(t.contains("DifferentiableGraph"), "the pass ran through the graph optimiser's differentiable subgraphs");
        }
    }
}
