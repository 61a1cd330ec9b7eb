package org.voxellens.xai.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Hand-checked values for the model-free statistics; the comparison with scipy is in the validation module. */
class MapStatsAndLocalisationTest {

    @Test
    void orderIsDescendingWithTiesByIndexAndSignedZeroEqual() {
        assertArrayEquals(new int[] {3, 1, 0, 2, 4}, MapStats.orderDescending(new float[] {0f, 2f, -0f, 5f, -1f}));
    }

    @Test
    void spearmanUsesAverageRanks() {
        assertArrayEquals(new double[] {1.5, 1.5, 3}, MapStats.averageRanks(new float[] {1, 1, 2}), 1e-12);
        assertEquals(1.0, MapStats.spearman(new float[] {1, 2, 3, 4}, new float[] {10, 20, 30, 400}), 1e-12);
        assertEquals(-1.0, MapStats.spearman(new float[] {1, 2, 3, 4}, new float[] {4, 3, 2, 1}), 1e-12);
        // ranks (1.5, 1.5, 3) vs (1, 2, 3): cov 1.5, var 1.5 and 2
        assertEquals(1.5 / Math.sqrt(3), MapStats.spearman(new float[] {1, 1, 2}, new float[] {1, 2, 3}), 1e-12);
        assertTrue(Double.isNaN(MapStats.spearman(new float[] {1, 2, 3}, new float[] {7, 7, 7})));
    }

    @Test
    void ssimIsOneForIdenticalVolumesAndLowerOtherwise() {
        int[] dims = {9, 10, 11};
        float[] a = random(9 * 10 * 11, 1), b = random(9 * 10 * 11, 2);
        assertEquals(1.0, MapStats.ssim3d(a, a, dims, 7, 1.0), 1e-9);
        double s = MapStats.ssim3d(a, b, dims, 7, 1.0);
        assertTrue(s < 0.2, "independent noise volumes: " + s);
        // window = whole 3x3x3 volume, single position: the closed form
        float[] x = random(27, 3), y = random(27, 4);
        double mx = 0, my = 0;
        for (int i = 0; i < 27; i++) { mx += x[i] / 27.0; my += y[i] / 27.0; }
        double vx = 0, vy = 0, cxy = 0;
        for (int i = 0; i < 27; i++) { vx += (x[i] - mx) * (x[i] - mx); vy += (y[i] - my) * (y[i] - my); cxy += (x[i] - mx) * (y[i] - my); }
        vx /= 26; vy /= 26; cxy /= 26;
        double c1 = 1e-4, c2 = 9e-4;
        double expected = (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
        assertEquals(expected, MapStats.ssim3d(x, y, new int[] {3, 3, 3}, 7, 1.0), 1e-9);
    }

    @Test
    void trapezoidOnTheUnitInterval() {
        assertEquals(0.5, MapStats.trapezoidAuc(new double[] {0, 0.5, 1}), 1e-12);
        assertEquals(2.0, MapStats.trapezoidAuc(new double[] {2, 2}), 1e-12);
    }

    @Test
    void localisationOnAHandMadeCase() {
        float[] mask = {0, 1, 1, 0, 0, 0, 0, 0, 0, 0};
        float[] map = {0.5f, 4, -3, 1, 0, 0, 0, 0, 0, 2};
        Localisation.Result r = Localisation.builder().topFraction(0.2).build().score(map, mask, null);
        assertEquals(7.0 / 10.5, r.relevanceMassAccuracy(), 1e-9); // |4| + |-3| over 10.5
        assertEquals(1.0, r.relevanceRankAccuracy(), 1e-12);      // top-2 by |map|: voxels 1, 2
        assertTrue(r.pointingGameHit());
        assertEquals(1, r.peakVoxel());
        assertEquals(1.0, r.auroc(), 1e-12);
        assertEquals(1.0, r.topKIou(), 1e-12);                    // top 2 = mask
        Localisation.Result pos = Localisation.builder().relevance(Localisation.Relevance.POSITIVE).topFraction(0.2).build()
            .score(map, mask, null);
        assertEquals(4.0 / 7.5, pos.relevanceMassAccuracy(), 1e-9);
        assertEquals(0.5, pos.relevanceRankAccuracy(), 1e-12);     // top-2 by max(map,0): voxels 1, 9
        assertEquals(1.0 / 3, pos.topKIou(), 1e-12);
        // AUROC with ties: inside {4, 0}, outside {0.5, 1, 0 x5, 2}: pairs won 8 + 5 * 0.5 = 10.5 of 16
        assertEquals(10.5 / 16, pos.auroc(), 1e-12);
    }

    @Test
    void pointingGameToleranceIsEuclideanInVoxels() {
        int[] dims = {5, 5, 5};
        float[] mask = new float[125], map = new float[125];
        mask[idx(2, 2, 4)] = 1;
        map[idx(2, 2, 1)] = 1; // 3 voxels from the mask along x
        assertFalse(Localisation.score(map, mask).pointingGameHit());
        assertFalse(Localisation.builder().pointingTolerance(2.9).build().score(map, mask, dims).pointingGameHit());
        assertTrue(Localisation.builder().pointingTolerance(3).build().score(map, mask, dims).pointingGameHit());
        map[idx(2, 2, 1)] = 0;
        map[idx(4, 4, 2)] = 1; // distance sqrt(4 + 4 + 4)
        assertFalse(Localisation.builder().pointingTolerance(3.4).build().score(map, mask, dims).pointingGameHit());
        assertTrue(Localisation.builder().pointingTolerance(3.5).build().score(map, mask, dims).pointingGameHit());
    }

    @Test
    void localisationRefusesAnEmptyMask() {
        assertThrows(IllegalArgumentException.class, () -> Localisation.score(new float[] {1, 2}, new float[] {0, 0}));
        assertThrows(IllegalArgumentException.class, () -> Localisation.score(new float[] {1, 2}, new float[] {0, 0, 1}));
    }

    @Test
    void catalogParsesNamesAndRefusesUnknownOnes() {
        var ms = MetricCatalog.parse(" infidelity, Sensitivity ,randomization,insertion,deletion",
            new MetricCatalog.Options(4, 3, 8, 2, null));
        assertEquals(java.util.List.of("infidelity", "sensitivity", "randomisation", "deletion_insertion"),
            ms.stream().map(Metric::id).toList());
        assertEquals(4, ms.get(0).parameters().get("perturbations"));
        // the two infidelity kinds are distinct scores in summary.json, scores.csv and the log
        assertEquals(java.util.List.of("infidelity", "infidelity_patches"),
            MetricCatalog.parse("infidelity,infidelity_patches", null).stream().map(Metric::id).toList());
        assertEquals(5, MetricCatalog.parse("all", null).size());
        assertEquals(6, MetricCatalog.parse("all", new MetricCatalog.Options(null, null, null, null, new float[] {1})).size());
        assertThrows(IllegalArgumentException.class, () -> MetricCatalog.parse("infidelity,fidelity", null));
        assertThrows(IllegalArgumentException.class, () -> MetricCatalog.parse("localisation", null));
    }

    private static int idx(int z, int y, int x) { return (z * 5 + y) * 5 + x; }

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextDouble();
        return v;
    }
}
