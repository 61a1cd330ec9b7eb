package org.voxellens.xai.pipeline;

/**
 * How a segmentation model with a declared spacing covers a volume larger than its input: tiles at the model's
 * input size overlapping by {@code overlap}, {@code batchSize} tiles per pass, for inference and for the single-pass
 * methods (0: from free memory, for each pass kind).
 */
public record Tiling(double overlap, int batchSize) {

    /** nnU-Net's and MONAI's default overlap; inference batch chosen from free memory. */
    public static final Tiling DEFAULT = new Tiling(0.5, 0);

    public Tiling {
        if (!(overlap >= 0 && overlap < 1)) throw new IllegalArgumentException("tile overlap must be in [0, 1), got " + overlap);
        if (batchSize < 0) throw new IllegalArgumentException("tile batch size must be >= 0 (0 = from free memory), got " + batchSize);
    }

    public Tiling withOverlap(double o) { return new Tiling(o, batchSize); }

    public Tiling withBatchSize(int b) { return new Tiling(overlap, b); }
}
