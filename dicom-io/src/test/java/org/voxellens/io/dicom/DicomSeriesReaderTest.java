package org.voxellens.io.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.io.nifti.NiftiReader;
import org.voxellens.io.nifti.NiftiWriter;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/** Classic multi-file series built from a real MRI volume (nibabel's anatomical.nii) with {@link SeriesWriter}. */
class DicomSeriesReaderTest {

    /** dciodvfy judges the test series: required, checked first. */
    @org.junit.jupiter.api.BeforeAll
    static void requiredTools() {
        TestData.requireDciodvfy();
    }

    @TempDir
    Path tmp;

    /**
     * The real volume, rounded to integers (what an int16 series can hold exactly), on a right-handed grid (third
     * axis along row x column, as a DICOM stack sorted along its normal is): anatomical.nii's own grid is
     * left-handed, so its slices are reversed here, which leaves every voxel at its world position.
     */
    static Volume anatomical() throws IOException {
        return rightHanded(NiftiReader.read(TestData.nibabel("anatomical.nii")).volume());
    }

    static Volume rightHanded(Volume v) {
        Geometry g = v.geometry();
        double[] d = g.direction();
        double det = d[0] * (d[4] * d[8] - d[5] * d[7]) - d[1] * (d[3] * d[8] - d[5] * d[6])
            + d[2] * (d[3] * d[7] - d[4] * d[6]);
        int nx = g.nx(), ny = g.ny(), nz = g.nz();
        float[] out = new float[v.data().length];
        for (int k = 0; k < nz; k++) {
            int src = det < 0 ? nz - 1 - k : k;
            for (int n = 0; n < nx * ny; n++) out[k * nx * ny + n] = Math.round(v.data()[src * nx * ny + n]);
        }
        if (det > 0) return v.withData(out);
        Geometry rh = Geometry.of(g.dims(), g.spacing(), g.voxelToWorld(0, 0, nz - 1),
            new double[] {d[0], d[1], -d[2], d[3], d[4], -d[5], d[6], d[7], -d[8]});
        return new Volume(rh, out);
    }

    /** The same voxels on an oblique grid (rotated 25 degrees about a skew axis, anisotropic spacing). */
    static Volume oblique(Volume v) {
        double[] axis = {1 / Math.sqrt(14), 2 / Math.sqrt(14), 3 / Math.sqrt(14)};
        double a = Math.toRadians(25), c = Math.cos(a), s = Math.sin(a), t = 1 - c;
        double x = axis[0], y = axis[1], z = axis[2];
        double[] r = {
            t * x * x + c, t * x * y - s * z, t * x * z + s * y,
            t * x * y + s * z, t * y * y + c, t * y * z - s * x,
            t * x * z - s * y, t * y * z + s * x, t * z * z + c};
        Geometry g = Geometry.of(v.geometry().dims(), new double[] {0.9, 1.1, 2.5}, new double[] {-40.25, 61.5, -12.125}, r);
        return new Volume(g, v.data());
    }

    static void assertSameGeometry(Geometry expected, Geometry actual) {
        assertArrayEquals(expected.dims(), actual.dims());
        int[] d = expected.dims();
        for (int[] corner : new int[][] {{0, 0, 0}, {d[0] - 1, 0, 0}, {0, d[1] - 1, 0}, {0, 0, d[2] - 1},
            {d[0] - 1, d[1] - 1, d[2] - 1}}) {
            assertArrayEquals(expected.voxelToWorld(corner[0], corner[1], corner[2]),
                actual.voxelToWorld(corner[0], corner[1], corner[2]), 1e-4, "corner " + java.util.Arrays.toString(corner));
        }
        assertArrayEquals(expected.spacing(), actual.spacing(), 1e-6);
        assertArrayEquals(expected.direction(), actual.direction(), 1e-6);
    }

    static void assertNoPatientData(String text) {
        if (text == null) return;
        assertFalse(text.contains("Secretname"), text);
        assertFalse(text.contains(SeriesWriter.PATIENT_ID), text);
        assertFalse(text.contains(SeriesWriter.BIRTH_DATE), text);
    }

    @Test
    void axisAlignedSeriesRoundTripsGeometryAndValues() throws Exception {
        Volume v = anatomical();
        SeriesWriter w = new SeriesWriter();
        List<Path> files = w.write(v, tmp.resolve("s"));
        assertEquals(List.of(), TestData.dciodvfyErrors(files.get(0)), "dciodvfy errors in the test series");
        DicomVolume dv = DicomSeriesReader.read(tmp.resolve("s"));
        assertSameGeometry(v.geometry(), dv.volume().geometry());
        assertArrayEquals(w.expected(v), dv.volume().data());
        assertEquals(w.sopInstanceUids, dv.sopInstanceUids());
        assertEquals(w.seriesUid, dv.seriesInstanceUid());
        assertEquals(w.studyUid, dv.studyInstanceUid());
        assertEquals(w.frameOfReferenceUid, dv.frameOfReferenceUid());
        assertEquals("CT", dv.modality());
        assertEquals("T1 test", dv.seriesDescription());
        assertFalse(dv.inverted());
        assertTrue(dv.warnings().isEmpty(), dv.warnings().toString());
        assertNotNull(dv.sourceAttributes().get(com.pixelmed.dicom.TagFromName.PatientID), "patient module kept for writers");
        assertNull(dv.sourceAttributes().get(com.pixelmed.dicom.TagFromName.PixelData));
        assertNoPatientData(dv.toString());
        assertNoPatientData(dv.displayName());
    }

    @Test
    void obliqueSeriesRoundTripsGeometryAndValues() throws Exception {
        Volume v = oblique(anatomical());
        SeriesWriter w = new SeriesWriter();
        w.slope = 1.5;
        w.intercept = -1024;
        w.write(v, tmp.resolve("s"));
        DicomVolume dv = DicomSeriesReader.read(tmp.resolve("s"));
        assertSameGeometry(v.geometry(), dv.volume().geometry());
        assertArrayEquals(w.expected(v), dv.volume().data());
    }

    @Test
    void fileNamesAndInstanceNumbersInRandomOrderDoNotMatter() throws Exception {
        Volume v = oblique(anatomical());
        SeriesWriter w = new SeriesWriter();
        w.shuffleNames = true;
        w.scrambleInstanceNumbers = true;
        w.write(v, tmp.resolve("s"));
        DicomVolume dv = DicomSeriesReader.read(tmp.resolve("s"));
        assertSameGeometry(v.geometry(), dv.volume().geometry());
        assertArrayEquals(w.expected(v), dv.volume().data());
        assertEquals(w.sopInstanceUids, dv.sopInstanceUids());
    }

    @Test
    void slicesRunningAgainstTheNormalAreNotFlippedSilently() throws Exception {
        // Left-handed grid: the third axis points along -(row x column). The reader sorts along the normal, so its
        // slice 0 is the source's last slice; every voxel must still sit at the same world position.
        Volume src = anatomical();
        Geometry g = src.geometry();
        double[] d = g.direction();
        double[] flipped = {d[0], d[1], -d[2], d[3], d[4], -d[5], d[6], d[7], -d[8]};
        Volume v = new Volume(Geometry.of(g.dims(), g.spacing(), g.origin(), flipped), src.data());
        new SeriesWriter().write(v, tmp.resolve("s"));
        Volume r = DicomSeriesReader.read(tmp.resolve("s")).volume();
        int nz = g.nz();
        for (int k = 0; k < nz; k++) {
            assertArrayEquals(v.geometry().voxelToWorld(3, 5, k), r.geometry().voxelToWorld(3, 5, nz - 1 - k), 1e-4);
            for (int j = 0; j < g.ny(); j++) {
                for (int i = 0; i < g.nx(); i++) assertEquals(v.get(i, j, k), r.get(i, j, nz - 1 - k));
            }
        }
        double[] n = SeriesGeometry.normal(new double[] {d[0], d[3], d[6], d[1], d[4], d[7]});
        double[] rd = r.geometry().direction();
        assertArrayEquals(n, new double[] {rd[2], rd[5], rd[8]}, 1e-9, "third axis = actual slice step = +normal");
    }

    @Test
    void aMissingSliceIsRefusedNamingTheGap() throws Exception {
        List<Path> files = new SeriesWriter().write(anatomical(), tmp.resolve("s"));
        Files.delete(files.get(10));
        DicomException e = assertThrows(DicomException.class, () -> DicomSeriesReader.read(tmp.resolve("s")));
        assertTrue(e.getMessage().contains("missing slice"), e.getMessage());
        assertTrue(e.getMessage().contains("IM0009.dcm") && e.getMessage().contains("IM0011.dcm"), e.getMessage());
        assertTrue(e.getMessage().contains("1 slice is missing"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertNoPatientData(e.getMessage());
    }

    @Test
    void unevenSpacingIsRefused() throws Exception {
        Volume v = anatomical();
        SeriesWriter w = new SeriesWriter();
        w.positions = new double[v.geometry().nz()][];
        for (int k = 0; k < w.positions.length; k++) {
            w.positions[k] = v.geometry().voxelToWorld(0, 0, k < 12 ? k : k + 0.3);
        }
        w.write(v, tmp.resolve("s"));
        DicomException e = assertThrows(DicomException.class, () -> DicomSeriesReader.read(tmp.resolve("s")));
        assertTrue(e.getMessage().contains("uneven slice spacing"), e.getMessage());
        assertTrue(e.getMessage().contains("IM0011.dcm and IM0012.dcm"), e.getMessage());
    }

    @Test
    void gantryTiltIsRefused() throws Exception {
        Volume v = anatomical();
        SeriesWriter w = new SeriesWriter();
        w.positions = new double[v.geometry().nz()][];
        double tan = Math.tan(Math.toRadians(15));
        double dz = v.geometry().spacing()[2];
        for (int k = 0; k < w.positions.length; k++) {
            double[] p = v.geometry().voxelToWorld(0, 0, k);
            double[] dir = v.geometry().direction(); // shift along the column direction, as a tilted gantry does
            for (int r = 0; r < 3; r++) p[r] += k * dz * tan * dir[r * 3 + 1];
            w.positions[k] = p;
        }
        w.write(v, tmp.resolve("s"));
        DicomException e = assertThrows(DicomException.class, () -> DicomSeriesReader.read(tmp.resolve("s")));
        assertTrue(e.getMessage().contains("gantry tilt"), e.getMessage());
        assertTrue(e.getMessage().contains("15.00 degrees"), e.getMessage());
    }

    @Test
    void mixedOrientationsAreRefused() throws Exception {
        Volume v = anatomical();
        SeriesWriter w = new SeriesWriter();
        w.orientations = new double[v.geometry().nz()][];
        for (int k = 0; k < w.orientations.length; k++) {
            w.orientations[k] = k == 4 ? new double[] {0, 1, 0, 0, 0, -1} : new double[] {1, 0, 0, 0, 1, 0};
        }
        w.write(v, tmp.resolve("s"));
        DicomException e = assertThrows(DicomException.class, () -> DicomSeriesReader.read(tmp.resolve("s")));
        assertTrue(e.getMessage().contains("mixed orientations") && e.getMessage().contains("IM0004.dcm"), e.getMessage());
    }

    @Test
    void monochrome1IsInvertedSoThatHigherIsBrighter() throws Exception {
        Volume v = anatomical();
        SeriesWriter w = new SeriesWriter();
        w.monochrome1 = true;
        w.write(v, tmp.resolve("s"));
        DicomVolume dv = DicomSeriesReader.read(tmp.resolve("s"));
        assertTrue(dv.inverted());
        float[] exp = w.expected(v);
        // signed 16-bit: stored s becomes -32768 + 32767 - s = -1 - s
        for (int n = 0; n < exp.length; n += 97) assertEquals(-1 - exp[n], dv.volume().data()[n]);
    }

    @Test
    void slopeAndInterceptAreAppliedPerSlice() throws Exception {
        Volume v = anatomical();
        SeriesWriter w = new SeriesWriter();
        w.slope = 2;
        w.intercept = -1000;
        w.write(v, tmp.resolve("s"));
        DicomVolume dv = DicomSeriesReader.read(tmp.resolve("s"));
        assertArrayEquals(w.expected(v), dv.volume().data());
        for (int n = 0; n < v.data().length; n += 101) assertEquals(v.data()[n], dv.volume().data()[n], 1.0001);
    }

    @Test
    void niftiWrittenFromTheSeriesLinesUpInWorldCoordinates() throws Exception {
        Volume v = oblique(anatomical());
        new SeriesWriter().write(v, tmp.resolve("s"));
        DicomVolume dv = DicomSeriesReader.read(tmp.resolve("s"));
        Path nii = tmp.resolve("out.nii.gz");
        NiftiWriter.write(dv.volume(), nii);
        Volume back = NiftiReader.read(nii).volume();
        assertSameGeometry(dv.volume().geometry(), back.geometry());
        assertArrayEquals(dv.volume().data(), back.data());
        // and the NIfTI stores RAS: its sform's first column is the LPS row direction with x and y negated
        double[] d = dv.volume().geometry().direction();
        double[] rasX = org.voxellens.io.nifti.RasLps.lpsToRas(new double[] {d[0], d[3], d[6]});
        assertEquals(-d[0], rasX[0], 0);
        assertEquals(-d[3], rasX[1], 0);
    }

    @Test
    void niftiToDicomToNiftiPutsEveryVoxelAtItsWorldPosition() throws Exception {
        // The file's own (left-handed) grid: the DICOM stack comes back slice-reversed, in the same place.
        Volume orig = NiftiReader.read(TestData.nibabel("anatomical.nii")).volume();
        new SeriesWriter().write(orig, tmp.resolve("s"));
        Volume back = DicomSeriesReader.read(tmp.resolve("s")).volume();
        Path out = tmp.resolve("back.nii");
        NiftiWriter.write(back, out);
        Volume nii = NiftiReader.read(out).volume();
        Geometry g = orig.geometry();
        for (int[] ijk : new int[][] {{0, 0, 0}, {g.nx() - 1, 0, 0}, {0, g.ny() - 1, 0}, {0, 0, g.nz() - 1},
            {g.nx() - 1, g.ny() - 1, g.nz() - 1}, {7, 11, 13}}) {
            double[] w = g.voxelToWorld(ijk[0], ijk[1], ijk[2]);
            double[] at = nii.geometry().worldToVoxel(w[0], w[1], w[2]);
            int i = (int) Math.round(at[0]), j = (int) Math.round(at[1]), k = (int) Math.round(at[2]);
            assertArrayEquals(new double[] {i, j, k}, at, 1e-4);
            assertEquals(Math.round(orig.get(ijk[0], ijk[1], ijk[2])), nii.get(i, j, k));
        }
        assertSameGeometry(rightHanded(orig).geometry(), nii.geometry());
    }

    @Test
    void realTwoSliceMrSeriesFromNibabel() throws Exception {
        Path dir = tmp.resolve("nb");
        Files.createDirectories(dir);
        // copied in reverse name order: sorting is by position, not by name
        Files.copy(TestData.nibabel("0.dcm"), dir.resolve("b.dcm"));
        Files.copy(TestData.nibabel("1.dcm"), dir.resolve("a.dcm"));
        DicomVolume dv = DicomSeriesReader.read(dir);
        Geometry g = dv.volume().geometry();
        assertArrayEquals(new int[] {256, 256, 2}, g.dims());
        assertEquals("b.dcm", dv.slices().get(0).file().getFileName().toString());
        assertArrayEquals(new double[] {-805.0, -825.019119, -75.097641}, g.origin(), 1e-6);
        assertEquals(3.0, g.spacing()[2], 1e-4);
        assertEquals("MR", dv.modality());
    }
}
