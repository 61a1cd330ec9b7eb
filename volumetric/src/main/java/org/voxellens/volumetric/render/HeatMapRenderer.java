package org.voxellens.volumetric.render;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/**
 * Draws an attribution map over the anatomy it explains as axial, coronal and sagittal slices through one
 * point, in radiological convention and true physical proportions, so a clinician reads it like any other
 * series. Both volumes must share one grid: moving the map onto the anatomy is the caller's explicit
 * {@link org.voxellens.volumetric.Resampler} step, never a hidden one here.
 *
 * <p>Colour scale: the map's magnitude (or signed value) is divided by the {@link RenderOptions#robustPercentile()}
 * percentile (default 99.9th) of |map|, falling back to max |map| for very sparse maps, and clipped to 1; a
 * handful of extreme voxels therefore saturates instead of turning everything else dark. Values at or below
 * {@link RenderOptions#threshold()} of that scale are left uncoloured so the anatomy underneath stays visible.
 */
public final class HeatMapRenderer {

    private static final Color CROSSHAIR = new Color(0, 200, 255, 110);
    private static final int CROSSHAIR_GAP = 6;

    private final RenderOptions options;

    public HeatMapRenderer() {
        this(RenderOptions.defaults());
    }

    public HeatMapRenderer(RenderOptions options) {
        if (options == null) throw new IllegalArgumentException("options are required");
        this.options = options;
    }

    public RenderOptions options() { return options; }

    /** The figure through the map's peak (largest |value|). */
    public BufferedImage render(Volume anatomy, Volume map) {
        return render(anatomy, map, peakVoxel(map));
    }

    /** The figure through the voxel nearest to an LPS world point, which must lie on the grid. */
    public BufferedImage renderAtWorld(Volume anatomy, Volume map, double[] lps) {
        return render(anatomy, map, nearestVoxel(map.geometry(), lps));
    }

    /** The figure through voxel (i, j, k) of the shared grid. */
    public BufferedImage render(Volume anatomy, Volume map, int[] voxel) {
        Colorizer colorizer = prepare(anatomy, map, voxel);
        Map<Plane, BufferedImage> panels = panels(anatomy, map, voxel, colorizer);
        return FigureLayout.compose(options.title(), subtitle(map.geometry(), voxel, colorizer), panels, colorizer);
    }

    /** The three panels alone, without title, labels or colour bar (same scale and colours as {@link #render}). */
    public Map<Plane, BufferedImage> renderPanels(Volume anatomy, Volume map, int[] voxel) {
        return panels(anatomy, map, voxel, prepare(anatomy, map, voxel));
    }

    /** Voxel of largest |value| (first on ties): where a reader's eye should be taken by default. */
    public static int[] peakVoxel(Volume map) {
        float[] d = map.data();
        int best = 0;
        float bestAbs = -1;
        for (int n = 0; n < d.length; n++) {
            float a = Math.abs(d[n]);
            if (a > bestAbs) {
                bestAbs = a;
                best = n;
            }
        }
        int nx = map.geometry().nx(), ny = map.geometry().ny();
        return new int[] {best % nx, (best / nx) % ny, best / (nx * ny)};
    }

    private Colorizer prepare(Volume anatomy, Volume map, int[] voxel) {
        if (!anatomy.geometry().sameGrid(map.geometry(), 1e-3)) {
            throw new IllegalArgumentException("anatomy and map are on different grids; resample the map onto the "
                + "anatomy first (anatomy " + anatomy.geometry() + ", map " + map.geometry() + ")");
        }
        int[] dims = map.geometry().dims();
        if (voxel.length != 3) throw new IllegalArgumentException("voxel needs 3 indices");
        for (int a = 0; a < 3; a++) {
            if (voxel[a] < 0 || voxel[a] >= dims[a]) {
                throw new IllegalArgumentException("voxel index " + voxel[a] + " outside 0.." + (dims[a] - 1) + " on axis " + a);
            }
        }
        return Colorizer.fit(anatomy, map, options);
    }

    private Map<Plane, BufferedImage> panels(Volume anatomy, Volume map, int[] voxel, Colorizer colorizer) {
        OrthogonalView view = OrthogonalView.of(map.geometry());
        double largest = Math.max(view.extentMm(0), Math.max(view.extentMm(1), view.extentMm(2)));
        double pxPerMm = options.panelSize() / largest;
        Map<Plane, BufferedImage> out = new EnumMap<>(Plane.class);
        for (Plane p : Plane.values()) {
            out.put(p, panel(view.slice(anatomy, p, voxel), view.slice(map, p, voxel), pxPerMm, colorizer));
        }
        return out;
    }

    private BufferedImage panel(Slice anatomy, Slice map, double pxPerMm, Colorizer colorizer) {
        int w = Math.max(1, (int) Math.round(anatomy.width() * anatomy.pixelWidthMm() * pxPerMm));
        int h = Math.max(1, (int) Math.round(anatomy.height() * anatomy.pixelHeightMm() * pxPerMm));
        // Screen pixel centres mapped back through the actual rounded size, so mirrored grids draw mirrored pixels.
        double sx = anatomy.width() / (double) w, sy = anatomy.height() / (double) h;
        int[] rgb = new int[w * h];
        for (int y = 0; y < h; y++) {
            double row = (y + 0.5) * sy - 0.5;
            for (int x = 0; x < w; x++) {
                double col = (x + 0.5) * sx - 0.5;
                rgb[x + w * y] = colorizer.rgb(anatomy.sample(col, row, options.interpolation()),
                    map.sample(col, row, options.interpolation()));
            }
        }
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, w, h, rgb, 0, w);
        if (options.crosshair()) {
            drawCrosshair(img, (int) ((anatomy.pointColumn() + 0.5) / sx), (int) ((anatomy.pointRow() + 0.5) / sy));
        }
        return img;
    }

    /** Lines stop short of the point itself so they never hide the voxel being pointed at. */
    private static void drawCrosshair(BufferedImage img, int cx, int cy) {
        Graphics2D g = img.createGraphics();
        g.setColor(CROSSHAIR);
        g.setStroke(new BasicStroke(1f));
        int w = img.getWidth(), h = img.getHeight();
        g.drawLine(0, cy, cx - CROSSHAIR_GAP, cy);
        g.drawLine(cx + CROSSHAIR_GAP, cy, w - 1, cy);
        g.drawLine(cx, 0, cx, cy - CROSSHAIR_GAP);
        g.drawLine(cx, cy + CROSSHAIR_GAP, cx, h - 1);
        g.dispose();
    }

    private static int[] nearestVoxel(Geometry g, double[] lps) {
        double[] v = g.worldToVoxel(lps[0], lps[1], lps[2]);
        int[] dims = g.dims();
        int[] out = new int[3];
        for (int a = 0; a < 3; a++) {
            if (!(v[a] >= -0.5 && v[a] <= dims[a] - 0.5)) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "point (%.1f, %.1f, %.1f) mm LPS lies outside the grid", lps[0], lps[1], lps[2]));
            }
            out[a] = (int) Math.max(0, Math.min(dims[a] - 1, Math.round(v[a])));
        }
        return out;
    }

    private static String subtitle(Geometry g, int[] voxel, Colorizer c) {
        double[] w = g.voxelToWorld(voxel[0], voxel[1], voxel[2]);
        return String.format(Locale.ROOT, "voxel [%d, %d, %d]  \u00b7  LPS (%.1f, %.1f, %.1f) mm  \u00b7  %s",
            voxel[0], voxel[1], voxel[2], w[0], w[1], w[2], c.signed() ? "signed map" : "|map|");
    }
}
