package org.voxellens.io.dicom.out;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The options of a {@link DicomResultWriter}, as the object writers use them. */
final class ResultSettings {

    static final String MANUFACTURER = "VoxelLens";

    final String description;
    final String seed;
    final String modelName;
    final String modelVersion;
    final String target;
    final String softwareVersion;
    final LocalDateTime contentDateTime;
    final Integer seriesNumber;

    ResultSettings(String description, String seed, String modelName, String modelVersion, String target,
                   String softwareVersion, LocalDateTime contentDateTime, Integer seriesNumber) {
        this.description = description;
        this.seed = seed;
        this.modelName = modelName;
        this.modelVersion = modelVersion;
        this.target = target;
        this.softwareVersion = softwareVersion;
        this.contentDateTime = contentDateTime;
        this.seriesNumber = seriesNumber;
    }

    String date() {
        return contentDateTime.format(DateTimeFormatter.BASIC_ISO_DATE);
    }

    String time() {
        return contentDateTime.format(DateTimeFormatter.ofPattern("HHmmss.SSS", Locale.ROOT));
    }

    String[] softwareVersions() {
        List<String> v = new ArrayList<>();
        v.add(DicomModules.text("VoxelLens " + softwareVersion, 64));
        String model = modelLabel();
        if (!model.isEmpty()) v.add(DicomModules.text("model " + model, 64));
        return v.toArray(String[]::new);
    }

    String deviceSerialNumber() {
        return DicomModules.text("VoxelLens-" + softwareVersion, 64);
    }

    /** "name version", or what of it is known. */
    String modelLabel() {
        String n = modelName == null ? "" : modelName.trim();
        String v = modelVersion == null ? "" : modelVersion.trim();
        return (n + " " + v).trim();
    }

    /** A new UID: derived from the seed and the parts in deterministic mode, else random. */
    String uid(String... parts) {
        if (seed == null) return DicomUids.random();
        String[] all = new String[parts.length + 1];
        all[0] = seed;
        System.arraycopy(parts, 0, all, 1, parts.length);
        return DicomUids.derived(all);
    }

    /**
     * Series Description: the description given to the writer, else "VoxelLens &lt;what&gt; &lt;target&gt;
     * &lt;model&gt;"; trimmed to 64 characters.
     */
    String seriesDescription(String what) {
        if (description != null && !description.isBlank()) return DicomModules.text(description, 64);
        StringBuilder b = new StringBuilder("VoxelLens ").append(what == null ? "" : what);
        if (target != null && !target.isBlank()) b.append(' ').append(target.trim());
        String m = modelName == null ? "" : modelName.trim();
        if (!m.isEmpty()) b.append(' ').append(m);
        return DicomModules.text(b.toString(), 64);
    }

    int seriesNumber(int dflt) {
        return seriesNumber != null ? seriesNumber : dflt;
    }
}
