package org.voxellens.io.nifti;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.voxellens.io.nifti.NiftiAsserts.assertNiftiError;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/** A failed write leaves neither the target nor a temporary file behind, and never damages an existing file. */
class NiftiWriterAtomicityTest {

    @TempDir
    Path dir;

    private static Volume volume() {
        Geometry g = Geometry.axisAligned(new int[] {32, 32, 32}, new double[] {1, 1, 1}, new double[] {0, 0, 0});
        float[] v = new float[32 * 32 * 32];
        for (int i = 0; i < v.length; i++) v[i] = i;
        return new Volume(g, v);
    }

    /** Lets {@code limit} bytes through, then fails as a full disk would. */
    private static UnaryOperator<OutputStream> failAfter(long limit, boolean unchecked) {
        return out -> new FilterOutputStream(out) {
            long written;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (written + len > limit) {
                    if (unchecked) throw new IllegalStateException("simulated failure");
                    throw new IOException("No space left on device (simulated)");
                }
                written += len;
                out.write(b, off, len);
            }
        };
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void failureMidWriteLeavesNothing() throws IOException {
        for (String name : new String[] {"out.nii", "out.nii.gz"}) {
            Path f = dir.resolve(name);
            long limit = name.endsWith(".gz") ? 500 : 70_000; // well inside the data either way
            assertNiftiError(f, () -> NiftiWriter.write(volume(), f, NiftiWriteOptions.defaults(), failAfter(limit, false)),
                "write failed", "No space left");
            assertFalse(Files.exists(f));
            assertEquals(List.of(), listing(), "no temporary file left");
        }
    }

    @Test
    void uncheckedFailureMidWriteLeavesNothing() throws IOException {
        Path f = dir.resolve("out.nii");
        assertThrows(IllegalStateException.class,
            () -> NiftiWriter.write(volume(), f, NiftiWriteOptions.defaults(), failAfter(70_000, true)));
        assertEquals(List.of(), listing());
    }

    @Test
    void failureKeepsTheExistingFileIntact() throws IOException {
        Path f = dir.resolve("keep.nii");
        NiftiWriter.write(volume(), f);
        byte[] before = Files.readAllBytes(f);
        Volume other = volume().withData(new float[32 * 32 * 32]);
        assertThrows(NiftiException.class,
            () -> NiftiWriter.write(other, f, NiftiWriteOptions.defaults(), failAfter(1000, false)));
        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals(List.of("keep.nii"), listing());
    }

    @Test
    void successfulWriteReplacesAndLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("replace.nii.gz");
        NiftiWriter.write(volume(), f);
        NiftiWriter.write(volume().withData(new float[32 * 32 * 32]), f);
        assertEquals(List.of("replace.nii.gz"), listing());
        assertEquals(0f, NiftiReader.read(f).volume().max());
    }

    /** The final rename fails (the target is a directory) after all data was written: the temporary file goes. */
    @Test
    void failedRenameLeavesNoTemporaryFile() throws IOException {
        Path f = Files.createDirectory(dir.resolve("taken.nii"));
        Files.writeString(f.resolve("inside"), "x");
        assertNiftiError(f, () -> NiftiWriter.write(volume(), f), "write failed");
        assertEquals(List.of("taken.nii"), listing());
        assertTrue(Files.isDirectory(f));
    }

    @Test
    void badNameOrMissingDirectoryCreatesNothing() throws IOException {
        Path img = dir.resolve("out.img");
        assertNiftiError(img, () -> NiftiWriter.write(volume(), img), "must end in .nii or .nii.gz");
        Path missing = dir.resolve("no/such/dir/out.nii");
        assertNiftiError(missing, () -> NiftiWriter.write(volume(), missing), "temporary file");
        assertEquals(List.of(), listing());
    }
}
