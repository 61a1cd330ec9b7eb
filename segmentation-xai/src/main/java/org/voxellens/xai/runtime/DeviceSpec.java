package org.voxellens.xai.runtime;

import java.util.Locale;

/**
 * Where the user asked the model to run: {@code auto} (first GPU when the engine has one, else CPU),
 * {@code cpu}, or {@code gpu[:N]}.
 */
public record DeviceSpec(Kind kind, int gpuIndex) {

    public enum Kind { AUTO, CPU, GPU }

    public static final DeviceSpec AUTO = new DeviceSpec(Kind.AUTO, 0);
    public static final DeviceSpec CPU = new DeviceSpec(Kind.CPU, 0);

    public static DeviceSpec parse(String text) {
        String t = text == null ? "auto" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("auto")) return AUTO;
        if (t.equals("cpu")) return CPU;
        if (t.equals("gpu") || t.equals("cuda")) return new DeviceSpec(Kind.GPU, 0);
        if (t.startsWith("gpu:") || t.startsWith("cuda:")) {
            try {
                int n = Integer.parseInt(t.substring(t.indexOf(':') + 1));
                if (n >= 0) return new DeviceSpec(Kind.GPU, n);
            } catch (NumberFormatException ignored) {
                // falls through to the error below
            }
        }
        throw new IllegalArgumentException("unknown device '" + text + "': use auto, cpu, gpu or gpu:N");
    }

    @Override
    public String toString() {
        return switch (kind) {
            case AUTO -> "auto";
            case CPU -> "cpu";
            case GPU -> "gpu:" + gpuIndex;
        };
    }
}
