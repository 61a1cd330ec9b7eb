package org.voxellens.io.nifti;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.voxellens.io.nifti.NiftiAsserts.assertAffine;
import static org.voxellens.io.nifti.NiftiAsserts.assertNiftiError;
import static org.voxellens.io.nifti.NiftiAsserts.sum;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.io.nifti.NiftiImage.GeometrySource;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/**
 * Real files from nibabel's own test data (Debian python3-nibabel). Every expected number below was computed
 * with nibabel 5.0 ({@code img.get_fdata()}, {@code img.affine}, {@code header.get_qform()}), independently of
 * this code; affines are nibabel's RAS ones converted to LPS with diag(-1, -1, 1). Indices are (i, j, k[, t]).
 */
class NibabelFilesTest {

    @TempDir
    Path dir;

    private static void assertRelative(double expected, double actual, double rel, String what) {
        assertEquals(expected, actual, Math.abs(expected) * rel, what);
    }

    /** SPM output: big-endian int16, sform and qform both "aligned" (2). */
    @Test
    void anatomical() throws IOException {
        NiftiImage img = NiftiReader.read(NibabelData.file("anatomical.nii"));
        Volume v = img.volume();
        assertEquals(ByteOrder.BIG_ENDIAN, img.byteOrder());
        assertEquals(NiftiDatatype.INT16, img.datatype());
        assertEquals(1, img.volumeCount());
        assertEquals(GeometrySource.SFORM, img.geometrySource());
        assertEquals(2, img.sformCode());
        assertEquals(2, img.qformCode());
        assertEquals("spm - 3D normalized", img.description());
        // exact equality: signed zeros from the RAS flip must not make an identical grid compare unequal
        assertEquals(Geometry.of(new int[] {33, 41, 25}, new double[] {2, 2, 2}, new double[] {-32, 40, -16},
            new double[] {1, 0, 0, 0, -1, 0, 0, 0, 1}), v.geometry());
        assertEquals(284166082, sum(v.data()), 0);
        assertEquals(-610, v.min());
        assertEquals(30393, v.max());
        assertArrayEquals(new int[] {17, 23, 0}, v.argMax());
        assertEquals(11881, v.get(16, 20, 12));
        assertEquals(9798, v.get(1, 2, 3));
        assertEquals(10712, v.get(0, 0, 0));
        assertEquals(2971, v.get(32, 40, 24));
    }

    /** 4D little-endian int16 with real scl_slope/scl_inter, 20 volumes. */
    @Test
    void functionalEveryVolume() throws IOException {
        Path f = NibabelData.file("functional.nii");
        double[] sums = {3883746.552330, 3884191.001003, 3888592.053318, 3904176.486924, 3914272.876763,
            3903360.432710, 3896904.766721, 3891898.799704, 3895986.460658, 3894877.902813, 3900731.142529,
            3895935.485547, 3904367.718996, 3898661.824497, 3893951.679017, 3893486.116393, 3894010.044011,
            3897068.852285, 3888997.893623, 3888072.273083};
        for (int t = 0; t < 20; t++) {
            NiftiImage img = NiftiReader.read(f, t);
            assertEquals(20, img.volumeCount());
            assertRelative(sums[t], sum(img.volume().data()), 1e-7, "sum of volume " + t);
        }
        NiftiImage first = NiftiReader.read(f);
        Volume v = first.volume();
        assertEquals(0.07540696859359741, first.sclSlope(), 1e-15);
        assertEquals(3100.76171875, first.sclInter(), 0);
        assertEquals(2.0, first.timeStep());
        assertEquals("s", first.timeUnits());
        assertAffine(new double[][] {{4, 0, 0, -32}, {0, -4, 0, 40}, {0, 0, 8, 0}}, v.geometry(), 1e-9);
        assertEquals(3865.765415, v.get(8, 10, 1), 1e-3);
        assertEquals(3524.09644, v.get(1, 2, 1), 1e-3);
        assertEquals(3142.838807, v.get(16, 20, 2), 1e-3);
        assertEquals(5538.065758, v.max(), 1e-3);
        assertEquals(762.5424366, v.min(), 1e-3);
        assertArrayEquals(new int[] {7, 12, 1}, v.argMax());
        Volume last = NiftiReader.read(f, 19).volume();
        assertEquals(3910.858782, last.get(8, 10, 1), 1e-3);
        assertEquals(3515.047604, last.get(1, 2, 1), 1e-3);
        assertEquals(3129.34096, last.get(16, 20, 2), 1e-3);
    }

    private static final double[][] EXAMPLE4D_SFORM_LPS = {
        {2.0, -6.714715653593746e-19, -9.081024511081715e-18, -117.8551025390625},
        {6.714715653593746e-19, -1.9737114906311035, 0.35552823543548584, 35.72294235229492},
        {8.25548088896093e-18, 0.3232076168060303, 2.171081781387329, -7.248798370361328}};

    /** FSL output, gzipped, an oblique sform, two volumes, and a header extension before the data (vox_offset 416). */
    @Test
    void example4dGzipped() throws IOException {
        Path f = NibabelData.file("example4d.nii.gz");
        NiftiImage img = NiftiReader.read(f);
        assertEquals(2, img.volumeCount());
        assertEquals(1, img.sformCode());
        assertEquals("FSL3.3", img.description());
        assertArrayEquals(new int[] {128, 96, 24}, img.volume().geometry().dims());
        assertAffine(EXAMPLE4D_SFORM_LPS, img.volume().geometry(), 1e-9);
        assertEquals(50994397, sum(img.volume().data()), 0);
        assertEquals(1162, img.volume().max());
        assertArrayEquals(new int[] {64, 49, 0}, img.volume().argMax());
        assertEquals(265, img.volume().get(64, 48, 12));
        Volume second = NiftiReader.read(f, 1).volume();
        assertEquals(50990959, sum(second.data()), 0);
        assertEquals(1140, second.max());
        assertArrayEquals(new int[] {62, 86, 10}, second.argMax());
        assertEquals(266, second.get(64, 48, 12));
    }

    /**
     * The same file's qform, read by zeroing sform_code in a copy. Its quaternion is within 1e-9 of a half turn,
     * where nibabel and nifti1_io (followed here) differ by about 1e-4 mm per voxel step: hence the tolerance.
     */
    @Test
    void example4dQform() throws IOException {
        byte[] bytes;
        try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(NibabelData.file("example4d.nii.gz")))) {
            bytes = in.readAllBytes();
        }
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(254, (short) 0);
        Path copy = Files.write(dir.resolve("example4d-qform.nii"), bytes);
        NiftiImage img = NiftiReader.read(copy);
        assertEquals(GeometrySource.QFORM, img.geometrySource());
        assertAffine(new double[][] {
            {1.999999995978187, -1.0282396754185892e-05, -0.00013905980362440367, -117.8551025390625},
            {1.0282396754185892e-05, -1.9737114380364735, 0.3555282247524397, 35.72294235229492},
            {0.00012641805535562603, 0.32320761014906196, 2.1710816833341227, -7.248798370361328}},
            img.volume().geometry(), 5e-4);
        assertTrue(img.volume().geometry().sameGrid(NiftiReader.read(copy).volume().geometry(), 0));
    }

    /** NIfTI-2, gzipped, with an extension (vox_offset 608). */
    @Test
    void exampleNifti2() throws IOException {
        Path f = NibabelData.file("example_nifti2.nii.gz");
        NiftiImage img = NiftiReader.read(f);
        assertEquals(2, img.niftiVersion());
        assertEquals(NiftiDatatype.INT16, img.datatype());
        assertEquals(2, img.volumeCount());
        assertArrayEquals(new int[] {32, 20, 12}, img.volume().geometry().dims());
        assertAffine(EXAMPLE4D_SFORM_LPS, img.volume().geometry(), 1e-9);
        Volume v = img.volume();
        assertEquals(3461748, sum(v.data()), 0);
        assertEquals(49, v.min());
        assertEquals(742, v.max());
        assertArrayEquals(new int[] {13, 18, 2}, v.argMax());
        assertEquals(265, v.get(16, 10, 6));
        assertEquals(332, v.get(1, 2, 1));
        assertEquals(484, v.get(31, 19, 11));
        Volume second = NiftiReader.read(f, 1).volume();
        assertEquals(3465054, sum(second.data()), 0);
        assertEquals(757, second.max());
        assertArrayEquals(new int[] {17, 16, 4}, second.argMax());
        assertEquals(266, second.get(16, 10, 6));
        assertEquals(333, second.get(1, 2, 1));
        assertEquals(457, second.get(31, 19, 11));
    }

    /** nibabel's "standard" test image: uint8, sform only (qform_code 0), no units. */
    @Test
    void standard() throws IOException {
        NiftiImage img = NiftiReader.read(NibabelData.file("standard.nii.gz"));
        assertEquals(NiftiDatatype.UINT8, img.datatype());
        assertEquals(2, img.sformCode());
        assertEquals(0, img.qformCode());
        assertEquals("unknown", img.spatialUnits());
        assertAffine(new double[][] {{-1, 0, 0, 0}, {0, -3, 0, 0}, {0, 0, 2, 0}}, img.volume().geometry(), 0);
        int[] on = {1, 4, 7, 15, 20, 25, 27, 29, 31, 35, 39, 51, 62, 66, 67, 69, 84, 87, 89, 90, 97, 104, 116, 127,
            129, 133, 136, 137, 138, 139};
        float[] expected = new float[140];
        for (int i : on) expected[i] = 255;
        assertArrayEquals(expected, img.volume().data()); // nibabel's Fortran-order ravel: i fastest, as here
    }

    /** Big-endian float32 with a qform that differs from the sform in the last float digit: the sform is used. */
    @Test
    void reorientedAnatMoved() throws IOException {
        NiftiImage img = NiftiReader.read(NibabelData.file("reoriented_anat_moved.nii"));
        Volume v = img.volume();
        assertEquals(NiftiDatatype.FLOAT32, img.datatype());
        assertEquals(ByteOrder.BIG_ENDIAN, img.byteOrder());
        assertAffine(new double[][] {{-4, 0, 0, 35.29789733886719}, {0, -4, 0, 47.97758483886719},
            {0, 0, 4, -27.599409103393555}}, v.geometry(), 0);
        assertRelative(32739769.4492, sum(v.data()), 1e-9, "sum");
        assertEquals(0, v.min());
        assertEquals(21199.93555, v.max(), 1e-3);
        assertArrayEquals(new int[] {12, 15, 4}, v.argMax());
        assertEquals(8117.220215, v.get(10, 13, 11), 1e-3);
    }

    /** Float32 with NaN outside the resampled field of view: NaNs must come through as NaN. */
    @Test
    void resampledAnatMovedKeepsNaN() throws IOException {
        Volume v = NiftiReader.read(NibabelData.file("resampled_anat_moved.nii")).volume();
        int nan = 0;
        double finiteSum = 0, min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
        for (float x : v.data()) {
            if (Float.isNaN(x)) {
                nan++;
            } else {
                finiteSum += x;
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
        }
        assertEquals(153, nan);
        assertRelative(7749957.09866, finiteSum, 1e-9, "sum of finite voxels");
        assertEquals(409.3004456, min, 1e-4);
        assertEquals(13360.96191, max, 1e-3);
        assertEquals(10849.9043, v.get(8, 10, 1), 1e-3);
        assertEquals(1843.446167, v.get(1, 2, 1), 1e-3);
        assertTrue(Float.isNaN(v.get(16, 20, 2)));
        assertAffine(new double[][] {{4, 0, 0, -32}, {0, -4, 0, 40}, {0, 0, 8, 0}}, v.geometry(), 0);
    }

    /**
     * nibabel ships the pair headers nifti1.hdr ("ni1") and nifti2.hdr ("ni2") without their .img files: alone they
     * must fail clearly; with an .img of the declared size beside a copy they give the MNI 2 mm grid.
     */
    @Test
    void pairHeaders() throws IOException {
        for (String name : new String[] {"nifti1", "nifti2"}) {
            Path hdr = NibabelData.file(name + ".hdr");
            assertNiftiError(hdr, () -> NiftiReader.read(hdr), "missing its .img");
            Path copy = Files.copy(hdr, dir.resolve(name + ".hdr"));
            int voxOffset = name.equals("nifti1") ? 0 : 544; // nifti2.hdr declares 544 even for a pair; honoured, as by nibabel
            Files.write(dir.resolve(name + ".img"), new byte[voxOffset + 91 * 109 * 91 * 2]);
            NiftiImage img = NiftiReader.read(copy);
            assertEquals(name.equals("nifti1") ? 1 : 2, img.niftiVersion());
            assertEquals(4, img.sformCode());
            assertEquals("FSL4.0", img.description());
            assertArrayEquals(new int[] {91, 109, 91}, img.volume().geometry().dims());
            assertAffine(new double[][] {{2, 0, 0, -90}, {0, -2, 0, 126}, {0, 0, 2, -72}}, img.volume().geometry(), 0);
        }
    }

    @Test
    void unreadableFilesFailClearly() {
        Path analyze = NibabelData.file("analyze.hdr");
        assertNiftiError(analyze, () -> NiftiReader.read(analyze), "not a NIfTI file", "Analyze");
        Path cifti = NibabelData.file("row_major.dconn.nii"); // CIFTI-2 dense connectivity in a NIfTI-2 container
        assertNiftiError(cifti, () -> NiftiReader.read(cifti), "unsupported 6D image", "intent 3001");
    }

    /** What we write from a real image reads back identically, and the grid survives the RAS/LPS round trip. */
    @Test
    void rewriteRealImage() throws IOException {
        NiftiImage img = NiftiReader.read(NibabelData.file("example4d.nii.gz"), 1);
        Path out = dir.resolve("copy.nii.gz");
        NiftiWriter.write(img.volume(), out, NiftiWriteOptions.defaults().withDatatype(NiftiDatatype.INT16));
        NiftiImage back = NiftiReader.read(out);
        assertArrayEquals(img.volume().data(), back.volume().data());
        assertTrue(img.volume().geometry().sameGrid(back.volume().geometry(), 1e-4));
    }
}
