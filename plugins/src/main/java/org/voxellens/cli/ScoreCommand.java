package org.voxellens.cli;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.voxellens.io.LoadedVolume;
import org.voxellens.io.VolumeReader;
import org.voxellens.volumetric.Interpolation;
import org.voxellens.volumetric.Resampler;
import org.voxellens.volumetric.Volume;
import org.voxellens.xai.metrics.Localisation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code voxellens score}: localisation of an existing map (from VoxelLens or any other tool) against a ground-truth
 * mask. The mask is brought onto the map's grid by nearest neighbour, so both may come from different scanners'
 * grids of the same patient.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
    description = "Score an existing attribution map against a ground-truth mask: relevance mass and rank accuracy, pointing game, AUROC, top-k IoU.")
final class ScoreCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--map", required = true, description = "Attribution map (NIfTI or DICOM).")
    Path map;
    @Option(names = "--mask", required = true, description = "Ground-truth mask (non-zero = inside).")
    Path mask;
    @Option(names = "--relevance", defaultValue = "abs", description = "abs (|map|) or positive (max(map, 0)); default: ${DEFAULT-VALUE}.")
    String relevance;
    @Option(names = "--top", defaultValue = "0.05", description = "Fraction of voxels for the top-k IoU (default: ${DEFAULT-VALUE}).")
    double top;
    @Option(names = "--tolerance", defaultValue = "0", description = "Pointing-game tolerance in voxels (default: ${DEFAULT-VALUE}).")
    double tolerance;
    @Option(names = "--json", description = "Also write the scores to this JSON file.")
    Path json;

    @Override
    public Integer call() throws IOException {
        java.io.PrintWriter con = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        LoadedVolume m = VolumeReader.read(map, null);
        Volume gt = Resampler.resample(VolumeReader.read(mask, null).volume(), m.volume().geometry(), Interpolation.NEAREST, 0f);
        float[] g = gt.data();
        boolean any = false;
        for (int i = 0; i < g.length; i++) {
            g[i] = g[i] != 0 ? 1f : 0f;
            any |= g[i] != 0;
        }
        if (!any) throw new IllegalArgumentException(mask + ": the mask has no voxel inside the map's field of view");
        Localisation.Relevance rel = switch (relevance.toLowerCase(Locale.ROOT)) {
            case "abs", "absolute" -> Localisation.Relevance.ABSOLUTE;
            case "positive", "pos" -> Localisation.Relevance.POSITIVE;
            default -> throw new IllegalArgumentException("--relevance must be abs or positive, got " + relevance);
        };
        var geo = m.volume().geometry();
        Localisation.Result r = Localisation.builder().relevance(rel).topFraction(top).pointingTolerance(tolerance).build()
            .score(m.volume().data(), g, new int[] {geo.nz(), geo.ny(), geo.nx()});
        con.println("Localisation of " + m.displayName() + " against " + mask.getFileName() + ":");
        r.values().forEach((k, v) -> con.printf(Locale.ROOT, "  %-28s %s%n", k,
            v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : v));
        if (json != null) {
            Map<String, Object> out = new LinkedHashMap<>(r.toMap());
            out.put("map", map.toString());
            out.put("mask", mask.toString());
            org.voxellens.volumetric.AtomicFiles.writeString(json, new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(out));
        }
        return 0;
    }
}
