package org.voxellens.xai.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.SlidingWindow;
import org.voxellens.volumetric.Volume;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.attribution.Saliency;
import org.voxellens.xai.attribution.SmoothGrad;
import org.voxellens.xai.metrics.Infidelity;
import org.voxellens.xai.metrics.Localisation;
import org.voxellens.xai.metrics.MetricCatalog;
import org.voxellens.xai.metrics.MetricResult;
import org.voxellens.xai.metrics.TiledMetricResult;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.SegmentationTarget;
import org.voxellens.xai.target.TargetSpec;

/**
 * Trust metrics of a sliding-window explanation (the demo UNet declared at 3 mm with a 32³ input, on blocks of
 * {@link SlidingWindowExplainerTest#phantom}): on a volume of exactly one tile they equal the whole-volume
 * {@link Explainer}'s scores with the same package minus its spacing; on 8 tiles the scored tiles are the ones with
 * the most target voxels (counted here independently), at most K, and the volume's value is the weighted mean of
 * the per-tile values.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlidingWindowMetricsTest {

    static final int TILE = SlidingWindowExplainerTest.TILE;
    /** Where the one-tile block and the 2×2×2-tile block start in the phantom: the lesion inside, off centre. */
    static final int[] ONE_TILE_AT = {25, 5, 32}, EIGHT_TILES_AT = {0, 0, 24}, EIGHT_TILES = {48, 40, 48};
    TorchModel tiled, plain;
    Volume source, truth;

    @BeforeAll
    void setUp() throws IOException {
        tiled = TorchModel.load(ModelPackage.open(SlidingWindowExplainerTest.demoPackage(true)), DeviceSpec.CPU);
        plain = TorchModel.load(ModelPackage.open(SlidingWindowExplainerTest.demoPackage(false)), DeviceSpec.CPU);
        source = SlidingWindowExplainerTest.phantom();
        truth = lesionMask(source.geometry());
    }

    @AfterAll
    void close() {
        if (tiled != null) tiled.close();
        if (plain != null) plain.close();
    }

    @Test
    void oneTileGivesTheWholeVolumeExplainersScores() {
        Volume crop = crop(source, ONE_TILE_AT, new int[] {TILE, TILE, TILE});
        MetricCatalog.Options o = new MetricCatalog.Options(4, 2, 4, 4, null);
        Explainer.MetricsRequest req = new Explainer.MetricsRequest("infidelity,sensitivity,deletion,localisation", o, truth);
        // randomisation scores through the same tile context and is left out for time (~6 s per run here); how its
        // steps are joined is in TiledMetricResultTest. A sampled method: the tile's seed (seed + index 0) is the
        // whole volume's seed.
        List<AttributionMethod> methods = List.of(SmoothGrad.builder().samples(2).build());

        Explainer.Result byTiles = new Explainer(tiled).explain(crop, TargetSpec.DEFAULT, null, methods, req, 7, Progress.NONE);
        Explainer.Result whole = new Explainer(plain).explain(crop, TargetSpec.DEFAULT, null, methods, req, 7, Progress.NONE);

        assertTrue(byTiles.modelGrid().sameGrid(whole.modelGrid(), 1e-9), "one tile: the same grid");
        assertEquals(((SegmentationTarget) whole.target()).maskVoxels(), ((SegmentationTarget) byTiles.target()).maskVoxels());
        assertTrue(((SegmentationTarget) whole.target()).maskVoxels() > 10, whole.target().describe());
        for (int i = 0; i < methods.size(); i++) {
            List<MetricResult> a = byTiles.methods().get(i).metrics(), b = whole.methods().get(i).metrics();
            assertEquals(b.stream().map(MetricResult::metric).toList(), a.stream().map(MetricResult::metric).toList());
            for (int j = 0; j < b.size(); j++) {
                String what = methods.get(i).id() + " " + b.get(j).metric();
                if (b.get(j) instanceof Localisation.Result) {
                    assertInstanceOf(Localisation.Result.class, a.get(j), "localisation scores the whole map");
                    assertDeepClose(b.get(j).values(), a.get(j).values(), what);
                    continue;
                }
                TiledMetricResult t = assertInstanceOf(TiledMetricResult.class, a.get(j), what);
                assertEquals(1, t.tiles().get("tiles_scored"), what);
                Map<?, ?> tile = (Map<?, ?>) ((List<?>) t.tiles().get("per_tile")).get(0);
                assertEquals(1.0, tile.get("weight"));
                assertDeepClose(b.get(j).values(), tile.get("values"), what + " (tile)");
                // the volume's numbers are the one tile's
                int compared = 0;
                for (Map.Entry<String, Object> e : b.get(j).values().entrySet()) {
                    if (e.getValue() instanceof Number n) {
                        assertClose(n.doubleValue(), ((Number) t.values().get(e.getKey())).doubleValue(), what + " " + e.getKey());
                        compared++;
                    }
                }
                assertTrue(compared > 0, what);
                assertEquals(b.get(j).cost().methodEvaluations(), t.cost().methodEvaluations(), what);
                assertEquals(b.get(j).cost().modelSamples(), t.cost().modelSamples(), what);
            }
        }
    }

    @Test
    void manyTilesScoreTheTilesWithMostTargetAndWeighTheirValues() {
        int k = 2;
        Explainer.MetricsRequest req = new Explainer.MetricsRequest("infidelity,sensitivity,localisation",
            new MetricCatalog.Options(4, 1, null, 4, null), truth);
        // saliency: tiles explained 4 per pass; SmoothGrad: one tile at a time, seed + tile index; each keeps the scored
        // tiles' own maps
        List<AttributionMethod> methods = List.of(new Saliency(), SmoothGrad.builder().samples(1).build());
        List<String> done = new ArrayList<>();
        Progress p = (stage, d, total) -> { if (d == total) done.add(stage + " " + d + "/" + total); };
        Explainer.Result res = new Explainer(tiled, new Tiling(0.25, 4, k)).explain(crop(source, EIGHT_TILES_AT, EIGHT_TILES),
            TargetSpec.DEFAULT, null, methods, req, 42, p);

        // target voxels per tile, counted on the grid directly, and the expected choice
        int[] dims = res.modelGrid().dims();
        SlidingWindow w = SlidingWindow.of(dims, new int[] {TILE, TILE, TILE}, 0.25);
        float[] mask = ((SegmentationTarget) res.target()).mask();
        long[] counts = new long[w.count()];
        for (int t = 0; t < counts.length; t++) {
            int[] o = w.origin(t);
            for (int z = o[2]; z < o[2] + TILE; z++) {
                for (int y = o[1]; y < o[1] + TILE; y++) {
                    for (int x = o[0]; x < o[0] + TILE; x++) if (mask[x + dims[0] * (y + dims[1] * z)] != 0) counts[t]++;
                }
            }
        }
        int explained = (int) IntStream.range(0, counts.length).filter(t -> counts[t] > 0).count();
        assertTrue(explained > k, "more explained tiles than scored: " + explained);
        List<Integer> expected = IntStream.range(0, counts.length).filter(t -> counts[t] > 0).boxed()
            .sorted(Comparator.comparingLong((Integer t) -> -counts[t]).thenComparing(t -> t)).limit(k).toList();

        float[] truthOnGrid = Explainer.maskOnGrid(truth, res.modelGrid());
        for (int i = 0; i < methods.size(); i++) {
            Explainer.MethodResult m = res.methods().get(i);
            String id = m.method().id();
            assertEquals(List.of("infidelity", "sensitivity", "localisation"), m.metrics().stream().map(MetricResult::metric).toList());
            for (MetricResult r : m.metrics().subList(0, 2)) {
                TiledMetricResult t = assertInstanceOf(TiledMetricResult.class, r);
                String what = id + " " + r.metric();
                assertEquals(k, t.tiles().get("tiles_scored"), what);
                assertEquals(explained, t.tiles().get("tiles_explained"), what);
                assertEquals(explained - k, t.tiles().get("tiles_not_scored"), what);
                List<Map<?, ?>> perTile = ((List<?>) t.tiles().get("per_tile")).stream().<Map<?, ?>>map(e -> (Map<?, ?>) e).toList();
                assertEquals(expected, perTile.stream().map(e -> (Integer) e.get("index")).toList(), what + ": most target voxels");
                for (Map<?, ?> e : perTile) {
                    int index = (Integer) e.get("index");
                    assertEquals(counts[index], e.get("target_voxels"), what);
                    assertArrayEquals(w.origin(index), (int[]) e.get("origin_xyz"), what);
                }
                // the volume's value: the mean of the per-tile values weighted by their target voxels
                for (String key : r.metric().equals("infidelity")
                    ? List.of("infidelity", "infidelity_normalised", "beta", "score_input") : List.of("sensitivity_max", "map_norm")) {
                    double sum = 0, weights = 0;
                    for (Map<?, ?> e : perTile) {
                        long n = (Long) e.get("target_voxels");
                        sum += n * ((Number) ((Map<?, ?>) e.get("values")).get(key)).doubleValue();
                        weights += n;
                    }
                    assertClose(sum / weights, ((Number) r.values().get(key)).doubleValue(), what + " " + key);
                }
                assertFalse(r.values().containsKey(r.metric().equals("infidelity") ? "score_differences" : "sensitivities"),
                    "per-sample lists stay per tile");
                assertTrue(r.toMap().keySet().containsAll(List.of("metric", "parameters", "values", "cost", "tiles")));
            }
            assertEquals(k, m.metrics().get(1).cost().methodEvaluations(), "sensitivity re-ran the method once per scored tile");

            // localisation: the whole blended map on the grid against the ground truth on that grid
            MetricResult loc = m.metrics().get(2);
            assertInstanceOf(Localisation.Result.class, loc);
            assertDeepClose(Localisation.score(m.onModelGrid().data(), truthOnGrid).values(), loc.values(), id + " localisation");

            // one scored tile re-scored by hand: the tile's input, its part of the mask, seed + index, the method's tile map
            int t = expected.get(1);
            float[] in = new float[w.tileVoxels()], tileMask = new float[w.tileVoxels()];
            w.extract(res.modelInput().data(), 1, t, in, 0);
            w.extract(mask, 1, t, tileMask, 0);
            SegmentationTarget target = (SegmentationTarget) res.target();
            ExplainContext ctx = new ExplainContext(tiled, new Tensor(in, new long[] {1, 1, TILE, TILE, TILE}),
                new SegmentationTarget(target.classIndex(), target.className(), target.region(), tileMask, counts[t]), 42 + t, Progress.NONE);
            Infidelity.Result byHand = Infidelity.builder().perturbations(4).batchSize(4).build()
                .evaluate(ctx, m.method(), m.method().explain(ctx));
            Map<?, ?> scored = (Map<?, ?>) ((Map<?, ?>) ((List<?>) ((TiledMetricResult) m.metrics().get(0)).tiles().get("per_tile"))
                .get(1)).get("values");
            // saliency's tiles were explained 4 per pass: equal to one at a time up to float rounding
            double got = ((Number) scored.get("infidelity")).doubleValue();
            assertEquals(byHand.infidelity(), got, 1e-3 * Math.abs(byHand.infidelity()), id + " tile " + t + " by hand");
        }
        // 4 perturbations and 1 sample per tile, 2 tiles
        assertTrue(done.contains("infidelity 8/8") && done.contains("sensitivity 2/2"),
            "one progress bar per metric over the scored tiles: " + done);
        System.out.printf("%d tiles, %d explained, %d scored; infidelity %s, sensitivity %s%n", counts.length, explained, k,
            res.methods().get(0).metrics().get(0).values().get("infidelity"), res.methods().get(0).metrics().get(1).values().get("sensitivity_max"));
    }

    @Test
    void cancellingWhileScoringTilesStopsTheRun() {
        Progress cancelAtSensitivity = new Progress() {
            boolean cancelled;

            @Override
            public void update(String stage, int done, int total) { cancelled |= stage.equals("sensitivity"); }

            @Override
            public boolean isCancelled() { return cancelled; }
        };
        assertThrows(CancellationException.class, () -> new Explainer(tiled).explain(crop(source, ONE_TILE_AT, new int[] {TILE, TILE, TILE}),
            TargetSpec.DEFAULT, null, List.of(new Saliency()), new Explainer.MetricsRequest("sensitivity",
                new MetricCatalog.Options(null, 2, null, null, null), null), 42, cancelAtSensitivity));
    }

    @Test
    void tilesAreChosenByTargetVoxelsThenIndex() {
        assertArrayEquals(new int[] {2, 0}, SlidingWindowExplainer.tilesToScore(new long[] {5, 0, 9, 5}, 2));
        assertArrayEquals(new int[] {2, 0, 3}, SlidingWindowExplainer.tilesToScore(new long[] {5, 0, 9, 5}, 10));
        assertArrayEquals(new int[0], SlidingWindowExplainer.tilesToScore(new long[] {0, 0}, 4));
        assertThrows(IllegalArgumentException.class, () -> new Tiling(0.5, 0, 0));
    }

    /** The block of {@code v} of {@code size} (x, y, z) voxels starting at voxel {@code from}, same spacing and axes. */
    static Volume crop(Volume v, int[] from, int[] size) {
        Geometry g = v.geometry();
        Geometry c = Geometry.axisAligned(size, g.spacing(), g.voxelToWorld(from[0], from[1], from[2]));
        float[] d = new float[size[0] * size[1] * size[2]];
        for (int z = 0; z < size[2]; z++) {
            for (int y = 0; y < size[1]; y++) {
                for (int x = 0; x < size[0]; x++) d[x + size[0] * (y + size[1] * z)] = v.get(from[0] + x, from[1] + y, from[2] + z);
            }
        }
        return new Volume(c, d);
    }

    /** The phantom's lesion (radius 4 voxels) as a 0/1 mask on its grid. */
    static Volume lesionMask(Geometry g) {
        int nx = g.nx(), ny = g.ny(), nz = g.nz();
        float[] d = new float[nx * ny * nz];
        for (int k = 0; k < nz; k++) {
            for (int j = 0; j < ny; j++) {
                for (int i = 0; i < nx; i++) {
                    double lx = i - 0.64 * nx, ly = j - 0.37 * ny, lz = k - 0.67 * nz;
                    if (lx * lx + ly * ly + lz * lz < 16) d[i + nx * (j + ny * k)] = 1;
                }
            }
        }
        return new Volume(g, d);
    }

    static void assertClose(double expected, double actual, String what) {
        if (Double.isNaN(expected)) {
            assertTrue(Double.isNaN(actual), what + ": expected NaN, got " + actual);
            return;
        }
        assertEquals(expected, actual, 1e-5 * Math.max(1, Math.abs(expected)), what);
    }

    /** Same structure; numbers within float tolerance. */
    static void assertDeepClose(Object expected, Object actual, String what) {
        if (expected instanceof Number e) {
            assertInstanceOf(Number.class, actual, what);
            assertClose(e.doubleValue(), ((Number) actual).doubleValue(), what);
        } else if (expected instanceof Map<?, ?> e) {
            Map<?, ?> a = assertInstanceOf(Map.class, actual, what);
            assertEquals(e.keySet(), a.keySet(), what);
            e.forEach((key, v) -> assertDeepClose(v, a.get(key), what + "." + key));
        } else if (expected instanceof List<?> e) {
            List<?> a = assertInstanceOf(List.class, actual, what);
            assertEquals(e.size(), a.size(), what);
            for (int i = 0; i < e.size(); i++) assertDeepClose(e.get(i), a.get(i), what + "[" + i + "]");
        } else {
            assertEquals(expected, actual, what);
        }
    }
}
