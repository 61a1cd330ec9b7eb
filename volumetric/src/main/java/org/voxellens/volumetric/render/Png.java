package org.voxellens.volumetric.render;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.voxellens.volumetric.AtomicFiles;

/** PNG encoding, and writing that never leaves a half-written figure for a report or viewer to pick up. */
public final class Png {

    private Png() {}

    public static byte[] encode(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", out)) throw new IllegalStateException("no PNG writer available");
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory stream: cannot happen
        }
        return out.toByteArray();
    }

    /** Writes to a temporary file beside {@code target}, then moves it into place (atomically where supported). */
    public static void write(BufferedImage image, Path target) throws IOException {
        byte[] png = encode(image);
        AtomicFiles.write(target, tmp -> Files.write(tmp, png));
    }
}
