package org.voxellens.xai.metrics;

import java.util.Map;

/** What a metric found: its numbers, the options that produced them, and what it cost. */
public interface MetricResult {

    /** The metric's id. */
    String metric();

    /** The options used (the metric's {@link Metric#parameters()}, plus derived values such as sigma). */
    Map<String, Object> parameters();

    /** The metric's numbers, JSON-friendly (numbers, booleans, strings, lists, maps), for summary.json. */
    Map<String, Object> values();

    Cost cost();

    /** {@code {metric, parameters, values, cost}}: one entry of summary.json. */
    default Map<String, Object> toMap() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("metric", metric());
        m.put("parameters", parameters());
        m.put("values", values());
        m.put("cost", cost().toMap());
        return m;
    }
}
