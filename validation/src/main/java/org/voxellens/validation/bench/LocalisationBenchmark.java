package org.voxellens.validation.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.voxellens.xai.attribution.Attribution;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.attribution.IntegratedGradients;
import org.voxellens.xai.attribution.MethodCatalog;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.metrics.DeletionInsertion;
import org.voxellens.xai.metrics.Infidelity;
import org.voxellens.xai.metrics.Localisation;
import org.voxellens.xai.metrics.RandomisationCheck;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.volumetric.AtomicFiles;
import org.voxellens.xai.target.ClassLogitTarget;
import org.voxellens.xai.target.SegmentationTarget;
import org.voxellens.xai.target.Target;
import org.voxellens.xai.target.TargetSpec;

/**
 * Ground-truth localisation benchmark: every explanation method × every metric on held-out cases whose
 * class-deciding lesion is known voxel by voxel, one task (benchmark set + the model package it names) per run.
 *
 * <p>Tasks ({@link BenchmarkSet#BUNDLED}): {@code phantom-lesion} (demo classifier, synthetic phantoms, lesion present),
 * {@code colin-region} (Colin27 anatomy; a lesion in the deep grey matter decides, distractor lesions elsewhere do
 * not), {@code colin-location} (one lesion; its hemisphere decides; target = the true class) and {@code colin-seg}
 * (lesion segmentation; target = the lesion logits summed over the predicted mask, as the command line's default).
 *
 * <p>For each case ({@link BenchmarkSet}) and method, the map of the case's target is computed and scored:
 * <ul>
 *   <li>against the lesion mask ({@link Localisation}, relevance = |map|): relevance mass accuracy, relevance rank
 *       accuracy, pointing game, AUROC, top-5 % IoU; and the distance from the map's peak to the lesion centroid;</li>
 *   <li>against the model: infidelity (Gaussian perturbations, the normalised variant, which judges the map's shape
 *       and not its scale, so that methods with different units compare), deletion and insertion areas (zero
 *       baseline, value ranking, in logit units);</li>
 *   <li>the cascading model-parameter randomisation check (Spearman correlation of |map| with every layer
 *       randomised; expensive, so only on the first {@link Options#randomisationCases} cases).</li>
 * </ul>
 * Per method and metric the mean and sample standard deviation over cases are reported, with a chance row (a map
 * that carries no information about the lesion) for the localisation scores.
 */
public final class LocalisationBenchmark {

    /** Every method the catalog knows (a method added there is benchmarked too). */
    public static final List<String> METHODS = MethodCatalog.NAMES;

    /** Methods whose maps are built from input gradients (as opposed to Grad-CAM's layer activations). */
    public static final List<String> GRADIENT_METHODS =
        List.of("saliency", "inputxgrad", "smoothgrad", "smoothgrad_sq", "vargrad", "ig");

    /** Metric keys, in table order. */
    public static final List<String> METRICS = List.of("mass_accuracy", "rank_accuracy", "pointing_game", "auroc",
        "top5_iou", "peak_distance_mm", "infidelity_normalised", "deletion_auc", "insertion_auc",
        "randomisation_spearman", "runtime_s");

    /** Column titles of {@link #METRICS} in the Markdown table, and whether higher is better (null: neither). */
    static final Map<String, String[]> TITLES = new LinkedHashMap<>();

    static {
        TITLES.put("mass_accuracy", new String[] {"mass acc. ↑", "up"});
        TITLES.put("rank_accuracy", new String[] {"rank acc. ↑", "up"});
        TITLES.put("pointing_game", new String[] {"pointing ↑", "up"});
        TITLES.put("auroc", new String[] {"AUROC ↑", "up"});
        TITLES.put("top5_iou", new String[] {"top-5 % IoU ↑", "up"});
        TITLES.put("peak_distance_mm", new String[] {"peak dist. mm ↓", "down"});
        TITLES.put("infidelity_normalised", new String[] {"infidelity (norm.) ↓", "down"});
        TITLES.put("deletion_auc", new String[] {"deletion AUC ↓", "down"});
        TITLES.put("insertion_auc", new String[] {"insertion AUC ↑", "up"});
        TITLES.put("randomisation_spearman", new String[] {"rand. Spearman ↓", "down"});
        TITLES.put("runtime_s", new String[] {"map s", null});
    }

    private LocalisationBenchmark() {}

    /**
     * What to run.
     *
     * @param cases number of cases (the first ones of the set); 0 = all
     * @param methods method ids (subset of {@link #METHODS})
     * @param smoothGradSamples samples of SmoothGrad, SmoothGrad², VarGrad
     * @param noiseFraction their noise σ as a fraction of the input's range
     * @param igSteps Integrated Gradients steps (zero baseline)
     * @param infidelityPerturbations N of the Gaussian infidelity
     * @param deletionSteps K of deletion/insertion
     * @param randomisationCases the randomisation check runs on this many (first) cases; 0 = not at all
     * @param batchSize samples per model pass
     * @param seed seed of case k is {@code seed + k} (noise of SmoothGrad, perturbations, randomised weights)
     * @param set folder of a benchmark set, null = the bundled set named {@code task}
     * @param task a bundled set ({@link BenchmarkSet#BUNDLED}); ignored when {@code set} is given
     */
    public record Options(boolean quick, int cases, List<String> methods, int smoothGradSamples, double noiseFraction,
                          int igSteps, int infidelityPerturbations, int deletionSteps, int randomisationCases,
                          int batchSize, long seed, Path set, String task) {

        public Options {
            methods = List.copyOf(methods);
            for (String m : methods) {
                if (!METHODS.contains(m)) throw new IllegalArgumentException("unknown method '" + m + "'; known: " + METHODS);
            }
            if (methods.isEmpty()) throw new IllegalArgumentException("no method to benchmark");
            if (cases < 0 || randomisationCases < 0) throw new IllegalArgumentException("case counts must be >= 0");
            if (task == null) task = BenchmarkSet.BUNDLED.get(0);
            if (set == null && !BenchmarkSet.BUNDLED.contains(task)) {
                throw new IllegalArgumentException("unknown benchmark task '" + task + "'; known: " + String.join(", ", BenchmarkSet.BUNDLED));
            }
        }

        /**
         * The full benchmark: every case, the command line's defaults (25 samples, 32 steps), N = 32, K = 16,
         * randomisation on the first 3 cases.
         */
        public static Options fullRun() {
            return new Options(false, 0, METHODS, 25, 0.15, 32, 32, 16, 3, 8, 42, null, null);
        }

        /** A quick run: 3 cases, SmoothGrad 8 samples, IG 16 steps, infidelity N = 8, deletion K = 8, randomisation on 3. */
        public static Options quickRun() {
            return new Options(true, 3, METHODS, 8, 0.15, 16, 8, 8, 3, 8, 42, null, null);
        }

        /** The lightest settings that still exercise everything (tests): SmoothGrad 4 samples, IG 8 steps, N = K = 4. */
        public static Options smokeRun() {
            return new Options(true, 1, METHODS, 4, 0.15, 8, 4, 4, 1, 8, 42, null, null);
        }

        public Options withCases(int n) {
            return new Options(quick, n, methods, smoothGradSamples, noiseFraction, igSteps, infidelityPerturbations,
                deletionSteps, randomisationCases, batchSize, seed, set, task);
        }

        public Options withRandomisationCases(int n) {
            return new Options(quick, cases, methods, smoothGradSamples, noiseFraction, igSteps, infidelityPerturbations,
                deletionSteps, n, batchSize, seed, set, task);
        }

        public Options withMethods(List<String> m) {
            return new Options(quick, cases, m, smoothGradSamples, noiseFraction, igSteps, infidelityPerturbations,
                deletionSteps, randomisationCases, batchSize, seed, set, task);
        }

        public Options withTask(String t) {
            return new Options(quick, cases, methods, smoothGradSamples, noiseFraction, igSteps, infidelityPerturbations,
                deletionSteps, randomisationCases, batchSize, seed, set, t);
        }

        /** A benchmark set in a folder instead of a bundled one. */
        public Options withSet(Path folder) {
            return new Options(quick, cases, methods, smoothGradSamples, noiseFraction, igSteps, infidelityPerturbations,
                deletionSteps, randomisationCases, batchSize, seed, folder, task);
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("task", set == null ? task : set.toString());
            m.put("quick", quick);
            m.put("cases", cases);
            m.put("methods", methods);
            m.put("smoothgrad_samples", smoothGradSamples);
            m.put("smoothgrad_noise_fraction", noiseFraction);
            m.put("ig_steps", igSteps);
            m.put("ig_baseline", "zero");
            m.put("infidelity", "gaussian, N = " + infidelityPerturbations + ", noise 0.1 of the input range, normalised");
            m.put("deletion_insertion", "K = " + deletionSteps + ", zero baseline, value ranking, logit");
            m.put("randomisation", "cascading, top-level layers, on the first " + randomisationCases + " case(s)");
            m.put("localisation", "relevance |map|, top fraction 0.05, pointing tolerance 0");
            m.put("batch_size", batchSize);
            m.put("seed", seed);
            m.put("set", set == null ? "bundled benchmark/" + task + "/" : set.toString());
            return m;
        }
    }

    /** Mean and sample standard deviation (NaN for one value) over {@code n} cases. */
    public record Stat(double mean, double sd, int n) {
        static Stat of(List<Double> v) {
            List<Double> x = v.stream().filter(d -> d != null && !Double.isNaN(d)).toList();
            if (x.isEmpty()) return new Stat(Double.NaN, Double.NaN, 0);
            double m = x.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double ss = 0;
            for (double d : x) ss += (d - m) * (d - m);
            return new Stat(m, x.size() > 1 ? Math.sqrt(ss / (x.size() - 1)) : Double.NaN, x.size());
        }
    }

    /**
     * One case's results.
     *
     * @param target the explained class; {@code score} the target's score (classification: its logit; segmentation:
     *     its logits summed over the predicted mask)
     * @param pTarget classification: softmax probability of the target class; segmentation: NaN
     * @param dice segmentation: Dice of the predicted mask against the ground truth; classification: NaN
     * @param pytorchDeviation how far this run's model output is from PyTorch's on the same input, where the set
     *     carries PyTorch's numbers (largest logit difference, or Dice difference); NaN where it does not
     * @param metrics method → metric → value (pointing game 1/0; randomisation only on the first cases)
     * @param randomisationPassed method → verdict of the randomisation check (where it ran)
     */
    public record CaseResult(String id, String target, int lesionVoxels, double lesionVolumeShare, double score,
                             double pTarget, double dice, double pytorchDeviation,
                             Map<String, Map<String, Double>> metrics, Map<String, Boolean> randomisationPassed,
                             Map<String, Boolean> weightsRestored) {}

    /** What the pictures need: the first case's input, its maps, where its lesion is, and the grid. */
    record Pictures(String task, String caseId, Tensor input, Map<String, Tensor> maps, double[] centroidZyx,
                    double[] voxelMm, double[] centreRas) {}

    /** Everything a run produced. */
    public record Report(Map<String, Object> environment, Options options, List<CaseResult> cases,
                         Map<String, Map<String, Stat>> summary, Map<String, Double> chance, double seconds,
                         Pictures pictures) {

        /** The task (bundled set name, or the set's own name). */
        public String task() { return String.valueOf(environment.get("task")); }

        /** On how many cases the randomisation check ran for a method. */
        public int randomisationRuns(String method) {
            return (int) cases.stream().filter(c -> c.randomisationPassed().containsKey(method)).count();
        }

        /** How many cases passed the randomisation check for a method. */
        public int randomisationPasses(String method) {
            return (int) cases.stream().map(c -> c.randomisationPassed().get(method)).filter(p -> p != null && p).count();
        }

        /** Mean over cases of a method's metric. */
        public Stat stat(String method, String metric) {
            Map<String, Stat> m = summary.get(method);
            if (m == null || !m.containsKey(metric)) throw new IllegalArgumentException("no result for " + method + " × " + metric);
            return m.get(metric);
        }

        /** Pointing-game hits of a method over all cases. */
        public int pointingHits(String method) {
            int h = 0;
            for (CaseResult c : cases) if (c.metrics().get(method).get("pointing_game") == 1.0) h++;
            return h;
        }

        public String toMarkdown() {
            StringBuilder b = new StringBuilder();
            b.append("| method |");
            for (String k : METRICS) b.append(' ').append(TITLES.get(k)[0]).append(" |");
            b.append('\n').append("|---|");
            for (int i = 0; i < METRICS.size(); i++) b.append("---|");
            b.append('\n');
            for (String method : options.methods()) {
                b.append("| ").append(method).append(" |");
                for (String k : METRICS) {
                    Stat s = summary.get(method).get(k);
                    String cell;
                    if (k.equals("pointing_game")) cell = pointingHits(method) + "/" + cases.size();
                    else cell = fmt(s);
                    if (k.equals("randomisation_spearman") && randomisationRuns(method) > 0) {
                        // a randomised map that is constant has no Spearman correlation (NaN, left out of the mean) and passes
                        cell += " (pass " + randomisationPasses(method) + "/" + randomisationRuns(method) + ")";
                    }
                    b.append(' ').append(cell).append(" |");
                }
                b.append('\n');
            }
            b.append("| *chance* |");
            for (String k : METRICS) b.append(' ').append(chance.containsKey(k) ? "*" + num(chance.get(k)) + "*" : "").append(" |");
            b.append('\n');
            b.append('\n').append("Mean ± sample SD over ").append(cases.size()).append(" held-out case(s)");
            b.append("; pointing game = hits/cases; randomisation on the first ")
                .append(Math.min(options.randomisationCases(), cases.size()))
                .append(" case(s): mean ± SD of the Spearman correlation with every layer randomised, and how many cases "
                    + "passed (< 0.5). Chance: a map that carries no information about the "
                    + "lesion (mass and rank accuracy = pointing-game hit rate = lesion volume share, AUROC = 0.5, "
                    + "top-5 % IoU and peak distance of a random top set / peak, averaged over the cases).\n\n");
            b.append("| case | target | lesion voxels | volume share | target score | p(target) | Dice | Δ PyTorch |\n"
                + "|---|---|---|---|---|---|---|---|\n");
            for (CaseResult c : cases) {
                b.append(String.format(Locale.ROOT, "| %s | %s | %d | %.3f %% | %.2f | %s | %s | %s |%n", c.id(), c.target(),
                    c.lesionVoxels(), 100 * c.lesionVolumeShare(), c.score(),
                    Double.isNaN(c.pTarget()) ? "–" : String.format(Locale.ROOT, "%.4f", c.pTarget()),
                    Double.isNaN(c.dice()) ? "–" : String.format(Locale.ROOT, "%.3f", c.dice()),
                    Double.isNaN(c.pytorchDeviation()) ? "–" : String.format(Locale.ROOT, "%.1e", c.pytorchDeviation())));
            }
            return b.toString();
        }

        public String toJson() {
            JsonObject o = new JsonObject();
            o.add("environment", tree(environment));
            o.add("options", tree(options.toMap()));
            o.add("metrics", tree(METRICS));
            JsonObject sum = new JsonObject();
            summary.forEach((method, m) -> {
                JsonObject mm = new JsonObject();
                m.forEach((k, s) -> {
                    JsonObject so = new JsonObject();
                    so.add("mean", tree(s.mean()));
                    so.add("sd", tree(s.sd()));
                    so.addProperty("n", s.n());
                    mm.add(k, so);
                });
                mm.addProperty("pointing_hits", pointingHits(method));
                mm.addProperty("randomisation_passes", randomisationPasses(method));
                mm.addProperty("randomisation_runs", randomisationRuns(method));
                sum.add(method, mm);
            });
            o.add("summary", sum);
            o.add("chance", tree(chance));
            JsonArray cs = new JsonArray();
            for (CaseResult c : cases) {
                JsonObject co = new JsonObject();
                co.addProperty("id", c.id());
                co.addProperty("target", c.target());
                co.addProperty("lesion_voxels", c.lesionVoxels());
                co.add("lesion_volume_share", tree(c.lesionVolumeShare()));
                co.add("target_score", tree(c.score()));
                co.add("p_target", tree(c.pTarget()));
                co.add("dice", tree(c.dice()));
                co.add("pytorch_deviation", tree(c.pytorchDeviation()));
                co.add("metrics", tree(c.metrics()));
                co.add("randomisation_passed", tree(c.randomisationPassed()));
                co.add("weights_restored", tree(c.weightsRestored()));
                cs.add(co);
            }
            o.add("cases", cs);
            o.add("seconds", tree(seconds));
            return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o) + "\n";
        }

        /** Writes {@code benchmark.md} and {@code benchmark.json} into {@code folder}. */
        public void write(Path folder) throws IOException {
            Files.createDirectories(folder);
            AtomicFiles.writeString(folder.resolve("benchmark.md"), toMarkdown());
            AtomicFiles.writeString(folder.resolve("benchmark.json"), toJson());
        }

        /**
         * Writes one PNG per method for the first case ({@code <case>_<method>.png}: axial, coronal and sagittal
         * slices through the lesion's centroid, heat map over the input); returns the files.
         */
        public List<Path> writePictures(Path folder) throws IOException {
            if (pictures == null) throw new IllegalStateException("this report kept no maps for pictures");
            return BenchmarkPictures.write(pictures, folder);
        }
    }

    /**
     * Runs the benchmark of one task: the set ({@code options.task()} or {@code options.set()}) and the model package
     * it names, loaded from {@code modelsRoot/<model>}.
     */
    public static Report run(Path modelsRoot, Options options, Progress progress) throws IOException {
        Progress outer = progress == null ? Progress.NONE : progress;
        long t0 = System.nanoTime();
        BenchmarkSet set = options.set() == null ? BenchmarkSet.bundled(options.task()) : BenchmarkSet.open(options.set());
        int n = options.cases() == 0 ? set.size() : Math.min(options.cases(), set.size());
        List<BenchmarkSet.Case> cases = set.cases(n);
        ModelPackage pkg = ModelPackage.open(modelsRoot.resolve(set.model()));
        double[] vox = set.voxelMm();
        Progress inner = new Progress() {
            @Override public void update(String stage, int done, int total) { }
            @Override public boolean isCancelled() { return outer.isCancelled(); }
        };
        List<CaseResult> results = new ArrayList<>();
        Map<String, Tensor> firstMaps = new LinkedHashMap<>();
        Map<String, Object> env = environment(pkg, set, options);
        String stage = "benchmark " + set.name();
        try (TorchModel model = TorchModel.load(pkg, DeviceSpec.CPU)) {
            long[] expect = pkg.inputShape(1);
            int total = cases.size() * options.methods().size();
            int done = 0;
            outer.step(stage, 0, total);
            for (int ci = 0; ci < cases.size(); ci++) {
                BenchmarkSet.Case c = cases.get(ci);
                if (!java.util.Arrays.equals(expect, c.input().shape())) {
                    throw new IllegalArgumentException(set.name() + " " + c.id() + ": input " + c.input() + " does not fit the model's " + java.util.Arrays.toString(expect));
                }
                Tensor out = model.forward(c.input());
                Target target = new TargetSpec(c.targetClass(), null).resolve(pkg, out, null);
                Outcome o = outcome(out, target, c);
                ExplainContext ctx = new ExplainContext(model, c.input(), target, options.seed() + ci, inner);
                Map<String, Map<String, Double>> perMethod = new LinkedHashMap<>();
                Map<String, Boolean> passed = new LinkedHashMap<>(), restored = new LinkedHashMap<>();
                for (String id : options.methods()) {
                    if (outer.isCancelled()) throw new java.util.concurrent.CancellationException("benchmark cancelled");
                    AttributionMethod method = method(id, options);
                    long m0 = System.nanoTime();
                    Attribution a = method.explain(ctx);
                    double runtime = (System.nanoTime() - m0) / 1e9;
                    if (ci == 0) firstMaps.put(id, a.map());
                    Map<String, Double> v = new LinkedHashMap<>();
                    Localisation.Result loc = Localisation.score(a.map().data(), c.mask());
                    v.put("mass_accuracy", loc.relevanceMassAccuracy());
                    v.put("rank_accuracy", loc.relevanceRankAccuracy());
                    v.put("pointing_game", loc.pointingGameHit() ? 1.0 : 0.0);
                    v.put("auroc", loc.auroc());
                    v.put("top5_iou", loc.topKIou());
                    v.put("peak_distance_mm", distanceMm(loc.peakVoxel(), c.centroidZyx(), a.map(), vox));
                    Infidelity.Result inf = Infidelity.builder().kind(Infidelity.Kind.GAUSSIAN)
                        .perturbations(options.infidelityPerturbations()).batchSize(options.batchSize()).build()
                        .evaluate(ctx, method, a);
                    v.put("infidelity_normalised", inf.infidelityNormalised());
                    DeletionInsertion.Result del = DeletionInsertion.builder().steps(options.deletionSteps())
                        .batchSize(options.batchSize()).build().evaluate(ctx, method, a);
                    v.put("deletion_auc", del.deletionAuc());
                    v.put("insertion_auc", del.insertionAuc());
                    if (ci < options.randomisationCases()) {
                        RandomisationCheck.Result r = RandomisationCheck.builder().build().evaluate(ctx, method, a);
                        List<RandomisationCheck.Step> steps = r.cascading();
                        v.put("randomisation_spearman", steps.get(steps.size() - 1).spearman());
                        passed.put(id, r.passed());
                        restored.put(id, r.weightsRestored());
                    } else {
                        v.put("randomisation_spearman", Double.NaN);
                    }
                    v.put("runtime_s", runtime);
                    perMethod.put(id, v);
                    outer.step(stage, ++done, total);
                }
                results.add(new CaseResult(c.id(), c.targetClass(), c.lesionVoxels(), c.lesionVolumeShare(), o.score(),
                    o.pTarget(), o.dice(), o.pytorchDeviation(), perMethod, passed, restored));
            }
        }
        Map<String, Map<String, Stat>> summary = new LinkedHashMap<>();
        for (String id : options.methods()) {
            Map<String, Stat> s = new LinkedHashMap<>();
            for (String k : METRICS) {
                List<Double> vals = new ArrayList<>();
                for (CaseResult r : results) vals.add(r.metrics().get(id).get(k));
                s.put(k, Stat.of(vals));
            }
            summary.put(id, s);
        }
        BenchmarkSet.Case first = cases.get(0);
        Pictures pics = new Pictures(set.name(), first.id(), first.input(), firstMaps, first.centroidZyx(), vox, set.gridCentreRas());
        return new Report(env, options, List.copyOf(results), summary, chance(cases, vox), (System.nanoTime() - t0) / 1e9, pics);
    }

    /** Runs several tasks one after the other with the same options. */
    public static List<Report> runAll(Path modelsRoot, Options options, List<String> tasks, Progress progress) throws IOException {
        List<Report> out = new ArrayList<>();
        for (String t : tasks) out.add(run(modelsRoot, options.withTask(t), progress));
        return out;
    }

    /** The unperturbed prediction of a case, and its agreement with PyTorch where the set carries PyTorch's numbers. */
    record Outcome(double score, double pTarget, double dice, double pytorchDeviation) {}

    static Outcome outcome(Tensor out, Target target, BenchmarkSet.Case c) {
        float[] d = out.data();
        if (target instanceof ClassLogitTarget t) {
            int cls = t.classIndex();
            double mx = Double.NEGATIVE_INFINITY, z = 0;
            for (float l : d) mx = Math.max(mx, l);
            for (float l : d) z += Math.exp(l - mx);
            double dev = Double.NaN;
            if (c.referenceLogits() != null) {
                if (c.referenceLogits().length != d.length) {
                    throw new IllegalArgumentException(c.id() + ": the set gives " + c.referenceLogits().length + " PyTorch logits, the model " + d.length);
                }
                dev = 0;
                for (int i = 0; i < d.length; i++) dev = Math.max(dev, Math.abs(d[i] - c.referenceLogits()[i]));
            }
            return new Outcome(d[cls], Math.exp(d[cls] - mx) / z, Double.NaN, dev);
        }
        SegmentationTarget t = (SegmentationTarget) target;
        float[] pred = t.mask();
        int n = pred.length;
        double score = 0, inter = 0, sp = 0, sg = 0;
        for (int v = 0; v < n; v++) {
            score += pred[v] * d[t.classIndex() * n + v];
            inter += pred[v] * (c.mask()[v] != 0 ? 1 : 0);
            sp += pred[v];
            sg += c.mask()[v] != 0 ? 1 : 0;
        }
        double dice = 2 * inter / (sp + sg);
        return new Outcome(score, Double.NaN, dice, Double.isNaN(c.referenceDice()) ? Double.NaN : Math.abs(dice - c.referenceDice()));
    }

    /** The method with the benchmark's parameters (Grad-CAM at the model's default layer). */
    static AttributionMethod method(String id, Options o) {
        return MethodCatalog.parse(id, new MethodCatalog.Options(null, o.smoothGradSamples(), o.noiseFraction(), o.igSteps(),
            IntegratedGradients.Baseline.ZERO, o.batchSize())).get(0);
    }

    /** Euclidean distance in mm from a voxel to a point (both on the map's grid). */
    static double distanceMm(int voxel, double[] zyx, Tensor map, double[] voxMm) {
        long ny = map.dim(3), nx = map.dim(4);
        double z = voxel / (ny * nx), y = (voxel / nx) % ny, x = voxel % nx;
        double dz = (z - zyx[0]) * voxMm[0], dy = (y - zyx[1]) * voxMm[1], dx = (x - zyx[2]) * voxMm[2];
        return Math.sqrt(dz * dz + dy * dy + dx * dx);
    }

    /**
     * Expected scores of an uninformative map, averaged over cases: mass accuracy, rank accuracy and pointing-game
     * hit rate equal the lesion's volume share, AUROC 0.5; top-5 % IoU with the expected intersection of a random
     * top set; peak distance from a uniformly random voxel to the lesion centroid.
     */
    static Map<String, Double> chance(List<BenchmarkSet.Case> cases, double[] vox) {
        double share = 0, iou = 0, dist = 0;
        for (BenchmarkSet.Case c : cases) {
            long[] s = c.input().shape();
            int nz = (int) s[2], ny = (int) s[3], nx = (int) s[4];
            int v = nz * ny * nx;
            share += c.lesionVolumeShare();
            double top = Math.ceil(0.05 * v - 1e-9);
            double inter = top * c.lesionVoxels() / v;
            iou += inter / (top + c.lesionVoxels() - inter);
            double d = 0;
            for (int z = 0; z < nz; z++) {
                for (int y = 0; y < ny; y++) {
                    for (int x = 0; x < nx; x++) {
                        double dz = (z - c.centroidZyx()[0]) * vox[0], dy = (y - c.centroidZyx()[1]) * vox[1],
                            dx = (x - c.centroidZyx()[2]) * vox[2];
                        d += Math.sqrt(dz * dz + dy * dy + dx * dx);
                    }
                }
            }
            dist += d / v;
        }
        int n = cases.size();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("mass_accuracy", share / n);
        m.put("rank_accuracy", share / n);
        m.put("pointing_game", share / n);
        m.put("auroc", 0.5);
        m.put("top5_iou", iou / n);
        m.put("peak_distance_mm", dist / n);
        return m;
    }

    private static Map<String, Object> environment(ModelPackage pkg, BenchmarkSet set, Options o) throws IOException {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("task", o.set() == null ? o.task() : set.name());
        e.put("benchmark", "localisation, " + set.name() + " (seed " + set.seed() + ")");
        e.put("set_description", set.description());
        e.put("model", pkg.name());
        e.put("model_folder", set.model());
        e.put("model_sha256", pkg.weightsSha256());
        String cls = set.targetClass().equals("per case") ? "each case's true class" : set.targetClass();
        e.put("target", pkg.task() == org.voxellens.xai.model.ModelTask.SEGMENTATION
            ? cls + " logits summed over the predicted mask" : cls + " logit");
        e.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        e.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        e.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        e.put("cpus", Runtime.getRuntime().availableProcessors());
        try {
            e.put("engine", TorchModel.Engines.versions());
        } catch (RuntimeException ex) {
            e.put("engine", "unknown: " + ex.getMessage());
        }
        return e;
    }

    // ---------------------------------------------------------------------------------------------- formatting

    static String fmt(Stat s) {
        if (s.n() == 0) return "–";
        if (Double.isNaN(s.sd())) return num(s.mean());
        return num(s.mean()) + " ± " + num(s.sd());
    }

    static String num(double v) {
        if (Double.isNaN(v)) return "–";
        double a = Math.abs(v);
        if (a == 0) return "0";
        if (a >= 100) return String.format(Locale.ROOT, "%.0f", v);
        if (a >= 0.01) return String.format(Locale.ROOT, "%.3g", v);
        return String.format(Locale.ROOT, "%.2g", v);
    }

    static JsonElement tree(Object v) {
        if (v == null) return JsonNull.INSTANCE;
        if (v instanceof Double d) return Double.isFinite(d) ? new JsonPrimitive(d) : JsonNull.INSTANCE;
        if (v instanceof Float f) return Float.isFinite(f) ? new JsonPrimitive(f) : JsonNull.INSTANCE;
        if (v instanceof Number num) return new JsonPrimitive(num);
        if (v instanceof Boolean b) return new JsonPrimitive(b);
        if (v instanceof Map<?, ?> m) {
            JsonObject o = new JsonObject();
            m.forEach((k, val) -> o.add(String.valueOf(k), tree(val)));
            return o;
        }
        if (v instanceof Collection<?> c) {
            JsonArray a = new JsonArray();
            for (Object x : c) a.add(tree(x));
            return a;
        }
        return new JsonPrimitive(String.valueOf(v));
    }

    /** {@code all} (or null) → every bundled task; otherwise a comma-separated list of bundled task names. */
    public static List<String> tasks(String spec) {
        if (spec == null || spec.isBlank() || spec.trim().equalsIgnoreCase("all")) return BenchmarkSet.BUNDLED;
        List<String> out = new ArrayList<>();
        for (String t : spec.split(",")) {
            String n = t.trim();
            if (!BenchmarkSet.BUNDLED.contains(n)) {
                throw new IllegalArgumentException("unknown benchmark task '" + n + "'; known: " + String.join(", ", BenchmarkSet.BUNDLED) + ", all");
            }
            if (!out.contains(n)) out.add(n);
        }
        return out;
    }

    /**
     * Writes each report into {@code out/<task>/} (benchmark.md, benchmark.json, and with {@code pictures} one PNG per
     * method for the first case) and all tables into {@code out/benchmark.md}; returns that combined Markdown.
     */
    public static String writeAll(List<Report> reports, Path out, boolean pictures) throws IOException {
        StringBuilder all = new StringBuilder();
        for (Report r : reports) {
            Path dir = out.resolve(r.task());
            r.write(dir);
            if (pictures) r.writePictures(dir);
            all.append("## ").append(r.task()).append("\n\n").append(r.environment().get("set_description")).append("\n\n")
                .append("Model `").append(r.environment().get("model_folder")).append("`, target: ")
                .append(r.environment().get("target")).append(String.format(Locale.ROOT, "; %.1f s.%n%n", r.seconds()))
                .append(r.toMarkdown()).append('\n');
        }
        Files.createDirectories(out);
        AtomicFiles.writeString(out.resolve("benchmark.md"), all.toString());
        return all.toString();
    }

    /**
     * {@code LocalisationBenchmark [--quick] [--task T|all] [--cases N] [--pictures] [--models DIR] [--out DIR]}: runs
     * the benchmark and writes the tables (default folder results/benchmark).
     */
    public static void main(String[] args) throws IOException {
        Options o = Options.fullRun();
        Path models = Path.of("models"), out = Path.of("results", "benchmark");
        Integer cases = null;
        String task = "all";
        boolean pictures = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> o = Options.quickRun();
                case "--cases" -> cases = Integer.parseInt(args[++i]);
                case "--task" -> task = args[++i];
                case "--pictures" -> pictures = true;
                case "--models" -> models = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (cases != null) o = o.withCases(cases);
        long t0 = System.nanoTime();
        List<Report> r = runAll(models, o, tasks(task), (stage, done, total) -> System.err.printf("\r%s %d/%d", stage, done, total));
        System.err.println();
        System.out.print(writeAll(r, out, pictures));
        System.out.printf(Locale.ROOT, "%n%.1f s; written to %s%n", (System.nanoTime() - t0) / 1e9, out);
    }
}
