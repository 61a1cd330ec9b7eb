package org.voxellens.fiji;

import ij.plugin.PlugIn;

/**
 * Plugins > VoxelLens > Settings...: device, threads and model folders, kept in ImageJ's preferences.
 * Macro: {@code run("Settings...", "device=cpu threads=2 model=[/models:/more/models]");}
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
            if (!d.show()) return;
            VoxelLensSettings n = new VoxelLensSettings(d.nextChoice(), (int) Math.round(d.nextNumber()),
                VoxelLensSettings.parseFolders(d.nextString()));
            n.save();
            n.applyThreads();
            ij.IJ.log("VoxelLens: settings: device " + n.device() + ", threads " + (n.threads() == 0 ? "all cores" : n.threads())
                + ", " + n.modelPackages().size() + " model packages in the model folders");
        } catch (RuntimeException e) {
            DialogValues.error(TITLE, e.getMessage());
        }
    }
}
