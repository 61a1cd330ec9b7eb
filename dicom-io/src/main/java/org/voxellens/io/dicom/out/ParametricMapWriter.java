package org.voxellens.io.dicom.out;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FloatDoubleAttribute;
import com.pixelmed.dicom.OtherFloatAttribute;
import com.pixelmed.dicom.TagFromName;

import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/**
 * A volume as an enhanced multi-frame Parametric Map (1.2.840.10008.5.1.4.1.1.30): float32 voxels (Float Pixel
 * Data), one frame per slice in voxel order, shared Pixel Measures and Plane Orientation, per-frame Plane Position,
 * Frame Content with a one-dimensional (position) Dimension Index, Derivation Image references to the source
 * slices, and the Real World Value Mapping (identity: slope 1, intercept 0, unit "no units") that PixelMed's
 * own writer leaves out.
 */
final class ParametricMapWriter {

    static final String SOP_CLASS = "1.2.840.10008.5.1.4.1.1.30";
    /** Derivation: a model attribution map. CID 7203 has no such concept and is extensible: a local code. */
    static final String[] DERIVATION = {"ATTRIBUTION", "99VOXELLENS", "Model attribution map"};

    private ParametricMapWriter() {
    }

    /**
     * @param what      what the map is (e.g. the method "gradcam"): content label, LUT label and description
     * @param units     measurement units code (value, scheme, meaning), e.g. {"1", "UCUM", "no units"}
     */
    static AttributeList build(SourceStudy src, Volume map, ResultSettings s, Headers.Series series, String sopUid,
                               String what, String[] units) throws DicomException {
        Geometry g = map.geometry();
        int nx = g.nx(), ny = g.ny(), nz = g.nz();
        float[] data = map.data();
        int bad = map.firstNonFinite();
        if (bad >= 0) {
            throw new IllegalArgumentException("the map has a non-finite value (" + data[bad] + ") at voxel index " + bad);
        }
        AttributeList l = Headers.common(src, s, SOP_CLASS, sopUid, series, 1);
        // Parametric Map Image module
        DicomModules.put(l, TagFromName.ImageType, "DERIVED", "PRIMARY", "VOLUME", "NONE");
        DicomModules.put(l, TagFromName.ContentQualification, "RESEARCH");
        Headers.contentIdentification(l, what, "VoxelLens " + what
            + (s.target == null || s.target.isBlank() ? "" : " for " + s.target.trim())
            + (s.modelLabel().isEmpty() ? "" : ", model " + s.modelLabel()));
        DicomModules.put(l, TagFromName.SamplesPerPixel, 1);
        DicomModules.put(l, TagFromName.PhotometricInterpretation, "MONOCHROME2");
        DicomModules.put(l, TagFromName.BitsAllocated, 32);
        DicomModules.put(l, TagFromName.Rows, ny);
        DicomModules.put(l, TagFromName.Columns, nx);
        DicomModules.put(l, TagFromName.NumberOfFrames, nz);
        DicomModules.put(l, TagFromName.BurnedInAnnotation, "NO");
        DicomModules.put(l, TagFromName.RecognizableVisualFeatures, "NO");
        DicomModules.put(l, TagFromName.LossyImageCompression, "00");
        DicomModules.put(l, TagFromName.PresentationLUTShape, "IDENTITY");
        // Multi-frame dimensions: slice position
        String dimUid = s.uid(series.seriesUid(), "dimension organization");
        Headers.dimensions(l, dimUid, Headers.dimension(dimUid, TagFromName.ImagePositionPatient,
            TagFromName.PlanePositionSequence, "Slice position"));
        // Shared functional groups
        AttributeList shared = new AttributeList();
        Headers.sharedPlane(shared, g);
        AttributeList frameType = new AttributeList();
        DicomModules.put(frameType, TagFromName.FrameType, "DERIVED", "PRIMARY", "VOLUME", "NONE");
        DicomModules.sequence(shared, TagFromName.ParametricMapFrameTypeSequence, frameType);
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (float v : data) {
            if (v < min) min = v;
            if (v > max) max = v;
        }
        AttributeList rwvm = new AttributeList();
        FloatDoubleAttribute first = new FloatDoubleAttribute(Headers.DOUBLE_FIRST_VALUE_MAPPED);
        first.addValue(min);
        rwvm.put(first);
        FloatDoubleAttribute last = new FloatDoubleAttribute(Headers.DOUBLE_LAST_VALUE_MAPPED);
        last.addValue(max);
        rwvm.put(last);
        DicomModules.put(rwvm, TagFromName.RealWorldValueIntercept, "0");
        DicomModules.put(rwvm, TagFromName.RealWorldValueSlope, "1");
        DicomModules.put(rwvm, TagFromName.LUTExplanation, DicomModules.text(what + " (identity)", 64));
        DicomModules.put(rwvm, TagFromName.LUTLabel, DicomModules.text(what, 16));
        DicomModules.sequence(rwvm, TagFromName.MeasurementUnitsCodeSequence,
            DicomModules.code(units[0], units[1], units[2]));
        DicomModules.sequence(shared, TagFromName.RealWorldValueMappingSequence, rwvm);
        AttributeList identity = new AttributeList();
        DicomModules.put(identity, TagFromName.RescaleIntercept, "0");
        DicomModules.put(identity, TagFromName.RescaleSlope, "1");
        DicomModules.put(identity, TagFromName.RescaleType, "US");
        DicomModules.sequence(shared, TagFromName.PixelValueTransformationSequence, identity);
        AttributeList anatomy = new AttributeList();
        DicomModules.sequence(anatomy, TagFromName.AnatomicRegionSequence,
            DicomModules.code("38266002", "SCT", "Entire body"));
        DicomModules.put(anatomy, TagFromName.FrameLaterality, "U");
        DicomModules.sequence(shared, TagFromName.FrameAnatomySequence, anatomy);
        DicomModules.sequence(l, TagFromName.SharedFunctionalGroupsSequence, shared);
        // Per-frame functional groups
        AttributeList[] frames = new AttributeList[nz];
        for (int k = 0; k < nz; k++) {
            AttributeList f = new AttributeList();
            Headers.frameContent(f, k + 1);
            Headers.planePosition(f, g, k);
            Headers.derivationImage(f, src, k, DERIVATION, "VoxelLens " + what);
            frames[k] = f;
        }
        DicomModules.sequence(l, TagFromName.PerFrameFunctionalGroupsSequence, frames);
        Headers.commonInstanceReference(l, src);
        if (!src.synthetic() && !src.images().isEmpty()) {
            // SOP Common: declare the local coding scheme of the derivation code
            AttributeList scheme = new AttributeList();
            DicomModules.put(scheme, TagFromName.CodingSchemeDesignator, DERIVATION[1]);
            DicomModules.put(scheme, TagFromName.CodingSchemeName, "VoxelLens local codes");
            DicomModules.put(scheme, TagFromName.CodingSchemeResponsibleOrganization, "VoxelLens");
            DicomModules.sequence(l, TagFromName.CodingSchemeIdentificationSequence, scheme);
        }
        DicomModules.sequence(l, TagFromName.AcquisitionContextSequence);
        OtherFloatAttribute px = new OtherFloatAttribute(TagFromName.FloatPixelData);
        px.setValues(data);
        l.put(px);
        return l;
    }
}
