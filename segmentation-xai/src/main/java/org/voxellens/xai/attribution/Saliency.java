package org.voxellens.xai.attribution;

import java.util.Map;
import org.voxellens.xai.runtime.TorchModel;

/** Vanilla gradient magnitude |d score / d x| (Simonyan et al. 2014): where a small change moves the score most. */
public final class Saliency implements AttributionMethod {

    @Override
    public String id() { return "saliency"; }

    @Override
    public Map<String, Object> parameters() { return Map.of("abs", true); }

    @Override
    public Attribution explain(ExplainContext ctx) {
        ctx.progress().step(id(), 0, 1);
        TorchModel.ScoredGradients g = ctx.model().inputGradients(ctx.input(), ctx.target());
        Gradients.checkFinite(id(), g.gradients());
        ctx.progress().step(id(), 1, 1);
        return new Attribution(id(), Gradients.maxAbsChannels(g.gradients()), false, Map.of("score", g.scores()[0]));
    }
}
