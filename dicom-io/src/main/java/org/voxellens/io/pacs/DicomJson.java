package org.voxellens.io.pacs;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** Reading values out of DICOM JSON (PS3.18 F.2): {"0020000D": {"vr": "UI", "Value": ["1.2.3"]}}. */
final class DicomJson {

    private DicomJson() {
    }

    static List<String> strings(JsonObject o, String tag) {
        List<String> out = new ArrayList<>();
        JsonArray v = values(o, tag);
        if (v == null) return out;
        for (JsonElement e : v) if (e.isJsonPrimitive()) out.add(e.getAsString().strip());
        return out;
    }

    static String string(JsonObject o, String tag) {
        List<String> s = strings(o, tag);
        return s.isEmpty() ? "" : s.get(0);
    }

    static int integer(JsonObject o, String tag, int dflt) {
        String s = string(o, tag);
        try {
            return s.isEmpty() ? dflt : (int) Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    static int sequenceSize(JsonObject o, String tag) {
        JsonArray v = values(o, tag);
        return v == null ? 0 : v.size();
    }

    private static JsonArray values(JsonObject o, String tag) {
        JsonElement a = o.get(tag);
        if (a == null || !a.isJsonObject()) return null;
        JsonElement v = a.getAsJsonObject().get("Value");
        return v != null && v.isJsonArray() ? v.getAsJsonArray() : null;
    }
}
