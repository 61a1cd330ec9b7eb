package org.voxellens.io.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.voxellens.io.dicom.DicomSeriesReaderTest.anatomical;
import static org.voxellens.io.dicom.DicomSeriesReaderTest.assertNoPatientData;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/** Folders with several series, unreadable files, and enhanced multi-frame objects. */
class DicomFolderTest {

    @TempDir
    Path tmp;

    /** A small second series in the same study: the first 3 slices, cropped. */
    private static Volume small(Volume v) {
        Geometry g = v.geometry();
        int nx = 10, ny = 12, nz = 3;
        float[] d = new float[nx * ny * nz];
        for (int k = 0; k < nz; k++) for (int j = 0; j < ny; j++) for (int i = 0; i < nx; i++) d[i + nx * (j + ny * k)] = v.get(i, j, k);
        return new Volume(Geometry.of(new int[] {nx, ny, nz}, g.spacing(), g.origin(), g.direction()), d);
    }

    private SeriesWriter[] twoSeries(Path dir) throws Exception {
        Volume v = anatomical();
        SeriesWriter big = new SeriesWriter();
        big.seriesNumber = 3;
        big.description = "T1 big";
        big.write(v, dir.resolve("a"));
        SeriesWriter little = new SeriesWriter();
        little.studyUid = big.studyUid;
        little.seriesNumber = 4;
        little.description = "crop";
        little.write(small(v), dir.resolve("b/deeper"));
        return new SeriesWriter[] {big, little};
    }

    @Test
    void listsEverySeriesWithoutPatientData() throws Exception {
        SeriesWriter[] s = twoSeries(tmp);
        List<SeriesSummary> list = DicomFolder.list(tmp);
        assertEquals(2, list.size());
        SeriesSummary big = list.stream().filter(x -> x.seriesInstanceUid().equals(s[0].seriesUid)).findFirst().orElseThrow();
        SeriesSummary small = list.stream().filter(x -> x.seriesInstanceUid().equals(s[1].seriesUid)).findFirst().orElseThrow();
        Geometry g = anatomical().geometry();
        assertEquals(g.nx() + "x" + g.ny() + "x" + g.nz(), big.dimensions());
        assertEquals("10x12x3", small.dimensions());
        assertEquals(g.nz(), big.imageCount());
        assertEquals("3", big.seriesNumber());
        assertEquals("CT", big.modality());
        assertEquals("T1 big", big.seriesDescription());
        assertEquals(s[0].studyUid, small.studyInstanceUid());
        assertTrue(big.volumetric() && small.volumetric());
        assertEquals(List.of("1.2.840.10008.1.2.1"), big.transferSyntaxes());
        for (SeriesSummary x : list) {
            assertTrue(x.describe().contains(x.seriesInstanceUid()), x.describe());
            assertNoPatientData(x.describe());
            assertNoPatientData(x.toString());
        }
    }

    @Test
    void selectsBySeriesUidByNumberAndByDefaultTheLargest3dSeries() throws Exception {
        SeriesWriter[] s = twoSeries(tmp);
        DicomVolume byUid = DicomSeriesReader.read(tmp, s[1].seriesUid);
        assertEquals(s[1].seriesUid, byUid.seriesInstanceUid());
        assertArrayEquals(new int[] {10, 12, 3}, byUid.volume().geometry().dims());
        assertTrue(byUid.warnings().isEmpty());
        assertEquals(s[1].seriesUid, DicomSeriesReader.read(tmp, "4").seriesInstanceUid());
        assertEquals(s[1].seriesUid, DicomSeriesReader.read(tmp, " 04 ").seriesInstanceUid());

        DicomVolume def = DicomSeriesReader.read(tmp, null);
        assertEquals(s[0].seriesUid, def.seriesInstanceUid());
        String msg = def.warnings().get(0);
        assertTrue(msg.contains("2 series found") && msg.contains("largest 3D series") && msg.contains(s[0].seriesUid)
            && msg.contains("series 3"), msg);
        assertFalse(msg.contains("T1 big"), "the description is free text (may hold patient data): not in messages: " + msg);
        assertNoPatientData(msg);

        DicomException e = assertThrows(DicomException.class, () -> DicomSeriesReader.read(tmp, "99"));
        assertTrue(e.getMessage().contains("no series with SeriesInstanceUID or Series Number '99'")
            && e.getMessage().contains(s[0].seriesUid) && e.getMessage().contains(s[1].seriesUid), e.getMessage());
    }

    @Test
    void ambiguousSeriesNumberAsksForTheUid() throws Exception {
        SeriesWriter[] s = twoSeries(tmp);
        SeriesWriter third = new SeriesWriter();
        third.seriesNumber = 4;
        third.write(small(anatomical()), tmp.resolve("c"));
        DicomException e = assertThrows(DicomException.class, () -> DicomSeriesReader.read(tmp, "4"));
        assertTrue(e.getMessage().contains("ambiguous") && e.getMessage().contains(third.seriesUid)
            && e.getMessage().contains(s[1].seriesUid), e.getMessage());
    }

    @Test
    void anUnparseableFileIsSkippedWithAWarningAndTheCompleteSeriesStillLoads() throws Exception {
        Volume v = anatomical();
        SeriesWriter w = new SeriesWriter();
        List<Path> files = w.write(v, tmp.resolve("s"));
        // A file with the DICOM marker but garbage after it, and one cut off inside its header.
        byte[] junk = new byte[400];
        Arrays.fill(junk, (byte) 0x5a);
        junk[128] = 'D'; junk[129] = 'I'; junk[130] = 'C'; junk[131] = 'M';
        Files.write(tmp.resolve("s/garbage.dcm"), junk);
        byte[] whole = Files.readAllBytes(files.get(0));
        Files.write(tmp.resolve("s/cut.dcm"), Arrays.copyOf(whole, 200));
        Files.writeString(tmp.resolve("s/README.txt"), "not DICOM at all");

        DicomFolder folder = DicomFolder.scan(tmp.resolve("s"));
        assertEquals(1, folder.series().size());
        DicomVolume dv = DicomSeriesReader.read(tmp.resolve("s"));
        assertArrayEquals(w.expected(v), dv.volume().data());
        String warnings = String.join("\n", dv.warnings());
        assertTrue(warnings.contains("garbage.dcm") && warnings.contains("skipped") && warnings.contains("loaded without it"),
            warnings);
        assertTrue(warnings.contains("cut.dcm"), warnings);
        assertTrue(!warnings.contains("README"), warnings);
        for (String x : dv.warnings()) assertTrue(!x.contains("\n"), x);
    }

    @Test
    void aHostileFileAmongAGoodSeriesIsSkippedByNameAndTheSeriesLoads() throws Exception {
        // before: sequences nested 50 000 deep (StackOverflowError) or a per-frame functional group that is not a
        // sequence (ClassCastException) anywhere under the folder sank series, convert and explain with a stack trace
        Volume v = anatomical();
        SeriesWriter w = new SeriesWriter();
        w.write(v, tmp.resolve("s"));
        Files.write(tmp.resolve("s/deep.dcm"), Hostile.deeplyNested(50_000));
        Files.write(tmp.resolve("s/not-a-sequence.dcm"), Hostile.functionalGroupNotASequence());
        // 3 KB claiming 10^8 frames of 512², and 65535 × 65535 (an int overflow): refused from the header, not read
        Files.write(tmp.resolve("s/many-frames.dcm"), Hostile.claims(512, 512, 100_000_000));
        Files.write(tmp.resolve("s/huge-frame.dcm"), Hostile.claims(65535, 65535, 1));
        DicomVolume dv = DicomSeriesReader.read(tmp.resolve("s"));
        assertArrayEquals(w.expected(v), dv.volume().data());
        String warnings = String.join("\n", dv.warnings());
        assertTrue(warnings.contains("deep.dcm") && warnings.contains("nested too deeply"), warnings);
        assertTrue(warnings.contains("not-a-sequence.dcm") && warnings.contains("malformed DICOM header"), warnings);
        assertTrue(warnings.contains("many-frames.dcm") && warnings.contains("more than this JVM can hold"), warnings);
        assertTrue(warnings.lines().anyMatch(l -> l.contains("huge-frame.dcm") && l.contains("more than this JVM can hold")), warnings);
        assertTrue(!warnings.contains("com.pixelmed"), "no library class names: " + warnings);
        for (String x : dv.warnings()) assertTrue(!x.contains("\n"), x);
        assertEquals(1, DicomFolder.list(tmp.resolve("s")).size(), "series lists the good series");
    }

    /** Hand-made DICOM files (explicit VR little endian) that break readers. */
    static final class Hostile {

        static byte[] deeplyNested(int depth) {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            uid(b, 0x0008, 0x0018, "1.2.826.0.1.3680043.2.1143.99.1");
            uid(b, 0x0020, 0x000E, "1.2.826.0.1.3680043.2.1143.99.2");
            for (int i = 0; i < depth; i++) {
                tag(b, 0x0008, 0x1115); b.writeBytes(new byte[] {'S', 'Q', 0, 0}); le32(b, -1);
                tag(b, 0xFFFE, 0xE000); le32(b, -1);
            }
            for (int i = 0; i < depth; i++) {
                tag(b, 0xFFFE, 0xE00D); le32(b, 0);
                tag(b, 0xFFFE, 0xE0DD); le32(b, 0);
            }
            return file(b.toByteArray());
        }

        static byte[] functionalGroupNotASequence() {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            uid(b, 0x0008, 0x0016, "1.2.840.10008.5.1.4.1.1.4.1");
            uid(b, 0x0008, 0x0018, "1.2.826.0.1.3680043.2.1143.99.3");
            uid(b, 0x0020, 0x000E, "1.2.826.0.1.3680043.2.1143.99.4");
            element(b, 0x0028, 0x0008, "IS", "2 ".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            element(b, 0x0028, 0x0010, "US", new byte[] {4, 0});
            element(b, 0x0028, 0x0011, "US", new byte[] {4, 0});
            element(b, 0x5200, 0x9229, "LO", "shared".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            element(b, 0x5200, 0x9230, "LO", "frames".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return file(b.toByteArray());
        }

        /** An uncompressed MR image header claiming rows × columns × frames 16-bit pixels, with 2 KB of pixel data. */
        static byte[] claims(int rows, int cols, int frames) {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            uid(b, 0x0008, 0x0016, "1.2.840.10008.5.1.4.1.1.4");
            uid(b, 0x0008, 0x0018, "1.2.826.0.1.3680043.2.1143.99." + rows + "." + frames);
            uid(b, 0x0020, 0x000E, "1.2.826.0.1.3680043.2.1143.99.5");
            element(b, 0x0028, 0x0002, "US", new byte[] {1, 0});
            element(b, 0x0028, 0x0008, "IS", (frames + (Integer.toString(frames).length() % 2 == 0 ? "" : " "))
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            element(b, 0x0028, 0x0010, "US", new byte[] {(byte) rows, (byte) (rows >> 8)});
            element(b, 0x0028, 0x0011, "US", new byte[] {(byte) cols, (byte) (cols >> 8)});
            element(b, 0x0028, 0x0100, "US", new byte[] {16, 0});
            tag(b, 0x7FE0, 0x0010); b.writeBytes(new byte[] {'O', 'W', 0, 0}); le32(b, 2048);
            b.writeBytes(new byte[2048]);
            return file(b.toByteArray());
        }

        private static byte[] file(byte[] dataset) {
            java.io.ByteArrayOutputStream meta = new java.io.ByteArrayOutputStream();
            uid(meta, 0x0002, 0x0010, "1.2.840.10008.1.2.1");
            java.io.ByteArrayOutputStream f = new java.io.ByteArrayOutputStream();
            f.writeBytes(new byte[128]);
            f.writeBytes(new byte[] {'D', 'I', 'C', 'M'});
            byte[] len = new byte[4];
            java.nio.ByteBuffer.wrap(len).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(meta.size());
            element(f, 0x0002, 0x0000, "UL", len);
            f.writeBytes(meta.toByteArray());
            f.writeBytes(dataset);
            return f.toByteArray();
        }

        private static void uid(java.io.ByteArrayOutputStream b, int g, int e, String uid) {
            byte[] v = (uid.length() % 2 == 0 ? uid : uid + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            element(b, g, e, "UI", v);
        }

        private static void element(java.io.ByteArrayOutputStream b, int g, int e, String vr, byte[] value) {
            byte[] v = value.length % 2 == 0 ? value : Arrays.copyOf(value, value.length + 1);
            tag(b, g, e);
            b.writeBytes(vr.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            b.write(v.length & 0xff);
            b.write((v.length >> 8) & 0xff);
            b.writeBytes(v);
        }

        private static void tag(java.io.ByteArrayOutputStream b, int g, int e) {
            b.write(g & 0xff); b.write(g >> 8); b.write(e & 0xff); b.write(e >> 8);
        }

        private static void le32(java.io.ByteArrayOutputStream b, int v) {
            for (int i = 0; i < 4; i++) b.write((v >> (8 * i)) & 0xff);
        }
    }

    @Test
    void aTruncatedSliceOfTheSeriesStopsTheReadingNamingTheFile() throws Exception {
        List<Path> files = new SeriesWriter().write(anatomical(), tmp.resolve("s"));
        Path victim = files.get(5);
        byte[] whole = Files.readAllBytes(victim);
        Files.write(victim, Arrays.copyOf(whole, whole.length - 300));
        DicomException e = assertThrows(DicomException.class, () -> DicomSeriesReader.read(tmp.resolve("s")));
        assertTrue(e.getMessage().startsWith(victim.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        assertNoPatientData(e.getMessage());
    }

    @Test
    void aFolderWithoutDicomSaysSo() throws Exception {
        Files.writeString(tmp.resolve("a.txt"), "hello");
        DicomException e = assertThrows(DicomException.class, () -> DicomFolder.scan(tmp));
        assertTrue(e.getMessage().contains("no DICOM images found"), e.getMessage());
        DicomException f = assertThrows(DicomException.class, () -> DicomFolder.scan(tmp.resolve("a.txt")));
        assertTrue(f.getMessage().contains("not a DICOM file"), f.getMessage());
        assertThrows(DicomException.class, () -> DicomFolder.scan(tmp.resolve("missing")));
    }

    @Test
    void enhancedMultiFrameUsesPerFramePositions() throws Exception {
        Volume v = DicomSeriesReaderTest.oblique(anatomical());
        SeriesWriter w = new SeriesWriter();
        w.intercept = -1024;
        w.shuffleNames = true;
        List<Path> files = w.write(v, tmp.resolve("classic"));
        Path out = tmp.resolve("enhanced");
        Files.createDirectories(out);
        File[] made = com.pixelmed.dicom.MultiFrameImageFactory.convertImages(
            files.stream().map(Path::toFile).toArray(File[]::new), out.toFile());
        assertEquals(1, made.length);
        DicomVolume dv = DicomSeriesReader.read(made[0].toPath());
        assertEquals(1, dv.series().imageCount());
        assertEquals(v.geometry().nz(), dv.series().frameCount());
        DicomSeriesReaderTest.assertSameGeometry(v.geometry(), dv.volume().geometry());
        assertArrayEquals(w.expected(v), dv.volume().data());
        assertEquals(made[0].toPath(), dv.slices().get(0).file());
    }
}
