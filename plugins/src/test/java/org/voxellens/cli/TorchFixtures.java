package org.voxellens.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.voxellens.testing.RequiredTools;

/** Test fixtures built by Debian's torch: a Python run that must succeed, and the fixture scripts shipped as resources. */
final class TorchFixtures {

    private TorchFixtures() {}

    /** Runs {@code python args...}; fails the test with the output unless it exits 0 within the limit. Returns the output. */
    static String python(Path python, int timeoutSeconds, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(python.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        return out;
    }

    /**
     * Runs the fixture script {@code resource} (next to {@code owner}) as {@code script REPO_ROOT dir}, with Debian's
     * torch and nibabel required up front.
     */
    static void build(Class<?> owner, String resource, Path dir, int timeoutSeconds) throws Exception {
        Path py = RequiredTools.python3WithTorch();
        RequiredTools.file(Path.of("/usr/lib/python3/dist-packages/nibabel/__init__.py"), "python3-nibabel");
        Path script = dir.resolve(resource);
        try (InputStream in = owner.getResourceAsStream(resource)) {
            Files.copy(in, script);
        }
        python(py, timeoutSeconds, script.toString(), ExplainCommandTest.HOME.toString(), dir.toString());
    }
}
