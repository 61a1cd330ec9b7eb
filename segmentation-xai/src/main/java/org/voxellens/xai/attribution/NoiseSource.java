package org.voxellens.xai.attribution;

import java.util.SplittableRandom;

/**
 * Gaussian noise for sampled methods. Each sample's noise depends only on the seed and the sample's index, so a
 * result does not change with the batch size or the number of threads.
 */
@FunctionalInterface
public interface NoiseSource {

    /** Fills {@code out} with N(0, sigma²) noise for sample {@code sample}. */
    void fill(float[] out, double sigma, int sample);

    /** Fills {@code out[offset .. offset + length)} with the noise of sample {@code sample} (a batch's part). */
    default void fill(float[] out, int offset, int length, double sigma, int sample) {
        float[] one = new float[length];
        fill(one, sigma, sample);
        System.arraycopy(one, 0, out, offset, length);
    }

    static NoiseSource seeded(long seed) {
        return new NoiseSource() {
            @Override
            public void fill(float[] out, double sigma, int sample) {
                fill(out, 0, out.length, sigma, sample);
            }

            @Override
            public void fill(float[] out, int offset, int length, double sigma, int sample) {
                SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + sample);
                for (int i = offset; i < offset + length; i++) out[i] = (float) (r.nextGaussian() * sigma);
            }
        };
    }
}
