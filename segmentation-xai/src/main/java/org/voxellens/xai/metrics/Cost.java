package org.voxellens.xai.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import org.voxellens.xai.runtime.TorchModel;

/**
 * What evaluating a metric cost: how often it re-ran the attribution method, how many calls it made into the model
 * (batched forward or forward+backward passes, including those of the re-run method) and how many samples those
 * calls evaluated, and the wall time. A metric that re-runs SmoothGrad with 25 samples N times costs about
 * 25·N model samples: the numbers here make that visible.
 */
public record Cost(int methodEvaluations, long modelPasses, long modelSamples, double seconds) {

    public static Cost none() { return new Cost(0, 0, 0, 0); }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method_evaluations", methodEvaluations);
        m.put("model_passes", modelPasses);
        m.put("model_samples", modelSamples);
        m.put("seconds", seconds);
        return m;
    }

    /** Measures from construction to {@link #stop}, reading the model's pass counters. */
    static final class Meter {
        private final TorchModel model;
        private final long passes0, samples0, t0;

        Meter(TorchModel model) {
            this.model = model;
            this.passes0 = model == null ? 0 : model.passes();
            this.samples0 = model == null ? 0 : model.samplesEvaluated();
            this.t0 = System.nanoTime();
        }

        Cost stop(int methodEvaluations) {
            long p = model == null ? 0 : model.passes() - passes0;
            long s = model == null ? 0 : model.samplesEvaluated() - samples0;
            return new Cost(methodEvaluations, p, s, (System.nanoTime() - t0) / 1e9);
        }
    }
}
