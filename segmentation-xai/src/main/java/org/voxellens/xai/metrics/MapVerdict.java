package org.voxellens.xai.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.voxellens.xai.attribution.Attribution;

/**
 * What a reader may make of one map, from the checks that ran on it: a level and the reasons in plain words.
 * Only failed checks lower it; a map nothing checked says so rather than passing.
 *
 * <ul>
 *   <li>Grad-CAM: a map that is zero everywhere, or whose channel weights vanish (a normalisation right after the
 *       layer averages each channel's gradient to zero), is unreliable: another layer is needed.</li>
 *   <li>Integrated Gradients' attributions must add up to f(x) - f(baseline) (completeness, Sundararajan et al.
 *       2017, who ask for agreement within 5 %). A relative error above {@link #IG_COMPLETENESS_LIMIT} means the
 *       path integral was not resolved (too few steps, or a model such as an InstanceNorm network whose output
 *       jumps near the baseline): the map does not apportion the score and is unreliable.</li>
 *   <li>A map that fails the model randomisation check (Adebayo et al. 2018) shows the input, not the model.</li>
 * </ul>
 */
public record MapVerdict(Level level, List<String> reasons) {

    /** Relative IG completeness error above which the map is unreliable: 5 %. */
    public static final double IG_COMPLETENESS_LIMIT = 0.05;

    /** Grad-CAM channel weights this small relative to the gradients (see GradCam.channelWeightRatio) leave noise. */
    public static final double GRADCAM_WEIGHT_LIMIT = 1e-3;

    public enum Level {
        /** Every check that ran passed. */
        NO_PROBLEM_FOUND,
        /** No check ran on this map. */
        NOT_CHECKED,
        /** A check failed: do not read the map as the model's reasons. */
        UNRELIABLE;

        public String label() { return name().toLowerCase(Locale.ROOT).replace('_', ' '); }
    }

    public MapVerdict {
        reasons = List.copyOf(reasons);
    }

    public static MapVerdict of(Attribution a, List<MetricResult> metrics) {
        List<String> failed = new ArrayList<>();
        int checks = 0;
        if (a.diagnostics().get("completeness_error_rel") instanceof Number e && !Double.isNaN(e.doubleValue())) {
            checks++;
            if (e.doubleValue() > IG_COMPLETENESS_LIMIT) failed.add(completenessWarning(e.doubleValue()));
        }
        if (a.diagnostics().get("all_zero") instanceof Boolean zero) {
            checks++;
            if (zero) {
                failed.add("the Grad-CAM map is zero everywhere at layer " + a.diagnostics().get("layer") + ": the channel-weighted "
                    + "sum of its activations is nowhere positive (Grad-CAM keeps only positive evidence); choose another layer (--layer)");
            } else if (a.diagnostics().get("channel_weight_ratio") instanceof Number r && r.doubleValue() < GRADCAM_WEIGHT_LIMIT) {
                failed.add(String.format(Locale.ROOT, "Grad-CAM's channel weights vanish at layer %s (%.1e of the gradients: a "
                    + "normalisation such as InstanceNorm follows it), so the map is float noise; choose the layer after the "
                    + "normalisation or its activation (--layer)", a.diagnostics().get("layer"), r.doubleValue()));
            }
        }
        for (MetricResult m : metrics) {
            // scores without a pass mark (faithfulness, robustness) are for reading; they neither pass nor fail a map
            if (m.values().get("passed") instanceof Boolean passed) {
                checks++;
                if (!passed) failed.add(m.metric() + " failed: the map barely changes when the model's weights are randomised,"
                    + " so it shows the input rather than what the model learned");
            }
        }
        if (!failed.isEmpty()) return new MapVerdict(Level.UNRELIABLE, failed);
        return checks == 0 ? new MapVerdict(Level.NOT_CHECKED, List.of("no pass/fail check ran on this map (--metrics randomisation adds one)"))
            : new MapVerdict(Level.NO_PROBLEM_FOUND, List.of());
    }

    /** IG's warning in one line. */
    static String completenessWarning(double rel) {
        return String.format(Locale.ROOT, "Integrated Gradients is %.0f %% incomplete (its attributions do not add up to the"
            + " score change; limit %.0f %%): raise --ig-steps, or use --ig-baseline blur (networks that normalise right after"
            + " their first layer respond to the zero baseline's scale, not to the path); the map does not apportion the score",
            100 * rel, 100 * IG_COMPLETENESS_LIMIT);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("level", level.label());
        m.put("reasons", reasons);
        return m;
    }

    /** "unreliable: reason; reason", for a log line or a table cell. */
    public String describe() {
        return reasons.isEmpty() ? level.label() : level.label() + ": " + String.join("; ", reasons);
    }
}
