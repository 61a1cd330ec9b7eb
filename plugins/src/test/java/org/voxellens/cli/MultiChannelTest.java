package org.voxellens.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.io.nifti.NiftiReader;

/**
 * A model with two input channels (t1, flair), given as two volumes or as one 4D NIfTI. The model
 * ({@code two_channel_model.py}, Debian's torch) is the demo segmenter on channel 0 with channel 1 ignored, so the
 * right answer is known: every map equals the one-channel demo segmenter's on the first volume, and the flair
 * channel's own map is exactly zero.
 */
public class MultiChannelTest {

    static final String METHODS = "saliency,inputxgrad,ig,gradcam";

    @TempDir
    static Path tmp;
    static Path model;
    static Path oneChannelOut;

    @BeforeAll
    static void buildModelAndReference() throws Exception {
        TorchFixtures.build(MultiChannelTest.class, "two_channel_model.py", tmp, 300);
        model = tmp.resolve("two-channel");
        oneChannelOut = tmp.resolve("one-channel");
        ExplainCommandTest.Run r = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            ExplainCommandTest.SEGMENTER.toString(), "--method", METHODS, "--ig-steps", "8", "--out", oneChannelOut.toString(),
            "--threads", "2");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void twoVolumesInChannelOrderGiveTheOneChannelModelsMapsAndAZeroMapForTheIgnoredChannel() throws Exception {
        Path out = tmp.resolve("two-inputs");
        ExplainCommandTest.Run r = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(),
            "--input", ExplainCommandTest.HOME.resolve("samples/demo-brain-normal.nii.gz").toString(), "--model", model.toString(),
            "--method", METHODS, "--ig-steps", "8", "--out", out.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 channels (t1, flair) from demo-brain.nii.gz, demo-brain-normal.nii.gz"), r.out());
        for (String m : METHODS.split(",")) {
            float[] two = NiftiReader.read(out.resolve(m + ".nii.gz")).volume().data();
            float[] one = NiftiReader.read(oneChannelOut.resolve(m + ".nii.gz")).volume().data();
            assertClose(one, two, m + ": the same map as the one-channel model on t1");
            if (m.equals("gradcam")) {
                assertFalse(Files.exists(out.resolve("gradcam_t1.nii.gz")), "Grad-CAM sees a layer, not the input channels");
                continue;
            }
            float[] t1 = NiftiReader.read(out.resolve(m + "_t1.nii.gz")).volume().data();
            float[] flair = NiftiReader.read(out.resolve(m + "_flair.nii.gz")).volume().data();
            assertClose(one, t1, m + ": the t1 channel's map");
            for (float f : flair) assertEquals(0f, f, 0f, m + ": the model ignores flair, so its map is exactly zero");
        }
        JsonObject s = JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
        assertTrue(s.getAsJsonObject("input").getAsJsonArray("more_channels").get(0).getAsString().endsWith("demo-brain-normal.nii.gz"));

        // the same two volumes in one 4D NIfTI: the same maps
        Path four = tmp.resolve("four-d");
        ExplainCommandTest.Run f = ExplainCommandTest.cli("explain", "--input", tmp.resolve("two-volumes.nii.gz").toString(),
            "--model", model.toString(), "--method", "saliency,ig", "--ig-steps", "8", "--out", four.toString(), "--threads", "2");
        assertEquals(0, f.code(), f.err());
        assertTrue(f.out().contains("2 channels (t1, flair) from two-volumes.nii.gz (4D)"), f.out());
        for (String m : new String[] {"saliency", "ig", "ig_t1"}) {
            assertClose(NiftiReader.read(out.resolve(m + ".nii.gz")).volume().data(),
                NiftiReader.read(four.resolve(m + ".nii.gz")).volume().data(), m + " from the 4D NIfTI");
        }
    }

    @Test
    void slidingWindowModelsTakeSeveralChannelsToo() throws Exception {
        float[][] maps = new float[3][];
        String[] models = {"one-channel-sw", "two-channel-sw"};
        for (int i = 0; i < 2; i++) {
            Path out = tmp.resolve("sw-" + i);
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("explain", "--input",
                ExplainCommandTest.SAMPLE.toString(), "--model", tmp.resolve(models[i]).toString(), "--method", "saliency",
                "--out", out.toString(), "--threads", "2"));
            if (i == 1) args.addAll(java.util.List.of("--input", ExplainCommandTest.HOME.resolve("samples/demo-brain-normal.nii.gz").toString()));
            ExplainCommandTest.Run r = ExplainCommandTest.cli(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("Tiles  "), r.out());
            maps[i] = NiftiReader.read(out.resolve("saliency.nii.gz")).volume().data();
            if (i == 1) maps[2] = NiftiReader.read(out.resolve("saliency_t1.nii.gz")).volume().data();
        }
        assertClose(maps[0], maps[1], "sliding window, two channels vs one");
        assertClose(maps[0], maps[2], "sliding window, the t1 channel's own map");
    }

    @Test
    void aModelOnMonaiStyleXyzTensorsIsFedInItsOwnAxisOrder() throws Exception {
        // axes bcxyz: VoxelLens permutes at the model's boundary; the model permutes back, so the maps are the demo's
        Path out = tmp.resolve("xyz-out");
        ExplainCommandTest.Run r = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            tmp.resolve("xyz-demo").toString(), "--method", METHODS, "--ig-steps", "8", "--out", out.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        for (String m : METHODS.split(",")) {
            assertClose(NiftiReader.read(oneChannelOut.resolve(m + ".nii.gz")).volume().data(),
                NiftiReader.read(out.resolve(m + ".nii.gz")).volume().data(), m + " through bcxyz");
        }
        assertClose(NiftiReader.read(oneChannelOut.resolve("segmentation.nii.gz")).volume().data(),
            NiftiReader.read(out.resolve("segmentation.nii.gz")).volume().data(), "segmentation through bcxyz");
    }

    @Test
    void aModelGivenTooFewChannelsSaysHowManyAndWhich() {
        ExplainCommandTest.Run r = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            model.toString(), "--method", "saliency", "--out", tmp.resolve("too-few").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("expects 2 input channels (t1, flair); this NIfTI holds 1 volume"), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("voxellens: error:")).count(), r.err());
    }

    /** Equal to float rounding: both runs do the same arithmetic, up to the engine's summation order. */
    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double max = 0, diff = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(max > 0 && diff <= 1e-4 * max, what + ": max difference " + diff + " of max " + max);
    }
}
