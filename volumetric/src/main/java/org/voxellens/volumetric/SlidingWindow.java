package org.voxellens.volumetric;

import java.util.Arrays;

/**
 * A grid of overlapping tiles over a volume, for models that see a fixed input size but must cover a larger volume
 * (a 512×512×300 CT through a 48³ network), and the Gaussian blending that joins the tiles' outputs.
 *
 * <p>Tile positions follow nnU-Net: per axis the fewest tiles whose step is at most {@code tile × (1 - overlap)},
 * spread evenly so that the first tile starts at 0 and the last ends at the volume's edge (no padding beyond the
 * volume, no tile hanging out). The volume must be at least one tile in every axis; callers pad smaller volumes.
 *
 * <p>Blending: each tile's values are weighted by a Gaussian importance map centred on the tile ({@code σ = tile/8}
 * per axis, as nnU-Net and MONAI), because a convolutional network's output is least reliable near a tile's border
 * where it saw zero padding instead of anatomy; the blended value is {@code Σ w·y / Σ w}.
 *
 * <p>Immutable. Arrays are x-fastest, like {@link Volume} ({@code i + nx·(j + ny·k)}); sizes are in x, y, z order.
 */
public final class SlidingWindow {

    /** nnU-Net's and MONAI's default: σ = 1/8 of the tile in each axis. */
    public static final double SIGMA_FRACTION = 1.0 / 8;

    private final int[] volume;
    private final int[] tile;
    private final double overlap;
    private final int[][] starts; // per axis
    private final float[] importance;

    private SlidingWindow(int[] volume, int[] tile, double overlap) {
        this.volume = volume.clone();
        this.tile = tile.clone();
        this.overlap = overlap;
        this.starts = new int[3][];
        for (int a = 0; a < 3; a++) starts[a] = starts(volume[a], tile[a], overlap);
        this.importance = gaussian(tile, SIGMA_FRACTION);
    }

    /**
     * @param volumeDims the volume's size (x, y, z), at least {@code tileDims} in every axis
     * @param tileDims the model's input size (x, y, z)
     * @param overlap fraction of a tile shared with its neighbour, in [0, 1); 0.5 is nnU-Net's default
     */
    public static SlidingWindow of(int[] volumeDims, int[] tileDims, double overlap) {
        if (volumeDims.length != 3 || tileDims.length != 3) throw new IllegalArgumentException("sliding window needs x, y, z sizes");
        if (!(overlap >= 0 && overlap < 1)) throw new IllegalArgumentException("tile overlap must be in [0, 1), got " + overlap);
        for (int a = 0; a < 3; a++) {
            if (tileDims[a] < 1) throw new IllegalArgumentException("tile sizes must be positive: " + Arrays.toString(tileDims));
            if (volumeDims[a] < tileDims[a]) {
                throw new IllegalArgumentException("volume " + Arrays.toString(volumeDims) + " is smaller than the tile "
                    + Arrays.toString(tileDims) + " along axis " + "xyz".charAt(a) + "; pad it to at least one tile");
            }
        }
        return new SlidingWindow(volumeDims, tileDims, overlap);
    }

    static int[] starts(int size, int tile, double overlap) {
        if (size == tile) return new int[] {0};
        double target = Math.max(1, tile * (1 - overlap));
        int n = (int) Math.ceil((size - tile) / target - 1e-9) + 1;
        double step = (double) (size - tile) / (n - 1);
        int[] s = new int[n];
        for (int i = 0; i < n; i++) s[i] = (int) Math.round(step * i);
        return s;
    }

    /** Separable Gaussian centred on voxel {@code tile/2}, scaled to a maximum of 1 (never 0: the tails stay positive). */
    static float[] gaussian(int[] tile, double sigmaFraction) {
        double[][] g = new double[3][];
        for (int a = 0; a < 3; a++) {
            double sigma = tile[a] * sigmaFraction, c = tile[a] / 2;
            g[a] = new double[tile[a]];
            for (int i = 0; i < tile[a]; i++) g[a][i] = Math.exp(-(i - c) * (i - c) / (2 * sigma * sigma));
        }
        float[] w = new float[tile[0] * tile[1] * tile[2]];
        int n = 0;
        for (int k = 0; k < tile[2]; k++) {
            for (int j = 0; j < tile[1]; j++) {
                for (int i = 0; i < tile[0]; i++) w[n++] = (float) Math.max(g[0][i] * g[1][j] * g[2][k], Float.MIN_NORMAL);
            }
        }
        return w;
    }

    public int[] volumeDims() { return volume.clone(); }

    public int[] tileDims() { return tile.clone(); }

    public double overlap() { return overlap; }

    public int tileVoxels() { return tile[0] * tile[1] * tile[2]; }

    /** Number of tiles. */
    public int count() { return starts[0].length * starts[1].length * starts[2].length; }

    /** Voxel (x, y, z) of tile {@code t}'s first corner; tiles are ordered x fastest. */
    public int[] origin(int t) {
        int nx = starts[0].length, ny = starts[1].length;
        return new int[] {starts[0][t % nx], starts[1][(t / nx) % ny], starts[2][t / (nx * ny)]};
    }

    /** Tile start positions along one axis (0 = x). */
    public int[] starts(int axis) { return starts[axis].clone(); }

    /** The Gaussian importance weights of one tile, x fastest (a copy). */
    public float[] importance() { return importance.clone(); }

    /**
     * Copies tile {@code t} of {@code channels} stacked volumes ({@code src}: channel c at {@code c · volume voxels})
     * into {@code dest} at {@code offset}, channel-major like a {@code [C, z, y, x]} tensor.
     */
    public void extract(float[] src, int channels, int t, float[] dest, int offset) {
        int[] o = origin(t);
        long vol = (long) volume[0] * volume[1] * volume[2];
        int tv = tileVoxels();
        for (int c = 0; c < channels; c++) {
            int d = offset + c * tv;
            for (int k = 0; k < tile[2]; k++) {
                for (int j = 0; j < tile[1]; j++) {
                    long s = c * vol + o[0] + (long) volume[0] * ((o[1] + j) + (long) volume[1] * (o[2] + k));
                    System.arraycopy(src, (int) s, dest, d, tile[0]);
                    d += tile[0];
                }
            }
        }
    }

    /**
     * Adds tile {@code t}'s values ({@code [C, z, y, x]} at {@code offset} in {@code values}) times the importance
     * weights into {@code sums} ({@code channels} stacked volumes).
     */
    public void accumulate(float[] values, int offset, int channels, int t, float[] sums) {
        int[] o = origin(t);
        long vol = (long) volume[0] * volume[1] * volume[2];
        int tv = tileVoxels();
        for (int c = 0; c < channels; c++) {
            int d = offset + c * tv, w = 0;
            for (int k = 0; k < tile[2]; k++) {
                for (int j = 0; j < tile[1]; j++) {
                    int s = (int) (c * vol + o[0] + (long) volume[0] * ((o[1] + j) + (long) volume[1] * (o[2] + k)));
                    for (int i = 0; i < tile[0]; i++) sums[s + i] += importance[w++] * values[d++];
                }
            }
        }
    }

    /** Σ of the importance weights of every tile covering each voxel: the blending denominator (all positive). */
    public float[] weightSum() {
        float[] sum = new float[Math.toIntExact((long) volume[0] * volume[1] * volume[2])];
        float[] ones = new float[tileVoxels()];
        Arrays.fill(ones, 1f);
        for (int t = 0; t < count(); t++) accumulate(ones, 0, 1, t, sum);
        return sum;
    }

    /** Divides {@code channels} stacked volumes of weighted sums by {@link #weightSum()}, in place. */
    public static void normalise(float[] sums, int channels, float[] weightSum) {
        int n = weightSum.length;
        for (int c = 0; c < channels; c++) {
            for (int v = 0; v < n; v++) sums[c * n + v] /= weightSum[v];
        }
    }

    @Override
    public String toString() {
        return "SlidingWindow[volume=" + Arrays.toString(volume) + ", tile=" + Arrays.toString(tile) + ", overlap=" + overlap
            + ", tiles=" + starts[0].length + "x" + starts[1].length + "x" + starts[2].length + "]";
    }
}
