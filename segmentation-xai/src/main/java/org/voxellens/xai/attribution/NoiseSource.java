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

    static NoiseSource seeded(long seed) {
        return (out, sigma, sample) -> {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + sample);
            for (int i = 0; i < out.length; i++) out[i] = (float) (r.nextGaussian() * sigma);
        };
    }
}
