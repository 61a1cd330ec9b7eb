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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The journal of a {@code pacs run}: one JSON line per study and attempt ({@code done} or {@code failed}, reason,
 * input and result series UIDs, timings). Each line is appended in one write and forced to disk before the next
 * study is reported, so a crash or Ctrl-C leaves at most the studies in flight unrecorded, never half a line that
 * counts. A re-run reads it back: the last line of a study decides. UIDs only: no patient name, ID or birth date.
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
        Map<String, String> status = new LinkedHashMap<>();
        boolean cutShort = false;
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            cutShort = !text.isEmpty() && !text.endsWith("\n");
            List<String> lines = text.lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty()) continue;
                try {
                    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                    status.put(o.get("study_instance_uid").getAsString(), o.get("status").getAsString());
                } catch (RuntimeException e) {
                    // a line cut short by a crash (only the last can be): that study simply runs again
                    if (i < lines.size() - 1) throw new IOException(file + ": line " + (i + 1) + " is not a journal entry");
                }
            }
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        if (cutShort) ch.write(ByteBuffer.wrap(new byte[] {'\n'})); // the cut line must not glue onto the next entry
        return new RunJournal(file, ch, status);
    }

    /** The last recorded status of the study, or null. */
    synchronized String status(String studyUid) {
        return status.get(studyUid);
    }

    /** Appends the entry (it must hold study_instance_uid and status) as one line, on disk when this returns. */
    synchronized void append(Map<String, Object> entry) throws IOException {
        byte[] line = (GSON.toJson(entry) + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.wrap(line);
        while (b.hasRemaining()) channel.write(b);
        channel.force(false);
        status.put((String) entry.get("study_instance_uid"), (String) entry.get("status"));
    }

    Path file() { return file; }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}
