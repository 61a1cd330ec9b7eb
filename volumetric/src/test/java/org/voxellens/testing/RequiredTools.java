package org.voxellens.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The one policy for what the tests need from the machine: a missing tool or data package fails the test run
 * with the command that installs it, never skips. Tests call these at their start (a {@code @BeforeAll}), not in
 * the middle of their assertions. {@code scripts/setup test} installs all of them.
 */
public final class RequiredTools {

    private static volatile Boolean torch;

    private RequiredTools() {}

    /** The file (a program or a data file) a Debian package ships; fails naming the package when absent. */
    public static Path file(Path path, String debianPackage) {
        if (!Files.exists(path)) {
            fail(path + " is missing: run scripts/setup test (or apt-get install " + debianPackage + ")");
        }
        return path;
    }

    /** A program on the PATH (or in /usr/bin); fails naming the package when absent. */
    public static Path program(String name, String debianPackage) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) return p;
        }
        Path usr = Path.of("/usr/bin", name);
        if (Files.isExecutable(usr)) return usr;
        fail(name + " is missing: run scripts/setup test (or apt-get install " + debianPackage + ")");
        throw new AssertionError("unreachable");
    }

    /** Debian's /usr/bin/python3 with torch (python3-torch), which computes the PyTorch references. */
    public static Path python3WithTorch() {
        Path py = file(Path.of("/usr/bin/python3"), "python3");
        if (torch == null) {
            try {
                Process p = new ProcessBuilder(py.toString(), "-c", "import torch").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                torch = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException e) {
                torch = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                torch = false;
            }
        }
        if (!torch) fail("/usr/bin/python3 cannot import torch: run scripts/setup test (or apt-get install python3-torch)");
        return py;
    }
}
