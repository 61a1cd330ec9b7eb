package org.voxellens.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.io.nifti.NiftiReader;
import org.voxellens.volumetric.Volume;

/**
 * {@code voxellens explain} with a segmentation model that declares a spacing: the demo UNet at 2 mm sees the
 * 144 mm demo case as a 72³ grid, 8 tiles of 48³; saliency and coarse-to-fine occlusion near the target run tile by
 * tile, the occlusion plan is printed before the work, and summary.json reports tiles and model evaluations, and
 * the trust metrics: infidelity and sensitivity on at most {@code --metric-tiles} explained tiles (a weighted mean
 * with its tiles), localisation on the whole map.
 */
class SlidingWindowCommandTest {

    @TempDir
    Path tmp;

    @Test
    void explainsByTilesAndReportsTheOcclusionPlanAndCost() throws Exception {
        Path demo = ExplainCommandTest.HOME.resolve("models/demo-segmenter");
        Path pkg = Files.createDirectories(tmp.resolve("seg-2mm"));
        Files.copy(demo.resolve("model.pt"), pkg.resolve("model.pt"));
        Files.writeString(pkg.resolve("rdf.yaml"), Files.readString(demo.resolve("rdf.yaml"), StandardCharsets.UTF_8)
            .replace("    input_size: [48, 48, 48]\n", "    input_size: [48, 48, 48]\n    spacing: [2.0, 2.0, 2.0]\n"),
            StandardCharsets.UTF_8);
        Path out = tmp.resolve("out");
        ExplainCommandTest.Run r = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            pkg.toString(), "--method", "saliency,occlusion", "--occlusion-window", "16", "--occlusion-stride", "16", "--occlusion-levels", "1",
            "--occlusion-near-target", "--tile-batch", "4", "--out", out.toString(), "--threads", "2",
            "--metrics", "infidelity,sensitivity,localisation", "--mask", ExplainCommandTest.MASK.toString(),
            "--metric-perturbations", "4", "--metric-samples", "1", "--metric-tiles", "2");
        assertEquals(0, r.code(), r.err() + r.out());
        System.out.println(r.out());
        assertTrue(r.out().contains("Tiles  8 of 48×48×48"), r.out());
        assertTrue(r.out().indexOf("Plan   occlusion: at most") < r.out().indexOf("Target "), "plan printed before the work: " + r.out());

        Volume input = NiftiReader.read(ExplainCommandTest.SAMPLE).volume();
        for (String f : new String[] {"saliency.nii.gz", "occlusion.nii.gz", "segmentation.nii.gz"}) {
            Volume v = NiftiReader.read(out.resolve(f)).volume();
            assertTrue(input.geometry().sameGrid(v.geometry(), 1e-3), f + " on the input grid");
        }
        JsonObject s = JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
        assertArrayEquals(new int[] {72, 72, 72}, new com.google.gson.Gson().fromJson(
            s.getAsJsonObject("model_grid").get("dims_xyz"), int[].class));
        assertTrue(s.getAsJsonObject("prediction").getAsJsonObject("model_grid_voxel_counts").get("lesion").getAsLong() > 0);
        Map<String, JsonObject> methods = s.getAsJsonArray("methods").asList().stream().map(e -> e.getAsJsonObject())
            .collect(Collectors.toMap(o -> o.get("id").getAsString(), o -> o));
        JsonObject occ = methods.get("occlusion").getAsJsonObject("diagnostics");
        JsonObject sw = occ.getAsJsonObject("sliding_window");
        assertEquals(8, sw.get("tiles").getAsInt());
        int explained = sw.get("tiles_explained").getAsInt();
        assertTrue(explained >= 1 && explained <= 8);
        long evaluations = occ.getAsJsonObject("sum_over_tiles").get("model_evaluations").getAsLong();
        assertTrue(evaluations > explained, "occlusion evaluations summed over the tiles: " + occ);
        assertEquals(1, methods.get("occlusion").getAsJsonObject("parameters").get("coarse_levels").getAsInt());

        // trust metrics: the untiled entry's shape plus `tiles`; at most 2 tiles scored, the weighted mean of their values
        for (JsonObject method : methods.values()) {
            var metrics = method.getAsJsonArray("metrics").asList().stream().map(e -> e.getAsJsonObject()).toList();
            assertEquals(List.of("infidelity", "sensitivity", "localisation"), metrics.stream().map(e -> e.get("metric").getAsString()).toList());
            for (JsonObject metric : metrics.subList(0, 2)) {
                String what = method.get("id").getAsString() + " " + metric.get("metric").getAsString();
                assertEquals(Set.of("metric", "parameters", "values", "cost", "tiles"), metric.keySet(), what);
                JsonObject tiles = metric.getAsJsonObject("tiles");
                int scored = tiles.get("tiles_scored").getAsInt();
                assertEquals(Math.min(2, explained), scored, what);
                assertEquals(explained, tiles.get("tiles_explained").getAsInt(), what);
                assertEquals(explained - scored, tiles.get("tiles_not_scored").getAsInt(), what);
                assertEquals(2, tiles.get("max_tiles_scored").getAsInt(), what);
                var perTile = tiles.getAsJsonArray("per_tile").asList().stream().map(e -> e.getAsJsonObject()).toList();
                assertEquals(scored, perTile.size(), what);
                String key = metric.get("metric").getAsString().equals("infidelity") ? "infidelity" : "sensitivity_max";
                double sum = 0, weights = 0;
                for (JsonObject t : perTile) {
                    long n = t.get("target_voxels").getAsLong();
                    assertTrue(n > 0 && t.getAsJsonArray("origin_xyz").size() == 3, what + " " + t);
                    sum += n * t.getAsJsonObject("values").get(key).getAsDouble();
                    weights += n;
                }
                double mean = metric.getAsJsonObject("values").get(key).getAsDouble();
                assertEquals(sum / weights, mean, 1e-9 * Math.max(1, Math.abs(mean)), what + " weighted mean");
            }
            assertEquals(Set.of("metric", "parameters", "values", "cost"), metrics.get(2).keySet(), "localisation: the whole map");
            double mass = metrics.get(2).getAsJsonObject("values").get("relevance_mass_accuracy").getAsDouble();
            assertTrue(mass > 0 && mass <= 1, "relevance mass accuracy " + mass);
        }
        assertTrue(r.out().contains("explained tiles, weighted by target voxels"), r.out());
        assertTrue(Files.readString(out.resolve("scores.csv")).contains("occlusion,sensitivity,sensitivity_max,"), "scores.csv");

        // the occlusion map's strongest drop lies at the lesion the segmenter found
        Volume mask = NiftiReader.read(ExplainCommandTest.MASK).volume();
        Volume occMap = NiftiReader.read(out.resolve("occlusion.nii.gz")).volume();
        int[] peak = org.voxellens.volumetric.render.HeatMapRenderer.peakVoxel(occMap);
        double[] p = occMap.geometry().voxelToWorld(peak[0], peak[1], peak[2]);
        double best = Double.MAX_VALUE;
        for (int z = 0; z < mask.geometry().nz(); z++) {
            for (int y = 0; y < mask.geometry().ny(); y++) {
                for (int x = 0; x < mask.geometry().nx(); x++) {
                    if (mask.get(x, y, z) == 0) continue;
                    double[] w = mask.geometry().voxelToWorld(x, y, z);
                    best = Math.min(best, Math.sqrt(Math.pow(w[0] - p[0], 2) + Math.pow(w[1] - p[1], 2) + Math.pow(w[2] - p[2], 2)));
                }
            }
        }
        assertTrue(best < 20, "occlusion peak " + best + " mm from the lesion (16-voxel windows: 32 mm)");
    }
}
