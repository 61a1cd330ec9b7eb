package org.voxellens.io.dicom.out;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.TagFromName;

import org.voxellens.io.dicom.DicomException;
import org.voxellens.volumetric.AtomicFiles;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/**
 * Writes a volume as a classic DICOM image <b>series</b>: one single-frame MR (default) or CT Image Storage file
 * per slice (voxel axis 2), which is what {@code voxellens convert} writes for NIfTI &rarr; DICOM with a folder
 * output, and what every viewer and PACS reads.
 *
 * <ul>
 *   <li>Geometry from the volume's LPS {@link Geometry}: Image Position (Patient) of voxel (0, 0, k), Image
 *       Orientation (Patient) from the row (axis 0) and column (axis 1) directions, Pixel Spacing, Slice
 *       Thickness (the slice spacing) and, for MR, Spacing Between Slices; Instance Number k + 1. A reader that
 *       stacks slices by their position along row &times; column (as dcm2niix and
 *       {@link org.voxellens.io.dicom.DicomSeriesReader} do) gets the same world position for every voxel; for a
 *       left-handed grid it gets the slices in reverse order, at the same positions.</li>
 *   <li>Pixels: signed 16-bit, {@code value = stored * RescaleSlope + RescaleIntercept}. Volumes whose values
 *       are all integers in [-32768, 32767] are stored exactly (slope 1, intercept 0); otherwise the slope spreads
 *       the value range over the 16 bits, and every value comes back within half a slope ({@link Rescale#fit}).
 *       NaN and infinite values are refused.</li>
 *   <li>Window Center/Width spanning the value range; MONOCHROME2.</li>
 *   <li>Patient and study modules and the Frame of Reference from the {@link SourceStudy} (for NIfTI:
 *       {@link SourceStudy#synthetic}, anonymous research patient); a new Series Instance UID and SOP Instance
 *       UIDs, random or derived from {@link Builder#deterministicUids(String) a seed}.</li>
 *   <li>MR: the MR Image module's required attributes with the standard's "unknown" values: Scanning Sequence
 *       RM (research mode), Sequence Variant NONE, and empty type 2 attributes (Scan Options, MR Acquisition
 *       Type, Repetition/Echo Time, Echo Train Length).</li>
 * </ul>
 *
 * <p>The series is written into a hidden staging folder beside {@code outDir} and renamed to {@code outDir} only
 * when every file is complete: a failure leaves no folder and no file behind. {@code outDir} must not exist or
 * be an empty folder.
 */
public final class ImageSeriesWriter {

    /** The modalities (and so SOP classes) written. */
    public enum Modality {
        MR(SOPClass.MRImageStorage),
        CT(SOPClass.CTImageStorage);

        final String sopClass;

        Modality(String sopClass) {
            this.sopClass = sopClass;
        }

        /** "MR" or "CT" (case-insensitive). */
        public static Modality parse(String s) {
            if (s != null) {
                for (Modality m : values()) if (m.name().equalsIgnoreCase(s.trim())) return m;
            }
            throw new IllegalArgumentException("unsupported modality for an image series: " + s
                + " (supported: MR, CT)");
        }
    }

    /**
     * The stored-value mapping {@code value = stored * slope + intercept}; slope and intercept are exactly what
     * their DICOM decimal strings say, so a reader recomputes the same values.
     */
    public record Rescale(double slope, double intercept) {

        public static final Rescale IDENTITY = new Rescale(1, 0);

        public Rescale {
            if (!(slope > 0) || !Double.isFinite(slope) || !Double.isFinite(intercept)) {
                throw new IllegalArgumentException("invalid rescale: slope " + slope + ", intercept " + intercept);
            }
            slope = Double.parseDouble(DicomModules.ds(slope));
            intercept = Double.parseDouble(DicomModules.ds(intercept));
        }

        /**
         * The mapping for a volume: identity when every value is an integer in the int16 range (stored exactly),
         * else the value range over [-32767, 32767] (every value within half a slope). Throws
         * {@link IllegalArgumentException} naming the first non-finite voxel.
         */
        public static Rescale fit(Volume v) {
            float[] d = v.data();
            int bad = v.firstNonFinite();
            if (bad >= 0) {
                Geometry g = v.geometry();
                int i = bad % g.nx(), j = (bad / g.nx()) % g.ny(), k = bad / (g.nx() * g.ny());
                throw new IllegalArgumentException("the volume has a non-finite value (" + d[bad] + ") at voxel ("
                    + i + ", " + j + ", " + k + "); DICOM images cannot store NaN or infinity");
            }
            double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
            boolean integers = true;
            for (float x : d) {
                if (x < min) min = x;
                if (x > max) max = x;
                if (integers && x != Math.rint(x)) integers = false;
            }
            if (d.length == 0) return IDENTITY;
            if (integers && min >= Short.MIN_VALUE && max <= Short.MAX_VALUE) return IDENTITY;
            if (max == min) return new Rescale(1, min);
            double mid = (min + max) / 2;
            // 65532 steps instead of 65534: room for the rounding of slope and intercept to decimal strings
            return new Rescale((max - min) / 65532, mid);
        }

        /** The stored value of {@code x}; throws if it does not fit 16 bits signed. */
        public short store(double x) {
            long r = Math.round((x - intercept) / slope);
            if (r < Short.MIN_VALUE || r > Short.MAX_VALUE) {
                throw new IllegalArgumentException("value " + x + " does not fit 16 bits with rescale slope " + slope
                    + " and intercept " + intercept);
            }
            return (short) r;
        }

        /** The value a reader gets back for {@code x}. */
        public double roundTrip(double x) {
            return store(x) * slope + intercept;
        }
    }

    private final Modality modality;
    private final Rescale rescale;
    private final ResultSettings settings;
    private final String derivation;

    private ImageSeriesWriter(Builder b) {
        this.modality = b.modality;
        this.rescale = b.rescale;
        this.settings = new ResultSettings(b.description, b.seed, null, null, null, b.softwareVersion,
            b.contentDateTime != null ? b.contentDateTime : LocalDateTime.now(), b.seriesNumber);
        this.derivation = b.derivation;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Modality modality() {
        return modality;
    }

    /** The mapping this writer uses for {@code v}: the one given to the builder, else {@link Rescale#fit}. */
    public Rescale rescaleFor(Volume v) {
        return rescale != null ? rescale : Rescale.fit(v);
    }

    /**
     * Writes {@code volume} as a new series in {@code study} into the folder {@code outDir} (which must not exist
     * or be empty), files {@code IM0001.dcm}... in slice order. Nothing is left behind on failure.
     */
    public DicomResultWriter.Written write(Volume volume, SourceStudy study, Path outDir) throws IOException {
        if (volume == null) throw new DicomException(outDir, "no volume given");
        if (study == null) throw new DicomException(outDir, "no study given");
        Rescale r;
        try {
            r = rescaleFor(volume);
            if (rescale != null) {
                int bad = volume.firstNonFinite();
                if (bad >= 0) throw new IllegalArgumentException("the volume has a non-finite value ("
                    + volume.data()[bad] + ") at voxel index " + bad);
            }
        } catch (IllegalArgumentException e) {
            throw new DicomException(outDir, "cannot write the image series: " + e.getMessage(), e);
        }
        Path target = outDir.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) throw new DicomException(outDir, "exists and is not a folder");
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(target)) {
                if (ds.iterator().hasNext()) {
                    throw new DicomException(outDir, "the folder exists and is not empty; an image series is "
                        + "written into a new or empty folder");
                }
            }
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Geometry g = volume.geometry();
        int nz = g.nz();
        String seriesUid = settings.uid(study.studyInstanceUid(), String.valueOf(study.seriesInstanceUid()),
            "image series", modality.name(), "series");
        List<String> uids = new ArrayList<>();
        List<String> names = new ArrayList<>();
        int width = Math.max(4, Integer.toString(nz).length());
        for (int k = 0; k < nz; k++) {
            uids.add(settings.uid(seriesUid, "instance", Integer.toString(k + 1)));
            names.add(String.format(Locale.ROOT, "IM%0" + width + "d.dcm", k + 1));
        }
        Path staging = Files.createTempDirectory(parent, "." + target.getFileName() + ".staging-");
        boolean ok = false;
        double[] window = range(volume);
        try {
            for (int k = 0; k < nz; k++) {
                Path f = staging.resolve(names.get(k));
                AttributeList l;
                try {
                    l = image(volume, study, r, seriesUid, uids.get(k), k, window);
                } catch (IllegalArgumentException e) {
                    throw new DicomException(target.resolve(names.get(k)), "cannot write: " + e.getMessage(), e);
                }
                DicomModules.writeAtomically(l, f);
            }
            if (Files.isDirectory(target)) Files.delete(target); // empty (checked above)
            AtomicFiles.replace(staging, target);
            ok = true;
        } finally {
            if (!ok) deleteTree(staging);
        }
        List<Path> files = new ArrayList<>();
        for (String n : names) files.add(outDir.resolve(n));
        return new DicomResultWriter.Written(seriesUid, uids, files);
    }

    /**
     * The complete DICOM object of slice {@code k}: patient, study, series, frame of reference, equipment, image
     * plane, pixels and the modality's image module. Public so that tests can build series with deliberate
     * defects from it; {@link #write} is the way to write a series.
     */
    public AttributeList image(Volume volume, SourceStudy study, Rescale r, String seriesUid, String sopUid, int k) {
        return image(volume, study, r, seriesUid, sopUid, k, range(volume));
    }

    /** [min, max] of the values ([0, 0] for none). */
    private static double[] range(Volume v) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (float x : v.data()) {
            if (x < min) min = x;
            if (x > max) max = x;
        }
        return min <= max ? new double[] {min, max} : new double[] {0, 0};
    }

    private AttributeList image(Volume volume, SourceStudy study, Rescale r, String seriesUid, String sopUid, int k,
                                double[] window) {
        Geometry g = volume.geometry();
        int nx = g.nx(), ny = g.ny();
        String description = settings.description != null && !settings.description.isBlank()
            ? settings.description : "VoxelLens " + modality.name() + " image series";
        Headers.Series series = new Headers.Series(seriesUid, settings.seriesNumber(1), modality.name(), description);
        AttributeList l = Headers.common(study, settings, modality.sopClass, sopUid, series, k + 1);
        // type 2C: dciodvfy requires it (empty: unknown) unless Image Laterality is given
        DicomModules.put(l, TagFromName.Laterality, study.laterality());
        DicomModules.put(l, TagFromName.PatientPosition); // type 2C (MR/CT): unknown
        // General Image
        DicomModules.put(l, TagFromName.ImageType, "DERIVED", "SECONDARY", modality == Modality.CT ? "AXIAL" : "OTHER");
        DicomModules.put(l, TagFromName.DerivationDescription, DicomModules.text(derivation, 1024));
        DicomModules.put(l, TagFromName.AcquisitionNumber, "1");
        DicomModules.put(l, TagFromName.PatientOrientation, DicomModules.patientOrientation(g).split("\\\\"));
        DicomModules.put(l, TagFromName.BurnedInAnnotation, "NO");
        DicomModules.put(l, TagFromName.LossyImageCompression, "00");
        // Image Plane
        DicomModules.imagePlane(l, g, k);
        DicomModules.put(l, TagFromName.SliceLocation, DicomModules.ds(sliceLocation(g, k)));
        // Image Pixel
        DicomModules.put(l, TagFromName.SamplesPerPixel, 1);
        DicomModules.put(l, TagFromName.PhotometricInterpretation, "MONOCHROME2");
        DicomModules.put(l, TagFromName.Rows, ny);
        DicomModules.put(l, TagFromName.Columns, nx);
        DicomModules.put(l, TagFromName.BitsAllocated, 16);
        DicomModules.put(l, TagFromName.BitsStored, 16);
        DicomModules.put(l, TagFromName.HighBit, 15);
        DicomModules.put(l, TagFromName.PixelRepresentation, 1);
        DicomModules.put(l, TagFromName.RescaleIntercept, DicomModules.ds(r.intercept()));
        DicomModules.put(l, TagFromName.RescaleSlope, DicomModules.ds(r.slope()));
        // Modality
        if (modality == Modality.CT) {
            DicomModules.put(l, TagFromName.RescaleType, "HU");
            DicomModules.put(l, tag(0x0018, 0x0060)); // type 2: unknown
        } else {
            DicomModules.put(l, tag(0x0018, 0x0020), "RM"); // research mode: the sequence is not known
            DicomModules.put(l, tag(0x0018, 0x0021), "NONE");
            DicomModules.put(l, tag(0x0018, 0x0022));
            DicomModules.put(l, tag(0x0018, 0x0023));
            DicomModules.put(l, tag(0x0018, 0x0080));
            DicomModules.put(l, tag(0x0018, 0x0081));
            DicomModules.put(l, tag(0x0018, 0x0091));
            DicomModules.put(l, TagFromName.SpacingBetweenSlices, DicomModules.ds(g.spacing()[2]));
        }
        // Pixels and VOI LUT
        short[] px = new short[nx * ny];
        float[] d = volume.data();
        int base = nx * ny * k;
        for (int n = 0; n < px.length; n++) px[n] = r.store(d[base + n]);
        double vmin = window[0], vmax = window[1];
        DicomModules.put(l, TagFromName.WindowCenter, DicomModules.ds((vmin + vmax) / 2));
        DicomModules.put(l, TagFromName.WindowWidth, DicomModules.ds(Math.max(vmax - vmin, r.slope())));
        DicomModules.put(l, TagFromName.WindowCenterWidthExplanation, "full range");
        OtherWordAttribute pa = new OtherWordAttribute(TagFromName.PixelData);
        try {
            pa.setValues(px);
        } catch (com.pixelmed.dicom.DicomException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        l.put(pa);
        return l;
    }

    private static com.pixelmed.dicom.AttributeTag tag(int group, int element) {
        return new com.pixelmed.dicom.AttributeTag(group, element);
    }

    /** Slice Location: the position of slice k along the slice normal (row x column). */
    private static double sliceLocation(Geometry g, int k) {
        double[] o = DicomModules.orientation(g);
        double[] n = {o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]};
        double len = Math.sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
        double[] p = DicomModules.position(g, k);
        return (p[0] * n[0] + p[1] * n[1] + p[2] * n[2]) / len;
    }

    private static void deleteTree(Path dir) {
        try {
            AtomicFiles.deleteTree(dir);
        } catch (IOException ignored) {
            // best effort: the original error is what matters
        }
    }

    /** Options; all optional. */
    public static final class Builder {
        private Modality modality = Modality.MR;
        private Rescale rescale;
        private String description;
        private String seed;
        private String softwareVersion = "dev";
        private LocalDateTime contentDateTime;
        private Integer seriesNumber;
        private String derivation = "Converted to DICOM by VoxelLens";

        private Builder() {
            String v = ImageSeriesWriter.class.getPackage().getImplementationVersion();
            if (v != null) softwareVersion = v;
        }

        /** "MR" (default) or "CT". */
        public Builder modality(String modality) { this.modality = Modality.parse(modality); return this; }

        public Builder modality(Modality modality) {
            if (modality == null) throw new IllegalArgumentException("modality is required");
            this.modality = modality;
            return this;
        }

        /** A fixed stored-value mapping instead of the fitted one (values that do not fit 16 bits are refused). */
        public Builder rescale(double slope, double intercept) { this.rescale = new Rescale(slope, intercept); return this; }

        /** Series Description (trimmed to 64 characters); default "VoxelLens MR image series". */
        public Builder description(String description) { this.description = description; return this; }

        /** Derivation Description (default "Converted to DICOM by VoxelLens"), e.g. naming the source file. */
        public Builder derivationDescription(String text) {
            if (text != null && !text.isBlank()) this.derivation = text;
            return this;
        }

        /** Deterministic UIDs derived from this seed and the study; null: random UIDs. */
        public Builder deterministicUids(String seed) { this.seed = seed; return this; }

        public Builder softwareVersion(String version) {
            if (version != null && !version.isBlank()) this.softwareVersion = version;
            return this;
        }

        /** Content/Series/Instance Creation date and time (default: when the writer is built). */
        public Builder contentDateTime(LocalDateTime t) { this.contentDateTime = t; return this; }

        /** Series Number (default 1). */
        public Builder seriesNumber(int n) { this.seriesNumber = n; return this; }

        public ImageSeriesWriter build() {
            return new ImageSeriesWriter(this);
        }
    }
}
