package org.voxellens.cli;


import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.TagFromName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.voxellens.io.dicom.out.DicomModules;
import org.voxellens.io.dicom.out.ImageSeriesWriter;
import org.voxellens.io.dicom.out.SourceStudy;
import org.voxellens.io.nifti.NiftiReader;
import org.voxellens.volumetric.Interpolation;
import org.voxellens.volumetric.Resampler;
import org.voxellens.volumetric.Volume;

/**
 * Real MR series to upload to the test PACS, built from real volumes with the project's series writer: Colin27
 * (Debian's mricron-data) and the bundled demo head, both resampled to a few mm so a run takes seconds. Each
 * series then gets a made-up patient name, ID and birth date, also typed into its Study and Series Descriptions
 * as happens at sites, which no console, log, journal, report or summary may show.
 */
final class PacsTestData {

    static final Path COLIN = Path.of("/usr/share/mricron/templates/ch2.nii.gz");
    static final String PATIENT_NAME = "Testperson^Erika";
    static final String PATIENT_ID = "PID-4711-0815";
    static final String BIRTH_DATE = "19610412";
    /** Free text as sites fill it in: the patient's name, ID and birth date typed into the descriptions. */
    static final String STUDY_DESCRIPTION = "MR HEAD Testperson ERIKA 19610412";
    static final String SERIES_DESCRIPTION = "T1 PID-4711-0815 Testperson";

    /** A written series: its study and series UIDs and files. */
    record Series(String studyUid, String seriesUid, List<Path> files) {}

    private PacsTestData() {
    }

    static Series colin(Path dir, String studyDate) throws IOException {
        org.voxellens.testing.RequiredTools.file(COLIN, "mricron-data");
        Volume v = NiftiReader.read(COLIN).volume();
        Volume small = Resampler.resample(v, v.geometry().recentered(new int[] {40, 48, 36}, new double[] {4, 4, 4.5}),
            Interpolation.LINEAR, 0f);
        return write(small, "colin", dir.resolve("colin"), studyDate);
    }

    static Series demo(Path dir, String name, String studyDate) throws IOException {
        Volume v = NiftiReader.read(ExplainCommandTest.SAMPLE).volume();
        Volume small = Resampler.resample(v, v.geometry().recentered(new int[] {48, 48, 40}, new double[] {3, 3, 3.6}),
            Interpolation.LINEAR, 0f);
        return write(small, name, dir.resolve(name), studyDate);
    }

    /** Replaces one instance's pixel data with half of it: valid DICOM that no reader can decode into the volume. */
    static void truncatePixelData(Path file) throws Exception {
        AttributeList l = new AttributeList();
        l.read(file.toFile());
        short[] px = l.get(TagFromName.PixelData).getShortValues();
        OtherWordAttribute half = new OtherWordAttribute(TagFromName.PixelData);
        half.setValues(java.util.Arrays.copyOf(px, px.length / 2));
        l.put(half);
        l.removeMetaInformationHeaderAttributes();
        DicomModules.writeAtomically(l, file);
    }

    private static Series write(Volume v, String name, Path out, String studyDate) throws IOException {
        SourceStudy study = SourceStudy.synthetic(v.geometry(), "pacs test " + name);
        var w = ImageSeriesWriter.builder().modality("MR").description("T1 " + name).deterministicUids("pacs test " + name)
            .seriesNumber(3).build().write(v, study, out);
        List<Path> files;
        try (Stream<Path> s = Files.list(out)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            try {
                AttributeList l = new AttributeList();
                l.read(f.toFile());
                l.removeMetaInformationHeaderAttributes();
                DicomModules.put(l, TagFromName.PatientName, PATIENT_NAME);
                DicomModules.put(l, TagFromName.PatientID, PATIENT_ID);
                DicomModules.put(l, TagFromName.PatientBirthDate, BIRTH_DATE);
                DicomModules.put(l, TagFromName.PatientIdentityRemoved, "NO");
                l.remove(TagFromName.DeidentificationMethod);
                DicomModules.put(l, TagFromName.StudyDate, studyDate);
                DicomModules.put(l, TagFromName.StudyDescription, STUDY_DESCRIPTION);
                DicomModules.put(l, TagFromName.SeriesDescription, SERIES_DESCRIPTION + " " + name);
                DicomModules.writeAtomically(l, f);
            } catch (com.pixelmed.dicom.DicomException e) {
                throw new IOException(f + ": " + e.getMessage(), e);
            }
        }
        return new Series(study.studyInstanceUid(), w.seriesInstanceUid(), files);
    }
}
