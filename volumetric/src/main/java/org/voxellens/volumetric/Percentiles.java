package org.voxellens.volumetric;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exact percentiles by selection on a copy (expected linear time; a whole CT series takes well under a second,
 * where a full sort would take many). Exactness avoids the bin-width dependence of histogram estimates, which
 * would make normalisation drift from the Python reference implementations models were trained with.
 */
public final class Percentiles {

    private Percentiles() {}

    /**
     * Percentiles (0-100) with numpy's default 'linear' rule: rank {@code p/100 * (n-1)}, interpolated between
     * neighbours. NaN values are ignored, so masked-out voxels can be passed as NaN.
     *
     * @throws IllegalArgumentException when there is no non-NaN value or a percent is outside [0, 100]
     */
    public static double[] of(float[] values, double... percents) {
        for (double p : percents) {
            if (!(p >= 0 && p <= 100)) throw new IllegalArgumentException("percentile must be in [0, 100]: " + p);
        }
        float[] a = new float[values.length];
        int n = 0;
        for (float v : values) if (!Float.isNaN(v)) a[n++] = v;
        if (n == 0) throw new IllegalArgumentException("no values to take percentiles of");

        // Ascending ranks, so each selection only has to search right of the previous one.
        Integer[] order = new Integer[percents.length];
        for (int q = 0; q < order.length; q++) order[q] = q;
        Arrays.sort(order, (x, y) -> Double.compare(percents[x], percents[y]));
        double[] out = new double[percents.length];
        int last = -1; // last position selected: a[last] is final and nothing right of it is smaller
        for (int q : order) {
            double rank = percents[q] / 100.0 * (n - 1);
            int lo = (int) Math.floor(rank);
            int hi = Math.min(lo + 1, n - 1);
            for (int k = lo; k <= hi; k++) {
                if (k > last) {
                    select(a, last + 1, n - 1, k);
                    last = k;
                }
            }
            double f = rank - lo;
            out[q] = f == 0 ? a[lo] : a[lo] + (a[hi] - (double) a[lo]) * f;
        }
        return out;
    }

    public static double of(float[] values, double percent) {
        return of(values, new double[] {percent})[0];
    }

    /**
     * Rearranges a[from..to] so that a[k] holds the value it would have there if sorted, with no larger value
     * before it and no smaller after. Three-way partitioning keeps images with huge runs of one value (air,
     * background, zero padding) linear instead of quadratic.
     */
    private static void select(float[] a, int from, int to, int k) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (from < to) {
            float pivot = median(a[rnd.nextInt(from, to + 1)], a[rnd.nextInt(from, to + 1)], a[rnd.nextInt(from, to + 1)]);
            int lt = from, i = from, gt = to;
            while (i <= gt) {
                float v = a[i];
                if (v < pivot) {
                    a[i++] = a[lt];
                    a[lt++] = v;
                } else if (v > pivot) {
                    a[i] = a[gt];
                    a[gt--] = v;
                } else {
                    i++;
                }
            }
            if (k < lt) to = lt - 1;
            else if (k > gt) from = gt + 1;
            else return;
        }
    }

    private static float median(float x, float y, float z) {
        return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    }
}
