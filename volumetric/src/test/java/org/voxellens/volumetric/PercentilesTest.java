package org.voxellens.volumetric;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PercentilesTest {

    @Test
    void followNumpyLinear() {
        float[] ramp = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertArrayEquals(new double[] {1, 9, 5, 2.5, 0, 10}, Percentiles.of(ramp, 10, 90, 50, 25, 0, 100), 1e-12);
        assertEquals(2.5, Percentiles.of(new float[] {4, 1, 3, 2}, 50), 1e-12);
        assertEquals(7, Percentiles.of(new float[] {7}, 99.9), 0);
    }

    @Test
    void ignoreNaNAndRejectNonsense() {
        assertEquals(2, Percentiles.of(new float[] {Float.NaN, 3, 1, Float.NaN}, 50), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Percentiles.of(new float[] {Float.NaN}, 50));
        assertThrows(IllegalArgumentException.class, () -> Percentiles.of(new float[] {1, 2}, 101));
    }

    @Test
    void selectionAgreesWithSortingIncludingHeavyTies() {
        Random rnd = new Random(7);
        double[] ps = {99.9, 0, 1, 1.0001, 50, 99, 100, 37.5};
        for (int trial = 0; trial < 20; trial++) {
            float[] v = new float[1 + rnd.nextInt(5000)];
            for (int n = 0; n < v.length; n++) {
                v[n] = trial % 2 == 0 ? rnd.nextInt(4) * 1000 - 1000 : (float) rnd.nextGaussian(); // air/bone runs
            }
            float[] sorted = v.clone();
            Arrays.sort(sorted);
            double[] got = Percentiles.of(v, ps);
            for (int q = 0; q < ps.length; q++) {
                double rank = ps[q] / 100 * (sorted.length - 1);
                int lo = (int) Math.floor(rank), hi = Math.min(lo + 1, sorted.length - 1);
                double want = sorted[lo] + (sorted[hi] - (double) sorted[lo]) * (rank - lo);
                assertEquals(want, got[q], 1e-9, "trial " + trial + " p" + ps[q]);
            }
        }
    }
}
