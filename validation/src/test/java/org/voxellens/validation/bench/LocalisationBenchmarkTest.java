package org.voxellens.validation.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.voxellens.validation.bench.LocalisationBenchmark.Report;
import org.voxellens.validation.bench.LocalisationBenchmark.Stat;
import org.voxellens.xai.metrics.Localisation;

/**
 * The quick benchmark on the first 2 held-out cases: structure of the report, and the findings on the demo
 * classifier that are robust enough to hold on any 2 cases.
 *
 * <p>Documented thresholds (not numbers copied from a run): a gradient method "localises" when its peak falls inside
 * the lesion on at least 1 of 2 cases, at least {@value #MASS_OVER_SHARE}× the lesion's volume share of its |map|
 * mass lies inside the lesion (a map that knows nothing puts 1×; the lesions hold 0.02-0.1 % of the volume), and its
 * AUROC as a lesion detector is at least {@value #MIN_AUROC}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalisationBenchmarkTest {

    static final Path MODELS = Path.of(System.getProperty("voxellens.test.models", "../models"));
    static final int CASES = 2;
    static final double MASS_OVER_SHARE = 20;
    static final double MIN_AUROC = 0.9;

    Report report;
    int progressCalls;

    @BeforeAll
    void runQuick() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        report = LocalisationBenchmark.run(MODELS, LocalisationBenchmark.Options.quickRun().withCases(CASES),
            (stage, done, total) -> {
                calls.incrementAndGet();
                assertEquals(CASES * LocalisationBenchmark.METHODS.size(), total);
            });
        progressCalls = calls.get();
    }

    @Test
    void everyMethodHasEveryMetric() {
        assertEquals(CASES, report.cases().size());
        assertEquals(LocalisationBenchmark.METHODS, List.copyOf(report.summary().keySet()));
        for (String m : LocalisationBenchmark.METHODS) {
            assertEquals(LocalisationBenchmark.METRICS, List.copyOf(report.summary().get(m).keySet()), m);
            for (String k : LocalisationBenchmark.METRICS) {
                Stat s = report.stat(m, k);
                int expected = k.equals("randomisation_spearman") ? 1 : CASES;
                assertEquals(expected, s.n(), m + " × " + k + ": finite values");
                assertTrue(Double.isFinite(s.mean()), m + " × " + k);
            }
            for (var c : report.cases()) {
                double mass = c.metrics().get(m).get("mass_accuracy"), auroc = c.metrics().get(m).get("auroc");
                assertTrue(mass >= 0 && mass <= 1 && auroc >= 0 && auroc <= 1, m + " " + c.id() + ": scores in [0, 1]");
            }
            assertEquals(Boolean.TRUE, report.cases().get(0).weightsRestored().get(m), m + ": weights restored after randomisation");
        }
        assertEquals(CASES * LocalisationBenchmark.METHODS.size() + 1, progressCalls, "progress: start + one per case × method");
    }

    @Test
    void markdownTableHasEveryMethodAndMetric() {
        String md = report.toMarkdown();
        List<String> lines = md.lines().toList();
        String header = lines.get(0);
        for (String k : LocalisationBenchmark.METRICS) assertTrue(header.contains(LocalisationBenchmark.TITLES.get(k)[0]), k);
        int cols = header.split("\\|", -1).length;
        for (String m : LocalisationBenchmark.METHODS) {
            String row = lines.stream().filter(l -> l.startsWith("| " + m + " |")).findFirst().orElseThrow(() -> new AssertionError(m));
            assertEquals(cols, row.split("\\|", -1).length, m + ": one cell per metric");
            assertFalse(row.contains("NaN"), row);
        }
        for (var c : report.cases()) assertTrue(md.contains("| " + c.id() + " |"), c.id());
    }

    @Test
    void jsonCarriesTheSameNumbers() {
        JsonObject o = JsonParser.parseString(report.toJson()).getAsJsonObject();
        assertEquals(CASES, o.getAsJsonArray("cases").size());
        JsonObject sum = o.getAsJsonObject("summary");
        for (String m : LocalisationBenchmark.METHODS) {
            for (String k : LocalisationBenchmark.METRICS) {
                assertEquals(report.stat(m, k).mean(), sum.getAsJsonObject(m).getAsJsonObject(k).get("mean").getAsDouble(), 0, m + " " + k);
            }
            assertEquals(report.pointingHits(m), sum.getAsJsonObject(m).get("pointing_hits").getAsInt());
        }
        assertEquals(report.environment().get("model_sha256"), o.getAsJsonObject("environment").get("model_sha256").getAsString());
    }

    @Test
    void theClassifierSeesEveryLesion() {
        // the benchmark's premise: the lesion decides the class, and the model calls every held-out case "lesion"
        for (var c : report.cases()) assertTrue(c.pLesion() > 0.5, c.id() + ": p(lesion) = " + c.pLesion());
    }

    @Test
    void gradientMethodsLocaliseTheLesion() {
        double share = report.cases().stream().mapToDouble(LocalisationBenchmark.CaseResult::lesionVolumeShare).average().orElseThrow();
        for (String m : LocalisationBenchmark.GRADIENT_METHODS) {
            assertTrue(report.pointingHits(m) >= 1, m + ": peak inside the lesion on " + report.pointingHits(m) + " of " + CASES);
            double mass = report.stat(m, "mass_accuracy").mean();
            assertTrue(mass >= MASS_OVER_SHARE * share, m + ": mass in lesion " + mass + " vs volume share " + share);
            assertTrue(report.stat(m, "auroc").mean() >= MIN_AUROC, m + ": AUROC " + report.stat(m, "auroc").mean());
        }
    }

    @Test
    void gradCamPutsLessMassInTheLesionThanEveryGradientMethod() {
        // the published pattern on brain MRI (Grad-CAM fails to localise, gradient methods succeed), on this model
        double gradcam = report.stat("gradcam", "mass_accuracy").mean();
        for (String m : LocalisationBenchmark.GRADIENT_METHODS) {
            assertTrue(report.stat(m, "mass_accuracy").mean() > gradcam, m + " vs gradcam " + gradcam);
        }
    }

    @Test
    void chanceRowIsWhatAnUninformativeMapScores() throws Exception {
        var cases = BenchmarkSet.bundled().cases(CASES);
        assertNotEquals(Arrays.hashCode(cases.get(0).mask()), Arrays.hashCode(cases.get(1).mask()), "distinct cases");
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
        assertEquals(share / CASES, report.chance().get("mass_accuracy"), 1e-12);
        assertEquals(pointing / CASES, report.chance().get("pointing_game"), 1e-12);
        assertEquals(0.5, report.chance().get("auroc"));
    }

    @Test
    void optionsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> LocalisationBenchmark.Options.quickRun().withMethods(List.of("lime")));
        assertThrows(IllegalArgumentException.class, () -> BenchmarkSet.bundled().cases(BenchmarkSet.bundled().size() + 1));
    }
}
