package org.voxellens.io.dicom;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.UIDGenerator;

import org.voxellens.io.dicom.out.DicomModules;
import org.voxellens.io.dicom.out.ImageSeriesWriter;
import org.voxellens.io.dicom.out.SourceStudy;
import org.voxellens.volumetric.Volume;

/**
 * Test helper: writes a volume as a classic CT Image Storage series (one file per slice) with
 * {@link ImageSeriesWriter}, plus the defects and variations the reader tests need (shuffled names, scrambled
 * instance numbers, moved or tilted slices, MONOCHROME1, a secret patient). Stored values are
 * {@code round((value - intercept) / slope)} as signed 16-bit.
 */
final class SeriesWriter {

    static final String PATIENT_NAME = "Secretname^Jane";
    static final String PATIENT_ID = "PID-SECRET-4711";
    static final String BIRTH_DATE = "19450317";

    String studyUid;
    String seriesUid;
    String frameOfReferenceUid;
    int seriesNumber = 3;
    String description = "T1 test";
    double slope = 1;
    double intercept = 0;
    boolean monochrome1;
    boolean shuffleNames;
    boolean scrambleInstanceNumbers;
    long seed = 7;
    /** Per-slice position overrides (null: from the geometry). */
    double[][] positions;
    /** Per-slice orientation overrides (null: from the geometry). */
    double[][] orientations;
    final List<String> sopInstanceUids = new ArrayList<>();

    SeriesWriter() throws IOException {
        try {
            UIDGenerator g = new UIDGenerator();
            studyUid = g.getAnotherNewUID();
            seriesUid = g.getAnotherNewUID();
            frameOfReferenceUid = g.getAnotherNewUID();
        } catch (com.pixelmed.dicom.DicomException e) {
            throw new IOException(e);
        }
    }

    /**
     * Writes slice k of {@code v} (k along voxel axis 2) to {@code dir} through the product's
     * {@link ImageSeriesWriter} (CT), then applies this helper's deliberate variations (patient, UIDs, instance
     * numbers, file names, positions, photometric interpretation); returns the files in slice order.
     */
    List<Path> write(Volume v, Path dir) throws IOException {
        Files.createDirectories(dir);
        int nz = v.geometry().nz();
        List<Integer> names = new ArrayList<>();
        for (int k = 0; k < nz; k++) names.add(k);
        List<Integer> numbers = new ArrayList<>(names);
        Random rnd = new Random(seed);
        if (shuffleNames) Collections.shuffle(names, rnd);
        if (scrambleInstanceNumbers) Collections.shuffle(numbers, rnd);
        ImageSeriesWriter writer = ImageSeriesWriter.builder().modality("CT").seriesNumber(seriesNumber)
            .description(description).rescale(slope, intercept).build();
        ImageSeriesWriter.Rescale rescale = writer.rescaleFor(v);
        SourceStudy study = SourceStudy.synthetic(v.geometry(), null);
        List<Path> files = new ArrayList<>();
        try {
            UIDGenerator uids = new UIDGenerator();
            for (int k = 0; k < nz; k++) {
                String sop = uids.getAnotherNewUID();
                sopInstanceUids.add(sop);
                AttributeList l = writer.image(v, study, rescale, seriesUid, sop, k);
                // Patient (identifiers that must never show up in messages) and this helper's UIDs
                DicomModules.put(l, TagFromName.PatientName, PATIENT_NAME);
                DicomModules.put(l, TagFromName.PatientID, PATIENT_ID);
                DicomModules.put(l, TagFromName.PatientBirthDate, BIRTH_DATE);
                DicomModules.put(l, TagFromName.PatientSex, "F");
                l.remove(TagFromName.PatientIdentityRemoved);
                l.remove(TagFromName.DeidentificationMethod);
                DicomModules.put(l, TagFromName.StudyInstanceUID, studyUid);
                DicomModules.put(l, TagFromName.StudyDate, "20240101");
                DicomModules.put(l, TagFromName.StudyTime, "120000");
                DicomModules.put(l, TagFromName.FrameOfReferenceUID, frameOfReferenceUid);
                DicomModules.put(l, TagFromName.Manufacturer, "VoxelLens tests");
                DicomModules.put(l, TagFromName.ImageType, "ORIGINAL\\PRIMARY\\AXIAL");
                DicomModules.put(l, TagFromName.InstanceNumber, Integer.toString(numbers.get(k) + 1));
                if (positions != null) DicomModules.put(l, TagFromName.ImagePositionPatient, ds(positions[k]));
                if (orientations != null) DicomModules.put(l, TagFromName.ImageOrientationPatient, ds(orientations[k]));
                if (monochrome1) DicomModules.put(l, TagFromName.PhotometricInterpretation, "MONOCHROME1");
                Path f = dir.resolve(String.format(Locale.ROOT, "IM%04d.dcm", names.get(k)));
                DicomModules.writeAtomically(l, f);
                files.add(f);
            }
        } catch (com.pixelmed.dicom.DicomException e) {
            throw new IOException(e);
        }
        return files;
    }

    /** The values a reader must return: rounded as stored, mapped through slope/intercept (and never inverted). */
    float[] expected(Volume v) {
        ImageSeriesWriter.Rescale r = new ImageSeriesWriter.Rescale(slope, intercept);
        float[] in = v.data(), out = new float[in.length];
        for (int n = 0; n < in.length; n++) out[n] = (float) r.roundTrip(in[n]);
        return out;
    }

    static String ds(double[] v) {
        return DicomModules.ds(v);
    }

    static String ds(double x) {
        return DicomModules.ds(x);
    }

    static AttributeTag tag(int group, int element) {
        return new AttributeTag(group, element);
    }
}
