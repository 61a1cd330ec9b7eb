package org.voxellens.fiji.scijava;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.voxellens.cli.Main;

/**
 * Export for scripts: a map (NIfTI) as a DICOM Parametric Map (output ending in .dcm) or a classic DICOM image
 * series (output folder), exactly as {@code voxellens convert}.
 */
@Plugin(type = Command.class, headless = true, label = "VoxelLens: Export Map (script)")
public class ExportMapCommand implements Command {

    @Parameter(label = "Map (NIfTI)")
    File input;
    @Parameter(label = "Output (.dcm: Parametric Map; a folder: image series)")
    File output;

    @Parameter(type = ItemIO.OUTPUT)
    String status;

    @Override
    public void run() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {"convert", "--input", input.getPath(), "--out", output.getPath()},
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        if (rc != 0) throw new IllegalArgumentException(err.toString(StandardCharsets.UTF_8).strip());
        status = out.toString(StandardCharsets.UTF_8).strip();
    }
}
