package org.voxellens.fiji;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.voxellens.volumetric.render.ColorMap;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.IntegratedGradients;
import org.voxellens.xai.attribution.MethodCatalog;
import org.voxellens.xai.runtime.DeviceSpec;

/**
 * What Explain Volume runs with. The dialog (or its recorded macro options) fills it; the static macro entry point
 * builds it from strings. Method names are the command line's ({@code --method}).
 */
public final class ExplainParameters {

    /** The method ids, in the command line's order. */
    public static final List<String> METHODS = MethodCatalog.NAMES;
    static final String[] DEVICES = {"auto", "cpu", "gpu"};

    public Path model;
    /** Class name or index; null or empty: the model's default target, else the predicted class. */
    public String target;
    /** Grad-CAM layer (a name the package declares); null or empty: the package's default layer. */
    public String layer;
    public final Set<String> methods = new LinkedHashSet<>();
    public int samples = 25;
    public double noise = 0.15;
    public int igSteps = 32;
    public int batchSize = 8;
    public String lut = "Fire";
    public double opacity = 0.5;
    public double threshold = 0.2;
    public String device = "auto";
    public long seed = 42;
    /** Segmentation models: predicted (default), roi or channel, as the command line's --region. */
    public String region = "predicted";
    /** "none", "selection" (the image's ROI on every slice) or the title of an open mask image (non-zero = inside). */
    public String roi = ROI_NONE;
    /** Orthogonal views of the result (interactive only). */
    public boolean orthogonal;

    static final String[] REGIONS = {"predicted", "roi", "channel"};
    static final String ROI_NONE = "none", ROI_SELECTION = "selection";

    /** Parses "gradcam,saliency" or "all" (case-insensitive; spaces and commas separate; the command line's aliases). */
    public ExplainParameters methods(String list) {
        methods.clear();
        for (AttributionMethod m : MethodCatalog.parse(String.join(",", list.trim().split("[,\\s]+")), options())) {
            methods.add(m.id());
        }
        return this;
    }

    /** Adds the dialog's fields (defaults from this object); read them back with {@link #read}. */
    void addTo(DialogValues d) {
        d.addFile("Model folder", model == null ? "" : model.toString(), true);
        d.addString("Target class (empty: model default)", target == null ? "" : target, 12);
        d.addChoice("Region (segmentation models)", REGIONS, region);
        d.addString("Grad-CAM layer (empty: model default)", layer == null ? "" : layer, 16);
        String[] rois = roiChoices();
        d.addChoice("ROI", rois, java.util.Arrays.asList(rois).contains(roi) ? roi : ROI_NONE);
        d.addMessage("Methods:");
        for (int i = 0; i < METHODS.size(); i++) {
            // the key GenericDialog records is the first word of the label: the command line's method name
            d.addCheckbox(METHODS.get(i) + " (" + MethodCatalog.TITLES.get(METHODS.get(i)) + ")", methods.contains(METHODS.get(i)));
        }
        d.addNumber("Samples (SmoothGrad, SmoothGrad\u00b2, VarGrad)", samples, 0);
        d.addNumber("Steps (Integrated Gradients)", igSteps, 0);
        d.addChoice("LUT", lutNames(), lut);
        d.addNumber("Opacity", opacity, 2);
        d.addNumber("Threshold (fraction of the robust maximum)", threshold, 2);
        d.addChoice("Device", DEVICES, device);
        d.addCheckbox("Orthogonal views of the result", orthogonal);
    }

    /** none, selection, and the titles of the open single-channel images (candidate masks). */
    static String[] roiChoices() {
        List<String> c = new java.util.ArrayList<>(List.of(ROI_NONE, ROI_SELECTION));
        int[] ids = ij.WindowManager.getIDList();
        if (ids != null) {
            for (int id : ids) {
                ij.ImagePlus imp = ij.WindowManager.getImage(id);
                if (imp != null && imp.getNChannels() == 1 && !c.contains(imp.getTitle())) c.add(imp.getTitle());
            }
        }
        return c.toArray(String[]::new);
    }

    /** Reads the fields in the order {@link #addTo} added them, then validates. */
    void read(DialogValues d) {
        String m = d.nextString().trim();
        model = m.isEmpty() ? null : Path.of(m);
        String t = d.nextString().trim();
        target = t.isEmpty() ? null : t;
        region = d.nextChoice();
        String l = d.nextString().trim();
        layer = l.isEmpty() ? null : l;
        roi = d.nextChoice();
        methods.clear();
        for (String id : METHODS) {
            if (d.nextBoolean()) methods.add(id);
        }
        samples = (int) Math.round(d.nextNumber());
        igSteps = (int) Math.round(d.nextNumber());
        lut = d.nextChoice();
        opacity = d.nextNumber();
        threshold = d.nextNumber();
        device = d.nextChoice();
        orthogonal = d.nextBoolean();
        validate();
    }

    void validate() {
        if (model == null) throw new IllegalArgumentException("no model folder given");
        if (methods.isEmpty()) throw new IllegalArgumentException("no method chosen; known: " + String.join(", ", METHODS));
        if (samples < 1) throw new IllegalArgumentException("samples must be >= 1");
        if (igSteps < 1) throw new IllegalArgumentException("IG steps must be >= 1");
        if (!(opacity >= 0 && opacity <= 1)) throw new IllegalArgumentException("opacity must be in [0, 1]");
        if (!(threshold >= 0 && threshold < 1)) throw new IllegalArgumentException("threshold must be in [0, 1)");
        ColorMap.byName(lut);
        DeviceSpec.parse(device);
        if (!List.of(REGIONS).contains(region)) throw new IllegalArgumentException("region must be one of " + String.join(", ", REGIONS));
    }

    /** The target as the explain pipeline takes it: an ROI implies region roi, "predicted" is the default (null). */
    org.voxellens.xai.target.TargetSpec targetSpec() {
        String r = ROI_NONE.equals(roi) ? region : "roi";
        return new org.voxellens.xai.target.TargetSpec(target, r.equals("predicted") ? null
            : org.voxellens.xai.target.SegmentationTarget.Region.valueOf(r.toUpperCase(Locale.ROOT)));
    }

    /** The configured attribution methods (Grad-CAM at {@link #layer}, else the model's default layer). */
    public List<AttributionMethod> attributionMethods() {
        return MethodCatalog.parse(String.join(",", methods), options());
    }

    private MethodCatalog.Options options() {
        return new MethodCatalog.Options(layer, samples, noise, igSteps, IntegratedGradients.Baseline.ZERO, batchSize);
    }

    /** The colour maps VoxelLens renders with (the same tables as the command line's pictures). */
    static String[] lutNames() {
        return ColorMap.names().stream().map(n -> n.substring(0, 1).toUpperCase(Locale.ROOT) + n.substring(1))
            .toArray(String[]::new);
    }
}
