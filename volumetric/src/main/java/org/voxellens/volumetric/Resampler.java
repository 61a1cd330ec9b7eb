package org.voxellens.volumetric;

import java.util.stream.IntStream;

/**
 * Puts a volume onto another grid of the same patient: every target voxel centre is mapped through world (LPS)
 * space to a continuous source voxel position and sampled there. This is the project's only resampler, so
 * that images, labels and attribution maps that should line up are all moved by the same arithmetic.
 *
 * <p>Points up to half a voxel beyond the outermost source voxel centres still belong to the source grid
 * (the grid covers its voxels, not just their centres) and take the edge voxel's value; without this a map
 * taken to a coarser grid and back would lose its outer shell. Points further out get the outside value.
 */
public final class Resampler {

    /** Affine entries this close to an integer are made integral, so aligned grids copy voxels bit-exactly. */
    private static final double SNAP = 1e-9;
    /** Reach beyond the outermost voxel centre, in voxels; the epsilon absorbs rounding on exact half voxels. */
    private static final double EDGE = 0.5 + 1e-6;

    private final Interpolation interpolation;
    private final float outside;

    public Resampler(Interpolation interpolation, float outside) {
        if (interpolation == null) throw new IllegalArgumentException("interpolation is required");
        this.interpolation = interpolation;
        this.outside = outside;
    }

    public static Volume resample(Volume src, Geometry target, Interpolation interpolation, float outside) {
        return new Resampler(interpolation, outside).apply(src, target);
    }

    public Volume apply(Volume src, Geometry target) {
        Volume out = Volume.zeros(target);
        double[] t = targetToSourceVoxel(target, src.geometry());
        float[] dst = out.data();
        int nx = target.nx(), ny = target.ny();
        IntStream.range(0, target.nz()).parallel().forEach(k -> {
            Sampler s = new Sampler(src);
            for (int j = 0; j < ny; j++) {
                // Row start computed directly (no drift across rows); the row itself is stepped.
                double x = t[3] + t[1] * j + t[2] * k;
                double y = t[7] + t[5] * j + t[6] * k;
                double z = t[11] + t[9] * j + t[10] * k;
                int base = nx * (j + ny * k);
                for (int i = 0; i < nx; i++) {
                    dst[base + i] = interpolation == Interpolation.LINEAR ? s.linear(x, y, z) : s.nearest(x, y, z);
                    x += t[0];
                    y += t[4];
                    z += t[8];
                }
            }
        });
        return out;
    }

    /**
     * Row-major 3x4 affine taking target voxel indices to source voxel indices: the two grids' affines
     * composed once, instead of going through world coordinates for every voxel.
     */
    static double[] targetToSourceVoxel(Geometry target, Geometry source) {
        double[][] ta = target.affine(), sa = source.affine();
        double[] sm = {sa[0][0], sa[0][1], sa[0][2], sa[1][0], sa[1][1], sa[1][2], sa[2][0], sa[2][1], sa[2][2]};
        double[] inv = Geometry.invert3(sm);
        double[] t = new double[12];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                double v = 0;
                for (int q = 0; q < 3; q++) {
                    v += inv[r * 3 + q] * (c < 3 ? ta[q][c] : ta[q][3] - sa[q][3]);
                }
                double rounded = Math.rint(v);
                t[r * 4 + c] = Math.abs(v - rounded) < SNAP ? rounded : v;
            }
        }
        return t;
    }

    /** Per-thread view of the source: bounds and the value used outside them. */
    private final class Sampler {
        private final float[] d;
        private final int nx, ny, nz, sliceSize;

        Sampler(Volume src) {
            d = src.data();
            nx = src.geometry().nx();
            ny = src.geometry().ny();
            nz = src.geometry().nz();
            sliceSize = nx * ny;
        }

        float nearest(double x, double y, double z) {
            if (beyond(x, nx) || beyond(y, ny) || beyond(z, nz)) return outside;
            return d[round(x, nx) + nx * round(y, ny) + sliceSize * round(z, nz)];
        }

        float linear(double x, double y, double z) {
            if (beyond(x, nx) || beyond(y, ny) || beyond(z, nz)) return outside;
            x = clamp(x, nx);
            y = clamp(y, ny);
            z = clamp(z, nz);
            int i0 = (int) x, j0 = (int) y, k0 = (int) z;
            double fx = x - i0, fy = y - j0, fz = z - k0;
            // A zero weight never reads its neighbour, so on-grid points return the stored value exactly.
            int di = fx > 0 ? 1 : 0, dj = fy > 0 ? nx : 0, dk = fz > 0 ? sliceSize : 0;
            int n = i0 + nx * j0 + sliceSize * k0;
            double c00 = d[n] * (1 - fx) + d[n + di] * fx;
            double c10 = d[n + dj] * (1 - fx) + d[n + dj + di] * fx;
            double c01 = d[n + dk] * (1 - fx) + d[n + dk + di] * fx;
            double c11 = d[n + dk + dj] * (1 - fx) + d[n + dk + dj + di] * fx;
            double c0 = c00 * (1 - fy) + c10 * fy;
            double c1 = c01 * (1 - fy) + c11 * fy;
            return (float) (c0 * (1 - fz) + c1 * fz);
        }
    }

    private static boolean beyond(double p, int n) {
        return !(p >= -EDGE && p <= n - 1 + EDGE); // NaN counts as outside
    }

    private static double clamp(double p, int n) {
        return p < 0 ? 0 : Math.min(p, n - 1);
    }

    private static int round(double p, int n) {
        return (int) Math.max(0, Math.min(n - 1, Math.floor(p + 0.5)));
    }
}
