package org.voxellens.xai.metrics;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The metrics by command-line name, e.g. {@code --metrics infidelity,sensitivity,randomisation}:
 * <ul>
 *   <li>{@code infidelity}: {@link Infidelity}, Gaussian perturbations; {@code infidelity_patches}: cube removal;</li>
 *   <li>{@code sensitivity}: {@link SensitivityMax};</li>
 *   <li>{@code randomisation} (or {@code randomization}): {@link RandomisationCheck}, cascading;</li>
 *   <li>{@code deletion} (or {@code insertion}, {@code deletion_insertion}): {@link DeletionInsertion}, both curves;</li>
 *   <li>{@code localisation} (or {@code localization}): {@link Localisation}, needs {@link Options#mask};</li>
 *   <li>{@code all}: every metric above, localisation only when a mask is given.</li>
 * </ul>
 * Each metric runs {@code evaluate(ctx, method, attribution)}.
 */
public final class MetricCatalog {

    public static final List<String> NAMES =
        List.of("infidelity", "infidelity_patches", "sensitivity", "randomisation", "deletion", "localisation");

    private MetricCatalog() {}

    /**
     * Options shared by the command line; null fields keep each metric's own default.
     *
     * @param perturbations infidelity's N
     * @param samples sensitivity's N
     * @param steps deletion/insertion K
     * @param batchSize samples per model pass
     * @param mask ground truth on the model-input grid, for localisation
     */
    public record Options(Integer perturbations, Integer samples, Integer steps, Integer batchSize, float[] mask) {
        public static final Options DEFAULTS = new Options(null, null, null, null, null);
    }

    /** Comma-separated names (case-insensitive, blanks ignored, duplicates once) to metrics, in the order given. */
    public static List<Metric> parse(String names, Options options) {
        Options o = options == null ? Options.DEFAULTS : options;
        Set<String> wanted = new LinkedHashSet<>();
        for (String raw : names.split(",")) {
            String n = raw.strip().toLowerCase(Locale.ROOT);
            if (n.isEmpty()) continue;
            switch (n) {
                case "all" -> {
                    for (String m : NAMES) if (!m.equals("localisation") || o.mask() != null) wanted.add(m);
                }
                case "randomization" -> wanted.add("randomisation");
                case "insertion", "deletion_insertion" -> wanted.add("deletion");
                case "localization" -> wanted.add("localisation");
                default -> {
                    if (!NAMES.contains(n)) {
                        throw new IllegalArgumentException("unknown metric '" + raw.strip() + "'; known: "
                            + String.join(", ", NAMES) + ", all");
                    }
                    wanted.add(n);
                }
            }
        }
        if (wanted.isEmpty()) throw new IllegalArgumentException("no metric named in '" + names + "'");
        List<Metric> out = new ArrayList<>();
        for (String n : wanted) out.add(create(n, o));
        return out;
    }

    private static Metric create(String name, Options o) {
        return switch (name) {
            case "infidelity", "infidelity_patches" -> {
                Infidelity.Builder b = Infidelity.builder()
                    .kind(name.equals("infidelity") ? Infidelity.Kind.GAUSSIAN : Infidelity.Kind.PATCHES);
                if (o.perturbations() != null) b.perturbations(o.perturbations());
                if (o.batchSize() != null) b.batchSize(o.batchSize());
                yield b.build();
            }
            case "sensitivity" -> {
                SensitivityMax.Builder b = SensitivityMax.builder();
                if (o.samples() != null) b.samples(o.samples());
                yield b.build();
            }
            case "randomisation" -> RandomisationCheck.builder().build();
            case "deletion" -> {
                DeletionInsertion.Builder b = DeletionInsertion.builder();
                if (o.steps() != null) b.steps(o.steps());
                if (o.batchSize() != null) b.batchSize(o.batchSize());
                yield b.build();
            }
            case "localisation" -> {
                if (o.mask() == null) {
                    throw new IllegalArgumentException("the localisation metric needs a ground-truth mask");
                }
                yield Localisation.builder().mask(o.mask()).build();
            }
            default -> throw new IllegalStateException(name);
        };
    }
}
