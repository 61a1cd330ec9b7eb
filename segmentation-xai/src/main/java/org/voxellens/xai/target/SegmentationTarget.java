package org.voxellens.xai.target;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A segmentation model's evidence for one class: the sum of that class's logits over a fixed voxel mask (the
 * predicted mask, a user ROI, or every voxel). The mask is fixed before any perturbation, so SmoothGrad or IG
 * samples explain the same region instead of whatever each perturbed prediction happens to cover.
 *
 * @param classIndex the output channel whose logits are summed
 * @param mask 0/1 weights over the output's spatial grid (z, y, x order), or null for the whole channel; it may
 *             also hold B such masks one after the other, one per sample of a batch of B
 * @param negated minus the logits: the absent class of a one-channel sigmoid head (its log-odds)
 */
public record SegmentationTarget(int classIndex, String className, Region region, float[] mask, long maskVoxels,
                                 boolean negated) implements Target {

    /** The evidence for a softmax class or a sigmoid channel: its own logit. */
    public SegmentationTarget(int classIndex, String className, Region region, float[] mask, long maskVoxels) {
        this(classIndex, className, region, mask, maskVoxels, false);
    }

    /** The same target over another mask (a tile's part, a batch of tiles). */
    public SegmentationTarget withMask(float[] newMask, long voxels) {
        return new SegmentationTarget(classIndex, className, region, newMask, voxels, negated);
    }

    /** Which voxels the class's logits are summed over. */
    public enum Region { PREDICTED, ROI, CHANNEL }

    @Override
    public NDArray score(NDArray output) {
        Shape s = output.getShape();
        if (s.dimension() != 5) {
            throw new IllegalArgumentException("a segmentation target needs a [batch, classes, z, y, x] output, the model gave " + s);
        }
        if (classIndex >= s.get(1)) {
            throw new IllegalArgumentException("class index " + classIndex + " is outside the model's " + s.get(1) + " output channels");
        }
        NDArray channel = output.get(new NDIndex(":, {}", classIndex)); // [B, z, y, x]
        if (mask != null) {
            long spatial = s.get(2) * s.get(3) * s.get(4);
            // one mask for every sample, or one per sample (tiles of a sliding window explained in one batch)
            long masks = mask.length == spatial ? 1 : mask.length == s.get(0) * spatial ? s.get(0) : -1;
            if (masks < 0) {
                throw new IllegalArgumentException("target mask has " + mask.length + " voxels, the model output " + spatial
                    + " per sample (batch " + s.get(0) + ")");
            }
            NDArray m = output.getManager().create(mask, new Shape(masks, s.get(2), s.get(3), s.get(4)));
            channel = channel.mul(m);
        }
        NDArray sum = channel.sum(new int[] {1, 2, 3});
        return negated ? sum.neg() : sum;
    }

    @Override
    public String describe() {
        String what = negated ? "minus the output logits (class '" + className + "')" : "class '" + className + "' logits";
        return switch (region) {
            case PREDICTED -> "sum of " + what + " over its predicted mask (" + maskVoxels + " voxels)";
            case ROI -> "sum of " + what + " over the ROI (" + maskVoxels + " voxels)";
            case CHANNEL -> "sum of " + what + " over the whole volume";
        };
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("type", "segmentation_" + region.name().toLowerCase());
        p.put("class_index", classIndex);
        p.put("class_name", className);
        p.put("mask_voxels", maskVoxels);
        if (negated) p.put("negated", true);
        return p;
    }
}
