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
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.UIDGenerator;

import org.voxellens.io.dicom.out.DicomModules;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/**
 * Test helper: writes a volume as a classic CT Image Storage series (one file per slice, proper
 * ImagePositionPatient/ImageOrientationPatient), the kind of series no Debian package ships. Voxel values are
 * rounded to integers and stored as signed 16-bit, {@code stored = (value - intercept) / slope}.
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

    /** Writes slice k of {@code v} (k along voxel axis 2) to {@code dir}; returns the files in slice order. */
    List<Path> write(Volume v, Path dir) throws IOException {
        Files.createDirectories(dir);
        Geometry g = v.geometry();
        int nx = g.nx(), ny = g.ny(), nz = g.nz();
        List<Integer> names = new ArrayList<>();
        for (int k = 0; k < nz; k++) names.add(k);
        List<Integer> numbers = new ArrayList<>(names);
        Random rnd = new Random(seed);
        if (shuffleNames) Collections.shuffle(names, rnd);
        if (scrambleInstanceNumbers) Collections.shuffle(numbers, rnd);
        List<Path> files = new ArrayList<>();
        try {
            UIDGenerator uids = new UIDGenerator();
            for (int k = 0; k < nz; k++) {
                AttributeList l = new AttributeList();
                String sop = uids.getAnotherNewUID();
                sopInstanceUids.add(sop);
                DicomModules.put(l, TagFromName.SOPClassUID, SOPClass.CTImageStorage);
                DicomModules.put(l, TagFromName.SOPInstanceUID, sop);
                DicomModules.put(l, TagFromName.SpecificCharacterSet, "ISO_IR 100");
                // Patient (identifiers that must never show up in messages)
                DicomModules.put(l, TagFromName.PatientName, PATIENT_NAME);
                DicomModules.put(l, TagFromName.PatientID, PATIENT_ID);
                DicomModules.put(l, TagFromName.PatientBirthDate, BIRTH_DATE);
                DicomModules.put(l, TagFromName.PatientSex, "F");
                // Study
                DicomModules.put(l, TagFromName.StudyInstanceUID, studyUid);
                DicomModules.put(l, TagFromName.StudyDate, "20240101");
                DicomModules.put(l, TagFromName.StudyTime, "120000");
                DicomModules.put(l, TagFromName.ReferringPhysicianName, "");
                DicomModules.put(l, TagFromName.StudyID, "1");
                DicomModules.put(l, TagFromName.AccessionNumber, "");
                // Series
                DicomModules.put(l, TagFromName.Modality, "CT");
                DicomModules.put(l, TagFromName.SeriesInstanceUID, seriesUid);
                DicomModules.put(l, TagFromName.SeriesNumber, Integer.toString(seriesNumber));
                DicomModules.put(l, TagFromName.SeriesDescription, description);
                DicomModules.put(l, TagFromName.PatientPosition, "HFS");
                DicomModules.put(l, TagFromName.Laterality, "");
                // Frame of reference, equipment
                DicomModules.put(l, TagFromName.FrameOfReferenceUID, frameOfReferenceUid);
                DicomModules.put(l, TagFromName.PositionReferenceIndicator, "");
                DicomModules.put(l, TagFromName.Manufacturer, "VoxelLens tests");
                // Image
                DicomModules.put(l, TagFromName.InstanceNumber, Integer.toString(numbers.get(k) + 1));
                DicomModules.put(l, TagFromName.ImageType, "ORIGINAL\\PRIMARY\\AXIAL");
                DicomModules.put(l, TagFromName.AcquisitionNumber, "1");
                DicomModules.put(l, tag(0x0018, 0x0060), "120"); // KVP
                DicomModules.imagePlane(l, g, k);
                if (positions != null) DicomModules.put(l, TagFromName.ImagePositionPatient, ds(positions[k]));
                if (orientations != null) DicomModules.put(l, TagFromName.ImageOrientationPatient, ds(orientations[k]));
                DicomModules.put(l, TagFromName.RescaleIntercept, ds(intercept));
                DicomModules.put(l, TagFromName.RescaleSlope, ds(slope));
                DicomModules.put(l, TagFromName.RescaleType, "HU");
                // Pixels
                DicomModules.put(l, TagFromName.SamplesPerPixel, "1");
                DicomModules.put(l, TagFromName.PhotometricInterpretation,
                    monochrome1 ? "MONOCHROME1" : "MONOCHROME2");
                DicomModules.put(l, TagFromName.Rows, Integer.toString(ny));
                DicomModules.put(l, TagFromName.Columns, Integer.toString(nx));
                DicomModules.put(l, TagFromName.BitsAllocated, "16");
                DicomModules.put(l, TagFromName.BitsStored, "16");
                DicomModules.put(l, TagFromName.HighBit, "15");
                DicomModules.put(l, TagFromName.PixelRepresentation, "1");
                short[] px = new short[nx * ny];
                for (int j = 0; j < ny; j++) {
                    for (int i = 0; i < nx; i++) {
                        double s = (v.get(i, j, k) - intercept) / slope;
                        long r = Math.round(s);
                        if (r < Short.MIN_VALUE || r > Short.MAX_VALUE) throw new IllegalArgumentException("out of int16: " + s);
                        px[i + nx * j] = (short) r;
                    }
                }
                OtherWordAttribute pa = new OtherWordAttribute(TagFromName.PixelData);
                pa.setValues(px);
                l.put(pa);
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
        float[] in = v.data(), out = new float[in.length];
        for (int n = 0; n < in.length; n++) out[n] = (float) (Math.round((in[n] - intercept) / slope) * slope + intercept);
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
