package org.voxellens.fiji;

import ij.Prefs;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.voxellens.xai.pipeline.Tiling;
import org.voxellens.xai.runtime.DeviceSpec;

/**
 * What Plugins > VoxelLens > Settings... stores in ImageJ's preferences (IJ_Prefs.txt): the device, the engine's
 * CPU threads (0: all cores), the folders where model packages live, and how sliding-window models cover a large
 * volume (tile overlap, tiles per pass, tiles scored by the trust metrics: the command line's --tile-overlap,
 * --tile-batch, --metric-tiles). Immutable; {@link #save} writes a new one.
 */
public record VoxelLensSettings(String device, int threads, List<Path> modelFolders, Tiling tiling) {

    static final String DEVICE = "voxellens.device", THREADS = "voxellens.threads", MODELS = "voxellens.models",
        OVERLAP = "voxellens.tile_overlap", TILE_BATCH = "voxellens.tile_batch", METRIC_TILES = "voxellens.metric_tiles";

    public VoxelLensSettings {
        DeviceSpec.parse(device);
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0: all cores)");
        modelFolders = List.copyOf(modelFolders);
        if (tiling == null) tiling = Tiling.DEFAULT;
    }

    public static VoxelLensSettings load() {
        String folders = Prefs.get(MODELS, "");
        Tiling t = Tiling.DEFAULT;
        try {
            t = new Tiling(Prefs.get(OVERLAP, t.overlap()), (int) Prefs.get(TILE_BATCH, t.batchSize()),
                (int) Prefs.get(METRIC_TILES, t.metricTiles()));
        } catch (IllegalArgumentException e) {
            ij.IJ.log("VoxelLens: ignoring stored tiling settings (" + e.getMessage() + "); using the defaults");
        }
        return new VoxelLensSettings(Prefs.get(DEVICE, "auto"), (int) Prefs.get(THREADS, 0), parseFolders(folders), t);
    }

    public void save() {
        Prefs.set(DEVICE, device);
        Prefs.set(THREADS, threads);
        Prefs.set(MODELS, foldersText());
        Prefs.set(OVERLAP, tiling.overlap());
        Prefs.set(TILE_BATCH, tiling.batchSize());
        Prefs.set(METRIC_TILES, tiling.metricTiles());
    }

    public String foldersText() {
        return String.join(File.pathSeparator, modelFolders.stream().map(Path::toString).toList());
    }

    static List<Path> parseFolders(String text) {
        return Arrays.stream(text.split("[" + File.pathSeparator + ";]")).map(String::trim).filter(s -> !s.isEmpty()).map(Path::of).toList();
    }

    /** Model packages (folders with an rdf.yaml) directly inside the model folders, sorted. */
    public List<Path> modelPackages() {
        List<Path> found = new ArrayList<>();
        for (Path f : modelFolders) {
            if (Files.isRegularFile(f.resolve("rdf.yaml"))) found.add(f);
            if (!Files.isDirectory(f)) continue;
            try (Stream<Path> s = Files.list(f)) {
                s.filter(p -> Files.isRegularFile(p.resolve("rdf.yaml"))).sorted().forEach(found::add);
            } catch (IOException e) {
                ij.IJ.log("VoxelLens: cannot list model folder " + f + ": " + e.getMessage());
            }
        }
        return found;
    }

    /**
     * Applies the thread count to the engine. libtorch reads it once, when the engine starts: a change made after
     * the first explanation takes effect after a restart of Fiji.
     */
    public void applyThreads() {
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
    }
}
