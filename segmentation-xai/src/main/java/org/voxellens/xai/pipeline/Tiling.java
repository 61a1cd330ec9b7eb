package org.voxellens.xai.pipeline;

/**
 * How a segmentation model with a declared spacing covers a volume larger than its input: tiles at the model's
 * input size overlapping by {@code overlap}, {@code batchSize} tiles per pass, for inference and for the single-pass
 * methods (0: from free memory, for each pass kind), and at most {@code metricTiles} explained tiles scored per
 * method and metric (those with the most target voxels), so that trust metrics cost a bounded number of tile
 * evaluations however large the volume.
 */
public record Tiling(double overlap, int batchSize, int metricTiles) {

    /** Tiles scored per method and metric unless set: a few tiles bound the cost of the re-running metrics. */
    public static final int DEFAULT_METRIC_TILES = 4;

    /** nnU-Net's and MONAI's default overlap; inference batch chosen from free memory. */
    public static final Tiling DEFAULT = new Tiling(0.5, 0, DEFAULT_METRIC_TILES);

    public Tiling {
        // beyond 0.9 the tile count grows with 1 / (1 - overlap)³ for little gain in the blend
        if (!(overlap >= 0 && overlap <= 0.9)) throw new IllegalArgumentException("tile overlap must be in [0, 0.9], got " + overlap);
        if (batchSize < 0) throw new IllegalArgumentException("tile batch size must be >= 0 (0 = from free memory), got " + batchSize);
        if (metricTiles < 1) throw new IllegalArgumentException("tiles scored by the metrics must be >= 1, got " + metricTiles);
    }

    /** With the default number of tiles scored by the metrics. */
    public Tiling(double overlap, int batchSize) {
        this(overlap, batchSize, DEFAULT_METRIC_TILES);
    }

    public Tiling withOverlap(double o) { return new Tiling(o, batchSize, metricTiles); }

    public Tiling withBatchSize(int b) { return new Tiling(overlap, b, metricTiles); }

    public Tiling withMetricTiles(int k) { return new Tiling(overlap, batchSize, k); }
}
