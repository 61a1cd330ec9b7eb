package org.voxellens.io.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.TagFromName;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.io.dicom.out.DicomResultWriter;
import org.voxellens.io.dicom.out.ImageSeriesWriter;
import org.voxellens.io.dicom.out.SourceStudy;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/**
 * NIfTI-like volumes (oblique, anisotropic, right- and left-handed grids) written by {@link ImageSeriesWriter},
 * read back by {@link DicomSeriesReader}: every voxel at the same world position, values within half a rescale
 * step (integers exactly), dciodvfy without errors.
 */
class ImageSeriesWriterTest {

    /** dciodvfy judges every object written: required, checked first. */
    @org.junit.jupiter.api.BeforeAll
    static void requiredTools() {
        TestData.requireDciodvfy();
    }

    @TempDir
    Path tmp;

    /** A rotation about a skew axis (25 degrees) as direction columns; {@code leftHanded} negates the third. */
    static double[] obliqueDirection(boolean leftHanded) {
        double[] axis = {1 / Math.sqrt(14), 2 / Math.sqrt(14), 3 / Math.sqrt(14)};
        double a = Math.toRadians(25), c = Math.cos(a), s = Math.sin(a), t = 1 - c;
        double x = axis[0], y = axis[1], z = axis[2];
        double[] r = {
            t * x * x + c, t * x * y - s * z, t * x * z + s * y,
            t * x * y + s * z, t * y * y + c, t * y * z - s * x,
            t * x * z - s * y, t * y * z + s * x, t * z * z + c,
        };
        if (leftHanded) {
            r[2] = -r[2];
            r[5] = -r[5];
            r[8] = -r[8];
        }
        return r;
    }

    static Geometry grid(boolean leftHanded) {
        return Geometry.of(new int[] {7, 5, 6}, new double[] {0.9375, 1.25, 3.3}, new double[] {-41.5, 17.25, 63.125},
            obliqueDirection(leftHanded));
    }

    static Volume floats(Geometry g, long seed) {
        Random r = new Random(seed);
        float[] d = new float[(int) g.voxelCount()];
        for (int n = 0; n < d.length; n++) d[n] = (float) (-3.7 + r.nextDouble() * 1238.2);
        return new Volume(g, d);
    }

    static Volume integers(Geometry g, int lo, int hi, long seed) {
        Random r = new Random(seed);
        float[] d = new float[(int) g.voxelCount()];
        for (int n = 0; n < d.length; n++) d[n] = lo + r.nextInt(hi - lo + 1);
        d[0] = lo;
        d[1] = hi;
        return new Volume(g, d);
    }

    static AttributeList read(Path f) throws Exception {
        AttributeList l = new AttributeList();
        l.read(f.toString());
        return l;
    }

    static String str(AttributeList l, AttributeTag t) {
        return Attribute.getSingleStringValueOrEmptyString(l, t);
    }

    private DicomResultWriter.Written write(ImageSeriesWriter w, Volume v, Path out) throws IOException {
        return w.write(v, SourceStudy.synthetic(v.geometry(), null), out);
    }

    @Test
    void obliqueAnisotropicFloatsComeBackOnTheSameGridWithinHalfAStep() throws Exception {
        Volume v = floats(grid(false), 1);
        ImageSeriesWriter w = ImageSeriesWriter.builder().build();
        Path out = tmp.resolve("series");
        DicomResultWriter.Written written = write(w, v, out);
        assertEquals(6, written.files().size());
        DicomVolume back = DicomSeriesReader.read(out);
        assertTrue(v.geometry().sameGrid(back.volume().geometry(), 1e-4),
            v.geometry() + " vs " + back.volume().geometry());
        double half = w.rescaleFor(v).slope() / 2;
        assertTrue(half < 0.01, "slope " + 2 * half);
        float[] a = v.data(), b = back.volume().data();
        for (int n = 0; n < a.length; n++) {
            assertEquals(a[n], b[n], half + 1e-4, "voxel " + n);
        }
        assertEquals(written.seriesInstanceUid(), back.seriesInstanceUid());
        assertEquals(written.sopInstanceUids(), back.sopInstanceUids());
        AttributeList first = read(written.files().get(0));
        assertEquals(SOPClass.MRImageStorage, str(first, TagFromName.SOPClassUID));
        assertEquals("MR", str(first, TagFromName.Modality));
        assertEquals(SourceStudy.SYNTHETIC_PATIENT_NAME, str(first, TagFromName.PatientName));
        assertEquals("RM", str(first, new AttributeTag(0x0018, 0x0020)));
        for (int k = 0; k < written.files().size(); k++) {
            assertEquals(Integer.toString(k + 1), str(read(written.files().get(k)), TagFromName.InstanceNumber));
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(out), s.toList(), "no staging folder left");
        }
    }

    @Test
    void integerVolumesAreExactAsCt() throws Exception {
        Volume v = integers(grid(false), -1024, 3071, 2);
        ImageSeriesWriter w = ImageSeriesWriter.builder().modality("CT").build();
        assertEquals(ImageSeriesWriter.Rescale.IDENTITY, w.rescaleFor(v));
        Path out = tmp.resolve("ct");
        DicomResultWriter.Written written = write(w, v, out);
        DicomVolume back = DicomSeriesReader.read(out);
        assertTrue(v.geometry().sameGrid(back.volume().geometry(), 1e-4));
        assertArrayEquals(v.data(), back.volume().data());
        AttributeList first = read(written.files().get(0));
        assertEquals(SOPClass.CTImageStorage, str(first, TagFromName.SOPClassUID));
        assertEquals("1", str(first, TagFromName.RescaleSlope));
        assertEquals("0", str(first, TagFromName.RescaleIntercept));
    }

    @Test
    void integersBeyondInt16AreScaledWithinHalfAStep() throws Exception {
        Volume v = integers(grid(false), -70000, 250000, 3);
        ImageSeriesWriter w = ImageSeriesWriter.builder().build();
        double half = w.rescaleFor(v).slope() / 2;
        Path out = tmp.resolve("big");
        write(w, v, out);
        float[] a = v.data(), b = DicomSeriesReader.read(out).volume().data();
        for (int n = 0; n < a.length; n++) assertEquals(a[n], b[n], half + 0.02, "voxel " + n);
    }

    @Test
    void constantNonIntegerVolumeIsExact() throws Exception {
        Geometry g = grid(false);
        float[] d = new float[(int) g.voxelCount()];
        java.util.Arrays.fill(d, 0.25f);
        Path out = tmp.resolve("const");
        write(ImageSeriesWriter.builder().build(), new Volume(g, d), out);
        assertArrayEquals(d, DicomSeriesReader.read(out).volume().data());
    }

    @Test
    void leftHandedGridComesBackSliceReversedAtTheSameWorldPositions() throws Exception {
        Volume v = floats(grid(true), 4);
        ImageSeriesWriter w = ImageSeriesWriter.builder().build();
        Path out = tmp.resolve("lh");
        write(w, v, out);
        Volume back = DicomSeriesReader.read(out).volume();
        Geometry g = v.geometry(), h = back.geometry();
        assertArrayEquals(g.dims(), h.dims());
        double half = w.rescaleFor(v).slope() / 2;
        int nz = g.nz();
        for (int k = 0; k < nz; k++) {
            for (int j = 0; j < g.ny(); j++) {
                for (int i = 0; i < g.nx(); i++) {
                    assertArrayEquals(g.voxelToWorld(i, j, k), h.voxelToWorld(i, j, nz - 1 - k), 1e-4,
                        "voxel " + i + "," + j + "," + k);
                    assertEquals(v.get(i, j, k), back.get(i, j, nz - 1 - k), half + 1e-4);
                }
            }
        }
    }

    @Test
    void dciodvfyFindsNoErrorsInMrOrCt() throws Exception {
        Volume v = floats(grid(false), 5);
        for (String m : List.of("MR", "CT")) {
            Path out = tmp.resolve(m);
            DicomResultWriter.Written w = write(ImageSeriesWriter.builder().modality(m).build(), v, out);
            assertEquals(List.of(), TestData.dciodvfyErrors(w.files().get(2)), "dciodvfy errors in " + m);
        }
    }

    @Test
    void nanIsRefusedNamingTheOutputAndNothingIsLeft() throws Exception {
        Volume v = floats(grid(false), 6);
        v.data()[37] = Float.NaN;
        Path out = tmp.resolve("nan-series");
        DicomException e = assertThrows(DicomException.class,
            () -> write(ImageSeriesWriter.builder().build(), v, out));
        assertTrue(e.getMessage().contains(out.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        assertFalse(Files.exists(out));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList());
        }
    }

    @Test
    void aFailureHalfwayLeavesNothingBehind() throws Exception {
        Volume v = integers(grid(false), 0, 1000, 7);
        v.data()[v.data().length - 1] = 100000; // last slice does not fit the fixed rescale
        Path out = tmp.resolve("half");
        DicomException e = assertThrows(DicomException.class,
            () -> write(ImageSeriesWriter.builder().rescale(1, 0).build(), v, out));
        assertTrue(e.getMessage().contains(out.toString()), e.getMessage());
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList());
        }
    }

    @Test
    void writesIntoAnEmptyFolderButNeverIntoAFullOne() throws Exception {
        Volume v = integers(grid(false), 0, 100, 8);
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        write(ImageSeriesWriter.builder().build(), v, empty);
        assertEquals(6, DicomSeriesReader.read(empty).volume().geometry().nz());
        DicomException e = assertThrows(DicomException.class,
            () -> write(ImageSeriesWriter.builder().build(), v, empty));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageSeriesWriter.builder().modality("PT"));
    }

    @Test
    void deterministicUidsRepeat() throws Exception {
        Volume v = integers(grid(false), 0, 100, 9);
        SourceStudy study = SourceStudy.synthetic(v.geometry(), "seed");
        LocalDateTime t = LocalDateTime.of(2024, 5, 6, 7, 8, 9);
        DicomResultWriter.Written a = ImageSeriesWriter.builder().deterministicUids("x").contentDateTime(t).build()
            .write(v, study, tmp.resolve("a"));
        DicomResultWriter.Written b = ImageSeriesWriter.builder().deterministicUids("x").contentDateTime(t).build()
            .write(v, study, tmp.resolve("b"));
        DicomResultWriter.Written c = ImageSeriesWriter.builder().build().write(v, study, tmp.resolve("c"));
        assertEquals(a.seriesInstanceUid(), b.seriesInstanceUid());
        assertEquals(a.sopInstanceUids(), b.sopInstanceUids());
        assertNotEquals(a.seriesInstanceUid(), c.seriesInstanceUid());
        assertEquals(study.studyInstanceUid(), DicomSeriesReader.read(tmp.resolve("a")).studyInstanceUid());
    }
}
