package org.voxellens.xai.target;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * The scalar an explanation explains: a differentiable function of the model output, one value per sample.
 * Attribution methods and metrics take any target, as Captum's take any {@code target}.
 */
public interface Target {

    /** Maps the model output {@code [B, ...]} to one score per sample, {@code [B]}, keeping the autograd graph. */
    NDArray score(NDArray output);

    /** Short human description, e.g. "class 'lesion' logit". */
    String describe();

    /** What summary.json records about this target. */
    Map<String, Object> parameters();
}
