package org.voxellens.xai.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.voxellens.xai.runtime.Tensor;

/** Formula checks on hand-sized tensors; the full comparison against PyTorch is in the validation module. */
class GradCamTest {

    @Test
    void camWeighsChannelsByMeanGradientAndRectifies() {
        // 2 channels, 1x1x2 spatial
        Tensor a = new Tensor(new float[] {1, 2, 3, -4}, new long[] {1, 2, 1, 1, 2});
        Tensor g = new Tensor(new float[] {1, 3, -1, -1}, new long[] {1, 2, 1, 1, 2});
        // w = (2, -1); cam = relu(2*[1,2] - [3,-4]) = relu([-1, 8])
        Tensor cam = GradCam.cam(a, g);
        assertArrayEquals(new long[] {1, 1, 1, 1, 2}, cam.shape());
        assertArrayEquals(new float[] {0, 8}, cam.data(), 1e-6f);
    }

    @Test
    void camPlusPlusMatchesTheClosedForm() {
        Tensor a = new Tensor(new float[] {1, 3}, new long[] {1, 1, 1, 1, 2});
        Tensor g = new Tensor(new float[] {0.5f, -2}, new long[] {1, 1, 1, 1, 2});
        double sumA = 4;
        double alpha0 = 0.25 / (2 * 0.25 + sumA * 0.125 + 1e-7);
        double w = alpha0 * 0.5; // the negative gradient contributes nothing through relu
        Tensor cam = GradCam.camPlusPlus(a, g);
        assertEquals(w * 1, cam.data()[0], 1e-6);
        assertEquals(w * 3, cam.data()[1], 1e-6);
    }

    @Test
    void upsamplingIsTrilinearWithAlignCornersFalse() {
        // 1D along x: [0, 4] upsampled x2 -> torch interpolate(align_corners=False) gives [0, 1, 3, 4]
        Tensor layer = new Tensor(new float[] {0, 4}, new long[] {1, 1, 1, 1, 2});
        Tensor like = Tensor.zeros(1, 1, 1, 1, 4);
        assertArrayEquals(new float[] {0, 1, 3, 4}, GradCam.upsample(layer, like).data(), 1e-6f);
    }
}
