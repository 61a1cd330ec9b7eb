package org.voxellens.xai.attribution;

import org.voxellens.xai.runtime.BatchSizer;
import org.voxellens.xai.runtime.TorchModel;

/**
 * The loop every sampled gradient method shares: {@code count} samples derived from the input, {@code batchSize}
 * per forward+backward, their gradients summed inside libtorch ({@link TorchModel.GradientSums}); progress and
 * cancel between batches. Only one batch is held in memory at a time.
 */
final class BatchedGradients {

    /** Adds samples {@code start .. start + b - 1} to the sums, as one batch. */
    @FunctionalInterface
    interface Batch {
        void add(TorchModel.GradientSums sums, int start, int b);
    }

    private BatchedGradients() {}

    /**
     * @param batchSize samples per pass, or 0 to choose from free memory
     * @return the batch size used
     */
    static int run(ExplainContext ctx, String stage, int count, int batchSize, TorchModel.GradientSums sums, Batch batch) {
        batchSize = Math.min(count, BatchSizer.choose(batchSize, ctx.input().size(), BatchSizer.Pass.GRADIENT, ctx.model().device()));
        ctx.progress().step(stage, 0, count);
        for (int start = 0; start < count; start += batchSize) {
            int b = Math.min(batchSize, count - start);
            batch.add(sums, start, b);
            ctx.progress().step(stage, start + b, count);
        }
        return batchSize;
    }
}
