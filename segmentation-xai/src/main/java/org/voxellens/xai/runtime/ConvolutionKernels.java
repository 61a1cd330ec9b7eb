package org.voxellens.xai.runtime;

import com.sun.jna.NativeLibrary;
import java.util.Locale;

/**
 * Which kernels compute 3D convolutions. libtorch's x86 build uses oneDNN; on some CPUs oneDNN 3.x's JIT kernels
 * return wrong results (input gradients of most shapes; the forward of a convolution that covers its whole input at
 * batch &gt; 1; limited to AVX, NaN forward outputs of a 19-channel layer) while its gemm-based kernels (oneDNN limited
 * to SSE4.1) and libtorch's own are exact (measured: docs/performance.md, "Engine check"). {@link EngineGuard} checks
 * the kernels in use on known answers and, with {@code auto}, falls back. This class holds the choice and the
 * switches:
 * <ul>
 *   <li>{@link Kernels#ONEDNN}: as libtorch ships (fastest where exact);</li>
 *   <li>{@link Kernels#ONEDNN_SSE41}: oneDNN limited to SSE4.1 ({@code ONEDNN_MAX_CPU_ISA=SSE41}: gemm-based
 *       convolutions), which oneDNN reads once when it first runs, so it is put into this process's environment
 *       before the engine starts;</li>
 *   <li>{@link Kernels#ONEDNN_USER_ISA}: oneDNN under the user's own {@code ONEDNN_MAX_CPU_ISA};</li>
 *   <li>{@link Kernels#LIBTORCH}: oneDNN off ({@code torch.backends.mkldnn.enabled = False}), switchable at any
 *       time: the fallback once the engine has started. Slower than SSE4.1-limited oneDNN for 3D segmenters and
 *       ~4× its peak memory (libtorch unfolds whole volumes).</li>
 * </ul>
 * With {@code auto} the first process on a machine runs oneDNN as shipped; if the check fails there it falls back to
 * libtorch's kernels and remembers it ({@link EngineCheckRecord}), so later processes start with oneDNN limited to
 * SSE4.1, checked again each time (and remembered too if it fails).
 */
public final class ConvolutionKernels {

    /** The convolution kernels of this process. */
    public enum Kernels {
        ONEDNN("oneDNN"), ONEDNN_SSE41("oneDNN limited to SSE4.1 (gemm-based)"),
        ONEDNN_USER_ISA("oneDNN with the user's ONEDNN_MAX_CPU_ISA"), LIBTORCH("libtorch's own (oneDNN off)");

        private final String label;

        Kernels(String label) { this.label = label; }

        public String label() { return label; }
    }

    /** The user's setting: system property {@code voxellens.convKernels}, else {@code VOXELLENS_CONV_KERNELS}. */
    public enum Choice {
        AUTO, ONEDNN, ONEDNN_SSE41, LIBTORCH;

        public static Choice configured() {
            String v = System.getProperty("voxellens.convKernels", System.getenv("VOXELLENS_CONV_KERNELS"));
            if (v == null || v.isBlank()) return AUTO;
            return switch (v.strip().toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "onednn" -> ONEDNN;
                case "onednn-sse41" -> ONEDNN_SSE41;
                case "libtorch" -> LIBTORCH;
                default -> throw new IllegalArgumentException("VOXELLENS_CONV_KERNELS=" + v
                    + ": use auto, onednn, onednn-sse41 or libtorch");
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
    private static IllegalArgumentException settingError;
    private static String isaSet; // what this process put into ONEDNN_MAX_CPU_ISA (System.getenv keeps the start's copy)

    private ConvolutionKernels() {}

    /** The kernels convolutions use now. */
    public static Kernels current() {
        synchronized (LOCK) {
            return current;
        }
    }

    /** The user's setting; a misspelt one is reported here, where a model is about to load, not at start-up. */
    static Choice choice() {
        synchronized (LOCK) {
            if (settingError != null) throw settingError;
            return choice;
        }
    }

    /**
     * Puts oneDNN's ISA limit into this process's environment where the setting or this machine's record asks for
     * it. Must run before the engine starts (oneDNN reads the variable once); later calls do nothing.
     */
    static void beforeEngineStart() {
        synchronized (LOCK) {
            if (started) return;
            started = true;
            try {
                choice = Choice.configured();
            } catch (IllegalArgumentException e) {
                settingError = e;
                return;
            }
            String userIsa = System.getenv(ISA_VARIABLE);
            if (userIsa != null && !userIsa.isBlank()) {
                current = Kernels.ONEDNN_USER_ISA; // the user's own limit wins; the check still judges it
                return;
            }
            boolean limit = choice == Choice.ONEDNN_SSE41;
            if (choice == Choice.AUTO) {
                EngineCheckRecord record = EngineCheckRecord.forThisMachine();
                limit = record.fullIsaFailed() && !record.sse41Failed();
            }
            if (limit && setenv(ISA_VARIABLE, "SSE41")) {
                isaSet = "SSE41";
                current = Kernels.ONEDNN_SSE41;
            }
        }
    }

    /**
     * Takes this process's ISA limit out of the environment again once oneDNN has read it (its first convolution,
     * in the engine check): child processes (the PyTorch references of the bench and the tests, dcmtk, a GPU check)
     * inherit the live environment and must run with their own defaults.
     */
    static void afterFirstConvolution() {
        synchronized (LOCK) {
            if (isaSet == null) return;
            try {
                NativeLibrary.getInstance("c").getFunction("unsetenv").invokeInt(new Object[] {ISA_VARIABLE});
            } catch (LinkageError | RuntimeException e) {
                // the limit then also reaches child processes: slower there, still exact
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
