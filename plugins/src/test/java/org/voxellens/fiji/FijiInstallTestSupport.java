package org.voxellens.fiji;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import org.voxellens.fiji.install.JarName;

/** Jars of the test class path by artifact name (ImageJ for stand-in Fiji.app folders). */
final class FijiInstallTestSupport {

    private FijiInstallTestSupport() {}

    static Path classpathJar(String artifact) {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator)).map(Path::of)
            .filter(p -> p.getFileName().toString().endsWith(".jar") && JarName.of(p.getFileName().toString()).artifact().equals(artifact))
            .findFirst().orElseThrow(() -> new AssertionError(artifact + " not on the test classpath"));
    }
}
