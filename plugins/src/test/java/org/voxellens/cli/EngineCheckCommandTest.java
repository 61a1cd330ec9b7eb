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
 * The engine's known-answer check as a user meets it: every explain run records it in summary.json and the log;
 * pinning the kernels the check rejected on this CPU ({@code VOXELLENS_CONV_KERNELS=onednn}, the fix switched off)
 * refuses with one line naming the check and the CPU and writes nothing; pinning libtorch's own kernels gives the
 * maps the automatic choice gives. Each run is a fresh JVM (the check runs once per process), with the launcher's
 * settings inherited from the test JVM (offline engine, preloaded malloc).
 */
class EngineCheckCommandTest {

    record Child(int code, String out) {}

    static Child voxellens(Path dir, String kernels, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Djava.awt.headless=true",
            "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("VOXELLENS_CONV_KERNELS");
        if (kernels != null) pb.environment().put("VOXELLENS_CONV_KERNELS", kernels);
        Path log = dir.resolve("run-" + kernels + ".log");
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

    @Test
    void summaryRecordsTheCheckAndSwitchingTheFixOffRefusesWhereTheFixWasNeeded(@TempDir Path tmp) throws Exception {
        Path autoOut = tmp.resolve("auto");
        Child auto = voxellens(tmp, null, explain(autoOut));
        assertEquals(0, auto.code(), auto.out());
        assertTrue(auto.out().contains("Engine known-answer check passed"), auto.out());
        JsonObject check = JsonParser.parseString(Files.readString(autoOut.resolve("summary.json"))).getAsJsonObject()
            .getAsJsonObject("engine_check");
        assertTrue(check.get("passed").getAsBoolean(), check.toString());
        assertEquals("auto", check.get("conv_kernels_setting").getAsString());
        assertTrue(check.get("cpu").getAsString().length() > 3, check.toString());
        assertTrue(check.getAsJsonObject("check").getAsJsonArray("nets").size() >= 5, check.toString());
        assertTrue(check.getAsJsonObject("check").get("seconds").getAsDouble() < 5, "the check is cheap: " + check);
        boolean oneDnnRejected = check.has("rejected");
        System.out.println("auto: " + check.get("conv_kernels").getAsString() + (oneDnnRejected ? " (oneDNN rejected: "
            + check.getAsJsonObject("rejected") + ")" : ""));

        // The fix switched off: oneDNN pinned. Where the check rejected it, nothing may be computed with it.
        Path onednnOut = tmp.resolve("onednn");
        Child onednn = voxellens(tmp, "onednn", explain(onednnOut));
        if (oneDnnRejected) {
            assertEquals(1, onednn.code(), onednn.out());
            String err = onednn.out().lines().filter(l -> l.startsWith("voxellens: error:")).findFirst().orElse("");
            assertTrue(err.contains("known-answer check") && err.contains("this CPU (") && err.contains("no maps"), onednn.out());
            assertFalse(onednn.out().contains("\tat "), "no stack trace: " + onednn.out());
            assertFalse(Files.exists(onednnOut.resolve("saliency.nii.gz")), "no map written");
        } else {
            assertEquals(0, onednn.code(), onednn.out());
            assertTrue(Files.exists(onednnOut.resolve("saliency.nii.gz")));
        }

        // libtorch's own kernels pinned: the same maps as the automatic choice (float32 rounding apart)
        Path libOut = tmp.resolve("libtorch");
        Child lib = voxellens(tmp, "libtorch", explain(libOut));
        assertEquals(0, lib.code(), lib.out());
        for (String m : List.of("saliency", "inputxgrad")) {
            float[] a = NiftiReader.read(autoOut.resolve(m + ".nii.gz")).volume().data();
            float[] b = NiftiReader.read(libOut.resolve(m + ".nii.gz")).volume().data();
            double err = 0, max = 0;
            for (int i = 0; i < a.length; i++) {
                err = Math.max(err, Math.abs(a[i] - b[i]));
                max = Math.max(max, Math.abs(a[i]));
            }
            assertTrue(max > 0 && err <= 1e-5 * max, m + ": relative difference " + err / max);
        }

        Child bad = voxellens(tmp, "fastest", explain(tmp.resolve("bad")));
        assertEquals(1, bad.code(), bad.out());
        assertTrue(bad.out().contains("voxellens: error: VOXELLENS_CONV_KERNELS=fastest: use auto, onednn or libtorch"), bad.out());
        assertFalse(bad.out().contains("\tat "), "no stack trace: " + bad.out());
    }
}
