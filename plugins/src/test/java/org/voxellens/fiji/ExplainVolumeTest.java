package org.voxellens.fiji;

import org.voxellens.testing.Dciodvfy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.Macro;
import ij.WindowManager;
import ij.macro.Interpreter;
import ij.process.ShortProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.io.VolumeReader;
import org.voxellens.io.nifti.NiftiReader;
import org.voxellens.volumetric.Volume;

/** The plugins with a real ImageJ 1 (headless), the bundled sample and the bundled demo classifier. */
class ExplainVolumeTest {

    static final Path HOME = Path.of("..").toAbsolutePath().normalize();
    static final Path SAMPLE = HOME.resolve("samples/demo-brain.nii.gz");
    static final Path MASK = HOME.resolve("samples/demo-brain_lesion-mask.nii.gz");
    static final Path CLASSIFIER = HOME.resolve("models/demo-classifier");

    @TempDir
    Path tmp;

    /** Runs a plugin the way a macro's run("...", options) does: on a "Run$_" thread with its options set. */
    static <T extends ij.plugin.PlugIn> T runAsMacro(T plugin, ImagePlus current, String options) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                Macro.setOptions(options);
                if (current != null) WindowManager.setTempCurrentImage(current);
                plugin.run("");
            } catch (Throwable e) {
                thrown.set(e);
            } finally {
                Macro.setOptions(null);
            }
        }, "Run$_test");
        t.start();
        t.join(120_000);
        if (thrown.get() != null) throw new AssertionError(thrown.get());
        return plugin;
    }

    @Test
    @Timeout(120)
    void recordedMacroOptionsRunExplainVolumeAndTheMapPeaksInTheLesion() throws Exception {
        Interpreter.batchMode = true;
        ImagePlus imp = OpenMedicalVolume.open(SAMPLE.toString(), null);
        String options = "model=[" + CLASSIFIER + "] target=lesion saliency gradcam samples=4 steps=8 lut=Fire "
            + "opacity=0.50 threshold=0.20 device=cpu";
        ExplainVolume plugin = runAsMacro(new ExplainVolume(), imp, options);
        assertNull(plugin.error(), plugin.error());
        List<ImagePlus> results = plugin.results();
        assertEquals(2, results.size());
        // one image per method, in the dialog's (the command line's) method order
        assertEquals(imp.getTitle() + " - gradcam", results.get(0).getTitle());
        assertEquals(imp.getTitle() + " - saliency", results.get(1).getTitle());
        assertEquals("saliency", results.get(1).getProp("voxellens.method"));

        Volume mask = VolumeReader.read(MASK, null).volume();
        for (ImagePlus out : results) {
            assertTrue(out instanceof CompositeImage, "anatomy + map composite");
            assertEquals(2, out.getNChannels());
            assertEquals(imp.getNSlices(), out.getNSlices());
            assertEquals(VolumeImages.geometryOf(imp), VolumeImages.geometryOf(out), "geometry kept on the output");
            assertEquals(imp.getCalibration().pixelDepth, out.getCalibration().pixelDepth, 1e-12);
            // channel 1 is the anatomy unchanged
            assertEquals(imp.getStack().getProcessor(20).getf(30, 30), out.getStack().getProcessor(out.getStackIndex(1, 20, 1)).getf(30, 30));
            // the heat-map channel peaks inside (saliency) or near (Grad-CAM, 12 mm cells) the lesion
            int[] peak = peak(out);
            if (out.getTitle().endsWith("saliency")) {
                assertTrue(mask.get(peak[0], peak[1], peak[2]) > 0, "saliency peak outside the lesion at " + java.util.Arrays.toString(peak));
            } else {
                assertTrue(distanceToMask(mask, peak) < 20, "Grad-CAM peak far from the lesion");
            }
            String lutName = ((CompositeImage) out).getChannelLut(2).toString();
            assertNotNull(lutName);
            assertTrue(((CompositeImage) out).getChannelLut(2).min > 0, "values under the threshold draw no colour");
        }
    }

    @Test
    @Timeout(120)
    void segmentationTargetWithAMaskImageAsRoiAndThePredictedLabels() throws Exception {
        Interpreter.batchMode = true;
        ImagePlus mask = OpenMedicalVolume.open(MASK.toString(), null);
        mask.show(); // an open image: the ROI choice lists it by title
        ImagePlus imp = OpenMedicalVolume.open(SAMPLE.toString(), null);
        String options = "model=[" + HOME.resolve("models/demo-segmenter") + "] target=lesion region=predicted roi=["
            + mask.getTitle() + "] saliency samples=4 steps=8 lut=Viridis opacity=0.50 threshold=0.20 device=cpu";
        ExplainVolume plugin = runAsMacro(new ExplainVolume(), imp, options);
        assertNull(plugin.error(), plugin.error());
        List<ImagePlus> results = plugin.results();
        assertEquals(2, results.size(), "the map and the predicted labels");
        assertTrue(results.get(0).getProp("voxellens.target").contains("over the ROI ("), results.get(0).getProp("voxellens.target"));
        ImagePlus labels = results.get(1);
        assertEquals("labels", labels.getProp("voxellens.kind"));
        assertEquals("background,lesion", labels.getProp("voxellens.classes"));
        Volume lab = VolumeImages.toVolume(labels), gt = VolumeReader.read(MASK, null).volume();
        assertTrue(lab.geometry().sameGrid(gt.geometry(), 1e-3), "labels on the input grid");
        long both = 0, predicted = 0;
        for (int i = 0; i < gt.data().length; i++) {
            if (lab.data()[i] == 1) predicted++;
            if (lab.data()[i] == 1 && gt.data()[i] > 0) both++;
        }
        assertTrue(predicted > 0 && both > 0.5 * predicted, "the segmenter finds the lesion: " + both + "/" + predicted);
        int[] peak = peak(results.get(0));
        assertTrue(distanceToMask(gt, peak) < 10, "ROI-targeted saliency peaks at the lesion");
        ExplanationImage e = ExplanationImage.of(results.get(0)).orElseThrow();
        assertEquals("saliency", e.method());
        assertEquals("viridis", e.render().colorMap().name().toLowerCase(java.util.Locale.ROOT));
        assertTrue(ExplanationImage.of(labels).orElseThrow().isLabels());

        // Export Results on both: the labels as NIfTI and DICOM SEG, the map as NIfTI and Parametric Map
        Path out = tmp.resolve("export");
        List<Path> files = ExportResults.export(List.of(e, ExplanationImage.of(labels).orElseThrow()),
            new ExportResults.Formats(true, false, true, false), out);
        assertEquals(List.of("saliency-pm.dcm", "saliency-sc", "saliency.nii.gz", "segmentation-seg.dcm", "segmentation.nii.gz"),
            files.stream().map(f -> f.getFileName().toString()).sorted().toList());
        assertEquals(1, lab.max(), 0);
        assertTrue(java.util.Arrays.equals(lab.data(), NiftiReader.read(out.resolve("segmentation.nii.gz")).volume().data()));
        for (String dcm : List.of("segmentation-seg.dcm", "saliency-pm.dcm", "saliency-sc/SC0040.dcm")) {
            Dciodvfy.assertValid(out.resolve(dcm));
        }
    }

    @Test
    void theCurrentSelectionIsTheRoiOnEverySlice() throws Exception {
        ImagePlus imp = OpenMedicalVolume.open(SAMPLE.toString(), null);
        ExplainParameters p = new ExplainParameters();
        p.roi = ExplainParameters.ROI_SELECTION;
        IllegalArgumentException none = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> ExplainVolume.roiVolume(imp, p));
        assertTrue(none.getMessage().contains("no area selection"), none.getMessage());
        ij.gui.OvalRoi oval = new ij.gui.OvalRoi(60, 45, 12, 10);
        imp.setRoi(oval);
        Volume roi = ExplainVolume.roiVolume(imp, p);
        assertEquals(VolumeImages.geometryOf(imp), roi.geometry());
        int inOval = oval.getMask().getStatistics().pixelCount - countZeros(oval.getMask());
        double sum = 0;
        for (float f : roi.data()) sum += f;
        assertEquals((double) inOval * imp.getNSlices(), sum, 0);
        assertEquals(1f, roi.get(66, 50, 0));
        assertEquals(1f, roi.get(66, 50, imp.getNSlices() - 1));
        assertEquals(0f, roi.get(59, 50, 10));
        assertEquals("roi", p.targetSpec().region().name().toLowerCase(java.util.Locale.ROOT));
    }

    private static int countZeros(ij.process.ImageProcessor ip) {
        int n = 0;
        for (int i = 0; i < ip.getPixelCount(); i++) if (ip.get(i) == 0) n++;
        return n;
    }

    @Test
    void anImageWithoutGeometryOrCalibrationIsRefused() throws Exception {
        Interpreter.batchMode = true;
        ImagePlus plain = new ImagePlus("photo", new ShortProcessor(16, 16));
        ExplainVolume plugin = runAsMacro(new ExplainVolume(), plain, "model=[" + CLASSIFIER + "] saliency");
        assertNotNull(plugin.error());
        assertTrue(plugin.error().contains("Open Medical Volume"), plugin.error());
        assertTrue(plugin.results().isEmpty());
    }

    @Test
    @Timeout(120)
    void staticMacroEntryPointWritesWhatTheCommandLineWrites() throws Exception {
        Path out = tmp.resolve("fiji out");
        String status = ExplainVolume.runMacro(SAMPLE.toString(), CLASSIFIER.toString(), "saliency", "lesion", out.toString());
        assertTrue(status.startsWith("OK "), status);
        Volume input = NiftiReader.read(SAMPLE).volume();
        Volume map = NiftiReader.read(out.resolve("saliency.nii.gz")).volume();
        assertTrue(input.geometry().sameGrid(map.geometry(), 1e-3));
        assertTrue(Files.isRegularFile(out.resolve("summary.json")));
        int[] pk = org.voxellens.volumetric.render.HeatMapRenderer.peakVoxel(map);
        Volume mask = NiftiReader.read(MASK).volume();
        assertTrue(mask.get(pk[0], pk[1], pk[2]) > 0, "peak in the lesion");

        String bad = ExplainVolume.runMacro(SAMPLE.toString(), CLASSIFIER.toString(), "lrp", "", tmp.resolve("x").toString());
        assertTrue(bad.startsWith("ERROR: ") && bad.contains("lrp"), bad);
        assertFalse(Files.exists(tmp.resolve("x").resolve("summary.json")));
    }

    private static int[] peak(ImagePlus out) {
        int best = -1, bx = 0, by = 0, bz = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int z = 1; z <= out.getNSlices(); z++) {
            float[] px = (float[]) out.getStack().getProcessor(out.getStackIndex(2, z, 1)).getPixels();
            for (int i = 0; i < px.length; i++) {
                if (Math.abs(px[i]) > max) {
                    max = Math.abs(px[i]);
                    bx = i % out.getWidth();
                    by = i / out.getWidth();
                    bz = z - 1;
                    best = i;
                }
            }
        }
        assertTrue(best >= 0 && max > 0, "map is not empty");
        return new int[] {bx, by, bz};
    }

    private static double distanceToMask(Volume mask, int[] p) {
        var g = mask.geometry();
        double[] w = g.voxelToWorld(p[0], p[1], p[2]);
        double best = Double.MAX_VALUE;
        for (int z = 0; z < g.nz(); z++) {
            for (int y = 0; y < g.ny(); y++) {
                for (int x = 0; x < g.nx(); x++) {
                    if (mask.get(x, y, z) > 0) {
                        double[] m = g.voxelToWorld(x, y, z);
                        best = Math.min(best, Math.sqrt(Math.pow(m[0] - w[0], 2) + Math.pow(m[1] - w[1], 2) + Math.pow(m[2] - w[2], 2)));
                    }
                }
            }
        }
        return best;
    }
}
