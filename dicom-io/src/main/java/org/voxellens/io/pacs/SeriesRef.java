package org.voxellens.io.pacs;

import java.util.Locale;

/** A series found in a PACS: UIDs and technical facts (no patient attributes). instances is -1 when unknown. */
public record SeriesRef(String studyInstanceUid, String seriesInstanceUid, String modality, String seriesNumber,
                        String description, String manufacturer, int instances) {

    /** One line for a listing. */
    public String describe() {
        return String.format(Locale.ROOT, "%-6s %-64s %-4s %5d  %s", seriesNumber.isEmpty() ? "-" : seriesNumber,
            seriesInstanceUid, modality.isEmpty() ? "-" : modality, instances,
            description.isEmpty() ? "-" : '"' + description + '"');
    }
}
