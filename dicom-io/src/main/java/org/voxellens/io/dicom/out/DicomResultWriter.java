package org.voxellens.io.dicom.out;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;

import com.pixelmed.dicom.AttributeList;

import org.voxellens.io.dicom.DicomException;
import org.voxellens.io.dicom.DicomVolume;
import org.voxellens.volumetric.Volume;
import org.voxellens.volumetric.render.RenderOptions;

/**
 * Writes VoxelLens results as DICOM objects that form a <b>new series in the source study</b>: same Study Instance
 * UID, patient and study modules copied from the source, same Frame of Reference, references to the source series
 * and images, a new Series Instance UID and new SOP Instance UIDs, Manufacturer "VoxelLens".
 *
 * <ul>
 *   <li>{@link #writeParametricMap}: an attribution map as a float32 Parametric Map (one multi-frame file);</li>
 *   <li>{@link #writeSecondaryCapture}: the heat map burned onto the anatomy, RGB Secondary Capture images, one
 *       per slice;</li>
 *   <li>{@link #writeSegmentation}: a label volume as a binary DICOM SEG (one multi-frame file).</li>
 * </ul>
 *
 * <p>Sources without DICOM (NIfTI): pass {@link SourceStudy#synthetic} (new study, anonymous patient
 * "VoxelLens^Research"); {@link #writeVolume} writes such a volume itself as a Parametric Map, which is what
 * {@code voxellens convert} NIfTI &rarr; DICOM uses (float32 values and geometry kept exactly, in one file).
 *
 * <p>UIDs are random, or with {@link Builder#deterministicUids(String)} derived from the seed, the source series
 * UID, the kind of object and the method, so that re-running the same job writes the same UIDs.
 *
 * <p>Every file is written to a temporary file beside its target and moved into place when complete; a failure
 * leaves no file behind (for Secondary Capture series: none of the series' files). Error messages name the file
 * and the problem and never contain patient data.
 */
public final class DicomResultWriter {

    /** What was written: the new series, its instances and their files (in slice/instance order). */
    public record Written(String seriesInstanceUid, List<String> sopInstanceUids, List<Path> files) {
        public Written {
            sopInstanceUids = List.copyOf(sopInstanceUids);
            files = List.copyOf(files);
        }
    }

    /** A coded concept (Code Value, Coding Scheme Designator, Code Meaning). */
    public record Code(String value, String scheme, String meaning) {
        public static final Code NO_UNITS = new Code("1", "UCUM", "no units");
        public static final Code MORPHOLOGICALLY_ABNORMAL_STRUCTURE =
            new Code("49755003", "SCT", "Morphologically Abnormal Structure");
        public static final Code LESION = new Code("52988006", "SCT", "Lesion");
        public static final Code TISSUE = new Code("85756007", "SCT", "Tissue");

        String[] array() {
            return new String[] {value, scheme, meaning};
        }
    }

    /** One segment of a SEG: label and its category and type codes. */
    public record Segment(String label, Code category, Code type) {
        /** A segment with the default codes: Morphologically Abnormal Structure / Lesion. */
        public static Segment lesion(String label) {
            return new Segment(label, Code.MORPHOLOGICALLY_ABNORMAL_STRUCTURE, Code.LESION);
        }
    }

    /** Default series numbers of a writer used for one method (see {@link SeriesNumbers}). */
    static final int SERIES_PM = SeriesNumbers.parametricMap(0);
    static final int SERIES_SC = SeriesNumbers.secondaryCapture(0);
    static final int SERIES_SEG = SeriesNumbers.SEGMENTATION;

    /**
     * Series numbers of one job's results, from 900 so they sort after the acquired series: the SEG 900, then per
     * method i (0-based, in the order asked) its Parametric Map 901 + 2i and its overlays 902 + 2i, so that every
     * result series of a study has a number of its own and a method's map sits beside its overlay in a viewer.
     */
    public static final class SeriesNumbers {
        public static final int SEGMENTATION = 900;

        private SeriesNumbers() {
        }

        public static int parametricMap(int method) {
            return 901 + 2 * method;
        }

        public static int secondaryCapture(int method) {
            return 902 + 2 * method;
        }
    }

    private final ResultSettings settings;
    private final Code units;

    private DicomResultWriter(Builder b) {
        this.settings = new ResultSettings(b.description, b.seed, b.modelName, b.modelVersion, b.target,
            b.softwareVersion, b.contentDateTime != null ? b.contentDateTime : LocalDateTime.now(), b.seriesNumber);
        this.units = b.units;
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- Parametric Map

    /** The map (on the source grid) as a Parametric Map in the source's study; {@code method} names it. */
    public Written writeParametricMap(DicomVolume source, Volume map, String method, Path outFile) throws IOException {
        return writeParametricMap(SourceStudy.of(source), map, method, outFile);
    }

    /** As {@link #writeParametricMap(DicomVolume, Volume, String, Path)}, into any study (e.g. a synthetic one). */
    public Written writeParametricMap(SourceStudy source, Volume map, String method, Path outFile) throws IOException {
        requireSameGrid(source, map, "map", outFile);
        String what = method == null || method.isBlank() ? "map" : method.trim();
        String seriesUid = settings.uid(source.studyInstanceUid(), String.valueOf(source.seriesInstanceUid()),
            "parametric map", what, "series");
        String sopUid = settings.uid(seriesUid, "instance", "1");
        Headers.Series series = new Headers.Series(seriesUid, settings.seriesNumber(SERIES_PM), source.modality(),
            settings.seriesDescription(what));
        AttributeList l = build(outFile, () -> ParametricMapWriter.build(source, map, settings, series, sopUid, what,
            units.array()));
        DicomModules.writeAtomically(l, outFile);
        return new Written(seriesUid, List.of(sopUid), List.of(outFile));
    }

    /**
     * A volume without DICOM source (e.g. read from NIfTI) as a Parametric Map in a new study with an anonymous
     * patient ({@link SourceStudy#synthetic}); with deterministic UIDs the study depends only on the seed.
     */
    public Written writeVolume(Volume volume, String label, Path outFile) throws IOException {
        return writeParametricMap(SourceStudy.synthetic(volume.geometry(), settings.seed), volume, label, outFile);
    }

    // ---------------------------------------------------------------- Secondary Capture

    /** The heat map burned onto the anatomy as RGB Secondary Capture images, one per slice, into {@code outDir}. */
    public Written writeSecondaryCapture(DicomVolume source, Volume anatomy, Volume map, RenderOptions options,
                                         Path outDir) throws IOException {
        return writeSecondaryCapture(SourceStudy.of(source), anatomy, map, options, null, outDir);
    }

    /** As above, with the method named in the series description and image comments. */
    public Written writeSecondaryCapture(DicomVolume source, Volume anatomy, Volume map, RenderOptions options,
                                         String method, Path outDir) throws IOException {
        return writeSecondaryCapture(SourceStudy.of(source), anatomy, map, options, method, outDir);
    }

    /** As above, into any study, with the method named in the description ({@code null}: "heat map"). */
    public Written writeSecondaryCapture(SourceStudy source, Volume anatomy, Volume map, RenderOptions options,
                                         String method, Path outDir) throws IOException {
        requireSameGrid(source, map, "map", outDir);
        requireSameGrid(source, anatomy, "anatomy", outDir);
        String what = method == null || method.isBlank() ? "heat map" : method.trim();
        String seriesUid = settings.uid(source.studyInstanceUid(), String.valueOf(source.seriesInstanceUid()),
            "secondary capture", what, "series");
        Headers.Series series = new Headers.Series(seriesUid, settings.seriesNumber(SERIES_SC), "OT",
            settings.seriesDescription(what + " overlay"));
        RenderOptions o = options == null ? RenderOptions.defaults() : options;
        int nz = source.geometry().nz();
        List<String> uids = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int k = 0; k < nz; k++) {
            uids.add(settings.uid(seriesUid, "instance", Integer.toString(k + 1)));
            names.add(String.format(java.util.Locale.ROOT, "SC%04d.dcm", k + 1));
        }
        List<Path> files = SecondaryCaptureWriter.write(source, anatomy, map, o, settings, series, uids, what,
            outDir, names);
        return new Written(seriesUid, uids, files);
    }

    // ---------------------------------------------------------------- Segmentation

    /** Labels 0..K (0 background) as a binary SEG; segment l is named {@code segmentNames.get(l - 1)}. */
    public Written writeSegmentation(DicomVolume source, Volume labels, List<String> segmentNames, Path outFile)
        throws IOException {
        return writeSegmentation(SourceStudy.of(source), labels, segmentNames.stream().map(Segment::lesion).toList(),
            outFile);
    }

    /** Labels 0..K as a binary SEG with the segments' own codes, into any study. */
    public Written writeSegmentation(SourceStudy source, Volume labels, List<Segment> segments, Path outFile)
        throws IOException {
        requireSameGrid(source, labels, "label volume", outFile);
        if (segments.isEmpty()) throw new DicomException(outFile, "no segments given");
        String seriesUid = settings.uid(source.studyInstanceUid(), String.valueOf(source.seriesInstanceUid()),
            "segmentation", "series");
        String sopUid = settings.uid(seriesUid, "instance", "1");
        Headers.Series series = new Headers.Series(seriesUid, settings.seriesNumber(SERIES_SEG), "SEG",
            settings.seriesDescription("segmentation"));
        AttributeList l = build(outFile, () -> SegmentationWriter.build(source, labels, segments, settings, series,
            sopUid));
        DicomModules.writeAtomically(l, outFile);
        return new Written(seriesUid, List.of(sopUid), List.of(outFile));
    }

    // ---------------------------------------------------------------- helpers

    interface Builds {
        AttributeList build() throws com.pixelmed.dicom.DicomException;
    }

    static AttributeList build(Path out, Builds b) throws DicomException {
        try {
            return b.build();
        } catch (com.pixelmed.dicom.DicomException | IllegalArgumentException e) {
            throw new DicomException(out, "cannot write: " + e.getMessage(), e);
        }
    }

    private static void requireSameGrid(SourceStudy source, Volume v, String what, Path out) throws DicomException {
        if (v == null) throw new DicomException(out, "no " + what + " given");
        if (!source.geometry().sameGrid(v.geometry(), 1e-3)) {
            throw new DicomException(out, "the " + what + " is not on the source grid (source " + source.geometry()
                + ", " + what + " " + v.geometry() + "); resample it onto the source first");
        }
    }

    /** Options of the writer; all optional. */
    public static final class Builder {
        private String description;
        private String seed;
        private String modelName;
        private String modelVersion;
        private String target;
        private String softwareVersion = defaultVersion();
        private LocalDateTime contentDateTime;
        private Integer seriesNumber;
        private Code units = Code.NO_UNITS;

        private Builder() {
        }

        /** Series Description (trimmed to 64 characters); default "VoxelLens &lt;method&gt; &lt;target&gt; &lt;model&gt;". */
        public Builder description(String description) { this.description = description; return this; }

        /**
         * Deterministic UIDs: every UID is derived from this seed (e.g. the model SHA-256 and job parameters), the
         * source series UID, the kind of object and the method. Null: random UIDs.
         */
        public Builder deterministicUids(String seed) { this.seed = seed; return this; }

        /** The model: algorithm name/version of SEG segments, Software Versions, the default description. */
        public Builder model(String name, String version) {
            this.modelName = name;
            this.modelVersion = version;
            return this;
        }

        /** The explained target (class name), for the default description. */
        public Builder target(String target) { this.target = target; return this; }

        public Builder softwareVersion(String version) {
            this.softwareVersion = version == null || version.isBlank() ? defaultVersion() : version;
            return this;
        }

        /** Content/Series/Instance Creation date and time (default: when the writer is built). */
        public Builder contentDateTime(LocalDateTime t) { this.contentDateTime = t; return this; }

        /** Series Number of the written series (default 901 Parametric Map, 902 Secondary Capture, 900 SEG). */
        public Builder seriesNumber(int n) { this.seriesNumber = n; return this; }

        /** Measurement units of Parametric Map values (default UCUM "1", no units). */
        public Builder units(Code units) {
            if (units == null) throw new IllegalArgumentException("units are required");
            this.units = units;
            return this;
        }

        public DicomResultWriter build() {
            return new DicomResultWriter(this);
        }

        private static String defaultVersion() {
            String v = DicomResultWriter.class.getPackage().getImplementationVersion();
            return v == null ? "dev" : v;
        }
    }

    /** Deletes what {@code files} lists that exists; used to undo a partly written series. */
    static void deleteQuietly(List<Path> files) {
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException ignored) {
                // best effort: the original error is what matters
            }
        }
    }
}
