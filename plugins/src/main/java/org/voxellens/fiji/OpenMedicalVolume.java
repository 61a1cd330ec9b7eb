package org.voxellens.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.plugin.PlugIn;
import java.io.IOException;
import java.nio.file.Path;
import org.voxellens.io.LoadedVolume;
import org.voxellens.io.VolumeReader;

/**
 * Plugins > VoxelLens > Open Medical Volume...: a NIfTI file, a DICOM file or a folder of DICOM files (one series,
 * chosen by UID or number, default the largest 3D series) as a 32-bit stack in mm with its full LPS geometry.
 * Macro: {@code run("Open Medical Volume...", "path=[/data/brain.nii.gz] series=");}
 */
public class OpenMedicalVolume implements PlugIn {

    static String lastPath = "";

    @Override
    public void run(String arg) {
        DialogValues d;
        String path, series;
        try {
            d = DialogValues.create("Open Medical Volume");
            d.addFile("Path (NIfTI file, DICOM file or folder)", lastPath, false);
            d.addString("Series (UID or number; empty: largest 3D series)", "", 24);
            if (!d.show()) return;
            path = d.nextString().trim();
            series = d.nextString().trim();
        } catch (RuntimeException e) {
            DialogValues.error("Open Medical Volume", e.getMessage());
            return;
        }
        if (path.isEmpty()) {
            DialogValues.error("Open Medical Volume", "No path given.");
            return;
        }
        lastPath = path;
        try {
            ImagePlus imp = open(path, series.isEmpty() ? null : series);
            imp.show();
        } catch (IOException | RuntimeException e) {
            DialogValues.error("Open Medical Volume", path + ": " + e.getMessage());
        }
    }

    /** Reads a volume as an ImagePlus with its geometry, without showing it. */
    public static ImagePlus open(String path, String series) throws IOException {
        IJ.showStatus("VoxelLens: reading " + path);
        LoadedVolume lv = VolumeReader.read(Path.of(path), series);
        lv.message().ifPresent(m -> m.lines().forEach(l -> IJ.log("VoxelLens: " + l)));
        ImagePlus imp = VolumeImages.toImagePlus(lv.volume(), lv.displayName());
        imp.setProperty("voxellens.source", path);
        imp.setProp("voxellens.source", path);
        IJ.showStatus("");
        return imp;
    }
}
