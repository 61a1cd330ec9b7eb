package org.voxellens.volumetric.render;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FigureLayoutTest {

    @Test
    void tickLabelsHaveThreeSignificantDigits() {
        assertEquals("0", FigureLayout.format(0));
        assertEquals("1", FigureLayout.format(1));
        assertEquals("0.5", FigureLayout.format(0.5));
        assertEquals("-0.123", FigureLayout.format(-0.12345));
        assertEquals("1230", FigureLayout.format(1234.5));
        assertEquals("1.23e-04", FigureLayout.format(1.234e-4));
        assertEquals("2.00e+06", FigureLayout.format(2e6));
    }
}
