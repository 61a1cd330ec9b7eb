package org.voxellens.volumetric.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ColorMapTest {

    static int rgb(int r, int g, int b) {
        return (r << 16) | (g << 8) | b;
    }

    @Test
    void fireMatchesImageJsInterpolatedTable() {
        ColorMap f = ColorMap.FIRE;
        assertEquals(rgb(0, 0, 0), f.rgbAt(0));
        assertEquals(rgb(0, 0, 30), f.rgbAt(4));      // half way to 61, truncated as ImageJ does
        assertEquals(rgb(0, 0, 61), f.rgbAt(8));
        assertEquals(rgb(0, 0, 78), f.rgbAt(12));     // (61 + 96) / 2 = 78.5
        assertEquals(rgb(255, 255, 251), f.rgbAt(247)); // 7/8 of the way from 223 to 255
        assertEquals(rgb(255, 255, 255), f.rgbAt(248));
        assertEquals(rgb(255, 255, 255), f.rgbAt(255));
    }

    @Test
    void matplotlibMapsHaveTheirKnownEnds() {
        assertEquals(rgb(0, 0, 128), ColorMap.JET.rgbAt(0));
        assertEquals(rgb(128, 0, 0), ColorMap.JET.rgbAt(255));
        assertEquals(0x440154, ColorMap.VIRIDIS.rgbAt(0));
        assertEquals(0xfde725, ColorMap.VIRIDIS.rgbAt(255));
        assertEquals(rgb(11, 0, 0), ColorMap.HOT.rgbAt(0));
        assertEquals(0xffffff, ColorMap.HOT.rgbAt(255));
        assertEquals(0x0000ff, ColorMap.BWR.rgbAt(0));
        assertEquals(0xff0000, ColorMap.BWR.rgbAt(255));
        assertEquals(0xfffefe, ColorMap.BWR.rgbAt(128)); // 128/255 is just past the white centre
        for (int i = 0; i < 256; i++) assertEquals(i * 0x010101, ColorMap.GRAYS.rgbAt(i));
    }

    @Test
    void positionsAreClamped() {
        assertEquals(ColorMap.JET.rgbAt(0), ColorMap.JET.rgb(-3));
        assertEquals(ColorMap.JET.rgbAt(0), ColorMap.JET.rgb(Double.NaN));
        assertEquals(ColorMap.JET.rgbAt(255), ColorMap.JET.rgb(7));
        assertEquals(ColorMap.JET.rgbAt(128), ColorMap.JET.rgb(0.5));
    }

    @Test
    void lookupIsCaseInsensitiveAndErrorsListKnownNames() {
        assertSame(ColorMap.FIRE, ColorMap.byName("Fire"));
        assertSame(ColorMap.VIRIDIS, ColorMap.byName(" VIRIDIS "));
        assertEquals(List.of("fire", "jet", "hot", "viridis", "grays", "coolwarm", "bwr"), ColorMap.names());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ColorMap.byName("firee"));
        for (String n : ColorMap.names()) assertTrue(e.getMessage().contains(n), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ColorMap.byName(null));
    }
}
