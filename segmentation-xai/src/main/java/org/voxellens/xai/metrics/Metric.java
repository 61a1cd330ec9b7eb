package org.voxellens.xai.metrics;

import java.util.Map;
import org.voxellens.xai.attribution.Attribution;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.ExplainContext;

/**
 * A quality measure of an explanation, Captum/Quantus style: it takes any {@link AttributionMethod} and the map the
 * method produced for {@code ctx}'s input and target. Metrics that re-run the method (sensitivity, randomisation)
 * call {@code method.explain} on modified inputs or weights; the others only use {@code attribution.map()}.
 *
 * <p>Implementations are immutable; progress and cancel go through {@code ctx.progress()}, between batches.
 */
public interface Metric {

    /** Stable identifier, as on the command line ("infidelity", "sensitivity", ...). */
    String id();

    /** Every option that determines the result, for summary.json. */
    Map<String, Object> parameters();

    /**
     * @param attribution {@code method}'s result for {@code ctx} (its map is {@code [1, 1, z, y, x]} on the model
     *     input grid)
     */
    MetricResult evaluate(ExplainContext ctx, AttributionMethod method, Attribution attribution);

    /**
     * Whether {@link #evaluate} runs the model or the method on {@code ctx} (true for all but map-only scores such
     * as {@link Localisation}, which compare the map with a ground truth): a sliding-window run scores such metrics
     * on the tiles it explained, and map-only ones on the whole blended map.
     */
    default boolean usesModel() { return true; }
}
