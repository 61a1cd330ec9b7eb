package org.voxellens.io.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/** pydicom's real test files (Debian python3-pydicom): MR_small in every transfer syntax, CT_small in HU. */
class TransferSyntaxTest {

    /** dcmtk makes and decodes the compressed syntaxes: required, checked first. */
    @org.junit.jupiter.api.BeforeAll
    static void requiredTools() {
        TestData.requireDcmtk();
    }

    @TempDir
    Path tmp;

    @AfterEach
    void restorePath() {
        System.clearProperty(Dcmtk.PATH_PROPERTY);
    }

    private static Volume reference() throws Exception {
        return DicomSeriesReader.read(TestData.pydicom("MR_small.dcm")).volume();
    }

    @Test
    void mrSmallGeometryComesFromItsHeader() throws Exception {
        DicomVolume dv = DicomSeriesReader.read(TestData.pydicom("MR_small.dcm"));
        Geometry g = dv.volume().geometry();
        assertArrayEquals(new int[] {64, 64, 1}, g.dims());
        AttributeList l = new AttributeList();
        l.read(TestData.pydicom("MR_small.dcm").toFile());
        double[] ipp = l.get(TagFromName.ImagePositionPatient).getDoubleValues();
        double[] iop = l.get(TagFromName.ImageOrientationPatient).getDoubleValues();
        double[] ps = l.get(TagFromName.PixelSpacing).getDoubleValues();
        assertArrayEquals(ipp, g.origin(), 1e-9);
        double[] d = g.direction();
        assertArrayEquals(new double[] {iop[0], iop[1], iop[2]}, new double[] {d[0], d[3], d[6]}, 1e-6);
        assertArrayEquals(new double[] {iop[3], iop[4], iop[5]}, new double[] {d[1], d[4], d[7]}, 1e-6);
        assertEquals(ps[1], g.spacing()[0], 1e-9);
        assertEquals(ps[0], g.spacing()[1], 1e-9);
        short[] raw = l.getPixelData().getShortValues();
        for (int n = 0; n < raw.length; n++) assertEquals(raw[n], dv.volume().data()[n], "voxel " + n);
        assertEquals(1, dv.sopInstanceUids().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_expb.dcm", "MR_small_RLE.dcm",
        "MR_small_jp2klossless.dcm"})
    void everyLosslessSyntaxGivesTheSameVoxels(String name) throws Exception {
        Volume ref = reference();
        Volume v = DicomSeriesReader.read(TestData.pydicom(name)).volume();
        assertTrue(ref.geometry().sameGrid(v.geometry(), 1e-6), name);
        assertArrayEquals(ref.data(), v.data(), name);
    }

    @Test
    void deflatedAndJpegLosslessMadeByDcmtkGiveTheSameVoxels() throws Exception {
        Path src = TestData.pydicom("MR_small.dcm");
        Path dfl = tmp.resolve("dfl.dcm"), jll = tmp.resolve("jll.dcm");
        assertEquals(0, TestData.run("dcmconv", "+td", src.toString(), dfl.toString()).exit());
        assertEquals(0, TestData.run("dcmcjpeg", "+e1", src.toString(), jll.toString()).exit());
        Volume ref = reference();
        for (Path p : new Path[] {dfl, jll}) {
            DicomVolume dv = DicomSeriesReader.read(p);
            assertArrayEquals(ref.data(), dv.volume().data(), p.toString());
            assertTrue(dv.series().transferSyntaxes().get(0).startsWith("1.2.840.10008.1.2."), p.toString());
        }
    }

    @Test
    void jpegLsIsDecodedThroughDcmdjplsOrRefusedNamingTheSyntax() throws Exception {
        Path f = TestData.pydicom("MR_small_jpeg_ls_lossless.dcm");
        if (TestData.has("dcmdjpls")) {
            assertArrayEquals(reference().data(), DicomSeriesReader.read(f).volume().data());
        }
        System.setProperty(Dcmtk.PATH_PROPERTY, tmp.toString()); // as on a machine without dcmtk
        DicomException e = assertThrows(DicomException.class, () -> DicomSeriesReader.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("1.2.840.10008.1.2.4.80 (JPEG-LS Lossless)")
            && e.getMessage().contains("dcmdjpls"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void twelveBitJpegIsDecodedThroughDcmdjpegOrRefusedNamingTheSyntax() throws Exception {
        Path src = TestData.pydicom("MR_small.dcm");
        Path j12 = tmp.resolve("j12.dcm");
        assertEquals(0, TestData.run("dcmcjpeg", "+ee", src.toString(), j12.toString()).exit());
        if (TestData.has("dcmdjpeg")) {
            // dcmcjpeg maps the 16-bit signed values into 12 bits, so compare with dcmtk's own decompression, and
            // check that the image is still the same picture as the original.
            Path plain = tmp.resolve("plain.dcm");
            assertEquals(0, TestData.run("dcmdjpeg", j12.toString(), plain.toString()).exit());
            float[] v = DicomSeriesReader.read(j12).volume().data();
            assertArrayEquals(DicomSeriesReader.read(plain).volume().data(), v);
            assertTrue(correlation(reference().data(), v) > 0.99, "12-bit JPEG is not the same picture");
        }
        System.setProperty(Dcmtk.PATH_PROPERTY, tmp.toString());
        DicomException e = assertThrows(DicomException.class, () -> DicomSeriesReader.read(j12));
        assertTrue(e.getMessage().contains("1.2.840.10008.1.2.4.51 (JPEG Extended (12-bit))")
            && e.getMessage().contains("dcmdjpeg"), e.getMessage());
    }

    private static double correlation(float[] a, float[] b) {
        double ma = 0, mb = 0;
        for (int n = 0; n < a.length; n++) {
            ma += a[n];
            mb += b[n];
        }
        ma /= a.length;
        mb /= b.length;
        double sab = 0, saa = 0, sbb = 0;
        for (int n = 0; n < a.length; n++) {
            sab += (a[n] - ma) * (b[n] - mb);
            saa += (a[n] - ma) * (a[n] - ma);
            sbb += (b[n] - mb) * (b[n] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }

    @Test
    void ctSmallIsInHounsfieldUnits() throws Exception {
        Path f = TestData.pydicom("CT_small.dcm");
        DicomVolume dv = DicomSeriesReader.read(f);
        AttributeList l = new AttributeList();
        l.read(f.toFile());
        double slope = Attribute.getSingleDoubleValueOrDefault(l, TagFromName.RescaleSlope, 1);
        double inter = Attribute.getSingleDoubleValueOrDefault(l, TagFromName.RescaleIntercept, 0);
        assertTrue(inter != 0, "CT_small has a rescale intercept");
        short[] raw = l.getPixelData().getShortValues();
        boolean signed = Attribute.getSingleIntegerValueOrDefault(l, TagFromName.PixelRepresentation, 0) == 1;
        for (int n = 0; n < raw.length; n++) {
            double stored = signed ? raw[n] : raw[n] & 0xffff;
            assertEquals((float) (stored * slope + inter), dv.volume().data()[n], 1e-3, "voxel " + n);
        }
        assertEquals("CT", dv.modality());
    }

    @Test
    void aTruncatedFileIsOneLineNamingIt() throws Exception {
        Path f = TestData.pydicom("MR_truncated.dcm");
        DicomException e = assertThrows(DicomException.class, () -> DicomSeriesReader.read(f));
        assertTrue(e.getMessage().startsWith(f + ": ") && e.getMessage().contains("truncated"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void colourImagesAreRefused() throws Exception {
        // An RGB secondary capture with a made-up position, so that only the colour is the problem.
        AttributeList l = new AttributeList();
        l.read(TestData.pydicom("SC_rgb_small_odd.dcm").toFile());
        Attribute ipp = new com.pixelmed.dicom.DecimalStringAttribute(TagFromName.ImagePositionPatient);
        ipp.addValue(0); ipp.addValue(0); ipp.addValue(0);
        l.put(ipp);
        Attribute iop = new com.pixelmed.dicom.DecimalStringAttribute(TagFromName.ImageOrientationPatient);
        for (double x : new double[] {1, 0, 0, 0, 1, 0}) iop.addValue(x);
        l.put(iop);
        Attribute ps = new com.pixelmed.dicom.DecimalStringAttribute(TagFromName.PixelSpacing);
        ps.addValue(1); ps.addValue(1);
        l.put(ps);
        Path f = tmp.resolve("rgb.dcm");
        l.write(f.toFile(), com.pixelmed.dicom.TransferSyntax.ExplicitVRLittleEndian, true, true);
        DicomException e = assertThrows(DicomException.class, () -> DicomSeriesReader.read(f));
        assertTrue(e.getMessage().contains("colour image (RGB)"), e.getMessage());
    }

    @Test
    void rtDoseMultiFrameIsStackedAlongItsGridFrameOffsets() throws Exception {
        DicomVolume le = DicomSeriesReader.read(TestData.pydicom("rtdose.dcm"));
        Geometry g = le.volume().geometry();
        assertArrayEquals(new int[] {10, 10, 15}, g.dims());
        assertEquals(15, le.slices().size());
        for (String other : new String[] {"rtdose_expb.dcm", "rtdose_rle.dcm"}) {
            Volume v = DicomSeriesReader.read(TestData.pydicom(other)).volume();
            assertTrue(g.sameGrid(v.geometry(), 1e-6), other);
            assertArrayEquals(le.volume().data(), v.data(), other);
        }
    }

    @Test
    void nonImageDicomIsNotASeries() throws Exception {
        Path dir = tmp.resolve("sr");
        Files.createDirectories(dir);
        Files.copy(TestData.pydicom("test-SR.dcm"), dir.resolve("sr.dcm"));
        DicomException e = assertThrows(DicomException.class, () -> DicomSeriesReader.read(dir));
        assertTrue(e.getMessage().contains("no DICOM images found"), e.getMessage());
    }
}
