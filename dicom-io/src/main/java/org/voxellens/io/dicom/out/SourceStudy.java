package org.voxellens.io.dicom.out;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.TagFromName;

import org.voxellens.io.dicom.DicomVolume;
import org.voxellens.volumetric.Geometry;

/**
 * Where results go: the study (patient and study modules), frame of reference and grid of the source, and the
 * source instances that derived objects reference. Either a real DICOM series ({@link #of(DicomVolume)}: results
 * join its study) or, for sources without DICOM (NIfTI), a {@link #synthetic new study} with an anonymous
 * patient.
 *
 * <p>{@link #toString()} is safe to log; the patient/study attributes are not exposed.
 */
public final class SourceStudy {

    /** A source image (one slice): instance, its SOP class, and its frame number (0: single-frame object). */
    public record SourceImage(String sopClassUid, String sopInstanceUid, int frameNumber) {
    }

    /** Anonymous patient name of synthetic studies. */
    public static final String SYNTHETIC_PATIENT_NAME = "VoxelLens^Research";

    /** Patient and study attributes copied from the source into every result (when present there). */
    static final AttributeTag[] PATIENT_STUDY_TAGS = {
        TagFromName.SpecificCharacterSet,
        TagFromName.PatientName, TagFromName.PatientID, TagFromName.IssuerOfPatientID,
        TagFromName.IssuerOfPatientIDQualifiersSequence, TagFromName.TypeOfPatientID,
        TagFromName.PatientBirthDate, TagFromName.PatientSex, TagFromName.OtherPatientIDsSequence,
        TagFromName.PatientIdentityRemoved, TagFromName.DeidentificationMethod,
        TagFromName.DeidentificationMethodCodeSequence, TagFromName.PatientAge, TagFromName.PatientSize,
        TagFromName.PatientWeight,
        TagFromName.ClinicalTrialSponsorName, TagFromName.ClinicalTrialProtocolID,
        TagFromName.ClinicalTrialProtocolName, TagFromName.ClinicalTrialSiteID, TagFromName.ClinicalTrialSiteName,
        TagFromName.ClinicalTrialSubjectID, TagFromName.ClinicalTrialSubjectReadingID,
        TagFromName.StudyInstanceUID, TagFromName.StudyDate, TagFromName.StudyTime, TagFromName.StudyID,
        TagFromName.AccessionNumber, TagFromName.IssuerOfAccessionNumberSequence,
        TagFromName.ReferringPhysicianName, TagFromName.StudyDescription,
        TagFromName.ClinicalTrialTimePointID, TagFromName.ClinicalTrialTimePointDescription,
    };

    /** Type 2 attributes of the Patient and General Study modules: present, empty if unknown. */
    static final AttributeTag[] PATIENT_STUDY_TYPE2 = {
        TagFromName.PatientName, TagFromName.PatientID, TagFromName.PatientBirthDate, TagFromName.PatientSex,
        TagFromName.StudyDate, TagFromName.StudyTime, TagFromName.ReferringPhysicianName, TagFromName.StudyID,
        TagFromName.AccessionNumber,
    };

    private final AttributeList patientStudy;
    private final String studyUid;
    private final String frameOfReferenceUid;
    private final String positionReferenceIndicator;
    private final String laterality;
    private final Geometry geometry;
    private final String seriesUid;
    private final String seriesDescription;
    private final String modality;
    private final List<SourceImage> images;
    private final boolean synthetic;

    private SourceStudy(AttributeList patientStudy, String studyUid, String frameOfReferenceUid,
                        String positionReferenceIndicator, String laterality, Geometry geometry, String seriesUid,
                        String seriesDescription, String modality, List<SourceImage> images, boolean synthetic) {
        this.patientStudy = patientStudy;
        this.studyUid = studyUid;
        this.frameOfReferenceUid = frameOfReferenceUid;
        this.positionReferenceIndicator = positionReferenceIndicator;
        this.laterality = laterality;
        this.geometry = geometry;
        this.seriesUid = seriesUid;
        this.seriesDescription = seriesDescription;
        this.modality = modality;
        this.images = List.copyOf(images);
        this.synthetic = synthetic;
    }

    /** The study, frame of reference, grid and instances of a DICOM series read by the project's reader. */
    public static SourceStudy of(DicomVolume source) {
        AttributeList src = source.sourceAttributes();
        AttributeList ps = new AttributeList();
        for (AttributeTag t : PATIENT_STUDY_TAGS) {
            Attribute a = src.get(t);
            if (a != null) ps.put(a);
        }
        for (AttributeTag t : PATIENT_STUDY_TYPE2) if (ps.get(t) == null) DicomModules.put(ps, t);
        DicomModules.put(ps, TagFromName.StudyInstanceUID, source.studyInstanceUid());
        boolean multiFrame = Attribute.getSingleIntegerValueOrDefault(src, TagFromName.NumberOfFrames, 1) > 1;
        Map<String, Integer> frames = new LinkedHashMap<>();
        for (DicomVolume.SliceSource s : source.slices()) frames.merge(s.sopInstanceUid(), 1, Integer::sum);
        for (int n : frames.values()) multiFrame |= n > 1;
        List<SourceImage> images = new ArrayList<>();
        String sopClass = source.sopClassUid();
        for (DicomVolume.SliceSource s : source.slices()) {
            images.add(new SourceImage(sopClass, s.sopInstanceUid(), multiFrame ? s.frameNumber() : 0));
        }
        String modality = source.modality() == null || source.modality().isBlank() ? "OT" : source.modality();
        return new SourceStudy(ps, source.studyInstanceUid(), source.frameOfReferenceUid(),
            Attribute.getSingleStringValueOrEmptyString(src, TagFromName.PositionReferenceIndicator),
            Attribute.getSingleStringValueOrEmptyString(src, TagFromName.Laterality),
            source.volume().geometry(), source.seriesInstanceUid(), source.seriesDescription(), modality, images,
            false);
    }

    /**
     * A new study for results of a source that is not DICOM (e.g. NIfTI): anonymous patient
     * "{@value #SYNTHETIC_PATIENT_NAME}" with a generated ID, new Study Instance and Frame of Reference UIDs, study
     * date and time now. With a {@code seed} the UIDs and the patient ID depend only on it (re-runs give the same
     * study); with null they are random.
     */
    public static SourceStudy synthetic(Geometry geometry, String seed) {
        String studyUid = seed == null ? DicomUids.random() : DicomUids.derived(seed, "study");
        String forUid = seed == null ? DicomUids.random() : DicomUids.derived(seed, "frame of reference");
        String id = "VL" + studyUid.substring(studyUid.length() - 12);
        LocalDateTime now = LocalDateTime.now();
        AttributeList ps = new AttributeList();
        DicomModules.put(ps, TagFromName.SpecificCharacterSet, "ISO_IR 100");
        DicomModules.put(ps, TagFromName.PatientName, SYNTHETIC_PATIENT_NAME);
        DicomModules.put(ps, TagFromName.PatientID, id);
        DicomModules.put(ps, TagFromName.PatientIdentityRemoved, "YES");
        DicomModules.put(ps, TagFromName.DeidentificationMethod, "No patient data: synthetic VoxelLens study");
        DicomModules.put(ps, TagFromName.StudyInstanceUID, studyUid);
        DicomModules.put(ps, TagFromName.StudyDate, now.format(DateTimeFormatter.BASIC_ISO_DATE));
        DicomModules.put(ps, TagFromName.StudyTime, now.format(DateTimeFormatter.ofPattern("HHmmss", Locale.ROOT)));
        DicomModules.put(ps, TagFromName.StudyID, "1");
        DicomModules.put(ps, TagFromName.StudyDescription, "VoxelLens research results");
        for (AttributeTag t : PATIENT_STUDY_TYPE2) if (ps.get(t) == null) DicomModules.put(ps, t);
        return new SourceStudy(ps, studyUid, forUid, "", "", geometry, null, null, "OT", List.of(), true);
    }

    /** Copies the patient and study modules into {@code target} (shared attribute objects; do not modify). */
    void copyPatientStudy(AttributeList target) {
        for (Attribute a : patientStudy.values()) target.put(a);
    }

    public String studyInstanceUid() { return studyUid; }
    public String frameOfReferenceUid() { return frameOfReferenceUid; }
    String positionReferenceIndicator() { return positionReferenceIndicator; }
    /** The source series' Laterality (empty if none). */
    String laterality() { return laterality; }
    public Geometry geometry() { return geometry; }
    /** The source series UID; null for a synthetic study. */
    public String seriesInstanceUid() { return seriesUid; }
    String seriesDescription() { return seriesDescription; }
    /** The source modality ("OT" for a synthetic study). */
    public String modality() { return modality; }
    /** Source image of each slice k; empty for a synthetic study. */
    public List<SourceImage> images() { return images; }
    /** True for a new study without DICOM source (nothing to reference). */
    public boolean synthetic() { return synthetic; }

    @Override
    public String toString() {
        return synthetic ? "SourceStudy[synthetic, study " + studyUid + ", " + geometry + "]"
            : "SourceStudy[series " + seriesUid + ", " + images.size() + " slices, " + geometry + "]";
    }
}
