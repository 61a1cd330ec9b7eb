package org.voxellens.io.dicom.out;

import java.util.ArrayList;
import java.util.List;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.LongStringAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.TagFromName;

import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/**
 * A label volume (0 background, 1..K segments) as a binary DICOM Segmentation (1.2.840.10008.5.1.4.1.1.66.4):
 * one frame per segment and slice that holds any of the segment (empty frames are omitted; a segmentation with
 * no voxel at all keeps one empty frame, since an image needs one), frames ordered by segment then slice, each
 * with its Plane Position, Segment Identification and Derivation Image reference to its source slice; dimensions
 * are the referenced segment number and the slice position.
 */
final class SegmentationWriter {

    static final String SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4";
    static final String[] DERIVATION = {"113076", "DCM", "Segmentation"};

    // Not in PixelMed 20220618's dictionary.
    static final AttributeTag SEGMENT_ALGORITHM_NAME = new AttributeTag(0x0062, 0x0009);
    static final AttributeTag SEGMENTATION_ALGORITHM_IDENTIFICATION_SEQUENCE = new AttributeTag(0x0062, 0x0007);
    static final AttributeTag ALGORITHM_FAMILY_CODE_SEQUENCE = new AttributeTag(0x0066, 0x002F);
    static final AttributeTag ALGORITHM_VERSION = new AttributeTag(0x0066, 0x0031);
    static final AttributeTag ALGORITHM_NAME = new AttributeTag(0x0066, 0x0036);

    private SegmentationWriter() {
    }

    private static void lo(AttributeList l, AttributeTag tag, String value) throws DicomException {
        LongStringAttribute a = new LongStringAttribute(tag);
        a.addValue(value);
        l.put(a);
    }

    static AttributeList build(SourceStudy src, Volume labels, List<DicomResultWriter.Segment> segments,
                               ResultSettings s, Headers.Series series, String sopUid) throws DicomException {
        Geometry g = labels.geometry();
        int nx = g.nx(), ny = g.ny(), nz = g.nz(), plane = nx * ny;
        int nseg = segments.size();
        float[] v = labels.data();
        // Which (segment, slice) frames hold anything; labels must be integers 0..K.
        boolean[][] present = new boolean[nseg + 1][nz];
        for (int n = 0; n < v.length; n++) {
            float x = v[n];
            if (x == 0) continue;
            if (!(x == Math.rint(x)) || x < 0 || x > nseg) {
                throw new IllegalArgumentException("label " + x + " at voxel index " + n + " is not an integer in 0.."
                    + nseg + " (" + nseg + " segment" + (nseg == 1 ? "" : "s") + " named)");
            }
            present[(int) x][n / plane] = true;
        }
        List<int[]> frames = new ArrayList<>(); // {segment, slice}
        for (int seg = 1; seg <= nseg; seg++) {
            for (int k = 0; k < nz; k++) if (present[seg][k]) frames.add(new int[] {seg, k});
        }
        if (frames.isEmpty()) frames.add(new int[] {1, 0});

        AttributeList l = Headers.common(src, s, SOP_CLASS, sopUid, series, 1);
        // Segmentation Image module
        DicomModules.put(l, TagFromName.ImageType, "DERIVED", "PRIMARY");
        Headers.contentIdentification(l, "SEGMENTATION", "VoxelLens segmentation"
            + (s.modelLabel().isEmpty() ? "" : ", model " + s.modelLabel()));
        DicomModules.put(l, TagFromName.SamplesPerPixel, 1);
        DicomModules.put(l, TagFromName.PhotometricInterpretation, "MONOCHROME2");
        DicomModules.put(l, TagFromName.PixelRepresentation, 0);
        DicomModules.put(l, TagFromName.BitsAllocated, 1);
        DicomModules.put(l, TagFromName.BitsStored, 1);
        DicomModules.put(l, TagFromName.HighBit, 0);
        DicomModules.put(l, TagFromName.Rows, ny);
        DicomModules.put(l, TagFromName.Columns, nx);
        DicomModules.put(l, TagFromName.NumberOfFrames, frames.size());
        DicomModules.put(l, TagFromName.LossyImageCompression, "00");
        DicomModules.put(l, TagFromName.SegmentationType, "BINARY");
        DicomModules.put(l, Headers.SEGMENTS_OVERLAP, "NO");
        String algorithm = s.modelName == null || s.modelName.isBlank() ? "VoxelLens" : s.modelName.trim();
        String algorithmVersion = s.modelVersion == null || s.modelVersion.isBlank() ? s.softwareVersion
            : s.modelVersion.trim();
        AttributeList[] segs = new AttributeList[nseg];
        for (int i = 0; i < nseg; i++) {
            DicomResultWriter.Segment d = segments.get(i);
            AttributeList item = new AttributeList();
            DicomModules.put(item, TagFromName.SegmentNumber, i + 1);
            String label = DicomModules.text(d.label(), 64);
            DicomModules.put(item, TagFromName.SegmentLabel, label.isEmpty() ? "Segment " + (i + 1) : label);
            DicomModules.sequence(item, TagFromName.SegmentedPropertyCategoryCodeSequence,
                DicomModules.code(d.category().value(), d.category().scheme(), d.category().meaning()));
            DicomModules.sequence(item, TagFromName.SegmentedPropertyTypeCodeSequence,
                DicomModules.code(d.type().value(), d.type().scheme(), d.type().meaning()));
            DicomModules.put(item, TagFromName.SegmentAlgorithmType, "AUTOMATIC");
            lo(item, SEGMENT_ALGORITHM_NAME, DicomModules.text(algorithm, 64));
            AttributeList alg = new AttributeList();
            DicomModules.sequence(alg, ALGORITHM_FAMILY_CODE_SEQUENCE,
                DicomModules.code("123110", "DCM", "Artificial Intelligence"));
            lo(alg, ALGORITHM_NAME, DicomModules.text(algorithm, 64));
            lo(alg, ALGORITHM_VERSION, DicomModules.text(algorithmVersion, 64));
            DicomModules.sequence(item, SEGMENTATION_ALGORITHM_IDENTIFICATION_SEQUENCE, alg);
            segs[i] = item;
        }
        DicomModules.sequence(l, TagFromName.SegmentSequence, segs);
        // Dimensions: segment, then slice position
        String dimUid = s.uid(series.seriesUid(), "dimension organization");
        Headers.dimensions(l, dimUid,
            Headers.dimension(dimUid, TagFromName.ReferencedSegmentNumber, TagFromName.SegmentIdentificationSequence,
                "Segment"),
            Headers.dimension(dimUid, TagFromName.ImagePositionPatient, TagFromName.PlanePositionSequence,
                "Slice position"));
        AttributeList shared = new AttributeList();
        Headers.sharedPlane(shared, g);
        DicomModules.sequence(l, TagFromName.SharedFunctionalGroupsSequence, shared);
        AttributeList[] perFrame = new AttributeList[frames.size()];
        for (int f = 0; f < frames.size(); f++) {
            int seg = frames.get(f)[0], k = frames.get(f)[1];
            AttributeList item = new AttributeList();
            Headers.frameContent(item, seg, k + 1);
            Headers.planePosition(item, g, k);
            Headers.derivationImage(item, src, k, DERIVATION, "VoxelLens segmentation");
            AttributeList id = new AttributeList();
            DicomModules.put(id, TagFromName.ReferencedSegmentNumber, seg);
            DicomModules.sequence(item, TagFromName.SegmentIdentificationSequence, id);
            perFrame[f] = item;
        }
        DicomModules.sequence(l, TagFromName.PerFrameFunctionalGroupsSequence, perFrame);
        Headers.commonInstanceReference(l, src);
        // Pixel data: frames packed bit by bit, no padding between frames, pixel n in bit n % 8 of byte n / 8.
        long bits = (long) frames.size() * plane;
        long bytes = (bits + 7) / 8;
        bytes += bytes % 2;
        if (bytes > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("segmentation too large: " + bits + " bits");
        byte[] px = new byte[(int) bytes];
        long bit = 0;
        for (int[] fr : frames) {
            int seg = fr[0], base = fr[1] * plane;
            for (int n = 0; n < plane; n++, bit++) {
                if (v[base + n] == seg) px[(int) (bit >>> 3)] |= (byte) (1 << (bit & 7));
            }
        }
        OtherByteAttribute pa = new OtherByteAttribute(TagFromName.PixelData);
        pa.setValues(px);
        l.put(pa);
        return l;
    }
}
