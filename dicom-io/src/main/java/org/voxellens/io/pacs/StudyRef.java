package org.voxellens.io.pacs;

import java.util.List;

/**
 * A study found in a PACS: UID, date, modalities, description and series count. No patient attributes, but the
 * Study Description is free text that may hold them: listings show it only on request.
 */
public record StudyRef(String studyInstanceUid, String studyDate, List<String> modalities, String description,
                       int seriesCount) {
    public StudyRef {
        modalities = List.copyOf(modalities);
    }
}
