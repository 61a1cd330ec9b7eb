package org.voxellens.cli;

import java.util.Locale;

/**
 * Which DICOM result objects a job writes (and {@code pacs run} stores): per method a Parametric Map (the float
 * map; small: one multi-frame object) and a Secondary Capture overlay series (one RGB image per slice: what any
 * viewer shows, and most of the bytes and of the writing time), plus a SEG for segmentation models.
 */
record DicomOutputs(boolean parametricMap, boolean secondaryCapture, boolean segmentation) {

    static final DicomOutputs ALL = new DicomOutputs(true, true, true);

    /** "pm,sc,seg" in any order and combination, or "all". */
    static DicomOutputs parse(String spec) {
        if (spec == null || spec.isBlank() || spec.strip().equalsIgnoreCase("all")) return ALL;
        boolean pm = false, sc = false, seg = false;
        for (String part : spec.split(",")) {
            switch (part.strip().toLowerCase(Locale.ROOT)) {
                case "pm", "parametric_map", "parametricmap" -> pm = true;
                case "sc", "secondary_capture", "secondarycapture" -> sc = true;
                case "seg", "segmentation" -> seg = true;
                default -> throw new IllegalArgumentException("--dicom-outputs takes pm, sc, seg (comma-separated) or all, got \""
                    + part.strip() + "\"");
            }
        }
        if (!pm && !sc && !seg) throw new IllegalArgumentException("--dicom-outputs names no output");
        return new DicomOutputs(pm, sc, seg);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        if (parametricMap) b.append("pm,");
        if (secondaryCapture) b.append("sc,");
        if (segmentation) b.append("seg,");
        return b.substring(0, b.length() - 1);
    }
}
