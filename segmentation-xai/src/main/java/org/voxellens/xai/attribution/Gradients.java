package org.voxellens.xai.attribution;

import org.voxellens.xai.runtime.Tensor;

/** Reductions shared by the gradient methods: from {@code [1, C, z, y, x]} to one map {@code [1, 1, z, y, x]}. */
final class Gradients {

    private Gradients() {}

    /** Sum over input channels (signed methods: a voxel's total contribution). */
    static Tensor sumChannels(Tensor t) {
        return reduce(t, false);
    }

    /** Largest magnitude over input channels (saliency, as Simonyan et al.). */
    static Tensor maxAbsChannels(Tensor t) {
        return reduce(t, true);
    }

    private static Tensor reduce(Tensor t, boolean maxAbs) {
        int c = (int) t.dim(1);
        int n = t.sampleSize() / c;
        float[] d = t.data();
        float[] out = new float[n];
        for (int v = 0; v < n; v++) {
            float acc = maxAbs ? Math.abs(d[v]) : d[v];
            for (int k = 1; k < c; k++) {
                float x = d[k * n + v];
                acc = maxAbs ? Math.max(acc, Math.abs(x)) : acc + x;
            }
            out[v] = acc;
        }
        long[] s = t.shape();
        return new Tensor(out, new long[] {1, 1, s[2], s[3], s[4]});
    }

    /** |t|, element-wise (saliency's per-channel maps). */
    static Tensor abs(Tensor t) {
        float[] d = t.data(), out = new float[d.length];
        for (int i = 0; i < d.length; i++) out[i] = Math.abs(d[i]);
        return new Tensor(out, t.shape());
    }

    static Tensor multiply(Tensor a, Tensor b) {
        float[] x = a.data(), y = b.data(), out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] * y[i];
        return new Tensor(out, a.shape());
    }

    /** Sums over samples: NaN or Inf in any sample's gradient ends up here. */
    static void checkFinite(String method, double[] sums) {
        for (double d : sums) {
            if (!Double.isFinite(d)) {
                throw new IllegalStateException(method + ": the model produced non-finite gradients (NaN or Inf)");
            }
        }
    }

    static void checkFinite(String method, Tensor t) {
        for (float f : t.data()) {
            if (!Float.isFinite(f)) {
                throw new IllegalStateException(method + ": the model produced non-finite gradients (NaN or Inf)");
            }
        }
    }
}
