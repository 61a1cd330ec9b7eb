package org.voxellens.xai.runtime;

import com.sun.jna.NativeLibrary;
import java.util.Locale;

/**
 * Which kernels compute 3D convolutions. libtorch's x86 build uses oneDNN; on some CPUs oneDNN 3.x's JIT kernels
 * return wrong results (input gradients of most shapes; the forward of a convolution that covers its whole input at
 * batch &gt; 1; with oneDNN limited to AVX, NaN forward outputs of a 19-channel layer) while libtorch's own kernels
 * are exact (measured: docs/performance.md, "Engine check"). {@link EngineGuard} checks the kernels in use on known
 * answers and, with {@code auto}, falls back to libtorch's own. This class holds the choice and the switch:
 * <ul>
 *   <li>{@link Kernels#ONEDNN}: as libtorch ships (fastest where exact);</li>
 *   <li>{@link Kernels#ONEDNN_USER_ISA}: oneDNN under the user's own {@code ONEDNN_MAX_CPU_ISA};</li>
 *   <li>{@link Kernels#LIBTORCH}: oneDNN off ({@code torch.backends.mkldnn.enabled = False}), switchable at any time.</li>
 * </ul>
 */
public final class ConvolutionKernels {

    /** The convolution kernels of this process. */
    public enum Kernels {
        ONEDNN("oneDNN"), ONEDNN_USER_ISA("oneDNN with the user's ONEDNN_MAX_CPU_ISA"), LIBTORCH("libtorch's own (oneDNN off)");

        private final String label;

        Kernels(String label) { this.label = label; }

        public String label() { return label; }
    }

    /** The user's setting: system property {@code voxellens.convKernels}, else {@code VOXELLENS_CONV_KERNELS}. */
    public enum Choice {
        AUTO, ONEDNN, LIBTORCH;

        public static Choice configured() {
            String v = System.getProperty("voxellens.convKernels", System.getenv("VOXELLENS_CONV_KERNELS"));
            if (v == null || v.isBlank()) return AUTO;
            return switch (v.strip().toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "onednn" -> ONEDNN;
                case "libtorch" -> LIBTORCH;
                default -> throw new IllegalArgumentException("VOXELLENS_CONV_KERNELS=" + v + ": use auto, onednn or libtorch");
            };
        }

        public String setting() { return name().toLowerCase(Locale.ROOT); }
    }

    static final String ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA";

    private static final Object LOCK = new Object();
    private static boolean started;
    private static Kernels current = Kernels.ONEDNN;
    private static Choice choice = Choice.AUTO;
    private static LibtorchContext context;
    private static IllegalArgumentException settingError;

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

    /** Reads the setting once, before the engine starts. */
    static void beforeEngineStart() {
        synchronized (LOCK) {
            if (started) return;
            started = true;
            try {
                choice = Choice.configured();
            } catch (IllegalArgumentException e) {
                settingError = e;
            }
            String userIsa = System.getenv(ISA_VARIABLE);
            if (userIsa != null && !userIsa.isBlank()) current = Kernels.ONEDNN_USER_ISA; // the check still judges it
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
        String v = System.getenv(ISA_VARIABLE);
        return v == null || v.isBlank() ? "default" : v;
    }
}
