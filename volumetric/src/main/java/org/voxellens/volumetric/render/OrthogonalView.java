package org.voxellens.volumetric.render;

import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/**
 * Cuts axial, coronal and sagittal slices out of a grid of any orientation. Each voxel axis is matched to the
 * patient (LPS) axis it runs closest to, with its sign, and slices are flipped and transposed so that they
 * appear in radiological convention whatever order and direction the scanner stored the voxels in.
 *
 * <p>Slices are voxel planes, not resampled world planes: for an oblique acquisition they are the
 * acquisition's own planes labelled with the nearest patient directions, as scanner consoles show them.
 * This keeps every displayed pixel a real voxel (callers wanting true world planes resample first).
 */
public final class OrthogonalView {

    private static final int[][] PERMUTATIONS = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

    private final Geometry geometry;
    private final int[] voxelAxis = new int[3]; // per LPS axis: the voxel axis running along it
    private final int[] sign = new int[3];      // per LPS axis: +1 when voxel indices increase toward +LPS

    private OrthogonalView(Geometry geometry) {
        this.geometry = geometry;
        double[] d = geometry.direction();
        // Best one-to-one matching rather than per-axis argmax, so a 45-degree grid still gets three planes.
        int[] best = null;
        double bestScore = -1;
        for (int[] p : PERMUTATIONS) { // p[c] = LPS axis of voxel axis c
            double score = Math.abs(d[p[0] * 3]) + Math.abs(d[p[1] * 3 + 1]) + Math.abs(d[p[2] * 3 + 2]);
            if (score > bestScore + 1e-12) {
                bestScore = score;
                best = p;
            }
        }
        for (int c = 0; c < 3; c++) {
            voxelAxis[best[c]] = c;
            sign[best[c]] = d[best[c] * 3 + c] >= 0 ? 1 : -1;
        }
    }

    public static OrthogonalView of(Geometry geometry) {
        return new OrthogonalView(geometry);
    }

    /** Voxel axis (0-2) that runs closest to LPS axis {@code lpsAxis} (0 = L, 1 = P, 2 = S). */
    public int voxelAxis(int lpsAxis) { return voxelAxis[lpsAxis]; }

    /** +1 when voxel indices along {@link #voxelAxis(int)} increase toward +LPS, else -1. */
    public int sign(int lpsAxis) { return sign[lpsAxis]; }

    /** The slice of {@code v} (on this view's grid) through {@code voxel}, in display orientation. */
    public Slice slice(Volume v, Plane plane, int[] voxel) {
        if (!v.geometry().sameGrid(geometry, 1e-3)) throw new IllegalArgumentException("volume is not on this view's grid");
        int[] dims = geometry.dims();
        double[] spacing = geometry.spacing();
        int ac = voxelAxis[plane.rightAxis()], ar = voxelAxis[plane.downAxis()];
        boolean colForward = sign[plane.rightAxis()] * plane.rightSign() > 0;
        boolean rowForward = sign[plane.downAxis()] * plane.downSign() > 0;
        int w = dims[ac], h = dims[ar];
        float[] out = new float[w * h];
        int[] idx = voxel.clone();
        for (int row = 0; row < h; row++) {
            idx[ar] = rowForward ? row : h - 1 - row;
            for (int col = 0; col < w; col++) {
                idx[ac] = colForward ? col : w - 1 - col;
                out[col + w * row] = v.get(idx[0], idx[1], idx[2]);
            }
        }
        return new Slice(w, h, spacing[ac], spacing[ar], out,
            colForward ? voxel[ac] : w - 1 - voxel[ac], rowForward ? voxel[ar] : h - 1 - voxel[ar]);
    }

    /** Physical extent (mm) of the grid along the voxel axis closest to LPS axis {@code lpsAxis}. */
    public double extentMm(int lpsAxis) {
        return geometry.extent()[voxelAxis[lpsAxis]];
    }
}
