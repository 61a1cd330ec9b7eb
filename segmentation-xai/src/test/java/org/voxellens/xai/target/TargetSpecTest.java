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
        assertArrayEquals(new float[] {1, 0, 1, 0}, TargetSpec.predictedMask(out, 0));
        assertArrayEquals(new float[] {0, 0, 0, 0}, TargetSpec.predictedMask(out, 1));
        assertArrayEquals(new float[] {0, 1, 0, 1}, TargetSpec.predictedMask(out, 2));
    }

    @Test
    void segmentationDescriptionsSayWhatIsSummed() {
        SegmentationTarget t = new SegmentationTarget(1, "lesion", SegmentationTarget.Region.PREDICTED, new float[] {1}, 1);
        assertTrue(t.describe().contains("predicted mask"));
        assertEquals("segmentation_predicted", t.parameters().get("type"));
    }
}
