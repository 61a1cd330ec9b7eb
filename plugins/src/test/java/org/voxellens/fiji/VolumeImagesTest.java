package org.voxellens.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.io.FileSaver;
import ij.io.Opener;
import ij.measure.Calibration;
import ij.process.ShortProcessor;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

class VolumeImagesTest {

    @TempDir
    Path tmp;

    static Volume oblique() {
        double c = Math.cos(0.3), s = Math.sin(0.3);
        // rotated about S, and the slice axis pointing inferior
        Geometry g = Geometry.of(new int[] {7, 5, 4}, new double[] {0.8, 0.9, 2.5}, new double[] {-12.25, 30.5, 101.0},
            new double[] {c, -s, 0, s, c, 0, 0, 0, -1});
        float[] d = new float[7 * 5 * 4];
        for (int i = 0; i < d.length; i++) d[i] = i * 0.5f - 3;
        return new Volume(g, d);
    }

    @Test
    void roundTripKeepsObliqueGeometryVoxelsAndCalibration() {
        Volume v = oblique();
        ImagePlus imp = VolumeImages.toImagePlus(v, "oblique");
        assertEquals(32, imp.getBitDepth());
        assertEquals(7, imp.getWidth());
        assertEquals(5, imp.getHeight());
        assertEquals(4, imp.getNSlices());
        Calibration cal = imp.getCalibration();
        assertEquals("mm", cal.getUnit());
        assertEquals(0.8, cal.pixelWidth, 1e-12);
        assertEquals(0.9, cal.pixelHeight, 1e-12);
        assertEquals(2.5, cal.pixelDepth, 1e-12);
        assertEquals(12.25 / 0.8, cal.xOrigin, 1e-9);
        assertEquals(-30.5 / 0.9, cal.yOrigin, 1e-9);
        assertEquals(-101.0 / 2.5, cal.zOrigin, 1e-9);
        assertTrue(imp.getInfoProperty().contains(VolumeImages.INFO_PREFIX));
        // pixel (2, 3) of slice 3 is voxel (2, 3, 2)
        assertEquals(v.get(2, 3, 2), imp.getStack().getProcessor(3).getf(2, 3));

        Volume back = VolumeImages.toVolume(imp);
        assertEquals(v.geometry(), back.geometry(), "exact geometry, oblique direction included");
        assertArrayEquals(v.data(), back.data());
    }

    @Test
    void geometrySurvivesTheInfoLineAloneAndATiffSaveAndOpen() {
        Volume v = oblique();
        ImagePlus imp = VolumeImages.toImagePlus(v, "oblique");
        // only the Info line, as after a duplicate that dropped object properties
        ImagePlus infoOnly = new ImagePlus("copy", imp.getStack());
        infoOnly.setProperty("Info", imp.getInfoProperty());
        assertEquals(v.geometry(), VolumeImages.geometryOf(infoOnly));

        Path tif = tmp.resolve("oblique.tif");
        assertTrue(new FileSaver(imp).saveAsTiff(tif.toString()));
        ImagePlus reopened = new Opener().openImage(tif.toString());
        assertEquals(v.geometry(), VolumeImages.geometryOf(reopened), "geometry kept through a TIFF file");
        assertArrayEquals(v.data(), VolumeImages.toVolume(reopened).data());
    }

    @Test
    void calibratedImagesAreTakenAsAxisAlignedAndOthersRefused() {
        ImagePlus plain = new ImagePlus("plain", new ShortProcessor(6, 4));
        assertThrows(IllegalArgumentException.class, () -> VolumeImages.geometryOf(plain));
        Calibration c = new Calibration();
        c.pixelWidth = 0.5;
        c.pixelHeight = 0.5;
        c.pixelDepth = 0.2;
        c.setUnit("cm");
        c.xOrigin = 2;
        plain.setCalibration(c);
        Geometry g = VolumeImages.geometryOf(plain);
        assertArrayEquals(new double[] {5, 5, 2}, g.spacing(), 1e-12);
        assertArrayEquals(new double[] {-10, 0, 0}, g.origin(), 1e-12);
        assertArrayEquals(new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, g.direction());
    }

    @Test
    void dialogFieldsReadFromRecordedMacroOptions() {
        ExplainParameters p = new ExplainParameters();
        DialogValues d = DialogValues.fromOptions("model=[/models/my model] target=lesion gradcampp smoothgrad_sq ig "
            + "samples=5 steps=7 lut=jet opacity=0.30 threshold=0.10 device=cpu");
        p.addTo(d);
        p.read(d);
        assertEquals(Path.of("/models/my model"), p.model);
        assertEquals("lesion", p.target);
        assertEquals(java.util.List.of("gradcampp", "smoothgrad_sq", "ig"), java.util.List.copyOf(p.methods));
        assertEquals(5, p.samples);
        assertEquals(7, p.igSteps);
        assertEquals("Jet", p.lut);
        assertEquals(0.3, p.opacity, 1e-12);
        assertEquals("cpu", p.device);
        assertEquals(3, p.attributionMethods().size());
        DialogValues bad = DialogValues.fromOptions("model=/m saliency lut=rainbow");
        ExplainParameters q = new ExplainParameters();
        q.addTo(bad);
        assertThrows(IllegalArgumentException.class, () -> q.read(bad));
    }
}
