package org.voxellens.xai.metrics;

import java.util.Arrays;

/**
 * Rank statistics, SSIM and curve areas on flat float arrays (maps on one grid, C order, x fastest). Pure functions,
 * no model; the conventions match numpy/scipy so that validation/python/make_metric_references.py can check them.
 */
public final class MapStats {

    private MapStats() {}

    /**
     * Voxel indices in descending order of value, ties by ascending index: {@code np.argsort(-v, kind="stable")}.
     * -0 counts as 0; NaN is refused.
     */
    public static int[] orderDescending(float[] v) {
        long[] keys = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            float f = v[i] + 0.0f; // -0 -> +0
            if (Float.isNaN(f)) throw new IllegalArgumentException("map contains NaN at voxel " + i);
            int bits = Float.floatToIntBits(f);
            int sortable = bits ^ ((bits >> 31) & 0x7fffffff); // monotone in the float value
            keys[i] = ((long) ~sortable << 32) | i;              // ~ reverses the order: largest first
        }
        Arrays.sort(keys);
        int[] order = new int[v.length];
        for (int i = 0; i < v.length; i++) order[i] = (int) keys[i];
        return order;
    }

    /**
     * Fraction of the top {@code fraction} voxels of {@code a} (by value, at least one) that are also among the top
     * voxels of {@code b}: what a reader sees of a map agrees when this is near 1.
     */
    public static double topOverlap(float[] a, float[] b, double fraction) {
        if (a.length != b.length) throw new IllegalArgumentException("maps differ in size: " + a.length + " vs " + b.length);
        int k = Math.max(1, (int) Math.ceil(fraction * a.length));
        int[] oa = orderDescending(a), ob = orderDescending(b);
        java.util.Set<Integer> top = new java.util.HashSet<>();
        for (int i = 0; i < k; i++) top.add(oa[i]);
        int hit = 0;
        for (int i = 0; i < k; i++) if (top.contains(ob[i])) hit++;
        return (double) hit / k;
    }

    /** Ranks 1..n with ties given their average rank ({@code scipy.stats.rankdata(v, "average")}). */
    public static double[] averageRanks(float[] v) {
        int n = v.length;
        int[] desc = orderDescending(v);
        double[] ranks = new double[n];
        // ascending order = reversed descending order (ties get the same average either way)
        int i = 0;
        while (i < n) {
            int j = i;
            float val = v[desc[n - 1 - i]] + 0.0f;
            while (j + 1 < n && v[desc[n - 2 - j]] + 0.0f == val) j++;
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) ranks[desc[n - 1 - k]] = avg;
            i = j + 1;
        }
        return ranks;
    }

    /** Spearman's rank correlation (Pearson on average ranks), NaN if either array is constant. */
    public static double spearman(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("arrays differ in length: " + a.length + " vs " + b.length);
        return pearson(averageRanks(a), averageRanks(b));
    }

    static double pearson(double[] a, double[] b) {
        int n = a.length;
        double ma = 0, mb = 0;
        for (int i = 0; i < n; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= n;
        mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++) {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        if (saa == 0 || sbb == 0) return Double.NaN;
        return sab / Math.sqrt(saa * sbb);
    }

    /** {@code |v|}, divided by its maximum (all zeros stay zeros): a magnitude map on [0, 1]. */
    public static float[] absNormalised(float[] v) {
        float[] out = new float[v.length];
        float max = 0;
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.abs(v[i]);
            max = Math.max(max, out[i]);
        }
        if (max > 0) for (int i = 0; i < out.length; i++) out[i] /= max;
        return out;
    }

    /**
     * Structural similarity of two 3D arrays (dims z, y, x), as skimage's {@code structural_similarity(a, b,
     * win_size=w, data_range=range)} on a 3D array: uniform w³ window, K1 = 0.01, K2 = 0.03, sample covariances
     * (N/(N-1)), averaged over the window positions that lie wholly inside the volume. The window shrinks to the
     * smallest odd size that fits when a dimension is smaller than w.
     */
    public static double ssim3d(float[] a, float[] b, int[] dimsZyx, int window, double dataRange) {
        int nz = dimsZyx[0], ny = dimsZyx[1], nx = dimsZyx[2];
        if (a.length != (long) nz * ny * nx || b.length != a.length) throw new IllegalArgumentException("arrays do not match the grid");
        int w = window;
        for (int d : dimsZyx) w = Math.min(w, d % 2 == 1 ? d : d - 1);
        if (w < 1) throw new IllegalArgumentException("volume too small for SSIM");
        double[] ia = integral(a, nz, ny, nx, 1, null), ib = integral(b, nz, ny, nx, 1, null);
        double[] iaa = integral(a, nz, ny, nx, 2, null), ibb = integral(b, nz, ny, nx, 2, null);
        double[] iab = integral(a, nz, ny, nx, 3, b);
        double np = (double) w * w * w;
        double covNorm = np > 1 ? np / (np - 1) : 1;
        double c1 = Math.pow(0.01 * dataRange, 2), c2 = Math.pow(0.03 * dataRange, 2);
        double sum = 0;
        long count = 0;
        for (int z = 0; z + w <= nz; z++) {
            for (int y = 0; y + w <= ny; y++) {
                for (int x = 0; x + w <= nx; x++) {
                    double ux = box(ia, ny, nx, z, y, x, w) / np, uy = box(ib, ny, nx, z, y, x, w) / np;
                    double uxx = box(iaa, ny, nx, z, y, x, w) / np, uyy = box(ibb, ny, nx, z, y, x, w) / np;
                    double uxy = box(iab, ny, nx, z, y, x, w) / np;
                    double vx = covNorm * (uxx - ux * ux), vy = covNorm * (uyy - uy * uy), vxy = covNorm * (uxy - ux * uy);
                    sum += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
                    count++;
                }
            }
        }
        return sum / count;
    }

    /** Summed-volume table with a zero border: entry (z, y, x) = sum over [0, z) x [0, y) x [0, x). */
    private static double[] integral(float[] a, int nz, int ny, int nx, int kind, float[] b) {
        int sy = nx + 1, sz = (ny + 1) * sy;
        double[] t = new double[(nz + 1) * sz];
        for (int z = 0; z < nz; z++) {
            for (int y = 0; y < ny; y++) {
                double row = 0;
                for (int x = 0; x < nx; x++) {
                    int i = (z * ny + y) * nx + x;
                    double v = kind == 1 ? a[i] : kind == 2 ? (double) a[i] * a[i] : (double) a[i] * b[i];
                    row += v;
                    int o = (z + 1) * sz + (y + 1) * sy + (x + 1);
                    t[o] = row + t[o - sy] + t[o - sz] - t[o - sy - sz];
                }
            }
        }
        return t;
    }

    private static double box(double[] t, int ny, int nx, int z, int y, int x, int w) {
        int sy = nx + 1, sz = (ny + 1) * sy;
        int z1 = z + w, y1 = y + w, x1 = x + w;
        return t[z1 * sz + y1 * sy + x1] - t[z * sz + y1 * sy + x1] - t[z1 * sz + y * sy + x1] - t[z1 * sz + y1 * sy + x]
            + t[z * sz + y * sy + x1] + t[z * sz + y1 * sy + x] + t[z1 * sz + y * sy + x] - t[z * sz + y * sy + x];
    }

    /** Area under a curve sampled at x_k = k / (n - 1), k = 0..n-1, by the trapezoid rule (x normalised to [0, 1]). */
    public static double trapezoidAuc(double[] y) {
        if (y.length < 2) throw new IllegalArgumentException("a curve needs at least 2 points");
        double s = 0;
        for (int k = 1; k < y.length; k++) s += (y[k - 1] + y[k]) / 2;
        return s / (y.length - 1);
    }
}
