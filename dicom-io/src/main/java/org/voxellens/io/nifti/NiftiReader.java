package org.voxellens.io.nifti;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/**
 * Reads NIfTI-1 and NIfTI-2 images (.nii, .nii.gz, and .hdr/.img pairs) into LPS {@link Volume}s.
 *
 * <p>Only the requested volume is decoded, streaming in chunks, so memory stays at the float array plus a small
 * buffer even for long 4D series or large gzipped files. Everything a header claims is checked against what the
 * reader can represent and against the file's length before the voxel array is allocated.
 */
public final class NiftiReader {

    private static final int CHUNK_BYTES = 1 << 20;
    private static final int IO_BUFFER = 1 << 16;
    /** Deflate cannot compress better than about 1032:1, so a .gz file of n bytes holds at most this many times n. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    private NiftiReader() {
    }

    /** The first (often only) volume. */
    public static NiftiImage read(Path file) throws IOException {
        return read(file, 0);
    }

    /**
     * Volume {@code volumeIndex} (0-based, along dim[4]) of a 3D or 4D image. For a pair, either the .hdr or the
     * .img path may be given.
     */
    public static NiftiImage read(Path file, int volumeIndex) throws IOException {
        Path headerFile = headerFileOf(file);
        NiftiHeader h = readHeader(headerFile);
        Path dataFile = h.pair ? imageFileOf(headerFile) : headerFile;
        NiftiDatatype type = h.datatype(headerFile);
        int volumes = (int) h.volumeCount();
        if (volumeIndex < 0 || volumeIndex >= volumes) {
            throw new NiftiException(headerFile, "volume index " + volumeIndex + " out of range: the image has "
                + volumes + " volume" + (volumes == 1 ? "" : "s"));
        }
        NiftiHeader.Transform transform = h.transform(headerFile);
        Geometry geometry = geometry(h, transform, headerFile);
        double[] scaling = h.scaling();
        float[] voxels;
        try (Source src = Source.open(dataFile)) {
            checkLength(h, src, dataFile);
            skip(src.in, h.dataOffset() + volumeIndex * h.bytesPerVolume(), dataFile, h);
            voxels = decode(src.in, type, h.order, (int) h.voxelsPerVolume(), scaling, dataFile, h);
        }
        return new NiftiImage(new Volume(geometry, voxels), h.version, type, h.order, volumeIndex, volumes,
            transform.source(), h.sformCode, h.qformCode, scaling[0], scaling[1], h.descrip,
            h.intentCode, h.intentName, h.xyztUnits, h.pixdim[4]);
    }

    private static NiftiHeader readHeader(Path file) throws IOException {
        try (Source src = Source.open(file)) {
            byte[] first = src.in.readNBytes(4);
            int size = first.length == 4 ? NiftiHeader.headerSize(first) : -1;
            if (size < 0) {
                throw new NiftiException(file, first.length < 4 ? "not a NIfTI file (shorter than 4 bytes)"
                    : "not a NIfTI file (sizeof_hdr is neither 348 nor 540)");
            }
            byte[] raw = new byte[size];
            System.arraycopy(first, 0, raw, 0, 4);
            int got = 4 + src.in.readNBytes(raw, 4, size - 4);
            if (got < size) throw new NiftiException(file, "truncated header: " + got + " of " + size + " bytes");
            return NiftiHeader.decode(raw, file);
        } catch (ZipException e) {
            throw new NiftiException(file, "corrupt gzip data (" + e.getMessage() + ")", e);
        } catch (EOFException e) {
            throw new NiftiException(file, "truncated header: gzip data ends inside it", e);
        }
    }

    private static Geometry geometry(NiftiHeader h, NiftiHeader.Transform t, Path file) throws NiftiException {
        try {
            return Geometry.fromAffine(h.spatialDims(), RasLps.rasToLps(t.affine()));
        } catch (IllegalArgumentException e) {
            throw new NiftiException(file, "unusable " + t.source().name().toLowerCase(Locale.ROOT) + " transform ("
                + e.getMessage() + ")", e);
        }
    }

    /**
     * For an uncompressed file the whole declared data must be present; for gzip the length is unknown without
     * decompressing, but a claim beyond deflate's maximum ratio is certainly false.
     */
    private static void checkLength(NiftiHeader h, Source src, Path file) throws NiftiException {
        long needed = h.dataOffset() + h.volumeCount() * h.bytesPerVolume();
        if (!src.gzip && src.length < needed) {
            throw new NiftiException(file, "truncated file: " + h.dimString() + " " + h.datatype(file)
                + " data needs " + needed + " bytes (from offset " + h.dataOffset() + ") but the file has "
                + src.length);
        }
        if (src.gzip && needed > src.length * MAX_DEFLATE_RATIO + 1024) {
            throw new NiftiException(file, "truncated file: " + h.dimString() + " declares " + needed
                + " bytes, more than a " + src.length + "-byte gzip file can hold");
        }
    }

    private static void skip(InputStream in, long n, Path file, NiftiHeader h) throws IOException {
        try {
            in.skipNBytes(n);
        } catch (EOFException e) {
            throw new NiftiException(file, "truncated file: it ends before the voxel data of " + h.dimString(), e);
        } catch (ZipException e) {
            throw new NiftiException(file, "corrupt gzip data (" + e.getMessage() + ")", e);
        }
    }

    private static float[] decode(InputStream in, NiftiDatatype type, ByteOrder order, int count, double[] scaling,
                                  Path file, NiftiHeader h) throws IOException {
        float[] out = new float[count];
        double slope = scaling[0], inter = scaling[1];
        boolean scaled = slope != 1 || inter != 0;
        int per = type.bytesPerVoxel();
        int chunk = Math.max(1, Math.min(count, CHUNK_BYTES / per));
        byte[] buf = new byte[chunk * per];
        ByteBuffer bb = ByteBuffer.wrap(buf).order(order);
        try {
            for (int done = 0; done < count; ) {
                int n = Math.min(chunk, count - done);
                int got = in.readNBytes(buf, 0, n * per);
                if (got < n * per) {
                    throw new NiftiException(file, "truncated file: voxel data ends after "
                        + ((long) done * per + got) + " of " + ((long) count * per) + " bytes of the volume ("
                        + h.dimString() + " " + type + ")");
                }
                bb.clear();
                for (int i = 0; i < n; i++) {
                    double v = type.get(bb);
                    out[done + i] = (float) (scaled ? v * slope + inter : v);
                }
                done += n;
            }
        } catch (EOFException e) {
            throw new NiftiException(file, "truncated file: gzip data ends inside the voxels of " + h.dimString(), e);
        } catch (ZipException e) {
            throw new NiftiException(file, "corrupt gzip data (" + e.getMessage() + ")", e);
        }
        return out;
    }

    /** For a pair named by its .img, the .hdr beside it; otherwise the file itself. */
    private static Path headerFileOf(Path file) throws NiftiException {
        String name = fileName(file);
        String lower = name.toLowerCase(Locale.ROOT);
        for (String ext : new String[] {".img", ".img.gz"}) {
            if (lower.endsWith(ext)) return sibling(file, name.substring(0, name.length() - ext.length()), ".hdr");
        }
        return file;
    }

    private static Path imageFileOf(Path headerFile) throws NiftiException {
        String name = fileName(headerFile);
        String lower = name.toLowerCase(Locale.ROOT);
        String base = name;
        for (String ext : new String[] {".hdr", ".hdr.gz"}) {
            if (lower.endsWith(ext)) base = name.substring(0, name.length() - ext.length());
        }
        return sibling(headerFile, base, ".img");
    }

    /** base + ext (or its .gz, or upper case) that exists next to {@code file}. */
    private static Path sibling(Path file, String base, String ext) throws NiftiException {
        String[] candidates = {ext, ext + ".gz", ext.toUpperCase(Locale.ROOT), ext.toUpperCase(Locale.ROOT) + ".GZ"};
        for (String e : candidates) {
            Path p = file.resolveSibling(base + e);
            if (Files.isRegularFile(p)) return p;
        }
        throw new NiftiException(file, "NIfTI pair is missing its " + ext + " file (" + base + ext + ")");
    }

    private static String fileName(Path file) {
        Path name = file.getFileName();
        return name == null ? "" : name.toString();
    }

    /** A file opened for reading, decompressed when it starts with the gzip magic (whatever its name says). */
    private static final class Source implements AutoCloseable {
        final InputStream in;
        final boolean gzip;
        final long length;

        private Source(InputStream in, boolean gzip, long length) {
            this.in = in;
            this.gzip = gzip;
            this.length = length;
        }

        static Source open(Path file) throws IOException {
            long length = Files.size(file);
            InputStream raw = new BufferedInputStream(Files.newInputStream(file), IO_BUFFER);
            try {
                raw.mark(2);
                boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
                raw.reset();
                return new Source(gzip ? new GZIPInputStream(raw, IO_BUFFER) : raw, gzip, length);
            } catch (ZipException e) {
                raw.close();
                throw new NiftiException(file, "corrupt gzip header (" + e.getMessage() + ")", e);
            } catch (EOFException e) {
                raw.close();
                throw new NiftiException(file, "truncated gzip header", e);
            } catch (IOException | RuntimeException e) {
                raw.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
