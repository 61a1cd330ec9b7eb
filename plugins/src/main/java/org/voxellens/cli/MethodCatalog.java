package org.voxellens.cli;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.GradCam;
import org.voxellens.xai.attribution.InputXGradient;
import org.voxellens.xai.attribution.IntegratedGradients;
import org.voxellens.xai.attribution.Saliency;
import org.voxellens.xai.attribution.SmoothGrad;

/** Turns the names users type ("gradcam,smoothgrad,ig") and the method options into configured methods. */
final class MethodCatalog {

    static final List<String> NAMES = List.of("gradcam", "gradcampp", "smoothgrad", "smoothgrad_sq", "vargrad",
        "saliency", "inputxgrad", "ig");

    /** Method options shared by the command line and the demo. */
    record Options(String layer, int samples, double noise, int igSteps, IntegratedGradients.Baseline igBaseline,
                   int batchSize) {}

    private MethodCatalog() {}

    static List<AttributionMethod> parse(String list, Options o) {
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
