package org.voxellens.io.dicom;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.TagFromName;

import org.voxellens.volumetric.Volume;

/**
 * Reads one DICOM series (classic single-frame files, an enhanced multi-frame object, or a legacy multi-frame
 * object with a Grid Frame Offset Vector) as a {@link Volume} in LPS, placed as {@link SeriesGeometry} explains.
 *
 * <p>Voxel values are the stored values as signed or unsigned integers of Bits Stored bits, inverted for
 * MONOCHROME1 (stored v becomes min + max - v of the stored range, before rescaling, so that higher is
 * brighter), then rescaled with each frame's own Rescale Slope/Intercept (CT in HU). Float and double pixel data
 * are taken as they are. Colour images are refused.
 *
 * <p>Unreadable files: a file that cannot even be parsed is skipped during the folder scan, and its warning is
 * carried into the result; the series loads only if its remaining images form a complete, evenly spaced stack
 * (a hole left in the middle is refused as a missing slice). A file that belongs to the chosen series but whose
 * pixels cannot be read (truncated, undecodable transfer syntax) stops the reading with a message naming it,
 * because its slice is then known to be missing.
 */
public final class DicomSeriesReader {

    private DicomSeriesReader() {
    }

    /** Reads the series chosen by {@code selector} (see {@link DicomFolder#select}) from a folder or a file. */
    public static DicomVolume read(Path path, String selector) throws DicomException {
        DicomFolder folder = DicomFolder.scan(path);
        DicomFolder.Selection sel = folder.select(selector);
        return read(folder, sel.series(), sel.message());
    }

    /** Reads a folder or file holding exactly one series, or the default one (largest 3D). */
    public static DicomVolume read(Path path) throws DicomException {
        return read(path, null);
    }

    /** Reads one series of a scanned folder; {@code message}, if not null, becomes the result's first warning. */
    public static DicomVolume read(DicomFolder folder, SeriesSummary series, String message) throws DicomException {
        List<DicomFiles.Header> headers = folder.headers(series);
        Path where = folder.root();
        DicomFiles.Header h0 = headers.get(0);
        List<DicomFiles.Plane> planes = new ArrayList<>();
        for (DicomFiles.Header h : headers) {
            if (h.rows() != h0.rows() || h.columns() != h0.columns()) {
                throw new DicomException(where, "mixed image sizes in " + series.displayName() + ": "
                    + name(h0.file()) + " is " + h0.columns() + "x" + h0.rows() + ", " + name(h.file()) + " is "
                    + h.columns() + "x" + h.rows());
            }
            planes.addAll(h.planes());
        }
        double fallback = Attribute.getSingleDoubleValueOrDefault(h0.list(), TagFromName.SpacingBetweenSlices, Double.NaN);
        if (!(fallback > 0)) fallback = Attribute.getSingleDoubleValueOrDefault(h0.list(), TagFromName.SliceThickness, Double.NaN);
        Path stackWhere = headers.size() == 1 ? h0.file() : where;
        SeriesGeometry.Stack stack = SeriesGeometry.stack(stackWhere, planes, h0.rows(), h0.columns(), fallback);

        int nx = h0.columns(), ny = h0.rows(), plane = nx * ny;
        long total = (long) plane * stack.order().size();
        if (total > Integer.MAX_VALUE - 8) {
            throw new DicomException(where, series.displayName() + " is too large for one volume (" + total + " voxels)");
        }
        float[] data = new float[(int) total];
        // Each file is read once: which of its frames go to which slice.
        Map<Path, List<int[]>> perFile = new LinkedHashMap<>();
        Map<Path, List<DicomFiles.Plane>> planesPerFile = new LinkedHashMap<>();
        for (int k = 0; k < stack.order().size(); k++) {
            DicomFiles.Plane p = stack.order().get(k);
            perFile.computeIfAbsent(p.file(), f -> new ArrayList<>()).add(new int[] {p.frame(), k});
            planesPerFile.computeIfAbsent(p.file(), f -> new ArrayList<>()).add(p);
        }
        boolean inverted = false;
        for (Map.Entry<Path, List<int[]>> e : perFile.entrySet()) {
            Path file = e.getKey();
            AttributeList list = DicomFiles.readFull(file);
            Pixels px = Pixels.of(file, list, nx, ny);
            inverted |= px.monochrome1;
            List<DicomFiles.Plane> ps = planesPerFile.get(file);
            List<int[]> frames = e.getValue();
            for (int i = 0; i < frames.size(); i++) {
                int frame = frames.get(i)[0], k = frames.get(i)[1];
                DicomFiles.Plane p = ps.get(i);
                px.copyFrame(frame, data, k * plane, p.slope(), p.intercept());
            }
        }
        List<DicomVolume.SliceSource> sources = new ArrayList<>();
        for (DicomFiles.Plane p : stack.order()) {
            sources.add(new DicomVolume.SliceSource(p.sopInstanceUid(), p.frame() + 1, p.file()));
        }
        DicomFiles.Header first = null;
        for (DicomFiles.Header h : headers) if (h.file().equals(stack.order().get(0).file())) first = h;
        List<String> warnings = new ArrayList<>();
        if (message != null) warnings.add(message);
        for (String w : folder.warnings()) {
            warnings.add(w + " (" + series.displayName() + " loaded without it: its " + stack.order().size()
                + " slices are complete and evenly spaced)");
        }
        AttributeList source = first.list();
        source.remove(TagFromName.PixelData);
        return new DicomVolume(new Volume(stack.geometry(), data), series, h0.frameOfReferenceUid(), sources, source,
            inverted, warnings);
    }

    private static String name(Path p) {
        return p.getFileName() == null ? p.toString() : p.getFileName().toString();
    }

    /** The decoded pixel data of one object, frame by frame. */
    private static final class Pixels {
        final Path file;
        final int plane;
        final int frames;
        final short[] shorts;
        final byte[] bytes;
        final int[] ints;
        final float[] floats;
        final double[] doubles;
        final int bitsStored;
        final int shift;
        final boolean signed;
        final boolean monochrome1;

        private Pixels(Path file, int plane, int frames, short[] shorts, byte[] bytes, int[] ints, float[] floats,
                       double[] doubles, int bitsStored, int shift, boolean signed, boolean monochrome1) {
            this.file = file;
            this.plane = plane;
            this.frames = frames;
            this.shorts = shorts;
            this.bytes = bytes;
            this.ints = ints;
            this.floats = floats;
            this.doubles = doubles;
            this.bitsStored = bitsStored;
            this.shift = shift;
            this.signed = signed;
            this.monochrome1 = monochrome1;
        }

        static Pixels of(Path file, AttributeList list, int nx, int ny) throws DicomException {
            int spp = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.SamplesPerPixel, 1);
            String pi = DicomFiles.str(list, TagFromName.PhotometricInterpretation).toUpperCase(java.util.Locale.ROOT);
            if (spp != 1 || !(pi.isEmpty() || pi.startsWith("MONOCHROME"))) {
                throw new DicomException(file, "colour image (" + (pi.isEmpty() ? spp + " samples per pixel" : pi)
                    + "): only greyscale (MONOCHROME1/2) images can be read as a volume");
            }
            int frames = Math.max(1, Attribute.getSingleIntegerValueOrDefault(list, TagFromName.NumberOfFrames, 1));
            int bitsAllocated = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsAllocated, 16);
            int bitsStored = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsStored, bitsAllocated);
            int highBit = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.HighBit, bitsStored - 1);
            boolean signed = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.PixelRepresentation, 0) == 1;
            boolean mono1 = pi.equals("MONOCHROME1");
            if (bitsStored <= 0 || bitsStored > bitsAllocated || highBit < bitsStored - 1 || highBit >= bitsAllocated) {
                throw new DicomException(file, "inconsistent Bits Allocated/Stored/High Bit: " + bitsAllocated + "/"
                    + bitsStored + "/" + highBit);
            }
            int shift = highBit + 1 - bitsStored;
            Attribute a = DicomFiles.pixelData(list);
            long need = (long) nx * ny * frames;
            try {
                if (a.getTag().equals(TagFromName.FloatPixelData)) {
                    float[] v = a.getFloatValues();
                    check(file, v.length, need);
                    return new Pixels(file, nx * ny, frames, null, null, null, v, null, 32, 0, true, false);
                }
                if (a.getTag().equals(TagFromName.DoubleFloatPixelData)) {
                    double[] v = a.getDoubleValues();
                    check(file, v.length, need);
                    return new Pixels(file, nx * ny, frames, null, null, null, null, v, 64, 0, true, false);
                }
                switch (bitsAllocated) {
                    case 8: {
                        byte[] v = a instanceof OtherByteAttribute ? a.getByteValues() : a.getByteValues(false);
                        check(file, v.length, need);
                        return new Pixels(file, nx * ny, frames, null, v, null, null, null, bitsStored, shift, signed, mono1);
                    }
                    case 16: {
                        short[] v = a.getShortValues();
                        check(file, v.length, need);
                        return new Pixels(file, nx * ny, frames, v, null, null, null, null, bitsStored, shift, signed, mono1);
                    }
                    case 32: {
                        int[] v;
                        if (a instanceof com.pixelmed.dicom.OtherWordAttribute) {
                            // 32-bit values held in 16-bit words: reassemble them in the file's byte order.
                            boolean be = TransferSyntaxes.EXPLICIT_BE.equals(DicomFiles.str(list, TagFromName.TransferSyntaxUID));
                            byte[] b = a.getByteValues(be);
                            v = new int[b.length / 4];
                            for (int n = 0; n < v.length; n++) {
                                int b0 = b[4 * n] & 0xff, b1 = b[4 * n + 1] & 0xff, b2 = b[4 * n + 2] & 0xff, b3 = b[4 * n + 3] & 0xff;
                                v[n] = be ? b0 << 24 | b1 << 16 | b2 << 8 | b3 : b3 << 24 | b2 << 16 | b1 << 8 | b0;
                            }
                        } else {
                            v = a.getIntegerValues();
                        }
                        check(file, v.length, need);
                        return new Pixels(file, nx * ny, frames, null, null, v, null, null, bitsStored, shift, signed, mono1);
                    }
                    default:
                        throw new DicomException(file, "Bits Allocated " + bitsAllocated + " is not supported (8, 16 or 32"
                            + " bit integers, float and double pixel data are)");
                }
            } catch (com.pixelmed.dicom.DicomException | RuntimeException e) {
                throw new DicomException(file, "pixel data cannot be read (" + DicomFiles.reason(e) + ")", e);
            }
        }

        private static void check(Path file, long have, long need) throws DicomException {
            if (have < need) {
                throw new DicomException(file, "pixel data is truncated: " + have + " of " + need + " values");
            }
        }

        void copyFrame(int frame, float[] out, int at, double slope, double intercept) throws DicomException {
            if (frame >= frames) throw new DicomException(file, "frame " + (frame + 1) + " of " + frames + " does not exist");
            int base = frame * plane;
            if (floats != null) {
                for (int n = 0; n < plane; n++) out[at + n] = (float) (floats[base + n] * slope + intercept);
                return;
            }
            if (doubles != null) {
                for (int n = 0; n < plane; n++) out[at + n] = (float) (doubles[base + n] * slope + intercept);
                return;
            }
            long mask = bitsStored >= 64 ? -1L : (1L << bitsStored) - 1;
            long min = signed ? -(1L << (bitsStored - 1)) : 0;
            long max = signed ? (1L << (bitsStored - 1)) - 1 : mask;
            for (int n = 0; n < plane; n++) {
                long raw = shorts != null ? shorts[base + n] & 0xffffL
                    : bytes != null ? bytes[base + n] & 0xffL : ints[base + n] & 0xffffffffL;
                long v = (raw >>> shift) & mask;
                if (signed && (v & (1L << (bitsStored - 1))) != 0) v -= 1L << bitsStored;
                if (monochrome1) v = min + max - v;
                out[at + n] = (float) (v * slope + intercept);
            }
        }
    }
}
