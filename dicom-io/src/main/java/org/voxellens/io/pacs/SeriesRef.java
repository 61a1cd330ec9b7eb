package org.voxellens.io.pacs;

import java.util.Locale;

/**
 * A series found in a PACS: UIDs, technical facts and the Series Description. instances is -1 when unknown. The
 * description is free text and may hold patient data: listings show it only on request.
 */
public record SeriesRef(String studyInstanceUid, String seriesInstanceUid, String modality, String seriesNumber,
                        String description, String manufacturer, int instances) {

    /** One line for a listing, without the description. */
    public String describe() {
        return describe(false);
    }

    /** One line for a listing; the free-text description only when the user asked for it. */
    public String describe(boolean withDescription) {
        return String.format(Locale.ROOT, "%-6s %-64s %-4s %5d%s", seriesNumber.isEmpty() ? "-" : seriesNumber,
            seriesInstanceUid, modality.isEmpty() ? "-" : modality, instances,
            withDescription ? "  " + (description.isEmpty() ? "-" : '"' + description + '"') : "");
    }
}
