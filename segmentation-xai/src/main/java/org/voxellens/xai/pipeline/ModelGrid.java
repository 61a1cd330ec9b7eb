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

    /**
     * Voxels a model with a parameterised input may see at once (128³): beyond this a gradient pass of a typical 3D
     * UNet needs more memory than a workstation has, and the volume is seen coarser (or in tiles) instead.
     */
    public static final long MAX_CHOSEN_VOXELS = 128L * 128 * 128;

    /**
     * The model's input size (x, y, z) for this volume. A fixed size is used as it is. A parameterised one
     * (bioimage.io {@code min}/{@code step}) is the smallest allowed size that holds the whole volume at the model's
     * spacing, or at the volume's own voxel size when the model declares none, at most {@link #MAX_CHOSEN_VOXELS}
     * (the volume is then seen coarser, or by sliding window). Using the minimum instead showed a 16³ grid to a
     * model trained at full resolution.
     */
    public static int[] inputSize(Geometry source, ModelPackage model) {
        if (!model.parameterisedSize()) return model.inputSize();
        double[] spacing = model.spacing();
        int[] dims = source.dims();
        double[] extent = source.extent();
        double[] wanted = new double[3];
        for (int a = 0; a < 3; a++) wanted[a] = spacing == null ? dims[a] : Math.ceil(extent[a] / spacing[a] - 1e-6);
        double voxels = wanted[0] * wanted[1] * wanted[2];
        double f = voxels > MAX_CHOSEN_VOXELS ? Math.cbrt(MAX_CHOSEN_VOXELS / voxels) : 1;
        int[] w = new int[3];
        for (int a = 0; a < 3; a++) w[a] = Math.max(1, (int) Math.floor(wanted[a] * f));
        return model.sizeAtLeast(w);
    }

    /** Why the model sees this size, for the log and the report; empty for a fixed size. */
    public static String sizeChoice(ModelPackage model, int[] size) {
        if (!model.parameterisedSize()) return "";
        return "chosen for this volume from the sizes the model takes (x×y×z " + model.describeSizes() + ", "
            + (model.spacing() == null ? "at the volume's own resolution" : "at the model's spacing")
            + ", at most " + Math.round(Math.cbrt(MAX_CHOSEN_VOXELS)) + "³ voxels)";
    }

    public static Geometry of(Geometry source, ModelPackage model) {
        int[] size = inputSize(source, model);
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
        int[] size = inputSize(source, model);
        double[] extent = source.extent();
        int[] dims = new int[3];
        for (int a = 0; a < 3; a++) dims[a] = Math.max(size[a], (int) Math.ceil(extent[a] / spacing[a] - 1e-6));
        return source.recentered(dims, spacing);
    }
}
