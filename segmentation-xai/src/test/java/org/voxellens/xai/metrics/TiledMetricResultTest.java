package org.voxellens.xai.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * How per-tile results of a sliding-window run are joined into the volume's ({@link TiledMetricResult#join}), on
 * the metrics' own result records filled with known numbers: weighted means, booleans that must hold in every tile,
 * randomisation's steps joined step by step, per-sample lists and tile-specific parameters kept per tile.
 */
class TiledMetricResultTest {

    static final int[] TILE = {32, 32, 32};

    @Test
    void randomisationStepsAreJoinedStepByStepAndPassesOnlyIfEveryTilePasses() {
        Metric metric = RandomisationCheck.builder().build();
        RandomisationCheck.Result a = new RandomisationCheck.Result(metric.parameters(), List.of("enc", "dec"),
            List.of(new RandomisationCheck.Step(List.of("dec"), 0.8, 0.6), new RandomisationCheck.Step(List.of("dec", "enc"), 0.2, 0.1)),
            List.of(), true, true, new Cost(2, 4, 4, 1.0));
        RandomisationCheck.Result b = new RandomisationCheck.Result(metric.parameters(), List.of("enc", "dec"),
            List.of(new RandomisationCheck.Step(List.of("dec"), 0.6, 0.2), new RandomisationCheck.Step(List.of("dec", "enc"), 0.4, 0.3)),
            List.of(), false, true, new Cost(2, 6, 6, 0.5));
        TiledMetricResult r = TiledMetricResult.join(metric, List.of(new TiledMetricResult.Tile(3, new int[] {16, 0, 0}, 30, a),
            new TiledMetricResult.Tile(1, new int[] {0, 0, 0}, 10, b)), 5, 2, TILE);

        assertEquals("randomisation", r.metric());
        List<?> steps = (List<?>) r.values().get("cascading");
        Map<?, ?> first = (Map<?, ?>) steps.get(0), last = (Map<?, ?>) steps.get(1);
        assertEquals(0.75 * 0.8 + 0.25 * 0.6, (Double) first.get("spearman"), 1e-12);
        assertEquals(0.75 * 0.6 + 0.25 * 0.2, (Double) first.get("ssim"), 1e-12);
        assertEquals(0.75 * 0.2 + 0.25 * 0.4, (Double) last.get("spearman"), 1e-12);
        assertEquals(List.of("dec", "enc"), last.get("randomised"));
        assertEquals(List.of("enc", "dec"), r.values().get("layers_input_to_output"));
        assertEquals(false, r.values().get("passed"), "one tile failed");
        assertEquals(true, r.values().get("weights_restored"));
        assertEquals(new Cost(4, 10, 10, 1.5), r.cost());

        assertEquals(2, r.tiles().get("tiles_scored"));
        assertEquals(5, r.tiles().get("tiles_explained"));
        assertEquals(3, r.tiles().get("tiles_not_scored"));
        assertEquals(2, r.tiles().get("max_tiles_scored"));
        List<?> perTile = (List<?>) r.tiles().get("per_tile");
        Map<?, ?> t0 = (Map<?, ?>) perTile.get(0);
        assertEquals(3, t0.get("index"));
        assertEquals(30L, t0.get("target_voxels"));
        assertEquals(0.75, t0.get("weight"));
        assertEquals(a.values(), t0.get("values"));
        assertFalse(t0.containsKey("parameters"), "no tile-specific parameters");
        assertEquals(metric.parameters(), r.parameters());
        assertEquals(Set.of("metric", "parameters", "values", "cost", "tiles"), r.toMap().keySet());
    }

    @Test
    void infidelityNumbersAreWeightedSampleListsAndTileParametersStayPerTile() {
        Metric metric = Infidelity.builder().build();
        Map<String, Object> pa = new LinkedHashMap<>(metric.parameters()), pb = new LinkedHashMap<>(metric.parameters());
        pa.put("sigma", 0.4);
        pb.put("sigma", 0.5);
        Infidelity.Result a = new Infidelity.Result(pa, 2.0, 1.0, 0.5, 10, new double[] {1, 2}, new double[] {3, 4}, Cost.none());
        Infidelity.Result b = new Infidelity.Result(pb, Double.NaN, 3.0, 1.5, 20, new double[] {5, 6}, new double[] {7, 8}, Cost.none());
        TiledMetricResult r = TiledMetricResult.join(metric, List.of(new TiledMetricResult.Tile(0, new int[3], 1, a),
            new TiledMetricResult.Tile(7, new int[3], 3, b)), 2, 4, TILE);

        assertEquals(0.25 * 1 + 0.75 * 3, (Double) r.values().get("infidelity_normalised"), 1e-12);
        assertEquals(0.25 * 10 + 0.75 * 20, (Double) r.values().get("score_input"), 1e-12);
        assertTrue(Double.isNaN((Double) r.values().get("infidelity")), "a NaN tile makes the mean NaN");
        assertFalse(r.values().containsKey("score_differences"), "sample k of one tile is not sample k of another");
        assertFalse(r.parameters().containsKey("sigma"), "differs per tile");
        assertEquals(metric.parameters().get("perturbations"), r.parameters().get("perturbations"));
        Map<?, ?> t1 = (Map<?, ?>) ((List<?>) r.tiles().get("per_tile")).get(1);
        assertEquals(Map.of("sigma", 0.5), t1.get("parameters"));
        assertEquals(0, r.tiles().get("tiles_not_scored"));
    }

    @Test
    void noScoredTileGivesNoValuesAndATileWithoutTargetCannotBeWeighted() {
        Metric metric = SensitivityMax.builder().build();
        TiledMetricResult r = TiledMetricResult.join(metric, List.of(), 0, 4, TILE);
        assertEquals("sensitivity", r.metric());
        assertTrue(r.values().isEmpty());
        assertEquals(0, r.tiles().get("tiles_scored"));
        assertThrows(IllegalArgumentException.class, () -> new TiledMetricResult.Tile(0, new int[3], 0, null));
    }
}
