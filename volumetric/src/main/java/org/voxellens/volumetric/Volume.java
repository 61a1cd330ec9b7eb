package org.voxellens.volumetric;

/**
 * A scalar 3D image: float voxels on a {@link Geometry}. Voxel (i, j, k) is at {@code data[i + nx * (j + ny * k)]}.
 *
 * <p>The voxel array is owned by the volume and treated as read-only once the volume is built (copying every
 * volume would double memory for whole CT series); operations return new volumes.
 */
public final class Volume {

    private final Geometry geometry;
    private final float[] data;

    public Volume(Geometry geometry, float[] data) {
        if (data.length != geometry.voxelCount()) {
            throw new IllegalArgumentException("voxel count " + data.length + " does not match geometry "
                + geometry.nx() + "x" + geometry.ny() + "x" + geometry.nz());
        }
        this.geometry = geometry;
        this.data = data;
    }

    public static Volume zeros(Geometry geometry) {
        long n = geometry.voxelCount();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("volume too large: " + n + " voxels");
        return new Volume(geometry, new float[(int) n]);
    }

    public Geometry geometry() { return geometry; }

    /** The backing voxel array (not a copy): do not modify. */
    public float[] data() { return data; }

    public int index(int i, int j, int k) { return i + geometry.nx() * (j + geometry.ny() * k); }

    public float get(int i, int j, int k) { return data[index(i, j, k)]; }

    /** A new volume on the same grid with other voxel values. */
    public Volume withData(float[] newData) { return new Volume(geometry, newData); }

    /** Index of the first non-finite voxel, or -1 when every voxel is finite. */
    public int firstNonFinite() {
        for (int n = 0; n < data.length; n++) {
            if (!Float.isFinite(data[n])) return n;
        }
        return -1;
    }

    public float min() {
        float v = Float.POSITIVE_INFINITY;
        for (float f : data) v = Math.min(v, f);
        return v;
    }

    public float max() {
        float v = Float.NEGATIVE_INFINITY;
        for (float f : data) v = Math.max(v, f);
        return v;
    }

    /** Voxel index (i, j, k) of the largest value (first one on ties). */
    public int[] argMax() {
        int best = 0;
        for (int n = 1; n < data.length; n++) if (data[n] > data[best]) best = n;
        int nx = geometry.nx(), ny = geometry.ny();
        return new int[] {best % nx, (best / nx) % ny, best / (nx * ny)};
    }
}
