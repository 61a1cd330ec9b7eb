package org.voxellens.xai.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Which kernels compute the backward pass of convolutions: oneDNN's (libtorch's default on x86 CPUs) or libtorch's
 * own. On some CPUs oneDNN 3.x's direct convolution backward-data kernels return wrong input gradients while its
 * forward kernels stay exact (docs/performance.md, "Engine check"); {@link EngineGuard} measures which kernels give
 * the exact answer on this machine and chooses here.
 *
 * <p>With {@link Kernels#LIBTORCH}, oneDNN is switched off process-wide while any backward pass runs and on again
 * when the last one ends, so forward passes keep oneDNN's fast kernels. A forward pass that another thread starts
 * during someone's backward pass runs on libtorch's own kernels: slower, equally exact. The switch is libtorch's
 * ({@code torch.backends.mkldnn.enabled}), read each time an operator picks its kernel.
 */
public final class ConvolutionBackward {

    /** The kernels for convolution backward passes. */
    public enum Kernels {
        ONEDNN("oneDNN"), LIBTORCH("libtorch");

        private final String label;

        Kernels(String label) { this.label = label; }

        public String label() { return label; }
    }

    /** What the user asked for: {@code auto} (the engine check decides), {@code onednn} or {@code libtorch}. */
    public enum Choice {
        AUTO, ONEDNN, LIBTORCH;

        /** System property {@code voxellens.convBackward}, else environment variable {@code VOXELLENS_CONV_BACKWARD}. */
        public static Choice configured() {
            String v = System.getProperty("voxellens.convBackward", System.getenv("VOXELLENS_CONV_BACKWARD"));
            if (v == null || v.isBlank()) return AUTO;
            return switch (v.strip().toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "onednn", "mkldnn" -> ONEDNN;
                case "libtorch", "aten", "native" -> LIBTORCH;
                default -> throw new IllegalArgumentException("VOXELLENS_CONV_BACKWARD=" + v + ": use auto, onednn or libtorch");
            };
        }
    }

    private static final Object LOCK = new Object();
    private static volatile Kernels kernels = Kernels.ONEDNN;
    private static LibtorchContext context;
    private static int inFlight;

    private ConvolutionBackward() {}

    /** The kernels backward passes use now. */
    public static Kernels kernels() { return kernels; }

    /**
     * Chooses the kernels for every later backward pass. Libtorch's own need the libtorch switch (JNA); returns
     * false, changing nothing, when it cannot be reached.
     */
    static boolean use(Kernels k) {
        synchronized (LOCK) {
            if (k == Kernels.LIBTORCH) {
                if (context == null) context = LibtorchContext.find().orElse(null);
                if (context == null) return false;
            }
            kernels = k;
            return true;
        }
    }

    /** Back-propagates from a scalar (d total / d total = 1) on the chosen kernels; gradients land in the leaves. */
    public static void backward(NDArray total) {
        NDArray ones = total.onesLike();
        run(() -> {
            JniUtils.backward((PtNDArray) total, (PtNDArray) ones, false, false);
            return null;
        });
    }

    /** Runs one backward pass (anything that calls libtorch's backward) on the chosen kernels. */
    public static <T> T run(Supplier<T> backward) {
        if (kernels != Kernels.LIBTORCH) return backward.get();
        enter();
        try {
            return backward.get();
        } finally {
            exit();
        }
    }

    private static void enter() {
        synchronized (LOCK) {
            if (inFlight++ == 0) context.setOneDnnEnabled(false);
        }
    }

    private static void exit() {
        synchronized (LOCK) {
            if (--inFlight == 0) context.setOneDnnEnabled(true);
        }
    }
}
