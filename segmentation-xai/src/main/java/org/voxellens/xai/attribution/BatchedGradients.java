package org.voxellens.xai.attribution;

import org.voxellens.xai.runtime.BatchSizer;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;

/**
 * The loop every sampled gradient method shares: build {@code count} perturbed copies of the input, evaluate them
 * {@code batchSize} at a time in one forward+backward each, hand each sample's gradient to the caller, report
 * progress and honour cancel between batches. Only one batch is held in memory at a time.
 */
final class BatchedGradients {

    /** Writes sample {@code s} (the input's size) into {@code dest} at {@code offset}. */
    @FunctionalInterface
    interface Sampler {
        void fill(int s, float[] dest, int offset);
    }

    /** Receives the gradient of sample {@code s}: {@code grads[offset .. offset + input size)}. */
    @FunctionalInterface
    interface Sink {
        void accept(int s, float[] grads, int offset);
    }

    private BatchedGradients() {}

    /** @param batchSize samples per pass, or 0 to choose from free memory; returns the batch size used */
    static int run(ExplainContext ctx, String stage, int count, int batchSize, Sampler sampler, Sink sink) {
        Tensor x = ctx.input();
        int n = x.size();
        batchSize = Math.min(count, BatchSizer.choose(batchSize, n, BatchSizer.Pass.GRADIENT, ctx.model().device()));
        ctx.progress().step(stage, 0, count);
        for (int start = 0; start < count; start += batchSize) {
            int b = Math.min(batchSize, count - start);
            float[] batch = new float[b * n];
            for (int s = 0; s < b; s++) sampler.fill(start + s, batch, s * n);
            long[] shape = x.shape();
            shape[0] = b;
            TorchModel.ScoredGradients g = ctx.model().inputGradients(new Tensor(batch, shape), ctx.target());
            Gradients.checkFinite(stage, g.gradients());
            for (int s = 0; s < b; s++) sink.accept(start + s, g.gradients().data(), s * n);
            ctx.progress().step(stage, start + b, count);
        }
        return batchSize;
    }
}
