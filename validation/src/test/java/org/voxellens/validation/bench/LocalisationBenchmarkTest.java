package org.voxellens.validation.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.validation.bench.LocalisationBenchmark.Report;
import org.voxellens.validation.bench.LocalisationBenchmark.Stat;
import org.voxellens.xai.attribution.MethodCatalog;
import org.voxellens.xai.metrics.Localisation;

/**
 * The benchmark on every task with the lightest settings ({@link LocalisationBenchmark.Options#smokeRun()}): the
 * first case of each task with every method and metric except the randomisation check (it recomputes every method
 * once per layer), which runs on 2 Colin27 region cases for two single-pass methods (so that the several-case
 * summary is exercised); the segmentation task with 4 methods (a UNet pass costs several classifier passes). Checks the structure of the reports (every method × every metric, finite), the agreement of the models'
 * outputs with PyTorch's on the same inputs (numbers the set carries), and the findings robust enough to hold on any
 * case.
 *
 * <p>Documented thresholds (not numbers copied from a run): a gradient method "localises" when at least
 * {@value #MASS_OVER_SHARE}× the lesion's volume share of its |map| mass lies inside the class-deciding lesion (a map
 * that knows nothing puts 1×; the lesions hold 0.01-0.1 % of the volume) and its AUROC as a lesion detector is at least
 * {@value #MIN_AUROC}; the phantom cases additionally need the peak inside the lesion on 1 of 2 cases.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalisationBenchmarkTest {

    static final Path MODELS = Path.of(System.getProperty("voxellens.test.models", "../models"));
    static final int PHANTOM_CASES = 1;
    static final List<String> SEG_METHODS = List.of("gradcam", "saliency", "inputxgrad", "ig");
    static final double MASS_OVER_SHARE = 20;
    static final double MIN_AUROC = 0.9;
    /** float32 logits of the same TorchScript file on the same input: libtorch 2.7 (DJL) against torch 1.13. */
    static final double PYTORCH_TOLERANCE = 1e-3;

    final Map<String, Report> reports = new LinkedHashMap<>();
    Report randomisedTwice;
    int progressCalls;

    @BeforeAll
    void runEveryTask() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        LocalisationBenchmark.Options smoke = LocalisationBenchmark.Options.smokeRun();
        reports.put("phantom-lesion", LocalisationBenchmark.run(MODELS,
            smoke.withTask("phantom-lesion").withCases(PHANTOM_CASES).withRandomisationCases(0),
            (stage, done, total) -> {
                calls.incrementAndGet();
                assertEquals(PHANTOM_CASES * LocalisationBenchmark.METHODS.size(), total);
            }));
        progressCalls = calls.get();
        for (Report r : LocalisationBenchmark.runAll(MODELS, smoke.withRandomisationCases(0),
                List.of("colin-region", "colin-location"), null)) {
            reports.put(r.task(), r);
        }
        // the UNet costs several times a classifier per pass: the methods of one pass each, and IG (the full method
        // set on this task is what `voxellens validate` runs)
        reports.put("colin-seg", LocalisationBenchmark.run(MODELS, smoke.withTask("colin-seg").withRandomisationCases(0)
            .withMethods(SEG_METHODS), null));
        randomisedTwice = LocalisationBenchmark.run(MODELS, smoke.withTask("colin-region").withCases(2)
            .withRandomisationCases(2).withMethods(List.of("saliency", "gradcam")), null);
    }

    Report phantom() { return reports.get("phantom-lesion"); }

    @Test
    void everyTaskHasEveryMethodAndEveryMetric() {
        assertEquals(BenchmarkSet.BUNDLED, List.copyOf(reports.keySet()));
        assertEquals(MethodCatalog.NAMES, LocalisationBenchmark.METHODS, "the benchmark's methods are the catalog's");
        for (Report r : reports.values()) {
            String task = r.task();
            List<String> methods = task.equals("colin-seg") ? SEG_METHODS : LocalisationBenchmark.METHODS;
            assertEquals(methods, List.copyOf(r.summary().keySet()), task);
            int cases = r.cases().size();
            int randomised = Math.min(cases, r.options().randomisationCases());
            for (String m : methods) {
                assertEquals(LocalisationBenchmark.METRICS, List.copyOf(r.summary().get(m).keySet()), task + " " + m);
                for (String k : LocalisationBenchmark.METRICS) {
                    Stat s = r.stat(m, k);
                    if (k.equals("randomisation_spearman")) {
                        // NaN where the randomised map is constant (no ranks): left out of the mean, counted as a pass
                        assertTrue(s.n() <= randomised, task + " " + m + ": randomisation values on at most " + randomised + " cases");
                        assertEquals(randomised, r.randomisationRuns(m), task + " " + m + ": randomisation verdicts");
                        if (s.n() > 0) assertTrue(Double.isFinite(s.mean()), task + " " + m + " × " + k);
                        continue;
                    }
                    assertEquals(cases, s.n(), task + " " + m + " × " + k + ": finite values");
                    assertTrue(Double.isFinite(s.mean()), task + " " + m + " × " + k);
                }
                for (var c : r.cases()) {
                    double mass = c.metrics().get(m).get("mass_accuracy"), auroc = c.metrics().get(m).get("auroc");
                    assertTrue(mass >= 0 && mass <= 1 && auroc >= 0 && auroc <= 1, task + " " + m + " " + c.id() + ": scores in [0, 1]");
                }
                for (int i = 0; i < randomised; i++) {
                    assertEquals(Boolean.TRUE, r.cases().get(i).weightsRestored().get(m), task + " " + m + ": weights restored after randomisation");
                }
                assertTrue(r.randomisationPasses(m) >= 0 && r.randomisationPasses(m) <= randomised);
            }
        }
        Stat twice = randomisedTwice.stat("saliency", "randomisation_spearman");
        assertEquals(2, twice.n(), "randomisation summarised over several cases");
        assertTrue(Double.isFinite(twice.sd()), "SD over 2 cases");
        assertEquals(2, randomisedTwice.randomisationRuns("gradcam"));
        for (var c : randomisedTwice.cases()) {
            assertEquals(Map.of("saliency", true, "gradcam", true), c.weightsRestored(), c.id() + ": weights restored after randomisation");
        }
        assertTrue(randomisedTwice.toMarkdown().contains("(pass " + randomisedTwice.randomisationPasses("saliency") + "/2)"));
        assertEquals(PHANTOM_CASES * LocalisationBenchmark.METHODS.size() + 1, progressCalls, "progress: start + one per case × method");
    }

    @Test
    void modelOutputsAgreeWithPyTorch() {
        for (String task : List.of("colin-region", "colin-location")) {
            for (var c : reports.get(task).cases()) {
                assertTrue(c.pytorchDeviation() <= PYTORCH_TOLERANCE, task + " " + c.id() + ": logits differ from PyTorch's by " + c.pytorchDeviation());
            }
        }
        for (var c : reports.get("colin-seg").cases()) {
            assertTrue(c.pytorchDeviation() <= 1e-3, "colin-seg " + c.id() + ": Dice differs from PyTorch's by " + c.pytorchDeviation());
        }
    }

    @Test
    void theModelsSolveTheirTasks() {
        // the benchmark's premise: the class-deciding lesion is what the model acts on
        for (String task : List.of("phantom-lesion", "colin-region", "colin-location")) {
            for (var c : reports.get(task).cases()) assertTrue(c.pTarget() > 0.5, task + " " + c.id() + ": p(" + c.target() + ") = " + c.pTarget());
        }
        for (var c : reports.get("colin-seg").cases()) assertTrue(c.dice() > 0.5, "colin-seg " + c.id() + ": Dice " + c.dice());
    }

    @Test
    void markdownTablesHaveEveryMethodAndMetric() {
        for (Report r : reports.values()) {
            String md = r.toMarkdown();
            List<String> lines = md.lines().toList();
            String header = lines.get(0);
            for (String k : LocalisationBenchmark.METRICS) assertTrue(header.contains(LocalisationBenchmark.TITLES.get(k)[0]), k);
            int cols = header.split("\\|", -1).length;
            for (String m : r.options().methods()) {
                String row = lines.stream().filter(l -> l.startsWith("| " + m + " |")).findFirst().orElseThrow(() -> new AssertionError(r.task() + " " + m));
                assertEquals(cols, row.split("\\|", -1).length, m + ": one cell per metric");
                assertFalse(row.contains("NaN"), row);
            }
            for (var c : r.cases()) assertTrue(md.contains("| " + c.id() + " | " + c.target() + " |"), c.id());
        }
    }

    @Test
    void jsonCarriesTheSameNumbers() {
        for (Report r : reports.values()) {
            JsonObject o = JsonParser.parseString(r.toJson()).getAsJsonObject();
            assertEquals(r.cases().size(), o.getAsJsonArray("cases").size());
            JsonObject sum = o.getAsJsonObject("summary");
            for (String m : r.options().methods()) {
                for (String k : LocalisationBenchmark.METRICS) {
                    var mean = sum.getAsJsonObject(m).getAsJsonObject(k).get("mean");
                    if (Double.isNaN(r.stat(m, k).mean())) assertTrue(mean == null || mean.isJsonNull(), m + " " + k + ": no value, no number");
                    else assertEquals(r.stat(m, k).mean(), mean.getAsDouble(), 0, m + " " + k);
                }
                assertEquals(r.pointingHits(m), sum.getAsJsonObject(m).get("pointing_hits").getAsInt());
                assertEquals(r.randomisationPasses(m), sum.getAsJsonObject(m).get("randomisation_passes").getAsInt());
            }
            assertEquals(r.environment().get("model_sha256"), o.getAsJsonObject("environment").get("model_sha256").getAsString());
        }
    }

    @Test
    void gradientMethodsLocaliseTheClassDecidingLesion() {
        for (Report r : reports.values()) {
            double share = r.cases().stream().mapToDouble(LocalisationBenchmark.CaseResult::lesionVolumeShare).average().orElseThrow();
            for (String m : LocalisationBenchmark.GRADIENT_METHODS) {
                if (!r.options().methods().contains(m)) continue;
                double mass = r.stat(m, "mass_accuracy").mean();
                assertTrue(mass >= MASS_OVER_SHARE * share, r.task() + " " + m + ": mass in lesion " + mass + " vs volume share " + share);
                assertTrue(r.stat(m, "auroc").mean() >= MIN_AUROC, r.task() + " " + m + ": AUROC " + r.stat(m, "auroc").mean());
            }
        }
        for (String m : List.of("inputxgrad", "ig")) {
            for (Report r : reports.values()) {
                assertEquals(r.cases().size(), r.pointingHits(m), r.task() + " " + m + ": peak inside the class-deciding lesion");
            }
        }
    }

    @Test
    void gradCamPutsLessMassInThePhantomLesionThanEveryGradientMethod() {
        // the published pattern on brain MRI (Grad-CAM fails to localise, gradient methods succeed), on the demo model
        double gradcam = phantom().stat("gradcam", "mass_accuracy").mean();
        for (String m : LocalisationBenchmark.GRADIENT_METHODS) {
            assertTrue(phantom().stat(m, "mass_accuracy").mean() > gradcam, m + " vs gradcam " + gradcam);
        }
    }

    @Test
    void chanceRowIsWhatAnUninformativeMapScores() throws Exception {
        var cases = BenchmarkSet.bundled().cases(PHANTOM_CASES);
        var two = BenchmarkSet.bundled().cases(2);
        assertNotEquals(Arrays.hashCode(two.get(0).mask()), Arrays.hashCode(two.get(1).mask()), "distinct cases");
        double share = 0, pointing = 0;
        for (var c : cases) {
            float[] constant = new float[c.mask().length];
            Arrays.fill(constant, 1f);
            Localisation.Result r = Localisation.score(constant, c.mask());
            assertEquals(c.lesionVolumeShare(), r.relevanceMassAccuracy(), 1e-12);
            assertEquals(0.5, r.auroc(), 1e-12);
            share += c.lesionVolumeShare();
            // an uninformative map's peak is a uniformly random voxel: hit with probability = volume share
            pointing += c.lesionVolumeShare();
        }
        assertEquals(share / PHANTOM_CASES, phantom().chance().get("mass_accuracy"), 1e-12);
        assertEquals(pointing / PHANTOM_CASES, phantom().chance().get("pointing_game"), 1e-12);
        assertEquals(0.5, phantom().chance().get("auroc"));
    }

    @Test
    void colinSetsCarryWhatTheirTasksPromise() throws Exception {
        // location: both classes among the cases, and the lesion lies in the hemisphere its class names
        var loc = BenchmarkSet.bundled("colin-location").cases(BenchmarkSet.bundled("colin-location").size());
        assertEquals(java.util.Set.of("left", "right"), loc.stream().map(BenchmarkSet.Case::targetClass).collect(java.util.stream.Collectors.toSet()));
        for (var c : loc) {
            double x = c.centroidZyx()[2];     // +x = patient right; grid centre at 23.5
            assertEquals(c.targetClass().equals("right"), x > 23.5, c.id() + " centroid x " + x + " vs " + c.targetClass());
        }
        var region = BenchmarkSet.bundled("colin-region");
        assertEquals("colin27-region", region.model());
        for (var c : region.cases(region.size())) assertEquals("deep_grey_lesion", c.targetClass());
        assertThrows(IllegalArgumentException.class, () -> BenchmarkSet.bundled("colin-nothing"));
    }

    @Test
    void picturesAndCombinedTables(@TempDir Path dir) throws Exception {
        String md = LocalisationBenchmark.writeAll(List.copyOf(reports.values()), dir, true);
        for (String task : BenchmarkSet.BUNDLED) {
            assertTrue(md.contains("## " + task + "\n"), task);
            assertTrue(Files.exists(dir.resolve(task).resolve("benchmark.json")), task);
            for (String m : reports.get(task).options().methods()) {
                Path png = dir.resolve(task).resolve(reports.get(task).cases().get(0).id() + "_" + m + ".png");
                BufferedImage img = ImageIO.read(png.toFile());
                assertNotNull(img, png.toString());
                assertTrue(img.getWidth() > 100 && img.getHeight() > 100, png + " " + img.getWidth() + "x" + img.getHeight());
            }
        }
        assertEquals(md, Files.readString(dir.resolve("benchmark.md")));
    }

    @Test
    void optionsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> LocalisationBenchmark.Options.quickRun().withMethods(List.of("lime")));
        assertThrows(IllegalArgumentException.class, () -> LocalisationBenchmark.Options.quickRun().withTask("colin-nothing"));
        assertThrows(IllegalArgumentException.class, () -> LocalisationBenchmark.tasks("phantom-lesion,nothing"));
        assertEquals(List.of("colin-seg", "phantom-lesion"), LocalisationBenchmark.tasks("colin-seg, phantom-lesion"));
        assertEquals(BenchmarkSet.BUNDLED, LocalisationBenchmark.tasks("all"));
        assertThrows(IllegalArgumentException.class, () -> BenchmarkSet.bundled().cases(BenchmarkSet.bundled().size() + 1));
    }
}
