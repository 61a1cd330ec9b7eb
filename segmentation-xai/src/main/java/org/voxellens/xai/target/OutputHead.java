package org.voxellens.xai.target;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.model.ModelTask;

/**
 * How a model's output channels become classes, the one place that reads a prediction out of logits.
 *
 * <p>A softmax head has one channel per class, and a voxel (or a volume) belongs to the class with the largest logit.
 * A sigmoid head has one channel per foreground class, each an independent "is it there" (users' binary models very
 * often have ONE output channel; BraTS-style multi-label heads have several): class k is present where
 * sigmoid(channel k-1) exceeds the threshold, and class 0 ("background", or "not lesion" for a one-logit classifier)
 * is where none is. Taking the argmax over one channel instead would call every voxel class 0 and every volume
 * p = 1, silently.
 *
 * <p>The activation comes from {@code config.voxellens.output_activation} (softmax or sigmoid), else from a sigmoid
 * in the bioimage.io output's postprocessing, else from the channel count: one channel can only be a sigmoid.
 *
 * <p>Class indices here are the classes a user names ({@code --target}); {@link #channel} and {@link #negated} say which
 * logit a class's evidence is: a one-channel head's class 0 is explained by minus its logit (the log-odds of absence).
 */
public final class OutputHead {

    /**
     * How the output becomes probabilities: a softmax or a sigmoid of logits, or PROBABILITY for a model that applies
     * its own sigmoid (its outputs are already per-channel probabilities, thresholded as they are).
     */
    public enum Activation { SOFTMAX, SIGMOID, PROBABILITY }

    private final Activation activation;
    private final int channels;
    private final double threshold;
    private final List<String> names;

    private OutputHead(Activation activation, int channels, double threshold, List<String> names) {
        this.activation = activation;
        this.channels = channels;
        this.threshold = threshold;
        this.names = List.copyOf(names);
    }

    /**
     * A head given directly (tests, tools).
     *
     * @param names every class a user can name: one per channel for a softmax, the absent class first and then one
     *              per channel for a sigmoid
     */
    public static OutputHead create(Activation activation, int channels, double threshold, List<String> names) {
        int expected = activation == Activation.SOFTMAX ? channels : channels + 1;
        if (names.size() != expected) throw new IllegalArgumentException("a " + activation + " head over " + channels + " channels has " + expected + " classes");
        return new OutputHead(activation, channels, threshold, names);
    }

    /** @param channels the model output's channel axis size (dimension 1) */
    public static OutputHead of(ModelPackage pkg, int channels) {
        if (channels < 1) throw new IllegalArgumentException("model " + pkg.name() + " returned an output with no channels");
        String declared = pkg.outputActivation();
        Activation a = declared == null ? (channels == 1 ? Activation.SIGMOID : Activation.SOFTMAX)
            : Activation.valueOf(declared.toUpperCase(Locale.ROOT));
        if (a == Activation.SOFTMAX && channels == 1) {
            throw new IllegalArgumentException("model " + pkg.name() + " declares a softmax output but has one output channel; "
                + "a one-channel head is a sigmoid (set config.voxellens.output_activation: sigmoid)");
        }
        List<String> declaredNames = pkg.classNames();
        List<String> names = new ArrayList<>();
        if (a == Activation.SOFTMAX) {
            if (!declaredNames.isEmpty() && declaredNames.size() != channels) {
                throw new IllegalArgumentException("model " + pkg.name() + " names " + declaredNames.size() + " classes "
                    + declaredNames + " but its softmax output has " + channels + " channels");
            }
            for (int c = 0; c < channels; c++) names.add(c < declaredNames.size() ? declaredNames.get(c) : "class " + c);
        } else {
            // class_names lists either every class with the "none" class first, or only the channels' classes
            if (declaredNames.size() == channels + 1) {
                names.addAll(declaredNames);
            } else if (declaredNames.size() == channels) {
                names.add(pkg.task() == ModelTask.SEGMENTATION ? "background"
                    : channels == 1 ? "not " + declaredNames.get(0) : "none");
                names.addAll(declaredNames);
            } else if (declaredNames.isEmpty()) {
                for (int c = 0; c <= channels; c++) names.add("class " + c);
            } else {
                throw new IllegalArgumentException("model " + pkg.name() + " names " + declaredNames.size() + " classes "
                    + declaredNames + " but its sigmoid output has " + channels + " channel" + (channels == 1 ? "" : "s")
                    + " (name " + channels + ", or " + (channels + 1) + " with the absent class first)");
            }
        }
        return new OutputHead(a, channels, pkg.threshold(), names);
    }

    public Activation activation() { return activation; }
    /** One independent channel per present class (a sigmoid of logits, or the model's own probabilities). */
    public boolean sigmoid() { return activation != Activation.SOFTMAX; }
    public int channels() { return channels; }
    /** Probability above which a sigmoid class is present. */
    public double threshold() { return threshold; }
    /** Number of classes a user can name (a sigmoid head has one more than its channels: the absent class). */
    public int classes() { return names.size(); }
    public List<String> classNames() { return names; }
    public String className(int c) { return names.get(c); }

    /** A class given by name (case-insensitive) or number. */
    public int classIndex(String nameOrIndex) {
        for (int i = 0; i < names.size(); i++) if (names.get(i).equalsIgnoreCase(nameOrIndex.trim())) return i;
        try {
            int i = Integer.parseInt(nameOrIndex.trim());
            if (i >= 0 && i < names.size()) return i;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("unknown target class '" + nameOrIndex + "'; classes: " + names);
    }

    /** The output channel whose logit is class {@code c}'s evidence. */
    public int channel(int c) {
        if (activation == Activation.SOFTMAX) return c;
        if (c > 0) return c - 1;
        if (channels == 1) return 0;
        throw new IllegalArgumentException("class '" + names.get(0) + "' of a multi-label sigmoid head has no logit of its own; "
            + "explain one of " + names.subList(1, names.size()));
    }

    /** Whether class {@code c}'s evidence is minus its channel's logit (the absent class of a one-channel head). */
    public boolean negated(int c) { return activation != Activation.SOFTMAX && c == 0; }

    /** The value a channel must exceed: the logit log(t / (1 - t)) (0 for the usual 0.5), or t for probabilities. */
    private double logitThreshold() {
        return activation == Activation.PROBABILITY ? threshold : Math.log(threshold / (1 - threshold));
    }

    /**
     * A one-channel output read as logits whose values all lie in [0, 1] is most likely already a probability (a
     * model that ends in its own sigmoid): read as a logit, every voxel would be "present". Null when nothing is odd.
     */
    public String suspicion(float[] output) {
        if (activation != Activation.SIGMOID || output.length == 0) return null;
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float v : output) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        if (lo < 0 || hi > 1 || hi == lo) return null;
        return String.format(Locale.ROOT, "every output value lies in [%.3g, %.3g], as probabilities do: if the model applies its own "
            + "sigmoid, set config.voxellens.output_activation: probability (read as logits, p > %.2f everywhere)", lo, hi, threshold);
    }

    /** 1 where the model says class {@code c} is (segmentation output {@code [1, channels, z, y, x]}), else 0. */
    public float[] mask(float[] output, int c) {
        int n = output.length / channels;
        float[] mask = new float[n];
        if (activation == Activation.SOFTMAX) {
            for (int v = 0; v < n; v++) mask[v] = argMax(output, n, v) == c ? 1f : 0f;
            return mask;
        }
        double t = logitThreshold();
        for (int v = 0; v < n; v++) {
            if (c > 0) {
                mask[v] = output[(c - 1) * n + v] > t ? 1f : 0f;
            } else {
                boolean any = false;
                for (int k = 0; k < channels && !any; k++) any = output[k * n + v] > t;
                mask[v] = any ? 0f : 1f;
            }
        }
        return mask;
    }

    /** One class per voxel: the argmax of a softmax; for a sigmoid the most likely present class, else 0. */
    public float[] labels(float[] output) {
        int n = output.length / channels;
        float[] labels = new float[n];
        double t = logitThreshold();
        for (int v = 0; v < n; v++) {
            if (activation == Activation.SOFTMAX) {
                labels[v] = argMax(output, n, v);
            } else {
                int k = argMax(output, n, v);
                labels[v] = output[k * n + v] > t ? k + 1 : 0;
            }
        }
        return labels;
    }

    /** A classifier's class probabilities, from its logits {@code [channels]}. */
    public Map<String, Double> probabilities(float[] logits) {
        Map<String, Double> p = new LinkedHashMap<>();
        if (activation == Activation.SOFTMAX) {
            double max = Double.NEGATIVE_INFINITY;
            for (float z : logits) max = Math.max(max, z);
            double sum = 0;
            double[] e = new double[channels];
            for (int c = 0; c < channels; c++) sum += e[c] = Math.exp(logits[c] - max);
            for (int c = 0; c < channels; c++) p.put(names.get(c), e[c] / sum);
        } else if (channels == 1) {
            double q = activation == Activation.PROBABILITY ? logits[0] : sigmoid(logits[0]);
            p.put(names.get(0), 1 - q);
            p.put(names.get(1), q);
        } else {
            for (int c = 0; c < channels; c++) {
                p.put(names.get(c + 1), activation == Activation.PROBABILITY ? logits[c] : sigmoid(logits[c]));
            }
        }
        return p;
    }

    /** A classifier's predicted class: the argmax of a softmax; for a sigmoid the most likely present class, else 0. */
    public int predictedClass(float[] logits) {
        int k = argMax(logits, 1, 0);
        if (activation == Activation.SOFTMAX) return k;
        return logits[k] > logitThreshold() ? k + 1 : 0;
    }

    /** One line for logs and reports. */
    public String describe() {
        if (activation == Activation.SOFTMAX) return "softmax over " + channels + " channels";
        return (activation == Activation.PROBABILITY ? "probabilities (the model's own sigmoid), " : "sigmoid, ")
            + (channels == 1 ? "one output channel" : channels + " independent channels")
            + String.format(Locale.ROOT, "; a class is present where p > %.2f", threshold);
    }

    private static double sigmoid(double z) { return 1 / (1 + Math.exp(-z)); }

    /** First channel with the largest value at voxel v (ties to the first, as torch.argmax). */
    private int argMax(float[] d, int n, int v) {
        int best = 0;
        for (int k = 1; k < channels; k++) if (d[k * n + v] > d[best * n + v]) best = k;
        return best;
    }
}
