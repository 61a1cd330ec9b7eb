package org.voxellens.io.dicom;

import java.nio.file.Path;
import java.util.List;

import com.pixelmed.dicom.AttributeList;

import org.voxellens.volumetric.Volume;

/**
 * A volume read from a DICOM series, with what a writer needs to put results back into the same study.
 *
 * <p>{@link #toString()} and {@link #displayName()} are safe to log: they hold no patient data. The source
 * attributes do hold the patient and study modules (so that derived objects can be written into the source
 * study): never print them.
 */
public final class DicomVolume {

    /** Where one slice of the volume came from: an instance and its frame (1-based; 1 for single-frame images). */
    public record SliceSource(String sopInstanceUid, int frameNumber, Path file) {
    }

    private final Volume volume;
    private final SeriesSummary series;
    private final String frameOfReferenceUid;
    private final List<SliceSource> slices;
    private final AttributeList sourceAttributes;
    private final boolean inverted;
    private final List<String> warnings;

    DicomVolume(Volume volume, SeriesSummary series, String frameOfReferenceUid, List<SliceSource> slices,
                AttributeList sourceAttributes, boolean inverted, List<String> warnings) {
        this.volume = volume;
        this.series = series;
        this.frameOfReferenceUid = frameOfReferenceUid;
        this.slices = List.copyOf(slices);
        this.sourceAttributes = sourceAttributes;
        this.inverted = inverted;
        this.warnings = List.copyOf(warnings);
    }

    /** The voxels (rescaled: e.g. HU for CT) on their LPS geometry; voxel axis k runs in slice order. */
    public Volume volume() { return volume; }

    /** UIDs, number, modality, description and size of the series. */
    public SeriesSummary series() { return series; }

    public String studyInstanceUid() { return series.studyInstanceUid(); }
    public String seriesInstanceUid() { return series.seriesInstanceUid(); }
    public String seriesNumber() { return series.seriesNumber(); }
    public String modality() { return series.modality(); }
    public String seriesDescription() { return series.seriesDescription(); }
    public String sopClassUid() { return series.sopClassUid(); }
    public String frameOfReferenceUid() { return frameOfReferenceUid; }

    /** Where each slice k (index k of the list) came from. */
    public List<SliceSource> slices() { return slices; }

    /** The SOP Instance UIDs in slice order (one per slice; repeated for the frames of one multi-frame object). */
    public List<String> sopInstanceUids() {
        return slices.stream().map(SliceSource::sopInstanceUid).toList();
    }

    /**
     * The attributes (without pixel data) of the instance holding the first slice: patient, study, frame of
     * reference and equipment modules for writers of derived objects. Contains patient identifiers: never log it.
     * Shared, not copied: do not modify.
     */
    public AttributeList sourceAttributes() { return sourceAttributes; }

    /** True when the images were MONOCHROME1 and their stored values were inverted (so higher is brighter). */
    public boolean inverted() { return inverted; }

    /** Problems that did not stop the reading (e.g. unreadable files skipped in the folder). */
    public List<String> warnings() { return warnings; }

    /** "DICOM series 3 "T1 AX" (MR)": safe to log. */
    public String displayName() {
        return "DICOM " + series.displayName();
    }

    @Override
    public String toString() {
        return "DicomVolume[" + displayName() + ", series UID " + series.seriesInstanceUid() + ", "
            + volume.geometry() + "]";
    }
}
