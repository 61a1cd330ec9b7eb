package org.voxellens.volumetric;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A private temporary folder for one run ({@code <tmp>/voxellens-<purpose>-<pid>-<start>-<random>}, mode 0700),
 * removed by {@link #close()} on every normal and exceptional exit, and by the next run's {@link #sweep} after
 * a SIGKILL or a power cut, which no code of the dying process can handle. The name carries the owner's process
 * ID and start time, so a sweep removes only folders whose process is gone (a PID reused by another process has
 * another start time) and never a folder of a run still going on. What such folders hold (retrieved source
 * images) is patient data: it must not outlive the run.
 */
public final class RunTempDir implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();
    /** Names written by versions before this class (Files.createTempDirectory): no owner in the name. */
    private static final Duration LEGACY_AGE = Duration.ofHours(1);

    private final Path path;
    private boolean closed;

    private RunTempDir(Path path) {
        this.path = path;
    }

    /** A new folder under {@code java.io.tmpdir}. {@code purpose} is a short lowercase word such as "pacs". */
    public static RunTempDir create(String purpose) throws IOException {
        return create(defaultParent(), purpose);
    }

    /** A new folder under {@code parent}. */
    public static RunTempDir create(Path parent, String purpose) throws IOException {
        check(purpose);
        Files.createDirectories(parent);
        ProcessHandle self = ProcessHandle.current();
        String name = "voxellens-" + purpose + "-" + self.pid() + "-" + startMillis(self).orElse(0L) + "-"
            + Long.toUnsignedString(RANDOM.nextLong(), 36);
        Path dir = parent.resolve(name);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            FileAttribute<?> owner = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
            Files.createDirectory(dir, owner);
        } else {
            Files.createDirectory(dir);
        }
        return new RunTempDir(dir);
    }

    public Path path() {
        return path;
    }

    /** Removes the folder and everything in it; later calls do nothing. Safe to call from a shutdown hook. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                // a worker that is still stopping may add a file while the tree is removed: try again
                AtomicFiles.deleteTree(path);
                if (!Files.exists(path)) {
                    closed = true;
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
        }
        if (last != null) throw last;
        throw new IOException(path + ": could not be removed");
    }

    /**
     * Removes what runs of this purpose left under {@code java.io.tmpdir} when they were killed; returns how many
     * folders went. Folders of live runs stay.
     */
    public static int sweep(String purpose) {
        return sweep(defaultParent(), purpose);
    }

    /** As {@link #sweep(String)} under {@code parent}. Failing to remove one folder is not an error of the new run. */
    public static int sweep(Path parent, String purpose) {
        check(purpose);
        Pattern ours = Pattern.compile("voxellens-" + Pattern.quote(purpose) + "-(\\d+)-(\\d+)-[0-9a-z]+");
        Pattern legacy = Pattern.compile("voxellens-" + Pattern.quote(purpose) + "-\\d+");
        int removed = 0;
        if (!Files.isDirectory(parent)) return 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, "voxellens-" + purpose + "-*")) {
            for (Path p : ds) {
                if (!Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                String name = p.getFileName().toString();
                Matcher m = ours.matcher(name);
                boolean stale;
                if (m.matches()) {
                    stale = !alive(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
                } else if (legacy.matcher(name).matches()) {
                    stale = Files.getLastModifiedTime(p).toInstant().isBefore(Instant.now().minus(LEGACY_AGE));
                } else {
                    stale = false;
                }
                if (!stale) continue;
                try {
                    AtomicFiles.deleteTree(p);
                    removed++;
                } catch (IOException e) {
                    // another user's folder or a read-only mount: leave it, the run itself is not affected
                }
            }
        } catch (IOException e) {
            return removed;
        }
        return removed;
    }

    /** Whether the process that made a folder still runs (same PID and same start time). */
    static boolean alive(long pid, long startMillis) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) return false;
        Optional<Long> start = startMillis(h.get());
        // start times are known to the millisecond on Linux; unknown ones keep the folder (never remove a live run's)
        return startMillis == 0 || start.isEmpty() || Math.abs(start.get() - startMillis) < 1000;
    }

    private static Optional<Long> startMillis(ProcessHandle h) {
        return h.info().startInstant().map(Instant::toEpochMilli);
    }

    private static Path defaultParent() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    private static void check(String purpose) {
        if (!purpose.matches("[a-z]+")) throw new IllegalArgumentException("purpose must be a lowercase word: " + purpose);
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
