package org.voxellens.xai.runtime;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.voxellens.xai.model.GradCamLayer;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.model.ModelPackageException;
import org.voxellens.xai.target.Target;

/**
 * A TorchScript model loaded through DJL's PyTorch engine so that gradients flow to the input and to Grad-CAM
 * probes (see shared/notes/djl.md): weights loaded as trainable tensors (inference tensors cannot be saved for
 * backward), then frozen and switched to eval mode once; every pass goes through {@code IValueUtils.forward},
 * which never flips train/eval. Each call works in its own NDManager scope, so nothing leaks per sample.
 *
 * <p>Not thread-safe: one explanation at a time per instance.
 */
public final class TorchModel implements AutoCloseable {

    private final ModelPackage pkg;
    private final Model model;
    private final PtSymbolBlock block;
    private final Device device;
    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();
    private final boolean graphOptimizer = Boolean.parseBoolean(System.getProperty("ai.djl.pytorch.graph_optimizer", "false"));

    private final EngineGuard.Report engineCheck;
    private final int[] toModelAxes;
    private final int[] fromModelAxes;
    private volatile String batchNote;

    private TorchModel(ModelPackage pkg, Model model, PtSymbolBlock block, Device device, EngineGuard.Report engineCheck) {
        this.pkg = pkg;
        int[][] perms = axisPermutations(pkg.spatialAxes());
        this.toModelAxes = perms == null ? null : perms[0];
        this.fromModelAxes = perms == null ? null : perms[1];
        this.model = model;
        this.block = block;
        this.device = device;
        this.engineCheck = engineCheck;
    }

    /**
     * Loads the package's TorchScript file on the requested device, after the engine has passed its known-answer
     * check there ({@link EngineGuard}; throws {@link EngineGuard.EngineCheckException} if it fails).
     */
    public static TorchModel load(ModelPackage pkg, DeviceSpec spec) throws IOException {
        Device device = Engines.resolve(spec); // configures the engine start first
        EngineGuard.Report check = Engines.check(device);
        Model model = Model.newInstance(pkg.name(), device, "PyTorch");
        try {
            model.load(pkg.weights(), null, Map.of("trainParam", "true", "mapLocation", "true"));
        } catch (MalformedModelException | RuntimeException e) {
            model.close();
            throw new ModelPackageException(pkg.weights() + ": not a loadable TorchScript file: " + oneLine(e), e);
        }
        PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
        block.freezeParameters(true);
        JniUtils.enableInferenceMode(block);
        return new TorchModel(pkg, model, block, device, check);
    }

    public ModelPackage modelPackage() { return pkg; }

    /** What the engine's known-answer check found on this model's device, and the kernels it chose. */
    public EngineGuard.Report engineCheck() { return engineCheck; }

    /** The device the model runs on, e.g. "cpu()" or "gpu(0)". */
    public String device() { return device.toString(); }

    /** Plain forward pass without gradients: {@code [B, C, z, y, x]} in, the model's output out. */
    public Tensor forward(Tensor input) {
        return batched(input.dim(0), () -> forwardOnce(input), i -> forwardOnce(input.sample(i)), TorchModel::concat);
    }

    private Tensor forwardOnce(Tensor input) {
        checkInput(input);
        count(input);
        try (NDManager m = model.getNDManager().newSubManager(device)) {
            boolean grad = JniUtils.isGradMode();
            JniUtils.setGradMode(false);
            useGraphExecutorSetting();
            try {
                NDArray x = m.create(input.data(), new Shape(input.shape()));
                NDArray out = modelForward(x, false);
                return toTensor(out);
            } finally {
                JniUtils.setGradMode(grad);
            }
        } catch (RuntimeException e) {
            throw engineError("forward pass", input, e);
        }
    }

    /**
     * One batched forward and backward: the score of each sample and d score / d input for every sample. The batch
     * sum is differentiated, and samples do not interact, so one backward gives every per-sample gradient.
     */
    public ScoredGradients inputGradients(Tensor batch, Target target) {
        return batched(batch.dim(0), () -> inputGradientsOnce(batch, target), i -> inputGradientsOnce(batch.sample(i), target),
            parts -> new ScoredGradients(concatScores(parts.stream().map(ScoredGradients::scores).toList()),
                concat(parts.stream().map(ScoredGradients::gradients).toList())));
    }

    private ScoredGradients inputGradientsOnce(Tensor batch, Target target) {
        checkInput(batch);
        count(batch);
        try (NDManager m = model.getNDManager().newSubManager(device)) {
            return withGrad(() -> {
                NDArray x = m.create(batch.data(), new Shape(batch.shape()));
                x.setRequiresGradient(true);
                NDArray out = modelForward(x, true);
                NDArray scores = target.score(out);
                backward(scores.sum());
                return new ScoredGradients(scores.toFloatArray(), toTensor(x.getGradient()));
            });
        } catch (RuntimeException e) {
            throw engineError("gradient pass", batch, e);
        }
    }

    /** Target scores {@code [B]} of a batch, without gradients (baselines, completeness checks). */
    public float[] scores(Tensor batch, Target target) {
        return batched(batch.dim(0), () -> scoresOnce(batch, target), i -> scoresOnce(batch.sample(i), target), TorchModel::concatScores);
    }

    private float[] scoresOnce(Tensor batch, Target target) {
        checkInput(batch);
        count(batch);
        try (NDManager m = model.getNDManager().newSubManager(device)) {
            boolean grad = JniUtils.isGradMode();
            JniUtils.setGradMode(false);
            useGraphExecutorSetting();
            try {
                NDArray x = m.create(batch.data(), new Shape(batch.shape()));
                return target.score(modelForward(x, false)).toFloatArray();
            } finally {
                JniUtils.setGradMode(grad);
            }
        } catch (RuntimeException e) {
            throw engineError("forward pass", batch, e);
        }
    }

    /**
     * Keeps one input {@code [1, C, z, y, x]} inside libtorch for many passes over altered copies of it (occlusion):
     * the copies are then built natively, so a batch of B copies costs one native repeat instead of B Java arrays
     * copied through JNI. Close it when done.
     */
    public ResidentInput resident(Tensor input) {
        checkInput(input);
        if (input.dim(0) != 1) throw new IllegalArgumentException("a resident input is one sample, got batch " + input.dim(0));
        NDManager m = model.getNDManager().newSubManager(device);
        try {
            return new ResidentInput(m, m.create(input.data(), new Shape(input.shape())), input);
        } catch (RuntimeException e) {
            m.close();
            throw engineError("copying the input", input, e);
        }
    }

    /** An input held by libtorch; see {@link #resident}. Not thread-safe. */
    public final class ResidentInput implements AutoCloseable {
        private final NDManager manager;
        private final NDArray x;
        private final Tensor input;

        private ResidentInput(NDManager manager, NDArray x, Tensor input) {
            this.manager = manager;
            this.x = x;
            this.input = input;
        }

        /**
         * Target scores {@code [B]} of B copies of the input, copy i with the box {@code boxes[i]} (x, y, z of the
         * first corner, then sizes sx, sy, sz, in voxels; all channels) set to {@code value}. Forward only.
         */
        public float[] scoresWithBoxes(List<int[]> boxes, float value, Target target) {
            return batched(boxes.size(), () -> scoresWithBoxesOnce(boxes, value, target),
                i -> scoresWithBoxesOnce(List.of(boxes.get(i)), value, target), TorchModel::concatScores);
        }

        private float[] scoresWithBoxesOnce(List<int[]> boxes, float value, Target target) {
            int b = boxes.size();
            count(b);
            boolean grad = JniUtils.isGradMode();
            JniUtils.setGradMode(false);
            useGraphExecutorSetting();
            try (NDManager m = manager.newSubManager(device)) {
                NDArray batch = x.tile(new long[] {b, 1, 1, 1, 1});
                batch.attach(m);
                for (int i = 0; i < b; i++) {
                    int[] w = boxes.get(i);
                    batch.set(new NDIndex().addIndices(i).addAllDim()
                        .addSliceDim(w[2], w[2] + w[5]).addSliceDim(w[1], w[1] + w[4]).addSliceDim(w[0], w[0] + w[3]), value);
                }
                return target.score(modelForward(batch, false)).toFloatArray();
            } catch (RuntimeException e) {
                throw engineError("forward pass on " + b + " occluded copies", input, e);
            } finally {
                JniUtils.setGradMode(grad);
            }
        }

        @Override
        public void close() { manager.close(); }
    }

    /**
     * Starts summing input gradients over many batches of samples derived from one input {@code [1, C, z, y, x]}
     * (SmoothGrad's noisy copies, Integrated Gradients' path points). The input, the baseline, each batch and the
     * running sums stay inside libtorch: per batch only the noise (or B path positions) goes in and nothing comes
     * out until the end, so no per-voxel Java loop runs per sample. Close it when done.
     *
     * @param baseline {@code [1, C, z, y, x]} for path batches, or null
     * @param squares whether to also sum squared gradients (SmoothGrad², VarGrad)
     */
    public GradientSums gradientSums(Tensor input, Tensor baseline, boolean squares) {
        checkInput(input);
        if (input.dim(0) != 1) throw new IllegalArgumentException("gradient sums start from one sample, got batch " + input.dim(0));
        if (baseline != null && !Arrays.equals(baseline.shape(), input.shape())) {
            throw new IllegalArgumentException("baseline shape " + Arrays.toString(baseline.shape()) + " differs from input "
                + Arrays.toString(input.shape()));
        }
        NDManager m = model.getNDManager().newSubManager(device);
        try {
            NDArray x = m.create(input.data(), new Shape(input.shape()));
            NDArray base = baseline == null ? null : m.create(baseline.data(), new Shape(baseline.shape()));
            return new GradientSums(m, x, base, squares, input);
        } catch (RuntimeException e) {
            m.close();
            throw engineError("copying the input", input, e);
        }
    }

    /** Running sums of input gradients inside libtorch; see {@link #gradientSums}. Not thread-safe. */
    public final class GradientSums implements AutoCloseable {
        private final NDManager manager;
        private final NDArray x;
        private final NDArray diff;
        private final NDArray base;
        private final Tensor input;
        // float64 across batches: VarGrad subtracts mean² from the mean of squares, which cancels badly in float32
        private NDArray sum;
        private NDArray sumSq;
        private final boolean squares;

        private GradientSums(NDManager manager, NDArray x, NDArray base, boolean squares, Tensor input) {
            this.manager = manager;
            this.x = x;
            this.base = base;
            this.diff = base == null ? null : x.sub(base);
            this.squares = squares;
            this.input = input;
        }

        /** Adds the gradients of B samples {@code input + noise[i]}; {@code noise} holds B × the input's size values. */
        public void addNoisy(float[] noise, int b, Target target) {
            if (noise.length != (long) b * input.size()) {
                throw new IllegalArgumentException("noise for " + b + " samples needs " + (long) b * input.size() + " values, got " + noise.length);
            }
            int n = input.size();
            batched(b, () -> add(b, target, m -> m.create(noise, new Shape(input.batchShape(b))).addi(x)),
                i -> add(1, target, m -> m.create(Arrays.copyOfRange(noise, i * n, (i + 1) * n), new Shape(input.batchShape(1))).addi(x)),
                parts -> null);
        }

        /** Adds the gradients of the path points {@code baseline + alpha[i] (input - baseline)}. */
        public void addPath(float[] alphas, Target target) {
            if (diff == null) throw new IllegalStateException("path points need a baseline");
            int b = alphas.length;
            batched(b, () -> add(b, target, m -> m.create(alphas, new Shape(b, 1, 1, 1, 1)).mul(diff).addi(base)),
                i -> add(1, target, m -> m.create(new float[] {alphas[i]}, new Shape(1, 1, 1, 1, 1)).mul(diff).addi(base)),
                parts -> null);
        }

        private Void add(int b, Target target, java.util.function.Function<NDManager, NDArray> batchOf) {
            count(b);
            try (NDManager m = manager.newSubManager(device)) {
                withGrad(() -> {
                    NDArray batch = batchOf.apply(m);
                    batch.setRequiresGradient(true);
                    NDArray out = modelForward(batch, true);
                    backward(target.score(out).sum());
                    NDArray g = batch.getGradient();
                    JniUtils.setGradMode(false);
                    NDArray s = g.sum(new int[] {0}, true).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
                    sum = accumulate(sum, s);
                    if (squares) sumSq = accumulate(sumSq, g.square().sum(new int[] {0}, true).toType(ai.djl.ndarray.types.DataType.FLOAT64, false));
                    return null;
                });
            } catch (RuntimeException e) {
                throw engineError("gradient pass on " + b + " samples", input, e);
            }
            return null;
        }

        private NDArray accumulate(NDArray acc, NDArray batchSum) {
            if (acc == null) {
                batchSum.attach(manager);
                return batchSum;
            }
            return acc.addi(batchSum);
        }

        /** Σ gradients, {@code [1, C, z, y, x]} flattened; zeros before the first batch. */
        public double[] sum() { return read(sum); }

        /** Σ squared gradients (only when asked for at the start). */
        public double[] sumOfSquares() {
            if (!squares) throw new IllegalStateException("squared gradients were not requested");
            return read(sumSq);
        }

        private double[] read(NDArray a) {
            return a == null ? new double[input.size()] : a.toDoubleArray();
        }

        @Override
        public void close() { manager.close(); }
    }

    /** The layer's activations and d score / d activations, through the layer's probe method (batch of 1 or more). */
    public LayerGradients layerGradients(Tensor input, Target target, GradCamLayer layer) {
        return batched(input.dim(0), () -> layerGradientsOnce(input, target, layer), i -> layerGradientsOnce(input.sample(i), target, layer),
            parts -> new LayerGradients(concat(parts.stream().map(LayerGradients::activations).toList()),
                concat(parts.stream().map(LayerGradients::gradients).toList()),
                concatScores(parts.stream().map(LayerGradients::scores).toList())));
    }

    private LayerGradients layerGradientsOnce(Tensor input, Target target, GradCamLayer layer) {
        checkInput(input);
        count(input);
        try (NDManager m = model.getNDManager().newSubManager(device)) {
            return withGrad(() -> {
                NDArray x = m.create(input.data(), new Shape(input.shape()));
                NDArray activations = run(layer.activationMethod(), x).get(0);
                NDArray probe = m.zeros(activations.getShape());
                probe.setRequiresGradient(true);
                NDArray out = run(layer.probeMethod(), x, probe).get(0);
                NDArray scores = target.score(out);
                backward(scores.sum());
                return new LayerGradients(toTensor(activations.stopGradient()), toTensor(probe.getGradient()), scores.toFloatArray());
            });
        } catch (RuntimeException e) {
            String cause = oneLine(e).replaceFirst("\\.$", "");
            String hint = cause.contains("is not defined")
                ? "; rdf.yaml declares the layer but the TorchScript has no probe methods for it; " + ModelPackage.ADD_LAYERS : "";
            throw new IllegalStateException("Grad-CAM layer '" + layer.name() + "' of " + pkg.name()
                + ": the TorchScript methods " + layer.activationMethod() + "/" + layer.probeMethod() + " failed: " + cause + hint, e);
        }
    }

    /**
     * Runs a pass over b samples. A model that fails at batch b but runs one sample (a TorchScript traced at batch 1
     * with the batch size baked in) is run one sample at a time from then on; {@link #batchNote} says so.
     */
    private <T> T batched(long b, java.util.function.Supplier<T> whole, java.util.function.IntFunction<T> one,
                          java.util.function.Function<List<T>, T> join) {
        if (b > 1 && batchNote != null) return join.apply(each((int) b, one, new java.util.ArrayList<>()));
        try {
            return whole.get();
        } catch (IllegalArgumentException | java.util.concurrent.CancellationException e) {
            throw e; // a shape the package does not take, or the user's cancel: not the model's batch limit
        } catch (RuntimeException e) {
            if (b <= 1) throw e;
            T first;
            try {
                first = one.apply(0);
            } catch (RuntimeException alone) {
                throw e;
            }
            batchNote = "the model fails at batch " + b + " but runs one sample at a time, so VoxelLens runs it that way "
                + "(slower; re-export it with a dynamic batch axis): " + oneLine(e);
            // a list that takes null: the passes that sum gradients natively return Void
            return join.apply(each((int) b, one, new java.util.ArrayList<>(java.util.Collections.singletonList(first))));
        }
    }

    /** Runs the samples not yet in {@code done} (the first ones may be), one at a time. */
    private static <T> List<T> each(int b, java.util.function.IntFunction<T> one, List<T> done) {
        for (int i = done.size(); i < b; i++) done.add(one.apply(i));
        return done;
    }

    private static Tensor concat(List<Tensor> parts) {
        Tensor t0 = parts.get(0);
        float[] d = new float[t0.size() * parts.size()];
        for (int i = 0; i < parts.size(); i++) System.arraycopy(parts.get(i).data(), 0, d, i * t0.size(), t0.size());
        return new Tensor(d, t0.batchShape(parts.size()));
    }

    private static float[] concatScores(List<float[]> parts) {
        int n = parts.stream().mapToInt(p -> p.length).sum();
        float[] d = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, d, at, p.length);
            at += p.length;
        }
        return d;
    }

    /** Set once a batched pass failed where single samples run: what happened and what VoxelLens does; else empty. */
    public java.util.Optional<String> batchNote() { return java.util.Optional.ofNullable(batchNote); }

    /**
     * Native arrays held by this model's NDManager tree right now (its parameters and whatever a caller left open).
     * Every pass works in a scope that is closed before it returns, so this must not grow with samples or passes.
     */
    public int liveArrays() {
        return model.getNDManager().getManagedArrays().size();
    }

    /** Calls of {@link #forward}, {@link #inputGradients}, {@link #scores} and {@link #layerGradients} so far (cost reports). */
    public long passes() { return passes.get(); }

    /** Batch entries evaluated by those calls so far: the number of model evaluations, however batched. */
    public long samplesEvaluated() { return samples.get(); }

    private void count(Tensor batch) {
        count(batch.dim(0));
    }

    private void count(long batchEntries) {
        passes.incrementAndGet();
        samples.addAndGet(batchEntries);
    }

    /** Names of the TorchScript module's parameters in registration order, e.g. {@code conv1.weight, fc.bias}. */
    public List<String> parameterNames() {
        return List.copyOf(block.getDirectParameters().keys());
    }

    /** A copy of one parameter's values (float32, the parameter's shape). */
    public Tensor parameter(String name) {
        return toTensor(parameterArray(name));
    }

    /**
     * Overwrites one parameter's values in place (same shape), e.g. for the model-randomisation sanity check. The
     * caller owns restoring the original values; buffers (BatchNorm running statistics) are not parameters.
     */
    public void setParameter(String name, Tensor values) {
        NDArray p = parameterArray(name);
        if (!Arrays.equals(p.getShape().getShape(), values.shape())) {
            throw new IllegalArgumentException("parameter " + name + " has shape " + p.getShape() + ", got "
                + Arrays.toString(values.shape()));
        }
        if (p.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32) {
            throw new IllegalArgumentException("parameter " + name + " is " + p.getDataType() + ", only float32 can be set");
        }
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            p.set(FloatBuffer.wrap(values.data()));
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    private NDArray parameterArray(String name) {
        ai.djl.nn.Parameter p = block.getDirectParameters().get(name);
        if (p == null) {
            throw new IllegalArgumentException("model " + pkg.name() + " has no parameter '" + name + "'; it has "
                + block.getDirectParameters().keys());
        }
        return p.getArray();
    }

    /** The model's forward on {@code [b, c, z, y, x]}, its output back in that layout (see {@link #toModel}). */
    private NDArray modelForward(NDArray x, boolean grad) {
        return fromModel(IValueUtils.forward(block, new NDList(toModel(x)), grad).get(0));
    }

    /**
     * VoxelLens' [b, c, z, y, x] to the model's own spatial order (e.g. [b, c, x, y, z] for MONAI-style tensors),
     * inside the autograd graph, so input gradients and probe gradients come back in VoxelLens' layout.
     */
    private NDArray toModel(NDArray a) {
        return toModelAxes == null || a.getShape().dimension() != 5 ? a : a.transpose(toModelAxes);
    }

    private NDArray fromModel(NDArray a) {
        return fromModelAxes == null || a.getShape().dimension() != 5 ? a : a.transpose(fromModelAxes);
    }

    /** Permutations between [b, c, z, y, x] and the package's spatial order; null when that is zyx. */
    private static int[][] axisPermutations(String spatial) {
        if (spatial == null || spatial.equals("zyx")) return null;
        int[] to = {0, 1, 0, 0, 0}, from = {0, 1, 0, 0, 0};
        for (int i = 0; i < 3; i++) {
            int internal = 2 + "zyx".indexOf(spatial.charAt(i));
            to[2 + i] = internal;
            from[internal] = 2 + i;
        }
        return new int[][] {to, from};
    }

    private NDList run(String method, NDArray... inputs) {
        NDArray[] moved = new NDArray[inputs.length];
        for (int i = 0; i < inputs.length; i++) moved[i] = toModel(inputs[i]);
        NDList out = runInModelLayout(method, moved);
        NDList back = new NDList();
        for (NDArray a : out) back.add(fromModel(a));
        return back;
    }

    private NDList runInModelLayout(String method, NDArray... inputs) {
        NDList list = new NDList(inputs);
        NDArray marker = inputs[0].getManager().create(0f);
        marker.setName("module_method:" + method);
        list.add(marker);
        return IValueUtils.forward(block, list, true);
    }

    private static void backward(NDArray total) {
        NDArray ones = total.onesLike();
        JniUtils.backward((PtNDArray) total, (PtNDArray) ones, false, false);
    }

    private <T> T withGrad(java.util.function.Supplier<T> body) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        useGraphExecutorSetting();
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /**
     * libtorch keeps the graph-executor switch per thread, and DJL applies {@code ai.djl.pytorch.graph_optimizer}
     * only inside {@code PtSymbolBlock.forward}, which this class does not use (see the class comment): without this
     * call every pass ran with the optimiser on (differentiable subgraphs, re-profiling per new batch size).
     */
    private void useGraphExecutorSetting() {
        JniUtils.setGraphExecutorOptimize(graphOptimizer);
    }

    private void checkInput(Tensor t) {
        long[] s = t.shape();
        boolean ok = s.length == 5 && s[1] == pkg.channels()
            && pkg.takesSize(new int[] {(int) s[4], (int) s[3], (int) s[2]});
        if (!ok) {
            throw new IllegalArgumentException("model " + pkg.name() + " takes input of shape "
                + (pkg.parameterisedSize() ? "[b, " + pkg.channels() + ", z, y, x] with x×y×z of " + pkg.describeSizes()
                    : Arrays.toString(pkg.inputShape((int) t.dim(0))) + " (b, c, z, y, x)")
                + ", got " + Arrays.toString(s));
        }
    }

    private RuntimeException engineError(String what, Tensor t, RuntimeException e) {
        if (e instanceof IllegalArgumentException) return e;
        return new IllegalStateException(pkg.name() + ": " + what + " on input " + Arrays.toString(t.shape())
            + " failed: " + oneLine(e), e);
    }

    static Tensor toTensor(NDArray a) {
        return new Tensor(a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray(), a.getShape().getShape());
    }

    private static String oneLine(Throwable e) {
        return EngineMessages.cause(e);
    }

    @Override
    public void close() {
        model.close();
    }

    /** Scores {@code [B]} and input gradients with the input's shape. */
    public record ScoredGradients(float[] scores, Tensor gradients) {}

    /** A layer's activations and the score's gradient with respect to them, both {@code [B, C, z, y, x]}. */
    public record LayerGradients(Tensor activations, Tensor gradients, float[] scores) {}

    /** Engine start and device choice, in one place. */
    public static final class Engines {
        private Engines() {}

        /**
         * Keeps DJL from probing the network at start (offline model, no telemetry), and turns off TorchScript's
         * profiling graph executor: batch sizes change between methods (1 for Grad-CAM, N for SmoothGrad, 2 for
         * IG's end points) and each new shape would trigger a slow re-profiling run. Users can override each.
         */
        public static void configureOffline() {
            ConvolutionKernels.beforeEngineStart();
            setDefault("ai.djl.offline", "true");
            setDefault("OPT_OUT_TRACKING", "true");
            setDefault("ai.djl.pytorch.graph_optimizer", "false");
        }

        private static void setDefault(String key, String value) {
            if (System.getProperty(key) == null) System.setProperty(key, value);
        }

        public static Device resolve(DeviceSpec spec) {
            configureOffline();
            int gpus = Engine.getEngine("PyTorch").getGpuCount();
            return switch (spec.kind()) {
                case CPU -> Device.cpu();
                case AUTO -> gpus > 0 ? Device.gpu(0) : Device.cpu();
                case GPU -> {
                    if (gpus == 0) {
                        throw new IllegalArgumentException("--device " + spec + ": no CUDA device is visible to the PyTorch engine"
                            + " (the bundled libtorch is the CPU build: set up a CUDA build once with voxellens gpu-setup, docs/gpu.md)");
                    }
                    if (spec.gpuIndex() >= gpus) {
                        throw new IllegalArgumentException("--device " + spec + ": only " + gpus + " GPU(s) visible");
                    }
                    yield Device.gpu(spec.gpuIndex());
                }
            };
        }

        /**
         * Runs the engine's known-answer check on the device (once per process; {@link EngineGuard}) and returns what
         * it found; throws {@link EngineGuard.EngineCheckException} if the kernels in use fail it.
         */
        public static EngineGuard.Report check(Device device) {
            configureOffline();
            try (NDManager m = NDManager.newBaseManager(device, "PyTorch")) {
                return EngineGuard.verify(m, device);
            }
        }

        /** Which libtorch build loaded and from where, e.g. "cpu at ~/.djl.ai/pytorch/2.7.1-…-cpu-linux-x86_64". */
        public static String libtorchBuild() {
            configureOffline();
            Engine.getEngine("PyTorch");
            String dir = ai.djl.pytorch.jni.LibUtils.getLibtorchPath();
            String flavor = System.getenv("PYTORCH_LIBRARY_PATH") != null
                ? System.getenv().getOrDefault("PYTORCH_FLAVOR", "cpu-precxx11") + " (PYTORCH_LIBRARY_PATH)"
                : java.nio.file.Path.of(dir).getFileName().toString().contains("-cu") ? "cuda" : "cpu";
            return flavor + " at " + dir;
        }

        /**
         * Engine and native library versions, the malloc serving libtorch and the convolution kernels in
         * use (chosen by the engine check, {@link EngineGuard}), for summary.json.
         */
        public static Map<String, String> versions() {
            configureOffline();
            Engine e = Engine.getEngine("PyTorch");
            return Map.of("djl", Engine.getDjlVersion(), "engine", e.getEngineName(), "libtorch", e.getVersion(),
                "allocator", NativeAllocator.name(), "conv_kernels", ConvolutionKernels.current().label(),
                "libtorch_build", libtorchBuild());
        }
    }
}
