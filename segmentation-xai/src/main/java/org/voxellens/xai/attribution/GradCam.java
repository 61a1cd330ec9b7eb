package org.voxellens.xai.attribution;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Interpolation;
import org.voxellens.volumetric.Resampler;
import org.voxellens.volumetric.Volume;
import org.voxellens.xai.model.GradCamLayer;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.Target;

/**
 * Grad-CAM (Selvaraju et al. 2017) and Grad-CAM++ (Chattopadhyay et al. 2018) on a 3D layer: channel weights from
 * the score's gradient at the layer, a ReLU'd weighted sum of the activations, upsampled trilinearly to the model
 * input (align_corners=False semantics, as torch.nn.functional.interpolate; done by the project's one resampler on
 * a layer grid that covers the same field of view).
 *
 * <p>Grad-CAM++ uses pytorch-grad-cam's closed form for the alphas (second and third powers of the gradient),
 * without the exponential of the score.
 */
public final class GradCam implements SinglePassMethod {

    private final boolean plusPlus;
    private final String layerName;

    public GradCam(boolean plusPlus, String layerName) {
        this.plusPlus = plusPlus;
        this.layerName = layerName;
    }

    @Override
    public String id() { return plusPlus ? "gradcampp" : "gradcam"; }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("layer", layerName == null ? "(model default)" : layerName);
        p.put("upsampling", "trilinear, align_corners=false");
        return p;
    }

    @Override
    public List<Attribution> explainBatch(TorchModel model, Tensor batch, Target target) {
        GradCamLayer layer = model.modelPackage().gradCamLayer(layerName);
        TorchModel.LayerGradients lg = model.layerGradients(batch, target, layer);
        Gradients.checkFinite(id(), lg.gradients());
        List<Attribution> out = new ArrayList<>();
        for (int b = 0; b < batch.dim(0); b++) {
            Tensor acts = lg.activations().sample(b), grads = lg.gradients().sample(b);
            Tensor cam = plusPlus ? camPlusPlus(acts, grads) : cam(acts, grads);
            Tensor up = upsample(cam, batch.sample(b));
            Map<String, Object> diag = new LinkedHashMap<>();
            diag.put("layer", layer.name());
            diag.put("layer_shape", Arrays.toString(acts.shape()));
            float max = 0;
            for (float f : cam.data()) max = Math.max(max, f);
            diag.put("raw_max", max);
            // A map that is zero everywhere means every channel pushed the score down: worth telling, not hiding.
            diag.put("all_zero", max == 0f);
            if (!plusPlus) diag.put("channel_weight_ratio", channelWeightRatio(grads));
            diag.put("score", lg.scores()[b]);
            out.add(new Attribution(id(), up, false, diag));
        }
        return out;
    }

    /**
     * The largest Grad-CAM channel weight (the channel mean of the gradient) relative to the largest channel's mean
     * gradient magnitude. Near 0 the gradients average out over every channel: a normalisation right after the layer
     * (InstanceNorm subtracts each channel's mean, so d score / d activation sums to zero over it) leaves Grad-CAM
     * only float noise, although Grad-CAM++ and the gradient itself are large.
     */
    static double channelWeightRatio(Tensor gradients) {
        int c = (int) gradients.dim(1);
        int n = gradients.sampleSize() / c;
        float[] g = gradients.data();
        double maxW = 0, maxAbs = 0;
        for (int k = 0; k < c; k++) {
            double s = 0, a = 0;
            for (int v = 0; v < n; v++) {
                s += g[k * n + v];
                a += Math.abs(g[k * n + v]);
            }
            maxW = Math.max(maxW, Math.abs(s / n));
            maxAbs = Math.max(maxAbs, a / n);
        }
        return maxAbs == 0 ? 0 : maxW / maxAbs;
    }

    /** Grad-CAM at the layer's resolution, {@code [1, 1, d, h, w]}. */
    public static Tensor cam(Tensor activations, Tensor gradients) {
        int c = (int) activations.dim(1);
        int n = activations.sampleSize() / c;
        float[] g = gradients.data();
        double[] w = new double[c];
        for (int k = 0; k < c; k++) {
            double s = 0;
            for (int v = 0; v < n; v++) s += g[k * n + v];
            w[k] = s / n;
        }
        return weightedSum(activations, w);
    }

    /** Grad-CAM++ at the layer's resolution, {@code [1, 1, d, h, w]}. */
    public static Tensor camPlusPlus(Tensor activations, Tensor gradients) {
        int c = (int) activations.dim(1);
        int n = activations.sampleSize() / c;
        float[] a = activations.data(), g = gradients.data();
        double[] w = new double[c];
        for (int k = 0; k < c; k++) {
            double sumA = 0;
            for (int v = 0; v < n; v++) sumA += a[k * n + v];
            double wk = 0;
            for (int v = 0; v < n; v++) {
                double gv = g[k * n + v];
                if (gv == 0) continue;
                double g2 = gv * gv;
                double alpha = g2 / (2 * g2 + sumA * g2 * gv + 1e-7);
                wk += alpha * Math.max(0, gv);
            }
            w[k] = wk;
        }
        return weightedSum(activations, w);
    }

    private static Tensor weightedSum(Tensor activations, double[] w) {
        int c = w.length;
        int n = activations.sampleSize() / c;
        float[] a = activations.data();
        float[] out = new float[n];
        for (int v = 0; v < n; v++) {
            double s = 0;
            for (int k = 0; k < c; k++) s += w[k] * a[k * n + v];
            out[v] = (float) Math.max(0, s);
        }
        long[] sh = activations.shape();
        return new Tensor(out, new long[] {1, 1, sh[2], sh[3], sh[4]});
    }

    /** Trilinear upsampling of a layer map {@code [1, 1, d, h, w]} onto the spatial grid of {@code like}. */
    public static Tensor upsample(Tensor layerMap, Tensor like) {
        long[] ls = layerMap.shape(), is = like.shape();
        int[] inDims = {(int) is[4], (int) is[3], (int) is[2]};
        int[] layerDims = {(int) ls[4], (int) ls[3], (int) ls[2]};
        Geometry input = Geometry.axisAligned(inDims, new double[] {1, 1, 1}, new double[] {0, 0, 0});
        double[] layerSpacing = new double[3];
        for (int a = 0; a < 3; a++) layerSpacing[a] = (double) inDims[a] / layerDims[a];
        Geometry layerGrid = input.recentered(layerDims, layerSpacing);
        Volume up = Resampler.resample(new Volume(layerGrid, layerMap.data()), input, Interpolation.LINEAR, 0f);
        return new Tensor(up.data(), new long[] {1, 1, is[2], is[3], is[4]});
    }
}
