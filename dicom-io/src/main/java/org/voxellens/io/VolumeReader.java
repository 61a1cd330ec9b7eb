package org.voxellens.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

import org.voxellens.io.dicom.DicomException;
import org.voxellens.io.dicom.DicomSeriesReader;
import org.voxellens.io.dicom.DicomVolume;
import org.voxellens.io.nifti.NiftiImage;
import org.voxellens.io.nifti.NiftiReader;

/**
 * The one entry point for inputs: a NIfTI file (.nii, .nii.gz, .hdr/.img), a DICOM file, or a folder of DICOM
 * files (searched recursively). Nothing is printed: messages for the user come back in the result.
 */
public final class VolumeReader {

    private VolumeReader() {
    }

    /**
     * @param path           a NIfTI file, a DICOM file or a folder holding DICOM files
     * @param seriesSelector DICOM only: a SeriesInstanceUID or Series Number; null or blank takes the only series,
     *                       or the largest 3D one (and says so in {@link LoadedVolume#message()})
     * @throws IOException   (a {@link org.voxellens.io.nifti.NiftiException} or {@link DicomException}) with a
     *                       one-line message naming the file and the problem
     */
    public static LoadedVolume read(Path path, String seriesSelector) throws IOException {
        if (!Files.exists(path)) throw new DicomException(path, "no such file or folder");
        if (Files.isRegularFile(path) && (isNiftiName(path) || (!isDicomFile(path) && looksLikeNifti(path)))) {
            if (seriesSelector != null && !seriesSelector.isBlank()) {
                throw new DicomException(path, "a series (" + seriesSelector.strip() + ") can only be chosen in DICOM "
                    + "input; this is a NIfTI file");
            }
            NiftiImage img = NiftiReader.read(path);
            String name = path.getFileName().toString();
            Optional<String> msg = img.volumeCount() > 1
                ? Optional.of(name + " holds " + img.volumeCount() + " volumes; using the first")
                : Optional.empty();
            return new LoadedVolume(img.volume(), name, LoadedVolume.Format.NIFTI, Optional.empty(), Optional.of(img), msg);
        }
        DicomVolume dv = DicomSeriesReader.read(path, seriesSelector);
        Optional<String> msg = dv.warnings().isEmpty() ? Optional.empty()
            : Optional.of(String.join(System.lineSeparator(), dv.warnings()));
        return new LoadedVolume(dv.volume(), dv.displayName(), LoadedVolume.Format.DICOM, Optional.of(dv),
            Optional.empty(), msg);
    }

    static boolean isNiftiName(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".nii") || n.endsWith(".nii.gz") || n.endsWith(".hdr") || n.endsWith(".img")
            || n.endsWith(".hdr.gz") || n.endsWith(".img.gz");
    }

    private static boolean isDicomFile(Path p) {
        byte[] b = head(p, 132);
        return b.length == 132 && b[128] == 'D' && b[129] == 'I' && b[130] == 'C' && b[131] == 'M';
    }

    /** A NIfTI-1 (348) or NIfTI-2 (540) header size in either byte order, possibly gzipped. */
    private static boolean looksLikeNifti(Path p) {
        byte[] b = head(p, 4);
        if (b.length < 4) return false;
        if ((b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b) return true;
        int le = (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
        int be = (b[3] & 0xff) | (b[2] & 0xff) << 8 | (b[1] & 0xff) << 16 | (b[0] & 0xff) << 24;
        return le == 348 || le == 540 || be == 348 || be == 540;
    }

    private static byte[] head(Path p, int n) {
        try (InputStream in = Files.newInputStream(p)) {
            return in.readNBytes(n);
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
