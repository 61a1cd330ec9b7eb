package org.voxellens.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * dicom3tools' dciodvfy as the judge of every DICOM object the front ends write. A missing dciodvfy fails the
 * test rather than skipping it: {@code scripts/setup test} installs it, so its absence is a broken set-up.
 */
public final class Dciodvfy {

    private static final Path EXE = Path.of("/usr/bin/dciodvfy");

    private Dciodvfy() {}

    /** The "Error" lines dciodvfy reports for the file (warnings are allowed); empty when it has none. */
    public static List<String> errors(Path file) throws IOException, InterruptedException {
        assertTrue(Files.isExecutable(EXE), "dciodvfy missing: scripts/setup test installs dicom3tools");
        Process p = new ProcessBuilder(EXE.toString(), file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("dciodvfy did not finish within 60 s on " + file);
        }
        List<String> errors = new ArrayList<>();
        for (String line : out.split("\n")) if (line.startsWith("Error")) errors.add(line);
        if (p.exitValue() != 0 && errors.isEmpty()) errors.add("exit " + p.exitValue() + ": " + out);
        return errors;
    }

    /** Fails the test with dciodvfy's errors unless the file has none. */
    public static void assertValid(Path file) throws IOException, InterruptedException {
        assertEquals(List.of(), errors(file), file.getFileName() + " fails dciodvfy");
    }
}
