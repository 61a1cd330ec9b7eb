package org.voxellens.xai.runtime;

import com.sun.jna.NativeLibrary;
import java.util.Locale;

/**
 * Which kernels compute 3D convolutions. libtorch's x86 build uses oneDNN; on some CPUs oneDNN 3.x's AVX2 and
 * AVX-512 kernels return wrong results (input gradients of most shapes, the forward of a convolution that covers
 * its whole input at batch &gt; 1) while its AVX kernels, its gemm-based kernels and libtorch's own are exact
 * (measured: docs/performance.md, "Engine check"). {@link EngineGuard} checks the kernels in use on known answers
 * and falls back; this class holds the choice and the switches:
 * <ul>
 *   <li>{@link Kernels#ONEDNN}: as libtorch ships (fastest where exact);</li>
 *   <li>{@link Kernels#ONEDNN_AVX}: oneDNN limited to AVX ({@code ONEDNN_MAX_CPU_ISA=AVX}), which oneDNN reads once
 *       when it first runs, so it is set in this process's environment before the engine starts;</li>
 *   <li>{@link Kernels#LIBTORCH}: oneDNN off ({@code torch.backends.mkldnn.enabled = False}), switchable at any
 *       time: the fallback when the check fails after the engine started.</li>
 * </ul>
 * With {@code auto} the first process on a machine runs as shipped; when the check fails there it falls back to
 * libtorch's kernels and remembers it ({@link EngineCheckRecord}), so later processes start with oneDNN limited
 * to AVX, faster than libtorch's own (and checked again each time).
 */
public final class ConvolutionKernels {

    /** The convolution kernels of this process. */
    public enum Kernels {
        ONEDNN("oneDNN"), ONEDNN_AVX("oneDNN limited to AVX"), ONEDNN_USER_ISA("oneDNN with the user's ONEDNN_MAX_CPU_ISA"),
        LIBTORCH("libtorch's own (oneDNN off)");

        private final String label;

        Kernels(String label) { this.label = label; }

        public String label() { return label; }
    }

    /** The user's setting: system property {@code voxellens.convKernels}, else {@code VOXELLENS_CONV_KERNELS}. */
    public enum Choice {
        AUTO, ONEDNN, ONEDNN_AVX, LIBTORCH;

        public static Choice configured() {
            String v = System.getProperty("voxellens.convKernels", System.getenv("VOXELLENS_CONV_KERNELS"));
            if (v == null || v.isBlank()) return AUTO;
            return switch (v.strip().toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "onednn" -> ONEDNN;
                case "onednn-avx", "avx" -> ONEDNN_AVX;
                case "libtorch" -> LIBTORCH;
                default -> throw new IllegalArgumentException("VOXELLENS_CONV_KERNELS=" + v
                    + ": use auto, onednn, onednn-avx or libtorch");
            };
        }

        public String setting() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }
    }

    static final String ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA";

    private static final Object LOCK = new Object();
    private static boolean started;
    private static Kernels current = Kernels.ONEDNN;
    private static Choice choice = Choice.AUTO;
    private static LibtorchContext context;
    private static String isaSet; // what this process put into ONEDNN_MAX_CPU_ISA (System.getenv keeps the start's copy)

    private ConvolutionKernels() {}

    /** The kernels convolutions use now. */
    public static Kernels current() {
        synchronized (LOCK) {
            return current;
        }
    }

    static Choice choice() {
        synchronized (LOCK) {
            return choice;
        }
    }

    /**
     * Sets oneDNN's ISA limit where the setting or this machine's record asks for it. Must run before the engine
     * starts (oneDNN reads the variable once); later calls do nothing.
     */
    static void beforeEngineStart() {
        synchronized (LOCK) {
            if (started) return;
            started = true;
            choice = Choice.configured();
            String userIsa = System.getenv(ISA_VARIABLE);
            if (userIsa != null && !userIsa.isBlank()) {
                current = Kernels.ONEDNN_USER_ISA; // the user's own limit wins; the check still judges it
                return;
            }
            boolean limit = choice == Choice.ONEDNN_AVX
                || (choice == Choice.AUTO && EngineCheckRecord.forThisMachine().fullIsaFailed() && !EngineCheckRecord.forThisMachine().avxFailed());
            if (limit && setenv(ISA_VARIABLE, "AVX")) {
                isaSet = "AVX";
                current = Kernels.ONEDNN_AVX;
            }
        }
    }

    /** Switches oneDNN off for every later convolution; false when libtorch's switch cannot be reached. */
    static boolean useLibtorch() {
        synchronized (LOCK) {
            if (current == Kernels.LIBTORCH) return true;
            if (context == null) context = LibtorchContext.find().orElse(null);
            if (context == null) return false;
            context.setOneDnnEnabled(false);
            current = Kernels.LIBTORCH;
            return true;
        }
    }

    /** oneDNN's ISA limit in force, for summary.json ("default" when none). */
    static String isaLimit() {
        synchronized (LOCK) {
            if (isaSet != null) return isaSet;
        }
        String v = System.getenv(ISA_VARIABLE);
        return v == null || v.isBlank() ? "default" : v;
    }

    private static boolean setenv(String name, String value) {
        try {
            return NativeLibrary.getInstance("c").getFunction("setenv").invokeInt(new Object[] {name, value, 1}) == 0;
        } catch (LinkageError | RuntimeException e) {
            return false;
        }
    }
}
