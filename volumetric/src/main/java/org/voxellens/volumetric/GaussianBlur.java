package org.voxellens.volumetric;

import java.util.stream.IntStream;

/**
 * Separable 3D Gaussian smoothing with the kernel's width given in millimetres, so anisotropic voxels are smoothed
 * the same physical amount along every axis. Edges are handled by clamping (replicate padding), which keeps a
 * constant image constant.
 */
public final class GaussianBlur {

    private GaussianBlur() {}

    /** Smooths {@code v} with a Gaussian of standard deviation {@code sigmaMm} (kernel cut at 3 sigma). */
    public static Volume blur(Volume v, double sigmaMm) {
        if (!(sigmaMm >= 0)) throw new IllegalArgumentException("blur sigma must be >= 0 mm, got " + sigmaMm);
        float[] data = v.data().clone();
        double[] sp = v.geometry().spacing();
        int[] dims = v.geometry().dims();
        for (int axis = 0; axis < 3; axis++) {
            double sigmaVox = sigmaMm / sp[axis];
            if (sigmaVox < 1e-3) continue;
            data = blurAxis(data, dims, axis, kernel(sigmaVox));
        }
        return v.withData(data);
    }

    private static float[] kernel(double sigma) {
        int r = Math.max(1, (int) Math.ceil(3 * sigma));
        float[] k = new float[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) {
            double w = Math.exp(-0.5 * i * i / (sigma * sigma));
            k[i + r] = (float) w;
            sum += w;
        }
        for (int i = 0; i < k.length; i++) k[i] /= (float) sum;
        return k;
    }

    private static float[] blurAxis(float[] in, int[] dims, int axis, float[] k) {
        int nx = dims[0], ny = dims[1], nz = dims[2];
        int r = k.length / 2;
        int len = dims[axis];
        int stride = axis == 0 ? 1 : axis == 1 ? nx : nx * ny;
        float[] out = new float[in.length];
        // Every line along the axis is independent; lines are enumerated by their starting voxel.
        int lines = in.length / len;
        IntStream.range(0, lines).parallel().forEach(line -> {
            int start;
            if (axis == 0) start = line * nx;
            else if (axis == 1) start = (line % nx) + (line / nx) * nx * ny;
            else start = line;
            for (int p = 0; p < len; p++) {
                double acc = 0;
                for (int t = -r; t <= r; t++) {
                    int q = Math.min(len - 1, Math.max(0, p + t));
                    acc += k[t + r] * in[start + q * stride];
                }
                out[start + p * stride] = (float) acc;
            }
        });
        return out;
    }
}
