package org.voxellens.validation.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.voxellens.validation.perf.Bench.Report;
import org.voxellens.validation.perf.Bench.Row;

/**
 * The Java side of the benchmark on a tiny matrix (32³, no warm-up, 1 repeat, 2 samples/steps): the structure of
 * the report only. Timings are never asserted; they depend on the machine and on whatever else runs on it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BenchTest {

    static final Path ROOT = Path.of(System.getProperty("voxellens.test.root", ".."));

    Report report;

    @BeforeAll
    void runTiny() throws Exception {
        Bench.Options o = Bench.Options.quick(ROOT).withSizes(List.of(32)).withWarmup(0).withRepeats(1)
            .withSamples(2).withSteps(2).withBatch(2).withPython(null, null);
        report = Bench.run(o, line -> { });
    }

    @Test
    void oneRowPerModelAndMethodWithPositiveTimes() {
        assertEquals(Bench.MODELS.size() * Bench.METHODS.size(), report.rows().size());
        for (String model : Bench.MODELS) {
            for (String method : Bench.METHODS) {
                Row r = report.row(model, 32, method);
                assertNotNull(r, model + " " + method);
                assertTrue(r.java().seconds() > 0, model + " " + method + ": positive time");
                assertEquals(1, r.java().runs().size());
                assertTrue(r.java().peakRssMb() > 0 || Double.isNaN(r.java().peakRssMb()), "RSS");
                assertTrue(r.java().peakHeapMb() > 0, "heap");
                assertNull(r.pytorch(), "no reference run requested");
                assertTrue(Double.isNaN(r.ratio()));
            }
        }
        // tests run under the launcher's malloc (tcmalloc preloaded): then the glibc reference is reported too
        boolean preloaded = !org.voxellens.xai.runtime.NativeAllocator.name().equals("glibc");
        assertEquals(preloaded ? "not run (turned off); glibc malloc: not run (turned off)" : "not run (turned off)",
            report.pythonStatus());
        assertTrue(report.versions().containsKey("libtorch"), report.versions().toString());
    }

    @Test
    void markdownHasATablePerMethodAndTheSmoothGradCheck() {
        String md = report.toMarkdown();
        for (String method : Bench.METHODS) assertTrue(md.contains("### " + method + "\n"), method);
        long dataRows = md.lines().filter(l -> l.startsWith("| demo-")).count();
        // per method one row per model, plus the SmoothGrad check's Java row per model
        assertEquals(Bench.METHODS.size() * Bench.MODELS.size() + Bench.MODELS.size(), dataRows, md);
        assertEquals(Bench.MODELS.size(), report.smoothGradChecks().size());
        for (Bench.SmoothGradCheck c : report.smoothGradChecks()) assertTrue(c.ratio() > 0 && Double.isFinite(c.ratio()));
    }

    @Test
    void parsesTheReferenceScriptsLines() {
        var ok = Bench.parseReferenceLine("{\"model\": \"demo-classifier\", \"size\": 64, \"method\": \"ig\", \"seconds\": 1.5,"
            + " \"runs\": [1.4, 1.5, 1.6], \"peak_rss_mb\": 900.5, \"torch\": \"1.13.0\"}");
        assertEquals("ig", ok.method());
        assertEquals(1.5, ok.measurement().seconds());
        assertEquals(3, ok.measurement().runs().size());
        assertEquals(900.5, ok.measurement().peakRssMb());
        assertEquals("1.13.0", ok.torch());
        var tc = Bench.parseReferenceLine("{\"model\": \"demo-classifier\", \"size\": 64, \"method\": \"ig\", \"seconds\": 1.5,"
            + " \"torch\": \"1.13.0\", \"allocator\": \"tcmalloc\"}");
        assertEquals("1.13.0, tcmalloc malloc", tc.torch());
        var err = Bench.parseReferenceLine("{\"model\": \"demo-segmenter\", \"size\": 128, \"error\": \"out of memory\"}");
        assertNull(err.measurement());
        assertTrue(err.error().contains("out of memory"));
        assertNull(Bench.parseReferenceLine("Traceback (most recent call last):"));
    }

    @Test
    void medianOfEvenAndOddCounts() {
        assertEquals(2.0, Bench.median(List.of(3.0, 1.0, 2.0)));
        assertEquals(2.5, Bench.median(List.of(4.0, 1.0, 2.0, 3.0)));
    }
}
