package org.voxellens.volumetric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-run temp folders: private, removed on close, and swept only when their process is gone. */
class RunTempDirTest {

    @TempDir
    Path tmp;

    @Test
    void aRunFolderIsPrivateAndGoneAfterClose() throws Exception {
        RunTempDir d = RunTempDir.create(tmp, "pacs");
        Files.createDirectories(d.path().resolve("study-1/in"));
        Files.writeString(d.path().resolve("study-1/in/x.dcm"), "identified");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d.path())));
        assertTrue(d.path().getFileName().toString().startsWith("voxellens-pacs-" + ProcessHandle.current().pid() + "-"));
        d.close();
        d.close(); // twice: the shutdown hook and the normal exit may both close it
        assertFalse(Files.exists(d.path()));
    }

    @Test
    void aSweepRemovesFoldersOfDeadRunsOnlyAndNeverALiveOne() throws Exception {
        RunTempDir live = RunTempDir.create(tmp, "pacs");
        // A real process that has ended: its PID and start time name a folder as a killed run would leave it.
        Process p = new ProcessBuilder("true").start();
        long pid = p.pid();
        long start = p.toHandle().info().startInstant().map(Instant::toEpochMilli).orElse(1L);
        p.waitFor();
        Path dead = Files.createDirectories(tmp.resolve("voxellens-pacs-" + pid + "-" + start + "-abc123"));
        Files.writeString(dead.resolve("left.dcm"), "identified");
        // Our own PID but another start time: the PID was reused, the folder's owner is gone.
        Path reused = Files.createDirectories(tmp.resolve("voxellens-pacs-" + ProcessHandle.current().pid() + "-12345-zz"));
        Path legacyOld = Files.createDirectories(tmp.resolve("voxellens-pacs-4242424242"));
        Files.setLastModifiedTime(legacyOld, FileTime.from(Instant.now().minus(2, ChronoUnit.HOURS)));
        Path legacyNew = Files.createDirectories(tmp.resolve("voxellens-pacs-777"));
        Path other = Files.createDirectories(tmp.resolve("voxellens-bench-1-2-x"));

        assertEquals(3, RunTempDir.sweep(tmp, "pacs"));
        assertTrue(Files.isDirectory(live.path()), "a live run's folder stays");
        assertFalse(Files.exists(dead), "dead run swept");
        assertFalse(Files.exists(reused), "reused PID swept");
        assertFalse(Files.exists(legacyOld), "old legacy folder swept");
        assertTrue(Files.exists(legacyNew), "a recent legacy folder may belong to a running older version");
        assertTrue(Files.exists(other), "other purposes untouched");
        live.close();
    }
}
