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
 * <p>With {@code auto} (the default) oneDNN's convolution backward is tried first, as libtorch ships; if its input
 * gradients are wrong on this CPU, libtorch's own backward kernels are switched in and checked again (forward
 * passes keep oneDNN, whose forward kernels were exact everywhere). {@code VOXELLENS_CONV_BACKWARD=onednn} or
 * {@code libtorch} pins one choice. If the chosen kernels fail, no model is loaded and the message names the check,
 * the CPU and what to do. The result is kept per device for the life of the process and goes into summary.json.
 */
public final class EngineGuard {

    private static final Map<String, Object> VERIFIED = new HashMap<>(); // device -> Report or EngineCheckException

    private EngineGuard() {}

    /** What the check found and what was chosen, for summary.json and the log. */
    public record Report(ConvolutionBackward.Choice choice, ConvolutionBackward.Kernels kernels, EngineCheck.Result check,
                         EngineCheck.Result rejected, String cpu) {

        /** One line for the log, e.g. "passed in 0.03 s; convolution backward: libtorch's own (...)". */
        public String describe() {
            String s = "known-answer check passed in " + String.format(Locale.ROOT, "%.2f s", check.seconds())
                + " (max error " + EngineCheck.fmt(check.worst().gradientError()) + "); convolution backward: "
                + kernels.label();
            if (rejected != null) {
                s += " (oneDNN's failed on this CPU: " + rejected.worst().describe() + ")";
            }
            return s;
        }

        public Map<String, Object> toJson() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("passed", check.passed());
            j.put("device", check.device());
            j.put("cpu", cpu);
            j.put("conv_backward", kernels.label());
            j.put("conv_backward_setting", choice.name().toLowerCase(Locale.ROOT));
            j.put("check", json(check));
            if (rejected != null) j.put("rejected", json(rejected));
            j.put("onednn_max_cpu_isa", System.getenv().getOrDefault("ONEDNN_MAX_CPU_ISA", "default"));
            j.put("intra_op_threads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
            return j;
        }

        private static Map<String, Object> json(EngineCheck.Result r) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("kernels", r.kernels().label());
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
        private final transient Report report;

        EngineCheckException(String message, Report report) {
            super(message);
            this.report = report;
        }

        public Report report() { return report; }
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

    /** The report for a device already verified, or null. */
    public static synchronized Report report(Device device) {
        return VERIFIED.get(device.toString()) instanceof Report r ? r : null;
    }

    private static Report decide(NDManager root, Device device) {
        ConvolutionBackward.Choice choice = ConvolutionBackward.Choice.configured();
        String cpu = cpuDescription();
        if (device.isGpu()) {
            // cuDNN's TF32 convolutions (libtorch's default on Ampere and newer) keep ~10 bits of mantissa: maps
            // would differ from float32 PyTorch by ~1e-3. Full float32 is what the references and users expect.
            LibtorchContext.find().ifPresent(c -> c.setCuDnnTf32(false));
        }
        if (choice == ConvolutionBackward.Choice.LIBTORCH || (device.isGpu() && choice == ConvolutionBackward.Choice.AUTO)) {
            if (choice == ConvolutionBackward.Choice.LIBTORCH && !ConvolutionBackward.use(ConvolutionBackward.Kernels.LIBTORCH)) {
                throw new EngineCheckException("VOXELLENS_CONV_BACKWARD=libtorch: libtorch's switches cannot be reached in this "
                    + "process (JNA or libtorch_cpu symbols missing); use auto", null);
            }
            return checked(root, device, choice, cpu, null);
        }
        ConvolutionBackward.use(ConvolutionBackward.Kernels.ONEDNN);
        EngineCheck.Result first = EngineCheck.run(root, device);
        if (first.passed()) return new Report(choice, first.kernels(), first, null, cpu);
        if (choice == ConvolutionBackward.Choice.ONEDNN) throw failure(device, cpu, first, null, choice);
        if (!ConvolutionBackward.use(ConvolutionBackward.Kernels.LIBTORCH)) throw failure(device, cpu, first, null, choice);
        return checked(root, device, choice, cpu, first);
    }

    private static Report checked(NDManager root, Device device, ConvolutionBackward.Choice choice, String cpu,
                                  EngineCheck.Result rejected) {
        EngineCheck.Result r = EngineCheck.run(root, device);
        if (!r.passed()) {
            ConvolutionBackward.use(ConvolutionBackward.Kernels.ONEDNN);
            throw failure(device, cpu, r, rejected, choice);
        }
        return new Report(choice, r.kernels(), r, rejected, cpu);
    }

    private static EngineCheckException failure(Device device, String cpu, EngineCheck.Result r, EngineCheck.Result other,
                                                 ConvolutionBackward.Choice choice) {
        Engine e = Engine.getEngine("PyTorch");
        String where = device.isGpu() ? "GPU " + device : "this CPU (" + cpu + ")";
        StringBuilder s = new StringBuilder("the engine failed its known-answer check on ").append(where)
            .append(", libtorch ").append(e.getVersion()).append(", DJL ").append(Engine.getDjlVersion()).append(": ")
            .append(r.worst().describe()).append(" with ").append(r.kernels().label()).append("'s convolution backward");
        if (other != null) s.append(", and ").append(other.worst().describe()).append(" with ").append(other.kernels().label()).append("'s");
        s.append("; no maps were computed. ");
        if (device.isGpu()) {
            s.append("Run on the CPU (--device cpu) and report the GPU, driver and CUDA build (docs/gpu.md).");
        } else if (choice == ConvolutionBackward.Choice.ONEDNN) {
            s.append("Unset VOXELLENS_CONV_BACKWARD (auto) to switch to libtorch's own convolution backward.");
        } else {
            s.append("Start VoxelLens with ONEDNN_MAX_CPU_ISA=AVX in the environment (exact on the CPUs measured in "
                + "docs/performance.md, \"Engine check\") and report this CPU.");
        }
        Report report = new Report(choice, r.kernels(), r, other, cpu);
        return new EngineCheckException(s.toString(), report);
    }

    /** e.g. "AMD EPYC (AuthenticAMD family 26 model 2; AVX-512, no AMX)", from /proc/cpuinfo where there is one. */
    static String cpuDescription() {
        Path info = Path.of("/proc/cpuinfo");
        String arch = System.getProperty("os.arch");
        if (!Files.isReadable(info)) return arch;
        try {
            List<String> lines = Files.readAllLines(info);
            String name = field(lines, "model name");
            String vendor = field(lines, "vendor_id");
            String family = field(lines, "cpu family");
            String model = field(lines, "model");
            String flags = " " + field(lines, "flags") + " ";
            String isa = flags.contains(" avx512f ") ? "AVX-512" : flags.contains(" avx2 ") ? "AVX2" : "no AVX2";
            String amx = flags.contains(" amx_tile ") ? "AMX" : "no AMX";
            return (name.isEmpty() ? arch : name) + " (" + vendor + " family " + family + " model " + model + "; " + isa
                + ", " + amx + ")";
        } catch (IOException e) {
            return arch;
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
