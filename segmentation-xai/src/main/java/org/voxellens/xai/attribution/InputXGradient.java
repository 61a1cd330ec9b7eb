package org.voxellens.xai.attribution;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.Target;

/**
 * x · d score / d x: a first-order estimate of each voxel's contribution relative to a zero input. Zero is the
 * mean intensity after z-score preprocessing, which makes the reference point explicit for our models.
 */
public final class InputXGradient implements SinglePassMethod {

    @Override
    public String id() { return "inputxgrad"; }

    @Override
    public Map<String, Object> parameters() { return Map.of(); }

    @Override
    public List<Attribution> explainBatch(TorchModel model, Tensor batch, Target target) {
        TorchModel.ScoredGradients g = model.inputGradients(batch, target);
        Gradients.checkFinite(id(), g.gradients());
        List<Attribution> out = new ArrayList<>();
        for (int b = 0; b < batch.dim(0); b++) {
            Tensor xg = Gradients.multiply(batch.sample(b), g.gradients().sample(b));
            out.add(Attribution.ofChannels(id(), xg, Gradients.sumChannels(xg), true, Map.of("score", g.scores()[b])));
        }
        return out;
    }
}
