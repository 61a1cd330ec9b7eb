package org.voxellens.io.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.io.dicom.out.DicomResultWriter;
import org.voxellens.io.dicom.out.DicomUids;
import org.voxellens.io.dicom.out.SourceStudy;
import org.voxellens.io.nifti.NiftiReader;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;
import org.voxellens.volumetric.render.ColorMap;
import org.voxellens.volumetric.render.RenderOptions;
import org.voxellens.volumetric.render.VoxelOverlay;

/**
 * Results written as DICOM into the source study (Parametric Map, Secondary Capture, SEG), validated with
 * dciodvfy and read back. The source is a classic CT series made from a real MRI volume (nibabel's
 * anatomical.nii) by {@link SeriesWriter}, on an oblique grid so that no axis-aligned shortcut can hide.
 */
class DicomResultWriterTest {

    /** dciodvfy judges every object written: required, checked first. */
    @org.junit.jupiter.api.BeforeAll
    static void requiredTools() {
        TestData.requireDciodvfy();
    }

    @TempDir
    Path tmp;

    SeriesWriter sw;
    DicomVolume source;

    @BeforeEach
    void source() throws Exception {
        sw = new SeriesWriter();
        sw.write(DicomSeriesReaderTest.oblique(DicomSeriesReaderTest.anatomical()), tmp.resolve("src"));
        source = DicomSeriesReader.read(tmp.resolve("src"));
    }

    /** A float map with values no integer type holds: signed, fractional, tiny and large. */
    static Volume attribution(Geometry g) {
        float[] d = new float[(int) g.voxelCount()];
        for (int n = 0; n < d.length; n++) {
            d[n] = (float) (Math.sin(n * 0.013) * Math.exp((n % 97) / 20.0) / 3.0);
        }
        d[5] = 1e-30f;
        d[6] = -3.4e30f;
        return new Volume(g, d);
    }

    static DicomResultWriter writer(String seed) {
        return DicomResultWriter.builder().model("demo-classifier", "1.0").target("lesion")
            .deterministicUids(seed).contentDateTime(LocalDateTime.of(2025, 1, 2, 3, 4, 5)).build();
    }

    static AttributeList read(Path f) throws Exception {
        AttributeList l = new AttributeList();
        l.read(f.toFile());
        return l;
    }

    static String str(AttributeList l, AttributeTag t) {
        return Attribute.getSingleStringValueOrEmptyString(l, t);
    }

    static AttributeList item(AttributeList l, AttributeTag seq, int i) {
        return ((SequenceAttribute) l.get(seq)).getItem(i).getAttributeList();
    }

    /** dciodvfy must report no error; warnings are allowed. */
    static void assertValid(Path f) throws Exception {
        assertEquals(List.of(), TestData.dciodvfyErrors(f), "dciodvfy errors in " + f.getFileName());
    }

    /** Same study and patient, same frame of reference, a new series: what every result must be. */
    void assertInSourceStudy(AttributeList l) {
        assertEquals(sw.studyUid, str(l, TagFromName.StudyInstanceUID));
        assertEquals(sw.frameOfReferenceUid, str(l, TagFromName.FrameOfReferenceUID));
        assertEquals(SeriesWriter.PATIENT_NAME, str(l, TagFromName.PatientName));
        assertEquals(SeriesWriter.PATIENT_ID, str(l, TagFromName.PatientID));
        assertEquals(SeriesWriter.BIRTH_DATE, str(l, TagFromName.PatientBirthDate));
        assertEquals("F", str(l, TagFromName.PatientSex));
        assertEquals("20240101", str(l, TagFromName.StudyDate));
        assertEquals("1", str(l, TagFromName.StudyID));
        assertNotEquals(sw.seriesUid, str(l, TagFromName.SeriesInstanceUID));
        assertTrue(str(l, TagFromName.SeriesInstanceUID).startsWith("2.25."));
        assertTrue(str(l, TagFromName.SOPInstanceUID).startsWith("2.25."));
        assertEquals("VoxelLens", str(l, TagFromName.Manufacturer));
        assertFalse(str(l, TagFromName.SoftwareVersions).isEmpty());
        assertEquals("20250102", str(l, TagFromName.ContentDate));
        String desc = str(l, TagFromName.SeriesDescription);
        assertTrue(desc.length() <= 64 && desc.contains("demo-classifier") && desc.contains("lesion"), desc);
        AttributeList ref = item(l, TagFromName.ReferencedSeriesSequence, 0);
        assertEquals(sw.seriesUid, str(ref, TagFromName.SeriesInstanceUID));
        Set<String> referenced = new HashSet<>();
        SequenceAttribute inst = (SequenceAttribute) ref.get(TagFromName.ReferencedInstanceSequence);
        for (int i = 0; i < inst.getNumberOfItems(); i++) {
            referenced.add(str(inst.getItem(i).getAttributeList(), TagFromName.ReferencedSOPInstanceUID));
        }
        assertEquals(new HashSet<>(sw.sopInstanceUids), referenced);
    }

    @Test
    void parametricMapIsValidAndReadsBackOnTheSourceGridWithExactFloats() throws Exception {
        Volume map = attribution(source.volume().geometry());
        Path out = tmp.resolve("out/gradcam.dcm");
        DicomResultWriter.Written w = writer(null).writeParametricMap(source, map, "gradcam", out);
        assertEquals(List.of(out), w.files());
        assertValid(out);

        AttributeList l = read(out);
        assertEquals("1.2.840.10008.5.1.4.1.1.30", str(l, TagFromName.SOPClassUID));
        assertInSourceStudy(l);
        assertEquals(w.seriesInstanceUid(), str(l, TagFromName.SeriesInstanceUID));
        assertEquals("GRADCAM", str(l, TagFromName.ContentLabel));
        AttributeList rwvm = item(item(l, TagFromName.SharedFunctionalGroupsSequence, 0),
            TagFromName.RealWorldValueMappingSequence, 0);
        assertEquals(1.0, Attribute.getSingleDoubleValueOrDefault(rwvm, TagFromName.RealWorldValueSlope, 0), 0);
        assertEquals(0.0, Attribute.getSingleDoubleValueOrDefault(rwvm, TagFromName.RealWorldValueIntercept, 1), 0);
        assertEquals("UCUM", str(item(rwvm, TagFromName.MeasurementUnitsCodeSequence, 0),
            TagFromName.CodingSchemeDesignator));
        // frame k derives from source slice k
        int nz = map.geometry().nz();
        assertEquals(nz, Attribute.getSingleIntegerValueOrDefault(l, TagFromName.NumberOfFrames, 0));
        for (int k = 0; k < nz; k++) {
            AttributeList frame = item(l, TagFromName.PerFrameFunctionalGroupsSequence, k);
            AttributeList src = item(item(frame, TagFromName.DerivationImageSequence, 0),
                TagFromName.SourceImageSequence, 0);
            assertEquals(source.sopInstanceUids().get(k), str(src, TagFromName.ReferencedSOPInstanceUID));
        }

        DicomVolume back = DicomSeriesReader.read(out);
        DicomSeriesReaderTest.assertSameGeometry(map.geometry(), back.volume().geometry());
        assertArrayEquals(map.data(), back.volume().data());
        assertEquals(sw.studyUid, back.studyInstanceUid());
        assertEquals(sw.frameOfReferenceUid, back.frameOfReferenceUid());
        assertEquals("CT", back.modality());
    }

    @Test
    void deterministicUidsRepeatForTheSameJobAndDifferOtherwise() throws Exception {
        Volume map = attribution(source.volume().geometry());
        String seed = "sha256:0123abcd|gradcam|lesion";
        DicomResultWriter.Written a = writer(seed).writeParametricMap(source, map, "gradcam", tmp.resolve("a.dcm"));
        DicomResultWriter.Written b = writer(seed).writeParametricMap(source, map, "gradcam", tmp.resolve("b.dcm"));
        DicomResultWriter.Written c = writer(seed).writeParametricMap(source, map, "saliency", tmp.resolve("c.dcm"));
        DicomResultWriter.Written r1 = writer(null).writeParametricMap(source, map, "gradcam", tmp.resolve("r1.dcm"));
        DicomResultWriter.Written r2 = writer(null).writeParametricMap(source, map, "gradcam", tmp.resolve("r2.dcm"));
        assertEquals(a.seriesInstanceUid(), b.seriesInstanceUid());
        assertEquals(a.sopInstanceUids(), b.sopInstanceUids());
        assertNotEquals(a.seriesInstanceUid(), c.seriesInstanceUid());
        assertNotEquals(a.sopInstanceUids(), c.sopInstanceUids());
        assertNotEquals(r1.seriesInstanceUid(), r2.seriesInstanceUid());
        assertEquals(Files.readAllBytes(tmp.resolve("a.dcm")).length, Files.readAllBytes(tmp.resolve("b.dcm")).length);
        for (String uid : List.of(a.seriesInstanceUid(), r1.seriesInstanceUid(), DicomUids.derived("x"))) {
            assertTrue(uid.matches("2\\.25\\.(0|[1-9][0-9]*)") && uid.length() <= 64, uid);
        }
        assertEquals(DicomUids.derived("a", "bc"), DicomUids.derived("a", "bc"));
        assertNotEquals(DicomUids.derived("a", "bc"), DicomUids.derived("ab", "c"));
    }

    @Test
    void secondaryCaptureBurnsTheHeatMapInWithTheFigureColours() throws Exception {
        Volume anatomy = source.volume();
        Volume map = attribution(anatomy.geometry());
        RenderOptions options = RenderOptions.builder().colorMap(ColorMap.FIRE).opacity(0.6).threshold(0.1).build();
        Path dir = tmp.resolve("sc");
        DicomResultWriter.Written w = writer(null).writeSecondaryCapture(source, anatomy, map, options, dir);
        int nz = anatomy.geometry().nz();
        assertEquals(nz, w.files().size());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(nz, s.count(), "only the images, no staging leftovers");
        }
        assertValid(w.files().get(0));
        assertValid(w.files().get(nz - 1));

        VoxelOverlay overlay = VoxelOverlay.fit(anatomy, map, options);
        int nx = anatomy.geometry().nx();
        for (int k : new int[] {0, nz / 2, nz - 1}) {
            AttributeList l = read(w.files().get(k));
            assertEquals("1.2.840.10008.5.1.4.1.1.7", str(l, TagFromName.SOPClassUID));
            assertInSourceStudy(l);
            assertEquals("YES", str(l, TagFromName.BurnedInAnnotation));
            assertTrue(str(l, TagFromName.ImageComments).contains("RESEARCH USE ONLY"));
            assertEquals("RGB", str(l, TagFromName.PhotometricInterpretation));
            assertEquals(Integer.toString(k + 1), str(l, TagFromName.InstanceNumber));
            assertEquals(w.sopInstanceUids().get(k), str(l, TagFromName.SOPInstanceUID));
            assertEquals(source.sopInstanceUids().get(k),
                str(item(l, TagFromName.SourceImageSequence, 0), TagFromName.ReferencedSOPInstanceUID));
            assertNotNull(l.get(TagFromName.PatientOrientation));
            byte[] px = l.get(TagFromName.PixelData).getByteValues();
            int[] expected = overlay.sliceRgb(k);
            for (int n = 0; n < expected.length; n += 7) {
                int rgb = (px[3 * n] & 255) << 16 | (px[3 * n + 1] & 255) << 8 | (px[3 * n + 2] & 255);
                assertEquals(expected[n], rgb, "slice " + k + " pixel " + (n % nx) + "," + (n / nx));
            }
        }
    }

    @Test
    void overlayColoursFollowTheRendererRules() {
        Geometry g = Geometry.axisAligned(new int[] {4, 4, 2}, new double[] {1, 1, 1}, new double[] {0, 0, 0});
        float[] anat = new float[32], m = new float[32];
        for (int n = 0; n < 32; n++) anat[n] = n;
        m[5] = 10; // the peak: top of the scale
        m[6] = 1;  // 10 % of the peak: below the 20 % threshold, left grey
        RenderOptions o = RenderOptions.builder().opacity(1).threshold(0.2).robustPercentile(100).build();
        VoxelOverlay ov = VoxelOverlay.fit(new Volume(g, anat), new Volume(g, m), o);
        int[] rgb = ov.sliceRgb(0);
        assertEquals(10, ov.mapMax(), 0);
        assertEquals(ColorMap.FIRE.rgb(1.0), rgb[5]);
        int grey = rgb[6];
        assertEquals(grey & 255, (grey >> 8) & 255);
        assertEquals(grey & 255, (grey >> 16) & 255);
        assertThrows(IllegalArgumentException.class, () -> ov.sliceRgb(2));
    }

    @Test
    void segmentationIsValidAndItsFramesAreTheLabels() throws Exception {
        Volume anatomy = source.volume();
        float[] lab = new float[anatomy.data().length];
        double[] range = {anatomy.min(), anatomy.max()};
        for (int n = 0; n < lab.length; n++) {
            double f = (anatomy.data()[n] - range[0]) / (range[1] - range[0]);
            lab[n] = f > 0.6 ? 2 : f > 0.3 ? 1 : 0;
        }
        int nx = anatomy.geometry().nx(), ny = anatomy.geometry().ny(), nz = anatomy.geometry().nz();
        for (int n = 0; n < nx * ny; n++) lab[2 * nx * ny + n] = 0; // an empty slice: its frames are omitted
        Volume labels = anatomy.withData(lab);
        Path out = tmp.resolve("seg/seg.dcm");
        writer(null).writeSegmentation(source, labels, List.of("tissue", "lesion"), out);
        assertValid(out);

        AttributeList l = read(out);
        assertEquals("1.2.840.10008.5.1.4.1.1.66.4", str(l, TagFromName.SOPClassUID));
        assertInSourceStudy(l);
        assertEquals("SEG", str(l, TagFromName.Modality));
        assertEquals("BINARY", str(l, TagFromName.SegmentationType));
        assertEquals("lesion", str(item(l, TagFromName.SegmentSequence, 1), TagFromName.SegmentLabel));
        assertEquals("AUTOMATIC", str(item(l, TagFromName.SegmentSequence, 1), TagFromName.SegmentAlgorithmType));
        // Rebuild the labels from the frames: segment from Segment Identification, slice from the position.
        int frames = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.NumberOfFrames, 0);
        byte[] px = l.get(TagFromName.PixelData).getByteValues();
        Geometry g = anatomy.geometry();
        float[] back = new float[lab.length];
        Set<Integer> slicesSeen = new HashSet<>();
        for (int f = 0; f < frames; f++) {
            AttributeList fr = item(l, TagFromName.PerFrameFunctionalGroupsSequence, f);
            int seg = Attribute.getSingleIntegerValueOrDefault(item(fr, TagFromName.SegmentIdentificationSequence, 0),
                TagFromName.ReferencedSegmentNumber, 0);
            double[] pos = Attribute.getDoubleValues(item(fr, TagFromName.PlanePositionSequence, 0),
                TagFromName.ImagePositionPatient);
            int k = (int) Math.round(g.worldToVoxel(pos[0], pos[1], pos[2])[2]);
            slicesSeen.add(k);
            assertEquals(source.sopInstanceUids().get(k), str(item(item(fr, TagFromName.DerivationImageSequence, 0),
                TagFromName.SourceImageSequence, 0), TagFromName.ReferencedSOPInstanceUID));
            for (int n = 0; n < nx * ny; n++) {
                long bit = (long) f * nx * ny + n;
                if ((px[(int) (bit >>> 3)] >> (bit & 7) & 1) != 0) {
                    assertEquals(0f, back[k * nx * ny + n], "segments overlap");
                    back[k * nx * ny + n] = seg;
                }
            }
        }
        assertArrayEquals(lab, back);
        assertFalse(slicesSeen.contains(2), "empty slice omitted");
        assertTrue(frames < 2 * nz);
    }

    @Test
    void niftiSourceGetsANewStudyWithAnAnonymousPatient() throws Exception {
        Volume v = NiftiReader.read(TestData.nibabel("anatomical.nii")).volume();
        Path out = tmp.resolve("convert/anatomical.dcm");
        DicomResultWriter w = DicomResultWriter.builder().deterministicUids("anatomical.nii sha").build();
        w.writeVolume(v, "anatomical", out);
        assertValid(out);
        AttributeList l = read(out);
        assertEquals(SourceStudy.SYNTHETIC_PATIENT_NAME, str(l, TagFromName.PatientName));
        assertTrue(str(l, TagFromName.PatientID).startsWith("VL"));
        assertEquals(SourceStudy.synthetic(v.geometry(), "anatomical.nii sha").studyInstanceUid(),
            str(l, TagFromName.StudyInstanceUID));
        assertEquals(null, l.get(TagFromName.ReferencedSeriesSequence));
        // Read back: the same voxels at the same world positions (anatomical.nii's grid is left-handed, so the
        // reader, which stacks along row x column, returns its slices in reverse order).
        DicomVolume back = DicomSeriesReader.read(out);
        Geometry a = v.geometry(), b = back.volume().geometry();
        boolean flipped = !a.sameGrid(b, 1e-4);
        int nz = a.nz();
        for (int k = 0; k < nz; k++) {
            int kb = flipped ? nz - 1 - k : k;
            assertArrayEquals(a.voxelToWorld(3, 5, k), b.voxelToWorld(3, 5, kb), 1e-4);
            for (int j = 0; j < a.ny(); j++) {
                for (int i = 0; i < a.nx(); i++) assertEquals(v.get(i, j, k), back.volume().get(i, j, kb));
            }
        }

        // a SEG and Secondary Capture into that synthetic study are valid too (nothing to reference)
        SourceStudy study = SourceStudy.synthetic(v.geometry(), "anatomical.nii sha");
        Volume labels = v.withData(threshold(v));
        Path seg = tmp.resolve("convert/seg.dcm");
        w.writeSegmentation(study, labels, List.of(DicomResultWriter.Segment.lesion("bright")), seg);
        assertValid(seg);
        DicomResultWriter.Written sc = w.writeSecondaryCapture(study, v, attribution(v.geometry()),
            RenderOptions.defaults(), "saliency", tmp.resolve("convert/sc"));
        assertValid(sc.files().get(0));
        assertEquals(str(l, TagFromName.StudyInstanceUID), str(read(seg), TagFromName.StudyInstanceUID));
    }

    private static float[] threshold(Volume v) {
        float[] out = new float[v.data().length];
        double t = v.min() + 0.5 * (v.max() - v.min());
        for (int n = 0; n < out.length; n++) out[n] = v.data()[n] > t ? 1 : 0;
        return out;
    }

    @Test
    void anEmptySegmentationKeepsOneEmptyFrameAndStaysValid() throws Exception {
        Volume labels = source.volume().withData(new float[source.volume().data().length]);
        Path out = tmp.resolve("empty-seg.dcm");
        writer(null).writeSegmentation(source, labels, List.of("lesion"), out);
        assertValid(out);
        AttributeList l = read(out);
        assertEquals(1, Attribute.getSingleIntegerValueOrDefault(l, TagFromName.NumberOfFrames, 0));
        for (byte b : l.get(TagFromName.PixelData).getByteValues()) assertEquals(0, b);
    }

    @Test
    void aSecondaryCaptureSeriesFailingHalfWayLeavesNoneOfItsFiles() throws Exception {
        Volume anatomy = source.volume();
        Path dir = tmp.resolve("sc-fail");
        // A non-empty folder where image 3 must go: its move fails after images 1 and 2 were moved into place.
        Files.createDirectories(dir.resolve("SC0003.dcm"));
        Files.writeString(dir.resolve("SC0003.dcm/keep.txt"), "x");
        Files.writeString(dir.resolve("unrelated.txt"), "y");
        assertThrows(IOException.class, () -> writer(null).writeSecondaryCapture(source, anatomy,
            attribution(anatomy.geometry()), RenderOptions.defaults(), dir));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(Set.of("SC0003.dcm", "unrelated.txt"),
                s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @Test
    void longNamesAreTrimmedToTheValueRepresentation() throws Exception {
        Volume map = attribution(source.volume().geometry());
        String longModel = "a-very-long-model-name-" + "x".repeat(80);
        DicomResultWriter w = DicomResultWriter.builder().model(longModel, "v" + "9".repeat(70))
            .target("lesion\\left").build();
        Path out = tmp.resolve("long.dcm");
        w.writeParametricMap(source, map, "integrated_gradients_with_a_long_name", out);
        assertValid(out);
        AttributeList l = read(out);
        String desc = str(l, TagFromName.SeriesDescription);
        assertTrue(desc.length() <= 64 && desc.startsWith("VoxelLens integrated_gradients"), desc);
        assertFalse(desc.contains("\\"), desc);
        assertTrue(str(l, TagFromName.ContentLabel).length() <= 16);
        for (String v : Attribute.getStringValues(l, TagFromName.SoftwareVersions)) assertTrue(v.length() <= 64, v);

        DicomResultWriter given = DicomResultWriter.builder().description("  my   own description  ").build();
        given.writeParametricMap(source, map, "saliency", out);
        assertEquals("my own description", str(read(out), TagFromName.SeriesDescription));
    }

    @Test
    void failuresLeaveNoFileAndNameNoPatient() throws Exception {
        Volume map = attribution(source.volume().geometry());
        Geometry g = map.geometry();
        Volume wrongGrid = new Volume(Geometry.axisAligned(g.dims(), new double[] {9, 9, 9}, new double[] {0, 0, 0}),
            map.data());
        Path out = tmp.resolve("fail/map.dcm");
        DicomException e = assertThrows(DicomException.class,
            () -> writer(null).writeParametricMap(source, wrongGrid, "gradcam", out));
        DicomSeriesReaderTest.assertNoPatientData(e.getMessage());
        assertTrue(e.getMessage().contains("source grid"), e.getMessage());

        float[] nan = map.data().clone();
        nan[17] = Float.NaN;
        e = assertThrows(DicomException.class,
            () -> writer(null).writeParametricMap(source, map.withData(nan), "gradcam", out));
        DicomSeriesReaderTest.assertNoPatientData(e.getMessage());

        float[] lab = new float[nan.length];
        lab[3] = 3; // only 2 segments named
        e = assertThrows(DicomException.class,
            () -> writer(null).writeSegmentation(source, map.withData(lab), List.of("a", "b"), tmp.resolve("fail/s.dcm")));
        DicomSeriesReaderTest.assertNoPatientData(e.getMessage());
        lab[3] = 0.5f;
        e = assertThrows(DicomException.class,
            () -> writer(null).writeSegmentation(source, map.withData(lab), List.of("a", "b"), tmp.resolve("fail/s.dcm")));
        DicomSeriesReaderTest.assertNoPatientData(e.getMessage());

        // Secondary Capture onto an anatomy of another grid: nothing written
        IOException io = assertThrows(IOException.class, () -> writer(null).writeSecondaryCapture(source, wrongGrid,
            map, RenderOptions.defaults(), tmp.resolve("fail/sc")));
        DicomSeriesReaderTest.assertNoPatientData(io.getMessage());

        if (Files.exists(tmp.resolve("fail"))) {
            try (Stream<Path> s = Files.walk(tmp.resolve("fail"))) {
                assertEquals(List.of(), s.filter(Files::isRegularFile).toList());
            }
        }
        DicomSeriesReaderTest.assertNoPatientData(source.toString());
        DicomSeriesReaderTest.assertNoPatientData(SourceStudy.of(source).toString());
    }
}
