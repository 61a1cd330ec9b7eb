package org.voxellens.io.nifti;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.voxellens.io.nifti.NiftiImage.GeometrySource;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/** Writing then reading: values, geometry (through the sform and through the qform alone) and header fields. */
class NiftiRoundTripTest {

    @TempDir
    Path dir;

    /** An oblique grid: rotated about a tilted axis, anisotropic, off-centre. */
    static Geometry oblique(int[] dims, boolean leftHanded) {
        double[] axis = {0.3, -0.5, 0.8};
        double n = Math.sqrt(axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]);
        double x = axis[0] / n, y = axis[1] / n, z = axis[2] / n, t = 0.7, c = Math.cos(t), s = Math.sin(t), k = 1 - c;
        double[] dir = {
            c + x * x * k, x * y * k - z * s, x * z * k + y * s,
            y * x * k + z * s, c + y * y * k, y * z * k - x * s,
            z * x * k - y * s, z * y * k + x * s, c + z * z * k};
        if (leftHanded) for (int r = 0; r < 3; r++) dir[r * 3 + 2] = -dir[r * 3 + 2];
        return Geometry.of(dims, new double[] {0.8, 1.25, 2.5}, new double[] {-120.5, 33.25, 71}, dir);
    }

    /** Values every type can hold exactly, including its extremes where a float represents them. */
    static float[] valuesFor(NiftiDatatype type, int n) {
        float[] v = new float[n];
        double lo = Math.max(type.minValue(), -1e6), hi = Math.min(type.maxValue(), 1e6);
        for (int i = 0; i < n; i++) {
            double f = (i * 7919L % 1000) / 999.0;
            v[i] = type.isInteger() ? (float) Math.rint(lo + f * (hi - lo)) : (float) ((f - 0.5) * 2e6 / 3);
        }
        v[0] = (float) lo;
        v[n - 1] = (float) hi;
        return v;
    }

    static List<Arguments> typesAndSuffixes() {
        List<Arguments> out = new ArrayList<>();
        for (NiftiDatatype t : NiftiDatatype.values()) {
            for (String suffix : new String[] {".nii", ".nii.gz"}) out.add(Arguments.of(t, suffix));
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("typesAndSuffixes")
    void everyDatatypeRoundTrips(NiftiDatatype type, String suffix) throws IOException {
        Geometry g = oblique(new int[] {5, 4, 3}, false);
        Volume v = new Volume(g, valuesFor(type, 60));
        Path f = dir.resolve("rt-" + type + suffix);
        NiftiWriter.write(v, f, NiftiWriteOptions.defaults().withDatatype(type));

        byte[] bytes = Files.readAllBytes(f);
        boolean gz = (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b;
        assertEquals(suffix.endsWith(".gz"), gz, "gzip by file name");
        if (!gz) assertEquals(352 + 60L * type.bytesPerVoxel(), bytes.length);

        NiftiImage img = NiftiReader.read(f);
        assertEquals(type, img.datatype());
        assertEquals(ByteOrder.LITTLE_ENDIAN, img.byteOrder());
        assertEquals(1, img.niftiVersion());
        assertEquals(1, img.sformCode());
        assertEquals(1, img.qformCode());
        assertEquals(GeometrySource.SFORM, img.geometrySource());
        assertEquals("mm", img.spatialUnits());
        assertArrayEquals(v.data(), img.volume().data());
        assertTrue(g.sameGrid(img.volume().geometry(), 1e-3), img.volume().geometry() + " vs " + g);
    }

    /** The qform alone (sform_code zeroed after writing) must put the grid in the same place as the sform. */
    @ParameterizedTest(name = "left-handed {0}")
    @ValueSource(booleans = {false, true})
    void qformAloneReproducesTheGeometry(boolean leftHanded) throws IOException {
        Geometry g = oblique(new int[] {6, 5, 4}, leftHanded);
        Path f = dir.resolve("q.nii");
        NiftiWriter.write(Volume.zeros(g), f);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(leftHanded ? -1f : 1f, b.getFloat(76), "qfac in pixdim[0]");
        b.putShort(254, (short) 0);
        Files.write(f, b.array());
        NiftiImage img = NiftiReader.read(f);
        assertEquals(GeometrySource.QFORM, img.geometrySource());
        assertTrue(g.sameGrid(img.volume().geometry(), 1e-3), img.volume().geometry() + " vs " + g);
    }

    /** Axis permutations and half turns exercise the quaternion extraction's non-trace branches. */
    @Test
    void qformOfAxisPermutationsAndHalfTurns() throws IOException {
        double[][] dirs = {
            {-1, 0, 0, 0, -1, 0, 0, 0, 1}, {1, 0, 0, 0, -1, 0, 0, 0, -1}, {-1, 0, 0, 0, 1, 0, 0, 0, -1},
            {0, 0, 1, 1, 0, 0, 0, 1, 0}, {0, 1, 0, 0, 0, -1, -1, 0, 0}, {0, 0, -1, 0, -1, 0, -1, 0, 0}};
        for (double[] d : dirs) {
            Geometry g = Geometry.of(new int[] {3, 4, 5}, new double[] {1, 2, 3}, new double[] {10, -20, 30}, d);
            Path f = dir.resolve("perm.nii");
            NiftiWriter.write(Volume.zeros(g), f);
            byte[] bytes = Files.readAllBytes(f);
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(254, (short) 0);
            Files.write(f, bytes);
            NiftiImage img = NiftiReader.read(f);
            assertEquals(GeometrySource.QFORM, img.geometrySource());
            assertTrue(g.sameGrid(img.volume().geometry(), 1e-4), img.volume().geometry() + " vs " + g);
        }
    }

    /** A sheared grid has no quaternion form: qform_code 0, the sform alone carries it. */
    @Test
    void shearedGridWritesSformOnly() throws IOException {
        Geometry g = Geometry.fromAffine(new int[] {4, 4, 4},
            new double[][] {{1, 0.5, 0, 3}, {0, 1, 0, 4}, {0, 0, 1, 5}, {0, 0, 0, 1}});
        Path f = dir.resolve("shear.nii");
        NiftiWriter.write(Volume.zeros(g), f, NiftiWriteOptions.defaults().withXformCodes(2, 2));
        NiftiImage img = NiftiReader.read(f);
        assertEquals(2, img.sformCode());
        assertEquals(0, img.qformCode());
        assertTrue(g.sameGrid(img.volume().geometry(), 1e-5));
    }

    @Test
    void headerFieldsAsGiven() throws IOException {
        Geometry g = Geometry.axisAligned(new int[] {2, 2, 2}, new double[] {1, 1, 1}, new double[] {0, 0, 0});
        Path f = dir.resolve("labels.nii.gz");
        NiftiWriter.write(new Volume(g, new float[] {0, 1, 2, 3, 4, 5, 6, 7}), f, NiftiWriteOptions.defaults()
            .withDatatype(NiftiDatatype.UINT8).withDescription("VoxelLens saliency").withIntent(1002, "label")
            .withXformCodes(2, 4));
        NiftiImage img = NiftiReader.read(f);
        assertEquals("VoxelLens saliency", img.description());
        assertEquals(1002, img.intentCode());
        assertEquals("label", img.intentName());
        assertEquals(2, img.sformCode());
        assertEquals(4, img.qformCode());
        // identity LPS is diag(-1, -1, 1) in the file's RAS
        ByteBuffer b = ByteBuffer.wrap(gunzip(f)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(-1f, b.getFloat(280));
        assertEquals(-1f, b.getFloat(296 + 4));
        assertEquals(1f, b.getFloat(312 + 8));
        assertEquals(2, b.get(123), "xyzt_units = mm");
        assertEquals(0f, b.getFloat(128), "cal_min");
        assertEquals(7f, b.getFloat(124), "cal_max");
    }

    @Test
    void longDescriptionIsTruncatedNotRejected() throws IOException {
        Path f = dir.resolve("long.nii");
        String text = "x".repeat(200);
        NiftiWriter.write(Volume.zeros(oblique(new int[] {1, 1, 1}, false)), f,
            NiftiWriteOptions.defaults().withDescription(text));
        assertEquals("x".repeat(79), NiftiReader.read(f).description());
    }

    /** Integer storage rounds half-to-even and clamps; NaN, which no integer can hold, becomes 0. */
    @Test
    void integerStorageRoundsAndClamps() throws IOException {
        Geometry g = Geometry.axisAligned(new int[] {7, 1, 1}, new double[] {1, 1, 1}, new double[] {0, 0, 0});
        Path f = dir.resolve("clamp.nii");
        NiftiWriter.write(new Volume(g, new float[] {-5, 2.5f, 3.5f, 254.6f, 300, Float.NaN, Float.POSITIVE_INFINITY}),
            f, NiftiWriteOptions.defaults().withDatatype(NiftiDatatype.UINT8));
        assertArrayEquals(new float[] {0, 2, 4, 255, 255, 0, 255}, NiftiReader.read(f).volume().data());
    }

    @Test
    void floatStorageKeepsNonFiniteValues() throws IOException {
        Geometry g = Geometry.axisAligned(new int[] {3, 1, 1}, new double[] {1, 1, 1}, new double[] {0, 0, 0});
        Path f = dir.resolve("nan.nii.gz");
        float[] v = {Float.NaN, Float.NEGATIVE_INFINITY, 1e-30f};
        NiftiWriter.write(new Volume(g, v), f);
        assertArrayEquals(v, NiftiReader.read(f).volume().data());
    }

    /** int16 with computed scl_slope/scl_inter keeps fractional data to within half a step. */
    @Test
    void rescaledInt16KeepsFractions() throws IOException {
        Geometry g = Geometry.axisAligned(new int[] {10, 10, 10}, new double[] {1, 1, 1}, new double[] {0, 0, 0});
        float[] v = new float[1000];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(i * 0.01) * 0.75f + 0.1f;
        v[5] = Float.NaN; // ignored when choosing the range
        Path f = dir.resolve("scaled.nii");
        NiftiWriter.write(new Volume(g, v), f,
            NiftiWriteOptions.defaults().withDatatype(NiftiDatatype.INT16).withRescale(true));
        NiftiImage img = NiftiReader.read(f);
        double min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
        for (float x : v) if (Float.isFinite(x)) { min = Math.min(min, x); max = Math.max(max, x); }
        double step = (max - min) / 65535;
        assertEquals(step, img.sclSlope(), step * 1e-6);
        float[] back = img.volume().data();
        for (int i = 0; i < v.length; i++) {
            if (i == 5) continue;
            assertEquals(v[i], back[i], step * 0.51 + 1e-6, "voxel " + i);
        }
        // without rescale the same data would collapse to -1, 0, 1
        NiftiWriter.write(new Volume(g, v), f, NiftiWriteOptions.defaults().withDatatype(NiftiDatatype.INT16));
        NiftiImage plain = NiftiReader.read(f);
        assertEquals(1, plain.sclSlope());
        for (float x : plain.volume().data()) assertTrue(x == -1 || x == 0 || x == 1);
    }

    @Test
    void rescaledConstantImage() throws IOException {
        Geometry g = Geometry.axisAligned(new int[] {2, 2, 2}, new double[] {1, 1, 1}, new double[] {0, 0, 0});
        float[] v = new float[8];
        java.util.Arrays.fill(v, 0.3f);
        Path f = dir.resolve("const.nii");
        NiftiWriter.write(new Volume(g, v), f, NiftiWriteOptions.defaults().withDatatype(NiftiDatatype.INT16).withRescale(true));
        assertArrayEquals(v, NiftiReader.read(f).volume().data());
    }

    private static byte[] gunzip(Path f) throws IOException {
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(f))) {
            return in.readAllBytes();
        }
    }
}
