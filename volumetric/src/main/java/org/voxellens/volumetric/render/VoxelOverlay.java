package org.voxellens.volumetric.render;

import org.voxellens.volumetric.Volume;

/**
 * The heat-map colours of {@link HeatMapRenderer} voxel by voxel, without screen scaling, letters or colour bar:
 * for writers that burn the overlay into images on the anatomy's own voxel grid (e.g. DICOM Secondary Capture),
 * so that they show exactly the colours the figures show. The grey window and map scale are fitted once on the
 * whole volumes, as the renderer does: the 1st-99th percentile of the anatomy, the
 * {@link RenderOptions#robustPercentile()} of |map|, the same threshold, opacity and colour map.
 */
public final class VoxelOverlay {

    private final Volume anatomy;
    private final Volume map;
    private final Colorizer colorizer;

    private VoxelOverlay(Volume anatomy, Volume map, Colorizer colorizer) {
        this.anatomy = anatomy;
        this.map = map;
        this.colorizer = colorizer;
    }

    /** Fits the colour scales; both volumes must share one grid (resample the map onto the anatomy first). */
    public static VoxelOverlay fit(Volume anatomy, Volume map, RenderOptions options) {
        if (options == null) throw new IllegalArgumentException("options are required");
        if (!anatomy.geometry().sameGrid(map.geometry(), 1e-3)) {
            throw new IllegalArgumentException("anatomy and map are on different grids; resample the map onto the "
                + "anatomy first (anatomy " + anatomy.geometry() + ", map " + map.geometry() + ")");
        }
        return new VoxelOverlay(anatomy, map, Colorizer.fit(anatomy, map, options));
    }

    /** The map magnitude at the top of the colour scale (0 when the map is all zero). */
    public double mapMax() {
        return colorizer.mapMax();
    }

    /** Colour (0xRRGGBB) of one anatomy value with one map value over it. */
    public int rgb(double anatomyValue, double mapValue) {
        return colorizer.rgb(anatomyValue, mapValue);
    }

    /** Voxel slice k (along voxel axis 2) as packed 0xRRGGBB, index i + nx * j (voxel axis 0 fastest). */
    public int[] sliceRgb(int k) {
        int nx = map.geometry().nx(), ny = map.geometry().ny(), nz = map.geometry().nz();
        if (k < 0 || k >= nz) throw new IllegalArgumentException("slice " + k + " outside 0.." + (nz - 1));
        int plane = nx * ny, base = k * plane;
        float[] a = anatomy.data(), m = map.data();
        int[] out = new int[plane];
        for (int n = 0; n < plane; n++) out[n] = colorizer.rgb(a[base + n], m[base + n]);
        return out;
    }
}
