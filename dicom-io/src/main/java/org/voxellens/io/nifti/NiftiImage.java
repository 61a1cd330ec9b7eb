package org.voxellens.io.nifti;

import java.nio.ByteOrder;

import org.voxellens.volumetric.Volume;

/**
 * One volume read from a NIfTI file, with the header facts a caller may need to write results back
 * consistently or to explain where the geometry came from. Voxels are already scaled by scl_slope/scl_inter and
 * the geometry is already in LPS millimetres.
 *
 * @param volume         the voxels (float, scaled) on their LPS geometry
 * @param niftiVersion   1 or 2
 * @param datatype       how the voxels were stored
 * @param byteOrder      byte order of the file
 * @param volumeIndex    which volume (4th dimension index) this is
 * @param volumeCount    how many volumes the file holds (dim[4], or 1)
 * @param geometrySource which header transform the geometry was taken from
 * @param sformCode      the file's sform_code (0 unknown, 1 scanner, 2 aligned, 3 Talairach, 4 MNI152, 5 template)
 * @param qformCode      the file's qform_code
 * @param sclSlope       the slope applied (1 when the file requested no scaling)
 * @param sclInter       the intercept applied (0 when the file requested no scaling)
 * @param description    the descrip field
 * @param intentCode     the intent_code (0 none; e.g. 1002 label, 1007 vector)
 * @param intentName     the intent_name field
 * @param xyztUnits      the raw xyzt_units byte; see {@link #spatialUnits()} and {@link #timeUnits()}
 * @param timeStep       pixdim[4]: time between volumes, in {@link #timeUnits()}
 */
public record NiftiImage(
    Volume volume,
    int niftiVersion,
    NiftiDatatype datatype,
    ByteOrder byteOrder,
    int volumeIndex,
    int volumeCount,
    GeometrySource geometrySource,
    int sformCode,
    int qformCode,
    double sclSlope,
    double sclInter,
    String description,
    int intentCode,
    String intentName,
    int xyztUnits,
    double timeStep) {

    /** Which of the header's transforms placed the voxels in the world (the standard's order of preference). */
    public enum GeometrySource {
        /** srow_x/y/z, used when sform_code > 0. */
        SFORM,
        /** the quaternion, used when sform_code is 0 and qform_code > 0. */
        QFORM,
        /** neither is set: pixdim scaling only, origin 0 (NIfTI "method 1", Analyze compatibility). */
        PIXDIM
    }

    /** "m", "mm", "um" or "unknown", as declared by the file (the geometry is converted to mm regardless). */
    public String spatialUnits() {
        return NiftiHeader.spatialUnits(xyztUnits);
    }

    /** "s", "ms", "us", "Hz", "ppm", "rad/s" or "unknown". */
    public String timeUnits() {
        return NiftiHeader.timeUnits(xyztUnits);
    }
}
