package org.voxellens.xai.attribution;

import java.util.List;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.Target;

/**
 * A method whose map comes from one pass over its input, with nothing sampled (saliency, Input×Gradient,
 * Grad-CAM): independent inputs can share a batched pass. The sliding window uses this to explain several tiles per
 * forward+backward, as the sampled methods batch their samples.
 */
public interface SinglePassMethod extends AttributionMethod {

    /**
     * One attribution per sample of {@code batch} {@code [B, C, z, y, x]}, each as {@link #explain} would give it
     * for that sample alone. {@code target} scores every sample; a segmentation target may carry one mask per
     * sample.
     */
    List<Attribution> explainBatch(TorchModel model, Tensor batch, Target target);

    @Override
    default Attribution explain(ExplainContext ctx) {
        ctx.progress().step(id(), 0, 1);
        Attribution a = explainBatch(ctx.model(), ctx.input(), ctx.target()).get(0);
        ctx.progress().step(id(), 1, 1);
        return a;
    }
}
