package org.voxellens.xai.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.GradCam;
import org.voxellens.xai.attribution.InputXGradient;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.attribution.Saliency;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.SegmentationTarget;
import org.voxellens.xai.target.TargetSpec;

/**
 * Sliding-window inference and tiled saliency of the demo UNet (declared here with a spacing and a 32³ input, so
 * that it is run by sliding window, cheaply) on a phantom 1.75-2.25 times its input per axis, against an independent PyTorch implementation
 * of the same scheme (src/test/python/sliding_window_reference.py, run by /usr/bin/python3 on the same prepared
 * volume and model file), and against one whole-volume pass in the interior (the UNet is fully convolutional).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlidingWindowExplainerTest {

    static final Path MODELS = Path.of(System.getProperty("voxellens.test.models", "../models"));
    static final int TILE = 32, NX = 64, NY = 56, NZ = 72;

    @TempDir
    Path tmp;
    TorchModel model;
    Volume source;

    @BeforeAll
    void setUp() throws IOException {
        org.voxellens.testing.RequiredTools.python3WithTorch(); // the PyTorch reference: required, checked first
        model = TorchModel.load(ModelPackage.open(demoPackage(true)), DeviceSpec.CPU);
        source = phantom();
    }

    /**
     * The demo UNet with a {@value #TILE}³ input, declared at 3 mm (run by sliding window) or without a spacing (one
     * grid fitted to the volume), in a new temporary folder.
     */
    static Path demoPackage(boolean spacing) throws IOException {
        Path pkgDir = Files.createTempDirectory("vl-sw-model");
        Path demo = MODELS.resolve("demo-segmenter");
        Files.copy(demo.resolve("model.pt"), pkgDir.resolve("model.pt"));
        String rdf = Files.readString(demo.resolve("rdf.yaml"), StandardCharsets.UTF_8)
            .replace("    input_size: [48, 48, 48]\n", "    input_size: [" + TILE + ", " + TILE + ", " + TILE + "]\n"
                + (spacing ? "    spacing: [3.0, 3.0, 3.0]\n" : ""))
            .replace("shape: [1, 32, 12, 12, 12]", "shape: [1, 32, 8, 8, 8]");
        assertTrue(rdf.contains("input_size: [" + TILE) && rdf.contains("spacing: [3.0") == spacing, "rdf edited");
        Files.writeString(pkgDir.resolve("rdf.yaml"), rdf, StandardCharsets.UTF_8);
        return pkgDir;
    }

    @AfterAll
    void close() {
        if (model != null) model.close();
    }

    /** An ellipsoidal "head" with a bright rim and texture, and a bright spherical lesion off centre; 3 mm voxels. */
    static Volume phantom() {
        Geometry g = Geometry.axisAligned(new int[] {NX, NY, NZ}, new double[] {3, 3, 3}, new double[] {-100, 20, 7});
        float[] d = new float[NX * NY * NZ];
        SplittableRandom r = new SplittableRandom(11);
        for (int k = 0; k < NZ; k++) {
            for (int j = 0; j < NY; j++) {
                for (int i = 0; i < NX; i++) {
                    double x = (i - NX / 2.0) / (0.42 * NX), y = (j - NY / 2.0) / (0.42 * NY), z = (k - NZ / 2.0) / (0.46 * NZ);
                    double rr = Math.sqrt(x * x + y * y + z * z);
                    double v = rr < 0.9 ? 0.5 : rr < 1 ? 1.0 : 0;
                    double lx = i - 0.64 * NX, ly = j - 0.37 * NY, lz = k - 0.67 * NZ;
                    if (lx * lx + ly * ly + lz * lz < 16) v = 1.1;
                    d[i + NX * (j + NY * k)] = (float) (v + 0.02 * r.nextGaussian());
                }
            }
        }
        return new Volume(g, d);
    }

    @Test
    void blendedLogitsAndTiledSaliencyMatchAPyTorchSlidingWindow() throws Exception {
        List<String> stages = new ArrayList<>();
        Progress p = (stage, done, total) -> { if (done == 0 || done == total) stages.add(stage + " " + done + "/" + total); };
        long passesBefore = model.passes();
        Explainer.Result res = new Explainer(model, new Tiling(0.25, 3)).explain(source, TargetSpec.DEFAULT, null,
            List.of(new Saliency()), 42, p);

        // grid at the model's spacing covering the whole phantom; 3 x 2 x 3 tiles at overlap 0.25, 3 tiles per pass
        assertArrayEquals(new int[] {NX, NY, NZ}, res.modelGrid().dims());
        assertArrayEquals(new long[] {1, 2, NZ, NY, NX}, res.modelOutput().shape());
        Map<?, ?> sw = (Map<?, ?>) res.methods().get(0).attribution().diagnostics().get("sliding_window");
        assertEquals(18, sw.get("tiles"));
        int explained = (Integer) sw.get("tiles_explained");
        assertTrue(explained > 0 && explained < 18, "tiles without target voxels are skipped: " + sw);
        assertEquals(6 + (explained + 2) / 3, model.passes() - passesBefore,
            "6 batched inference passes + one forward+backward per 3 explained tiles");
        assertTrue(stages.contains("inference 18/18") && stages.contains("saliency 18/18"), stages.toString());
        SegmentationTarget t = (SegmentationTarget) res.target();
        assertTrue(t.maskVoxels() > 50, "the lesion is segmented on the blended output: " + t.describe());

        Path in = tmp.resolve("in.f32");
        write(in, res.modelInput().data());
        Process proc = new ProcessBuilder("/usr/bin/python3", "src/test/python/sliding_window_reference.py",
            MODELS.resolve("demo-segmenter/model.pt").toString(), in.toString(), "" + NX, "" + NY, "" + NZ, "" + TILE, "0.25", "1",
            tmp.toString()).redirectErrorStream(true).start();
        String outText = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "reference finished");
        assertEquals(0, proc.exitValue(), outText);
        String[] stats = outText.trim().split("\\s+");
        assertEquals("18", stats[stats.length - 2], outText);
        assertEquals(t.maskVoxels(), Long.parseLong(stats[stats.length - 1]), "same predicted mask size");

        float[] ref = read(tmp.resolve("logits.f32"));
        float[] java = res.modelOutput().data();
        assertClose(ref, java, 2e-4, "blended logits");
        float[] sal = read(tmp.resolve("saliency.f32"));
        assertClose(sal, res.methods().get(0).onModelGrid().data(), 1e-3, "tiled saliency");

        // Fully convolutional: away from the volume's border the blend equals one whole-volume pass up to the
        // tiles' own border effects, which the Gaussian weights keep small.
        float[] single = read(tmp.resolve("single.f32"));
        int n = NX * NY * NZ, agree = 0, count = 0;
        double maxLogit = 0, sumDiff = 0;
        for (float f : single) maxLogit = Math.max(maxLogit, Math.abs(f));
        for (int k = 12; k < NZ - 12; k++) {
            for (int j = 12; j < NY - 12; j++) {
                for (int i = 12; i < NX - 12; i++) {
                    int v = i + NX * (j + NY * k);
                    boolean a = java[n + v] > java[v], b = single[n + v] > single[v];
                    if (a == b) agree++;
                    sumDiff += Math.abs(java[n + v] - single[n + v]);
                    count++;
                }
            }
        }
        double meanDiff = sumDiff / count;
        System.out.printf("interior: label agreement %.5f, mean |dlogit| %.4g of max %.4g%n", (double) agree / count, meanDiff, maxLogit);
        assertTrue(agree >= 0.999 * count, "labels agree in the interior: " + agree + "/" + count);
        assertTrue(meanDiff < 0.02 * maxLogit, "mean logit difference " + meanDiff + " vs max " + maxLogit);

        // the map on the source grid is the source's geometry
        assertTrue(res.methods().get(0).onSource().geometry().sameGrid(source.geometry(), 1e-6));
    }

    /** Batching the tiles of single-pass methods (per-tile target masks in one batch) changes no result. */
    @Test
    void batchedTilesGiveTheSameMapsAsOneTileAtATime() {
        List<AttributionMethod> methods = List.of(new InputXGradient(), new GradCam(false, null));
        long before = model.passes();
        Explainer.Result one = new Explainer(model, new Tiling(0.25, 1)).explain(source, TargetSpec.DEFAULT, null, methods, 1, Progress.NONE);
        long onePasses = model.passes() - before;
        before = model.passes();
        Explainer.Result four = new Explainer(model, new Tiling(0.25, 4)).explain(source, TargetSpec.DEFAULT, null, methods, 1, Progress.NONE);
        long fourPasses = model.passes() - before;
        int explained = (Integer) ((Map<?, ?>) one.methods().get(0).attribution().diagnostics().get("sliding_window")).get("tiles_explained");
        assertTrue(explained > 4, "several tiles to batch: " + explained);
        // inference 18 vs 5 passes; per method `explained` single passes vs ceil(explained / 4)
        assertEquals(18 + 2L * explained, onePasses);
        assertEquals(5 + 2L * ((explained + 3) / 4), fourPasses);
        for (int i = 0; i < methods.size(); i++) {
            assertClose(one.methods().get(i).onModelGrid().data(), four.methods().get(i).onModelGrid().data(), 1e-4,
                methods.get(i).id() + " batched tiles");
            assertEquals(explained, ((Map<?, ?>) four.methods().get(i).attribution().diagnostics().get("sliding_window"))
                .get("tiles_explained"));
        }
    }

    static void write(Path p, float[] d) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(d.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(d);
        Files.write(p, b.array());
    }

    static float[] read(Path p) throws IOException {
        float[] d = new float[(int) (Files.size(p) / 4)];
        ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(d);
        return d;
    }

    static void assertClose(float[] expected, float[] actual, double relTol, String what) {
        assertEquals(expected.length, actual.length, what + " size");
        double max = 0, worst = 0;
        int at = -1;
        for (float f : expected) max = Math.max(max, Math.abs(f));
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        System.out.printf("%s: max |diff| %.3g of max %.3g%n", what, worst, max);
        assertTrue(worst <= relTol * max, what + ": max difference " + worst + " at " + at + " (max value " + max + ")");
    }
}
