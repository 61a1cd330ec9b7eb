package org.voxellens.fiji.scijava;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.voxellens.fiji.BatchExplain;

/**
 * Score Explanation for scripts: explains with the chosen methods and metrics (the command line's --metrics) and
 * returns the scores as CSV text ({@code method,metric,name,value,seconds}); every file also lands in output.
 */
@Plugin(type = Command.class, headless = true, label = "VoxelLens: Score Explanation (script)")
public class ScoreExplanationCommand implements Command {

    @Parameter(label = "Volume (NIfTI file, DICOM file or folder)")
    File input;
    @Parameter(label = "Model package folder", style = "directory")
    File model;
    @Parameter(label = "Methods", required = false)
    String methods = "saliency";
    @Parameter(label = "Target class (empty: the model's default)", required = false)
    String target = "";
    @Parameter(label = "Metrics", required = false)
    String metrics = "infidelity,sensitivity,randomisation";
    @Parameter(label = "Output folder", style = "directory")
    File output;

    @Parameter(type = ItemIO.OUTPUT)
    String scores;

    @Override
    public void run() {
        if (metrics == null || metrics.isBlank()) throw new IllegalArgumentException("no metrics given");
        String status = BatchExplain.explainCase(input.getPath(), model.getPath(), methods, target, metrics, output.getPath());
        if (!status.startsWith("OK")) throw new IllegalArgumentException(status.replaceFirst("^ERROR: ", ""));
        try {
            scores = Files.readString(output.toPath().resolve("scores.csv"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
