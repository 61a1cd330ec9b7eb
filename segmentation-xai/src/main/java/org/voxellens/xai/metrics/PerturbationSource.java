package org.voxellens.xai.metrics;

import java.util.SplittableRandom;

/**
 * Perturbed copies of an input for infidelity, sensitivity and similar metrics. Perturbation {@code k} depends only on
 * the seed and {@code k}, never on the batch size. Tests replace the built-in sources by PyTorch's saved ones.
 */
@FunctionalInterface
public interface PerturbationSource {

    /** Writes perturbed input {@code k} ({@code x}'s size, {@code [C, z, y, x]} of one sample) into {@code out}. */
    void fill(int k, float[] x, float[] out);

    /** Seed of perturbation {@code k}: one SplittableRandom stream per (seed, salt, k). */
    static long streamSeed(long seed, long salt, int k) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + salt).split().nextLong() + k * 0xBF58476D1CE4E5B9L;
    }

    /** x − ε with ε ~ N(0, sigma²) i.i.d. per value (Captum's default infidelity perturbation: I = ε). */
    static PerturbationSource gaussian(double sigma, long seed) {
        return (k, x, out) -> {
            SplittableRandom r = new SplittableRandom(streamSeed(seed, 0x1F1DL, k));
            for (int i = 0; i < x.length; i++) out[i] = (float) (x[i] - r.nextGaussian() * sigma);
        };
    }

    /** x + δ with δ ~ U[−radius, radius) i.i.d. per value: a uniform sample of the L∞ ball around x. */
    static PerturbationSource uniformBall(double radius, long seed) {
        return (k, x, out) -> {
            SplittableRandom r = new SplittableRandom(streamSeed(seed, 0x5E45L, k));
            for (int i = 0; i < x.length; i++) out[i] = (float) (x[i] + (2 * r.nextDouble() - 1) * radius);
        };
    }

    /**
     * {@code count} cubes of side {@code size} voxels (clipped to the grid), at uniformly random positions that lie
     * wholly inside the grid, set to {@code baseline} in every channel; elsewhere the input is unchanged. Cubes may
     * overlap.
     *
     * @param dimsZyx the spatial grid (z, y, x); the input may have several channels
     */
    static PerturbationSource patches(int[] dimsZyx, int size, int count, float baseline, long seed) {
        int nz = dimsZyx[0], ny = dimsZyx[1], nx = dimsZyx[2];
        int sz = Math.min(size, nz), sy = Math.min(size, ny), sx = Math.min(size, nx);
        int v = nz * ny * nx;
        return (k, x, out) -> {
            System.arraycopy(x, 0, out, 0, x.length);
            SplittableRandom r = new SplittableRandom(streamSeed(seed, 0x9A7CL, k));
            int channels = x.length / v;
            for (int p = 0; p < count; p++) {
                int z0 = r.nextInt(nz - sz + 1), y0 = r.nextInt(ny - sy + 1), x0 = r.nextInt(nx - sx + 1);
                fillCube(out, channels, dimsZyx, new int[] {z0, y0, x0}, new int[] {sz, sy, sx}, baseline);
            }
        };
    }

    /** Sets the box {@code [corner, corner + size)} (z, y, x) to {@code value} in every channel. */
    static void fillCube(float[] out, int channels, int[] dimsZyx, int[] corner, int[] size, float value) {
        int ny = dimsZyx[1], nx = dimsZyx[2], v = dimsZyx[0] * ny * nx;
        for (int c = 0; c < channels; c++) {
            for (int z = corner[0]; z < corner[0] + size[0]; z++) {
                for (int y = corner[1]; y < corner[1] + size[1]; y++) {
                    int row = c * v + (z * ny + y) * nx;
                    java.util.Arrays.fill(out, row + corner[2], row + corner[2] + size[2], value);
                }
            }
        }
    }
}
