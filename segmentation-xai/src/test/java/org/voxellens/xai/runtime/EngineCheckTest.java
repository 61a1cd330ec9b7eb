package org.voxellens.xai.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The engine's known-answer check: its exact answers are right (against differences of its own exact forward,
 * which shares no code with its backward), it rejects a wrong or non-finite gradient, and the guard passes on this
 * machine with the kernels it chose. Whether oneDNN is exact here is measured, not assumed: when the guard
 * rejected the kernels it started with, a direct rerun of the check on those kernels must fail too.
 */
class EngineCheckTest {

    @Test
    void exactGradientMatchesDifferencesOfTheExactForward() {
        for (EngineCheck.Net net : EngineCheck.NETS) {
            EngineCheck.Exact e = new EngineCheck.Exact(net, 5);
            int voxels = net.size() * net.size() * net.size();
            // the network is linear: score(x + e_i) - score(x) = gradient_i (up to double rounding)
            for (int i : new int[] {0, voxels / 3, voxels - 1}) {
                float[] sample = Arrays.copyOf(e.input, voxels);
                double base = e.score(sample);
                assertEquals(base, e.scores[0], 1e-9 * (1 + Math.abs(base)), "the check's scores are the forward's");
                sample[i] += 1f;
                assertEquals(e.gradient[i], e.score(sample) - base, 1e-9 * (1 + Math.abs(base)), net.name() + " voxel " + i);
            }
        }
    }

    @Test
    void rejectsAWrongOrNonFiniteGradientAndAcceptsTheExactOne() {
        EngineCheck.Net net = EngineCheck.NETS.stream().filter(n -> n.batch() == 4).findFirst().orElseThrow();
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
    void guardPassesWithTheKernelsItChoseAndRejectedOthersOnlyWhenTheyAreWrong() {
        Device cpu = Device.cpu();
        TorchModel.Engines.configureOffline();
        try (NDManager m = NDManager.newBaseManager(cpu, "PyTorch")) {
            EngineGuard.Report report = EngineGuard.verify(m, cpu);
            System.out.println("engine check: " + report.describe() + "; cpu " + report.cpu());
            assertTrue(report.check().passed(), report.describe());
            assertEquals(report.check().kernels(), ConvolutionKernels.current());
            assertEquals(report, EngineGuard.verify(m, cpu), "checked once per process and device");

            // the chosen kernels rerun directly: still exact
            EngineCheck.Result again = EngineCheck.run(m, cpu);
            assertTrue(again.passed(), again.worst().describe());
            if (report.rejected() != null) {
                assertFalse(report.rejected().passed());
                assertEquals(ConvolutionKernels.Kernels.LIBTORCH, ConvolutionKernels.current());
                assertNotNull(report.toJson().get("rejected"));
            }
            assertEquals(true, report.toJson().get("passed"));
        }
    }

    @Test
    void childProcessesDoNotInheritTheIsaLimitThisProcessSetItself() throws Exception {
        TorchModel.Engines.check(Device.cpu());
        String userIsa = System.getenv(ConvolutionKernels.ISA_VARIABLE);
        Process p = new ProcessBuilder("sh", "-c", "echo \"[$" + ConvolutionKernels.ISA_VARIABLE + "]\"").start();
        String seen = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        p.waitFor();
        // the PyTorch references and other tools a run starts must run with their own defaults
        assertEquals("[" + (userIsa == null ? "" : userIsa) + "]", seen, "kernels " + ConvolutionKernels.current().label());
    }

    private static double max(double[] v) {
        double m = 0;
        for (double x : v) m = Math.max(m, Math.abs(x));
        return m;
    }
}
