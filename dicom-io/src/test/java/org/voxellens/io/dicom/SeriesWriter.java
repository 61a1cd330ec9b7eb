package org.voxellens.io.dicom;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.DateAttribute;
import com.pixelmed.dicom.DecimalStringAttribute;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.IntegerStringAttribute;
import com.pixelmed.dicom.LongStringAttribute;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.PersonNameAttribute;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.ShortStringAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TimeAttribute;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.dicom.UIDGenerator;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import com.pixelmed.dicom.UnsignedShortAttribute;

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
        double[] d = g.direction();
        double[] sp = g.spacing();
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
                put(l, new UniqueIdentifierAttribute(TagFromName.SOPClassUID), SOPClass.CTImageStorage);
                put(l, new UniqueIdentifierAttribute(TagFromName.SOPInstanceUID), sop);
                put(l, new CodeStringAttribute(TagFromName.SpecificCharacterSet), "ISO_IR 100");
                // Patient (identifiers that must never show up in messages)
                put(l, new PersonNameAttribute(TagFromName.PatientName), PATIENT_NAME);
                put(l, new LongStringAttribute(TagFromName.PatientID), PATIENT_ID);
                put(l, new DateAttribute(TagFromName.PatientBirthDate), BIRTH_DATE);
                put(l, new CodeStringAttribute(TagFromName.PatientSex), "F");
                // Study
                put(l, new UniqueIdentifierAttribute(TagFromName.StudyInstanceUID), studyUid);
                put(l, new DateAttribute(TagFromName.StudyDate), "20240101");
                put(l, new TimeAttribute(TagFromName.StudyTime), "120000");
                put(l, new PersonNameAttribute(TagFromName.ReferringPhysicianName), "");
                put(l, new ShortStringAttribute(TagFromName.StudyID), "1");
                put(l, new ShortStringAttribute(TagFromName.AccessionNumber), "");
                // Series
                put(l, new CodeStringAttribute(TagFromName.Modality), "CT");
                put(l, new UniqueIdentifierAttribute(TagFromName.SeriesInstanceUID), seriesUid);
                put(l, new IntegerStringAttribute(TagFromName.SeriesNumber), Integer.toString(seriesNumber));
                put(l, new LongStringAttribute(TagFromName.SeriesDescription), description);
                put(l, new CodeStringAttribute(TagFromName.PatientPosition), "HFS");
                put(l, new CodeStringAttribute(TagFromName.Laterality), "");
                // Frame of reference, equipment
                put(l, new UniqueIdentifierAttribute(TagFromName.FrameOfReferenceUID), frameOfReferenceUid);
                put(l, new LongStringAttribute(TagFromName.PositionReferenceIndicator), "");
                put(l, new LongStringAttribute(TagFromName.Manufacturer), "VoxelLens tests");
                // Image
                put(l, new IntegerStringAttribute(TagFromName.InstanceNumber), Integer.toString(numbers.get(k) + 1));
                put(l, new CodeStringAttribute(TagFromName.ImageType), "ORIGINAL\\PRIMARY\\AXIAL");
                put(l, new IntegerStringAttribute(TagFromName.AcquisitionNumber), "1");
                put(l, new DecimalStringAttribute(tag(0x0018, 0x0060)), "120");
                double[] pos = positions != null ? positions[k] : g.voxelToWorld(0, 0, k);
                double[] ori = orientations != null ? orientations[k]
                    : new double[] {d[0], d[3], d[6], d[1], d[4], d[7]};
                put(l, new DecimalStringAttribute(TagFromName.ImagePositionPatient), ds(pos));
                put(l, new DecimalStringAttribute(TagFromName.ImageOrientationPatient), ds(ori));
                put(l, new DecimalStringAttribute(TagFromName.PixelSpacing), ds(new double[] {sp[1], sp[0]}));
                put(l, new DecimalStringAttribute(TagFromName.SliceThickness), ds(new double[] {sp[2]}));
                put(l, new DecimalStringAttribute(TagFromName.RescaleIntercept), ds(new double[] {intercept}));
                put(l, new DecimalStringAttribute(TagFromName.RescaleSlope), ds(new double[] {slope}));
                put(l, new LongStringAttribute(TagFromName.RescaleType), "HU");
                // Pixels
                put(l, new UnsignedShortAttribute(TagFromName.SamplesPerPixel), "1");
                put(l, new CodeStringAttribute(TagFromName.PhotometricInterpretation),
                    monochrome1 ? "MONOCHROME1" : "MONOCHROME2");
                put(l, new UnsignedShortAttribute(TagFromName.Rows), Integer.toString(ny));
                put(l, new UnsignedShortAttribute(TagFromName.Columns), Integer.toString(nx));
                put(l, new UnsignedShortAttribute(TagFromName.BitsAllocated), "16");
                put(l, new UnsignedShortAttribute(TagFromName.BitsStored), "16");
                put(l, new UnsignedShortAttribute(TagFromName.HighBit), "15");
                put(l, new UnsignedShortAttribute(TagFromName.PixelRepresentation), "1");
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
                FileMetaInformation.addFileMetaInformation(l, TransferSyntax.ExplicitVRLittleEndian, "VOXELLENS");
                Path f = dir.resolve(String.format(Locale.ROOT, "IM%04d.dcm", names.get(k)));
                l.write(f.toFile(), TransferSyntax.ExplicitVRLittleEndian, true, true);
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

    private static void put(AttributeList l, Attribute a, String value) throws com.pixelmed.dicom.DicomException {
        if (!value.isEmpty()) a.addValue(value);
        l.put(a);
    }

    static String ds(double[] v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            if (i > 0) b.append('\\');
            b.append(ds(v[i]));
        }
        return b.toString();
    }

    /** A decimal string of at most 16 characters keeping as many digits as fit. */
    static String ds(double x) {
        if (x == 0) return "0";
        for (int digits = 15; digits > 1; digits--) {
            String s = new java.math.BigDecimal(x).round(new java.math.MathContext(digits)).stripTrailingZeros()
                .toPlainString();
            if (s.length() <= 16) return s;
        }
        return String.format(Locale.ROOT, "%.6g", x);
    }

    static AttributeTag tag(int group, int element) {
        return new AttributeTag(group, element);
    }
}
