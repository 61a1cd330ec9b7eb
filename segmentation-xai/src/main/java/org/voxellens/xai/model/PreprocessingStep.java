package org.voxellens.xai.model;

import java.util.Map;

/** One bioimage.io preprocessing step ({@code zero_mean_unit_variance}, {@code scale_range}, ...) and its kwargs. */
public record PreprocessingStep(String name, Map<String, Object> kwargs) {

    public PreprocessingStep {
        kwargs = kwargs == null ? Map.of() : Map.copyOf(kwargs);
    }

    public double number(String key, double fallback) {
        Object v = kwargs.get(key);
        if (v == null) return fallback;
        if (v instanceof Number n) return n.doubleValue();
        throw new IllegalArgumentException("preprocessing " + name + ": " + key + " must be a number, got " + v);
    }

    /**
     * A number that may be given per channel (bioimage.io 0.5: {@code gain: [1.0, 0.5]} along {@code axis: channel}):
     * the value for {@code channel}, a single-element list's only value, or the scalar.
     */
    public double number(String key, int channel, double fallback) {
        Object v = kwargs.get(key);
        if (v instanceof java.util.List<?> l) {
            Object e = l.size() == 1 ? l.get(0) : channel < l.size() ? l.get(channel) : null;
            if (e instanceof Number n) return n.doubleValue();
            throw new IllegalArgumentException("preprocessing " + name + ": " + key + " " + v + " has no number for channel " + channel);
        }
        return number(key, fallback);
    }

    /** Whether the step's statistics span the channels: {@code axes} lists {@code c} (0.4 "cxyz") or {@code channel} (0.5). */
    public boolean acrossChannels() {
        Object a = kwargs.get("axes");
        if (a instanceof java.util.List<?> l) {
            for (Object o : l) if ("channel".equals(String.valueOf(o)) || "c".equals(String.valueOf(o))) return true;
            return false;
        }
        return a != null && a.toString().toLowerCase(java.util.Locale.ROOT).contains("c");
    }

    public String text(String key, String fallback) {
        Object v = kwargs.get(key);
        return v == null ? fallback : v.toString();
    }
}
