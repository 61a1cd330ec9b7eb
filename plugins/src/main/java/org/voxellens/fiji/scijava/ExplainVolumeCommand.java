package org.voxellens.fiji.scijava;

import java.io.File;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.voxellens.fiji.BatchExplain;

/**
 * Explain Volume for scripts (Groovy, Jython, ...) and headless runs: a volume file or DICOM folder in, the command
 * line's results out (maps as NIfTI, pictures, summary.json, report.html; scores.csv with metrics). No menu entry:
 * the menu has the ImageJ 1 command; scripts call
 * {@code command.run("org.voxellens.fiji.scijava.ExplainVolumeCommand", true, "input", f, "model", m, "output", o).get()}.
 */
@Plugin(type = Command.class, headless = true, label = "VoxelLens: Explain Volume (script)")
public class ExplainVolumeCommand implements Command {

    @Parameter(label = "Volume (NIfTI file, DICOM file or folder)")
    File input;
    @Parameter(label = "Model package folder", style = "directory")
    File model;
    @Parameter(label = "Methods", required = false)
    String methods = "gradcam,smoothgrad";
    @Parameter(label = "Target class (empty: the model's default)", required = false)
    String target = "";
    @Parameter(label = "Metrics (empty: none)", required = false)
    String metrics = "";
    @Parameter(label = "Grad-CAM layer (empty: the model's default)", required = false)
    String layer = "";
    @Parameter(label = "Output folder", style = "directory")
    File output;

    @Parameter(type = ItemIO.OUTPUT)
    String status;

    @Override
    public void run() {
        status = BatchExplain.explainCase(input.getPath(), model.getPath(), methods, target, metrics, layer, output.getPath());
        if (!status.startsWith("OK")) throw new IllegalArgumentException(status.replaceFirst("^ERROR: ", ""));
    }
}
