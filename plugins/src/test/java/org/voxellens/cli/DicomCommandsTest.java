package org.voxellens.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.io.dicom.DicomSeriesReader;
import org.voxellens.io.nifti.NiftiReader;
import org.voxellens.volumetric.Volume;

/** {@code series} and {@code convert} on real MR slices that Debian's python3-nibabel ships. */
class DicomCommandsTest {

    static final Path NIBABEL = Path.of("/usr/lib/python3/dist-packages/nibabel/tests/data");

    @TempDir
    Path tmp;

    private Path folder() throws IOException {
        org.voxellens.testing.RequiredTools.file(NIBABEL.resolve("0.dcm"), "python3-nibabel");
        Path d = tmp.resolve("dicom in");
        if (!Files.exists(d)) {
            Files.createDirectories(d);
            Files.copy(NIBABEL.resolve("0.dcm"), d.resolve("a.dcm"));
            Files.copy(NIBABEL.resolve("1.dcm"), d.resolve("b.dcm"));
        }
        return d;
    }

    @Test
    void seriesListsUidsAndNoPatientData() throws Exception {
        ExplainCommandTest.Run r = ExplainCommandTest.cli("series", folder().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("MR") && r.out().contains("256x256x2"), r.out());
        assertTrue(r.out().contains("1.3.12.2.1107.5.2.32.35119"), "series UID listed: " + r.out());
        String name = com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(readAttributes(folder().resolve("a.dcm")),
            com.pixelmed.dicom.TagFromName.PatientName);
        String id = com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(readAttributes(folder().resolve("a.dcm")),
            com.pixelmed.dicom.TagFromName.PatientID);
        assertNotEquals("", name + id, "test setup: the file has patient data to leak");
        if (!name.isBlank()) assertFalse(r.out().contains(name) || r.err().contains(name), "patient name printed");
        if (!id.isBlank()) assertFalse(r.out().contains(id) || r.err().contains(id), "patient ID printed");
    }

    @Test
    void convertWritesNiftiOnTheSameWorldGrid() throws Exception {
        Path in = folder();
        Path out = tmp.resolve("mr.nii.gz");
        ExplainCommandTest.Run r = ExplainCommandTest.cli("convert", "--input", in.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Volume nii = NiftiReader.read(out).volume();
        Volume dcm = DicomSeriesReader.read(in).volume();
        assertTrue(dcm.geometry().sameGrid(nii.geometry(), 1e-3), dcm.geometry() + " vs " + nii.geometry());
        assertEquals(dcm.get(100, 120, 1), nii.get(100, 120, 1));
    }

    /** NIfTI → DICOM series → NIfTI: same world grid, values within the 16-bit storage step. */
    @Test
    void niftiToDicomSeriesAndBack() throws IOException {
        Path series = tmp.resolve("series");
        ExplainCommandTest.Run r = ExplainCommandTest.cli("convert", "--input", ExplainCommandTest.SAMPLE.toString(), "--out", series.toString());
        assertEquals(0, r.code(), r.err());
        Volume original = NiftiReader.read(ExplainCommandTest.SAMPLE).volume();
        try (var files = Files.list(series)) {
            assertEquals(original.geometry().nz(), files.count(), "one file per slice");
        }
        Path back = tmp.resolve("back.nii.gz");
        r = ExplainCommandTest.cli("convert", "--input", series.toString(), "--out", back.toString());
        assertEquals(0, r.code(), r.err());
        Volume again = NiftiReader.read(back).volume();
        assertTrue(original.geometry().sameGrid(again.geometry(), 1e-3), original.geometry() + " vs " + again.geometry());
        float step = (original.max() - original.min()) / 65000f;
        float worst = 0;
        for (int i = 0; i < original.data().length; i++) worst = Math.max(worst, Math.abs(original.data()[i] - again.data()[i]));
        assertTrue(worst <= step, "values within one storage step " + step + ", worst " + worst);
    }

    @Test
    void convertRefusesOtherOutputFormats() throws IOException {
        ExplainCommandTest.Run r = ExplainCommandTest.cli("convert", "--input", folder().toString(), "--out", tmp.resolve("x.png").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("x.png") && r.err().contains(".nii"), r.err());
    }

    private static com.pixelmed.dicom.AttributeList readAttributes(Path f) throws Exception {
        com.pixelmed.dicom.AttributeList l = new com.pixelmed.dicom.AttributeList();
        l.read(f.toFile());
        return l;
    }
}
