package org.voxellens.xai.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.testing.RequiredTools;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.target.ClassLogitTarget;

/**
 * A TorchScript traced at batch 1 with the batch size baked in ({@code reshape(1, -1)}), as users' exports often
 * are: batched passes fail in libtorch, so VoxelLens runs such a model one sample at a time, gives the same numbers
 * as single-sample passes, and says so.
 */
class BatchFallbackTest {

    @TempDir
    Path dir;

    @Test
    void aModelThatOnlyRunsAtBatchOneIsRunSampleBySampleWithTheSameResults() throws Exception {
        Path py = RequiredTools.python3WithTorch();
        Process p = new ProcessBuilder(py.toString(), "-c", String.join("\n",
            "import torch, torch.nn as nn",
            "class Fixed(nn.Module):",
            "    def __init__(self):",
            "        super().__init__(); self.c = nn.Conv3d(1, 2, 3, padding=1); self.fc = nn.Linear(2 * 8 * 8 * 8, 2)",
            "    def forward(self, x):",
            "        return self.fc(torch.relu(self.c(x)).reshape(1, -1))",
            "torch.manual_seed(0)",
            "torch.jit.trace(Fixed().eval(), torch.zeros(1, 1, 8, 8, 8)).save('" + dir.resolve("model.pt") + "')"))
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        Files.writeString(dir.resolve("rdf.yaml"), String.join("\n",
            "format_version: 0.4.10", "type: model", "name: fixed batch",
            "inputs: [{name: input, axes: bczyx, data_type: float32, shape: [1, 1, 8, 8, 8]}]",
            "outputs: [{name: logits, axes: bc, shape: [1, 2]}]",
            "weights: {torchscript: {source: model.pt}}",
            "config: {voxellens: {task: classification, class_names: [a, b]}}", ""));
        float[] x = new float[3 * 512];
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        Tensor batch = new Tensor(x, new long[] {3, 1, 8, 8, 8});
        ClassLogitTarget target = new ClassLogitTarget(1, "b");
        float[] g0;
        try (TorchModel m = TorchModel.load(ModelPackage.open(dir), DeviceSpec.CPU)) {
            g0 = m.inputGradients(batch.sample(0), target).gradients().data();
            // the first batched pass of this model is a sum of gradients: its first sample must be counted once
            try (TorchModel.GradientSums sums = m.gradientSums(batch.sample(0), null, false)) {
                sums.addNoisy(new float[2 * 512], 2, target);
                assertTrue(m.batchNote().isPresent(), "the batched pass failed and fell back");
                double[] sum = sums.sum();
                for (int i = 0; i < 512; i++) assertEquals(2 * g0[i], sum[i], 1e-5 * (1 + Math.abs(g0[i])), "voxel " + i);
            }
        }
        try (TorchModel m = TorchModel.load(ModelPackage.open(dir), DeviceSpec.CPU)) {
            TorchModel.ScoredGradients one = m.inputGradients(batch.sample(2), target);
            assertTrue(m.batchNote().isEmpty(), "batch 1 is fine");
            TorchModel.ScoredGradients all = m.inputGradients(batch, target);
            assertTrue(m.batchNote().isPresent() && m.batchNote().get().contains("fails at batch 3"), m.batchNote().toString());
            assertEquals(3, all.scores().length);
            assertEquals(one.scores()[0], all.scores()[2], 0f);
            float[] g2 = java.util.Arrays.copyOfRange(all.gradients().data(), 2 * 512, 3 * 512);
            assertArrayEquals(one.gradients().data(), g2, 0f);
            assertArrayEquals(new long[] {3, 1, 8, 8, 8}, all.gradients().shape());
            float[] s = m.scores(batch, target);
            assertEquals(all.scores()[1], s[1], 1e-6f);
            try (TorchModel.GradientSums sums = m.gradientSums(batch.sample(0), null, false)) {
                sums.addNoisy(new float[2 * 512], 2, target); // two noiseless samples: twice the gradient
                double[] sum = sums.sum();
                for (int i = 0; i < 512; i++) assertEquals(2 * g0[i], sum[i], 1e-5 * (1 + Math.abs(g0[i])));
            }
        }
    }
}
