package org.voxellens.io.nifti;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import org.voxellens.volumetric.Geometry;

/**
 * The fields of a NIfTI-1 or NIfTI-2 header that the project uses, in one in-memory form for both versions and
 * both byte orders. The two on-disk layouts differ only in field offsets and widths, so each has a short
 * decoding method; everything that interprets the fields (validation, transform choice, units) exists once.
 */
final class NiftiHeader {

    static final int NIFTI1_SIZE = 348;
    static final int NIFTI2_SIZE = 540;
    /** A single-file header is followed by 4 extension-flag bytes; data cannot start earlier than this. */
    static final int NIFTI1_MIN_DATA_OFFSET = NIFTI1_SIZE + 4;
    static final int NIFTI2_MIN_DATA_OFFSET = NIFTI2_SIZE + 4;
    /** Largest voxel count of one volume: the longest Java array. */
    static final long MAX_VOXELS = Integer.MAX_VALUE - 8;

    static final int UNITS_METER = 1;
    static final int UNITS_MM = 2;
    static final int UNITS_MICRON = 3;

    private static final byte[] NIFTI2_MAGIC_TAIL = {'\r', '\n', 0x1a, '\n'};

    int version = 1;
    /** "ni1"/"ni2": header in .hdr, voxels in a separate .img. */
    boolean pair;
    ByteOrder order = ByteOrder.LITTLE_ENDIAN;
    final long[] dim = new long[8];
    int datatypeCode;
    final double[] pixdim = new double[8];
    double voxOffset;
    double sclSlope;
    double sclInter;
    double calMin;
    double calMax;
    int xyztUnits;
    int intentCode;
    String intentName = "";
    String descrip = "";
    int qformCode;
    int sformCode;
    double quaternB;
    double quaternC;
    double quaternD;
    double qoffsetX;
    double qoffsetY;
    double qoffsetZ;
    final double[][] srow = new double[3][4];

    /** Header size (348 or 540) announced by the first 4 bytes in either byte order, or -1 if neither. */
    static int headerSize(byte[] first4) {
        return sizeInEitherOrder(ByteBuffer.wrap(first4));
    }

    private static int sizeInEitherOrder(ByteBuffer b) {
        for (ByteOrder o : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            int size = b.order(o).getInt(0);
            if (size == NIFTI1_SIZE || size == NIFTI2_SIZE) return size;
        }
        return -1;
    }

    /**
     * Decodes and validates a complete header. sizeof_hdr is the byte-order probe because it is the one field the
     * standard fixes (NIfTI-1's dim[0] test only works for version 1).
     */
    static NiftiHeader decode(byte[] raw, Path file) throws NiftiException {
        ByteBuffer b = ByteBuffer.wrap(raw);
        int size = raw.length >= 4 ? sizeInEitherOrder(b) : -1;
        if (size < 0) throw new NiftiException(file, "not a NIfTI file (sizeof_hdr is neither 348 nor 540)");
        if (raw.length < size) {
            throw new NiftiException(file, "truncated header: " + raw.length + " of " + size + " bytes");
        }
        NiftiHeader h = new NiftiHeader();
        h.order = b.order();
        if (size == NIFTI1_SIZE) h.decodeNifti1(b, file); else h.decodeNifti2(b, file);
        h.validate(file);
        return h;
    }

    private void decodeNifti1(ByteBuffer b, Path file) throws NiftiException {
        version = 1;
        String magic = ascii(b, 344, 4);
        if (!magic.equals("n+1") && !magic.equals("ni1")) {
            throw new NiftiException(file, "not a NIfTI file (no NIfTI-1 magic at byte 344"
                + (magic.isEmpty() ? "; an Analyze 7.5 header?)" : ", found \"" + magic + "\")"));
        }
        pair = magic.equals("ni1");
        for (int i = 0; i < 8; i++) dim[i] = b.getShort(40 + 2 * i);
        intentCode = b.getShort(68);
        datatypeCode = b.getShort(70);
        for (int i = 0; i < 8; i++) pixdim[i] = b.getFloat(76 + 4 * i);
        voxOffset = b.getFloat(108);
        sclSlope = b.getFloat(112);
        sclInter = b.getFloat(116);
        xyztUnits = b.get(123) & 0xff;
        calMax = b.getFloat(124);
        calMin = b.getFloat(128);
        descrip = ascii(b, 148, 80);
        qformCode = b.getShort(252);
        sformCode = b.getShort(254);
        quaternB = b.getFloat(256);
        quaternC = b.getFloat(260);
        quaternD = b.getFloat(264);
        qoffsetX = b.getFloat(268);
        qoffsetY = b.getFloat(272);
        qoffsetZ = b.getFloat(276);
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) srow[r][c] = b.getFloat(280 + 16 * r + 4 * c);
        }
        intentName = ascii(b, 328, 16);
    }

    private void decodeNifti2(ByteBuffer b, Path file) throws NiftiException {
        version = 2;
        String magic = ascii(b, 4, 4);
        if (!magic.equals("n+2") && !magic.equals("ni2")) {
            throw new NiftiException(file, "not a NIfTI file (no NIfTI-2 magic at byte 4, found \"" + magic + "\")");
        }
        for (int i = 0; i < 4; i++) {
            if (b.get(8 + i) != NIFTI2_MAGIC_TAIL[i]) {
                throw new NiftiException(file, "damaged NIfTI-2 magic (bytes 8-11 altered; transferred as text?)");
            }
        }
        pair = magic.equals("ni2");
        datatypeCode = b.getShort(12);
        for (int i = 0; i < 8; i++) dim[i] = b.getLong(16 + 8 * i);
        for (int i = 0; i < 8; i++) pixdim[i] = b.getDouble(104 + 8 * i);
        voxOffset = b.getLong(168);
        sclSlope = b.getDouble(176);
        sclInter = b.getDouble(184);
        calMax = b.getDouble(192);
        calMin = b.getDouble(200);
        descrip = ascii(b, 240, 80);
        qformCode = b.getInt(344);
        sformCode = b.getInt(348);
        quaternB = b.getDouble(352);
        quaternC = b.getDouble(360);
        quaternD = b.getDouble(368);
        qoffsetX = b.getDouble(376);
        qoffsetY = b.getDouble(384);
        qoffsetZ = b.getDouble(392);
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) srow[r][c] = b.getDouble(400 + 32 * r + 8 * c);
        }
        xyztUnits = b.getInt(500);
        intentCode = b.getInt(504);
        intentName = ascii(b, 508, 16);
    }

    /**
     * Refuses what the reader cannot represent before anything is allocated, so that a corrupt or hostile header
     * (say one claiming 50 GB) fails with a message instead of an OutOfMemoryError or an overflowed size.
     */
    private void validate(Path file) throws NiftiException {
        datatype(file);
        long nd = dim[0];
        if (nd < 1 || nd > 7) throw new NiftiException(file, "invalid dim[0] = " + nd + " (must be 1..7)");
        for (int i = 1; i <= nd; i++) {
            if (dim[i] <= 0) throw new NiftiException(file, "invalid dimensions " + dimString() + ": dim[" + i + "] <= 0");
        }
        for (int i = 5; i <= nd; i++) {
            if (dim[i] != 1) {
                throw new NiftiException(file, "unsupported " + nd + "D image " + dimString()
                    + " (intent " + intentCode + "): only 3D and 4D scalar images can be read");
            }
        }
        long voxels = 1;
        for (int i = 1; i <= Math.min(nd, 3); i++) {
            if (dim[i] > MAX_VOXELS / voxels) {
                throw new NiftiException(file, "image too large: " + dimString() + " exceeds " + MAX_VOXELS
                    + " voxels per volume");
            }
            voxels *= dim[i];
        }
        if (volumeCount() > Integer.MAX_VALUE) {
            throw new NiftiException(file, "image too large: " + dimString() + " has more than 2^31 volumes");
        }
        if (!(voxOffset >= 0 && voxOffset < 0x1p62)) {
            throw new NiftiException(file, "invalid vox_offset " + voxOffset);
        }
        if (!pair && voxOffset != 0 && voxOffset < headerBytes()) {
            throw new NiftiException(file, "invalid vox_offset " + (long) voxOffset + " (inside the header)");
        }
        try {
            Math.addExact(dataOffset(), Math.multiplyExact(bytesPerVolume(), volumeCount()));
        } catch (ArithmeticException e) {
            throw new NiftiException(file, "image too large: " + dimString() + " overflows the file size");
        }
    }

    NiftiDatatype datatype(Path file) throws NiftiException {
        return NiftiDatatype.fromCode(datatypeCode).orElseThrow(() -> new NiftiException(file,
            "unsupported datatype " + NiftiDatatype.describe(datatypeCode)
                + " (readable: uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64)"));
    }

    private int headerBytes() {
        return version == 1 ? NIFTI1_SIZE : NIFTI2_SIZE;
    }

    /** Where voxel data starts in the data file; 0 in a single file means "unset" (older writers), i.e. right after the header. */
    long dataOffset() {
        long off = (long) voxOffset;
        if (pair || off != 0) return off;
        return version == 1 ? NIFTI1_MIN_DATA_OFFSET : NIFTI2_MIN_DATA_OFFSET;
    }

    /** nx, ny, nz; missing trailing dimensions count as 1. */
    int[] spatialDims() {
        int[] d = new int[3];
        for (int i = 0; i < 3; i++) d[i] = i + 1 <= dim[0] ? (int) dim[i + 1] : 1;
        return d;
    }

    long volumeCount() {
        return dim[0] >= 4 ? dim[4] : 1;
    }

    long voxelsPerVolume() {
        int[] d = spatialDims();
        return (long) d[0] * d[1] * d[2];
    }

    long bytesPerVolume() {
        return voxelsPerVolume() * NiftiDatatype.fromCode(datatypeCode).orElseThrow().bytesPerVoxel();
    }

    /** The scaling that applies: none (1, 0) when scl_slope is 0 or not finite, as the standard says. */
    double[] scaling() {
        if (sclSlope == 0 || !Double.isFinite(sclSlope)) return new double[] {1, 0};
        return new double[] {sclSlope, Double.isFinite(sclInter) ? sclInter : 0};
    }

    /** The voxel-to-RAS affine (in mm) and where it came from, chosen by the standard's precedence. */
    record Transform(double[][] affine, NiftiImage.GeometrySource source) {
    }

    /** sform when sform_code > 0, else qform when qform_code > 0, else pixdim scaling (method 1, origin 0). */
    Transform transform(Path file) throws NiftiException {
        double[][] a;
        NiftiImage.GeometrySource source;
        if (sformCode > 0) {
            a = new double[3][];
            for (int r = 0; r < 3; r++) a[r] = srow[r].clone();
            if (!allFinite(a[0]) || !allFinite(a[1]) || !allFinite(a[2])) {
                throw new NiftiException(file, "sform contains NaN or infinite values: " + Arrays.deepToString(a));
            }
            source = NiftiImage.GeometrySource.SFORM;
        } else if (qformCode > 0) {
            if (!allFinite(new double[] {quaternB, quaternC, quaternD, qoffsetX, qoffsetY, qoffsetZ})) {
                throw new NiftiException(file, "qform contains NaN or infinite values");
            }
            a = qform().affine();
            source = NiftiImage.GeometrySource.QFORM;
        } else {
            a = new double[3][4];
            for (int i = 0; i < 3; i++) {
                double p = pixdim[i + 1];
                a[i][i] = p == 0 || !Double.isFinite(p) ? 1 : p; // nifti1_io's rule for unusable pixdims
            }
            source = NiftiImage.GeometrySource.PIXDIM;
        }
        double unit = mmPerUnit();
        for (double[] row : a) {
            for (int c = 0; c < 4; c++) row[c] *= unit;
        }
        return new Transform(a, source);
    }

    QForm qform() {
        return new QForm(quaternB, quaternC, quaternD, pixdim[0] < 0 ? -1 : 1, pixdim[1], pixdim[2], pixdim[3],
            qoffsetX, qoffsetY, qoffsetZ);
    }

    /** Geometry is in mm; a file declaring metres or microns is scaled, as ITK does. Unknown units are taken as mm. */
    private double mmPerUnit() {
        switch (xyztUnits & 0x07) {
            case UNITS_METER: return 1000;
            case UNITS_MICRON: return 0.001;
            default: return 1;
        }
    }

    static String spatialUnits(int xyztUnits) {
        switch (xyztUnits & 0x07) {
            case UNITS_METER: return "m";
            case UNITS_MM: return "mm";
            case UNITS_MICRON: return "um";
            default: return "unknown";
        }
    }

    static String timeUnits(int xyztUnits) {
        switch (xyztUnits & 0x38) {
            case 8: return "s";
            case 16: return "ms";
            case 24: return "us";
            case 32: return "Hz";
            case 40: return "ppm";
            case 48: return "rad/s";
            default: return "unknown";
        }
    }

    /**
     * A little-endian single-file NIfTI-1 header for a 3D grid, sform set from the geometry and qform set too
     * when the direction is a rotation (qform_code 0 otherwise).
     */
    static NiftiHeader forGeometry(Geometry geometry, int sformCode, int qformCode) {
        NiftiHeader h = new NiftiHeader();
        int[] d = geometry.dims();
        double[] sp = geometry.spacing();
        Arrays.fill(h.dim, 1);
        Arrays.fill(h.pixdim, 1);
        h.dim[0] = 3;
        for (int i = 0; i < 3; i++) {
            h.dim[i + 1] = d[i];
            h.pixdim[i + 1] = sp[i];
        }
        h.voxOffset = NIFTI1_MIN_DATA_OFFSET;
        h.xyztUnits = UNITS_MM;
        double[][] ras = RasLps.lpsToRas(geometry.affine());
        for (int r = 0; r < 3; r++) h.srow[r] = Arrays.copyOf(ras[r], 4);
        h.sformCode = sformCode;
        QForm q = QForm.of(ras).orElse(null);
        if (q != null && qformCode > 0) {
            h.qformCode = qformCode;
            h.quaternB = q.b();
            h.quaternC = q.c();
            h.quaternD = q.d();
            h.pixdim[0] = q.qfac();
        }
        h.qoffsetX = ras[0][3];
        h.qoffsetY = ras[1][3];
        h.qoffsetZ = ras[2][3];
        return h;
    }

    /** The 352 bytes of a little-endian single-file NIfTI-1 header including the (empty) extension flag. */
    byte[] encodeNifti1() {
        ByteBuffer b = ByteBuffer.allocate(NIFTI1_MIN_DATA_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        NiftiDatatype type = NiftiDatatype.fromCode(datatypeCode).orElseThrow();
        b.putInt(0, NIFTI1_SIZE);
        b.put(38, (byte) 'r'); // "regular", unused but expected by Analyze-era readers
        for (int i = 0; i < 8; i++) b.putShort(40 + 2 * i, (short) dim[i]);
        b.putShort(68, (short) intentCode);
        b.putShort(70, (short) datatypeCode);
        b.putShort(72, (short) (type.bytesPerVoxel() * 8));
        for (int i = 0; i < 8; i++) b.putFloat(76 + 4 * i, (float) pixdim[i]);
        b.putFloat(108, (float) voxOffset);
        b.putFloat(112, (float) sclSlope);
        b.putFloat(116, (float) sclInter);
        b.put(123, (byte) xyztUnits);
        b.putFloat(124, (float) calMax);
        b.putFloat(128, (float) calMin);
        putAscii(b, 148, 80, descrip);
        b.putShort(252, (short) qformCode);
        b.putShort(254, (short) sformCode);
        b.putFloat(256, (float) quaternB);
        b.putFloat(260, (float) quaternC);
        b.putFloat(264, (float) quaternD);
        b.putFloat(268, (float) qoffsetX);
        b.putFloat(272, (float) qoffsetY);
        b.putFloat(276, (float) qoffsetZ);
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) b.putFloat(280 + 16 * r + 4 * c, (float) srow[r][c]);
        }
        putAscii(b, 328, 16, intentName);
        putAscii(b, 344, 4, "n+1");
        return b.array();
    }

    String dimString() {
        return Arrays.toString(Arrays.copyOfRange(dim, 1, (int) Math.max(1, Math.min(8, dim[0] + 1))));
    }

    private static boolean allFinite(double[] v) {
        for (double x : v) {
            if (!Double.isFinite(x)) return false;
        }
        return true;
    }

    /** A NUL-terminated (or full-width) text field; bytes above 127 are kept as Latin-1 rather than rejected. */
    private static String ascii(ByteBuffer b, int offset, int length) {
        byte[] bytes = new byte[length];
        b.get(offset, bytes);
        int n = 0;
        while (n < length && bytes[n] != 0) n++;
        return new String(bytes, 0, n, StandardCharsets.ISO_8859_1).strip();
    }

    /** Writes at most length-1 bytes so the field stays NUL-terminated; non-ASCII characters become '?'. */
    private static void putAscii(ByteBuffer b, int offset, int length, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
        b.put(offset, bytes, 0, Math.min(bytes.length, length - 1));
    }
}
