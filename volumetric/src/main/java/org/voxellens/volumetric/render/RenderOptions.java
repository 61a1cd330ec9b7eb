package org.voxellens.volumetric.render;

import org.voxellens.volumetric.Interpolation;

/** How a heat map is drawn over anatomy. Immutable; start from {@link #builder()} or {@link #defaults()}. */
public final class RenderOptions {

    private final ColorMap colorMap;
    private final double opacity;
    private final double threshold;
    private final String title;
    private final boolean signed;
    private final boolean crosshair;
    private final int panelSize;
    private final double robustPercentile;
    private final Interpolation interpolation;

    private RenderOptions(Builder b) {
        this.colorMap = b.colorMap;
        this.opacity = b.opacity;
        this.threshold = b.threshold;
        this.title = b.title;
        this.signed = b.signed;
        this.crosshair = b.crosshair;
        this.panelSize = b.panelSize;
        this.robustPercentile = b.robustPercentile;
        this.interpolation = b.interpolation;
    }

    public static Builder builder() { return new Builder(); }

    public static RenderOptions defaults() { return builder().build(); }

    /** A builder holding these options, to derive variants. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.colorMap = colorMap;
        b.opacity = opacity;
        b.threshold = threshold;
        b.title = title;
        b.signed = signed;
        b.crosshair = crosshair;
        b.panelSize = panelSize;
        b.robustPercentile = robustPercentile;
        b.interpolation = interpolation;
        return b;
    }

    /** The colour map: as set, else COOLWARM for signed maps (a neutral centre is needed) and FIRE otherwise. */
    public ColorMap colorMap() {
        return colorMap != null ? colorMap : signed ? ColorMap.COOLWARM : ColorMap.FIRE;
    }

    /** Weight of the heat colour over the anatomy grey, 0-1. */
    public double opacity() { return opacity; }

    /** Fraction (0-1) of the normalisation maximum at or below which voxels stay uncoloured. */
    public double threshold() { return threshold; }

    public String title() { return title; }

    /** Draw the map with its sign on a diverging scale; otherwise its magnitude is drawn. */
    public boolean signed() { return signed; }

    public boolean crosshair() { return crosshair; }

    /** Screen pixels given to the grid's largest physical extent; all panels share this mm-per-pixel scale. */
    public int panelSize() { return panelSize; }

    /** Percentile of |map| that maps to the top of the colour scale. */
    public double robustPercentile() { return robustPercentile; }

    /** How slices are scaled to screen pixels. */
    public Interpolation interpolation() { return interpolation; }

    public static final class Builder {
        private ColorMap colorMap;
        private double opacity = 0.5;
        private double threshold = 0.2;
        private String title = "";
        private boolean signed;
        private boolean crosshair = true;
        private int panelSize = 288;
        private double robustPercentile = 99.9;
        private Interpolation interpolation = Interpolation.LINEAR;

        private Builder() {}

        /** Explicit colour map; null restores the sign-dependent default. */
        public Builder colorMap(ColorMap colorMap) { this.colorMap = colorMap; return this; }
        public Builder colorMap(String name) { return colorMap(ColorMap.byName(name)); }
        public Builder opacity(double opacity) { this.opacity = opacity; return this; }
        public Builder threshold(double threshold) { this.threshold = threshold; return this; }
        public Builder title(String title) { this.title = title == null ? "" : title; return this; }
        public Builder signed(boolean signed) { this.signed = signed; return this; }
        public Builder crosshair(boolean crosshair) { this.crosshair = crosshair; return this; }
        public Builder panelSize(int panelSize) { this.panelSize = panelSize; return this; }
        public Builder robustPercentile(double percentile) { this.robustPercentile = percentile; return this; }
        public Builder interpolation(Interpolation interpolation) { this.interpolation = interpolation; return this; }

        public RenderOptions build() {
            if (!(opacity >= 0 && opacity <= 1)) throw new IllegalArgumentException("opacity must be in [0, 1]: " + opacity);
            if (!(threshold >= 0 && threshold < 1)) {
                throw new IllegalArgumentException("threshold must be in [0, 1): " + threshold);
            }
            if (panelSize < 32 || panelSize > 4096) {
                throw new IllegalArgumentException("panel size must be 32-4096 px: " + panelSize);
            }
            if (!(robustPercentile > 0 && robustPercentile <= 100)) {
                throw new IllegalArgumentException("robust percentile must be in (0, 100]: " + robustPercentile);
            }
            if (interpolation == null) throw new IllegalArgumentException("interpolation is required");
            return new RenderOptions(this);
        }
    }
}
