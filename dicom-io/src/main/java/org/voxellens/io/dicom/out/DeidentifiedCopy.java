package org.voxellens.io.dicom.out;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.ClinicalTrialsAttributes;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.SequenceItem;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.UniqueIdentifierAttribute;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;

import org.voxellens.io.dicom.DicomException;

/**
 * De-identified copies of result objects for research sharing. The source files are not changed. What is removed:
 * <ul>
 *   <li>everything PixelMed's {@code ClinicalTrialsAttributes.removeOrNullIdentifyingAttributes} removes or empties
 *       (the DICOM PS3.15 basic application confidentiality profile): patient name, ID, birth date and other
 *       patient identifiers, accession number, physicians and operators, institution, private attributes,
 *       patient characteristics (age, sex, size, weight); dates and times are removed;</li>
 *   <li>every instance UID (study, series, SOP instance, frame of reference and the references to the source) is
 *       replaced by a UID derived from it by a one-way hash, so the copies still reference one another
 *       consistently; DICOM's own UIDs (SOP classes, transfer syntaxes, 1.2.840.10008.*) are kept;</li>
 *   <li>the patient becomes "VoxelLens^Research" with an ID derived from the (hashed) study; Patient Identity
 *       Removed = YES and De-identification Method say what was done.</li>
 * </ul>
 * Removed too: study and series descriptions and protocol names (free text). Kept: the device and software
 * (VoxelLens), pixel data. Results carry no burned-in text
 * other than method names and "RESEARCH USE ONLY". The hash is pseudonymisation: whoever holds the original UIDs
 * can link a copy back to its study.
 */
public final class DeidentifiedCopy {

    static final String METHOD = "VoxelLens: PS3.15 basic profile; descriptions and dates removed; UIDs hashed";

    private DeidentifiedCopy() {
    }

    /** Writes a de-identified copy of each file under {@code outDir/<new study UID>/}; returns that folder. */
    public static Path write(List<Path> files, Path outDir) throws IOException {
        Path studyDir = null;
        for (Path f : files) {
            AttributeList l = new AttributeList();
            try {
                l.read(f.toFile());
                l.removeGroupLengthAttributes();
                l.removeMetaInformationHeaderAttributes();
                // Descriptions, series descriptions and protocol names are free text that sites fill with patient
                // names and birth dates: not kept. Device identity is kept (it is VoxelLens); UIDs are replaced below
                // by our own hash, so PixelMed must leave them for remapUids (and its "Retain UIDs" code goes).
                ClinicalTrialsAttributes.removeOrNullIdentifyingAttributes(l, ClinicalTrialsAttributes.HandleUIDs.keep,
                    false, false, false, false, true, false, ClinicalTrialsAttributes.HandleDates.remove, null, null);
                dropMethodCode(l, RETAIN_UIDS);
                remapUids(l);
                DicomModules.put(l, TagFromName.LongitudinalTemporalInformationModified, "REMOVED");
                String study = Attribute.getSingleStringValueOrEmptyString(l, TagFromName.StudyInstanceUID);
                DicomModules.put(l, TagFromName.PatientName, SourceStudy.SYNTHETIC_PATIENT_NAME);
                DicomModules.put(l, TagFromName.PatientID, "VL" + study.substring(Math.max(0, study.length() - 12)));
                DicomModules.put(l, TagFromName.PatientIdentityRemoved, "YES");
                DicomModules.put(l, TagFromName.DeidentificationMethod, DicomModules.text(METHOD, 64));
                String sop = Attribute.getSingleStringValueOrEmptyString(l, TagFromName.SOPInstanceUID);
                studyDir = outDir.resolve(study);
                DicomModules.writeAtomically(l, studyDir.resolve(sop + ".dcm"));
            } catch (com.pixelmed.dicom.DicomException e) {
                throw new DicomException(f, "cannot de-identify (" + e.getMessage() + ")", e);
            }
        }
        return studyDir;
    }

    /** DCM code "Retain UIDs Option": not true of our copies, whose UIDs are hashed. */
    static final String RETAIN_UIDS = "113110";

    /** Removes an option code from the De-identification Method Code Sequence. */
    private static void dropMethodCode(AttributeList l, String code) {
        if (!(l.get(TagFromName.DeidentificationMethodCodeSequence) instanceof SequenceAttribute s)) return;
        SequenceAttribute kept = new SequenceAttribute(TagFromName.DeidentificationMethodCodeSequence);
        for (int i = 0; i < s.getNumberOfItems(); i++) {
            AttributeList item = s.getItem(i).getAttributeList();
            if (!code.equals(Attribute.getSingleStringValueOrEmptyString(item, TagFromName.CodeValue).strip())) kept.addItem(item);
        }
        l.put(kept);
    }

    /** The copy's UID for an original instance UID; DICOM-defined UIDs stay. */
    static String remap(String uid) {
        return uid.startsWith("1.2.840.10008.") ? uid : DicomUids.derived("voxellens de-identified copy", uid);
    }

    private static void remapUids(AttributeList l) throws com.pixelmed.dicom.DicomException {
        for (Iterator<Attribute> it = l.values().iterator(); it.hasNext(); ) {
            Attribute a = it.next();
            if (a instanceof SequenceAttribute s) {
                for (int i = 0; i < s.getNumberOfItems(); i++) {
                    SequenceItem item = s.getItem(i);
                    remapUids(item.getAttributeList());
                }
            } else if (a instanceof UniqueIdentifierAttribute) {
                String[] v = a.getStringValues();
                if (v == null || v.length == 0) continue;
                a.removeValues();
                for (String x : v) a.addValue(remap(x.strip()));
            }
        }
    }
}
