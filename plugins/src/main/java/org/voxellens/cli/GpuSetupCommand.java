package org.voxellens.cli;

import ai.djl.util.Platform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code voxellens gpu-setup}: points VoxelLens at a CUDA build of the libtorch version its DJL was built for, once;
 * later runs use it offline. The bundled libtorch is the CPU build, and DJL 0.35.1's only CUDA path without a
 * download is a local libtorch ({@code PYTORCH_LIBRARY_PATH}) with DJL's cu128 JNI, which its pytorch-jni jar ships.
 * The folder comes from a Python environment's torch (the one users train with) or a libtorch archive. The setting
 * is written to {@code ~/.voxellens/gpu.env}, which the {@code voxellens} launcher reads; then the known-answer
 * check runs on the GPU in a fresh process, exactly as a later run would start.
 */
@Command(name = "gpu-setup", mixinStandardHelpOptions = true,
    description = "Uses a local CUDA build of libtorch (from a Python's torch or a libtorch folder) for --device gpu; checks it on the GPU.")
final class GpuSetupCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    static final class Source {
        @Option(names = "--python", description = "A Python whose torch is the CUDA build of the libtorch version DJL needs.")
        Path python;
        @Option(names = "--libtorch", description = "A libtorch folder (its root or its lib folder) of that version, CUDA build.")
        Path libtorch;
        @Option(names = "--remove", description = "Forget the GPU setting (back to the bundled CPU engine).")
        boolean remove;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    /** What a candidate libtorch is: its lib folder, version and CUDA version (null for a CPU build). */
    record Found(Path lib, String version, String cuda) {}

    static Path settingsFile() {
        return Path.of(System.getProperty("voxellens.configDir", Path.of(System.getProperty("user.home"), ".voxellens").toString()))
            .resolve("gpu.env");
    }

    private java.io.PrintWriter out() { return spec.commandLine().getOut(); }

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path file = settingsFile();
        if (source.remove) {
            boolean had = Files.deleteIfExists(file);
            out().println(had ? "GPU setting removed (" + file + "): the bundled CPU engine is used" : "no GPU setting was made");
            return 0;
        }
        String required = Platform.detectPlatform("pytorch").getVersion().split("-")[0]; // "2.7.1-20250812": the build date
        Found f = source.python != null ? fromPython(source.python) : fromFolder(source.libtorch);
        String what = source.python != null ? "the torch of " + source.python : source.libtorch.toString();
        if (f.version() == null || !f.version().split("\\+")[0].equals(required)) {
            throw new IllegalArgumentException(what + " is libtorch " + (f.version() == null ? "(unknown version)" : f.version())
                + ": VoxelLens' engine (DJL) needs libtorch " + required + " with CUDA 12 (e.g. pip install torch==" + required + ")");
        }
        if (f.cuda() == null || !Files.isRegularFile(f.lib().resolve("libtorch_cuda.so"))) {
            throw new IllegalArgumentException(what + " is a CPU build of libtorch " + f.version() + " (no libtorch_cuda.so in "
                + f.lib() + "): install its CUDA 12 build");
        }
        if (!f.cuda().startsWith("12")) {
            throw new IllegalArgumentException(what + " is built for CUDA " + f.cuda() + ": DJL's JNI for libtorch " + required
                + " is built for CUDA 12 (cu128)");
        }
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), ".gpu", ".tmp");
        try {
            // DJL's pytorch-jni jar carries the JNI for cu128 only; it links to libtorch by name, any CUDA 12.x build
            Files.writeString(tmp, "# written by voxellens gpu-setup from " + what + " (libtorch " + f.version() + ", CUDA "
                + f.cuda() + ")\nPYTORCH_LIBRARY_PATH=" + f.lib() + "\nPYTORCH_FLAVOR=cu128\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        out().println("GPU setting written to " + file + " (libtorch " + f.version() + ", CUDA " + f.cuda() + ", " + f.lib() + ")");
        out().println("Checking the GPU engine in a fresh process (voxellens engine-check --device gpu) ...");
        int rc = checkInFreshProcess(f.lib());
        if (rc != 0) {
            out().println("The GPU engine did not pass: --device gpu will fail with the message above; "
                + "voxellens gpu-setup --remove undoes the setting");
        }
        return rc;
    }

    static Found fromPython(Path python) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(python.toString(), "-c", "import os, torch; print(torch.__version__); "
            + "print(torch.version.cuda); print(os.path.join(os.path.dirname(torch.__file__), 'lib'))")
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalArgumentException(python + " cannot import torch: " + out.strip().lines().reduce((a, b) -> b).orElse(""));
        }
        List<String> lines = out.strip().lines().toList();
        if (lines.size() < 3) throw new IllegalArgumentException(python + ": unexpected answer about torch: " + out.strip());
        String cuda = lines.get(lines.size() - 2).strip();
        return new Found(Path.of(lines.get(lines.size() - 1).strip()), lines.get(lines.size() - 3).strip(),
            cuda.equals("None") ? null : cuda);
    }

    static Found fromFolder(Path dir) throws IOException {
        Path lib = Files.isRegularFile(dir.resolve("lib/libtorch.so")) ? dir.resolve("lib") : dir;
        if (!Files.isRegularFile(lib.resolve("libtorch.so"))) {
            throw new IllegalArgumentException(dir + ": no libtorch.so here or in its lib folder");
        }
        // a libtorch archive names its build in build-version beside lib/, e.g. "2.7.1+cu128"
        Path v = lib.toAbsolutePath().getParent() == null ? null : lib.toAbsolutePath().getParent().resolve("build-version");
        String version = v != null && Files.isRegularFile(v) ? Files.readString(v, StandardCharsets.UTF_8).strip() : null;
        String cuda = null;
        if (version != null && version.contains("+cu")) {
            String c = version.substring(version.indexOf("+cu") + 3).replaceAll("[^0-9]", "");
            if (c.length() >= 3) cuda = c.substring(0, c.length() - 1) + "." + c.substring(c.length() - 1);
        }
        if (cuda == null && Files.isRegularFile(lib.resolve("libtorch_cuda.so"))) cuda = "12 (assumed)";
        return new Found(lib.toAbsolutePath().normalize(), version, cuda);
    }

    private static int checkInFreshProcess(Path lib) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-cp", System.getProperty("java.class.path"),
            Main.class.getName(), "engine-check", "--device", "gpu"));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put("PYTORCH_LIBRARY_PATH", lib.toString());
        pb.environment().put("PYTORCH_FLAVOR", "cu128");
        Process p = pb.start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("the GPU engine check did not finish within 10 minutes");
        }
        return p.exitValue();
    }

}
