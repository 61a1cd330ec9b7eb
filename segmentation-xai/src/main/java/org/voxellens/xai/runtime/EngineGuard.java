package org.voxellens.xai.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Never an unchecked map: before any model runs on a device, the engine proves itself on {@link EngineCheck}'s
 * known answers with the settings that will be used. Every front end loads models through
 * {@link TorchModel#load}, which calls {@link #verify}, so the check cannot be skipped.
 *
 * <p>With {@code auto} (the default) the kernels {@link ConvolutionKernels} started with are checked: oneDNN as
 * shipped, or oneDNN limited to SSE4.1 where an earlier process found the shipped kernels wrong on this machine. If
 * they fail, libtorch's own kernels are switched in and checked again, and the failure is remembered for later
 * starts. {@code VOXELLENS_CONV_KERNELS=onednn|onednn-sse41|libtorch} pins one choice without fallback. If the chosen kernels fail, no model is loaded and the message names the check,
 * the CPU and what to do. The result is kept per device for the life of the process and goes into summary.json.
 */
public final class EngineGuard {

    private static final Map<String, Object> VERIFIED = new HashMap<>(); // device -> Report or EngineCheckException

    private EngineGuard() {}

    /** What the check found and what was chosen, for summary.json and the log. */
    public record Report(ConvolutionKernels.Choice choice, EngineCheck.Result check, EngineCheck.Result rejected, String cpu) {

        /** The convolution kernels in use, e.g. "libtorch's own (oneDNN off)". */
        public String kernels() { return check.label(); }

        /** One line for the log, e.g. "known-answer check passed in 0.03 s (...); convolutions: oneDNN". */
        public String describe() {
            String s = "known-answer check " + (check.passed() ? "passed" : "FAILED") + " in "
                + String.format(Locale.ROOT, "%.2f s", check.seconds()) + " (worst: " + check.worst().describe()
                + "); convolutions: " + kernels();
            if (rejected != null) {
                s += "; " + rejected.label() + " failed on this CPU (" + rejected.worst().describe()
                    + "), so this run uses " + kernels() + " instead (exact, slower)"
                    + (rejected.kernels() == ConvolutionKernels.Kernels.ONEDNN
                        ? "; later runs start with oneDNN limited to SSE4.1 (exact here, faster; checked again)" : "");
            }
            return s;
        }

        public Map<String, Object> toJson() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("passed", check.passed());
            j.put("device", check.device());
            j.put("cpu", cpu);
            j.put("conv_kernels", kernels());
            j.put("conv_kernels_setting", choice.setting());
            j.put("onednn_max_cpu_isa", ConvolutionKernels.isaLimit());
            j.put("intra_op_threads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
            j.put("check", json(check));
            if (rejected != null) j.put("rejected", json(rejected));
            return j;
        }

        private static Map<String, Object> json(EngineCheck.Result r) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("kernels", r.label());
            j.put("passed", r.passed());
            j.put("seconds", Math.round(r.seconds() * 1000) / 1000.0);
            j.put("tolerance", EngineCheck.TOLERANCE);
            j.put("nets", r.nets().stream().map(n -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("net", n.name());
                m.put("batch", n.batch());
                m.put("repeats", n.repeats());
                m.put("gradient_error", finiteOrString(n.gradientError()));
                m.put("score_error", finiteOrString(n.scoreError()));
                m.put("passed", n.passed());
                return m;
            }).toList());
            return j;
        }

        private static Object finiteOrString(double v) {
            return Double.isFinite(v) ? v : "NaN or Inf";
        }
    }

    /** The engine failed its known-answer check: nothing may be computed with it. */
    public static final class EngineCheckException extends IllegalStateException {
        EngineCheckException(String message) {
            super(message);
        }
    }

    /**
     * Checks the engine on this device with the configured backward kernels (once per process and device) and
     * returns what was found; throws {@link EngineCheckException} if the chosen kernels give wrong answers.
     */
    public static synchronized Report verify(NDManager root, Device device) {
        String key = device.toString();
        Object known = VERIFIED.get(key);
        if (known instanceof Report r) return r;
        if (known instanceof EngineCheckException e) throw e;
        try {
            Report r = decide(root, device);
            VERIFIED.put(key, r);
            return r;
        } catch (EngineCheckException e) {
            VERIFIED.put(key, e);
            throw e;
        }
    }

    private static Report decide(NDManager root, Device device) {
        ConvolutionKernels.Choice choice = ConvolutionKernels.choice();
        String cpu = cpuDescription();
        EngineCheckRecord record = EngineCheckRecord.forThisMachine();
        if (device.isGpu()) {
            // cuDNN's TF32 convolutions (libtorch's default on Ampere and newer) keep ~10 bits of mantissa: maps
            // would differ from float32 PyTorch by ~1e-3. Full float32 is what the references and users expect.
            LibtorchContext.find().ifPresent(c -> c.setCuDnnTf32(false));
        }
        // both oneDNN choices failed here before: no need to run them again before libtorch's own
        boolean neither = choice == ConvolutionKernels.Choice.AUTO && !device.isGpu()
            && ConvolutionKernels.current() == ConvolutionKernels.Kernels.ONEDNN && record.fullIsaFailed() && record.sse41Failed();
        if ((choice == ConvolutionKernels.Choice.LIBTORCH || neither) && !ConvolutionKernels.useLibtorch()) {
            throw new EngineCheckException("VOXELLENS_CONV_KERNELS=" + choice.setting() + ": libtorch's switches cannot be "
                + "reached in this process (JNA or the libtorch_cpu symbols are missing); use auto");
        }
        EngineCheck.Result first = EngineCheck.run(root, device);
        ConvolutionKernels.afterFirstConvolution();
        if (!device.isGpu()) record.remember(first.kernels(), first.passed(), cpu);
        if (first.passed()) return new Report(choice, first, null, cpu);
        boolean canFallBack = !device.isGpu() && choice == ConvolutionKernels.Choice.AUTO
            && first.kernels() != ConvolutionKernels.Kernels.LIBTORCH;
        if (!canFallBack || !ConvolutionKernels.useLibtorch()) throw failure(device, cpu, first, null, choice);
        EngineCheck.Result second = EngineCheck.run(root, device);
        if (!second.passed()) throw failure(device, cpu, second, first, choice);
        return new Report(choice, second, first, cpu);
    }

    private static EngineCheckException failure(Device device, String cpu, EngineCheck.Result r, EngineCheck.Result other,
                                                 ConvolutionKernels.Choice choice) {
        Engine e = Engine.getEngine("PyTorch");
        String where = device.isGpu() ? "GPU " + device : "this CPU (" + cpu + ")";
        StringBuilder s = new StringBuilder("the engine failed its known-answer check on ").append(where)
            .append(", libtorch ").append(e.getVersion()).append(", DJL ").append(Engine.getDjlVersion()).append(": ")
            .append(r.worst().describe()).append(", convolutions by ").append(r.label());
        if (other != null) s.append("; before that ").append(other.worst().describe()).append(", convolutions by ").append(other.label());
        s.append("; no maps were computed. ");
        if (device.isGpu()) {
            s.append("Run on the CPU (--device cpu) and report the GPU, driver and CUDA build (docs/gpu.md).");
        } else if (choice != ConvolutionKernels.Choice.AUTO) {
            s.append("Unset VOXELLENS_CONV_KERNELS (auto: the check then picks exact kernels).");
        } else {
            s.append("Report this CPU (docs/performance.md, \"Engine check\").");
        }
        return new EngineCheckException(s.toString());
    }

    /** vendor-family-model-stepping and a hash of the CPU flags: which machines share an {@link EngineCheckRecord}. */
    static String cpuSignature() {
        List<String> lines = cpuinfo();
        if (lines.isEmpty()) return System.getProperty("os.arch");
        return field(lines, "vendor_id") + "-" + field(lines, "cpu family") + "-" + field(lines, "model") + "-"
            + field(lines, "stepping") + "-" + Integer.toHexString(field(lines, "flags").hashCode());
    }

    private static volatile List<String> cpuinfo;

    /** /proc/cpuinfo's lines (read once: the CPU does not change), empty where there is none. */
    private static List<String> cpuinfo() {
        List<String> lines = cpuinfo;
        if (lines == null) {
            try {
                Path info = Path.of("/proc/cpuinfo");
                lines = Files.isReadable(info) ? List.copyOf(Files.readAllLines(info)) : List.of();
            } catch (IOException e) {
                lines = List.of();
            }
            cpuinfo = lines;
        }
        return lines;
    }

    /** e.g. "AMD EPYC (AuthenticAMD family 26 model 2; AVX-512, no AMX)", from /proc/cpuinfo where there is one. */
    static String cpuDescription() {
        String arch = System.getProperty("os.arch");
        List<String> lines = cpuinfo();
        if (lines.isEmpty()) return arch;
        {
            String name = field(lines, "model name");
            String vendor = field(lines, "vendor_id");
            String family = field(lines, "cpu family");
            String model = field(lines, "model");
            String flags = " " + field(lines, "flags") + " ";
            String isa = flags.contains(" avx512f ") ? "AVX-512" : flags.contains(" avx2 ") ? "AVX2" : "no AVX2";
            String amx = flags.contains(" amx_tile ") ? "AMX" : "no AMX";
            return (name.isEmpty() ? arch : name) + " (" + vendor + " family " + family + " model " + model + "; " + isa
                + ", " + amx + ")";
        }
    }

    private static String field(List<String> lines, String key) {
        for (String l : lines) {
            int colon = l.indexOf(':');
            if (colon > 0 && l.substring(0, colon).strip().equals(key)) return l.substring(colon + 1).strip();
        }
        return "";
    }
}
