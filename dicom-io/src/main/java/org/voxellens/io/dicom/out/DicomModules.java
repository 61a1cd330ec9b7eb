package org.voxellens.io.dicom.out;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;

import org.voxellens.volumetric.AtomicFiles;
import org.voxellens.volumetric.Geometry;

/**
 * Building blocks shared by every DICOM writer of the project (and the tests' series writer): attributes by tag
 * with the dictionary's VR, code items, decimal strings that fit DS, the image plane of one slice of a
 * {@link Geometry}, and writing a Part 10 file atomically.
 */
public final class DicomModules {

    public static final String SOURCE_AE = "VOXELLENS";

    private DicomModules() {
    }

    /**
     * Puts an attribute with the VR the standard dictionary gives its tag; no values (or only empty ones) gives
     * an empty (type 2) attribute. Returns the attribute.
     */
    public static Attribute put(AttributeList list, AttributeTag tag, String... values) {
        try {
            Attribute a = AttributeFactory.newAttribute(tag);
            for (String v : values) {
                if (v != null && !v.isEmpty()) a.addValue(v);
            }
            list.put(a);
            return a;
        } catch (DicomException e) {
            throw new IllegalArgumentException("cannot make attribute " + tag + ": " + e.getMessage(), e);
        }
    }

    /** Puts an integer-valued attribute (US, SS, UL, SL, IS). */
    public static Attribute put(AttributeList list, AttributeTag tag, int value) {
        return put(list, tag, Integer.toString(value));
    }

    /** Puts a sequence with the given items (none: an empty, type 2 sequence). */
    public static SequenceAttribute sequence(AttributeList list, AttributeTag tag, AttributeList... items) {
        SequenceAttribute s = new SequenceAttribute(tag);
        for (AttributeList item : items) s.addItem(item);
        list.put(s);
        return s;
    }

    /** A code item (Code Value, Coding Scheme Designator, Code Meaning). */
    public static AttributeList code(String value, String scheme, String meaning) {
        AttributeList l = new AttributeList();
        put(l, TagFromName.CodeValue, value);
        put(l, TagFromName.CodingSchemeDesignator, scheme);
        put(l, TagFromName.CodeMeaning, meaning);
        return l;
    }

    /** Decimal strings joined by backslashes. */
    public static String ds(double[] v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            if (i > 0) b.append('\\');
            b.append(ds(v[i]));
        }
        return b.toString();
    }

    /** A decimal string of at most 16 characters keeping as many digits as fit. */
    public static String ds(double x) {
        if (x == 0) return "0";
        if (!Double.isFinite(x)) throw new IllegalArgumentException("not a finite number: " + x);
        for (int digits = 15; digits > 1; digits--) {
            String s = new BigDecimal(x).round(new MathContext(digits)).stripTrailingZeros().toPlainString();
            if (s.length() <= 16) return s;
            s = new BigDecimal(x).round(new MathContext(digits)).stripTrailingZeros().toString();
            if (s.length() <= 16) return s;
        }
        return String.format(Locale.ROOT, "%.6g", x);
    }

    /** Image Orientation (Patient): the row (voxel axis 0) and column (voxel axis 1) direction cosines. */
    public static double[] orientation(Geometry g) {
        double[] d = g.direction();
        return new double[] {d[0], d[3], d[6], d[1], d[4], d[7]};
    }

    /** Image Position (Patient) of slice k: the centre of voxel (0, 0, k). */
    public static double[] position(Geometry g, int k) {
        return g.voxelToWorld(0, 0, k);
    }

    /** Pixel Spacing: row spacing (voxel axis 1) \ column spacing (voxel axis 0). */
    public static double[] pixelSpacing(Geometry g) {
        double[] sp = g.spacing();
        return new double[] {sp[1], sp[0]};
    }

    /** The Image Plane module of slice k: position, orientation, pixel spacing and slice thickness. */
    public static void imagePlane(AttributeList list, Geometry g, int k) {
        put(list, TagFromName.ImagePositionPatient, ds(position(g, k)));
        put(list, TagFromName.ImageOrientationPatient, ds(orientation(g)));
        put(list, TagFromName.PixelSpacing, ds(pixelSpacing(g)));
        put(list, TagFromName.SliceThickness, ds(g.spacing()[2]));
    }

    /**
     * Patient Orientation (0020,0020) of a slice: the patient directions of the rows and columns (e.g. "L\P"),
     * up to three letters each from the dominant direction cosines, as PS3.3 C.7.6.1.1.1 describes.
     */
    public static String patientOrientation(Geometry g) {
        double[] o = orientation(g);
        return letters(o[0], o[1], o[2]) + "\\" + letters(o[3], o[4], o[5]);
    }

    private static String letters(double x, double y, double z) {
        double[] v = {x, y, z};
        String[] pos = {"L", "P", "H"}, neg = {"R", "A", "F"};
        Integer[] order = {0, 1, 2};
        java.util.Arrays.sort(order, (a, b) -> Double.compare(Math.abs(v[b]), Math.abs(v[a])));
        StringBuilder s = new StringBuilder();
        for (int a : order) {
            if (Math.abs(v[a]) > 1e-4) s.append(v[a] > 0 ? pos[a] : neg[a]);
        }
        return s.toString();
    }

    /**
     * Text for an LO/SH/ST attribute of our own: printable ASCII only (so it fits every character set a source
     * study may declare), no backslash, whitespace collapsed, at most {@code max} characters.
     */
    public static String text(String s, int max) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            char d = c >= 0x20 && c < 0x7f && c != '\\' ? c : c == '\\' ? '/' : ' ';
            if (d == ' ' && (b.length() == 0 || b.charAt(b.length() - 1) == ' ')) continue;
            b.append(d);
        }
        String t = b.toString().trim();
        return t.length() <= max ? t : t.substring(0, max).trim();
    }

    /**
     * Adds the file meta information (explicit VR little endian) and writes {@code list} to {@code target}
     * through a temporary file beside it that is moved into place only when complete: a failure leaves
     * nothing behind, and a reader never sees a half-written file.
     */
    public static void writeAtomically(AttributeList list, Path target) throws IOException {
        try {
            String sopClass = Attribute.getSingleStringValueOrEmptyString(list, TagFromName.SOPClassUID);
            String sop = Attribute.getSingleStringValueOrEmptyString(list, TagFromName.SOPInstanceUID);
            FileMetaInformation.addFileMetaInformation(list, sopClass, sop, TransferSyntax.ExplicitVRLittleEndian,
                SOURCE_AE);
        } catch (DicomException e) {
            throw new IOException(target + ": cannot make the file meta information (" + e.getMessage() + ")", e);
        }
        AtomicFiles.write(target, tmp -> {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                list.write(out, TransferSyntax.ExplicitVRLittleEndian, true, true);
            } catch (DicomException e) {
                throw new IOException(target + ": cannot encode the DICOM object (" + e.getMessage() + ")", e);
            }
        });
    }
}
