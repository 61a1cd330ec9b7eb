package org.voxellens.io.pacs;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A study search such as {@code Modality=MR&StudyDate=20260101-20261231}. Only study-level keys are accepted:
 * searching by patient name, ID or birth date would put them into command lines, shell histories and logs, which
 * the workflow promises not to do. Dates use DICOM range matching ({@code from-to}).
 */
public final class PacsQuery {

    /** Accepted keys; Modality means "a series of this modality in the study" (ModalitiesInStudy). */
    static final Set<String> KEYS = Set.of("Modality", "ModalitiesInStudy", "StudyDate", "StudyTime",
        "AccessionNumber", "StudyInstanceUID", "StudyDescription", "StudyID");

    private final Map<String, String> terms;

    private PacsQuery(Map<String, String> terms) {
        this.terms = Map.copyOf(terms);
    }

    /** Every study (no filter). */
    public static PacsQuery all() { return new PacsQuery(Map.of()); }

    public static PacsQuery parse(String text) {
        Map<String, String> t = new LinkedHashMap<>();
        if (text == null || text.isBlank()) return new PacsQuery(t);
        for (String part : text.split("&")) {
            if (part.isBlank()) continue;
            int eq = part.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--query: '" + part + "' is not Key=Value");
            String k = URLDecoder.decode(part.substring(0, eq).strip(), StandardCharsets.UTF_8);
            String v = URLDecoder.decode(part.substring(eq + 1).strip(), StandardCharsets.UTF_8);
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException("--query: unsupported key '" + k + "' (supported: "
                    + String.join(", ", KEYS.stream().sorted().toList()) + "; patient attributes are not searchable "
                    + "so that they never appear in commands or logs)");
            }
            if (k.equals("Modality")) k = "ModalitiesInStudy";
            t.put(k, v);
        }
        return new PacsQuery(t);
    }

    /** Keyword to value, Modality already mapped to ModalitiesInStudy. */
    public Map<String, String> terms() { return terms; }

    @Override
    public String toString() { return terms.toString(); }
}
