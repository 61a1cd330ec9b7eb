package org.voxellens.io.nifti;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

import org.voxellens.volumetric.AtomicFiles;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/**
 * Writes a {@link Volume} as a single-file NIfTI-1 image (.nii, or gzipped .nii.gz), little-endian, with both the
 * sform and (for unsheared grids) the qform set so that tools reading either transform agree on where the voxels
 * are.
 *
 * <p>The file appears complete or not at all: data goes to a hidden temporary file in the same directory, which
 * is synced and then renamed over the target. A crash or error mid-write therefore never leaves a truncated image
 * that a later pipeline step could mistake for a result.
 */
public final class NiftiWriter {

    private static final int CHUNK_VOXELS = 1 << 16;
    private static final int IO_BUFFER = 1 << 16;

    private NiftiWriter() {
    }

    /** float32 with the default options. */
    public static void write(Volume volume, Path file) throws IOException {
        write(volume, file, NiftiWriteOptions.defaults());
    }

    /** Gzipped when the name ends in .gz; the name must end in .nii or .nii.gz. An existing file is replaced. */
    public static void write(Volume volume, Path file, NiftiWriteOptions options) throws IOException {
        write(volume, file, options, UnaryOperator.identity());
    }

    /** {@code tap} wraps the raw output stream; tests use it to make writing fail half way. */
    static void write(Volume volume, Path file, NiftiWriteOptions options, UnaryOperator<OutputStream> tap)
            throws IOException {
        boolean gzip = isGzipName(file);
        NiftiHeader header = header(volume, options, file);
        Path target = file.toAbsolutePath();
        Path temp = createTemp(target);
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
                 OutputStream raw = tap.apply(new BufferedOutputStream(Channels.newOutputStream(channel), IO_BUFFER));
                 OutputStream out = gzip ? new FastGzip(raw) : raw) {
                out.write(header.encodeNifti1());
                writeVoxels(out, volume.data(), header);
                if (out instanceof GZIPOutputStream g) g.finish();
                out.flush();
                channel.force(true);
            }
            AtomicFiles.replace(temp, target);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IOException && !(e instanceof NiftiException)) {
                throw new NiftiException(file, "write failed (" + e + ")", e);
            }
            throw e;
        }
    }

    /**
     * Level 1, as nibabel writes by default: on noisy float data higher levels cost several times the time for
     * a few percent of size.
     */
    private static final class FastGzip extends GZIPOutputStream {
        FastGzip(OutputStream out) throws IOException {
            super(out, IO_BUFFER);
            def.setLevel(Deflater.BEST_SPEED);
        }
    }

    private static boolean isGzipName(Path file) throws NiftiException {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".nii.gz")) return true;
        if (name.endsWith(".nii")) return false;
        throw new NiftiException(file, "a NIfTI file name must end in .nii or .nii.gz");
    }

    private static NiftiHeader header(Volume volume, NiftiWriteOptions options, Path file) throws NiftiException {
        Geometry g = volume.geometry();
        for (int d : g.dims()) {
            if (d > Short.MAX_VALUE) {
                throw new NiftiException(file, "dimension " + d + " exceeds NIfTI-1's limit of " + Short.MAX_VALUE);
            }
        }
        NiftiHeader h = NiftiHeader.forGeometry(g, options.sformCode(), options.qformCode());
        NiftiDatatype type = options.datatype();
        h.datatypeCode = type.code();
        h.descrip = options.description();
        h.intentCode = options.intentCode();
        h.intentName = options.intentName();
        double[] range = finiteRange(volume.data());
        h.calMin = range == null ? 0 : range[0];
        h.calMax = range == null ? 0 : range[1];
        h.sclSlope = 1;
        h.sclInter = 0;
        if (type.isInteger() && options.rescale() && range != null) {
            // Rounded to float first: the header stores float32, and encoding must use what readers will decode with.
            float slope = (float) ((range[1] - range[0]) / (type.maxValue() - type.minValue()));
            if (slope > 0 && Float.isFinite(slope)) {
                h.sclSlope = slope;
                h.sclInter = (float) (range[0] - type.minValue() * slope);
            } else {
                h.sclInter = (float) range[0]; // constant image: store zeros
            }
        }
        return h;
    }

    /** Finite minimum and maximum, or null when no voxel is finite. */
    private static double[] finiteRange(float[] data) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (float v : data) {
            if (Float.isFinite(v)) {
                if (v < min) min = v;
                if (v > max) max = v;
            }
        }
        return min > max ? null : new double[] {min, max};
    }

    private static void writeVoxels(OutputStream out, float[] data, NiftiHeader h) throws IOException {
        NiftiDatatype type = NiftiDatatype.fromCode(h.datatypeCode).orElseThrow();
        double slope = h.sclSlope, inter = h.sclInter;
        boolean scaled = slope != 1 || inter != 0;
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_VOXELS * type.bytesPerVoxel()).order(ByteOrder.LITTLE_ENDIAN);
        for (int done = 0; done < data.length; ) {
            int n = Math.min(CHUNK_VOXELS, data.length - done);
            buf.clear();
            for (int i = done; i < done + n; i++) type.put(buf, scaled ? (data[i] - inter) / slope : data[i]);
            out.write(buf.array(), 0, buf.position());
            done += n;
        }
    }

    /** Hidden, in the target's directory so that the final rename stays on one file system. */
    private static Path createTemp(Path target) throws NiftiException {
        Path dir = target.getParent();
        String name = target.getFileName().toString();
        for (int attempt = 0; ; attempt++) {
            Path temp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                return Files.createFile(temp);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 10) throw new NiftiException(target, "cannot create a temporary file in " + dir, e);
            } catch (IOException e) {
                throw new NiftiException(target, "cannot create a temporary file in " + dir + " (" + e + ")", e);
            }
        }
    }
}
