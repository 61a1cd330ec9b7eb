package org.voxellens.xai.attribution;

import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.Target;

/**
 * Everything an attribution method needs: the model, the (preprocessed) input {@code [1, C, z, y, x]}, the
 * target, a seed for anything random, and where to report progress.
 */
public record ExplainContext(TorchModel model, Tensor input, Target target, long seed, Progress progress) {

    public ExplainContext {
        if (input.dim(0) != 1) throw new IllegalArgumentException("explain one input at a time, got batch " + input.dim(0));
        if (progress == null) progress = Progress.NONE;
    }
}
