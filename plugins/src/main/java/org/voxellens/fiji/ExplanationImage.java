package org.voxellens.fiji;

import ij.ImagePlus;
import ij.WindowManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.voxellens.volumetric.Volume;
import org.voxellens.volumetric.render.RenderOptions;

/**
 * A result image of Explain Volume read back: the anatomy (channel 1) and the map (channel 2) on the image's
 * geometry, with what produced them (image properties set by Explain Volume, so they survive a TIFF save), or a
 * segmentation's label image; {@code source} is the file or folder the anatomy was opened from, if known. Export and scripts work from these, not from a recomputation.
 */
public record ExplanationImage(String title, String method, String target, Volume anatomy, Volume map, Volume labels,
                               List<String> classes, Path model, RenderOptions render, double seconds, String source) {

    static final String KIND = "voxellens.kind", CLASSES = "voxellens.classes", MODEL = "voxellens.model",
        LUT = "voxellens.lut", OPACITY = "voxellens.opacity", THRESHOLD = "voxellens.threshold", SECONDS = "voxellens.seconds";

    public boolean isLabels() { return labels != null; }

    /** The explanation in an image, if it is a VoxelLens result (a map composite or a label image). */
    public static Optional<ExplanationImage> of(ImagePlus imp) {
        String model = imp.getProp(MODEL);
        if ("labels".equals(imp.getProp(KIND))) {
            String classes = imp.getProp(CLASSES);
            return Optional.of(new ExplanationImage(imp.getTitle(), "segmentation", null, null, null, VolumeImages.toVolume(imp, 1),
                classes == null ? List.of() : List.of(classes.split(",")), model == null ? null : Path.of(model), null, 0, imp.getProp("voxellens.source")));
        }
        String method = imp.getProp("voxellens.method");
        if (method == null || imp.getNChannels() != 2) return Optional.empty();
        RenderOptions render = RenderOptions.builder().colorMap(orElse(imp.getProp(LUT), "fire"))
            .opacity(number(imp, OPACITY, 0.5)).threshold(number(imp, THRESHOLD, 0.2)).build();
        return Optional.of(new ExplanationImage(imp.getTitle(), method, imp.getProp("voxellens.target"), VolumeImages.toVolume(imp, 1),
            VolumeImages.toVolume(imp, 2), null, List.of(), model == null ? null : Path.of(model), render, number(imp, SECONDS, 0), imp.getProp("voxellens.source")));
    }

    /** Every open VoxelLens result, in window order. */
    public static List<ExplanationImage> allOpen() {
        List<ExplanationImage> all = new ArrayList<>();
        int[] ids = WindowManager.getIDList();
        if (ids != null) {
            for (int id : ids) {
                ImagePlus imp = WindowManager.getImage(id);
                if (imp != null) of(imp).ifPresent(all::add);
            }
        }
        return all;
    }

    private static double number(ImagePlus imp, String key, double def) {
        String v = imp.getProp(key);
        try {
            return v == null ? def : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return def;
        }
    }

    private static String orElse(String v, String def) { return v == null || v.isBlank() ? def : v; }
}
