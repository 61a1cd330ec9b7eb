package org.voxellens.io.dicom;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SequenceItem;
import com.pixelmed.dicom.TagFromName;

/** Reading single DICOM files through PixelMed: headers for scanning, full objects (with pixels) for loading. */
final class DicomFiles {

    static final AttributeTag GRID_FRAME_OFFSET_VECTOR = new AttributeTag(0x3004, 0x000C);
    static final AttributeTag GANTRY_DETECTOR_TILT = new AttributeTag(0x0018, 0x1120);

    /**
     * PixelMed reports decoding trouble through java.util.logging at SEVERE, on stderr, before its exception (or
     * null pixel data) reaches us. Our own one-line messages replace that noise, so its loggers are silenced; the
     * strong reference keeps the setting from being garbage collected.
     */
    private static final Logger PIXELMED_LOG = Logger.getLogger("com.pixelmed");

    static {
        PIXELMED_LOG.setLevel(Level.OFF);
    }

    private DicomFiles() {
    }

    /** One frame's place in the world, as the object declares it (any part may be null when missing). */
    record Plane(Path file, int frame, String sopInstanceUid, double[] position, double[] orientation,
                 double[] pixelSpacing, double slope, double intercept) {
    }

    /** What a scan needs of one image file: identity, size and the planes of its frames. */
    record Header(Path file, AttributeList list, String studyUid, String seriesUid, String sopInstanceUid,
                  String sopClassUid, String modality, String seriesNumber, String seriesDescription,
                  String frameOfReferenceUid, String transferSyntax, int rows, int columns, int frames,
                  List<Plane> planes) {
    }

    /** Reads everything up to the pixel data; null when the file is DICOM but not an image (SR, RT plan, DICOMDIR). */
    static Header readHeader(Path file) throws DicomException {
        AttributeList list = new AttributeList();
        try {
            list.read(file.toFile(), TagFromName.PixelData);
        } catch (IOException | com.pixelmed.dicom.DicomException | RuntimeException e) {
            throw new DicomException(file, "not a readable DICOM file (" + reason(e) + ")", e);
        } catch (StackOverflowError e) {
            // sequences nested thousands deep: PixelMed's reader recurses once per level
            throw new DicomException(file, "not a readable DICOM file (sequences nested too deeply)", e);
        }
        try {
            return header(file, list);
        } catch (DicomException e) {
            throw e;
        } catch (ClassCastException e) {
            // PixelMed read an element with another VR than the standard's (e.g. a functional group that is not a SQ)
            throw new DicomException(file, "malformed DICOM header (an element that must be a sequence is not)", e);
        } catch (RuntimeException | StackOverflowError e) {
            // a hostile header (absurd values): this file, not the folder
            throw new DicomException(file, "malformed DICOM header (" + reason(e) + ")", e);
        }
    }

    static Header header(Path file, AttributeList list) throws DicomException {
        String sop = str(list, TagFromName.SOPInstanceUID);
        String series = str(list, TagFromName.SeriesInstanceUID);
        if (sop.isEmpty() && series.isEmpty()) {
            throw new DicomException(file, "not a DICOM file (no SOP Instance UID or Series Instance UID)");
        }
        int rows = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Rows, 0);
        int cols = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Columns, 0);
        if (rows <= 0 || cols <= 0) return null;
        int frames = Math.max(1, Attribute.getSingleIntegerValueOrDefault(list, TagFromName.NumberOfFrames, 1));
        checkPixelBudget(file, list, rows, cols, frames);
        return new Header(file, list, str(list, TagFromName.StudyInstanceUID), series, sop,
            str(list, TagFromName.SOPClassUID), str(list, TagFromName.Modality), str(list, TagFromName.SeriesNumber),
            str(list, TagFromName.SeriesDescription), str(list, TagFromName.FrameOfReferenceUID),
            str(list, TagFromName.TransferSyntaxUID), rows, cols, frames, planes(file, list, sop, frames));
    }

    /**
     * What the header promises must fit this JVM, before anything is allocated: rows × columns × frames × samples,
     * held as float32, cannot need more memory than the heap can ever have, nor more pixels than an array holds. A
     * 3 KB file that claims 10^8 frames, or 65535 × 65535 pixels, is refused here instead of costing minutes and the
     * heap (or overflowing an int). (A slice whose pixel data is shorter than its header says is refused when its
     * pixels are read, naming it: refusing it here would skip it and blame a "missing slice" on its series.)
     */
    static void checkPixelBudget(Path file, AttributeList list, int rows, int cols, int frames) throws DicomException {
        int samples = Math.max(1, Attribute.getSingleIntegerValueOrDefault(list, TagFromName.SamplesPerPixel, 1));
        java.math.BigInteger pixels = java.math.BigInteger.valueOf(rows).multiply(java.math.BigInteger.valueOf(cols))
            .multiply(java.math.BigInteger.valueOf(frames)).multiply(java.math.BigInteger.valueOf(samples));
        // the volume is held as float32: 4 bytes per pixel, per sample
        java.math.BigInteger floats = pixels.multiply(java.math.BigInteger.valueOf(4));
        long heap = Runtime.getRuntime().maxMemory();
        if (floats.compareTo(java.math.BigInteger.valueOf(heap)) > 0 || pixels.bitLength() > 31) {
            throw new DicomException(file, "declares " + rows + " × " + cols + " pixels × " + frames + " frames (" + pixels
                + " pixels), more than this JVM can hold (" + (heap >> 20) + " MB); a corrupt or hostile header");
        }
    }

    /** Reads the whole object, decompressing its pixel data (through dcmtk where PixelMed cannot). */
    static AttributeList readFull(Path file) throws DicomException {
        AttributeList header;
        try {
            header = new AttributeList();
            header.read(file.toFile(), TagFromName.PixelData);
        } catch (IOException | com.pixelmed.dicom.DicomException | RuntimeException e) {
            throw new DicomException(file, "not a readable DICOM file (" + reason(e) + ")", e);
        }
        String ts = str(header, TagFromName.TransferSyntaxUID);
        if (TransferSyntaxes.needsDcmtk(ts)) return readTranscoded(file, ts);
        AttributeList list = new AttributeList();
        try {
            list.read(file.toFile());
        } catch (IOException | com.pixelmed.dicom.DicomException | RuntimeException e) {
            if (!TransferSyntaxes.isNative(ts) && TransferSyntaxes.dcmtkDecoder(ts) != null) {
                return readTranscoded(file, ts);
            }
            if (!TransferSyntaxes.isNative(ts)) {
                throw new DicomException(file, "pixel data in transfer syntax " + TransferSyntaxes.describe(ts)
                    + " cannot be decoded (" + reason(e) + ")", e);
            }
            throw new DicomException(file, "corrupt or truncated DICOM file (" + reason(e) + ")", e);
        }
        if (pixelData(list) == null) {
            if (!TransferSyntaxes.isNative(ts) && TransferSyntaxes.dcmtkDecoder(ts) != null
                && Dcmtk.find(TransferSyntaxes.dcmtkDecoder(ts)) != null) {
                return readTranscoded(file, ts);
            }
            if (!TransferSyntaxes.isNative(ts)) {
                throw new DicomException(file, "pixel data in transfer syntax " + TransferSyntaxes.describe(ts)
                    + " could not be decoded" + (TransferSyntaxes.dcmtkDecoder(ts) == null ? ""
                    : "; install dcmtk (apt-get install dcmtk) so that " + TransferSyntaxes.dcmtkDecoder(ts)
                    + " can decompress it"));
            }
            throw new DicomException(file, "no pixel data: the file is truncated or is not an image");
        }
        return list;
    }

    private static AttributeList readTranscoded(Path file, String ts) throws DicomException {
        Path tmp = Dcmtk.decompress(file, ts);
        try {
            AttributeList list = new AttributeList();
            list.read(tmp.toFile());
            if (pixelData(list) == null) {
                throw new DicomException(file, "no pixel data after decompressing " + TransferSyntaxes.describe(ts));
            }
            return list;
        } catch (IOException | com.pixelmed.dicom.DicomException | RuntimeException e) {
            if (e instanceof DicomException de) throw de;
            throw new DicomException(file, "unreadable after decompressing " + TransferSyntaxes.describe(ts)
                + " (" + reason(e) + ")", e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    static Attribute pixelData(AttributeList list) {
        Attribute a = list.get(TagFromName.PixelData);
        if (a == null) a = list.get(TagFromName.FloatPixelData);
        if (a == null) a = list.get(TagFromName.DoubleFloatPixelData);
        return a;
    }

    /** The planes of every frame: per-frame functional groups, then shared ones, then the classic attributes. */
    static List<Plane> planes(Path file, AttributeList list, String sop, int frames) throws DicomException {
        List<Plane> out = new ArrayList<>(frames);
        SequenceAttribute perFrame = (SequenceAttribute) list.get(TagFromName.PerFrameFunctionalGroupsSequence);
        SequenceAttribute shared = (SequenceAttribute) list.get(TagFromName.SharedFunctionalGroupsSequence);
        if (perFrame != null || shared != null) {
            if (perFrame != null && perFrame.getNumberOfItems() != frames) {
                throw new DicomException(file, "Per-frame Functional Groups Sequence has " + perFrame.getNumberOfItems()
                    + " items for " + frames + " frames");
            }
            AttributeList sharedItem = shared == null || shared.getNumberOfItems() == 0 ? null
                : shared.getItem(0).getAttributeList();
            for (int f = 0; f < frames; f++) {
                AttributeList frameItem = perFrame == null ? null : perFrame.getItem(f).getAttributeList();
                double[] pos = doubles(group(frameItem, sharedItem, TagFromName.PlanePositionSequence),
                    TagFromName.ImagePositionPatient, 3);
                double[] ori = doubles(group(frameItem, sharedItem, TagFromName.PlaneOrientationSequence),
                    TagFromName.ImageOrientationPatient, 6);
                double[] sp = doubles(group(frameItem, sharedItem, TagFromName.PixelMeasuresSequence),
                    TagFromName.PixelSpacing, 2);
                AttributeList pvt = group(frameItem, sharedItem, TagFromName.PixelValueTransformationSequence);
                double slope = pvt == null ? slope(list) : slope(pvt);
                double inter = pvt == null ? intercept(list) : intercept(pvt);
                out.add(new Plane(file, f, sop, pos, ori, sp, slope, inter));
            }
            return out;
        }
        double[] pos = doubles(list, TagFromName.ImagePositionPatient, 3);
        double[] ori = doubles(list, TagFromName.ImageOrientationPatient, 6);
        double[] sp = doubles(list, TagFromName.PixelSpacing, 2);
        if (sp == null) sp = doubles(list, TagFromName.ImagerPixelSpacing, 2);
        double slope = slope(list), inter = intercept(list);
        if (frames == 1) {
            out.add(new Plane(file, 0, sop, pos, ori, sp, slope, inter));
            return out;
        }
        // Legacy multi-frame (e.g. RT Dose): frames stacked along the normal at GridFrameOffsetVector.
        double[] offsets = doubles(list, GRID_FRAME_OFFSET_VECTOR, frames);
        for (int f = 0; f < frames; f++) {
            double[] p = null;
            if (offsets != null && pos != null && ori != null) {
                double[] n = SeriesGeometry.normal(ori);
                p = new double[] {pos[0] + offsets[f] * n[0], pos[1] + offsets[f] * n[1], pos[2] + offsets[f] * n[2]};
            } else if (frames > 1) {
                p = null; // no per-frame positions: SeriesGeometry refuses with a message
            }
            out.add(new Plane(file, f, sop, p, ori, sp, slope, inter));
        }
        return out;
    }

    private static AttributeList group(AttributeList frameItem, AttributeList sharedItem, AttributeTag macro) {
        for (AttributeList l : new AttributeList[] {frameItem, sharedItem}) {
            if (l == null) continue;
            Attribute a = l.get(macro);
            if (a instanceof SequenceAttribute s && s.getNumberOfItems() > 0) {
                SequenceItem item = s.getItem(0);
                return item.getAttributeList();
            }
        }
        return null;
    }

    private static double slope(AttributeList l) {
        double s = Attribute.getSingleDoubleValueOrDefault(l, TagFromName.RescaleSlope, 1.0);
        return s == 0 || !Double.isFinite(s) ? 1.0 : s;
    }

    private static double intercept(AttributeList l) {
        double v = Attribute.getSingleDoubleValueOrDefault(l, TagFromName.RescaleIntercept, 0.0);
        return Double.isFinite(v) ? v : 0.0;
    }

    /** Exactly {@code n} finite values, or null. */
    static double[] doubles(AttributeList l, AttributeTag tag, int n) {
        if (l == null) return null;
        Attribute a = l.get(tag);
        if (a == null || a.getVM() != n) return null;
        try {
            double[] v = a.getDoubleValues();
            if (v == null || v.length != n) return null;
            for (double d : v) if (!Double.isFinite(d)) return null;
            return v;
        } catch (com.pixelmed.dicom.DicomException | RuntimeException e) {
            return null;
        }
    }

    static String str(AttributeList l, AttributeTag tag) {
        return Attribute.getSingleStringValueOrEmptyString(l, tag).strip();
    }

    static String reason(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) return e.getClass().getSimpleName();
        m = m.strip().lines().findFirst().orElse(m);
        return m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }
}
