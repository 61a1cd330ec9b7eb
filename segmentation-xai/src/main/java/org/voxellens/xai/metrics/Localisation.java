package org.voxellens.xai.metrics;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.voxellens.xai.attribution.Attribution;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.ExplainContext;

/**
 * How well a map points at a ground-truth mask (same grid, flat C-order arrays; no model needed). With relevance
 * R = |map| ({@code ABSOLUTE}, default) or max(map, 0) ({@code POSITIVE}, Arras et al.'s choice for signed maps)
 * and M the voxels where the mask is non-zero:
 * <ul>
 *   <li><b>relevance mass accuracy</b> (Arras et al. 2022): Σ_M R / Σ R (NaN if Σ R = 0);</li>
 *   <li><b>relevance rank accuracy</b> (Arras et al.): the fraction of the |M| highest-R voxels that lie in M;</li>
 *   <li><b>pointing game</b> (Zhang et al. 2018): whether the voxel of largest R (the first on ties) lies in M, or,
 *       with a tolerance of t voxels, within Euclidean distance t (in voxels) of a voxel of M;</li>
 *   <li><b>AUROC</b> of R as a classifier of M (Mann–Whitney U / (|M|·|¬M|), ties count ½; NaN if M is all);</li>
 *   <li><b>top-k IoU</b>: intersection over union of M with the ⌈k·V⌉ highest-R voxels (k = {@code topFraction},
 *       default 0.05).</li>
 * </ul>
 * Rankings break ties by voxel index (a stable sort), as {@code np.argsort(-R, kind="stable")}.
 */
public final class Localisation implements Metric {

    public enum Relevance { ABSOLUTE, POSITIVE }

    private final Relevance relevance;
    private final double topFraction;
    private final double pointingTolerance;
    private final float[] mask;

    private Localisation(Builder b) {
        this.relevance = b.relevance;
        this.topFraction = b.topFraction;
        this.pointingTolerance = b.pointingTolerance;
        this.mask = b.mask;
    }

    public static Builder builder() { return new Builder(); }

    /** All localisation scores with the default options; {@code map} and {@code mask} on the same grid. */
    public static Result score(float[] map, float[] mask) {
        return builder().build().score(map, mask, null);
    }

    @Override
    public String id() { return "localisation"; }

    @Override
    public boolean usesModel() { return false; }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("relevance", relevance == Relevance.ABSOLUTE ? "abs(map)" : "max(map, 0)");
        p.put("top_fraction", topFraction);
        p.put("pointing_tolerance_voxels", pointingTolerance);
        p.put("ties", "broken by voxel index (stable sort)");
        return p;
    }

    /** Scores against the mask given to the builder; the map's grid comes from {@code attribution}. */
    @Override
    public Result evaluate(ExplainContext ctx, AttributionMethod method, Attribution attribution) {
        if (mask == null) throw new IllegalArgumentException("localisation needs a ground-truth mask on the model grid");
        long[] s = attribution.map().shape();
        return score(attribution.map().data(), mask, new int[] {(int) s[2], (int) s[3], (int) s[4]});
    }

    /**
     * @param dimsZyx the grid (z, y, x); needed only for a pointing tolerance > 0 (may be null otherwise)
     */
    public Result score(float[] map, float[] mask, int[] dimsZyx) {
        long t0 = System.nanoTime();
        int n = map.length;
        if (mask.length != n) throw new IllegalArgumentException("map has " + n + " voxels, mask " + mask.length);
        if (pointingTolerance > 0 && (dimsZyx == null || (long) dimsZyx[0] * dimsZyx[1] * dimsZyx[2] != n)) {
            throw new IllegalArgumentException("a pointing tolerance needs the grid dimensions of the map");
        }
        float[] r = new float[n];
        boolean[] in = new boolean[n];
        int inside = 0;
        double total = 0, within = 0;
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(map[i])) throw new IllegalArgumentException("map contains NaN at voxel " + i);
            r[i] = relevance == Relevance.ABSOLUTE ? Math.abs(map[i]) : Math.max(0f, map[i]);
            in[i] = mask[i] != 0;
            if (in[i]) {
                inside++;
                within += r[i];
            }
            total += r[i];
        }
        if (inside == 0) throw new IllegalArgumentException("the ground-truth mask is empty");
        int[] order = MapStats.orderDescending(r);
        int hitsTopM = 0;
        for (int k = 0; k < inside; k++) if (in[order[k]]) hitsTopM++;
        int top = (int) Math.min(n, Math.ceil(topFraction * n - 1e-9));
        int inter = 0;
        for (int k = 0; k < top; k++) if (in[order[k]]) inter++;
        double iou = (double) inter / (top + inside - inter);
        int peak = 0;
        for (int i = 1; i < n; i++) if (r[i] > r[peak]) peak = i;
        boolean hit = in[peak] || (pointingTolerance > 0 && near(peak, in, dimsZyx, pointingTolerance));
        double auroc;
        int outside = n - inside;
        if (outside == 0) {
            auroc = Double.NaN;
        } else {
            double[] ranks = MapStats.averageRanks(r);
            double sumIn = 0;
            for (int i = 0; i < n; i++) if (in[i]) sumIn += ranks[i];
            auroc = (sumIn - (double) inside * (inside + 1) / 2) / ((double) inside * outside);
        }
        return new Result(parameters(), total > 0 ? within / total : Double.NaN, (double) hitsTopM / inside, hit, peak,
            auroc, iou, top, inside, new Cost(0, 0, 0, (System.nanoTime() - t0) / 1e9));
    }

    private static boolean near(int peak, boolean[] in, int[] d, double tol) {
        int ny = d[1], nx = d[2];
        int pz = peak / (ny * nx), py = peak / nx % ny, px = peak % nx;
        int t = (int) Math.floor(tol);
        for (int z = Math.max(0, pz - t); z <= Math.min(d[0] - 1, pz + t); z++) {
            for (int y = Math.max(0, py - t); y <= Math.min(ny - 1, py + t); y++) {
                for (int x = Math.max(0, px - t); x <= Math.min(nx - 1, px + t); x++) {
                    double dz = z - pz, dy = y - py, dx = x - px;
                    if (dz * dz + dy * dy + dx * dx <= tol * tol && in[(z * ny + y) * nx + x]) return true;
                }
            }
        }
        return false;
    }

    /**
     * @param peakVoxel flat index of the pointing game's voxel
     * @param topVoxels ⌈topFraction·V⌉, the size of the top-k set
     */
    public record Result(Map<String, Object> parameters, double relevanceMassAccuracy, double relevanceRankAccuracy,
                         boolean pointingGameHit, int peakVoxel, double auroc, double topKIou, int topVoxels,
                         int maskVoxels, Cost cost) implements MetricResult {

        @Override
        public String metric() { return "localisation"; }

        @Override
        public Map<String, Object> values() {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("relevance_mass_accuracy", relevanceMassAccuracy);
            v.put("relevance_rank_accuracy", relevanceRankAccuracy);
            v.put("pointing_game_hit", pointingGameHit);
            v.put("peak_voxel", peakVoxel);
            v.put("auroc", auroc);
            v.put("top_k_iou", topKIou);
            v.put("top_k_voxels", topVoxels);
            v.put("mask_voxels", maskVoxels);
            return v;
        }
    }

    public static final class Builder {
        private Relevance relevance = Relevance.ABSOLUTE;
        private double topFraction = 0.05;
        private double pointingTolerance = 0;
        private float[] mask;

        public Builder relevance(Relevance r) { this.relevance = r; return this; }

        /** k of the top-k IoU, as a fraction of all voxels (default 0.05). */
        public Builder topFraction(double f) {
            if (!(f > 0 && f <= 1)) throw new IllegalArgumentException("top fraction must be in (0, 1], got " + f);
            this.topFraction = f;
            return this;
        }

        /** Pointing-game tolerance in voxels (default 0: the peak itself must be in the mask). */
        public Builder pointingTolerance(double t) {
            if (!(t >= 0) || !Double.isFinite(t)) throw new IllegalArgumentException("tolerance must be >= 0, got " + t);
            this.pointingTolerance = t;
            return this;
        }

        /** Ground-truth mask on the model-input grid (non-zero = inside), for {@link #evaluate}. */
        public Builder mask(float[] m) { this.mask = m == null ? null : m.clone(); return this; }

        public Localisation build() { return new Localisation(this); }
    }
}
