package org.voxellens.xai.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/**
 * The engine's known-answer check: its exact answers are right (checked against finite differences of its own
 * exact forward, which shares no code with its backward), it rejects a wrong gradient, and the guard passes on
 * this machine with the kernels it chose. Whether oneDNN's backward is exact here is measured, not assumed: the
 * guard must have rejected it exactly when a direct oneDNN run of the check fails.
 */
class EngineCheckTest {

    @Test
    void exactGradientMatchesFiniteDifferencesOfTheExactForward() {
        for (EngineCheck.Net net : EngineCheck.NETS) {
            EngineCheck.Exact e = new EngineCheck.Exact(net, 5);
            int voxels = net.size() * net.size() * net.size();
            // the network is linear: score(x + h e_i) - score(x) = h * gradient_i exactly (up to double rounding)
            for (int i : new int[] {0, voxels / 3, voxels - 1}) {
                float[] sample = java.util.Arrays.copyOf(e.input, voxels);
                double base = e.score(sample);
                assertEquals(e.scores[0], base, 0);
                sample[i] += 1f;
                double moved = e.score(sample);
                assertEquals(e.gradient[i], moved - base, 1e-9 * (1 + Math.abs(e.gradient[i])), net.name() + " voxel " + i);
            }
        }
    }

    @Test
    void rejectsAWrongOrNonFiniteGradientAndAcceptsTheExactOne() {
        EngineCheck.Net net = EngineCheck.NETS.get(2);
        EngineCheck.Exact e = new EngineCheck.Exact(net, 7);
        float[] g = new float[e.gradient.length * net.batch()];
        for (int i = 0; i < g.length; i++) g[i] = (float) e.gradient[i % e.gradient.length];
        assertTrue(e.gradientError(g) < 1e-6, "float32 rounding of the exact answer: " + e.gradientError(g));

        float[] wrong = g.clone();
        wrong[g.length - 5] += (float) (1e-3 * max(e.gradient)); // one voxel of the last sample, 0.1 % of the peak
        assertTrue(e.gradientError(wrong) > EngineCheck.TOLERANCE, "error " + e.gradientError(wrong));

        float[] nan = g.clone();
        nan[17] = Float.NaN;
        assertEquals(Double.POSITIVE_INFINITY, e.gradientError(nan));
    }

    @Test
    void guardPassesWithTheKernelsItChoseAndRejectedOneDnnOnlyWhereOneDnnIsWrong() {
        Device cpu = Device.cpu();
        TorchModel.Engines.configureOffline();
        try (NDManager m = NDManager.newBaseManager(cpu, "PyTorch")) {
            EngineGuard.Report report = EngineGuard.verify(m, cpu);
            System.out.println("engine check: " + report.describe() + "; cpu " + report.cpu());
            assertTrue(report.check().passed(), report.describe());
            assertEquals(report.kernels(), ConvolutionBackward.kernels());

            // Measure oneDNN's own backward directly, bypassing the guard, and libtorch's own kernels.
            ConvolutionBackward.Kernels chosen = ConvolutionBackward.kernels();
            try {
                assertTrue(ConvolutionBackward.use(ConvolutionBackward.Kernels.ONEDNN));
                EngineCheck.Result onednn = EngineCheck.run(m, cpu);
                assertTrue(ConvolutionBackward.use(ConvolutionBackward.Kernels.LIBTORCH), "libtorch's switch must be reachable");
                EngineCheck.Result libtorch = EngineCheck.run(m, cpu);
                System.out.println("oneDNN backward: " + onednn.worst().describe() + "; libtorch backward: "
                    + libtorch.worst().describe());
                assertTrue(libtorch.passed(), libtorch.worst().describe());
                if (report.choice() == ConvolutionBackward.Choice.AUTO) {
                    // auto keeps oneDNN exactly when it is exact here (a rerun of a wrong kernel stayed wrong in
                    // every probe: the 1-layer net failed on all of 20 calls)
                    assertEquals(onednn.passed(), report.rejected() == null, "oneDNN " + onednn.worst().describe());
                    assertEquals(onednn.passed() ? ConvolutionBackward.Kernels.ONEDNN : ConvolutionBackward.Kernels.LIBTORCH,
                        chosen);
                }
                if (report.rejected() != null) {
                    assertFalse(report.rejected().passed());
                    assertNotNull(report.toJson().get("rejected"));
                }
            } finally {
                ConvolutionBackward.use(chosen);
            }
        }
    }

    private static double max(double[] v) {
        double m = 0;
        for (double x : v) m = Math.max(m, Math.abs(x));
        return m;
    }
}
