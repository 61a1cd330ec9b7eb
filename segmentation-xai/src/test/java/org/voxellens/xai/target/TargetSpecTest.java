package org.voxellens.xai.target;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.voxellens.xai.runtime.Tensor;

class TargetSpecTest {

    @Test
    void predictedMaskIsTheArgmaxOfTheUnperturbedOutput() {
        // 3 classes, 4 voxels; ties go to the lower class, as torch.argmax
        Tensor out = new Tensor(new float[] {
            5, 0, 1, 1,
            1, 3, 1, 0,
            0, 4, 1, 2}, new long[] {1, 3, 1, 1, 4});
        OutputHead head = OutputHead.create(OutputHead.Activation.SOFTMAX, 3, 0.5, java.util.List.of("a", "b", "c"));
        assertArrayEquals(new float[] {1, 0, 1, 0}, head.mask(out.data(), 0));
        assertArrayEquals(new float[] {0, 0, 0, 0}, head.mask(out.data(), 1));
        assertArrayEquals(new float[] {0, 1, 0, 1}, head.mask(out.data(), 2));
        assertArrayEquals(new float[] {0, 2, 0, 2}, head.labels(out.data()));
    }

    @Test
    void aOneChannelSigmoidHeadThresholdsItsProbabilityAndExplainsAbsenceByMinusTheLogit() {
        // before: argmax over one channel called every voxel class 0 and every volume p = 1
        float[] logits = {-3f, 0.5f, -0.1f, 2f};
        OutputHead head = OutputHead.create(OutputHead.Activation.SIGMOID, 1, 0.5, java.util.List.of("background", "lesion"));
        assertArrayEquals(new float[] {0, 1, 0, 1}, head.mask(logits, 1));
        assertArrayEquals(new float[] {1, 0, 1, 0}, head.mask(logits, 0));
        assertArrayEquals(new float[] {0, 1, 0, 1}, head.labels(logits));
        assertEquals(0, head.channel(1));
        assertEquals(0, head.channel(0));
        assertTrue(head.negated(0));
        OutputHead strict = OutputHead.create(OutputHead.Activation.SIGMOID, 1, 0.8, java.util.List.of("background", "lesion"));
        assertArrayEquals(new float[] {0, 0, 0, 1}, strict.mask(logits, 1), "p > 0.8 only where the logit > log 4");
        java.util.Map<String, Double> p = head.probabilities(new float[] {-2f});
        assertEquals(1 / (1 + Math.exp(2)), p.get("lesion"), 1e-12);
        assertEquals(1 - 1 / (1 + Math.exp(2)), p.get("background"), 1e-12);
        assertEquals(0, head.predictedClass(new float[] {-2f}));
        assertEquals(1, head.predictedClass(new float[] {0.3f}));
    }

    @Test
    void aMultiLabelSigmoidHeadLabelsTheMostLikelyPresentClass() {
        // 2 channels (e.g. tumour core, whole tumour), 3 voxels
        float[] logits = {-1f, 2f, 3f, /* ch 1 */ -2f, 1f, 4f};
        OutputHead head = OutputHead.create(OutputHead.Activation.SIGMOID, 2, 0.5, java.util.List.of("none", "core", "whole"));
        assertArrayEquals(new float[] {0, 1, 2}, head.labels(logits));
        assertArrayEquals(new float[] {0, 1, 1}, head.mask(logits, 2), "classes of a multi-label head overlap");
        assertThrows(IllegalArgumentException.class, () -> head.channel(0));
    }

    @Test
    void segmentationDescriptionsSayWhatIsSummed() {
        SegmentationTarget t = new SegmentationTarget(1, "lesion", SegmentationTarget.Region.PREDICTED, new float[] {1}, 1);
        assertTrue(t.describe().contains("predicted mask"));
        assertEquals("segmentation_predicted", t.parameters().get("type"));
    }
}
