package org.voxellens.io.dicom.out;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.TagFromName;

import org.voxellens.io.dicom.DicomException;
import org.voxellens.volumetric.AtomicFiles;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;
import org.voxellens.volumetric.render.RenderOptions;
import org.voxellens.volumetric.render.VoxelOverlay;

/**
 * The heat map burned onto the anatomy as classic Secondary Capture Image Storage (1.2.840.10008.5.1.4.1.1.7),
 * RGB, one image per source slice with the source slice's pixel grid (rows and columns as the source images, so
 * an image lies exactly over its source slice). Colours are those of the project's figures
 * ({@link VoxelOverlay}: same colour map, opacity, threshold and robust scaling).
 *
 * <p>Why classic SC rather than Multi-frame True Color SC: every PACS and viewer stores and shows it (the
 * multi-frame SC classes are often unsupported or shown as a cine loop), and one image per slice gives each image
 * its own Source Image reference to the slice it shows. The SC IOD has no Image Plane module; the images carry
 * what it allows for stacking: Patient Orientation (the row and column directions), Pixel Spacing, Instance
 * Number in slice order, and the source slice reference.
 */
final class SecondaryCaptureWriter {

    static final String SOP_CLASS = "1.2.840.10008.5.1.4.1.1.7";
    static final String RESEARCH_NOTICE = "RESEARCH USE ONLY - NOT FOR DIAGNOSTIC USE";

    private SecondaryCaptureWriter() {
    }

    static List<Path> write(SourceStudy src, Volume anatomy, Volume map, RenderOptions options, ResultSettings s,
                            Headers.Series series, List<String> sopUids, String what, Path outDir,
                            List<String> names) throws IOException {
        VoxelOverlay overlay;
        try {
            overlay = VoxelOverlay.fit(anatomy, map, options);
        } catch (IllegalArgumentException e) {
            throw new DicomException(outDir, "cannot render: " + e.getMessage(), e);
        }
        Geometry g = src.geometry();
        Files.createDirectories(outDir);
        Path staging = Files.createTempDirectory(outDir, ".voxellens-sc-");
        List<Path> moved = new ArrayList<>();
        boolean ok = false;
        try {
            for (int k = 0; k < g.nz(); k++) {
                AttributeList l;
                try {
                    l = image(src, overlay, options.colorMap().name(), s, series, sopUids.get(k), k, what, g);
                } catch (com.pixelmed.dicom.DicomException e) {
                    throw new DicomException(outDir.resolve(names.get(k)), "cannot write: " + e.getMessage(), e);
                }
                DicomModules.writeAtomically(l, staging.resolve(names.get(k)));
            }
            for (String name : names) {
                Path target = outDir.resolve(name);
                AtomicFiles.replace(staging.resolve(name), target);
                moved.add(target);
            }
            ok = true;
            return moved;
        } finally {
            if (!ok) DicomResultWriter.deleteQuietly(moved);
            AtomicFiles.deleteTree(staging);
        }
    }

    private static AttributeList image(SourceStudy src, VoxelOverlay overlay, String lut, ResultSettings s,
                                       Headers.Series series, String sopUid, int k, String what, Geometry g)
        throws com.pixelmed.dicom.DicomException {
        int nx = g.nx(), ny = g.ny();
        AttributeList l = Headers.common(src, s, SOP_CLASS, sopUid, series, k + 1);
        // General Series: Laterality (2C) as the source series has it; no Frame of Reference module in SC (the
        // Frame of Reference UID is kept as a standard extension linking the images to the source grid).
        DicomModules.put(l, TagFromName.Laterality, src.laterality());
        l.remove(TagFromName.PositionReferenceIndicator);
        // SC Equipment
        DicomModules.put(l, TagFromName.ConversionType, "WSD");
        DicomModules.put(l, TagFromName.SecondaryCaptureDeviceManufacturer, ResultSettings.MANUFACTURER);
        DicomModules.put(l, TagFromName.SecondaryCaptureDeviceSoftwareVersions, s.softwareVersions());
        // General Image
        DicomModules.put(l, TagFromName.ImageType, "DERIVED", "SECONDARY");
        DicomModules.put(l, TagFromName.PatientOrientation, DicomModules.patientOrientation(g).split("\\\\"));
        DicomModules.put(l, TagFromName.ImageComments, DicomModules.text(RESEARCH_NOTICE + ". VoxelLens " + what
            + " burned onto the anatomy" + (s.modelLabel().isEmpty() ? "" : ", model " + s.modelLabel())
            + (s.target == null || s.target.isBlank() ? "" : ", target " + s.target.trim()) + ".", 10240));
        DicomModules.put(l, TagFromName.BurnedInAnnotation, "YES");
        DicomModules.put(l, TagFromName.RecognizableVisualFeatures, "NO");
        DicomModules.put(l, TagFromName.LossyImageCompression, "00");
        DicomModules.put(l, TagFromName.DerivationDescription, DicomModules.text("VoxelLens " + what
            + " heat map (colour map " + lut + ") over the source slice", 1024));
        if (!src.synthetic() && !src.images().isEmpty()) {
            DicomModules.sequence(l, TagFromName.SourceImageSequence, Headers.sourceImage(src, k, true));
        }
        // SC Image
        DicomModules.put(l, TagFromName.DateOfSecondaryCapture, s.date());
        DicomModules.put(l, TagFromName.TimeOfSecondaryCapture, s.time());
        DicomModules.put(l, TagFromName.PixelSpacing, DicomModules.ds(DicomModules.pixelSpacing(g)));
        // Image Pixel: RGB, colour-by-pixel
        DicomModules.put(l, TagFromName.SamplesPerPixel, 3);
        DicomModules.put(l, TagFromName.PhotometricInterpretation, "RGB");
        DicomModules.put(l, TagFromName.PlanarConfiguration, 0);
        DicomModules.put(l, TagFromName.Rows, ny);
        DicomModules.put(l, TagFromName.Columns, nx);
        DicomModules.put(l, TagFromName.BitsAllocated, 8);
        DicomModules.put(l, TagFromName.BitsStored, 8);
        DicomModules.put(l, TagFromName.HighBit, 7);
        DicomModules.put(l, TagFromName.PixelRepresentation, 0);
        Headers.commonInstanceReference(l, src);
        int[] rgb = overlay.sliceRgb(k);
        byte[] px = new byte[rgb.length * 3 + (rgb.length * 3) % 2];
        for (int n = 0; n < rgb.length; n++) {
            px[3 * n] = (byte) (rgb[n] >> 16);
            px[3 * n + 1] = (byte) (rgb[n] >> 8);
            px[3 * n + 2] = (byte) rgb[n];
        }
        OtherByteAttribute pa = new OtherByteAttribute(TagFromName.PixelData);
        pa.setValues(px);
        l.put(pa);
        return l;
    }
}
