package org.voxellens.io.nifti;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.voxellens.io.nifti.NiftiAsserts.assertAffine;
import static org.voxellens.io.nifti.NiftiAsserts.assertNiftiError;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.voxellens.io.nifti.NiftiImage.GeometrySource;

/** Reading hand-built files: byte orders, versions, transforms, scaling, 4D, pairs. */
class NiftiReaderTest {

    @TempDir
    Path dir;

    private static ByteOrder order(String name) {
        return name.equals("big") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    }

    @ParameterizedTest
    @ValueSource(strings = {"little", "big"})
    void nifti1Int16WithScalingInEitherByteOrder(String byteOrder) throws IOException {
        RawNifti r = new RawNifti().dims(2, 3, 4).type(4, 16);
        r.order = order(byteOrder);
        r.sclSlope = 0.5;
        r.sclInter = 10;
        r.sformCode = 1;
        r.srow = new double[][] {{-2, 0, 0, 10}, {0, 3, 0, 20}, {0, 0, 4, 30}};
        r.descrip = "hand made";
        int[] raw = new int[24];
        for (int i = 0; i < 24; i++) raw[i] = (i - 5) * 1000;
        Path f = r.write(dir.resolve("be.nii"), RawNifti.int16(r.order, raw));

        NiftiImage img = NiftiReader.read(f);
        assertEquals(r.order, img.byteOrder());
        assertEquals(NiftiDatatype.INT16, img.datatype());
        assertEquals(1, img.niftiVersion());
        assertEquals(0.5, img.sclSlope());
        assertEquals(10, img.sclInter());
        assertEquals("hand made", img.description());
        assertEquals("mm", img.spatialUnits());
        assertArrayEquals(new int[] {2, 3, 4}, img.volume().geometry().dims());
        float[] v = img.volume().data();
        for (int i = 0; i < 24; i++) assertEquals((i - 5) * 1000 * 0.5 + 10, v[i], 0, "voxel " + i);
        // i runs fastest: voxel (1, 2, 3) is element 1 + 2*(2 + 3*3)
        assertEquals(v[1 + 2 * (2 + 3 * 3)], img.volume().get(1, 2, 3));
        assertAffine(new double[][] {{2, 0, 0, -10}, {0, -3, 0, -20}, {0, 0, 4, 30}}, img.volume().geometry(), 1e-9);
        assertEquals(GeometrySource.SFORM, img.geometrySource());
    }

    /** Both set and different: the sform wins; without it the qform; without either, pixdim only. */
    @Test
    void sformBeatsQformBeatsPixdim() throws IOException {
        RawNifti r = new RawNifti().dims(2, 2, 2);
        r.pixdim = new double[] {1, 3, 3, 3, 1, 1, 1, 1};
        r.sformCode = 2;
        r.srow = new double[][] {{2, 0, 0, 1}, {0, 2, 0, 2}, {0, 0, 2, 3}};
        r.qformCode = 1;
        r.qoffset = new double[] {100, 100, 100};
        byte[] data = RawNifti.float32(r.order, new float[8]);

        NiftiImage s = NiftiReader.read(r.write(dir.resolve("s.nii"), data));
        assertEquals(GeometrySource.SFORM, s.geometrySource());
        assertEquals(2, s.sformCode());
        assertEquals(1, s.qformCode());
        assertAffine(new double[][] {{-2, 0, 0, -1}, {0, -2, 0, -2}, {0, 0, 2, 3}}, s.volume().geometry(), 1e-9);

        r.sformCode = 0;
        NiftiImage q = NiftiReader.read(r.write(dir.resolve("q.nii"), data));
        assertEquals(GeometrySource.QFORM, q.geometrySource());
        assertAffine(new double[][] {{-3, 0, 0, -100}, {0, -3, 0, -100}, {0, 0, 3, 100}}, q.volume().geometry(), 1e-9);

        r.qformCode = 0;
        NiftiImage p = NiftiReader.read(r.write(dir.resolve("p.nii"), data));
        assertEquals(GeometrySource.PIXDIM, p.geometrySource());
        assertAffine(new double[][] {{-3, 0, 0, 0}, {0, -3, 0, 0}, {0, 0, 3, 0}}, p.volume().geometry(), 1e-9);
    }

    /** 90 degrees about z with qfac = -1 (pixdim[0]) flipping the third axis: a left-handed voxel grid. */
    @Test
    void qformQuaternionWithNegativeQfac() throws IOException {
        RawNifti r = new RawNifti().dims(2, 2, 2);
        r.qformCode = 1;
        double h = Math.sqrt(0.5);
        r.quatern = new double[] {0, 0, h}; // a = cos 45, d = sin 45
        r.qoffset = new double[] {5, 6, 7};
        r.pixdim = new double[] {-1, 2, 3, 4, 1, 1, 1, 1};
        byte[] data = RawNifti.float32(r.order, new float[8]);
        NiftiImage img = NiftiReader.read(r.write(dir.resolve("qfac.nii"), data));
        assertEquals(GeometrySource.QFORM, img.geometrySource());
        // RAS = R_z(90) * diag(2, 3, -4) + (5, 6, 7); LPS negates the first two rows
        assertAffine(new double[][] {{0, 3, 0, -5}, {-2, 0, 0, -6}, {0, 0, -4, 7}}, img.volume().geometry(), 1e-6);

        r.pixdim[0] = 0; // not -1: right-handed, as the standard says
        img = NiftiReader.read(r.write(dir.resolve("qfac0.nii"), data));
        assertAffine(new double[][] {{0, 3, 0, -5}, {-2, 0, 0, -6}, {0, 0, 4, 7}}, img.volume().geometry(), 1e-6);
    }

    /** b = 1: a is 0 and (b, c, d) has unit length, the case where rounding can make 1 - |bcd|^2 negative. */
    @Test
    void qformHalfTurn() throws IOException {
        RawNifti r = new RawNifti().dims(2, 2, 2);
        r.qformCode = 1;
        r.quatern = new double[] {1.0000001, 0, 0};
        NiftiImage img = NiftiReader.read(r.write(dir.resolve("half.nii"), RawNifti.float32(r.order, new float[8])));
        // RAS diag(1, -1, -1) -> LPS diag(-1, 1, -1)
        assertAffine(new double[][] {{-1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, -1, 0}}, img.volume().geometry(), 1e-6);
    }

    @Test
    void sclSlopeZeroOrNanMeansNoScaling() throws IOException {
        RawNifti r = new RawNifti().dims(2, 1, 1).type(4, 16);
        byte[] data = RawNifti.int16(r.order, 7, -3);
        for (double slope : new double[] {0, Double.NaN}) {
            r.sclSlope = slope;
            r.sclInter = 100;
            NiftiImage img = NiftiReader.read(r.write(dir.resolve("noscale.nii"), data));
            assertArrayEquals(new float[] {7, -3}, img.volume().data());
            assertEquals(1, img.sclSlope());
            assertEquals(0, img.sclInter());
        }
        r.sclSlope = 2;
        r.sclInter = Double.NaN;
        assertArrayEquals(new float[] {14, -6}, NiftiReader.read(r.write(dir.resolve("nan-inter.nii"), data)).volume().data());
    }

    @Test
    void fourDimensionalSelectsTheRequestedVolume() throws IOException {
        RawNifti r = new RawNifti().dims(2, 2, 1, 3).type(4, 16);
        r.pixdim[4] = 2.5;
        r.xyztUnits = 2 | 8;
        int[] raw = new int[12];
        for (int t = 0; t < 3; t++) for (int i = 0; i < 4; i++) raw[t * 4 + i] = 100 * t + i;
        Path f = r.write(dir.resolve("4d.nii"), RawNifti.int16(r.order, raw));
        Path gz = r.writeGz(dir.resolve("4d.nii.gz"), RawNifti.int16(r.order, raw));
        for (Path p : new Path[] {f, gz}) {
            NiftiImage first = NiftiReader.read(p);
            assertEquals(3, first.volumeCount());
            assertEquals(0, first.volumeIndex());
            assertArrayEquals(new float[] {0, 1, 2, 3}, first.volume().data());
            NiftiImage last = NiftiReader.read(p, 2);
            assertEquals(2, last.volumeIndex());
            assertArrayEquals(new float[] {200, 201, 202, 203}, last.volume().data());
            assertArrayEquals(new int[] {2, 2, 1}, last.volume().geometry().dims());
            assertEquals(2.5, last.timeStep());
            assertEquals("s", last.timeUnits());
            assertNiftiError(p, () -> NiftiReader.read(p, 3), "volume index 3 out of range", "3 volumes");
            assertNiftiError(p, () -> NiftiReader.read(p, -1), "volume index -1");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"little", "big"})
    void nifti2WithExtensionGapInEitherByteOrder(String byteOrder) throws IOException {
        RawNifti r = new RawNifti().dims(3, 2, 2).type(64, 64);
        r.version = 2;
        r.order = order(byteOrder);
        r.voxOffset = 560; // 16 bytes between header and data, as an extension would leave
        r.sformCode = 1;
        r.srow = new double[][] {{0, 0, 1.5, -1}, {0, 1.25, 0, -2}, {1, 0, 0, -3}};
        double[] values = new double[12];
        for (int i = 0; i < 12; i++) values[i] = i * 0.25 - 1;
        Path f = r.write(dir.resolve("v2.nii"), RawNifti.float64(r.order, values));
        NiftiImage img = NiftiReader.read(f);
        assertEquals(2, img.niftiVersion());
        assertEquals(r.order, img.byteOrder());
        assertEquals(NiftiDatatype.FLOAT64, img.datatype());
        for (int i = 0; i < 12; i++) assertEquals(values[i], img.volume().data()[i], 0);
        assertAffine(new double[][] {{0, 0, -1.5, 1}, {0, -1.25, 0, 2}, {1, 0, 0, -3}}, img.volume().geometry(), 1e-12);

        Path gz = r.writeGz(dir.resolve("v2.nii.gz"), RawNifti.float64(r.order, values));
        assertArrayEquals(img.volume().data(), NiftiReader.read(gz).volume().data());
    }

    @Test
    void trailingUnitDimsAndTwoDimensionalImages() throws IOException {
        RawNifti r = new RawNifti().dims(3, 2, 2, 1, 1);
        NiftiImage five = NiftiReader.read(r.write(dir.resolve("5d.nii"), RawNifti.float32(r.order, new float[12])));
        assertArrayEquals(new int[] {3, 2, 2}, five.volume().geometry().dims());
        assertEquals(1, five.volumeCount());

        r.dims(4, 3);
        NiftiImage flat = NiftiReader.read(r.write(dir.resolve("2d.nii"), RawNifti.float32(r.order, new float[12])));
        assertArrayEquals(new int[] {4, 3, 1}, flat.volume().geometry().dims());
    }

    @Test
    void pairReadFromEitherName() throws IOException {
        RawNifti r = new RawNifti().dims(2, 1, 1).type(4, 16);
        r.pair = true;
        Files.write(dir.resolve("pair.hdr"), r.header());
        Files.write(dir.resolve("pair.img"), RawNifti.int16(r.order, 11, 22));
        assertArrayEquals(new float[] {11, 22}, NiftiReader.read(dir.resolve("pair.hdr")).volume().data());
        assertArrayEquals(new float[] {11, 22}, NiftiReader.read(dir.resolve("pair.img")).volume().data());

        Files.write(dir.resolve("zipped.hdr"), r.header());
        Files.write(dir.resolve("zipped.img.gz"), RawNifti.gzip(RawNifti.int16(r.order, 33, 44)));
        assertArrayEquals(new float[] {33, 44}, NiftiReader.read(dir.resolve("zipped.hdr")).volume().data());

        Path lonely = dir.resolve("lonely.hdr");
        Files.write(lonely, r.header());
        assertNiftiError(lonely, () -> NiftiReader.read(lonely), "missing its .img");
    }

    /** Compression is recognised by content: a gzipped file named .nii still reads. */
    @Test
    void gzipDetectedByMagicNotName() throws IOException {
        RawNifti r = new RawNifti().dims(2, 1, 1);
        Path f = r.writeGz(dir.resolve("misnamed.nii"), RawNifti.float32(r.order, 1.5f, -2.5f));
        assertArrayEquals(new float[] {1.5f, -2.5f}, NiftiReader.read(f).volume().data());
    }

    /** Old writers leave vox_offset 0 in single files; data then starts right after the header and its flag. */
    @Test
    void zeroVoxOffsetInSingleFile() throws IOException {
        RawNifti r = new RawNifti().dims(2, 1, 1);
        byte[] file = r.file(RawNifti.float32(r.order, 3f, 4f));
        java.nio.ByteBuffer.wrap(file).order(r.order).putFloat(108, 0f);
        Path f = Files.write(dir.resolve("zero-offset.nii"), file);
        assertArrayEquals(new float[] {3f, 4f}, NiftiReader.read(f).volume().data());
    }

    /** Geometry is in mm whatever unit the file declares. */
    @Test
    void metresAndMicronsConvertedToMillimetres() throws IOException {
        RawNifti r = new RawNifti().dims(2, 2, 2);
        r.sformCode = 1;
        r.xyztUnits = 1; // metres
        r.srow = new double[][] {{0.001, 0, 0, 0.01}, {0, 0.002, 0, 0}, {0, 0, 0.003, 0}};
        NiftiImage m = NiftiReader.read(r.write(dir.resolve("m.nii"), RawNifti.float32(r.order, new float[8])));
        assertEquals("m", m.spatialUnits());
        assertAffine(new double[][] {{-1, 0, 0, -10}, {0, -2, 0, 0}, {0, 0, 3, 0}}, m.volume().geometry(), 1e-4);

        r.xyztUnits = 3; // microns
        r.srow = new double[][] {{500, 0, 0, 0}, {0, 500, 0, 0}, {0, 0, 1000, 0}};
        NiftiImage um = NiftiReader.read(r.write(dir.resolve("um.nii"), RawNifti.float32(r.order, new float[8])));
        assertArrayEquals(new double[] {0.5, 0.5, 1}, um.volume().geometry().spacing(), 1e-9);
    }

    /** nifti1_io's rule: an unusable (0 or NaN) pixdim counts as 1 rather than making the grid degenerate. */
    @Test
    void unusablePixdimCountsAsOne() throws IOException {
        RawNifti r = new RawNifti().dims(2, 2, 2);
        r.pixdim = new double[] {1, 0, Double.NaN, 2, 1, 1, 1, 1};
        NiftiImage img = NiftiReader.read(r.write(dir.resolve("pix0.nii"), RawNifti.float32(r.order, new float[8])));
        assertArrayEquals(new double[] {1, 1, 2}, img.volume().geometry().spacing(), 0);
    }
}
