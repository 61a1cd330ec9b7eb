package org.voxellens.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run journal: last line per study wins, a line cut by a crash is ignored and not glued to, one run at a time. */
class RunJournalTest {

    @TempDir
    Path tmp;

    private static Map<String, Object> entry(String study, String status) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("study_instance_uid", study);
        m.put("status", status);
        return m;
    }

    @Test
    void theLastLineOfAStudyDecidesAndACutLineIsIgnored() throws IOException {
        Path f = tmp.resolve("run.jsonl");
        try (RunJournal j = RunJournal.open(f)) {
            j.append(entry("1.2.3", RunJournal.FAILED));
            j.append(entry("1.2.4", RunJournal.DONE));
            j.append(entry("1.2.3", RunJournal.DONE));
        }
        Files.writeString(f, "{\"study_instance_uid\":\"1.2.5\",\"sta", java.nio.file.StandardOpenOption.APPEND); // crash
        try (RunJournal j = RunJournal.open(f)) {
            assertEquals(RunJournal.DONE, j.status("1.2.3"));
            assertEquals(RunJournal.DONE, j.status("1.2.4"));
            assertNull(j.status("1.2.5"), "the cut line does not count");
            j.append(entry("1.2.5", RunJournal.DONE));
        }
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        assertEquals(4, lines.size(), "the cut line is dropped, the new entry follows the complete ones");
        assertEquals("1.2.5", JsonParser.parseString(lines.get(3)).getAsJsonObject().get("study_instance_uid").getAsString());
        try (RunJournal j = RunJournal.open(f)) {
            assertEquals(RunJournal.DONE, j.status("1.2.5"));
        }
    }

    @Test
    void oneRunAtATime() throws IOException {
        Path f = tmp.resolve("run.jsonl");
        try (RunJournal j = RunJournal.open(f)) {
            IOException e = assertThrows(IOException.class, () -> RunJournal.open(f));
            assertTrue(e.getMessage().contains("in use by another pacs run"), e.getMessage());
        }
        RunJournal.open(f).close(); // free again
    }

    @Test
    void aDamagedLineInTheMiddleIsAnError() throws IOException {
        Path f = tmp.resolve("run.jsonl");
        Files.writeString(f, "not json\n{\"study_instance_uid\":\"1.2\",\"status\":\"done\"}\n");
        IOException e = assertThrows(IOException.class, () -> RunJournal.open(f));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
    }
}
