package org.voxellens.xai.model;

import java.util.List;
import java.util.Locale;
import org.voxellens.volumetric.IntensityTransforms;
import org.voxellens.volumetric.Volume;

/**
 * Applies a package's bioimage.io preprocessing to a volume already on the model's grid. Unknown steps are
 * refused rather than skipped: silently feeding a model unnormalised intensities gives confident nonsense.
 */
public final class Preprocessing {

    private static final double EPS = 1e-6;

    private Preprocessing() {}

    public static Volume apply(List<PreprocessingStep> steps, Volume v) {
        Volume out = v;
        for (PreprocessingStep s : steps) out = apply(s, out);
        return out;
    }

    /**
     * Several input channels (T1, FLAIR, ...), each on the model's grid. A step is applied to each channel on its own,
     * as bioimage.io does for {@code axes: xyz}; a {@code zero_mean_unit_variance} or {@code scale_range} whose
     * {@code axes} include {@code c} takes its statistics over all channels together.
     */
    public static List<Volume> applyChannels(List<PreprocessingStep> steps, List<Volume> channels) {
        List<Volume> out = new java.util.ArrayList<>(channels);
        for (PreprocessingStep s : steps) {
            String name = s.name().toLowerCase(Locale.ROOT);
            boolean joint = out.size() > 1 && s.acrossChannels()
                && (name.equals("zero_mean_unit_variance") && !"fixed".equals(s.text("mode", "per_sample")) || name.equals("scale_range"));
            if (!joint) {
                for (int c = 0; c < out.size(); c++) out.set(c, apply(s, out.get(c), c));
                continue;
            }
            float[] all = concat(out);
            double gain, offset;
            if (name.equals("scale_range")) {
                double[] p = org.voxellens.volumetric.Percentiles.of(all, s.number("min_percentile", 0), s.number("max_percentile", 100));
                double range = p[1] - p[0] + IntensityTransforms.SCALE_RANGE_EPS;
                gain = 1 / range;
                offset = -p[0] / range;
            } else {
                double sum = 0;
                for (float f : all) sum += f;
                double mean = sum / all.length, ss = 0;
                for (float f : all) ss += (f - mean) * (f - mean);
                double std = Math.sqrt(ss / all.length);
                gain = std > 0 ? 1 / std : 1;
                offset = -mean * gain;
            }
            final double g = gain, o = offset;
            out.replaceAll(v -> IntensityTransforms.scaleLinear(v, g, o));
        }
        return out;
    }

    private static float[] concat(List<Volume> vs) {
        int n = 0;
        for (Volume v : vs) n += v.data().length;
        float[] all = new float[n];
        int at = 0;
        for (Volume v : vs) {
            float[] d = v.data();
            System.arraycopy(d, 0, all, at, d.length);
            at += d.length;
        }
        return all;
    }

    static Volume apply(PreprocessingStep s, Volume v) {
        return apply(s, v, 0);
    }

    /** @param channel which input channel {@code v} is (steps with per-channel values, 0.5's lists along a channel axis) */
    static Volume apply(PreprocessingStep s, Volume v, int channel) {
        String name = s.name().toLowerCase(Locale.ROOT);
        switch (name) {
            case "ensure_dtype": {
                // 0.5 puts ensure_dtype float32 around its steps; VoxelLens computes in float32 anyway
                String dtype = s.text("dtype", "float32");
                if (dtype.equals("float32") || dtype.equals("float64")) return v;
                throw new IllegalArgumentException("preprocessing ensure_dtype " + dtype + ": a 3D model's input is float here");
            }
            case "fixed_zero_mean_unit_variance": {
                double mean = s.number("mean", channel, 0), std = s.number("std", channel, 1);
                double gain = 1 / (std + s.number("eps", EPS));
                return IntensityTransforms.scaleLinear(v, gain, -mean * gain);
            }
            case "zero_mean_unit_variance": {
                if ("fixed".equals(s.text("mode", "per_sample"))) {
                    double mean = s.number("mean", channel, 0), std = s.number("std", channel, 1);
                    double gain = 1 / (std + s.number("eps", EPS));
                    return IntensityTransforms.scaleLinear(v, gain, -mean * gain);
                }
                return IntensityTransforms.zScore(v);
            }
            case "binarize": {
                float t = (float) s.number("threshold", channel, 0.5);
                float[] d = v.data(), o = new float[d.length];
                for (int i = 0; i < d.length; i++) o[i] = d[i] > t ? 1f : 0f;
                return v.withData(o);
            }
            case "scale_range":
                return IntensityTransforms.percentileScale(v, s.number("min_percentile", 0), s.number("max_percentile", 100),
                    0, 1, false);
            case "scale_linear":
                return IntensityTransforms.scaleLinear(v, s.number("gain", channel, 1), s.number("offset", channel, 0));
            case "clip": {
                float lo = (float) s.number("min", Double.NEGATIVE_INFINITY), hi = (float) s.number("max", Double.POSITIVE_INFINITY);
                float[] d = v.data(), o = new float[d.length];
                for (int i = 0; i < d.length; i++) o[i] = Math.max(lo, Math.min(hi, d[i]));
                return v.withData(o);
            }
            case "ct_window":
                return IntensityTransforms.ctWindow(v, s.number("center", 40), s.number("width", 400));
            default:
                throw new IllegalArgumentException("unsupported preprocessing step '" + s.name()
                    + "' (supported: zero_mean_unit_variance, fixed_zero_mean_unit_variance, scale_range, scale_linear, clip, "
                    + "binarize, ensure_dtype, ct_window)");
        }
    }
}
