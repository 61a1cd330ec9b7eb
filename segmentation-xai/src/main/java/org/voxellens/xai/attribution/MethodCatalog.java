package org.voxellens.xai.attribution;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns the names users type ("gradcam,smoothgrad,ig") and the method options into configured methods: the one
 * mapping the command line, the Fiji plugins and the benchmarks share.
 */
public final class MethodCatalog {

    /** Every method id, in the order results are shown. */
    public static final List<String> NAMES = List.of("gradcam", "gradcampp", "smoothgrad", "smoothgrad_sq", "vargrad",
        "saliency", "inputxgrad", "ig", "occlusion");

    /** Display names users know. */
    public static final Map<String, String> TITLES = Map.of(
        "gradcam", "Grad-CAM", "gradcampp", "Grad-CAM++", "smoothgrad", "SmoothGrad", "smoothgrad_sq", "SmoothGrad\u00b2",
        "vargrad", "VarGrad", "saliency", "Saliency", "inputxgrad", "Input \u00d7 Gradient", "ig", "Integrated Gradients",
        "occlusion", "Occlusion");

    /**
     * Options of the configurable methods.
     *
     * @param layer Grad-CAM layer, null for the model's default
     * @param noise SmoothGrad noise sigma as a fraction of the input's intensity range
     */
    public record Options(String layer, int samples, double noise, int igSteps, IntegratedGradients.Baseline igBaseline,
                          int batchSize, OcclusionOptions occlusion) {

        /** The command line's defaults: 25 samples, noise 0.15, 32 IG steps from a zero baseline, batch 8. */
        public static final Options DEFAULTS = new Options(null, 25, 0.15, 32, IntegratedGradients.Baseline.ZERO, 8);

        /** @param batchSize samples per pass, 0 = chosen from free memory */
        public Options(String layer, int samples, double noise, int igSteps, IntegratedGradients.Baseline igBaseline, int batchSize) {
            this(layer, samples, noise, igSteps, igBaseline, batchSize, OcclusionOptions.DEFAULTS);
        }

        public Options {
            if (occlusion == null) occlusion = OcclusionOptions.DEFAULTS;
        }

        public Options withOcclusion(OcclusionOptions o) {
            return new Options(layer, samples, noise, igSteps, igBaseline, batchSize, o);
        }
    }

    /**
     * Occlusion: fine window and stride (model voxels; stride 0 = half the window), coarse-to-fine levels (0 = plain
     * occlusion), the fraction refined per level, and whether to occlude only near the target's mask.
     */
    public record OcclusionOptions(int window, int stride, int levels, double refineFraction, boolean restrictToTarget) {

        public static final OcclusionOptions DEFAULTS = new OcclusionOptions(8, 0, 2, 0.25, false);
    }

    private MethodCatalog() {}

    /** Comma-separated names or aliases (or "all") to methods, in the order given, each once. */
    public static List<AttributionMethod> parse(String list, Options o) {
        Set<String> names = new LinkedHashSet<>();
        for (String raw : list.split(",")) {
            String n = raw.trim().toLowerCase(Locale.ROOT).replace('-', '_');
            if (n.isEmpty()) continue;
            if (n.equals("all")) {
                names.addAll(NAMES);
                continue;
            }
            n = switch (n) {
                case "gradcam++", "gradcamplusplus", "gradcam_pp" -> "gradcampp";
                case "sg" -> "smoothgrad";
                case "sg2", "smoothgrad2", "smoothgradsq" -> "smoothgrad_sq";
                case "integratedgradients", "integrated_gradients" -> "ig";
                case "inputxgradient", "input_x_gradient", "ixg" -> "inputxgrad";
                case "gradient", "vanilla" -> "saliency";
                default -> n;
            };
            if (!NAMES.contains(n)) {
                throw new IllegalArgumentException("unknown method '" + raw.trim() + "'; known: " + String.join(", ", NAMES) + ", all");
            }
            names.add(n);
        }
        if (names.isEmpty()) throw new IllegalArgumentException("no method given; known: " + String.join(", ", NAMES));
        List<AttributionMethod> out = new ArrayList<>();
        for (String n : names) out.add(create(n, o));
        return out;
    }

    private static AttributionMethod create(String n, Options o) {
        return switch (n) {
            case "gradcam" -> new GradCam(false, o.layer());
            case "gradcampp" -> new GradCam(true, o.layer());
            case "smoothgrad" -> smooth(SmoothGrad.Variant.SMOOTHGRAD, o);
            case "smoothgrad_sq" -> smooth(SmoothGrad.Variant.SMOOTHGRAD_SQ, o);
            case "vargrad" -> smooth(SmoothGrad.Variant.VARGRAD, o);
            case "saliency" -> new Saliency();
            case "inputxgrad" -> new InputXGradient();
            case "occlusion" -> occlusion(o);
            case "ig" -> IntegratedGradients.builder().steps(o.igSteps()).baseline(o.igBaseline()).batchSize(o.batchSize()).build();
            default -> throw new IllegalArgumentException("unknown method " + n);
        };
    }

    private static AttributionMethod occlusion(Options o) {
        OcclusionOptions c = o.occlusion();
        Occlusion.Builder b = Occlusion.builder().window(c.window()).levels(c.levels()).refineFraction(c.refineFraction())
            .restrictToTarget(c.restrictToTarget(), c.window()).batchSize(o.batchSize());
        if (c.stride() > 0) b.stride(c.stride());
        return b.build();
    }

    private static AttributionMethod smooth(SmoothGrad.Variant v, Options o) {
        return SmoothGrad.builder().variant(v).samples(o.samples()).noiseFraction(o.noise()).batchSize(o.batchSize()).build();
    }
}
