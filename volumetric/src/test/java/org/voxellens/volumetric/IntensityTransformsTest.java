package org.voxellens.volumetric;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class IntensityTransformsTest {

    static Volume row(float... values) {
        return new Volume(Geometry.axisAligned(new int[] {values.length, 1, 1}, new double[] {1, 1, 1},
            new double[] {0, 0, 0}), values);
    }

    static float[] ramp(int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = i;
        return d;
    }

    @Test
    void zScoreUsesPopulationStd() {
        float s = (float) Math.sqrt(2);
        assertArrayEquals(new float[] {-2 / s, -1 / s, 0, 1 / s, 2 / s},
            IntensityTransforms.zScore(row(1, 2, 3, 4, 5)).data(), 1e-6f);
    }

    @Test
    void zScoreOfAConstantOnlyRemovesTheMean() {
        assertArrayEquals(new float[] {0, 0, 0}, IntensityTransforms.zScore(row(4, 4, 4)).data());
    }

    @Test
    void zScoreTakesStatisticsInsideTheMaskAndAppliesEverywhere() {
        Volume v = row(1, 3, 100, 100);
        Volume mask = row(1, 1, 0, 0);
        assertArrayEquals(new float[] {-1, 1, 98, 98}, IntensityTransforms.zScore(v, mask).data(), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> IntensityTransforms.zScore(v, row(0, 0, 0, 0)));
        assertThrows(IllegalArgumentException.class, () -> IntensityTransforms.zScore(v, row(1, 1, 1)));
    }

    @Test
    void zScoreKeepsPrecisionOnLargeOffsets() {
        assertArrayEquals(new float[] {-1, 1}, IntensityTransforms.zScore(row(1e6f, 1e6f + 2)).data(), 1e-6f);
    }

    @Test
    void percentileScaleIsBioimageScaleRange() {
        Volume v = row(ramp(11));
        float[] out = IntensityTransforms.percentileScale(v, 10, 90, 0, 1, false).data();
        for (int i = 0; i <= 10; i++) assertEquals((i - 1) / (8 + 1e-6), out[i], 1e-6);
        float[] clipped = IntensityTransforms.percentileScale(v, 10, 90, -1, 1, true).data();
        assertEquals(-1, clipped[0], 0);
        assertEquals(0, clipped[5], 1e-6);
        assertEquals(1, clipped[10], 0);
        assertThrows(IllegalArgumentException.class, () -> IntensityTransforms.percentileScale(v, 90, 10, 0, 1, false));
    }

    @Test
    void ctWindowMapsToUnitRangeClipped() {
        Volume hu = row(-1000, -160, 40, 140, 240, 1000);
        assertArrayEquals(new float[] {0, 0, 0.5f, 0.75f, 1, 1}, IntensityTransforms.ctWindow(hu, 40, 400).data(), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> IntensityTransforms.ctWindow(hu, 40, 0));
    }

    @Test
    void scaleLinearIsGainTimesXPlusOffset() {
        Volume v = row(0, 1, -2);
        Volume out = IntensityTransforms.scaleLinear(v, 2, -1);
        assertArrayEquals(new float[] {-1, 1, -5}, out.data());
        assertEquals(v.geometry(), out.geometry());
        assertArrayEquals(new float[] {0, 1, -2}, v.data()); // input untouched
    }
}
