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

    public String text(String key, String fallback) {
        Object v = kwargs.get(key);
        return v == null ? fallback : v.toString();
    }
}
