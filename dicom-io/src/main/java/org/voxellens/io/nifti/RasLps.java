package org.voxellens.io.nifti;

/**
 * The one place where NIfTI's RAS world (x to the Right, y Anterior, z Superior) meets the project's DICOM LPS
 * world: {@code LPS = diag(-1, -1, 1) * RAS}. The flip is its own inverse, so both directions are the same
 * operation; keeping it here means a sign error can only exist once.
 */
public final class RasLps {

    private RasLps() {
    }

    /** A 3x4 or 4x4 voxel-to-RAS affine as voxel-to-LPS (a new array). */
    public static double[][] rasToLps(double[][] affine) {
        return flip(affine);
    }

    /** A 3x4 or 4x4 voxel-to-LPS affine as voxel-to-RAS (a new array). */
    public static double[][] lpsToRas(double[][] affine) {
        return flip(affine);
    }

    /** A RAS point as LPS. */
    public static double[] rasToLps(double[] point) {
        return flip(point);
    }

    /** An LPS point as RAS. */
    public static double[] lpsToRas(double[] point) {
        return flip(point);
    }

    private static double[][] flip(double[][] affine) {
        double[][] out = new double[affine.length][];
        for (int r = 0; r < affine.length; r++) {
            out[r] = new double[affine[r].length];
            for (int c = 0; c < out[r].length; c++) out[r][c] = flipped(r, affine[r][c]);
        }
        return out;
    }

    private static double[] flip(double[] point) {
        double[] out = new double[point.length];
        for (int r = 0; r < point.length; r++) out[r] = flipped(r, point[r]);
        return out;
    }

    /**
     * Component {@code row} after the flip, with -0.0 turned into 0.0: Geometry equality compares bit patterns,
     * and a negated zero would make a geometry read from NIfTI unequal to the same grid built directly.
     */
    private static double flipped(int row, double v) {
        return row < 2 ? 0.0 - v : v + 0.0;
    }
}
