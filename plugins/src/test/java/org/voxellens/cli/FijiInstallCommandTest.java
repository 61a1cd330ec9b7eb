package org.voxellens.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.fiji.install.JarName;

/** fiji-install into a stand-in Fiji.app holding real jars (ImageJ, an older gson, a picocli of another major version). */
class FijiInstallCommandTest {

    @TempDir
    Path tmp;

    /** A jar of the test classpath by artifact name. */
    static Path classpathJar(String artifact) {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator)).map(Path::of)
            .filter(p -> p.getFileName().toString().endsWith(".jar") && JarName.of(p.getFileName().toString()).artifact().equals(artifact))
            .findFirst().orElseThrow(() -> new AssertionError(artifact + " not on the test classpath"));
    }

    /** Fiji.app with ImageJ in jars/ (as Fiji ships it) and the given extra jars copied under the given names. */
    static Path standInFiji(Path root, String... copies) throws Exception {
        Path fiji = root.resolve("Fiji.app");
        Files.createDirectories(fiji.resolve("plugins"));
        Files.createDirectories(fiji.resolve("jars"));
        Path ij = classpathJar("ij");
        Files.copy(ij, fiji.resolve("jars").resolve(ij.getFileName()));
        for (int i = 0; i < copies.length; i += 2) Files.copy(classpathJar(copies[i]), fiji.resolve(copies[i + 1]));
        return fiji;
    }

    static String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {Integer.toString(rc), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    private static List<String> tree(Path fiji) throws Exception {
        try (Stream<Path> s = Files.walk(fiji)) {
            return s.filter(Files::isRegularFile).map(p -> fiji.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void installsPluginAndMissingJarsKeepsFijisCopiesAndIsIdempotent() throws Exception {
        Path fiji = standInFiji(tmp, "gson", "jars/gson-2.8.9.jar", "picocli", "plugins/picocli-3.9.6.jar");
        Path volumetricClasses = Path.of("../volumetric/target/classes").toAbsolutePath().normalize();
        String cp = String.join(File.pathSeparator, classpathJar("gson").toString(), classpathJar("picocli").toString(),
            classpathJar("snakeyaml").toString(), classpathJar("ij").toString(), volumetricClasses.toString(),
            classpathJar("slf4j-simple").toString());

        List<String> before = tree(fiji);
        String[] dry = run("fiji-install", "--dry-run", "--classpath", cp, fiji.toString());
        assertEquals("0", dry[0], dry[2]);
        assertEquals(before, tree(fiji), "a dry run writes nothing");
        assertTrue(dry[1].contains("copy     classes -> plugins/VoxelLens_.jar"), dry[1]);
        assertTrue(dry[1].contains("Dry run: 3 files would be copied, 2 of Fiji's jars kept"), dry[1]);

        String[] r = run("fiji-install", "--classpath", cp, fiji.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 " + fiji.resolve("ImageJ-linux64")), r[1]);
        // the plugin, as a jar ImageJ recognises (underscore, plugins.config inside)
        try (JarFile jar = new JarFile(fiji.resolve("plugins/VoxelLens_.jar").toFile())) {
            assertNotNull(jar.getEntry("plugins.config"));
            assertNotNull(jar.getEntry("org/voxellens/fiji/ExplainVolume.class"));
            assertTrue(new String(jar.getInputStream(jar.getEntry("plugins.config")).readAllBytes(), StandardCharsets.UTF_8)
                .contains("Plugins>VoxelLens, \"Explain Volume...\""));
        }
        assertEquals(-1, Files.mismatch(classpathJar("snakeyaml"), fiji.resolve("jars").resolve(classpathJar("snakeyaml").getFileName())));
        assertTrue(Files.isRegularFile(fiji.resolve("jars/voxellens-volumetric.jar")), "a module's classes folder becomes a named jar");
        // Fiji's gson (same major) and picocli (other major) are kept, and only one of each exists
        assertEquals(List.of("jars/gson-2.8.9.jar"), tree(fiji).stream().filter(f -> f.contains("gson")).toList());
        assertEquals(List.of("plugins/picocli-3.9.6.jar"), tree(fiji).stream().filter(f -> f.contains("picocli")).toList());
        assertTrue(r[1].contains("skip     " + classpathJar("gson").getFileName() + ": Fiji has jars/gson-2.8.9.jar"), r[1]);
        assertTrue(r[1].contains("CONFLICT " + classpathJar("picocli").getFileName() + ": Fiji has plugins/picocli-3.9.6.jar"), r[1]);
        assertTrue(r[2].contains("1 libraries differ from Fiji's in major version"), r[2]);
        assertTrue(r[1].contains("skip     " + classpathJar("slf4j-simple").getFileName() + " (a logging backend: Fiji chooses its own)"), r[1]);
        assertFalse(tree(fiji).stream().anyMatch(f -> f.contains("slf4j-simple")));
        // ImageJ itself is never duplicated
        assertEquals(1, tree(fiji).stream().filter(f -> JarName.of(Path.of(f).getFileName().toString()).artifact().equals("ij")).count());
        assertFalse(tree(fiji).stream().anyMatch(f -> f.contains(".tmp")), "no temporary files left");

        List<String> after = tree(fiji);
        String[] again = run("fiji-install", "--classpath", cp, fiji.toString());
        assertEquals("0", again[0], again[2]);
        assertTrue(again[1].contains("0 files copied, 3 already up to date"), again[1]);
        assertEquals(after, tree(fiji));
    }

    @Test
    void replacesAnOlderJarItInstalledItselfButNotFijis() throws Exception {
        Path fiji = standInFiji(tmp, "snakeyaml", "jars/snakeyaml-1.33.jar", "gson", "jars/gson-2.8.9.jar");
        // snakeyaml-1.33 came from an earlier VoxelLens install (listed in its manifest); gson is Fiji's
        Files.writeString(fiji.resolve("voxellens-installed.txt"), "jars/snakeyaml-1.33.jar\n");
        String cp = classpathJar("snakeyaml") + File.pathSeparator + classpathJar("gson");
        String[] r = run("fiji-install", "--classpath", cp, fiji.toString());
        assertEquals("0", r[0], r[2]);
        assertEquals(List.of("jars/" + classpathJar("snakeyaml").getFileName()),
            tree(fiji).stream().filter(f -> f.contains("snakeyaml")).toList());
        assertTrue(Files.exists(fiji.resolve("jars/gson-2.8.9.jar")));
        String manifest = Files.readString(fiji.resolve("voxellens-installed.txt"));
        assertTrue(manifest.contains("plugins/VoxelLens_.jar") && manifest.contains(classpathJar("snakeyaml").getFileName().toString())
            && !manifest.contains("gson"), manifest);
    }

    @Test
    void refusesAFolderThatIsNotFiji() throws Exception {
        Path notFiji = Files.createDirectories(tmp.resolve("photos"));
        String[] r = run("fiji-install", notFiji.toString());
        assertEquals("1", r[0]);
        assertTrue(r[2].contains(notFiji + ": not a Fiji/ImageJ installation"), r[2]);
        assertEquals(List.of(), tree(notFiji));
    }

    @Test
    void jarNamesSplitLikeMaven() {
        assertEquals(new JarName("pytorch-native-cpu", "2.7.1-linux-x86_64"), JarName.of("pytorch-native-cpu-2.7.1-linux-x86_64.jar"));
        assertEquals(new JarName("ij", "1.54p"), JarName.of("ij-1.54p.jar"));
        assertEquals(1, JarName.of("ij-1.54p.jar").major());
        assertEquals(new JarName("voxellens_", ""), JarName.of("VoxelLens_.jar"));
        assertEquals(-1, JarName.of("VoxelLens_.jar").major());
    }
}
