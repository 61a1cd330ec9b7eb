package org.voxellens.io.dicom;

import java.util.Map;

/** Names of the transfer syntaxes users meet, for messages, and which ones need dcmtk to decode. */
final class TransferSyntaxes {

    static final String IMPLICIT_LE = "1.2.840.10008.1.2";
    static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
    static final String DEFLATED_LE = "1.2.840.10008.1.2.1.99";
    static final String EXPLICIT_BE = "1.2.840.10008.1.2.2";

    private static final Map<String, String> NAMES = Map.ofEntries(
        Map.entry(IMPLICIT_LE, "Implicit VR Little Endian"),
        Map.entry(EXPLICIT_LE, "Explicit VR Little Endian"),
        Map.entry(DEFLATED_LE, "Deflated Explicit VR Little Endian"),
        Map.entry(EXPLICIT_BE, "Explicit VR Big Endian"),
        Map.entry("1.2.840.10008.1.2.5", "RLE Lossless"),
        Map.entry("1.2.840.10008.1.2.4.50", "JPEG Baseline (8-bit)"),
        Map.entry("1.2.840.10008.1.2.4.51", "JPEG Extended (12-bit)"),
        Map.entry("1.2.840.10008.1.2.4.57", "JPEG Lossless"),
        Map.entry("1.2.840.10008.1.2.4.70", "JPEG Lossless SV1"),
        Map.entry("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless"),
        Map.entry("1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless"),
        Map.entry("1.2.840.10008.1.2.4.90", "JPEG 2000 Lossless"),
        Map.entry("1.2.840.10008.1.2.4.91", "JPEG 2000"),
        Map.entry("1.2.840.10008.1.2.4.100", "MPEG2"),
        Map.entry("1.2.840.10008.1.2.4.102", "MPEG-4"),
        Map.entry("1.2.840.10008.1.2.4.201", "HTJ2K Lossless"),
        Map.entry("1.2.840.10008.1.2.4.203", "HTJ2K"));

    private TransferSyntaxes() {
    }

    /** "1.2.840.10008.1.2.4.80 (JPEG-LS Lossless)". */
    static String describe(String uid) {
        if (uid == null || uid.isEmpty()) return "(no transfer syntax)";
        String name = NAMES.get(uid);
        return name == null ? uid : uid + " (" + name + ")";
    }

    static boolean isNative(String uid) {
        return uid == null || uid.isEmpty() || uid.equals(IMPLICIT_LE) || uid.equals(EXPLICIT_LE)
            || uid.equals(DEFLATED_LE) || uid.equals(EXPLICIT_BE);
    }

    /** The dcmtk tool that decompresses this syntax where PixelMed's Java decoders cannot, or null. */
    static String dcmtkDecoder(String uid) {
        if (uid == null) return null;
        switch (uid) {
            case "1.2.840.10008.1.2.4.80":
            case "1.2.840.10008.1.2.4.81":
                return "dcmdjpls";
            case "1.2.840.10008.1.2.5": // PixelMed decodes RLE of 8 and 16 bits only
                return "dcmdrle";
            case "1.2.840.10008.1.2.4.50":
            case "1.2.840.10008.1.2.4.51":
            case "1.2.840.10008.1.2.4.57":
            case "1.2.840.10008.1.2.4.70":
                return "dcmdjpeg";
            default:
                return null;
        }
    }

    /** Syntaxes PixelMed 20220618 is known not to decode (always transcoded first). */
    static boolean needsDcmtk(String uid) {
        return "1.2.840.10008.1.2.4.80".equals(uid) || "1.2.840.10008.1.2.4.81".equals(uid)
            || "1.2.840.10008.1.2.4.51".equals(uid);
    }
}
