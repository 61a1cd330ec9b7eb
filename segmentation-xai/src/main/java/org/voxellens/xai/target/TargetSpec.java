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
        OutputHead head = OutputHead.of(model, (int) output.dim(1));
        String wanted = classNameOrIndex != null ? classNameOrIndex : model.defaultTarget();
        if (model.task() == ModelTask.CLASSIFICATION) {
            if (region != null) {
                throw new IllegalArgumentException("a region (" + region.name().toLowerCase() + ") applies to segmentation models; "
                    + model.name() + " is a classifier");
            }
            if (output.rank() != 2) {
                throw new IllegalArgumentException("model " + model.name() + " is declared a classifier but returned a tensor of shape "
                    + java.util.Arrays.toString(output.shape()));
            }
            int c = wanted != null ? head.classIndex(wanted) : head.predictedClass(output.data());
            return new ClassLogitTarget(head.channel(c), head.className(c), head.negated(c));
        }
        if (output.rank() != 5) {
            throw new IllegalArgumentException("model " + model.name() + " is declared a segmentation model but returned a tensor of shape "
                + java.util.Arrays.toString(output.shape()));
        }
        int c = wanted != null ? head.classIndex(wanted) : Math.min(1, head.classes() - 1);
        int channels = (int) output.dim(1);
        SegmentationTarget.Region r = region == null ? SegmentationTarget.Region.PREDICTED : region;
        String name = head.className(c);
        int channel = head.channel(c);
        boolean negated = head.negated(c);
        return switch (r) {
            case CHANNEL -> new SegmentationTarget(channel, name, r, null, output.sampleSize() / channels, negated);
            case ROI -> {
                if (roi == null) throw new IllegalArgumentException("an ROI target needs a mask (--roi)");
                long n = count(roi);
                if (n == 0) throw new IllegalArgumentException("the ROI mask is empty inside the model's field of view");
                yield new SegmentationTarget(channel, name, r, roi, n, negated);
            }
            case PREDICTED -> {
                float[] mask = head.mask(output.data(), c);
                long n = count(mask);
                if (n == 0) {
                    throw new IllegalArgumentException("the model predicts no voxel of class '" + name + "' ("
                        + head.describe() + "); choose --region channel or an ROI to explain it anyway");
                }
                yield new SegmentationTarget(channel, name, r, mask, n, negated);
            }
        };
    }

    private static long count(float[] mask) {
        long n = 0;
        for (float f : mask) if (f != 0) n++;
        return n;
    }
}
