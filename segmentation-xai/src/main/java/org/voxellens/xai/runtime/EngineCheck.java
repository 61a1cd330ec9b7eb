package org.voxellens.xai.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The engine's known-answer test: tiny networks of 3D convolutions, run forward and backward by the engine on the
 * device in use, against the exact answer computed here in double precision. The networks are linear (no
 * activation), so the input gradient is the transposed network applied to the score weights: exact, and the same
 * for every input and every sample of a batch, with no ReLU kink that rounding could flip. The shapes are ones
 * that exposed wrong oneDNN kernels (batch 1, 3 and 4; a kernel as large as its input, whose forward oneDNN runs
 * as an inner product; a stride-2 layer; a 19-channel layer), each run {@link #REPEATS} times because the wrong kernels gave a
 * different answer on each call.
 */
public final class EngineCheck {

    /** Relative tolerance: float32 sums of at most 513 products against double. Correct engines give ≲ 1e-6. */
    public static final double TOLERANCE = 1e-5;
    static final int REPEATS = 3;

    /** One convolution: channels in and out, cubic kernel, stride, padding. */
    record Layer(int in, int out, int kernel, int stride, int pad) {
        int outSize(int n) { return (n + 2 * pad - kernel) / stride + 1; }
    }

    /** A network of layers on an n³ single-channel input, run at the given batch size. */
    record Net(String name, int size, int batch, List<Layer> layers) {}

    static final List<Net> NETS = List.of(
        new Net("1 convolution, kernel 8 on 8^3", 8, 1, List.of(new Layer(1, 2, 8, 1, 0))),
        new Net("1 convolution, kernel 8 on 8^3", 8, 3, List.of(new Layer(1, 2, 8, 1, 0))),
        new Net("3 convolutions on 16^3 (one stride 2)", 16, 1,
            List.of(new Layer(1, 8, 3, 1, 1), new Layer(8, 16, 3, 2, 1), new Layer(16, 16, 3, 1, 1))),
        new Net("3 convolutions on 16^3 (one stride 2)", 16, 4,
            List.of(new Layer(1, 8, 3, 1, 1), new Layer(8, 16, 3, 2, 1), new Layer(16, 16, 3, 1, 1))),
        new Net("2 convolutions on 8^3", 8, 4, List.of(new Layer(1, 4, 3, 1, 1), new Layer(4, 8, 3, 1, 1))),
        new Net("3 convolutions with 19 channels on 12^3", 12, 4,
            List.of(new Layer(1, 8, 3, 1, 1), new Layer(8, 19, 3, 1, 1), new Layer(19, 32, 3, 1, 1))));

    /** How one network fared: the largest relative errors of the scores and of the input gradients over all repeats. */
    public record NetResult(String name, int batch, int repeats, double scoreError, double gradientError) {
        public boolean passed() { return scoreError <= TOLERANCE && gradientError <= TOLERANCE; }

        public String describe() {
            return "'" + name + "' at batch " + batch + ": input gradients off by " + fmt(gradientError)
                + ", scores by " + fmt(scoreError) + " (relative, tolerance " + fmt(TOLERANCE) + ")";
        }
    }

    /** Every network's result, with the kernels the backward passes used. */
    public record Result(ConvolutionKernels.Kernels kernels, String device, List<NetResult> nets, double seconds) {
        /** The kernels' name; on a GPU convolutions are cuDNN's whatever the CPU setting. */
        public String label() { return device.startsWith("gpu") ? "cuDNN (float32, TF32 off)" : kernels.label(); }

        public boolean passed() { return nets.stream().allMatch(NetResult::passed); }

        /** The worst failing network, or the worst of all when every one passed. */
        public NetResult worst() {
            return nets.stream().filter(n -> !n.passed()).findFirst()
                .orElse(nets.stream().max((a, b) -> Double.compare(a.gradientError(), b.gradientError())).orElseThrow());
        }
    }

    private EngineCheck() {}

    /** Runs every network on the device with the backward kernels chosen now. */
    static Result run(NDManager root, Device device) {
        long t0 = System.nanoTime();
        List<NetResult> results = new ArrayList<>();
        long seed = 20261203;
        for (Net net : NETS) {
            results.add(run(root, device, net, seed++));
        }
        return new Result(ConvolutionKernels.current(), device.toString(), List.copyOf(results), (System.nanoTime() - t0) / 1e9);
    }

    static NetResult run(NDManager root, Device device, Net net, long seed) {
        Exact exact = new Exact(net, seed);
        double scoreErr = 0;
        double gradErr = 0;
        for (int r = 0; r < REPEATS; r++) {
            Measured m = measure(root, device, net, exact);
            scoreErr = Math.max(scoreErr, exact.scoreError(m.scores));
            gradErr = Math.max(gradErr, exact.gradientError(m.gradients));
        }
        return new NetResult(net.name(), net.batch(), REPEATS, scoreErr, gradErr);
    }

    private record Measured(float[] scores, float[] gradients) {}

    private static Measured measure(NDManager root, Device device, Net net, Exact exact) {
        int n = net.size();
        boolean grad = JniUtils.isGradMode();
        try (NDManager m = root.newSubManager(device)) {
            JniUtils.setGradMode(true);
            NDArray x = m.create(exact.input, new Shape(net.batch(), 1, n, n, n));
            x.setRequiresGradient(true);
            NDArray h = x;
            int size = n;
            for (int i = 0; i < net.layers().size(); i++) {
                Layer l = net.layers().get(i);
                NDArray w = m.create(exact.weights.get(i), new Shape(l.out(), l.in(), l.kernel(), l.kernel(), l.kernel()));
                NDArray b = m.zeros(new Shape(l.out()));
                h = Conv3d.conv3d(h, w, b, new Shape(l.stride(), l.stride(), l.stride()), new Shape(l.pad(), l.pad(), l.pad()),
                    new Shape(1, 1, 1), 1).singletonOrThrow();
                size = l.outSize(size);
            }
            Layer last = net.layers().get(net.layers().size() - 1);
            NDArray a = m.create(exact.scoreWeights, new Shape(1, last.out(), size, size, size));
            NDArray scores = h.mul(a).sum(new int[] {1, 2, 3, 4});
            NDArray total = scores.sum();
            JniUtils.backward((PtNDArray) total, (PtNDArray) total.onesLike(), false, false);
            return new Measured(scores.toFloatArray(), x.getGradient().toFloatArray());
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** The network's weights, inputs and score weights (seeded), and its exact scores and input gradient. */
    static final class Exact {
        final float[] input;
        final List<float[]> weights = new ArrayList<>();
        final float[] scoreWeights;
        final double[] scores;
        final double[] gradient; // one sample's; identical for every sample (the network is linear)
        private final int batch;
        private final Net net;
        private final List<int[]> sizes;

        Exact(Net net, long seed) {
            Random rnd = new Random(seed);
            int n = net.size();
            int voxels = n * n * n;
            this.batch = net.batch();
            input = new float[batch * voxels];
            for (int i = 0; i < input.length; i++) input[i] = (float) rnd.nextGaussian();
            int size = n;
            List<int[]> sizes = new ArrayList<>();
            for (Layer l : net.layers()) {
                float[] w = new float[l.out() * l.in() * l.kernel() * l.kernel() * l.kernel()];
                double scale = 1 / Math.sqrt(l.in() * l.kernel() * l.kernel() * l.kernel());
                for (int i = 0; i < w.length; i++) w[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
                weights.add(w);
                sizes.add(new int[] {size, l.outSize(size)});
                size = l.outSize(size);
            }
            Layer last = net.layers().get(net.layers().size() - 1);
            scoreWeights = new float[last.out() * size * size * size];
            for (int i = 0; i < scoreWeights.length; i++) scoreWeights[i] = (float) rnd.nextGaussian();

            this.net = net;
            this.sizes = List.copyOf(sizes);
            double[] g = new double[scoreWeights.length];
            for (int i = 0; i < g.length; i++) g[i] = scoreWeights[i];
            for (int li = net.layers().size() - 1; li >= 0; li--) {
                g = backward(net.layers().get(li), weights.get(li), g, sizes.get(li)[0], sizes.get(li)[1]);
            }
            gradient = g;
            // linear and without bias: score(x) = gradient . x exactly, far cheaper than a forward per sample
            // (the test checks the gradient against differences of score(), which runs the forward)
            scores = new double[batch];
            for (int b = 0; b < batch; b++) {
                double sc = 0;
                for (int i = 0; i < voxels; i++) sc += gradient[i] * input[b * voxels + i];
                scores[b] = sc;
            }
        }

        /** The exact score of one sample (n³ values) through this network's weights. */
        double score(float[] sample) {
            double[] h = new double[sample.length];
            for (int i = 0; i < h.length; i++) h[i] = sample[i];
            for (int li = 0; li < net.layers().size(); li++) {
                h = forward(net.layers().get(li), weights.get(li), h, sizes.get(li)[0], sizes.get(li)[1]);
            }
            double s = 0;
            for (int i = 0; i < h.length; i++) s += h[i] * scoreWeights[i];
            return s;
        }

        double scoreError(float[] measured) {
            double err = 0;
            double scale = 0;
            for (int b = 0; b < batch; b++) {
                scale = Math.max(scale, Math.abs(scores[b]));
                err = Math.max(err, diff(measured[b], scores[b]));
            }
            return err / Math.max(scale, 1e-30);
        }

        double gradientError(float[] measured) {
            double err = 0;
            double scale = 0;
            for (double v : gradient) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < measured.length; i++) err = Math.max(err, diff(measured[i], gradient[i % gradient.length]));
            return err / Math.max(scale, 1e-30);
        }

        private static double diff(float measured, double exact) {
            return Float.isFinite(measured) ? Math.abs(measured - exact) : Double.POSITIVE_INFINITY;
        }

        /** out[o, p] = sum over i, k of w[o, i, k] in[i, p * stride - pad + k]. */
        private static double[] forward(Layer l, float[] w, double[] in, int n, int m) {
            double[] out = new double[l.out() * m * m * m];
            taps(l, w, n, m, (i, o, wv) -> out[o] += wv * in[i]);
            return out;
        }

        /** The transpose of {@link #forward}: d score / d in from d score / d out. */
        private static double[] backward(Layer l, float[] w, double[] gOut, int n, int m) {
            double[] gIn = new double[l.in() * n * n * n];
            taps(l, w, n, m, (i, o, wv) -> gIn[i] += wv * gOut[o]);
            return gIn;
        }

        /** One weight linking an input voxel to an output voxel (flat indices into [c, z, y, x] arrays). */
        private interface Tap {
            void apply(int input, int output, double weight);
        }

        /** Every (input voxel, output voxel, weight) of a convolution with an n³ input and an m³ output. */
        private static void taps(Layer l, float[] w, int n, int m, Tap tap) {
            int k = l.kernel();
            for (int o = 0; o < l.out(); o++) {
                for (int c = 0; c < l.in(); c++) {
                    for (int kz = 0; kz < k; kz++) for (int ky = 0; ky < k; ky++) for (int kx = 0; kx < k; kx++) {
                        double wv = w[(((o * l.in() + c) * k + kz) * k + ky) * k + kx];
                        for (int z = 0; z < m; z++) {
                            int iz = z * l.stride() - l.pad() + kz;
                            if (iz < 0 || iz >= n) continue;
                            for (int y = 0; y < m; y++) {
                                int iy = y * l.stride() - l.pad() + ky;
                                if (iy < 0 || iy >= n) continue;
                                for (int x = 0; x < m; x++) {
                                    int ix = x * l.stride() - l.pad() + kx;
                                    if (ix < 0 || ix >= n) continue;
                                    tap.apply(((c * n + iz) * n + iy) * n + ix, ((o * m + z) * m + y) * m + x, wv);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static String fmt(double v) {
        if (Double.isInfinite(v) || Double.isNaN(v)) return "NaN/Inf";
        return String.format(java.util.Locale.ROOT, v != 0 && Math.abs(v) < 1e-3 ? "%.1e" : "%.3g", v);
    }

}
