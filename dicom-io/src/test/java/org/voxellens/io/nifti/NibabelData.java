package org.voxellens.io.nifti;


import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the real NIfTI files that Debian's python3-nibabel ships as its own test data. A system property or
 * environment variable {@code VOXELLENS_NIBABEL_DATA} wins over the Debian location; tests are skipped (not
 * failed) where neither has the files, with a message saying how to get them.
 */
final class NibabelData {

    static final String KEY = "VOXELLENS_NIBABEL_DATA";
    static final Path DEBIAN = Path.of("/usr/lib/python3/dist-packages/nibabel/tests/data");

    private NibabelData() {
    }

    /** The named file; a missing one fails the test with the install command. */
    static Path file(String name) {
        for (String dir : new String[] {System.getProperty(KEY), System.getenv(KEY), DEBIAN.toString()}) {
            if (dir == null || dir.isBlank()) continue;
            Path p = Path.of(dir).resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        org.junit.jupiter.api.Assertions.fail("nibabel test file " + name + " not found: run scripts/setup test "
            + "(or apt-get install python3-nibabel) or set -D" + KEY + "=<dir> / $" + KEY);
        throw new AssertionError("unreachable");
    }
}
