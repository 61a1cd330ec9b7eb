package org.voxellens.xai.attribution;

import java.util.Arrays;
import org.voxellens.volumetric.GaussianBlur;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;
import org.voxellens.xai.runtime.Tensor;

/** Reference inputs shared by attribution methods and metrics (IG's path start, deletion's fill value). */
public final class Baselines {

    private Baselines() {}

    /**
     * Each channel of {@code x} ({@code [1, C, z, y, x]}) smoothed with a Gaussian of {@code sigmaVoxels} model
     * voxels: keeps the overall intensity and removes the structure a lesion adds.
     */
    public static Tensor blurred(Tensor x, double sigmaVoxels) {
        long[] s = x.shape();
        int c = (int) s[1];
        int[] dims = {(int) s[4], (int) s[3], (int) s[2]};
        int per = x.size() / c;
        float[] out = new float[x.size()];
        Geometry unit = Geometry.axisAligned(dims, new double[] {1, 1, 1}, new double[] {0, 0, 0});
        for (int k = 0; k < c; k++) {
            float[] ch = Arrays.copyOfRange(x.data(), k * per, (k + 1) * per);
            System.arraycopy(GaussianBlur.blur(new Volume(unit, ch), sigmaVoxels).data(), 0, out, k * per, per);
        }
        return new Tensor(out, s);
    }
}
