package org.voxellens.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.io.dicom.DicomFolder;
import org.voxellens.io.nifti.NiftiWriter;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

class VolumeReaderTest {

    @TempDir
    Path tmp;

    private static final Path ANATOMICAL = Path.of("/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii");
    private static final Path MR_SMALL = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files/MR_small.dcm");

    @Test
    void readsNifti() throws IOException {
        org.voxellens.testing.RequiredTools.file(ANATOMICAL, "python3-nibabel");
        LoadedVolume lv = VolumeReader.read(ANATOMICAL, null);
        assertEquals(LoadedVolume.Format.NIFTI, lv.format());
        assertEquals("anatomical.nii", lv.displayName());
        assertTrue(lv.nifti().isPresent() && lv.dicom().isEmpty() && lv.message().isEmpty());
        IOException e = assertThrows(IOException.class, () -> VolumeReader.read(ANATOMICAL, "3"));
        assertTrue(e.getMessage().contains("DICOM"), e.getMessage());
    }

    @Test
    void readsANiftiFileWithoutTheUsualNameByItsContent() throws IOException {
        Volume v = Volume.zeros(Geometry.axisAligned(new int[] {4, 5, 6}, new double[] {1, 1, 1}, new double[] {0, 0, 0}));
        Path nii = tmp.resolve("x.nii");
        NiftiWriter.write(v, nii);
        Path odd = tmp.resolve("volume.bin");
        Files.copy(nii, odd);
        assertEquals(LoadedVolume.Format.NIFTI, VolumeReader.read(odd, null).format());
    }

    @Test
    void readsADicomFileAndFolder() throws IOException {
        org.voxellens.testing.RequiredTools.file(MR_SMALL, "python3-pydicom");
        LoadedVolume f = VolumeReader.read(MR_SMALL, null);
        assertEquals(LoadedVolume.Format.DICOM, f.format());
        assertTrue(f.dicom().isPresent() && f.nifti().isEmpty());
        assertEquals(64, f.volume().geometry().nx());
        Path dir = tmp.resolve("d");
        Files.createDirectories(dir.resolve("x"));
        Files.copy(MR_SMALL, dir.resolve("x/one"));
        LoadedVolume d = VolumeReader.read(dir, null);
        assertEquals(LoadedVolume.Format.DICOM, d.format());
        assertTrue(d.displayName().startsWith("DICOM series"), d.displayName());
        assertTrue(d.message().isEmpty());
        assertEquals(1, DicomFolder.list(dir).size());
    }

    @Test
    void aMissingPathIsOneLine() {
        IOException e = assertThrows(IOException.class, () -> VolumeReader.read(tmp.resolve("nope"), null));
        assertTrue(e.getMessage().endsWith("no such file or folder"), e.getMessage());
    }
}
