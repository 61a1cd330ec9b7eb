package org.voxellens.io.dicom.out;

import java.util.LinkedHashMap;
import java.util.Map;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.TagFromName;

import org.voxellens.volumetric.Geometry;

/** The modules every result object shares, and the references to the source. */
final class Headers {

    static final AttributeTag DOUBLE_FIRST_VALUE_MAPPED = new AttributeTag(0x0040, 0x9214);
    static final AttributeTag DOUBLE_LAST_VALUE_MAPPED = new AttributeTag(0x0040, 0x9213);
    static final AttributeTag SEGMENTS_OVERLAP = new AttributeTag(0x0062, 0x0013);
    /** Purpose of reference: (DCM, 121322) Source image for image processing operation. */
    static final String[] PURPOSE_SOURCE = {"121322", "DCM", "Source image for image processing operation"};

    private Headers() {
    }

    /** What identifies one new series. */
    record Series(String seriesUid, int seriesNumber, String modality, String description) {
    }

    /**
     * Patient, General Study, General Series (or its specialisation), Frame of Reference, General and Enhanced
     * General Equipment, SOP Common, instance number and content date/time.
     */
    static AttributeList common(SourceStudy src, ResultSettings s, String sopClass, String sopUid, Series series,
                                int instanceNumber) {
        AttributeList l = new AttributeList();
        src.copyPatientStudy(l);
        DicomModules.put(l, TagFromName.SOPClassUID, sopClass);
        DicomModules.put(l, TagFromName.SOPInstanceUID, sopUid);
        DicomModules.put(l, TagFromName.InstanceCreationDate, s.date());
        DicomModules.put(l, TagFromName.InstanceCreationTime, s.time());
        DicomModules.put(l, TagFromName.Modality, series.modality());
        DicomModules.put(l, TagFromName.SeriesInstanceUID, series.seriesUid());
        DicomModules.put(l, TagFromName.SeriesNumber, series.seriesNumber());
        DicomModules.put(l, TagFromName.SeriesDate, s.date());
        DicomModules.put(l, TagFromName.SeriesTime, s.time());
        DicomModules.put(l, TagFromName.SeriesDescription, DicomModules.text(series.description(), 64));
        DicomModules.put(l, TagFromName.FrameOfReferenceUID, src.frameOfReferenceUid());
        DicomModules.put(l, TagFromName.PositionReferenceIndicator, src.positionReferenceIndicator());
        DicomModules.put(l, TagFromName.Manufacturer, ResultSettings.MANUFACTURER);
        DicomModules.put(l, TagFromName.ManufacturerModelName, ResultSettings.MANUFACTURER);
        DicomModules.put(l, TagFromName.DeviceSerialNumber, s.deviceSerialNumber());
        DicomModules.put(l, TagFromName.SoftwareVersions, s.softwareVersions());
        DicomModules.put(l, TagFromName.InstanceNumber, instanceNumber);
        DicomModules.put(l, TagFromName.ContentDate, s.date());
        DicomModules.put(l, TagFromName.ContentTime, s.time());
        return l;
    }

    /** Content Identification macro: label (CS), description and creator. */
    static void contentIdentification(AttributeList l, String label, String description) {
        StringBuilder cs = new StringBuilder();
        for (char c : label.toUpperCase(java.util.Locale.ROOT).toCharArray()) {
            cs.append((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_');
        }
        String v = cs.length() == 0 ? "RESULT" : cs.length() > 16 ? cs.substring(0, 16) : cs.toString();
        DicomModules.put(l, TagFromName.ContentLabel, v);
        DicomModules.put(l, TagFromName.ContentDescription, DicomModules.text(description, 64));
        DicomModules.put(l, TagFromName.ContentCreatorName); // type 2; a program is not a person
    }

    /** Referenced Series Sequence of the Common Instance Reference module (nothing for a synthetic study). */
    static void commonInstanceReference(AttributeList l, SourceStudy src) {
        if (src.synthetic() || src.images().isEmpty()) return;
        Map<String, String> instances = new LinkedHashMap<>();
        for (SourceStudy.SourceImage im : src.images()) instances.putIfAbsent(im.sopInstanceUid(), im.sopClassUid());
        AttributeList series = new AttributeList();
        DicomModules.put(series, TagFromName.SeriesInstanceUID, src.seriesInstanceUid());
        AttributeList[] items = new AttributeList[instances.size()];
        int n = 0;
        for (Map.Entry<String, String> e : instances.entrySet()) {
            AttributeList item = new AttributeList();
            DicomModules.put(item, TagFromName.ReferencedSOPClassUID, e.getValue());
            DicomModules.put(item, TagFromName.ReferencedSOPInstanceUID, e.getKey());
            items[n++] = item;
        }
        DicomModules.sequence(series, TagFromName.ReferencedInstanceSequence, items);
        DicomModules.sequence(l, TagFromName.ReferencedSeriesSequence, series);
    }

    /** A Source Image Sequence item for slice k (with the purpose of reference when asked). */
    static AttributeList sourceImage(SourceStudy src, int k, boolean purpose) {
        SourceStudy.SourceImage im = src.images().get(k);
        AttributeList item = new AttributeList();
        DicomModules.put(item, TagFromName.ReferencedSOPClassUID, im.sopClassUid());
        DicomModules.put(item, TagFromName.ReferencedSOPInstanceUID, im.sopInstanceUid());
        if (im.frameNumber() > 0) DicomModules.put(item, TagFromName.ReferencedFrameNumber, im.frameNumber());
        if (purpose) {
            DicomModules.sequence(item, TagFromName.PurposeOfReferenceCodeSequence,
                DicomModules.code(PURPOSE_SOURCE[0], PURPOSE_SOURCE[1], PURPOSE_SOURCE[2]));
        }
        return item;
    }

    /** Derivation Image functional group of frame k (nothing for a synthetic study). */
    static void derivationImage(AttributeList frame, SourceStudy src, int k, String[] derivationCode,
                                String description) {
        if (src.synthetic() || src.images().isEmpty()) return;
        AttributeList d = new AttributeList();
        DicomModules.put(d, TagFromName.DerivationDescription, DicomModules.text(description, 1024));
        DicomModules.sequence(d, TagFromName.DerivationCodeSequence,
            DicomModules.code(derivationCode[0], derivationCode[1], derivationCode[2]));
        DicomModules.sequence(d, TagFromName.SourceImageSequence, sourceImage(src, k, true));
        DicomModules.sequence(frame, TagFromName.DerivationImageSequence, d);
    }

    /** Shared Pixel Measures and Plane Orientation functional groups. */
    static void sharedPlane(AttributeList shared, Geometry g) {
        AttributeList pm = new AttributeList();
        DicomModules.put(pm, TagFromName.PixelSpacing, DicomModules.ds(DicomModules.pixelSpacing(g)));
        DicomModules.put(pm, TagFromName.SliceThickness, DicomModules.ds(g.spacing()[2]));
        DicomModules.put(pm, TagFromName.SpacingBetweenSlices, DicomModules.ds(g.spacing()[2]));
        DicomModules.sequence(shared, TagFromName.PixelMeasuresSequence, pm);
        AttributeList po = new AttributeList();
        DicomModules.put(po, TagFromName.ImageOrientationPatient, DicomModules.ds(DicomModules.orientation(g)));
        DicomModules.sequence(shared, TagFromName.PlaneOrientationSequence, po);
    }

    /** Plane Position functional group of slice k. */
    static void planePosition(AttributeList frame, Geometry g, int k) {
        AttributeList pp = new AttributeList();
        DicomModules.put(pp, TagFromName.ImagePositionPatient, DicomModules.ds(DicomModules.position(g, k)));
        DicomModules.sequence(frame, TagFromName.PlanePositionSequence, pp);
    }

    /** Frame Content functional group with the frame's dimension index values. */
    static void frameContent(AttributeList frame, int... indices) {
        AttributeList fc = new AttributeList();
        String[] v = new String[indices.length];
        for (int i = 0; i < v.length; i++) v[i] = Integer.toString(indices[i]);
        DicomModules.put(fc, TagFromName.DimensionIndexValues, v);
        DicomModules.sequence(frame, TagFromName.FrameContentSequence, fc);
    }

    /** One Dimension Index Sequence item. */
    static AttributeList dimension(String organizationUid, AttributeTag pointer, AttributeTag group, String label) {
        AttributeList d = new AttributeList();
        DicomModules.put(d, TagFromName.DimensionOrganizationUID, organizationUid);
        d.put(tagAttribute(TagFromName.DimensionIndexPointer, pointer));
        d.put(tagAttribute(TagFromName.FunctionalGroupPointer, group));
        DicomModules.put(d, TagFromName.DimensionDescriptionLabel, label);
        return d;
    }

    /** Multi-frame Dimension module with the given dimensions. */
    static void dimensions(AttributeList l, String organizationUid, AttributeList... indices) {
        AttributeList org = new AttributeList();
        DicomModules.put(org, TagFromName.DimensionOrganizationUID, organizationUid);
        DicomModules.sequence(l, TagFromName.DimensionOrganizationSequence, org);
        DicomModules.put(l, TagFromName.DimensionOrganizationType, "3D");
        DicomModules.sequence(l, TagFromName.DimensionIndexSequence, indices);
    }

    private static com.pixelmed.dicom.Attribute tagAttribute(AttributeTag tag, AttributeTag value) {
        try {
            com.pixelmed.dicom.AttributeTagAttribute a = new com.pixelmed.dicom.AttributeTagAttribute(tag);
            a.addValue(value.getGroup(), value.getElement());
            return a;
        } catch (com.pixelmed.dicom.DicomException e) {
            throw new IllegalStateException(e);
        }
    }
}
