package org.voxellens.xai.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

class PreprocessingTest {

    private static Volume vol(float... v) {
        return new Volume(Geometry.axisAligned(new int[] {v.length, 1, 1}, new double[] {1, 1, 1}, new double[3]), v);
    }

    @Test
    void zeroMeanUnitVariancePerSample() {
        Volume out = Preprocessing.apply(List.of(new PreprocessingStep("zero_mean_unit_variance", Map.of("mode", "per_sample"))),
            vol(1, 2, 3, 4));
        // mean 2.5, population std sqrt(1.25)
        assertEquals(-1.5 / Math.sqrt(1.25), out.data()[0], 1e-5);
        assertEquals(1.5 / Math.sqrt(1.25), out.data()[3], 1e-5);
    }

    @Test
    void fixedMeanAndStd() {
        Volume out = Preprocessing.apply(List.of(new PreprocessingStep("zero_mean_unit_variance",
            Map.of("mode", "fixed", "mean", 10.0, "std", 2.0))), vol(10, 14));
        assertEquals(0, out.data()[0], 1e-5);
        assertEquals(2, out.data()[1], 1e-5);
    }

    @Test
    void scaleLinearThenClip() {
        Volume out = Preprocessing.apply(List.of(new PreprocessingStep("scale_linear", Map.of("gain", 2.0, "offset", 1.0)),
            new PreprocessingStep("clip", Map.of("min", 0.0, "max", 5.0))), vol(-3, 1, 4));
        assertEquals(0, out.data()[0]);
        assertEquals(3, out.data()[1]);
        assertEquals(5, out.data()[2]);
    }

    @Test
    void unknownStepIsRefusedNotSkipped() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> Preprocessing.apply(List.of(new PreprocessingStep("sigmoid", Map.of())), vol(1)));
        assertEquals(true, e.getMessage().contains("sigmoid"));
    }
}
