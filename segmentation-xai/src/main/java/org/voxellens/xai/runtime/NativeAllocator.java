package org.voxellens.xai.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Which malloc serves libtorch in this process: "tcmalloc" or "jemalloc" when one is preloaded (the voxellens
 * launcher preloads tcmalloc, see docs/performance.md), else "glibc". It changes timings of large batches by up to
 * ~2× on CPU, so summary.json and the benchmark record it next to the libtorch version.
 */
public final class NativeAllocator {

    private NativeAllocator() {}

    public static String name() {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) return "unknown";
        try (Stream<String> lines = Files.lines(maps)) {
            return lines.map(NativeAllocator::library).filter(s -> s != null).findFirst().orElse("glibc");
        } catch (IOException | java.io.UncheckedIOException e) {
            return "unknown";
        }
    }

    private static String library(String mapsLine) {
        int slash = mapsLine.lastIndexOf('/');
        if (slash < 0) return null;
        String file = mapsLine.substring(slash + 1);
        if (file.startsWith("libtcmalloc")) return "tcmalloc";
        if (file.startsWith("libjemalloc")) return "jemalloc";
        return null;
    }
}
