package org.voxellens.xai.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NativeAllocatorTest {

    static final Path TCMALLOC = Path.of("/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4");

    /** Entry point of the child JVM below: prints what it sees. */
    public static final class Print {
        public static void main(String[] args) {
            System.out.println(NativeAllocator.name());
        }
    }

    @Test
    void thisJvmReportsWhatItsEnvironmentPreloads() {
        String preload = System.getenv().getOrDefault("LD_PRELOAD", "");
        String expected = preload.contains("tcmalloc") ? "tcmalloc" : preload.contains("jemalloc") ? "jemalloc" : "glibc";
        assertEquals(expected, NativeAllocator.name());
    }

    @Test
    void aJvmStartedWithTcmallocPreloadedReportsIt() throws Exception {
        assertTrue(Files.isRegularFile(TCMALLOC), TCMALLOC + " missing: run scripts/setup (installs libtcmalloc-minimal4)");
        assertEquals("tcmalloc", child(TCMALLOC.toString()));
        assertEquals("glibc", child(null));
    }

    private static String child(String preload) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"), Print.class.getName()));
        pb.environment().remove("LD_PRELOAD");
        if (preload != null) pb.environment().put("LD_PRELOAD", preload);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), out);
        String[] lines = out.split("\\R");
        return lines[lines.length - 1];
    }
}
