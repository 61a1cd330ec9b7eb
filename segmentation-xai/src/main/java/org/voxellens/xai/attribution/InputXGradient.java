package org.voxellens.xai.attribution;

import java.util.Map;
import org.voxellens.xai.runtime.TorchModel;

/**
 * x · d score / d x: a first-order estimate of each voxel's contribution relative to a zero input. Zero is the
 * mean intensity after z-score preprocessing, which makes the reference point explicit for our models.
 */
public final class InputXGradient implements AttributionMethod {

    @Override
    public String id() { return "inputxgrad"; }

    @Override
    public Map<String, Object> parameters() { return Map.of(); }

    @Override
    public Attribution explain(ExplainContext ctx) {
        ctx.progress().step(id(), 0, 1);
        TorchModel.ScoredGradients g = ctx.model().inputGradients(ctx.input(), ctx.target());
        Gradients.checkFinite(id(), g.gradients());
        ctx.progress().step(id(), 1, 1);
        return new Attribution(id(), Gradients.sumChannels(Gradients.multiply(ctx.input(), g.gradients())), true,
            Map.of("score", g.scores()[0]));
    }
}
