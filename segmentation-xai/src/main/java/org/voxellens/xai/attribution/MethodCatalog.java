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
        "saliency", "inputxgrad", "ig");

    /** Display names users know. */
    public static final Map<String, String> TITLES = Map.of(
        "gradcam", "Grad-CAM", "gradcampp", "Grad-CAM++", "smoothgrad", "SmoothGrad", "smoothgrad_sq", "SmoothGrad\u00b2",
        "vargrad", "VarGrad", "saliency", "Saliency", "inputxgrad", "Input \u00d7 Gradient", "ig", "Integrated Gradients");

    /**
     * Options of the configurable methods.
     *
     * @param layer Grad-CAM layer, null for the model's default
     * @param noise SmoothGrad noise sigma as a fraction of the input's intensity range
     */
    public record Options(String layer, int samples, double noise, int igSteps, IntegratedGradients.Baseline igBaseline,
                          int batchSize) {

        /** The command line's defaults: 25 samples, noise 0.15, 32 IG steps from a zero baseline, batch 8. */
        public static final Options DEFAULTS = new Options(null, 25, 0.15, 32, IntegratedGradients.Baseline.ZERO, 8);
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
            case "ig" -> IntegratedGradients.builder().steps(o.igSteps()).baseline(o.igBaseline()).batchSize(o.batchSize()).build();
            default -> throw new IllegalArgumentException("unknown method " + n);
        };
    }

    private static AttributionMethod smooth(SmoothGrad.Variant v, Options o) {
        return SmoothGrad.builder().variant(v).samples(o.samples()).noiseFraction(o.noise()).batchSize(o.batchSize()).build();
    }
}
