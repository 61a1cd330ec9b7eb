package org.voxellens.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.testing.RequiredTools;

/**
 * gpu-setup on a machine without a GPU, up to the point where a GPU is needed: it reads a real Python's torch
 * (Debian's torch 1.13, a CPU build) and a real libtorch folder (the bundled CPU libtorch 2.7.1 that DJL
 * extracted), refuses each with one line saying what is wrong, and writes no setting. The GPU half (the CUDA
 * build loading and passing the known-answer check on the GPU) is docs/gpu.md's one command, for a GPU machine.
 */
class GpuSetupCommandTest {

    @TempDir
    Path config;

    @BeforeEach
    void redirectSettings() {
        System.setProperty("voxellens.configDir", config.toString());
    }

    @AfterEach
    void restore() {
        System.clearProperty("voxellens.configDir");
    }

    @Test
    void refusesDebiansTorchNamingItsVersion() {
        Path py = RequiredTools.python3WithTorch();
        ExplainCommandTest.Run r = ExplainCommandTest.cli("gpu-setup", "--python", py.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("voxellens: error: the torch of " + py + " is libtorch 1.13"), r.err());
        assertTrue(r.err().contains("needs libtorch 2.7.1 with CUDA 12"), r.err());
        assertFalse(Files.exists(config.resolve("gpu.env")), "no setting written");
    }

    @Test
    void refusesTheBundledCpuLibtorchAndAFolderWithoutLibtorch(@TempDir Path empty) throws Exception {
        String build = org.voxellens.xai.runtime.TorchModel.Engines.libtorchBuild();
        Path cpuLib = Path.of(build.substring(build.indexOf(" at ") + 4));
        Files.writeString(empty.resolve("build-version"), "2.7.1+cpu\n"); // as a libtorch archive's root has
        Path root = empty.resolve("libtorch");
        Files.createDirectories(root);
        Files.writeString(root.resolve("build-version"), "2.7.1+cpu\n");
        Files.createSymbolicLink(root.resolve("lib"), cpuLib);
        ExplainCommandTest.Run cpu = ExplainCommandTest.cli("gpu-setup", "--libtorch", root.toString());
        assertEquals(1, cpu.code(), cpu.err());
        assertTrue(cpu.err().contains("is a CPU build of libtorch 2.7.1+cpu (no libtorch_cuda.so"), cpu.err());

        ExplainCommandTest.Run none = ExplainCommandTest.cli("gpu-setup", "--libtorch", empty.toString());
        assertEquals(1, none.code(), none.err());
        assertTrue(none.err().contains(empty + ": no libtorch.so here or in its lib folder"), none.err());
        assertFalse(Files.exists(config.resolve("gpu.env")), "no setting written");

        ExplainCommandTest.Run remove = ExplainCommandTest.cli("gpu-setup", "--remove");
        assertEquals(0, remove.code(), remove.err());
        assertTrue(remove.out().contains("no GPU setting was made"), remove.out());
    }

    @Test
    void engineCheckCommandReportsTheCpuEngineAndAGpuRequestFailsLoudly() {
        ExplainCommandTest.Run cpu = ExplainCommandTest.cli("engine-check", "--device", "cpu", "--json");
        assertEquals(0, cpu.code(), cpu.err());
        assertTrue(cpu.out().contains("libtorch 2.7.1 (cpu at "), cpu.out());
        assertTrue(cpu.out().contains("known-answer check passed"), cpu.out());
        assertTrue(cpu.out().contains("\"conv_kernels\""), cpu.out());
        ExplainCommandTest.Run gpu = ExplainCommandTest.cli("engine-check", "--device", "gpu");
        assertEquals(1, gpu.code(), gpu.err());
        assertTrue(gpu.err().contains("no CUDA device is visible") && gpu.err().contains("gpu-setup"), gpu.err());
    }
}
