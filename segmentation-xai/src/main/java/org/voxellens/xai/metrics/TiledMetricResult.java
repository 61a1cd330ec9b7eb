package org.voxellens.xai.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One metric scored tile by tile on a sliding-window explanation, joined into one result for the volume. Each scored
 * tile has its own {@link MetricResult} (the metric's own {@code evaluate} on the tile's input, the tile's part of the
 * target and the method's map for that tile); the volume's values are the tiles' values averaged over the scored
 * tiles, weighted by each tile's target voxels:
 * <ul>
 *   <li>a number: {@code Σ_t n_t·v_t / Σ_t n_t} (NaN when any tile's is NaN);</li>
 *   <li>a boolean (e.g. randomisation's {@code passed}): true only if true in every scored tile;</li>
 *   <li>maps and lists of maps (e.g. randomisation's cascading steps): joined entry by entry;</li>
 *   <li>lists of numbers (per-perturbation terms, per-sample sensitivities, curve points): per tile only, because
 *       sample k of one tile is a different perturbation from sample k of another;</li>
 *   <li>anything else (text) kept when every tile has the same, otherwise per tile only.</li>
 * </ul>
 * Parameters shared by all tiles are the result's; those that differ (e.g. infidelity's σ, derived from each tile's
 * intensity range) are reported per tile. The cost is the sum over the tiles.
 *
 * @param tiles which tiles were scored and why, their values and the weighting: summary.json's {@code tiles}
 */
public record TiledMetricResult(String metric, Map<String, Object> parameters, Map<String, Object> values, Cost cost,
                                Map<String, Object> tiles) implements MetricResult {

    /** How tiles are chosen, for summary.json. */
    public static final String SELECTION =
        "the explained tiles (those holding target voxels) with the most target voxels, ties by lower index";

    /** How the values are joined, for summary.json. */
    public static final String WEIGHTING = "each number is the mean over the scored tiles weighted by the tile's target voxels"
        + " (weight = target_voxels / sum); a boolean is true only if true in every scored tile; lists of samples are per tile";

    private static final Object OMIT = new Object();

    /**
     * One scored tile.
     *
     * @param originXyz the tile's first voxel on the sliding-window grid
     * @param targetVoxels voxels of the target inside the tile: the tile's weight
     */
    public record Tile(int index, int[] originXyz, long targetVoxels, MetricResult result) {
        public Tile {
            if (targetVoxels < 1) throw new IllegalArgumentException("tile " + index + " holds no target voxel: it cannot be weighted");
        }
    }

    /**
     * @param metric the metric (its id and parameters stand in when no tile was scored)
     * @param scored the scored tiles, in the order they were chosen
     * @param explained tiles the method explained (the candidates)
     * @param maxScored the cap on scored tiles
     * @param tileSizeXyz a tile's size in voxels
     */
    public static TiledMetricResult join(Metric metric, List<Tile> scored, int explained, int maxScored, int[] tileSizeXyz) {
        double total = 0;
        for (Tile t : scored) total += t.targetVoxels();
        double[] w = new double[scored.size()];
        for (int i = 0; i < w.length; i++) w[i] = scored.get(i).targetVoxels() / total;

        Map<String, Object> params = new LinkedHashMap<>(scored.isEmpty() ? metric.parameters() : scored.get(0).result().parameters());
        for (Tile t : scored) params.entrySet().removeIf(e -> !Objects.equals(t.result().parameters().get(e.getKey()), e.getValue()));

        Map<String, Object> values = new LinkedHashMap<>();
        if (!scored.isEmpty()) {
            Object v = combine(scored.stream().map(t -> (Object) t.result().values()).toList(), w);
            if (v instanceof Map<?, ?> m) m.forEach((k, x) -> values.put((String) k, x));
        }

        int evaluations = 0;
        long passes = 0, samples = 0;
        double seconds = 0;
        List<Map<String, Object>> perTile = new ArrayList<>();
        for (int i = 0; i < scored.size(); i++) {
            Tile t = scored.get(i);
            Cost c = t.result().cost();
            evaluations += c.methodEvaluations();
            passes += c.modelPasses();
            samples += c.modelSamples();
            seconds += c.seconds();
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("index", t.index());
            e.put("origin_xyz", t.originXyz().clone());
            e.put("target_voxels", t.targetVoxels());
            e.put("weight", w[i]);
            Map<String, Object> own = new LinkedHashMap<>(t.result().parameters());
            own.keySet().removeAll(params.keySet());
            if (!own.isEmpty()) e.put("parameters", own);
            e.put("values", t.result().values());
            e.put("cost", c.toMap());
            perTile.add(e);
        }
        Map<String, Object> tiles = new LinkedHashMap<>();
        tiles.put("tiles_scored", scored.size());
        tiles.put("tiles_explained", explained);
        tiles.put("tiles_not_scored", explained - scored.size());
        tiles.put("max_tiles_scored", maxScored);
        tiles.put("tile_size_xyz", tileSizeXyz.clone());
        tiles.put("selection", SELECTION);
        tiles.put("weighting", WEIGHTING);
        tiles.put("per_tile", perTile);
        String id = scored.isEmpty() ? metric.id() : scored.get(0).result().metric();
        return new TiledMetricResult(id, params, values, new Cost(evaluations, passes, samples, seconds), tiles);
    }

    /** The joined value of one entry across tiles ({@code w}: normalised weights), or OMIT. */
    private static Object combine(List<Object> xs, double[] w) {
        if (xs.stream().allMatch(x -> x instanceof Number)) {
            double s = 0;
            for (int i = 0; i < w.length; i++) s += w[i] * ((Number) xs.get(i)).doubleValue();
            return s;
        }
        if (xs.stream().allMatch(x -> x instanceof Boolean)) return xs.stream().allMatch(Boolean.TRUE::equals);
        if (xs.stream().allMatch(x -> x instanceof Map<?, ?>)) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Object key : ((Map<?, ?>) xs.get(0)).keySet()) {
                if (!xs.stream().allMatch(x -> ((Map<?, ?>) x).containsKey(key))) continue;
                Object v = combine(xs.stream().map(x -> (Object) ((Map<?, ?>) x).get(key)).toList(), w);
                if (v != OMIT) out.put(key.toString(), v);
            }
            return out;
        }
        if (xs.stream().allMatch(x -> x instanceof List<?>)) {
            List<?> first = (List<?>) xs.get(0);
            if (first.stream().anyMatch(e -> e instanceof Number)) return OMIT;
            if (!xs.stream().allMatch(x -> ((List<?>) x).size() == first.size())) return OMIT;
            List<Object> out = new ArrayList<>();
            for (int k = 0; k < first.size(); k++) {
                final int at = k;
                Object v = combine(xs.stream().map(x -> (Object) ((List<?>) x).get(at)).toList(), w);
                if (v == OMIT) return OMIT;
                out.add(v);
            }
            return out;
        }
        return allEqual(xs) ? xs.get(0) : OMIT;
    }

    private static boolean allEqual(List<Object> xs) {
        return xs.stream().allMatch(x -> Objects.equals(x, xs.get(0)));
    }

    /** {@code {metric, parameters, values, cost, tiles}}: the untiled entry of summary.json plus {@code tiles}. */
    @Override
    public Map<String, Object> toMap() {
        Map<String, Object> m = MetricResult.super.toMap();
        m.put("tiles", tiles);
        return m;
    }
}
