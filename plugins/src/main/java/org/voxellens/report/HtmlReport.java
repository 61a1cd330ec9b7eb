package org.voxellens.report;

import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * One self-contained HTML page (pictures inlined as data URIs) a clinician can open from a share or attach to a
 * ticket: what was explained, what the model said, every method's picture and parameters, and the notice that
 * this is a research tool.
 */
public final class HtmlReport {

    /**
     * One method's section.
     *
     * @param verdict the map's verdict level ("unreliable", ...), or null when none was made
     * @param verdictReasons why, in plain words (shown next to the map)
     */
    public record Section(String method, String description, byte[] png, Map<String, Object> parameters,
                          Map<String, Object> diagnostics, double seconds, String verdict, List<String> verdictReasons) {

        /** Without a verdict. */
        public Section(String method, String description, byte[] png, Map<String, Object> parameters,
                       Map<String, Object> diagnostics, double seconds) {
            this(method, description, png, parameters, diagnostics, seconds, null, List.of());
        }
    }

    private HtmlReport() {}

    public static String render(String title, Map<String, String> facts, Map<String, String> prediction,
                                List<Section> sections, String footer) {
        StringBuilder h = new StringBuilder(8192);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>").append(esc(title)).append("</title>\n")
            .append("<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}")
            .append(".ruo{background:#fff3cd;border:1px solid #e0b000;padding:10px 14px;font-weight:600;margin:12px 0}")
            .append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}")
            .append("th{background:#f2f2f2}img{max-width:100%;border:1px solid #444;background:#000}")
            .append(".verdict{padding:8px 12px;margin:8px 0;border:1px solid #999}.verdict.unreliable{background:#f8d7da;border-color:#c00;font-weight:600}")
            .append("section{margin:28px 0}h2{border-bottom:2px solid #444;padding-bottom:4px}code{font-size:13px}</style>\n")
            .append("</head><body>\n<h1>").append(esc(title)).append("</h1>\n")
            .append("<div class=\"ruo\">RESEARCH USE ONLY. Not for diagnostic use. Attribution maps show what influenced this model's output;")
            .append(" they are not findings and can be misleading. Check every map against the anatomy.</div>\n");
        h.append("<h2>Case</h2>\n").append(table(facts));
        h.append("<h2>Prediction</h2>\n").append(table(prediction));
        for (Section s : sections) {
            h.append("<section><h2>").append(esc(s.method())).append("</h2>\n<p>").append(esc(s.description())).append("</p>\n");
            if (s.png() != null) {
                h.append("<img alt=\"").append(esc(s.method())).append(" over the anatomy: axial, coronal and sagittal slices through the map's peak\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(s.png())).append("\">\n");
            }
            if (s.verdict() != null) {
                h.append("<div class=\"verdict ").append(esc(s.verdict().replace(' ', '-'))).append("\">Verdict: ").append(esc(s.verdict()));
                for (String r : s.verdictReasons()) h.append("<br>").append(esc(r));
                h.append("</div>\n");
            }
            h.append("<h3>Parameters</h3>\n").append(table(stringify(s.parameters())));
            if (!s.diagnostics().isEmpty()) h.append("<h3>Diagnostics</h3>\n").append(table(stringify(s.diagnostics())));
            h.append(String.format(java.util.Locale.ROOT, "<p>Run time: %.2f s</p></section>%n", s.seconds()));
        }
        h.append("<hr><p><small>").append(esc(footer)).append("</small></p>\n</body></html>\n");
        return h.toString();
    }

    private static Map<String, String> stringify(Map<String, Object> m) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v instanceof float[] f ? java.util.Arrays.toString(f) : String.valueOf(v)));
        return out;
    }

    private static String table(Map<String, String> rows) {
        StringBuilder t = new StringBuilder("<table>\n");
        rows.forEach((k, v) -> t.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>\n"));
        return t.append("</table>\n").toString();
    }

    static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
