package org.voxellens.volumetric;

import java.util.function.DoubleUnaryOperator;

/**
 * The intensity normalisations that 3D medical models expect in front of them (bioimage.io preprocessing
 * vocabulary, CT windows). Arithmetic is in double so float volumes with large offsets (CT in HU, raw MR
 * counts) do not lose precision in the statistics. Each returns a new volume on the same grid.
 */
public final class IntensityTransforms {

    /** bioimage.io's default epsilon in scale_range; keeps a constant image from dividing by zero. */
    public static final double SCALE_RANGE_EPS = 1e-6;

    private IntensityTransforms() {}

    /** Zero mean, unit (population) standard deviation over all voxels. */
    public static Volume zScore(Volume v) {
        return zScore(v, null);
    }

    /**
     * Zero mean, unit standard deviation, with statistics taken inside {@code mask} (non-zero voxels, same
     * grid) but applied everywhere, as for skull-stripped or body-masked inputs. A constant region has no
     * scale to divide by, so only its mean is removed rather than producing infinities.
     */
    public static Volume zScore(Volume v, Volume mask) {
        float[] d = v.data();
        float[] m = null;
        if (mask != null) {
            if (!mask.geometry().sameGrid(v.geometry(), 1e-3)) {
                throw new IllegalArgumentException("mask must be on the volume's grid; resample it first");
            }
            m = mask.data();
        }
        long count = 0;
        double sum = 0;
        for (int n = 0; n < d.length; n++) {
            if (m == null || m[n] != 0) {
                sum += d[n];
                count++;
            }
        }
        if (count == 0) throw new IllegalArgumentException("mask selects no voxels");
        double mean = sum / count;
        double ss = 0; // second pass: stable where sum-of-squares would cancel
        for (int n = 0; n < d.length; n++) {
            if (m == null || m[n] != 0) {
                double e = d[n] - mean;
                ss += e * e;
            }
        }
        double std = Math.sqrt(ss / count);
        double scale = std > 0 ? 1.0 / std : 1.0;
        return map(v, x -> (x - mean) * scale);
    }

    /**
     * bioimage.io {@code scale_range}: {@code (x - p_low) / (p_high - p_low + eps)} with percentiles in 0-100,
     * then mapped linearly onto [outMin, outMax] and optionally clipped to it.
     */
    public static Volume percentileScale(Volume v, double pLow, double pHigh, double outMin, double outMax,
                                         boolean clip) {
        if (!(pLow < pHigh)) throw new IllegalArgumentException("pLow must be below pHigh: " + pLow + " >= " + pHigh);
        double[] p = Percentiles.of(v.data(), pLow, pHigh);
        double lo = p[0], range = p[1] - p[0] + SCALE_RANGE_EPS;
        double a = Math.min(outMin, outMax), b = Math.max(outMin, outMax);
        return map(v, x -> {
            double y = outMin + (outMax - outMin) * (x - lo) / range;
            return clip ? Math.max(a, Math.min(b, y)) : y;
        });
    }

    /**
     * CT window (centre/width in HU) to [0, 1], clipped. The plain linear ramp is used rather than DICOM's
     * display formula with its half-unit offsets: the result feeds models, and those offsets are below a
     * Hounsfield unit.
     */
    public static Volume ctWindow(Volume v, double center, double width) {
        if (!(width > 0)) throw new IllegalArgumentException("window width must be positive: " + width);
        double lo = center - width / 2;
        return map(v, x -> Math.max(0, Math.min(1, (x - lo) / width)));
    }

    /** bioimage.io {@code scale_linear}: {@code gain * x + offset}. */
    public static Volume scaleLinear(Volume v, double gain, double offset) {
        return map(v, x -> gain * x + offset);
    }

    private static Volume map(Volume v, DoubleUnaryOperator f) {
        float[] d = v.data();
        float[] out = new float[d.length];
        for (int n = 0; n < d.length; n++) out[n] = (float) f.applyAsDouble(d[n]);
        return v.withData(out);
    }
}
