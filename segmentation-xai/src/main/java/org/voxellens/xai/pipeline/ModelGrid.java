package org.voxellens.xai.pipeline;

import org.voxellens.volumetric.Geometry;
import org.voxellens.xai.model.ModelPackage;

/**
 * The grid the model sees, in the patient's world: the input's own axes (the model sees the volume in its stored
 * voxel order, as deepImageJ and a plain PyTorch loader would), centred on the input, with the model's input
 * size. With a declared spacing the model sees that many millimetres per voxel; without one the whole field of
 * view is fitted (spacing = extent / size, the edges of both grids coincide, like a resize with
 * align_corners=False).
 */
public final class ModelGrid {

    private ModelGrid() {}

    public static Geometry of(Geometry source, ModelPackage model) {
        int[] size = model.inputSize();
        double[] spacing = model.spacing();
        if (spacing == null) {
            double[] extent = source.extent();
            spacing = new double[3];
            for (int a = 0; a < 3; a++) spacing[a] = extent[a] / size[a];
        }
        return source.recentered(size, spacing);
    }

    /**
     * For sliding-window inference: a grid at the model's declared spacing that covers the whole input (centred on
     * it, the input's axes), at least one model input in every axis so that small volumes are padded rather than
     * refused.
     */
    public static Geometry covering(Geometry source, ModelPackage model) {
        double[] spacing = model.spacing();
        if (spacing == null) throw new IllegalArgumentException("model " + model.name() + " declares no spacing; it sees the whole volume at once");
        int[] size = model.inputSize();
        double[] extent = source.extent();
        int[] dims = new int[3];
        for (int a = 0; a < 3; a++) dims[a] = Math.max(size[a], (int) Math.ceil(extent[a] / spacing[a] - 1e-6));
        return source.recentered(dims, spacing);
    }
}
