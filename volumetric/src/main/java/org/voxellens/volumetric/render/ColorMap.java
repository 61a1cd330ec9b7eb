package org.voxellens.volumetric.render;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * 256-entry colour lookup tables named and shaped as ImageJ and matplotlib users know them, so a figure
 * reads the same as the one they would make themselves. FIRE is ImageJ's table exactly; the matplotlib maps
 * are built from their published segment data (VIRIDIS and COOLWARM from a handful of samples, which is
 * visually indistinguishable at 256 entries).
 */
public final class ColorMap {

    public static final ColorMap FIRE = imageJ("fire",
        new int[] {0, 0, 1, 25, 49, 73, 98, 122, 146, 162, 173, 184, 195, 207, 217, 229, 240, 252, 255, 255, 255, 255,
            255, 255, 255, 255, 255, 255, 255, 255, 255, 255},
        new int[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, 35, 57, 79, 101, 117, 133, 147, 161, 175, 190, 205, 219,
            234, 248, 255, 255, 255, 255},
        new int[] {0, 61, 96, 130, 165, 192, 220, 227, 210, 181, 151, 122, 93, 64, 35, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 35, 98, 160, 223, 255});

    public static final ColorMap JET = segments("jet",
        new double[][] {{0, 0}, {0.35, 0}, {0.66, 1}, {0.89, 1}, {1, 0.5}},
        new double[][] {{0, 0}, {0.125, 0}, {0.375, 1}, {0.64, 1}, {0.91, 0}, {1, 0}},
        new double[][] {{0, 0.5}, {0.11, 1}, {0.34, 1}, {0.65, 0}, {1, 0}});

    public static final ColorMap HOT = segments("hot",
        new double[][] {{0, 0.0416}, {0.365079, 1}, {1, 1}},
        new double[][] {{0, 0}, {0.365079, 0}, {0.746032, 1}, {1, 1}},
        new double[][] {{0, 0}, {0.746032, 0}, {1, 1}});

    public static final ColorMap VIRIDIS = evenlySpaced("viridis",
        0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c, 0x22a884, 0x44bf70, 0x7ad151, 0xbddf26, 0xfde725);

    public static final ColorMap GRAYS = evenlySpaced("grays", 0x000000, 0xffffff);

    /** Diverging (Moreland's cool-warm): signed maps with a neutral centre. */
    public static final ColorMap COOLWARM = evenlySpaced("coolwarm",
        0x3b4cc0, 0x6282ea, 0x8db0fe, 0xb8d0f9, 0xdddddd, 0xf5c4ad, 0xf49a7b, 0xde604d, 0xb40426);

    /** Diverging blue-white-red. */
    public static final ColorMap BWR = evenlySpaced("bwr", 0x0000ff, 0xffffff, 0xff0000);

    private static final Map<String, ColorMap> BY_NAME = new LinkedHashMap<>();

    static {
        for (ColorMap c : List.of(FIRE, JET, HOT, VIRIDIS, GRAYS, COOLWARM, BWR)) BY_NAME.put(c.name, c);
    }

    private final String name;
    private final int[] lut; // 0xRRGGBB

    private ColorMap(String name, int[] lut) {
        this.name = name;
        this.lut = lut;
    }

    /** Case-insensitive lookup; the error lists the known names so a typo in a config is quick to fix. */
    public static ColorMap byName(String name) {
        ColorMap c = name == null ? null : BY_NAME.get(name.trim().toLowerCase(Locale.ROOT));
        if (c == null) {
            throw new IllegalArgumentException("unknown colour map '" + name + "'; known: " + String.join(", ", names()));
        }
        return c;
    }

    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    public String name() { return name; }

    /** Colour (0xRRGGBB) of table entry 0-255. */
    public int rgbAt(int index) {
        return lut[Math.max(0, Math.min(255, index))];
    }

    /** Colour (0xRRGGBB) at position t in [0, 1] (clamped; NaN gives the lowest colour). */
    public int rgb(double t) {
        return rgbAt(t > 0 ? (int) Math.round(Math.min(t, 1) * 255) : 0);
    }

    @Override
    public String toString() { return name; }

    /** ImageJ LutLoader's interpolation of a short table to 256 entries (truncating, last entry held). */
    private static ColorMap imageJ(String name, int[] r, int[] g, int[] b) {
        int n = r.length;
        double scale = n / 256.0;
        int[] lut = new int[256];
        for (int i = 0; i < 256; i++) {
            int i1 = (int) (i * scale);
            int i2 = Math.min(i1 + 1, n - 1);
            double f = i * scale - i1;
            lut[i] = pack((int) ((1 - f) * r[i1] + f * r[i2]), (int) ((1 - f) * g[i1] + f * g[i2]),
                (int) ((1 - f) * b[i1] + f * b[i2]));
        }
        return new ColorMap(name, lut);
    }

    /** matplotlib LinearSegmentedColormap data: per channel, (x, y) knots with x rising from 0 to 1. */
    private static ColorMap segments(String name, double[][] r, double[][] g, double[][] b) {
        int[] lut = new int[256];
        for (int i = 0; i < 256; i++) {
            double x = i / 255.0;
            lut[i] = pack(channel(r, x), channel(g, x), channel(b, x));
        }
        return new ColorMap(name, lut);
    }

    private static ColorMap evenlySpaced(String name, int... colors) {
        double[][][] knots = new double[3][colors.length][];
        for (int c = 0; c < colors.length; c++) {
            double x = c / (colors.length - 1.0);
            for (int ch = 0; ch < 3; ch++) knots[ch][c] = new double[] {x, ((colors[c] >> (16 - 8 * ch)) & 255) / 255.0};
        }
        return segments(name, knots[0], knots[1], knots[2]);
    }

    private static int channel(double[][] knots, double x) {
        int k = 1;
        while (k < knots.length - 1 && knots[k][0] < x) k++;
        double x0 = knots[k - 1][0], x1 = knots[k][0];
        double f = x1 > x0 ? Math.max(0, Math.min(1, (x - x0) / (x1 - x0))) : 1;
        return (int) Math.round(255 * (knots[k - 1][1] + f * (knots[k][1] - knots[k - 1][1])));
    }

    private static int pack(int r, int g, int b) {
        return (r << 16) | (g << 8) | b;
    }
}
