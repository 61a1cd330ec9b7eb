package org.voxellens.fiji;

import ij.plugin.PlugIn;
import java.nio.file.Path;
import java.util.List;
import org.voxellens.xai.pipeline.Tiling;

/**
 * Plugins > VoxelLens > Settings...: device, threads, model folders and the sliding-window tiling, kept in ImageJ's
 * preferences. Macro: {@code run("Settings...", "device=cpu threads=2 model=[/models:/more/models] overlap=0.50
 * tiles=0 metric=4");}
 */
public class Settings implements PlugIn {

    static final String TITLE = "VoxelLens Settings";

    @Override
    public void run(String arg) {
        VoxelLensSettings s = VoxelLensSettings.load();
        try {
            DialogValues d = DialogValues.create(TITLE);
            d.addChoice("Device", ExplainParameters.DEVICES, s.device());
            d.addNumber("Threads (0: all cores; applies at the engine's first start)", s.threads(), 0);
            d.addString("Model folders (separated by " + java.io.File.pathSeparator + ")", s.foldersText(), 40);
            d.addMessage("Segmentation models that declare a spacing run by sliding window:");
            d.addNumber("Overlap of the tiles (0 to 0.9)", s.tiling().overlap(), 2);
            d.addNumber("Tiles per pass (0: from free memory)", s.tiling().batchSize(), 0);
            d.addNumber("Metric tiles: tiles scored per method by the trust metrics", s.tiling().metricTiles(), 0);
            if (!d.show()) return;
            String device = d.nextChoice();
            int threads = (int) Math.round(d.nextNumber());
            List<Path> folders = VoxelLensSettings.parseFolders(d.nextString());
            Tiling tiling = new Tiling(d.nextNumber(),
                (int) Math.round(d.nextNumber()), (int) Math.round(d.nextNumber()));
            VoxelLensSettings n = new VoxelLensSettings(device, threads, folders, tiling);
            n.save();
            n.applyThreads();
            ij.IJ.log("VoxelLens: settings: device " + n.device() + ", threads " + (n.threads() == 0 ? "all cores" : n.threads())
                + ", " + n.modelPackages().size() + " model packages in the model folders; sliding window: overlap "
                + n.tiling().overlap() + ", " + (n.tiling().batchSize() == 0 ? "tiles per pass from free memory" : n.tiling().batchSize()
                + " tiles per pass") + ", " + n.tiling().metricTiles() + " tiles scored by the metrics");
        } catch (RuntimeException e) {
            DialogValues.error(TITLE, e.getMessage());
        }
    }
}
