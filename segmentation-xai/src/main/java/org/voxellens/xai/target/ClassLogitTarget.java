package org.voxellens.xai.target;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import java.util.Map;

/**
 * A classification model's logit for one class. Logits rather than softmax probabilities: the probability of one
 * class also rises when the others fall, so its gradient mixes in evidence about other classes (as Grad-CAM's
 * authors and Captum's examples do). {@code classIndex} is the output channel; {@code negated}: minus the logit, the
 * log-odds of the absent class of a one-logit sigmoid classifier.
 */
public record ClassLogitTarget(int classIndex, String className, boolean negated) implements Target {

    /** A softmax class's or a sigmoid channel's own logit. */
    public ClassLogitTarget(int classIndex, String className) {
        this(classIndex, className, false);
    }

    @Override
    public NDArray score(NDArray output) {
        if (output.getShape().dimension() != 2) {
            throw new IllegalArgumentException("a class-logit target needs a [batch, classes] output, the model gave "
                + output.getShape());
        }
        if (classIndex >= output.getShape().get(1)) {
            throw new IllegalArgumentException("class index " + classIndex + " is outside the model's "
                + output.getShape().get(1) + " outputs");
        }
        NDArray logit = output.get(new NDIndex(":, {}", classIndex));
        return negated ? logit.neg() : logit;
    }

    @Override
    public String describe() {
        return negated ? "minus the output logit (log-odds of class '" + className + "')" : "logit of class '" + className + "'";
    }

    @Override
    public Map<String, Object> parameters() {
        return negated ? Map.of("type", "class_logit", "class_index", classIndex, "class_name", className, "negated", true)
            : Map.of("type", "class_logit", "class_index", classIndex, "class_name", className);
    }
}
