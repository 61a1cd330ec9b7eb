package org.voxellens.volumetric.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngTest {

    static BufferedImage sample(int rgb) {
        BufferedImage img = new BufferedImage(5, 3, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 3; y++) for (int x = 0; x < 5; x++) img.setRGB(x, y, rgb + x * 10 + y);
        return img;
    }

    @Test
    void encodesLosslessly() throws IOException {
        BufferedImage img = sample(0x102030);
        BufferedImage back = ImageIO.read(new ByteArrayInputStream(Png.encode(img)));
        for (int y = 0; y < 3; y++) for (int x = 0; x < 5; x++) assertEquals(img.getRGB(x, y), back.getRGB(x, y));
    }

    @Test
    void writesIntoPlaceReplacingAndLeavesNoTemporaryFiles(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("sub/figure.png");
        Png.write(sample(0x000000), target);
        Png.write(sample(0x405060), target);
        assertEquals(0x405060, ImageIO.read(target.toFile()).getRGB(0, 0) & 0xffffff);
        try (Stream<Path> files = Files.list(target.getParent())) {
            assertEquals(1, files.count());
        }
        assertTrue(Files.size(target) > 0);
    }
}
