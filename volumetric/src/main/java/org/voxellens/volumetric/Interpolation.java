package org.voxellens.volumetric;

/** How values between voxel centres are obtained when a volume is sampled off its own grid. */
public enum Interpolation {
    /** Trilinear: for images and attribution maps, where in-between values are meaningful. */
    LINEAR,
    /** Nearest voxel: for label maps, where averaging two labels would invent a third. */
    NEAREST
}
