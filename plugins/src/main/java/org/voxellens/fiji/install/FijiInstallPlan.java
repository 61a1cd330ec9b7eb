package org.voxellens.fiji.install;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.voxellens.volumetric.AtomicFiles;

/**
 * What installing VoxelLens into a Fiji.app folder does, decided before anything is written: the plugin goes to
 * {@code plugins/VoxelLens_.jar}, each runtime jar to {@code jars/} unless Fiji already has that library (same
 * artifact name anywhere under jars/ or plugins/, any version: Fiji's copy is kept, since Fiji's other plugins were
 * built against it). ImageJ itself is never copied. A manifest of the files VoxelLens put there lets a later
 * install replace its own older jars while still leaving Fiji's alone, and makes a repeated install a no-op.
 */
public final class FijiInstallPlan {

    public static final String PLUGIN_JAR = "VoxelLens_.jar";
    public static final String MANIFEST = "voxellens-installed.txt";
    /** ImageJ 1 and the classes Fiji's launcher provides: never installed, whatever the classpath says. */
    static final Set<String> NEVER = Set.of("ij", "imagej", "ij1-patcher", "scijava-common", "parsington");
    /** Logging backends: the host application picks one; a second one in Fiji only adds warnings. */
    static final Set<String> HOST_CHOICE = Set.of("slf4j-simple", "logback-classic", "slf4j-jdk14", "slf4j-nop");

    public enum Kind {
        /** copy (new file, or a newer build of something VoxelLens installed before) */
        COPY,
        /** the same file is already there */
        UNCHANGED,
        /** Fiji ships this library: its copy is kept */
        KEEP_FIJI,
        /** Fiji ships this library with another major version: its copy is kept, but VoxelLens may not work with it */
        CONFLICT,
        /** ImageJ itself or a part of Fiji's own runtime */
        SKIP
    }

    /** One decision: {@code source} (jar or classes folder) to {@code target}, or the Fiji jar that is kept. */
    public record Step(Kind kind, Path source, Path target, Path fijiCopy, Path replaces) {
        public String describe(Path fiji) {
            String src = source.getFileName().toString();
            return switch (kind) {
                case COPY -> "copy     " + src + " -> " + fiji.relativize(target)
                    + (replaces != null ? " (replaces " + fiji.relativize(replaces) + ")" : "");
                case UNCHANGED -> "present  " + fiji.relativize(target) + " (identical)";
                case KEEP_FIJI -> "skip     " + src + ": Fiji has " + fiji.relativize(fijiCopy);
                case CONFLICT -> "CONFLICT " + src + ": Fiji has " + fiji.relativize(fijiCopy)
                    + " (another major version; Fiji's copy kept, VoxelLens may fail with it)";
                case SKIP -> "skip     " + src + (HOST_CHOICE.contains(JarName.of(src).artifact())
                    ? " (a logging backend: Fiji chooses its own)" : " (part of ImageJ/Fiji itself)");
            };
        }
    }

    private final Path fiji;
    private final List<Step> steps;

    private FijiInstallPlan(Path fiji, List<Step> steps) {
        this.fiji = fiji;
        this.steps = List.copyOf(steps);
    }

    /**
     * Plans the install of {@code plugin} (the jar or classes folder holding the plugins) and {@code runtime} (jars,
     * or classes folders of VoxelLens modules in a development build) into {@code fiji}.
     */
    public static FijiInstallPlan of(Path fijiDir, Path plugin, List<Path> runtime) throws IOException {
        Path fiji = fijiDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(fiji)) throw new IOException(fijiDir + ": no such folder (expected a Fiji.app folder)");
        if (!Files.isDirectory(fiji.resolve("jars")) || !Files.isDirectory(fiji.resolve("plugins"))) {
            throw new IOException(fijiDir + ": not a Fiji/ImageJ installation (it needs a jars/ and a plugins/ folder)");
        }
        Set<String> ours = readManifest(fiji);
        Map<String, List<Path>> present = new LinkedHashMap<>();
        for (Path dir : List.of(fiji.resolve("jars"), fiji.resolve("plugins"))) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p)).sorted()
                    .forEach(p -> present.computeIfAbsent(JarName.of(p.getFileName().toString()).artifact(), k -> new ArrayList<>()).add(p));
            }
        }
        List<Step> steps = new ArrayList<>();
        steps.add(copyStep(plugin, fiji.resolve("plugins").resolve(PLUGIN_JAR), null));
        Set<Path> seen = new LinkedHashSet<>();
        for (Path src : runtime) {
            Path s = src.toAbsolutePath().normalize();
            if (s.equals(plugin.toAbsolutePath().normalize()) || !seen.add(s)) continue;
            if (!Files.exists(s)) throw new IOException(src + ": listed on the runtime classpath but missing (rebuild with mvn package)");
            JarName name = targetName(s);
            Path target = fiji.resolve("jars").resolve(name.fileName());
            if (NEVER.contains(name.artifact()) || HOST_CHOICE.contains(name.artifact())) {
                steps.add(new Step(Kind.SKIP, s, null, null, null));
                continue;
            }
            List<Path> same = present.getOrDefault(name.artifact(), List.of());
            Path fijiCopy = same.stream().filter(p -> !ours.contains(rel(fiji, p))).findFirst().orElse(null);
            if (fijiCopy != null) {
                boolean conflict = JarName.of(fijiCopy.getFileName().toString()).major() != name.major();
                steps.add(new Step(conflict ? Kind.CONFLICT : Kind.KEEP_FIJI, s, null, fijiCopy, null));
                continue;
            }
            Path older = same.stream().filter(p -> !p.equals(target)).findFirst().orElse(null);
            steps.add(copyStep(s, target, older));
        }
        return new FijiInstallPlan(fiji, steps);
    }

    private static Step copyStep(Path source, Path target, Path replaces) throws IOException {
        boolean same = Files.isRegularFile(target)
            && (Files.isDirectory(source) ? sameContent(source, target) : Files.mismatch(source, target) == -1);
        return new Step(same ? Kind.UNCHANGED : Kind.COPY, source, target, null, replaces);
    }

    /** Jar names as Fiji would list them; VoxelLens's own modules get a "voxellens-" prefix (no bare "plugins.jar"). */
    static JarName targetName(Path source) {
        boolean folder = Files.isDirectory(source);
        // a Maven module's module/target/classes folder is named after the module
        Path named = folder && source.getParent() != null && source.getParent().getFileName().toString().equals("target")
            ? source.getParent().getParent() : source;
        String file = folder ? named.getFileName() + ".jar" : source.getFileName().toString();
        JarName n = JarName.of(file);
        boolean ownModule = folder || source.toString().contains("/target/");
        return ownModule && !n.artifact().startsWith("voxellens") ? new JarName("voxellens-" + n.artifact(), n.version()) : n;
    }

    public List<Step> steps() { return steps; }

    public List<Step> steps(Kind kind) { return steps.stream().filter(s -> s.kind() == kind).toList(); }

    public Path fiji() { return fiji; }

    /** Carries the plan out: each file copied through a temporary file and renamed; then the manifest. */
    public void execute() throws IOException {
        Set<String> manifest = readManifest(fiji);
        for (Step s : steps) {
            if (s.kind() != Kind.COPY && s.kind() != Kind.UNCHANGED) continue;
            if (s.kind() == Kind.COPY) {
                if (Files.isDirectory(s.source())) AtomicFiles.write(s.target(), tmp -> jarFolder(s.source(), tmp));
                else AtomicFiles.write(s.target(), tmp -> Files.copy(s.source(), tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING));
                if (s.replaces() != null) {
                    Files.deleteIfExists(s.replaces());
                    manifest.remove(rel(fiji, s.replaces()));
                }
            }
            manifest.add(rel(fiji, s.target()));
        }
        AtomicFiles.writeString(fiji.resolve(MANIFEST), "# files VoxelLens installed (fiji-install); Fiji's own jars are not listed\n"
            + String.join("\n", manifest.stream().sorted().toList()) + "\n");
    }

    private static Set<String> readManifest(Path fiji) throws IOException {
        Path m = fiji.resolve(MANIFEST);
        Set<String> s = new LinkedHashSet<>();
        if (Files.isRegularFile(m)) {
            for (String line : Files.readAllLines(m)) {
                if (!line.isBlank() && !line.startsWith("#")) s.add(line.trim());
            }
        }
        return s;
    }

    private static String rel(Path fiji, Path p) { return fiji.relativize(p.toAbsolutePath().normalize()).toString(); }

    /** Whether a jar holds exactly the files of a classes folder (a development build installed before). */
    private static boolean sameContent(Path folder, Path jar) throws IOException {
        List<Path> files = filesOf(folder);
        try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar.toFile())) {
            if (j.size() != files.size()) return false;
            for (Path f : files) {
                JarEntry e = j.getJarEntry(entryName(folder, f));
                if (e == null) return false;
                try (var in = j.getInputStream(e)) {
                    if (!java.util.Arrays.equals(in.readAllBytes(), Files.readAllBytes(f))) return false;
                }
            }
            return true;
        } catch (java.util.zip.ZipException notAJar) {
            return false;
        }
    }

    private static List<Path> filesOf(Path folder) throws IOException {
        try (Stream<Path> s = Files.walk(folder)) {
            return s.filter(Files::isRegularFile).sorted(Comparator.comparing(p -> entryName(folder, p))).toList();
        }
    }

    private static String entryName(Path folder, Path file) { return folder.relativize(file).toString().replace('\\', '/'); }

    /** A classes folder (development build) as a jar, entries in a fixed order. */
    private static void jarFolder(Path folder, Path jar) throws IOException {
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os)) {
            for (Path f : filesOf(folder)) {
                out.putNextEntry(new JarEntry(entryName(folder, f)));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }
}
