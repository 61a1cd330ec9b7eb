package org.voxellens.io.nifti;

import static org.voxellens.io.nifti.NiftiAsserts.assertNiftiError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input fails with a one-line NiftiException naming the file, and before any large allocation. */
class NiftiErrorTest {

    @TempDir
    Path dir;

    private byte[] valid() {
        RawNifti r = new RawNifti().dims(4, 4, 4).type(4, 16);
        return r.file(new byte[4 * 4 * 4 * 2]);
    }

    @Test
    void badMagic() throws IOException {
        byte[] bytes = valid();
        bytes[344] = 'x';
        Path f = Files.write(dir.resolve("magic.nii"), bytes);
        assertNiftiError(f, () -> NiftiReader.read(f), "not a NIfTI file", "\"x+1\"");

        Path png = Files.write(dir.resolve("picture.nii"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0});
        assertNiftiError(png, () -> NiftiReader.read(png), "not a NIfTI file", "sizeof_hdr");

        Path empty = Files.write(dir.resolve("empty.nii"), new byte[0]);
        assertNiftiError(empty, () -> NiftiReader.read(empty), "not a NIfTI file");
    }

    @Test
    void analyzeHeaderIsNotNifti() throws IOException {
        byte[] bytes = valid();
        Arrays.fill(bytes, 344, 348, (byte) 0);
        Path f = Files.write(dir.resolve("analyze.hdr"), Arrays.copyOf(bytes, 348));
        assertNiftiError(f, () -> NiftiReader.read(f), "not a NIfTI file", "Analyze");
    }

    @Test
    void damagedNifti2Magic() throws IOException {
        RawNifti r = new RawNifti().dims(2, 1, 1);
        r.version = 2;
        byte[] bytes = r.file(new byte[8]);
        bytes[9] = '\r'; // what a text-mode transfer does to "\r\n"
        Path f = Files.write(dir.resolve("v2.nii"), bytes);
        assertNiftiError(f, () -> NiftiReader.read(f), "damaged NIfTI-2 magic");
    }

    @Test
    void truncatedHeader() throws IOException {
        byte[] bytes = Arrays.copyOf(valid(), 200);
        Path f = Files.write(dir.resolve("short.nii"), bytes);
        assertNiftiError(f, () -> NiftiReader.read(f), "truncated header", "200 of 348");
        Path gz = Files.write(dir.resolve("short.nii.gz"), RawNifti.gzip(bytes));
        assertNiftiError(gz, () -> NiftiReader.read(gz), "truncated header");
    }

    @Test
    void truncatedData() throws IOException {
        byte[] bytes = valid();
        byte[] cut = Arrays.copyOf(bytes, bytes.length - 10);
        Path f = Files.write(dir.resolve("cut.nii"), cut);
        assertNiftiError(f, () -> NiftiReader.read(f), "truncated file", "needs " + bytes.length, "has " + cut.length);
        Path gz = Files.write(dir.resolve("cut.nii.gz"), RawNifti.gzip(cut));
        assertNiftiError(gz, () -> NiftiReader.read(gz), "truncated file");
    }

    /** A gzip stream cut in the middle (no trailer) rather than a complete stream of too little data. */
    @Test
    void truncatedGzipStream() throws IOException {
        RawNifti r = new RawNifti().dims(64, 64, 64);
        float[] noise = new float[64 * 64 * 64];
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < noise.length; i++) noise[i] = rnd.nextFloat();
        byte[] gz = RawNifti.gzip(r.file(RawNifti.float32(r.order, noise)));
        Path f = Files.write(dir.resolve("cut-stream.nii.gz"), Arrays.copyOf(gz, gz.length / 2));
        assertNiftiError(f, () -> NiftiReader.read(f), "truncated");
    }

    @Test
    void corruptGzip() throws IOException {
        byte[] gz = RawNifti.gzip(valid());
        for (int i = 20; i < 60; i++) gz[i] ^= 0x5a;
        Path f = Files.write(dir.resolve("corrupt.nii.gz"), gz);
        assertNiftiError(f, () -> NiftiReader.read(f), "gzip");
    }

    @Test
    void unsupportedDatatypes() throws IOException {
        int[][] codes = {{128, 24}, {32, 64}, {2304, 32}, {1792, 128}, {77, 8}};
        String[] names = {"DT_RGB24 (128)", "DT_COMPLEX64 (32)", "DT_RGBA32 (2304)", "DT_COMPLEX128 (1792)", "unknown code 77"};
        for (int i = 0; i < codes.length; i++) {
            RawNifti r = new RawNifti().dims(2, 2, 2).type(codes[i][0], codes[i][1]);
            Path f = r.write(dir.resolve("type" + codes[i][0] + ".nii"), new byte[64]);
            assertNiftiError(f, () -> NiftiReader.read(f), "unsupported datatype " + names[i]);
        }
    }

    /** A header claiming 64e9 voxels (256 GB of float32) is refused from its dims alone. */
    @Test
    void absurdDimensionsRefusedBeforeAllocating() throws IOException {
        RawNifti r = new RawNifti().dims(4000, 4000, 4000);
        Path f = r.write(dir.resolve("huge.nii"), new byte[16]);
        assertNiftiError(f, () -> NiftiReader.read(f), "too large", "[4000, 4000, 4000]");

        r.version = 2;
        r.dims(1L << 40, 1L << 40, 2);
        Path f2 = r.write(dir.resolve("huge2.nii"), new byte[16]);
        assertNiftiError(f2, () -> NiftiReader.read(f2), "too large");

        r.dims(10, 10, 10, Long.MAX_VALUE / 2);
        Path f3 = r.write(dir.resolve("huge-4d.nii"), new byte[16]);
        assertNiftiError(f3, () -> NiftiReader.read(f3), "too large");
    }

    /** Within the per-volume limit but far beyond the file: refused by length, not by an OutOfMemoryError. */
    @Test
    void declaredSizeBeyondFileRefusedBeforeAllocating() throws IOException {
        RawNifti r = new RawNifti().dims(1200, 1200, 1200); // 1.7e9 float32 voxels: 6.9 GB
        Path f = r.write(dir.resolve("liar.nii"), new byte[1024]);
        assertNiftiError(f, () -> NiftiReader.read(f), "truncated file", "needs 6912000352 bytes");
        Path gz = r.writeGz(dir.resolve("liar.nii.gz"), new byte[1024]);
        assertNiftiError(gz, () -> NiftiReader.read(gz), "truncated file", "gzip file can hold");
    }

    @Test
    void nonPositiveDims() throws IOException {
        RawNifti r = new RawNifti().dims(4, 0, 4);
        Path f = r.write(dir.resolve("zero.nii"), new byte[64]);
        assertNiftiError(f, () -> NiftiReader.read(f), "invalid dimensions", "dim[2] <= 0");
        r.dims(4, -3, 4);
        Path g = r.write(dir.resolve("negative.nii"), new byte[64]);
        assertNiftiError(g, () -> NiftiReader.read(g), "dim[2] <= 0");
        byte[] bytes = valid();
        ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort(40, (short) 0);
        Path h = Files.write(dir.resolve("dim0.nii"), bytes);
        assertNiftiError(h, () -> NiftiReader.read(h), "dim[0] = 0");
    }

    @Test
    void moreThanFourDimensions() throws IOException {
        RawNifti r = new RawNifti().dims(2, 2, 2, 1, 3);
        Path f = r.write(dir.resolve("vector.nii"), new byte[96]);
        assertNiftiError(f, () -> NiftiReader.read(f), "unsupported 5D image", "only 3D and 4D");
    }

    @Test
    void nonFiniteAffine() throws IOException {
        RawNifti r = new RawNifti().dims(2, 2, 2);
        r.sformCode = 1;
        r.srow = new double[][] {{1, 0, 0, Double.NaN}, {0, 1, 0, 0}, {0, 0, 1, 0}};
        Path f = r.write(dir.resolve("nan-sform.nii"), new byte[32]);
        assertNiftiError(f, () -> NiftiReader.read(f), "sform contains NaN");

        r.sformCode = 0;
        r.qformCode = 1;
        r.qoffset = new double[] {0, Double.POSITIVE_INFINITY, 0};
        Path g = r.write(dir.resolve("inf-qform.nii"), new byte[32]);
        assertNiftiError(g, () -> NiftiReader.read(g), "qform contains NaN or infinite");

        r.qformCode = 0;
        r.sformCode = 1;
        r.srow = new double[][] {{1, 0, 0, 0}, {1, 0, 0, 0}, {0, 0, 1, 0}};
        Path h = r.write(dir.resolve("singular.nii"), new byte[32]);
        assertNiftiError(h, () -> NiftiReader.read(h), "unusable sform");
    }

    @Test
    void voxOffsetInsideHeader() throws IOException {
        RawNifti r = new RawNifti().dims(2, 1, 1);
        r.voxOffset = 100;
        Path f = Files.write(dir.resolve("inside.nii"), Arrays.copyOf(r.header(), 400));
        assertNiftiError(f, () -> NiftiReader.read(f), "vox_offset 100");
    }
}
