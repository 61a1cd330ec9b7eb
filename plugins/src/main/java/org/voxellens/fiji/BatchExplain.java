package org.voxellens.fiji;

import ij.IJ;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.voxellens.cli.Main;

/**
 * One case of a batch run from a macro or a script: exactly {@code voxellens explain}, so a case explained in Fiji
 * has the same files as on the command line (maps as NIfTI, pictures, summary.json, report.html, and scores.csv
 * when metrics are asked for), staged so a failed case leaves nothing behind.
 *
 * <p>{@code status = call("org.voxellens.fiji.BatchExplain.explainCase", input, model, methods, target, metrics, outDir);}
 */
public final class BatchExplain {

    private BatchExplain() {}

    /**
     * @param methods comma-separated method names or "all"; empty: gradcam,smoothgrad
     * @param target class name or index; empty: the model's default
     * @param metrics comma-separated metric names; empty: none
     * @return "OK outDir" or "ERROR: message" (never throws: macros read the status)
     */
    public static String explainCase(String input, String model, String methods, String target, String metrics, String outDir) {
        return explainCase(input, model, methods, target, metrics, null, outDir);
    }

    /** @param layer Grad-CAM layer the package declares; empty: the package's default */
    public static String explainCase(String input, String model, String methods, String target, String metrics, String layer,
                                     String outDir) {
        VoxelLensSettings settings = VoxelLensSettings.load();
        List<String> args = new ArrayList<>(List.of("explain", "--input", input, "--model", model, "--out", outDir,
            "--device", settings.device()));
        if (methods != null && !methods.isBlank()) args.addAll(List.of("--method", methods.trim()));
        if (target != null && !target.isBlank()) args.addAll(List.of("--target", target.trim()));
        if (metrics != null && !metrics.isBlank()) args.addAll(List.of("--metrics", metrics.trim()));
        if (layer != null && !layer.isBlank()) args.addAll(List.of("--layer", layer.trim()));
        if (settings.threads() > 0) args.addAll(List.of("--threads", Integer.toString(settings.threads())));
        args.addAll(List.of("--tile-overlap", Double.toString(settings.tiling().overlap()),
            "--metric-tiles", Integer.toString(settings.tiling().metricTiles())));
        if (settings.tiling().batchSize() > 0) args.addAll(List.of("--tile-batch", Integer.toString(settings.tiling().batchSize())));
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        out.toString(StandardCharsets.UTF_8).lines().forEach(l -> IJ.log("VoxelLens: " + l));
        if (rc == 0) return "OK " + outDir;
        // stderr also carries the progress lines; the error is the last "voxellens:" line
        String msg = err.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("voxellens:"))
            .reduce((a, b) -> b).orElse("exit code " + rc).replaceFirst("^voxellens: (error: )?", "");
        return "ERROR: " + msg;
    }
}
