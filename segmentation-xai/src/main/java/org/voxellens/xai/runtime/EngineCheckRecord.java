package org.voxellens.xai.runtime;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Properties;

/**
 * What the engine check found on this machine before, so that a later process can start with the fastest kernels
 * that were exact here: {@code ~/.voxellens/engine-check/<DJL version>-<CPU signature>.properties}. Only a hint:
 * every process still runs the check on the kernels it uses. Unwritable homes are ignored.
 */
final class EngineCheckRecord {

    private final Path file;
    private final Properties props;

    private EngineCheckRecord(Path file, Properties props) {
        this.file = file;
        this.props = props;
    }

    static EngineCheckRecord forThisMachine() {
        Path dir = Path.of(System.getProperty("voxellens.engineCheckDir",
            Path.of(System.getProperty("user.home"), ".voxellens", "engine-check").toString()));
        String key = ("djl" + Engine.getDjlVersion() + "-" + EngineGuard.cpuSignature()).replaceAll("[^A-Za-z0-9._-]", "_");
        Path file = dir.resolve(key + ".properties");
        Properties p = new Properties();
        if (Files.isRegularFile(file)) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | IllegalArgumentException e) {
                p.clear(); // a damaged hint is no hint
            }
        }
        return new EngineCheckRecord(file, p);
    }

    /** oneDNN at its full ISA failed the check here before. */
    boolean fullIsaFailed() { return "failed".equals(props.getProperty("onednn")); }

    /** oneDNN limited to SSE4.1 failed the check here before. */
    boolean sse41Failed() { return "failed".equals(props.getProperty("onednn-sse41")); }

    /** Remembers how the kernels fared; ignores kernels that are not oneDNN's and any write failure. */
    void remember(ConvolutionKernels.Kernels kernels, boolean passed, String cpu) {
        String key = switch (kernels) {
            case ONEDNN -> "onednn";
            case ONEDNN_SSE41 -> "onednn-sse41";
            default -> null;
        };
        if (key == null || (passed ? "passed" : "failed").equals(props.getProperty(key))) return;
        props.setProperty(key, passed ? "passed" : "failed");
        props.setProperty("cpu", cpu);
        props.setProperty("checked", Instant.now().toString());
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".record", ".tmp");
            try {
                try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                    props.store(w, "VoxelLens engine check on this machine (a hint for later starts; see docs/performance.md)");
                }
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | RuntimeException e) {
            // a read-only home only costs later starts the faster kernels
        }
    }

    Path file() { return file; }
}
