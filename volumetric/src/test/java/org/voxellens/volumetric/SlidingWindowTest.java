package org.voxellens.volumetric;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SlidingWindowTest {

    @Test
    void tilesCoverTheVolumeEvenlyWithAtLeastTheRequestedOverlap() {
        // nnU-Net's rule: 100 voxels, tile 48, overlap 0.5 -> step <= 24 -> ceil(52/24)+1 = 4 tiles, step 17.33
        assertArrayEquals(new int[] {0, 17, 35, 52}, SlidingWindow.starts(100, 48, 0.5));
        assertArrayEquals(new int[] {0}, SlidingWindow.starts(48, 48, 0.5));
        assertArrayEquals(new int[] {0, 48}, SlidingWindow.starts(96, 48, 0));
        assertArrayEquals(new int[] {0, 24, 48}, SlidingWindow.starts(96, 48, 0.5));
        for (int size = 20; size < 140; size += 7) {
            for (double ov : new double[] {0, 0.25, 0.5, 0.75}) {
                int[] s = SlidingWindow.starts(size, 20, ov);
                assertEquals(0, s[0]);
                assertEquals(size - 20, s[s.length - 1], "last tile ends at the edge");
                for (int i = 1; i < s.length; i++) {
                    int step = s[i] - s[i - 1];
                    assertTrue(step > 0 && step <= Math.max(1, Math.ceil(20 * (1 - ov))), "step " + step + " at overlap " + ov);
                }
            }
        }
        SlidingWindow w = SlidingWindow.of(new int[] {100, 48, 60}, new int[] {48, 48, 48}, 0.5);
        assertEquals(4 * 1 * 2, w.count());
        assertArrayEquals(new int[] {17, 0, 12}, w.origin(1 + 4));
    }

    @Test
    void gaussianImportanceIsCentredWithSigmaOneEighthOfTheTile() {
        int[] tile = {16, 24, 32};
        float[] g = SlidingWindow.gaussian(tile, SlidingWindow.SIGMA_FRACTION);
        int c = 8 + 16 * (12 + 24 * 16);
        assertEquals(1f, g[c], 0f);
        float max = 0, min = 1;
        for (float f : g) {
            max = Math.max(max, f);
            min = Math.min(min, f);
        }
        assertEquals(1f, max, 0f);
        assertTrue(min > 0, "every voxel keeps a positive weight");
        // one sigma away along y (sigma = 3 voxels) the weight is exp(-1/2)
        assertEquals(Math.exp(-0.5), g[8 + 16 * (15 + 24 * 16)], 1e-6);
        assertEquals(Math.exp(-0.5), g[8 + 16 * (12 + 24 * 20)], 1e-6); // z: sigma 4
        assertEquals(g[8 + 16 * (12 + 24 * 20)], g[8 + 16 * (12 + 24 * 12)], 1e-7f); // symmetric about the centre
    }

    @Test
    void blendingReproducesAnyVolumeWhoseTilesAgree() {
        // Tiles cut from one volume and blended back give that volume: the weights sum correctly everywhere.
        int[] dims = {37, 29, 41};
        int[] tile = {16, 12, 20};
        SplittableRandom r = new SplittableRandom(3);
        float[] vol = new float[dims[0] * dims[1] * dims[2] * 2];
        for (int i = 0; i < vol.length; i++) vol[i] = (float) r.nextGaussian();
        SlidingWindow w = SlidingWindow.of(dims, tile, 0.4);
        float[] sums = new float[vol.length];
        float[] buf = new float[w.tileVoxels() * 2];
        for (int t = 0; t < w.count(); t++) {
            w.extract(vol, 2, t, buf, 0);
            w.accumulate(buf, 0, 2, t, sums);
        }
        float[] ws = w.weightSum();
        for (float f : ws) assertTrue(f > 0);
        SlidingWindow.normalise(sums, 2, ws);
        for (int i = 0; i < vol.length; i++) assertEquals(vol[i], sums[i], 1e-5f * Math.max(1, Math.abs(vol[i])), "voxel " + i);
    }

    @Test
    void blendedWeightsAreTheSumOfEachCoveringTilesGaussian() {
        int[] dims = {30, 20, 20};
        int[] tile = {20, 20, 20};
        SlidingWindow w = SlidingWindow.of(dims, tile, 0.5); // x starts 0, 10
        float[] ws = w.weightSum();
        float[] g = w.importance();
        // voxel x = 15: tile 0 at local 15, tile 1 at local 5
        int j = 10, k = 10;
        float expected = g[15 + 20 * (j + 20 * k)] + g[5 + 20 * (j + 20 * k)];
        assertEquals(expected, ws[15 + 30 * (j + 20 * k)], 1e-6f);
        // voxel x = 3 is only in tile 0
        assertEquals(g[3 + 20 * (j + 20 * k)], ws[3 + 30 * (j + 20 * k)], 0f);
    }

    @Test
    void refusesVolumesSmallerThanATileAndBadOverlap() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> SlidingWindow.of(new int[] {40, 60, 60}, new int[] {48, 48, 48}, 0.5));
        assertTrue(e.getMessage().contains("axis x"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SlidingWindow.of(new int[] {60, 60, 60}, new int[] {48, 48, 48}, 1.0));
    }
}
