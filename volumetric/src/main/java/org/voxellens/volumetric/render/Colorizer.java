package org.voxellens.volumetric.render;

import org.voxellens.volumetric.Percentiles;
import org.voxellens.volumetric.Volume;

/**
 * Turns (anatomy value, map value) pairs into screen colours, with the grey window and map scale fitted once
 * per volume so that all three panels and the colour bar agree.
 */
final class Colorizer {

    private final RenderOptions options;
    private final ColorMap colorMap;
    private final double greyLow;
    private final double greyRange;
    private final double mapMax;

    private Colorizer(RenderOptions options, double greyLow, double greyHigh, double mapMax) {
        this.options = options;
        this.colorMap = options.colorMap();
        this.greyLow = greyLow;
        this.greyRange = greyHigh - greyLow;
        this.mapMax = mapMax;
    }

    /**
     * Anatomy windowed to its 1st-99th percentile (robust to metal, air and padding); map scaled by a high
     * percentile of |map| so that a few extreme voxels, common in gradient maps, do not wash out the rest.
     * Maps so sparse that the percentile is zero fall back to their maximum magnitude.
     */
    static Colorizer fit(Volume anatomy, Volume map, RenderOptions options) {
        double[] window = Percentiles.of(anatomy.data(), 1, 99);
        if (!(window[1] > window[0])) window = new double[] {anatomy.min(), anatomy.max()};
        float[] magnitude = map.data().clone();
        float largest = 0;
        for (int n = 0; n < magnitude.length; n++) {
            magnitude[n] = Math.abs(magnitude[n]);
            if (magnitude[n] > largest) largest = magnitude[n];
        }
        double robust = Percentiles.of(magnitude, options.robustPercentile());
        return new Colorizer(options, window[0], window[1], robust > 0 ? robust : largest);
    }

    /** The map magnitude drawn at the top of the colour scale (0 when the map is all zero). */
    double mapMax() { return mapMax; }

    boolean signed() { return options.signed(); }

    double threshold() { return options.threshold(); }

    int rgb(double anatomy, double map) {
        int g = grey(anatomy);
        double t = position(map);
        if (Double.isNaN(t)) return g * 0x010101;
        int c = colorMap.rgb(t);
        double a = options.opacity();
        int r = (int) Math.round((1 - a) * g + a * ((c >> 16) & 255));
        int gr = (int) Math.round((1 - a) * g + a * ((c >> 8) & 255));
        int b = (int) Math.round((1 - a) * g + a * (c & 255));
        return (r << 16) | (gr << 8) | b;
    }

    /** Colour of the colour bar at height {@code b} (0 bottom, 1 top); dimmed where the map is not drawn. */
    int barRgb(double b) {
        int c = colorMap.rgb(b);
        double value = signed() ? 2 * b - 1 : b;
        if (Math.abs(value) > threshold()) return c;
        return ((c >> 2) & 0x3f3f3f); // a quarter brightness: the scale exists there but is not painted
    }

    private int grey(double v) {
        double f = greyRange > 0 ? (v - greyLow) / greyRange : 0;
        return f > 0 ? (int) Math.round(255 * Math.min(f, 1)) : 0;
    }

    /** Colour-map position (0-1) of a map value, or NaN when it stays uncoloured. */
    private double position(double m) {
        double s = m / mapMax;
        if (!(Math.abs(s) > threshold())) return Double.NaN; // also NaN maps and an all-zero map
        s = Math.max(-1, Math.min(1, s));
        return signed() ? (s + 1) / 2 : Math.abs(s);
    }
}
