package org.voxellens.xai.runtime;

import java.util.Arrays;

/**
 * A host-side float tensor in C order (last axis fastest), e.g. a batch of volumes as {@code [B, C, z, y, x]}:
 * the layout of {@link org.voxellens.volumetric.Volume}'s voxel array, so one channel of one sample is a volume.
 * Keeping attribution arithmetic on plain arrays decouples the methods from the engine's memory management.
 */
public record Tensor(float[] data, long[] shape) {

    public Tensor {
        long n = 1;
        for (long s : shape) {
            if (s <= 0) throw new IllegalArgumentException("tensor dimensions must be positive: " + Arrays.toString(shape));
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " needs " + n
                + " values, got " + data.length);
        }
        shape = shape.clone();
    }

    public static Tensor zeros(long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return new Tensor(new float[Math.toIntExact(n)], shape);
    }

    @Override
    public long[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public long dim(int axis) { return shape[axis]; }

    public int size() { return data.length; }

    /** Values per entry of the first axis (per sample of a batch). */
    public int sampleSize() { return data.length / (int) shape[0]; }

    /** This shape with {@code b} in place of the first (batch) axis. */
    public long[] batchShape(long b) {
        long[] s = shape.clone();
        s[0] = b;
        return s;
    }

    /** Sample {@code b} of a batch, as a tensor with a leading axis of 1. */
    public Tensor sample(int b) {
        int n = sampleSize();
        return new Tensor(Arrays.copyOfRange(data, b * n, (b + 1) * n), batchShape(1));
    }

    /** {@code copies} copies of this single sample stacked along the first axis. */
    public Tensor repeat(int copies) {
        if (shape[0] != 1) throw new IllegalStateException("repeat expects a single sample, shape " + Arrays.toString(shape));
        float[] out = new float[data.length * copies];
        for (int c = 0; c < copies; c++) System.arraycopy(data, 0, out, c * data.length, data.length);
        return new Tensor(out, batchShape(copies));
    }

    /** Shape without the batch axis. */
    public long[] sampleShape() { return Arrays.copyOfRange(shape, 1, shape.length); }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(data, t.data) && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() { return 31 * Arrays.hashCode(data) + Arrays.hashCode(shape); }

    @Override
    public String toString() { return "Tensor" + Arrays.toString(shape); }
}
