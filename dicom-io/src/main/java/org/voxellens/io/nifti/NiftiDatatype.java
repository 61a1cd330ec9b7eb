package org.voxellens.io.nifti;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;

/**
 * The scalar NIfTI datatypes the project reads and writes. Voxels always end up as float in a
 * {@link org.voxellens.volumetric.Volume}; integers wider than 24 bits therefore lose their low bits, which is
 * acceptable for intensities and for label maps with fewer than 16.7 million labels.
 */
public enum NiftiDatatype {
    UINT8(2, 1, 0, 255) {
        @Override double get(ByteBuffer b) { return b.get() & 0xff; }
        @Override void put(ByteBuffer b, double v) { b.put((byte) clampRound(v)); }
    },
    INT8(256, 1, Byte.MIN_VALUE, Byte.MAX_VALUE) {
        @Override double get(ByteBuffer b) { return b.get(); }
        @Override void put(ByteBuffer b, double v) { b.put((byte) clampRound(v)); }
    },
    INT16(4, 2, Short.MIN_VALUE, Short.MAX_VALUE) {
        @Override double get(ByteBuffer b) { return b.getShort(); }
        @Override void put(ByteBuffer b, double v) { b.putShort((short) clampRound(v)); }
    },
    UINT16(512, 2, 0, 65535) {
        @Override double get(ByteBuffer b) { return b.getShort() & 0xffff; }
        @Override void put(ByteBuffer b, double v) { b.putShort((short) clampRound(v)); }
    },
    INT32(8, 4, Integer.MIN_VALUE, Integer.MAX_VALUE) {
        @Override double get(ByteBuffer b) { return b.getInt(); }
        @Override void put(ByteBuffer b, double v) { b.putInt((int) clampRound(v)); }
    },
    UINT32(768, 4, 0, 4294967295.0) {
        @Override double get(ByteBuffer b) { return b.getInt() & 0xffffffffL; }
        @Override void put(ByteBuffer b, double v) { b.putInt((int) (long) clampRound(v)); }
    },
    /** nibabel writes numpy's default int64 arrays as this, so label maps saved from Python often arrive so. */
    INT64(1024, 8, -0x1p63, 0x1p63) {
        @Override double get(ByteBuffer b) { return b.getLong(); }
        @Override void put(ByteBuffer b, double v) { b.putLong((long) clampRound(v)); } // the cast saturates at 2^63-1
    },
    UINT64(1280, 8, 0, 0x1p64) {
        @Override double get(ByteBuffer b) {
            long v = b.getLong();
            return v >= 0 ? v : 0x1p63 + (v & Long.MAX_VALUE);
        }
        @Override void put(ByteBuffer b, double v) {
            double r = Math.min(clampRound(v), 0x1p64 - 2048); // largest double below 2^64
            b.putLong(r < 0x1p63 ? (long) r : (long) (r - 0x1p63) | Long.MIN_VALUE);
        }
    },
    FLOAT32(16, 4, -Float.MAX_VALUE, Float.MAX_VALUE) {
        @Override double get(ByteBuffer b) { return b.getFloat(); }
        @Override void put(ByteBuffer b, double v) { b.putFloat((float) v); }
    },
    FLOAT64(64, 8, -Double.MAX_VALUE, Double.MAX_VALUE) {
        @Override double get(ByteBuffer b) { return b.getDouble(); }
        @Override void put(ByteBuffer b, double v) { b.putDouble(v); }
    };

    /** Names of the codes the standard defines but we do not read, so that the refusal says what the file holds. */
    private static final Map<Integer, String> UNSUPPORTED = Map.of(
        0, "DT_UNKNOWN", 1, "DT_BINARY", 32, "DT_COMPLEX64", 128, "DT_RGB24", 1536, "DT_FLOAT128",
        1792, "DT_COMPLEX128", 2048, "DT_COMPLEX256", 2304, "DT_RGBA32");

    private final int code;
    private final int bytes;
    private final double min;
    private final double max;

    NiftiDatatype(int code, int bytes, double min, double max) {
        this.code = code;
        this.bytes = bytes;
        this.min = min;
        this.max = max;
    }

    /** The NIfTI {@code datatype} code. */
    public int code() { return code; }

    /** Bytes per voxel ({@code bitpix / 8}). */
    public int bytesPerVoxel() { return bytes; }

    public boolean isInteger() { return this != FLOAT32 && this != FLOAT64; }

    /** Smallest storable value (for integers; the most negative finite value for floats). */
    public double minValue() { return min; }

    /** Largest storable value. */
    public double maxValue() { return max; }

    public static Optional<NiftiDatatype> fromCode(int code) {
        for (NiftiDatatype t : values()) {
            if (t.code == code) return Optional.of(t);
        }
        return Optional.empty();
    }

    /** "DT_RGB24 (128)" for known codes, "unknown code 77" otherwise: what an error message should say. */
    static String describe(int code) {
        Optional<NiftiDatatype> t = fromCode(code);
        if (t.isPresent()) return t.get() + " (" + code + ")";
        String name = UNSUPPORTED.get(code);
        return name != null ? name + " (" + code + ")" : "unknown code " + code;
    }

    /** Reads one voxel at the buffer's position (in the buffer's byte order). */
    abstract double get(ByteBuffer b);

    /** Writes one value, rounded half-to-even and clamped for integer types (NaN stored as 0). */
    abstract void put(ByteBuffer b, double v);

    final double clampRound(double v) {
        if (Double.isNaN(v)) return 0;
        return Math.max(min, Math.min(max, Math.rint(v)));
    }
}
