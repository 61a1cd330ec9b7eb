package org.voxellens.io.dicom;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.voxellens.testing.RequiredTools;

/** Real test files shipped by Debian packages, and the dcmtk/dicom3tools programs; a missing one fails the run (RequiredTools). */
final class TestData {

    static final Path PYDICOM = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files");
    static final Path NIBABEL = Path.of("/usr/lib/python3/dist-packages/nibabel/tests/data");

    private TestData() {
    }

    static Path pydicom(String name) {
        String dir = System.getProperty("VOXELLENS_PYDICOM_DATA", System.getenv("VOXELLENS_PYDICOM_DATA"));
        Path p = (dir == null || dir.isBlank() ? PYDICOM : Path.of(dir)).resolve(name);
        if (!Files.isRegularFile(p)) {
            fail("pydicom test file " + name + " not found: run scripts/setup test (installs python3-pydicom) or set "
                + "VOXELLENS_PYDICOM_DATA=<dir>");
        }
        return p;
    }

    static Path nibabel(String name) {
        return RequiredTools.file(NIBABEL.resolve(name), "python3-nibabel");
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

    /** Called at the start of every test class that validates with dciodvfy. */
    static void requireDciodvfy() {
        RequiredTools.program("dciodvfy", "dicom3tools");
    }

    /** Called at the start of every test class that transcodes with dcmtk. */
    static void requireDcmtk() {
        RequiredTools.program("dcmconv", "dcmtk");
        RequiredTools.program("dcmcjpeg", "dcmtk");
        RequiredTools.program("dcmdjpeg", "dcmtk");
        RequiredTools.program("dcmdjpls", "dcmtk");
    }

    /** dciodvfy's verdict on a file: the error lines (empty = 0 errors). */
    static List<String> dciodvfyErrors(Path file) throws IOException, InterruptedException {
        requireDciodvfy();
        Result r = run("dciodvfy", file.toString());
        List<String> errors = new ArrayList<>();
        for (String line : r.output().split("\n")) if (line.startsWith("Error")) errors.add(line);
        if (r.exit() != 0 && errors.isEmpty()) errors.add("exit " + r.exit() + ": " + r.output());
        return errors;
    }
}
