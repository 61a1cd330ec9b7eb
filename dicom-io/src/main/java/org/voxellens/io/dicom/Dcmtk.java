package org.voxellens.io.dicom;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** dcmtk's command-line decompressors (dcmdjpls, dcmdjpeg), used for what PixelMed cannot decode. */
final class Dcmtk {

    private Dcmtk() {
    }

    /**
     * Where dcmtk is looked for: the system property {@code voxellens.dcmtk.path} (a PATH-like list; tests set it
     * to an empty folder to see the message users without dcmtk get), else $PATH.
     */
    static final String PATH_PROPERTY = "voxellens.dcmtk.path";

    /** The executable, or null. */
    static Path find(String tool) {
        String path = System.getProperty(PATH_PROPERTY, System.getenv("PATH"));
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, tool);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    /**
     * Decompresses {@code file} to a temporary file in Explicit VR Little Endian (the caller deletes it).
     *
     * @throws DicomException when the tool is missing or fails, naming the transfer syntax
     */
    static Path decompress(Path file, String transferSyntax) throws DicomException {
        String tool = TransferSyntaxes.dcmtkDecoder(transferSyntax);
        String ts = TransferSyntaxes.describe(transferSyntax);
        if (tool == null) {
            throw new DicomException(file, "pixel data in transfer syntax " + ts + " cannot be decoded");
        }
        Path exe = find(tool);
        if (exe == null) {
            throw new DicomException(file, "pixel data in transfer syntax " + ts + " cannot be decoded by the Java "
                + "decoders; install dcmtk (apt-get install dcmtk) so that " + tool + " can decompress it");
        }
        Path out = null;
        try {
            out = Files.createTempFile("voxellens-", ".dcm");
            Process p = new ProcessBuilder(List.of(exe.toString(), "--write-xfer-little", file.toString(), out.toString()))
                .redirectErrorStream(true).start();
            byte[] log = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new DicomException(file, tool + " did not finish decompressing " + ts + " within 120 s");
            }
            if (p.exitValue() != 0) {
                String first = new String(log, StandardCharsets.UTF_8).strip().lines().findFirst().orElse("");
                throw new DicomException(file, tool + " could not decompress " + ts + " (exit " + p.exitValue()
                    + (first.isEmpty() ? "" : ": " + first) + ")");
            }
            Path done = out;
            out = null;
            return done;
        } catch (IOException e) {
            if (e instanceof DicomException de) throw de;
            throw new DicomException(file, "running " + tool + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DicomException(file, "interrupted while " + tool + " decompressed " + ts, e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }
}
