package org.voxellens.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.voxellens.volumetric.AtomicFiles;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The journal of a {@code pacs run}: one JSON line per study and attempt ({@code done} or {@code failed}, reason,
 * input and result series UIDs, timings). Each line is written in one positional write and forced to disk before
 * the study counts as reported, so a crash or Ctrl-C leaves at most a cut last line, which the next open drops (its
 * study simply runs again). A re-run reads it back: the last line of a study decides. The file is locked while a
 * run has it open (an OS lock that holds across processes; {@code <journal>.owner} names the holder for the message
 * a second run gets), so two runs never work through the same studies. UIDs only: no patient name, ID or birth date.
 */
final class RunJournal implements AutoCloseable {

    static final String DONE = "done";
    static final String FAILED = "failed";

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();

    private final Path file;
    private final FileChannel channel;
    private final Map<String, String> status;

    private RunJournal(Path file, FileChannel channel, Map<String, String> status) {
        this.file = file;
        this.channel = channel;
        this.status = status;
    }

    static RunJournal open(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Path owner = ownerFile(file);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            java.nio.channels.FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null; // this JVM holds it already
            }
            if (lock == null) throw new IOException(file + ": the journal is in use by another pacs run (" + holder(owner) + ")");
            // Who holds the lock, for the message of a second run. Written only once the lock is held.
            AtomicFiles.writeString(owner, "pid " + ProcessHandle.current().pid() + " on " + hostName() + ", since "
                + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "\n");
            // Read through the locked channel itself: opening and closing a second descriptor on the file (as
            // Files.readAllBytes does) would release this process's POSIX lock (fcntl locks belong to the process
            // and the file, and any close drops them), and a second run would then get in.
            long size = ch.size();
            if (size > Integer.MAX_VALUE - 16) throw new IOException(file + ": too large for a journal (" + size + " bytes)");
            ByteBuffer all = ByteBuffer.allocate((int) size);
            while (all.hasRemaining() && ch.read(all, all.position()) >= 0) {
                // positional reads until full
            }
            byte[] bytes = all.array();
            int complete = 0; // bytes up to the last newline: a crash can only have cut the line after it
            for (int i = bytes.length - 1; i >= 0; i--) {
                if (bytes[i] == '\n') {
                    complete = i + 1;
                    break;
                }
            }
            Map<String, String> status = new LinkedHashMap<>();
            List<String> lines = new String(bytes, 0, complete, StandardCharsets.UTF_8).lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty()) continue;
                try {
                    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                    status.put(o.get("study_instance_uid").getAsString(), o.get("status").getAsString());
                } catch (RuntimeException e) {
                    throw new IOException(file + ": line " + (i + 1) + " is not a journal entry");
                }
            }
            if (complete < bytes.length) ch.truncate(complete); // drop the cut line; its study runs again
            return new RunJournal(file, ch, status);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** The file beside the journal that names the run holding it. */
    static Path ownerFile(Path journal) {
        return journal.resolveSibling(journal.getFileName() + ".owner");
    }

    /** What the owner file says (it is only informative: the lock decides), or that it is unknown. */
    private static String holder(Path owner) {
        try {
            String s = Files.readString(owner, StandardCharsets.UTF_8).strip();
            return s.isEmpty() || s.length() > 200 ? "holder unknown" : "held by " + s;
        } catch (IOException | RuntimeException e) {
            return "holder unknown";
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "this host";
        }
    }

    /** The last recorded status of the study, or null. */
    synchronized String status(String studyUid) {
        return status.get(studyUid);
    }

    /** Appends the entry (it must hold study_instance_uid and status) as one line, on disk when this returns. */
    synchronized void append(Map<String, Object> entry) throws IOException {
        byte[] line = (GSON.toJson(entry) + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.wrap(line);
        long at = channel.size(); // this run holds the lock: nobody else writes
        while (b.hasRemaining()) at += channel.write(b, at);
        channel.force(false);
        status.put((String) entry.get("study_instance_uid"), (String) entry.get("status"));
    }

    Path file() { return file; }

    @Override
    public synchronized void close() throws IOException {
        if (!channel.isOpen()) return;
        try {
            Files.deleteIfExists(ownerFile(file)); // while the lock is still held: no later run's file is removed
        } finally {
            channel.close();
        }
    }
}
