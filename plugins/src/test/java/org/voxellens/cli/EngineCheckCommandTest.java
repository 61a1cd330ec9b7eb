package org.voxellens.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.io.nifti.NiftiReader;

/**
 * The engine's known-answer check as a user meets it, on a machine that has never run VoxelLens (a fresh record
 * folder): every explain run records the check in summary.json and the log; where the first start rejects oneDNN
 * as shipped it falls back to libtorch's own kernels, and the next start begins with oneDNN limited to SSE4.1;
 * pinning the rejected kernels ({@code VOXELLENS_CONV_KERNELS=onednn}, the fix switched off) refuses with one line
 * naming the check and the CPU and writes nothing; every exact choice gives the same maps. Each run is a fresh JVM
 * (the check runs once per process) with the launcher's settings inherited from the test JVM (offline engine,
 * preloaded malloc).
 */
class EngineCheckCommandTest {

    record Child(int code, String out) {}

    static Child voxellens(Path dir, Path records, String kernels, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Djava.awt.headless=true",
            "-Dvoxellens.engineCheckDir=" + records, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("VOXELLENS_CONV_KERNELS");
        pb.environment().remove("ONEDNN_MAX_CPU_ISA");
        if (kernels != null) pb.environment().put("VOXELLENS_CONV_KERNELS", kernels);
        Path log = Files.createTempFile(dir, "run-" + kernels, ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("voxellens did not finish within 240 s: " + Files.readString(log));
        }
        return new Child(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    static String[] explain(Path out) {
        return new String[] {"explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            ExplainCommandTest.CLASSIFIER.toString(), "--method", "saliency,inputxgrad", "--out", out.toString()};
    }

    static JsonObject check(Path out) throws IOException {
        return JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject().getAsJsonObject("engine_check");
    }

    @Test
    void summaryRecordsTheCheckAndSwitchingTheFixOffRefusesWhereTheFixWasNeeded(@TempDir Path tmp) throws Exception {
        Path records = tmp.resolve("records"); // a machine that has never run VoxelLens

        Path firstOut = tmp.resolve("auto-1");
        Child first = voxellens(tmp, records, null, explain(firstOut));
        assertEquals(0, first.code(), first.out());
        assertTrue(first.out().contains("Engine libtorch 2.7.1 (cpu at ") && first.out().contains("known-answer check passed"), first.out());
        JsonObject c1 = check(firstOut);
        assertTrue(c1.get("passed").getAsBoolean(), c1.toString());
        assertEquals("auto", c1.get("conv_kernels_setting").getAsString());
        assertTrue(c1.get("cpu").getAsString().length() > 3, c1.toString());
        assertTrue(c1.getAsJsonObject("check").getAsJsonArray("nets").size() >= 5, c1.toString());
        // how long it took is reported, not asserted (no timing assertions in tests: a loaded CI machine is slow)
        assertTrue(c1.getAsJsonObject("check").get("seconds").getAsDouble() > 0, "the check's time is reported: " + c1);
        boolean shippedWrong = c1.has("rejected");
        System.out.println("first start: " + c1.get("conv_kernels").getAsString()
            + (shippedWrong ? "; rejected " + c1.getAsJsonObject("rejected").get("kernels") : ""));
        assertEquals(shippedWrong ? "libtorch's own (oneDNN off)" : "oneDNN", c1.get("conv_kernels").getAsString());

        // a later start on the same machine: the record makes it start with oneDNN limited to SSE4.1 where needed
        Path secondOut = tmp.resolve("auto-2");
        Child second = voxellens(tmp, records, null, explain(secondOut));
        assertEquals(0, second.code(), second.out());
        JsonObject c2 = check(secondOut);
        assertFalse(c2.has("rejected"), c2.toString());
        assertEquals(shippedWrong ? "oneDNN limited to SSE4.1 (gemm-based)" : "oneDNN", c2.get("conv_kernels").getAsString());
        assertEquals(shippedWrong ? "SSE41" : "default", c2.get("onednn_max_cpu_isa").getAsString());

        // The fix switched off: oneDNN as shipped pinned. Where the check rejected it, nothing may be computed.
        Path onednnOut = tmp.resolve("onednn");
        Child onednn = voxellens(tmp, records, "onednn", explain(onednnOut));
        if (shippedWrong) {
            assertEquals(1, onednn.code(), onednn.out());
            String err = onednn.out().lines().filter(l -> l.startsWith("voxellens: error:")).findFirst().orElse("");
            assertTrue(err.contains("known-answer check") && err.contains("this CPU (") && err.contains("no maps"), onednn.out());
            assertFalse(onednn.out().contains("\tat "), "no stack trace: " + onednn.out());
            assertFalse(Files.exists(onednnOut.resolve("saliency.nii.gz")), "no map written");
        } else {
            assertEquals(0, onednn.code(), onednn.out());
            assertTrue(Files.exists(onednnOut.resolve("saliency.nii.gz")));
        }

        // every exact choice gives the same maps (float32 rounding apart)
        Path libOut = tmp.resolve("libtorch");
        Child lib = voxellens(tmp, records, "libtorch", explain(libOut));
        assertEquals(0, lib.code(), lib.out());
        assertEquals("libtorch's own (oneDNN off)", check(libOut).get("conv_kernels").getAsString());
        for (String m : List.of("saliency", "inputxgrad")) {
            float[] a = NiftiReader.read(secondOut.resolve(m + ".nii.gz")).volume().data();
            float[] b = NiftiReader.read(libOut.resolve(m + ".nii.gz")).volume().data();
            float[] f = NiftiReader.read(firstOut.resolve(m + ".nii.gz")).volume().data();
            assertTrue(relativeDifference(a, b) <= 1e-5, m + ": later start vs libtorch " + relativeDifference(a, b));
            assertTrue(relativeDifference(f, b) <= 1e-5, m + ": first start vs libtorch " + relativeDifference(f, b));
        }

        Child bad = voxellens(tmp, records, "fastest", explain(tmp.resolve("bad")));
        assertEquals(1, bad.code(), bad.out());
        assertTrue(bad.out().contains("voxellens: error: VOXELLENS_CONV_KERNELS=fastest: use auto, onednn, onednn-sse41 or libtorch"),
            bad.out());
        assertFalse(bad.out().contains("\tat "), "no stack trace: " + bad.out());
    }

    private static double relativeDifference(float[] a, float[] b) {
        double err = 0, max = 0;
        for (int i = 0; i < a.length; i++) {
            err = Math.max(err, Math.abs(a[i] - b[i]));
            max = Math.max(max, Math.abs(b[i]));
        }
        assertTrue(max > 0, "a non-zero map");
        return err / max;
    }
}
