package org.voxellens.io.nifti;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Builds NIfTI files byte by byte, independently of the production encoder, so that reader tests do not merely
 * check that the writer and reader agree with each other. Field offsets are typed in from the NIfTI-1 and NIfTI-2
 * specifications.
 */
final class RawNifti {

    int version = 1;
    boolean pair;
    ByteOrder order = ByteOrder.LITTLE_ENDIAN;
    long[] dim = {3, 1, 1, 1, 1, 1, 1, 1};
    int datatype = 16;
    int bitpix = 32;
    double[] pixdim = {1, 1, 1, 1, 1, 1, 1, 1};
    double voxOffset = -1; // -1: right after header and extension flag
    double sclSlope = 1;
    double sclInter;
    int xyztUnits = 2;
    String descrip = "";
    int intentCode;
    int qformCode;
    int sformCode;
    double[] quatern = new double[3];
    double[] qoffset = new double[3];
    double[][] srow = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}};
    String magicOverride;

    RawNifti dims(long... d) {
        dim = new long[] {d.length, 1, 1, 1, 1, 1, 1, 1};
        System.arraycopy(d, 0, dim, 1, d.length);
        return this;
    }

    RawNifti type(int code, int bits) {
        datatype = code;
        bitpix = bits;
        return this;
    }

    int headerSize() {
        return version == 1 ? 348 : 540;
    }

    long dataOffset() {
        return voxOffset >= 0 ? (long) voxOffset : (pair ? 0 : headerSize() + 4);
    }

    /** Header bytes including the 4-byte extension flag. */
    byte[] header() {
        ByteBuffer b = ByteBuffer.allocate(headerSize() + 4).order(order);
        double off = voxOffset >= 0 ? voxOffset : (pair ? 0 : headerSize() + 4);
        if (version == 1) {
            b.putInt(0, 348);
            for (int i = 0; i < 8; i++) b.putShort(40 + 2 * i, (short) dim[i]);
            b.putShort(68, (short) intentCode);
            b.putShort(70, (short) datatype);
            b.putShort(72, (short) bitpix);
            for (int i = 0; i < 8; i++) b.putFloat(76 + 4 * i, (float) pixdim[i]);
            b.putFloat(108, (float) off);
            b.putFloat(112, (float) sclSlope);
            b.putFloat(116, (float) sclInter);
            b.put(123, (byte) xyztUnits);
            put(b, 148, descrip);
            b.putShort(252, (short) qformCode);
            b.putShort(254, (short) sformCode);
            for (int i = 0; i < 3; i++) b.putFloat(256 + 4 * i, (float) quatern[i]);
            for (int i = 0; i < 3; i++) b.putFloat(268 + 4 * i, (float) qoffset[i]);
            for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) b.putFloat(280 + 16 * r + 4 * c, (float) srow[r][c]);
            put(b, 344, magicOverride != null ? magicOverride : pair ? "ni1" : "n+1");
        } else {
            b.putInt(0, 540);
            put(b, 4, magicOverride != null ? magicOverride : pair ? "ni2" : "n+2");
            b.put(8, (byte) '\r').put(9, (byte) '\n').put(10, (byte) 0x1a).put(11, (byte) '\n');
            b.putShort(12, (short) datatype);
            b.putShort(14, (short) bitpix);
            for (int i = 0; i < 8; i++) b.putLong(16 + 8 * i, dim[i]);
            for (int i = 0; i < 8; i++) b.putDouble(104 + 8 * i, pixdim[i]);
            b.putLong(168, (long) off);
            b.putDouble(176, sclSlope);
            b.putDouble(184, sclInter);
            put(b, 240, descrip);
            b.putInt(344, qformCode);
            b.putInt(348, sformCode);
            for (int i = 0; i < 3; i++) b.putDouble(352 + 8 * i, quatern[i]);
            for (int i = 0; i < 3; i++) b.putDouble(376 + 8 * i, qoffset[i]);
            for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) b.putDouble(400 + 32 * r + 8 * c, srow[r][c]);
            b.putInt(500, xyztUnits);
            b.putInt(504, intentCode);
        }
        return b.array();
    }

    /** A single file: header, padding up to vox_offset, then the data. */
    byte[] file(byte[] data) {
        byte[] h = header();
        long off = dataOffset();
        byte[] out = new byte[(int) off + data.length];
        System.arraycopy(h, 0, out, 0, Math.min(h.length, out.length));
        System.arraycopy(data, 0, out, (int) off, data.length);
        return out;
    }

    Path write(Path path, byte[] data) throws IOException {
        Files.write(path, file(data));
        return path;
    }

    Path writeGz(Path path, byte[] data) throws IOException {
        Files.write(path, gzip(file(data)));
        return path;
    }

    static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(bytes);
        }
        return bos.toByteArray();
    }

    static byte[] int16(ByteOrder order, int... values) {
        ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(order);
        for (int v : values) b.putShort((short) v);
        return b.array();
    }

    static byte[] float32(ByteOrder order, float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(order);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    static byte[] float64(ByteOrder order, double... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(order);
        for (double v : values) b.putDouble(v);
        return b.array();
    }

    private static void put(ByteBuffer b, int offset, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < bytes.length; i++) b.put(offset + i, bytes[i]);
    }
}
