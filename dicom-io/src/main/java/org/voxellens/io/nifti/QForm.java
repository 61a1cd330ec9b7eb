package org.voxellens.io.nifti;

import java.util.Optional;

/**
 * NIfTI's quaternion transform (method 2): a proper rotation {@code (a, b, c, d)} with {@code a} implied, voxel
 * sizes, a handedness flag {@code qfac} (stored in pixdim[0]) that flips the third axis, and an offset. The
 * formulas follow nifti1_io.c, the standard's reference implementation, so that every tool derives the same
 * matrix from the same header (including its special case for near-180-degree rotations, where nibabel differs
 * by about 1e-5).
 */
record QForm(double b, double c, double d, double qfac, double dx, double dy, double dz,
             double qx, double qy, double qz) {

    /** How far from orthonormal a direction matrix may be and still count as a rotation (about 0.006 degrees). */
    static final double ORTHONORMAL_TOLERANCE = 1e-4;

    /** Voxel-to-world 3x4 affine in the header's (RAS) world. */
    double[][] affine() {
        double qb = b, qc = c, qd = d;
        double a = 1.0 - (qb * qb + qc * qc + qd * qd);
        if (a < 1e-7) { // rounding pushed |(b,c,d)| to 1: a 180-degree rotation, renormalise
            double n = 1.0 / Math.sqrt(qb * qb + qc * qc + qd * qd);
            qb *= n;
            qc *= n;
            qd *= n;
            a = 0;
        } else {
            a = Math.sqrt(a);
        }
        double xd = dx > 0 ? dx : 1, yd = dy > 0 ? dy : 1, zd = dz > 0 ? dz : 1;
        if (qfac < 0) zd = -zd;
        return new double[][] {
            {(a * a + qb * qb - qc * qc - qd * qd) * xd, 2 * (qb * qc - a * qd) * yd, 2 * (qb * qd + a * qc) * zd, qx},
            {2 * (qb * qc + a * qd) * xd, (a * a + qc * qc - qb * qb - qd * qd) * yd, 2 * (qc * qd - a * qb) * zd, qy},
            {2 * (qb * qd - a * qc) * xd, 2 * (qc * qd + a * qb) * yd, (a * a + qd * qd - qc * qc - qb * qb) * zd, qz}};
    }

    /**
     * The quaternion form of an affine, or empty when its direction is not a rotation (possibly with one
     * reflection): a sheared grid can only be described by the sform, and a wrong qform would be worse than none.
     */
    static Optional<QForm> of(double[][] affine) {
        double[] size = new double[3];
        double[][] r = new double[3][3];
        for (int col = 0; col < 3; col++) {
            size[col] = Math.sqrt(affine[0][col] * affine[0][col] + affine[1][col] * affine[1][col]
                + affine[2][col] * affine[2][col]);
            if (!(size[col] > 0) || !Double.isFinite(size[col])) return Optional.empty();
            for (int row = 0; row < 3; row++) r[row][col] = affine[row][col] / size[col];
        }
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double dot = r[0][i] * r[0][j] + r[1][i] * r[1][j] + r[2][i] * r[2][j];
                if (Math.abs(dot - (i == j ? 1 : 0)) > ORTHONORMAL_TOLERANCE) return Optional.empty();
            }
        }
        double det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1])
            - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
            + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
        double qfac = 1;
        if (det < 0) {
            qfac = -1;
            for (int row = 0; row < 3; row++) r[row][2] = -r[row][2];
        }
        double a, b, c, d;
        double trace = r[0][0] + r[1][1] + r[2][2] + 1;
        if (trace > 0.5) {
            a = 0.5 * Math.sqrt(trace);
            b = 0.25 * (r[2][1] - r[1][2]) / a;
            c = 0.25 * (r[0][2] - r[2][0]) / a;
            d = 0.25 * (r[1][0] - r[0][1]) / a;
        } else {
            double xd = 1 + r[0][0] - (r[1][1] + r[2][2]);
            double yd = 1 + r[1][1] - (r[0][0] + r[2][2]);
            double zd = 1 + r[2][2] - (r[0][0] + r[1][1]);
            if (xd > 1) {
                b = 0.5 * Math.sqrt(xd);
                c = 0.25 * (r[0][1] + r[1][0]) / b;
                d = 0.25 * (r[0][2] + r[2][0]) / b;
                a = 0.25 * (r[2][1] - r[1][2]) / b;
            } else if (yd > 1) {
                c = 0.5 * Math.sqrt(yd);
                b = 0.25 * (r[0][1] + r[1][0]) / c;
                d = 0.25 * (r[1][2] + r[2][1]) / c;
                a = 0.25 * (r[0][2] - r[2][0]) / c;
            } else {
                d = 0.5 * Math.sqrt(zd);
                b = 0.25 * (r[0][2] + r[2][0]) / d;
                c = 0.25 * (r[1][2] + r[2][1]) / d;
                a = 0.25 * (r[1][0] - r[0][1]) / d;
            }
            if (a < 0) { // the standard keeps a >= 0 so that it can be left implicit
                b = -b;
                c = -c;
                d = -d;
            }
        }
        return Optional.of(new QForm(b, c, d, qfac, size[0], size[1], size[2],
            affine[0][3], affine[1][3], affine[2][3]));
    }
}
