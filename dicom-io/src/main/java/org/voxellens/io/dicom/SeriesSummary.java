package org.voxellens.io.dicom;

import java.util.List;
import java.util.Locale;

/**
 * One series found in a folder, as {@code voxellens series} lists it. Holds technical facts (UIDs, series number,
 * modality, counts and sizes) and the Series Description. The description is free text that sites fill with
 * whatever the scanner operator typed, patient names and birth dates included, so it counts as patient data: the
 * names for logs and listings leave it out unless a user asks for it ({@code --show-descriptions}).
 *
 * @param studyInstanceUid  the study it belongs to
 * @param seriesInstanceUid the series
 * @param seriesNumber      the Series Number as written, "" when absent
 * @param modality          e.g. CT, MR ("" when absent)
 * @param seriesDescription "" when absent
 * @param sopClassUid       the SOP class of its first image
 * @param imageCount        number of image files (instances)
 * @param frameCount        number of frames over all instances (= slices for a volume)
 * @param rows              rows of its first image
 * @param columns           columns of its first image
 * @param volumetric        at least two frames, all with a position and one common orientation
 * @param transferSyntaxes  the transfer syntaxes its files use
 */
public record SeriesSummary(String studyInstanceUid, String seriesInstanceUid, String seriesNumber, String modality,
                            String seriesDescription, String sopClassUid, int imageCount, int frameCount, int rows,
                            int columns, boolean volumetric, List<String> transferSyntaxes) {

    public SeriesSummary {
        transferSyntaxes = List.copyOf(transferSyntaxes);
    }

    /** "columns x rows x frames". */
    public String dimensions() {
        return columns + "x" + rows + "x" + frameCount;
    }

    /** Voxels the series would have as one volume (the "largest" in default selection). */
    public long voxelCount() {
        return (long) rows * columns * frameCount;
    }

    /** A name safe to log: series number and modality (no patient data, so no free-text description). */
    public String displayName() {
        StringBuilder b = new StringBuilder("series");
        if (!seriesNumber.isEmpty()) b.append(' ').append(seriesNumber);
        if (!modality.isEmpty()) b.append(" (").append(modality).append(')');
        return b.toString();
    }

    /** One line for a listing: number, UID, modality, images, dimensions; no description. */
    public String describe() {
        return describe(false);
    }

    /** As {@link #describe()}, with the Series Description when the user asked to see it. */
    public String describe(boolean withDescription) {
        String text = withDescription ? String.format(Locale.ROOT, " %-32s",
            seriesDescription.isEmpty() ? "-" : '"' + seriesDescription + '"') : "";
        return String.format(Locale.ROOT, "%-6s %-64s %-4s%s %5d image%s %s%s",
            seriesNumber.isEmpty() ? "-" : seriesNumber, seriesInstanceUid, modality.isEmpty() ? "-" : modality,
            text, imageCount, imageCount == 1 ? " " : "s", dimensions(), volumetric ? "" : " (not a 3D volume)");
    }

    @Override
    public String toString() {
        return "SeriesSummary[" + displayName() + ", uid=" + seriesInstanceUid + ", " + dimensions() + "]";
    }
}
