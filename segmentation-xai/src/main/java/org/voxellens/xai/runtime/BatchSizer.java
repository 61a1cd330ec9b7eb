package org.voxellens.xai.runtime;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Chooses how many samples (noisy copies, path points, occluded copies, tiles) go into one pass from the memory
 * that is free now, when the user did not set a batch size.
 *
 * <p>Per-sample cost is estimated from the input's voxel count: the libtorch activations of a forward pass
 * (autograd keeps every layer's output for the backward) plus the Java copies of the batch and its gradients.
 * The factors are upper bounds measured on the bundled 3D UNet (docs/performance.md: batch 8 at 96³ took ~3 GiB
 * above the baseline for forward+backward, ~380 bytes per input voxel per sample); a larger network needs a
 * smaller batch, which {@code --batch-size} sets. Only half of the free memory is planned for, since glibc and the
 * allocator fragment and other programs run too.
 */
public final class BatchSizer {

    /** What each sample of a batch costs in native memory, in bytes per input voxel. */
    public enum Pass {
        /** Forward without autograd: only a few layers' outputs are alive at a time. */
        FORWARD(96),
        /** Forward + backward: every layer's output is kept for the backward. */
        GRADIENT(512);

        final long nativeBytesPerVoxel;

        Pass(long b) { this.nativeBytesPerVoxel = b; }
    }

    /** Java-side floats per input voxel per sample: the batch copy and its gradient, plus slack. */
    private static final long HEAP_BYTES_PER_VOXEL = 3 * Float.BYTES;
    public static final int MAX_BATCH = 32;

    private BatchSizer() {}

    /**
     * @param requested a batch size the user set (used as is), or 0 to choose from free memory
     * @param voxelsPerSample input voxels per sample (channels × z × y × x)
     * @param device the model's device, e.g. {@link TorchModel#device()} ("cpu()", "gpu(0)")
     */
    public static int choose(int requested, long voxelsPerSample, Pass pass, String device) {
        if (requested > 0) return requested;
        long nativeFree = device != null && device.startsWith("gpu") ? gpuFree(device) : availableNativeBytes();
        return fit(voxelsPerSample, pass, nativeFree, availableHeapBytes());
    }

    /** The batch that fits half of each budget, between 1 and {@link #MAX_BATCH}. */
    static int fit(long voxelsPerSample, Pass pass, long nativeFree, long heapFree) {
        long byNative = nativeFree / 2 / Math.max(1, voxelsPerSample * pass.nativeBytesPerVoxel);
        long byHeap = heapFree / 2 / Math.max(1, voxelsPerSample * HEAP_BYTES_PER_VOXEL);
        return (int) Math.max(1, Math.min(MAX_BATCH, Math.min(byNative, byHeap)));
    }

    /** Heap the JVM can still grow into: max minus what is in use now. */
    public static long availableHeapBytes() {
        Runtime r = Runtime.getRuntime();
        return r.maxMemory() - (r.totalMemory() - r.freeMemory());
    }

    /** MemAvailable from /proc/meminfo (Linux); elsewhere the free heap as a cautious stand-in. */
    public static long availableNativeBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException | SecurityException e) {
            // not Linux or not readable: fall through
        }
        return availableHeapBytes();
    }

    private static long gpuFree(String device) {
        int id = 0;
        int open = device.indexOf('(');
        if (open >= 0) {
            try {
                id = Integer.parseInt(device.substring(open + 1, device.indexOf(')')).trim());
            } catch (RuntimeException e) {
                id = 0;
            }
        }
        MemoryUsage u = CudaUtils.getGpuMemory(Device.gpu(id));
        return u.getMax() - u.getUsed();
    }
}
