package org.voxellens.volumetric;

import java.util.Arrays;

/**
 * Where a voxel grid sits in the patient: dimensions, spacing (mm), origin (world position of voxel 0,0,0)
 * and direction cosines. World coordinates are DICOM's LPS (x to the patient's left, y posterior, z superior);
 * conversion from NIfTI's RAS happens in the NIfTI reader/writer only.
 *
 * <p>Immutable. Voxel index (i, j, k) maps to world as {@code origin + D * diag(spacing) * (i, j, k)}, where
 * column c of the direction matrix D is the unit world vector of voxel axis c.
 */
public final class Geometry {

    private final int[] dims;
    private final double[] spacing;
    private final double[] origin;
    private final double[] direction; // row-major 3x3; column c = direction of voxel axis c
    private final double[] m;         // row-major 3x3 = D * diag(spacing)
    private final double[] inv;       // inverse of m

    private Geometry(int[] dims, double[] spacing, double[] origin, double[] direction) {
        if (dims.length != 3 || spacing.length != 3 || origin.length != 3 || direction.length != 9) {
            throw new IllegalArgumentException("geometry needs 3 dims, 3 spacings, 3 origin values and a 3x3 direction");
        }
        for (int d : dims) {
            if (d <= 0) throw new IllegalArgumentException("dimensions must be positive: " + Arrays.toString(dims));
        }
        for (double s : spacing) {
            if (!(s > 0) || !Double.isFinite(s)) {
                throw new IllegalArgumentException("spacing must be positive and finite: " + Arrays.toString(spacing));
            }
        }
        for (double v : origin) {
            if (!Double.isFinite(v)) throw new IllegalArgumentException("origin must be finite: " + Arrays.toString(origin));
        }
        this.dims = dims.clone();
        this.spacing = spacing.clone();
        this.origin = origin.clone();
        this.direction = direction.clone();
        this.m = new double[9];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                m[r * 3 + c] = direction[r * 3 + c] * spacing[c];
            }
        }
        this.inv = invert3(m);
        if (inv == null) throw new IllegalArgumentException("direction matrix is singular: " + Arrays.toString(direction));
    }

    /** Geometry from dims, spacing, origin and a row-major direction matrix whose columns are the axis directions. */
    public static Geometry of(int[] dims, double[] spacing, double[] origin, double[] direction) {
        return new Geometry(dims, spacing, origin, direction);
    }

    /** Axis-aligned geometry (identity direction: i to L, j to P, k to S). */
    public static Geometry axisAligned(int[] dims, double[] spacing, double[] origin) {
        return new Geometry(dims, spacing, origin, new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1});
    }

    /**
     * Geometry from a 4x4 (or 3x4) voxel-to-LPS affine. Spacing is the length of each column, direction the
     * normalised columns; a sheared affine keeps its shear in the direction matrix.
     */
    public static Geometry fromAffine(int[] dims, double[][] affine) {
        double[] sp = new double[3];
        double[] dir = new double[9];
        for (int c = 0; c < 3; c++) {
            double n = Math.sqrt(affine[0][c] * affine[0][c] + affine[1][c] * affine[1][c] + affine[2][c] * affine[2][c]);
            if (!(n > 0)) throw new IllegalArgumentException("affine column " + c + " is zero");
            sp[c] = n;
            for (int r = 0; r < 3; r++) dir[r * 3 + c] = affine[r][c] / n;
        }
        return new Geometry(dims, sp, new double[] {affine[0][3], affine[1][3], affine[2][3]}, dir);
    }

    public int[] dims() { return dims.clone(); }
    public int nx() { return dims[0]; }
    public int ny() { return dims[1]; }
    public int nz() { return dims[2]; }
    public long voxelCount() { return (long) dims[0] * dims[1] * dims[2]; }
    public double[] spacing() { return spacing.clone(); }
    public double[] origin() { return origin.clone(); }
    /** Row-major 3x3; column c is the unit LPS direction of voxel axis c. */
    public double[] direction() { return direction.clone(); }

    /** 4x4 voxel-index to LPS-world affine. */
    public double[][] affine() {
        double[][] a = new double[4][4];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) a[r][c] = m[r * 3 + c];
            a[r][3] = origin[r];
        }
        a[3][3] = 1;
        return a;
    }

    public double[] voxelToWorld(double i, double j, double k) {
        return new double[] {
            origin[0] + m[0] * i + m[1] * j + m[2] * k,
            origin[1] + m[3] * i + m[4] * j + m[5] * k,
            origin[2] + m[6] * i + m[7] * j + m[8] * k};
    }

    public double[] worldToVoxel(double x, double y, double z) {
        double dx = x - origin[0], dy = y - origin[1], dz = z - origin[2];
        return new double[] {
            inv[0] * dx + inv[1] * dy + inv[2] * dz,
            inv[3] * dx + inv[4] * dy + inv[5] * dz,
            inv[6] * dx + inv[7] * dy + inv[8] * dz};
    }

    /** World position of the grid's centre (half way between the first and last voxel centres). */
    public double[] center() {
        return voxelToWorld((dims[0] - 1) / 2.0, (dims[1] - 1) / 2.0, (dims[2] - 1) / 2.0);
    }

    /** Physical extent of the grid along each voxel axis, in mm (dims * spacing). */
    public double[] extent() {
        return new double[] {dims[0] * spacing[0], dims[1] * spacing[1], dims[2] * spacing[2]};
    }

    /** A grid with the same direction and centre as this one, but other dimensions and spacing. */
    public Geometry recentered(int[] newDims, double[] newSpacing) {
        double[] c = center();
        double[] o = new double[3];
        for (int r = 0; r < 3; r++) {
            double v = c[r];
            for (int a = 0; a < 3; a++) v -= direction[r * 3 + a] * newSpacing[a] * (newDims[a] - 1) / 2.0;
            o[r] = v;
        }
        return new Geometry(newDims, newSpacing, o, direction);
    }

    /** Same dimensions and an affine equal within {@code tol} (mm) everywhere on the grid's corners. */
    public boolean sameGrid(Geometry other, double tol) {
        if (!Arrays.equals(dims, other.dims)) return false;
        double[][] a = affine(), b = other.affine();
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                double scale = c < 3 ? Math.max(1, dims[c]) : 1;
                if (Math.abs(a[r][c] - b[r][c]) * scale > tol) return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Geometry g)) return false;
        return Arrays.equals(dims, g.dims) && Arrays.equals(spacing, g.spacing)
            && Arrays.equals(origin, g.origin) && Arrays.equals(direction, g.direction);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims) * 31 + Arrays.hashCode(spacing) * 17 + Arrays.hashCode(origin);
    }

    @Override
    public String toString() {
        return "Geometry[dims=" + Arrays.toString(dims) + ", spacing=" + Arrays.toString(spacing)
            + ", origin=" + Arrays.toString(origin) + ", direction=" + Arrays.toString(direction) + "]";
    }

    static double[] invert3(double[] a) {
        double det = a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6])
            + a[2] * (a[3] * a[7] - a[4] * a[6]);
        if (Math.abs(det) < 1e-12) return null;
        double id = 1.0 / det;
        return new double[] {
            (a[4] * a[8] - a[5] * a[7]) * id, (a[2] * a[7] - a[1] * a[8]) * id, (a[1] * a[5] - a[2] * a[4]) * id,
            (a[5] * a[6] - a[3] * a[8]) * id, (a[0] * a[8] - a[2] * a[6]) * id, (a[2] * a[3] - a[0] * a[5]) * id,
            (a[3] * a[7] - a[4] * a[6]) * id, (a[1] * a[6] - a[0] * a[7]) * id, (a[0] * a[4] - a[1] * a[3]) * id};
    }
}
