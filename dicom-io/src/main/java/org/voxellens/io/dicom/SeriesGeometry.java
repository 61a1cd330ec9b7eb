package org.voxellens.io.dicom;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

import org.voxellens.volumetric.Geometry;

/**
 * Stacks the frames of a series into one voxel grid, as dcm2niix does: frames are sorted by their position along
 * the slice normal (ImagePositionPatient projected on row x column of ImageOrientationPatient), never by
 * InstanceNumber; the slice spacing comes from the sorted positions, not SliceThickness; the third direction
 * column is the actual step from one slice to the next, so sorting never flips the volume silently.
 *
 * <p>Refused, with a message saying what and where: frames without position or orientation, mixed
 * orientations or pixel spacings, several frames at one position (e.g. echoes or time points), gantry tilt
 * (slices shifted in-plane from one to the next), missing slices (a gap of about twice the usual spacing or
 * more) and otherwise uneven spacing. Nothing is resampled.
 */
final class SeriesGeometry {

    /** Orientation cosines equal within this are the same orientation. */
    static final double ORIENTATION_TOL = 1e-4;
    /** Absolute tolerance on slice gaps, mm. */
    static final double GAP_ABS_TOL = 0.01;
    /** Relative tolerance on slice gaps (fraction of the median gap). */
    static final double GAP_REL_TOL = 0.01;
    /** In-plane shift per slice (mm) beyond which the stack is tilted (gantry tilt or sheared acquisition). */
    static final double TILT_TOL = 0.01;

    private SeriesGeometry() {
    }

    /** The stacked grid and the frames in slice order. */
    record Stack(Geometry geometry, List<DicomFiles.Plane> order) {
    }

    /**
     * @param where     folder or file named in messages
     * @param planes    every frame of the series, any order
     * @param rows      rows of every frame
     * @param columns   columns of every frame
     * @param fallbackSliceSpacing spacing for a single slice (SpacingBetweenSlices or SliceThickness), or NaN
     */
    static Stack stack(Path where, List<DicomFiles.Plane> planes, int rows, int columns, double fallbackSliceSpacing)
        throws DicomException {
        if (planes.isEmpty()) throw new DicomException(where, "the series has no images");
        DicomFiles.Plane first = planes.get(0);
        for (DicomFiles.Plane p : planes) {
            if (p.orientation() == null) throw new DicomException(p.file(), "no Image Orientation (Patient)" + frame(p)
                + ": the image cannot be placed in the patient");
            if (p.position() == null) throw new DicomException(p.file(), "no Image Position (Patient)" + frame(p)
                + ": the image cannot be placed in the patient");
            if (p.pixelSpacing() == null) throw new DicomException(p.file(), "no Pixel Spacing" + frame(p));
            if (!(p.pixelSpacing()[0] > 0 && p.pixelSpacing()[1] > 0)) {
                throw new DicomException(p.file(), "Pixel Spacing must be positive" + frame(p) + ": "
                    + Arrays.toString(p.pixelSpacing()));
            }
        }
        double[] iop = unitOrientation(first);
        for (DicomFiles.Plane p : planes) {
            double[] o = unitOrientation(p);
            for (int i = 0; i < 6; i++) {
                if (Math.abs(o[i] - iop[i]) > ORIENTATION_TOL) {
                    throw new DicomException(where, "mixed orientations in one series: " + describe(first) + " is "
                        + fmt(first.orientation()) + " but " + describe(p) + " is " + fmt(p.orientation())
                        + " (a localizer among the slices?); refusing to stack them");
                }
            }
            if (Math.abs(p.pixelSpacing()[0] - first.pixelSpacing()[0]) > 1e-4
                || Math.abs(p.pixelSpacing()[1] - first.pixelSpacing()[1]) > 1e-4) {
                throw new DicomException(where, "mixed pixel spacings in one series: " + describe(first) + " has "
                    + fmt(first.pixelSpacing()) + " mm, " + describe(p) + " has " + fmt(p.pixelSpacing()) + " mm");
            }
        }
        double[] row = {iop[0], iop[1], iop[2]};
        double[] col = {iop[3], iop[4], iop[5]};
        double[] n = normal(iop);

        List<DicomFiles.Plane> order = new ArrayList<>(planes);
        order.sort(Comparator.comparingDouble(p -> dot(p.position(), n)));
        double colSpacing = first.pixelSpacing()[1]; // PixelSpacing = row spacing \ column spacing
        double rowSpacing = first.pixelSpacing()[0];
        double[] origin = order.get(0).position().clone();

        double sliceSpacing;
        double[] step;
        if (order.size() == 1) {
            sliceSpacing = fallbackSliceSpacing > 0 ? fallbackSliceSpacing : 1.0;
            step = n;
        } else {
            int m = order.size() - 1;
            double[] gaps = new double[m];
            for (int k = 0; k < m; k++) {
                gaps[k] = dot(order.get(k + 1).position(), n) - dot(order.get(k).position(), n);
            }
            for (int k = 0; k < m; k++) {
                if (gaps[k] < GAP_ABS_TOL) {
                    throw new DicomException(where, "several images at the same slice position: " + describe(order.get(k))
                        + " and " + describe(order.get(k + 1)) + " are both at " + fmt(order.get(k).position())
                        + " (several echoes, phases or time points in one series?); refusing to stack them");
                }
            }
            double median = median(gaps);
            double tol = Math.max(GAP_ABS_TOL, GAP_REL_TOL * median);
            for (int k = 0; k < m; k++) {
                double ratio = gaps[k] / median;
                if (Math.abs(gaps[k] - median) > tol && ratio > 1.5 && Math.abs(ratio - Math.rint(ratio)) * median <= tol) {
                    long missing = Math.round(ratio) - 1;
                    throw new DicomException(where, String.format(Locale.ROOT,
                        "missing slice%s: the gap between %s (at %.3f mm along the slice normal) and %s (at %.3f mm) is "
                            + "%.3f mm where the slices are %.3f mm apart, so %d slice%s %s missing; refusing to load an "
                            + "incomplete series", missing == 1 ? "" : "s", describe(order.get(k)),
                        dot(order.get(k).position(), n), describe(order.get(k + 1)), dot(order.get(k + 1).position(), n),
                        gaps[k], median, missing, missing == 1 ? "" : "s", missing == 1 ? "is" : "are"));
                }
            }
            for (int k = 0; k < m; k++) {
                if (Math.abs(gaps[k] - median) > tol) {
                    throw new DicomException(where, String.format(Locale.ROOT,
                        "uneven slice spacing: %s and %s are %.4f mm apart where the median spacing is %.4f mm "
                            + "(gaps range %.4f to %.4f mm, tolerance %.4f mm); refusing (resampling is not supported)",
                        describe(order.get(k)), describe(order.get(k + 1)), gaps[k], median,
                        Arrays.stream(gaps).min().orElse(0), Arrays.stream(gaps).max().orElse(0), tol));
                }
            }
            // Gantry tilt: the step between slices has a component in the image plane.
            double[] last = order.get(m).position();
            step = new double[] {(last[0] - origin[0]) / m, (last[1] - origin[1]) / m, (last[2] - origin[2]) / m};
            for (int k = 0; k < m; k++) {
                double[] d = sub(order.get(k + 1).position(), order.get(k).position());
                double along = dot(d, n);
                double inPlane = Math.sqrt(Math.max(0, dot(d, d) - along * along));
                if (inPlane > TILT_TOL * Math.max(1, Math.abs(along))) {
                    double angle = Math.toDegrees(Math.atan2(inPlane, along));
                    throw new DicomException(where, String.format(Locale.ROOT,
                        "gantry tilt (or sheared stack): each slice is shifted %.3f mm in the image plane for %.3f mm "
                            + "along the normal (%.2f degrees), between %s and %s; refusing (resampling a tilted stack "
                            + "is not supported)", inPlane, along, angle, describe(order.get(k)), describe(order.get(k + 1))));
                }
            }
            sliceSpacing = Math.sqrt(dot(step, step));
            step = new double[] {step[0] / sliceSpacing, step[1] / sliceSpacing, step[2] / sliceSpacing};
        }
        double[] dir = {
            row[0], col[0], step[0],
            row[1], col[1], step[1],
            row[2], col[2], step[2]};
        Geometry g = Geometry.of(new int[] {columns, rows, order.size()},
            new double[] {colSpacing, rowSpacing, sliceSpacing}, origin, dir);
        return new Stack(g, List.copyOf(order));
    }

    /** Row and column cosines normalised (DICOM writers round them to a few digits). */
    static double[] unitOrientation(DicomFiles.Plane p) throws DicomException {
        double[] o = p.orientation();
        double nr = Math.sqrt(o[0] * o[0] + o[1] * o[1] + o[2] * o[2]);
        double nc = Math.sqrt(o[3] * o[3] + o[4] * o[4] + o[5] * o[5]);
        if (nr < 0.5 || nc < 0.5 || Math.abs((o[0] * o[3] + o[1] * o[4] + o[2] * o[5]) / (nr * nc)) > 1e-3) {
            throw new DicomException(p.file(), "Image Orientation (Patient) " + fmt(o) + frame(p)
                + " is not two orthogonal unit vectors");
        }
        return new double[] {o[0] / nr, o[1] / nr, o[2] / nr, o[3] / nc, o[4] / nc, o[5] / nc};
    }

    /** row x column of an orientation (6 cosines), normalised. */
    static double[] normal(double[] o) {
        double[] n = {o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]};
        double len = Math.sqrt(dot(n, n));
        return len == 0 ? n : new double[] {n[0] / len, n[1] / len, n[2] / len};
    }

    static double dot(double[] a, double[] b) {
        return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    }

    private static double[] sub(double[] a, double[] b) {
        return new double[] {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int h = s.length / 2;
        return s.length % 2 == 1 ? s[h] : (s[h - 1] + s[h]) / 2;
    }

    static String describe(DicomFiles.Plane p) {
        String name = p.file().getFileName() == null ? p.file().toString() : p.file().getFileName().toString();
        return p.frame() > 0 ? name + " frame " + (p.frame() + 1) : name;
    }

    private static String frame(DicomFiles.Plane p) {
        return p.frame() > 0 ? " for frame " + (p.frame() + 1) : "";
    }

    static String fmt(double[] v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            if (i > 0) b.append('\\');
            b.append(String.format(Locale.ROOT, "%.4g", v[i]));
        }
        return b.toString();
    }
}
