package org.voxellens.xai.target;

import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.model.ModelTask;
import org.voxellens.xai.runtime.Tensor;

/**
 * What the user asked to explain, before the model has run: a class (name or index; null for the default) and,
 * for segmentation, the region. Resolved against the unperturbed prediction into a {@link Target}.
 *
 * <p>Segmentation default: the class's predicted mask. Summing over the whole channel lets the far larger
 * background region (where the class logit is strongly negative) dominate the explanation; the predicted mask
 * explains "why did the model segment this", the question a reader of the overlay asks.
 */
public record TargetSpec(String classNameOrIndex, SegmentationTarget.Region region) {

    public static final TargetSpec DEFAULT = new TargetSpec(null, null);

    /**
     * @param output the unperturbed model output for the explained input (batch 1)
     * @param roi 0/1 mask on the model's output grid (z, y, x), required for {@code Region.ROI}, else ignored
     */
    public Target resolve(ModelPackage model, Tensor output, float[] roi) {
        String wanted = classNameOrIndex != null ? classNameOrIndex : model.defaultTarget();
        if (model.task() == ModelTask.CLASSIFICATION) {
            if (region != null) {
                throw new IllegalArgumentException("a region (" + region.name().toLowerCase() + ") applies to segmentation models; "
                    + model.name() + " is a classifier");
            }
            int c = wanted != null ? model.classIndex(wanted) : argMax(output.data());
            if (c >= output.dim(1)) {
                throw new IllegalArgumentException("class " + c + " is outside the model's " + output.dim(1) + " outputs");
            }
            return new ClassLogitTarget(c, model.className(c));
        }
        if (output.rank() != 5) {
            throw new IllegalArgumentException("model " + model.name() + " is declared a segmentation model but returned a tensor of shape "
                + java.util.Arrays.toString(output.shape()));
        }
        int c = wanted != null ? model.classIndex(wanted) : Math.min(1, (int) output.dim(1) - 1);
        int classes = (int) output.dim(1);
        if (c >= classes) throw new IllegalArgumentException("class " + c + " is outside the model's " + classes + " output channels");
        SegmentationTarget.Region r = region == null ? SegmentationTarget.Region.PREDICTED : region;
        String name = model.className(c);
        return switch (r) {
            case CHANNEL -> new SegmentationTarget(c, name, r, null, output.sampleSize() / classes);
            case ROI -> {
                if (roi == null) throw new IllegalArgumentException("an ROI target needs a mask (--roi)");
                long n = count(roi);
                if (n == 0) throw new IllegalArgumentException("the ROI mask is empty inside the model's field of view");
                yield new SegmentationTarget(c, name, r, roi, n);
            }
            case PREDICTED -> {
                float[] mask = predictedMask(output, c);
                long n = count(mask);
                if (n == 0) {
                    throw new IllegalArgumentException("the model predicts no voxel of class '" + name
                        + "'; choose --region channel or an ROI to explain it anyway");
                }
                yield new SegmentationTarget(c, name, r, mask, n);
            }
        };
    }

    /** 1 where class {@code c} has the largest logit (first class on ties, as torch.argmax), else 0. */
    static float[] predictedMask(Tensor output, int c) {
        int classes = (int) output.dim(1);
        int n = output.sampleSize() / classes;
        float[] d = output.data();
        float[] mask = new float[n];
        for (int v = 0; v < n; v++) {
            int best = 0;
            for (int k = 1; k < classes; k++) if (d[k * n + v] > d[best * n + v]) best = k;
            mask[v] = best == c ? 1f : 0f;
        }
        return mask;
    }

    private static int argMax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static long count(float[] mask) {
        long n = 0;
        for (float f : mask) if (f != 0) n++;
        return n;
    }
}
