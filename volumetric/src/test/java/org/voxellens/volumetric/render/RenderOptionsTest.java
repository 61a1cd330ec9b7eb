package org.voxellens.volumetric.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.voxellens.volumetric.Interpolation;

class RenderOptionsTest {

    @Test
    void defaults() {
        RenderOptions o = RenderOptions.defaults();
        assertSame(ColorMap.FIRE, o.colorMap());
        assertEquals(0.5, o.opacity());
        assertEquals(0.2, o.threshold());
        assertEquals("", o.title());
        assertFalse(o.signed());
        assertTrue(o.crosshair());
        assertEquals(99.9, o.robustPercentile());
        assertEquals(Interpolation.LINEAR, o.interpolation());
    }

    @Test
    void signedMapsDefaultToADivergingMapUnlessOneIsChosen() {
        assertSame(ColorMap.COOLWARM, RenderOptions.builder().signed(true).build().colorMap());
        assertSame(ColorMap.BWR, RenderOptions.builder().signed(true).colorMap("bwr").build().colorMap());
    }

    @Test
    void toBuilderDerivesWithoutChangingTheOriginal() {
        RenderOptions a = RenderOptions.builder().title("IG").opacity(0.7).colorMap(ColorMap.JET).build();
        RenderOptions b = a.toBuilder().threshold(0.5).build();
        assertEquals("IG", b.title());
        assertEquals(0.7, b.opacity());
        assertSame(ColorMap.JET, b.colorMap());
        assertEquals(0.5, b.threshold());
        assertEquals(0.2, a.threshold());
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> RenderOptions.builder().opacity(1.5).build());
        assertThrows(IllegalArgumentException.class, () -> RenderOptions.builder().threshold(1).build());
        assertThrows(IllegalArgumentException.class, () -> RenderOptions.builder().panelSize(8).build());
        assertThrows(IllegalArgumentException.class, () -> RenderOptions.builder().robustPercentile(0).build());
        assertThrows(IllegalArgumentException.class, () -> RenderOptions.builder().colorMap("rainbowz"));
    }
}
