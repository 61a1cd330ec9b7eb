package org.voxellens.xai.attribution;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.Target;

/** Vanilla gradient magnitude |d score / d x| (Simonyan et al. 2014): where a small change moves the score most. */
public final class Saliency implements SinglePassMethod {

    @Override
    public String id() { return "saliency"; }

    @Override
    public Map<String, Object> parameters() { return Map.of("abs", true); }

    @Override
    public List<Attribution> explainBatch(TorchModel model, Tensor batch, Target target) {
        TorchModel.ScoredGradients g = model.inputGradients(batch, target);
        Gradients.checkFinite(id(), g.gradients());
        List<Attribution> out = new ArrayList<>();
        for (int b = 0; b < batch.dim(0); b++) {
            Tensor grad = g.gradients().sample(b);
            // per-channel magnitudes only where there are channels to keep apart (a one-channel model keeps none)
            Tensor perChannel = grad.dim(1) > 1 ? Gradients.abs(grad) : grad;
            out.add(Attribution.ofChannels(id(), perChannel, Gradients.maxAbsChannels(grad), false, Map.of("score", g.scores()[b])));
        }
        return out;
    }
}
