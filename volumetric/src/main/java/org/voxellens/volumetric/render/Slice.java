package org.voxellens.volumetric.render;

import org.voxellens.volumetric.Interpolation;

/**
 * One voxel plane of a volume, already turned into display orientation (row 0 at the top, column 0 on the
 * left), with the physical pixel size so that it can be drawn without distorting anatomy, and where the point
 * the slice goes through lies.
 */
public final class Slice {

    private final int width;
    private final int height;
    private final double pixelWidthMm;
    private final double pixelHeightMm;
    private final float[] values;
    private final int pointColumn;
    private final int pointRow;

    Slice(int width, int height, double pixelWidthMm, double pixelHeightMm, float[] values, int pointColumn,
          int pointRow) {
        this.width = width;
        this.height = height;
        this.pixelWidthMm = pixelWidthMm;
        this.pixelHeightMm = pixelHeightMm;
        this.values = values;
        this.pointColumn = pointColumn;
        this.pointRow = pointRow;
    }

    public int width() { return width; }
    public int height() { return height; }
    public double pixelWidthMm() { return pixelWidthMm; }
    public double pixelHeightMm() { return pixelHeightMm; }
    public int pointColumn() { return pointColumn; }
    public int pointRow() { return pointRow; }

    public float get(int column, int row) {
        return values[column + width * row];
    }

    /** Value at a continuous (column, row) position, clamped to the slice so edges extend rather than fade. */
    public double sample(double column, double row, Interpolation interpolation) {
        double c = Math.max(0, Math.min(width - 1, column));
        double r = Math.max(0, Math.min(height - 1, row));
        if (interpolation == Interpolation.NEAREST) return get((int) Math.round(c), (int) Math.round(r));
        int c0 = (int) c, r0 = (int) r;
        double fc = c - c0, fr = r - r0;
        int c1 = fc > 0 ? c0 + 1 : c0, r1 = fr > 0 ? r0 + 1 : r0;
        double top = get(c0, r0) * (1 - fc) + get(c1, r0) * fc;
        double bottom = get(c0, r1) * (1 - fc) + get(c1, r1) * fc;
        return top * (1 - fr) + bottom * fr;
    }
}
