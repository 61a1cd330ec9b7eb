package org.voxellens.validation.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.voxellens.xai.attribution.Attribution;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.attribution.InputXGradient;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.attribution.Saliency;
import org.voxellens.xai.metrics.DeletionInsertion;
import org.voxellens.xai.metrics.Infidelity;
import org.voxellens.xai.metrics.Localisation;
import org.voxellens.xai.metrics.MapStats;
import org.voxellens.xai.metrics.PerturbationSource;
import org.voxellens.xai.metrics.RandomisationCheck;
import org.voxellens.xai.metrics.SensitivityMax;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.ClassLogitTarget;

/**
 * The metrics, run in Java through DJL on the demo classifier, against the same metrics written independently in
 * PyTorch/numpy/scipy (validation/python/make_metric_references.py) with the same fixed perturbations.
 *
 * <p>Tolerances: a model score or score difference within 1e-4 · max(1, |f(x)|); the products Σ I·Φ within 1e-4 of
 * the largest |Σ I·Φ| (the Java maps are the Java methods' own, equal to PyTorch's to ~1e-5 relative); infidelity
 * (a mean of squared differences of such numbers) and sensitivities within 2e-3 relative; curve areas as the curves;
 * model-free statistics on the stored maps (localisation, Spearman, SSIM) within 1e-6, exact for ranks and booleans.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricReferenceTest {

    static final String MODEL = "demo-classifier";
    static final Path FIXTURES = Path.of("src/test/resources/metric-reference", MODEL);
    static final Path MODELS = Path.of(System.getProperty("voxellens.test.models", "../models"));
    static final Path INPUT = Path.of(System.getProperty("voxellens.test.metricInput",
        "src/test/resources/reference/" + MODEL + "/input.f32"));
    static final double TOL = 1e-4;

    JsonObject manifest, expected;
    TorchModel model;
    Tensor x;
    ClassLogitTarget target;
    double fx;

    @BeforeAll
    void load() throws Exception {
        assertTrue(Files.isRegularFile(FIXTURES.resolve("manifest.json")), FIXTURES + " is missing: run "
            + "/usr/bin/python3 validation/python/make_metric_references.py once models/" + MODEL + " exists");
        manifest = JsonParser.parseString(Files.readString(FIXTURES.resolve("manifest.json"))).getAsJsonObject();
        expected = manifest.getAsJsonObject("expected");
        ModelPackage pkg = ModelPackage.open(MODELS.resolve(MODEL));
        assertEquals(manifest.get("model_sha256").getAsString(), pkg.weightsSha256(),
            "fixtures computed on this model file (after retraining, rerun validation/python/make_metric_references.py)");
        byte[] in = Files.readAllBytes(INPUT);
        assertEquals(manifest.get("input_sha256").getAsString(), sha256(in), "fixtures computed on this input");
        x = new Tensor(floats(in), new long[] {1, 1, 48, 48, 48});
        model = TorchModel.load(pkg, DeviceSpec.CPU);
        int t = manifest.get("target_class_index").getAsInt();
        target = new ClassLogitTarget(t, pkg.className(t));
        fx = expected.get("score_input").getAsDouble();
    }

    @AfterAll
    void close() {
        if (model != null) model.close();
    }

    ExplainContext ctx() { return new ExplainContext(model, x, target, 42, Progress.NONE); }

    double scoreTol() { return TOL * Math.max(1, Math.abs(fx)); }

    @Test
    void infidelityWithGaussianPerturbations() throws IOException {
        Tensor noise = array("noise_infidelity");
        int n = x.size();
        PerturbationSource src = (k, xd, out) -> {
            for (int i = 0; i < n; i++) out[i] = xd[i] - noise.data()[k * n + i];
        };
        checkInfidelity(src, (int) noise.dim(0), expected.getAsJsonObject("infidelity_gaussian"));
    }

    @Test
    void infidelityWithPatchPerturbations() {
        JsonObject p = manifest.getAsJsonObject("parameters").getAsJsonObject("infidelity");
        JsonArray corners = p.getAsJsonArray("patch_corners_zyx");
        int size = p.get("patch_size").getAsInt();
        float base = p.get("patch_baseline").getAsFloat();
        PerturbationSource src = (k, xd, out) -> {
            System.arraycopy(xd, 0, out, 0, xd.length);
            for (var c : corners.get(k).getAsJsonArray()) {
                JsonArray zyx = c.getAsJsonArray();
                PerturbationSource.fillCube(out, 1, new int[] {48, 48, 48},
                    new int[] {zyx.get(0).getAsInt(), zyx.get(1).getAsInt(), zyx.get(2).getAsInt()}, new int[] {size, size, size}, base);
            }
        };
        checkInfidelity(src, corners.size(), expected.getAsJsonObject("infidelity_patches"));
    }

    private void checkInfidelity(PerturbationSource src, int count, JsonObject exp) {
        for (AttributionMethod m : new AttributionMethod[] {new Saliency(), new InputXGradient()}) {
            JsonObject e = exp.getAsJsonObject(m.id());
            Infidelity.Result r = Infidelity.builder().perturbations(count).batchSize(3).perturbationSource(src).build()
                .evaluate(ctx(), m, m.explain(ctx()));
            assertEquals(m.id().equals("inputxgrad"), r.parameters().get("multiply_by_inputs"));
            assertEquals(fx, r.scoreInput(), scoreTol());
            double[] a = doubles(e.getAsJsonArray("attribution_dot_perturbation"));
            double[] d = doubles(e.getAsJsonArray("score_differences"));
            double aScale = 0;
            for (double v : a) aScale = Math.max(aScale, Math.abs(v));
            for (int k = 0; k < count; k++) {
                assertEquals(a[k], r.attributionDotPerturbation()[k], TOL * aScale, m.id() + " a_" + k);
                assertEquals(d[k], r.scoreDifferences()[k], scoreTol(), m.id() + " delta_" + k);
            }
            relClose(e.get("infidelity").getAsDouble(), r.infidelity(), 2e-3, m.id() + " infidelity");
            relClose(e.get("infidelity_normalised").getAsDouble(), r.infidelityNormalised(), 2e-3, m.id() + " normalised");
            relClose(e.get("beta").getAsDouble(), r.beta(), 2e-3, m.id() + " beta");
            assertEquals(count, r.cost().modelSamples() - 1);
        }
    }

    @Test
    void sensitivityMaxOfSaliencyAtTheSavedPoints() throws IOException {
        Tensor delta = array("sens_delta");
        int n = x.size();
        PerturbationSource src = (k, xd, out) -> {
            for (int i = 0; i < n; i++) out[i] = xd[i] + delta.data()[k * n + i];
        };
        AttributionMethod sal = new Saliency();
        SensitivityMax.Result r = SensitivityMax.builder().samples((int) delta.dim(0)).perturbationSource(src).build()
            .evaluate(ctx(), sal, sal.explain(ctx()));
        JsonObject e = expected.getAsJsonObject("sensitivity_saliency");
        double[] s = doubles(e.getAsJsonArray("sensitivities"));
        for (int k = 0; k < s.length; k++) relClose(s[k], r.sensitivities()[k], 2e-3, "sensitivity " + k);
        relClose(e.get("sensitivity_max").getAsDouble(), r.sensitivityMax(), 2e-3, "sensitivity max");
        relClose(e.get("map_norm").getAsDouble(), r.mapNorm(), TOL, "map norm");
        assertEquals(s.length, r.cost().methodEvaluations());
    }

    @Test
    void deletionAndInsertionCurvesOfTheSavedMap() throws IOException {
        JsonObject p = manifest.getAsJsonObject("parameters").getAsJsonObject("deletion_insertion");
        DeletionInsertion.Result r = DeletionInsertion.builder().steps(p.get("steps").getAsInt())
            .ranking(DeletionInsertion.Ranking.ABSOLUTE).baselineValue(p.get("baseline").getAsFloat()).batchSize(4).build()
            .curves(ctx(), array("grad").data());
        JsonObject e = expected.getAsJsonObject("deletion_insertion_saliency");
        double[] del = doubles(e.getAsJsonArray("deletion")), ins = doubles(e.getAsJsonArray("insertion"));
        assertEquals(del.length, r.deletion().length);
        for (int k = 0; k < del.length; k++) {
            assertEquals(del[k], r.deletion()[k], scoreTol(), "deletion " + k);
            assertEquals(ins[k], r.insertion()[k], scoreTol(), "insertion " + k);
        }
        assertEquals(e.get("deletion_auc").getAsDouble(), r.deletionAuc(), scoreTol());
        assertEquals(e.get("insertion_auc").getAsDouble(), r.insertionAuc(), scoreTol());
    }

    @Test
    void localisationOfTheSavedMapAgainstTheLesion() throws IOException {
        JsonObject p = manifest.getAsJsonObject("parameters").getAsJsonObject("localisation");
        float[] map = array("grad").data(), mask = array("lesion_mask").data();
        int[] dims = {48, 48, 48};
        for (Localisation.Relevance rel : Localisation.Relevance.values()) {
            JsonObject e = expected.getAsJsonObject(rel == Localisation.Relevance.ABSOLUTE ? "localisation_absolute" : "localisation_positive");
            Localisation.Builder b = Localisation.builder().relevance(rel).topFraction(p.get("top_fraction").getAsDouble());
            Localisation.Result r = b.build().score(map, mask, dims);
            String w = rel.name();
            assertEquals(e.get("relevance_mass_accuracy").getAsDouble(), r.relevanceMassAccuracy(), 1e-6, w);
            assertEquals(e.get("relevance_rank_accuracy").getAsDouble(), r.relevanceRankAccuracy(), 1e-12, w);
            assertEquals(e.get("pointing_game_hit").getAsBoolean(), r.pointingGameHit(), w);
            assertEquals(e.get("peak_voxel").getAsInt(), r.peakVoxel(), w);
            assertEquals(e.get("auroc").getAsDouble(), r.auroc(), 1e-9, w);
            assertEquals(e.get("top_k_iou").getAsDouble(), r.topKIou(), 1e-12, w);
            assertEquals(e.get("top_k_voxels").getAsInt(), r.topVoxels(), w);
            assertEquals(e.get("mask_voxels").getAsInt(), r.maskVoxels(), w);
            Localisation.Result t = b.pointingTolerance(p.get("pointing_tolerance").getAsDouble()).build().score(map, mask, dims);
            assertEquals(e.get("pointing_game_hit_tolerance").getAsBoolean(), t.pointingGameHit(), w + " with tolerance");
        }
    }

    @Test
    void spearmanAndSsimOfTwoSavedMaps() throws IOException {
        float[] g = array("grad").data();
        float[] ixg = new float[g.length];
        for (int i = 0; i < g.length; i++) ixg[i] = x.data()[i] * g[i];
        float[] a = MapStats.absNormalised(g), b = MapStats.absNormalised(ixg);
        JsonObject e = expected.getAsJsonObject("map_statistics");
        assertEquals(e.get("spearman").getAsDouble(), MapStats.spearman(a, b), 1e-9);
        assertEquals(e.get("ssim").getAsDouble(), MapStats.ssim3d(a, b, new int[] {48, 48, 48}, 7, 1.0), 1e-6);
    }

    @Test
    void randomisationOfTheDemoClassifierRestoresItsWeights() {
        Tensor before = model.forward(x);
        AttributionMethod sal = new Saliency();
        RandomisationCheck.Result r = RandomisationCheck.builder().build().evaluate(ctx(), sal, sal.explain(ctx()));
        assertTrue(r.weightsRestored());
        assertEquals(before, model.forward(x), "bit-identical logits after the check");
        assertEquals(java.util.List.of("block1", "block2", "block3", "block4", "fc"), r.layers());
        assertEquals(5, r.cascading().size());
        System.out.println("randomisation, saliency: " + r.values() + " " + r.cost());
    }

    private Tensor array(String key) throws IOException {
        JsonObject a = manifest.getAsJsonObject("arrays").getAsJsonObject(key);
        JsonArray s = a.getAsJsonArray("shape");
        long[] shape = new long[s.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = s.get(i).getAsLong();
        byte[] bytes = Files.readAllBytes(FIXTURES.resolve(a.get("file").getAsString()));
        if ("uint8".equals(a.get("dtype").getAsString())) {
            float[] v = new float[bytes.length];
            for (int i = 0; i < v.length; i++) v[i] = bytes[i] & 0xff;
            return new Tensor(v, shape);
        }
        return new Tensor(floats(bytes), shape);
    }

    private static float[] floats(byte[] bytes) {
        float[] v = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    private static double[] doubles(JsonArray a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).getAsDouble();
        return v;
    }

    private static void relClose(double expected, double actual, double rel, String what) {
        assertEquals(expected, actual, rel * Math.abs(expected) + 1e-12, what);
    }

    private static String sha256(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
