package org.voxellens.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.voxellens.volumetric.AtomicFiles;

/**
 * Results are written into a hidden staging folder beside their destination and moved into place only when the
 * whole run has succeeded, so a failed or cancelled run leaves no partial files in the output folder.
 */
public final class OutputStaging implements AutoCloseable {

    private final Path out;
    private final Path staging;
    private boolean committed;

    public OutputStaging(Path out) throws IOException {
        this.out = out.toAbsolutePath().normalize();
        if (Files.exists(this.out) && !Files.isDirectory(this.out)) {
            throw new IOException(out + ": output exists and is not a folder");
        }
        Path parent = this.out.getParent();
        Files.createDirectories(parent);
        this.staging = Files.createTempDirectory(parent, "." + this.out.getFileName() + ".partial-");
    }

    /** Where to write a result file before commit. */
    public Path file(String name) { return staging.resolve(name); }

    /** Moves every staged file into the output folder (replacing older results of the same name). */
    public List<Path> commit() throws IOException {
        Files.createDirectories(out);
        List<Path> files;
        try (Stream<Path> s = Files.list(staging)) {
            files = s.sorted().toList();
        }
        for (Path f : files) {
            Path dest = out.resolve(f.getFileName());
            if (Files.isDirectory(dest) && !Files.isSymbolicLink(dest)) AtomicFiles.deleteTree(dest); // an older run's series folder
            AtomicFiles.replace(f, dest);
        }
        committed = true;
        deleteStaging();
        return files.stream().map(f -> out.resolve(f.getFileName())).toList();
    }

    public Path outputFolder() { return out; }

    @Override
    public void close() throws IOException {
        if (!committed) deleteStaging();
    }

    private void deleteStaging() throws IOException {
        AtomicFiles.deleteTree(staging);
    }
}
