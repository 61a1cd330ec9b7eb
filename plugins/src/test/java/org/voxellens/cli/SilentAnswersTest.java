package org.voxellens.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.io.nifti.NiftiReader;
import org.voxellens.volumetric.Interpolation;
import org.voxellens.volumetric.Resampler;
import org.voxellens.volumetric.Volume;

/**
 * Answers that used to be silently wrong on users' models, each on a model trained (or built) by Debian's torch in
 * {@code one_output_models.py} with a known right answer:
 * <ul>
 *   <li>a one-output sigmoid segmenter and a one-logit classifier (binary cross-entropy heads on the demo networks'
 *       features): before, the one channel was read as a softmax over one class, so every voxel was "lesion" and
 *       segmentation.nii.gz all 0, and every volume p(lesion) = 1;</li>
 *   <li>a parameterised input shape (min 16, step 16): before, the model saw its 16³ minimum;</li>
 *   <li>a TorchScript size mismatch: before, only "The following operation failed in the TorchScript interpreter.";</li>
 *   <li>Integrated Gradients 90+ % incomplete on an InstanceNorm network: before, only a number in summary.json.</li>
 * </ul>
 */
public class SilentAnswersTest {

    @TempDir
    static Path tmp;
    static JsonObject measured;

    @BeforeAll
    static void trainOneOutputModels() throws Exception {
        TorchFixtures.build(SilentAnswersTest.class, "one_output_models.py", tmp, 600);
        measured = JsonParser.parseString(Files.readString(tmp.resolve("measured.json"))).getAsJsonObject();
    }

    @Test
    void theOneOutputModelsTrainedAsWellAsTheTwoOutputDemoModels() {
        // PyTorch's own numbers on 40 held-out phantoms: the models are right, so VoxelLens must be too
        double d1 = measured.get("segmenter_dice_one_output").getAsDouble();
        double d2 = measured.get("segmenter_dice_two_output").getAsDouble();
        assertTrue(d1 > 0.88 && d1 > d2 - 0.02, "one-output Dice " + d1 + " vs two-output " + d2);
        assertEquals(measured.get("classifier_accuracy_two_output").getAsDouble(),
            measured.get("classifier_accuracy_one_output").getAsDouble(), 0.026, "one-logit vs two-logit accuracy");
    }

    @Test
    void aOneChannelSegmenterIsReadAsASigmoidAndSegmentsTheLesion() throws IOException {
        Path out = tmp.resolve("seg1-out");
        ExplainCommandTest.Run r = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            tmp.resolve("seg1").toString(), "--method", "saliency", "--out", out.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("output read as sigmoid, one output channel"), r.out());
        Volume seg = NiftiReader.read(out.resolve("segmentation.nii.gz")).volume();
        Volume truth = NiftiReader.read(ExplainCommandTest.MASK).volume();
        double dice = dice(seg, truth);

        // the two-output demo segmenter on the same input, scored the same way (on the sample's own grid)
        Path demoOut = tmp.resolve("seg2-out");
        ExplainCommandTest.Run d = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            ExplainCommandTest.SEGMENTER.toString(), "--method", "saliency", "--out", demoOut.toString(), "--threads", "2");
        assertEquals(0, d.code(), d.err());
        Volume seg2 = NiftiReader.read(demoOut.resolve("segmentation.nii.gz")).volume();
        double demoDice = dice(seg2, truth);
        assertTrue(dice > 0.75 && dice > demoDice - 0.05, "Dice on the sample " + dice + ", two-output demo " + demoDice);
        double agree = dice(seg, seg2);
        assertTrue(agree > 0.85, "agreement with the two-output model " + agree);

        JsonObject s = summary(out);
        JsonObject counts = s.getAsJsonObject("prediction").getAsJsonObject("model_grid_voxel_counts");
        long lesion = counts.get("lesion").getAsLong();
        assertTrue(lesion > 20 && lesion < 200, "lesion voxels on the 48³ grid: " + lesion + " (not all 110592)");
        assertEquals(48L * 48 * 48, lesion + counts.get("background").getAsLong());
        assertEquals(lesion, s.getAsJsonObject("target").get("mask_voxels").getAsLong(), "the target is the predicted lesion");
    }

    @Test
    void aOneChannelSegmenterFindsNothingOnANormalBrain() throws IOException {
        Path normal = ExplainCommandTest.HOME.resolve("samples/demo-brain-normal.nii.gz");
        ExplainCommandTest.Run r = ExplainCommandTest.cli("explain", "--input", normal.toString(), "--model",
            tmp.resolve("seg1").toString(), "--method", "saliency", "--out", tmp.resolve("normal-default").toString());
        assertEquals(1, r.code(), "nothing to explain in the predicted mask: " + r.out());
        assertTrue(r.err().contains("predicts no voxel of class 'lesion'"), r.err());
        Path out = tmp.resolve("normal-channel");
        ExplainCommandTest.Run c = ExplainCommandTest.cli("explain", "--input", normal.toString(), "--model",
            tmp.resolve("seg1").toString(), "--method", "saliency", "--region", "channel", "--out", out.toString());
        assertEquals(0, c.code(), c.err());
        double n = 0;
        for (float v : NiftiReader.read(out.resolve("segmentation.nii.gz")).volume().data()) n += v;
        assertTrue(n < 5, "voxels segmented on the normal brain: " + n);
    }

    @Test
    void aOneLogitClassifierReportsTheSigmoidProbabilityAndExplainsEitherClass() throws IOException {
        JsonObject ref = measured.getAsJsonObject("classifier_p_lesion_samples");
        for (String sample : new String[] {"demo-brain.nii.gz", "demo-brain-normal.nii.gz"}) {
            Path out = tmp.resolve("clf1-" + sample);
            ExplainCommandTest.Run r = ExplainCommandTest.cli("explain", "--input",
                ExplainCommandTest.HOME.resolve("samples/" + sample).toString(), "--model", tmp.resolve("clf1").toString(),
                "--method", "saliency", "--out", out.toString(), "--threads", "2");
            assertEquals(0, r.code(), r.err());
            JsonObject p = summary(out).getAsJsonObject("prediction");
            double pLesion = p.getAsJsonObject("probabilities").get("lesion").getAsDouble();
            double pNormal = p.getAsJsonObject("probabilities").get("normal").getAsDouble();
            double expected = ref.get(sample).getAsDouble();
            assertEquals(expected, pLesion, 0.02, sample + ": p(lesion) against PyTorch's sigmoid of the same model");
            assertEquals(1.0, pLesion + pNormal, 1e-9);
            String predicted = expected > 0.5 ? "lesion" : "normal";
            assertEquals(predicted, p.get("predicted_class").getAsString(), sample);
            // the default target is the predicted class; "normal" of a one-logit model is minus its logit
            JsonObject target = summary(out).getAsJsonObject("target");
            assertEquals(predicted, target.get("class_name").getAsString());
            assertEquals(predicted.equals("normal"), target.has("negated") && target.get("negated").getAsBoolean(), sample);
        }
        assertTrue(ref.get("demo-brain-normal.nii.gz").getAsDouble() < 0.05, "the model is right on the normal brain: " + ref);
    }

    @Test
    void aModelThatAppliesItsOwnSigmoidIsWarnedAboutUntilItSaysSoAndThenSegmentsTheLesion() throws IOException {
        // its outputs are probabilities: read as logits (p > 0.5 where the value > 0) every voxel would be lesion
        ExplainCommandTest.Run r = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            tmp.resolve("seg1-prob").toString(), "--method", "saliency", "--region", "channel", "--out", tmp.resolve("prob-out").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Warning output: every output value lies in [") && r.out().contains("output_activation: probability"),
            r.out());
        Path out = tmp.resolve("prob-declared-out");
        ExplainCommandTest.Run d = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            tmp.resolve("seg1-prob-declared").toString(), "--method", "saliency", "--out", out.toString());
        assertEquals(0, d.code(), d.err());
        assertFalse(d.out().contains("Warning output"), d.out());
        assertTrue(d.out().contains("probabilities (the model's own sigmoid), one output channel"), d.out());
        double dice = lesionDice(out);
        assertTrue(dice > 0.75, "Dice " + dice);
    }

    @Test
    void aParameterisedInputShapeIsChosenFromTheVolumeNotItsMinimum() throws IOException {
        Path out = tmp.resolve("param-out");
        ExplainCommandTest.Run r = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            tmp.resolve("seg1-parameterised").toString(), "--method", "saliency", "--out", out.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        // the sample covers 144 mm on every axis; at the model's 3 mm that is 48 voxels, a size the model takes (16 + 16k)
        assertTrue(r.out().contains("Grid   model input 48×48×48 voxels, chosen for this volume"), r.out());
        assertTrue(r.out().contains("Tiles  1 of 48×48×48 voxels"), r.out());
        double dice = lesionDice(out);
        assertTrue(dice > 0.75, "Dice " + dice + " (at the 16³ minimum the model saw 1/27 of the head per tile)");
        JsonObject m = summary(out).getAsJsonObject("model");
        assertEquals("16+16k×16+16k×16+16k", m.get("input_sizes_xyz").getAsString());
    }

    @Test
    void aBioimageIo05DescriptionAsTheSpecWritesThemRunsEndToEnd() throws IOException {
        // the one-output segmenter described in 0.5: axes objects (x without an id), sizes {min, step} and the voxel
        // size in mm, ensure_dtype steps, output sizes referencing the input, a sigmoid postprocessing, channel names
        Path pkg = tmp.resolve("seg1-v05");
        Files.createDirectories(pkg);
        Files.copy(tmp.resolve("seg1/model.pt"), pkg.resolve("model.pt"));
        Files.writeString(pkg.resolve("rdf.yaml"), String.join("\n",
            "format_version: 0.5.4", "type: model", "name: seg1 v0.5", "description: one-output segmenter",
            "authors: [{name: VoxelLens tests}]", "license: MIT",
            "inputs:", "  - id: raw", "    axes:", "      - type: batch", "      - {type: channel, channel_names: [t1]}",
            "      - {type: space, id: z, size: {min: 16, step: 16}, unit: millimeter, scale: 3.0}",
            "      - {type: space, id: y, size: {min: 16, step: 16}, unit: millimeter, scale: 3.0}",
            "      - {type: space, size: {min: 16, step: 16}, unit: millimeter, scale: 3.0}",
            "    preprocessing:", "      - {id: ensure_dtype, kwargs: {dtype: float32}}",
            "      - {id: zero_mean_unit_variance, kwargs: {axes: [z, y, x]}}", "      - {id: ensure_dtype, kwargs: {dtype: float32}}",
            "outputs:", "  - id: lesion", "    axes:", "      - type: batch", "      - {type: channel, channel_names: [lesion]}",
            "      - {type: space, id: z, size: {tensor_id: raw, axis_id: z}}",
            "      - {type: space, id: y, size: {tensor_id: raw, axis_id: y}}",
            "      - {type: space, size: {tensor_id: raw, axis_id: x}}",
            "    postprocessing:", "      - id: sigmoid",
            "weights:", "  torchscript: {source: model.pt, pytorch_version: '1.13'}", ""));
        Path out = tmp.resolve("v05-out");
        ExplainCommandTest.Run r = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            pkg.toString(), "--method", "saliency", "--out", out.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Grid   model input 48×48×48 voxels"), r.out());
        assertTrue(r.out().contains("Target sum of class 'lesion' logits over its predicted mask"), r.out());
        double dice = lesionDice(out);
        assertTrue(dice > 0.75, "Dice " + dice);
    }

    @Test
    void aTorchScriptFailureShowsItsCauseAndDebugShowsTheWholeTraceback() {
        String[] args = {"explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model", tmp.resolve("seg-badsize").toString(),
            "--method", "saliency", "--out", tmp.resolve("badsize-out").toString()};
        ExplainCommandTest.Run r = ExplainCommandTest.cli(args);
        assertNotEquals(0, r.code());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        // 50 -> 25 -> 12 by pooling, 12 -> 24 by the up-convolution: the skip connection at 25 does not fit
        assertTrue(r.err().contains("Sizes of tensors must match") && r.err().contains("Expected size"), r.err());
        assertTrue(r.err().contains("--debug shows the engine's whole message"), r.err());
        assertFalse(tmp.resolve("badsize-out").toFile().exists(), "nothing written");

        String[] withDebug = java.util.Arrays.copyOf(args, args.length + 1);
        withDebug[args.length] = "--debug";
        try {
            ExplainCommandTest.Run d = ExplainCommandTest.cli(withDebug);
            assertNotEquals(0, d.code());
            assertTrue(d.err().contains("Traceback of TorchScript"), d.err());
        } finally {
            System.clearProperty("voxellens.debug");
        }
    }

    @Test
    void anIncompleteIntegratedGradientsMapIsWarnedAboutAndMarkedUnreliable() throws IOException {
        Path out = tmp.resolve("ig-out");
        ExplainCommandTest.Run r = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            tmp.resolve("instnorm").toString(), "--method", "ig,saliency", "--ig-steps", "8", "--region", "channel",
            "--out", out.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        JsonObject ig = method(summary(out), "ig");
        double rel = ig.getAsJsonObject("diagnostics").get("completeness_error_rel").getAsDouble();
        assertTrue(rel > 0.05, "the InstanceNorm network makes IG incomplete: " + rel);
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("Warning ig: Integrated Gradients is") && l.contains("incomplete")), r.out());
        assertEquals("unreliable", ig.getAsJsonObject("verdict").get("level").getAsString());
        assertEquals("not checked", method(summary(out), "saliency").getAsJsonObject("verdict").get("level").getAsString());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("class=\"verdict unreliable\">Verdict: unreliable<br>Integrated Gradients is"), "report shows it next to the map");

        // the demo segmenter's IG is complete: no warning, and the check counts as passed
        Path ok = tmp.resolve("ig-demo");
        ExplainCommandTest.Run d = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            ExplainCommandTest.SEGMENTER.toString(), "--method", "ig", "--ig-steps", "32", "--out", ok.toString(), "--threads", "2");
        assertEquals(0, d.code(), d.err());
        JsonObject demoIg = method(summary(ok), "ig");
        assertTrue(demoIg.getAsJsonObject("diagnostics").get("completeness_error_rel").getAsDouble() < 0.05, demoIg.toString());
        assertFalse(d.out().contains("Warning"), d.out());
        assertEquals("no problem found", demoIg.getAsJsonObject("verdict").get("level").getAsString());
    }

    @Test
    void gradCamOnAModelWithoutProbeMethodsSaysHowToAddThem() throws IOException {
        // a plain TorchScript (seg1 has no forward_probe_* methods), with no layers declared, then with one declared
        Path declared = tmp.resolve("seg1-declared");
        Files.createDirectories(declared);
        Files.copy(tmp.resolve("seg1/model.pt"), declared.resolve("model.pt"));
        JsonObject rdf = JsonParser.parseString(Files.readString(tmp.resolve("seg1/rdf.yaml"))).getAsJsonObject();
        JsonObject layer = new JsonObject();
        layer.addProperty("name", "decoder1");
        com.google.gson.JsonArray layers = new com.google.gson.JsonArray();
        layers.add(layer);
        rdf.getAsJsonObject("config").getAsJsonObject("voxellens").add("gradcam_layers", layers);
        Files.writeString(declared.resolve("rdf.yaml"), rdf.toString());
        for (Path model : new Path[] {tmp.resolve("seg1"), declared}) {
            ExplainCommandTest.Run r = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
                model.toString(), "--method", "gradcam", "--out", tmp.resolve("gc-" + model.getFileName()).toString());
            assertEquals(1, r.code(), r.out());
            assertEquals(1, r.err().lines().filter(l -> l.startsWith("voxellens: error:")).count(), r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
            assertTrue(r.err().contains("add layers with: voxellens package --python PY --module net.py:ClassName"), r.err());
        }
    }

    private static JsonObject method(JsonObject summary, String id) {
        return summary.getAsJsonArray("methods").asList().stream().map(e -> e.getAsJsonObject())
            .filter(o -> o.get("id").getAsString().equals(id)).findFirst().orElseThrow();
    }

    private static JsonObject summary(Path out) throws IOException {
        return JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    }

    /** Dice of a run's segmentation.nii.gz against the bundled sample's lesion mask. */
    private static double lesionDice(Path out) throws IOException {
        return dice(NiftiReader.read(out.resolve("segmentation.nii.gz")).volume(), NiftiReader.read(ExplainCommandTest.MASK).volume());
    }

    /** Dice of two label volumes (any non-zero = foreground), b resampled onto a's grid by nearest neighbour. */
    static double dice(Volume a, Volume b) {
        float[] x = a.data();
        float[] y = Resampler.resample(b, a.geometry(), Interpolation.NEAREST, 0f).data();
        double both = 0, sum = 0;
        for (int i = 0; i < x.length; i++) {
            boolean p = x[i] != 0, q = y[i] != 0;
            if (p && q) both++;
            if (p) sum++;
            if (q) sum++;
        }
        return sum == 0 ? 0 : 2 * both / sum;
    }
}
