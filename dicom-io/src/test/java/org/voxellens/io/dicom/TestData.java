package org.voxellens.io.dicom;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Real test files shipped by Debian packages, and the dcmtk/dicom3tools programs; skipped (not failed) when absent. */
final class TestData {

    static final Path PYDICOM = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files");
    static final Path NIBABEL = Path.of("/usr/lib/python3/dist-packages/nibabel/tests/data");

    private TestData() {
    }

    static Path pydicom(String name) {
        String dir = System.getProperty("VOXELLENS_PYDICOM_DATA", System.getenv("VOXELLENS_PYDICOM_DATA"));
        Path p = (dir == null || dir.isBlank() ? PYDICOM : Path.of(dir)).resolve(name);
        assumeTrue(Files.isRegularFile(p), "pydicom test file " + name + " not found: run scripts/setup test "
            + "(installs python3-pydicom) or set VOXELLENS_PYDICOM_DATA=<dir>");
        return p;
    }

    static Path nibabel(String name) {
        Path p = NIBABEL.resolve(name);
        assumeTrue(Files.isRegularFile(p), "nibabel test file " + name + " not found: run scripts/setup test "
            + "(installs python3-nibabel)");
        return p;
    }

    static boolean has(String tool) {
        return Dcmtk.find(tool) != null;
    }

    /** Runs a program; returns its exit code and output. */
    static Result run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timeout: " + String.join(" ", cmd));
        }
        return new Result(p.exitValue(), out);
    }

    record Result(int exit, String output) {
    }

    /** dciodvfy's verdict on a file: the error lines (empty = 0 errors); skipped when dciodvfy is not installed. */
    static List<String> dciodvfyErrors(Path file) throws IOException, InterruptedException {
        assumeTrue(has("dciodvfy"), "dciodvfy not installed (apt-get install dicom3tools; scripts/setup test does)");
        Result r = run("dciodvfy", file.toString());
        List<String> errors = new ArrayList<>();
        for (String line : r.output().split("\n")) if (line.startsWith("Error")) errors.add(line);
        if (r.exit() != 0 && errors.isEmpty()) errors.add("exit " + r.exit() + ": " + r.output());
        return errors;
    }
}
