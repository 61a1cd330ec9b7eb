package org.voxellens.volumetric.render;

import java.util.function.ToDoubleFunction;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/** Synthetic anatomy and attribution maps defined in world (LPS) coordinates, so any grid can sample them. */
final class Phantoms {

    private Phantoms() {}

    static Volume sample(Geometry g, ToDoubleFunction<double[]> f) {
        Volume v = Volume.zeros(g);
        float[] d = v.data();
        for (int k = 0; k < g.nz(); k++) {
            for (int j = 0; j < g.ny(); j++) {
                for (int i = 0; i < g.nx(); i++) d[v.index(i, j, k)] = (float) f.applyAsDouble(g.voxelToWorld(i, j, k));
            }
        }
        return v;
    }

    static double gaussian(double[] w, double[] centre, double sigma) {
        double dx = w[0] - centre[0], dy = w[1] - centre[1], dz = w[2] - centre[2];
        return Math.exp(-(dx * dx + dy * dy + dz * dz) / (2 * sigma * sigma));
    }

    /** (x/a)^2 + (y/b)^2 + (z/c)^2 about a centre: below 1 inside. */
    static double ellipsoid(double[] w, double cx, double cy, double cz, double a, double b, double c) {
        double x = (w[0] - cx) / a, y = (w[1] - cy) / b, z = (w[2] - cz) / c;
        return x * x + y * y + z * z;
    }

    /** A simple body: an ellipsoid of textured soft tissue in air. */
    static double body(double[] w) {
        if (ellipsoid(w, 0, 0, 0, 18, 16, 20) > 1) return 0;
        return 100 + 20 * Math.sin(w[0] / 3) * Math.cos(w[1] / 4) + 0.5 * w[2];
    }

    /** A head-like phantom in CT-ish numbers: scalp, skull, grey and white matter, ventricles. */
    static double head(double[] w) {
        double r = ellipsoid(w, 0, 0, 0, 72, 88, 80);
        if (r > 1 || w[2] < -62) return -1000;
        if (ellipsoid(w, 0, 0, 0, 66, 82, 74) > 1) return 40;
        if (ellipsoid(w, 0, 0, 0, 60, 76, 68) > 1) return 900 + 100 * Math.sin(w[1] / 9);
        if (ellipsoid(w, 8, 2, 8, 5, 20, 10) < 1 || ellipsoid(w, -8, 2, 8, 5, 20, 10) < 1) return 8;
        double texture = 6 * Math.sin(w[0] / 3.1) * Math.sin(w[1] / 3.7) * Math.sin(w[2] / 4.3);
        return (ellipsoid(w, 0, 0, 5, 48, 64, 52) < 1 ? 45 : 35) + texture;
    }
}
