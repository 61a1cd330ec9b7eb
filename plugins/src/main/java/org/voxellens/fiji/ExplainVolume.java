package org.voxellens.fiji;

import ij.CompositeImage;
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.WindowManager;
import ij.macro.Interpreter;
import ij.plugin.PlugIn;
import ij.process.FloatProcessor;
import ij.process.LUT;
import java.awt.GraphicsEnvironment;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;
import org.voxellens.volumetric.render.ColorMap;
import org.voxellens.volumetric.render.HeatMapRenderer;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.pipeline.Explainer;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.TorchModel;

/**
 * Plugins > VoxelLens > Explain Volume...: explains the current image (opened with Open Medical Volume, or any
 * stack with a calibration in a length unit, then taken as axis-aligned) with a TorchScript model package, one
 * 2-channel composite per method: channel 1 the anatomy, channel 2 the map on the image's own grid, drawn with
 * the chosen LUT from the threshold (a fraction of the map's robust maximum; lower values add no colour) up.
 *
 * <p>Recordable; the recorded line is e.g.
 * {@code run("Explain Volume...", "model=[/m/demo-classifier] target=lesion gradcam saliency samples=25 steps=32 lut=fire opacity=0.50 threshold=0.20 device=auto");}
 * Headless, {@code call("org.voxellens.fiji.ExplainVolume.runMacro", image, model, methods, target, outDir)}
 * writes what {@code voxellens explain} writes, without any ImagePlus.
 */
public class ExplainVolume implements PlugIn {

    static final String TITLE = "Explain Volume";
    private static final ExplainParameters remembered = new ExplainParameters();
    static {
        remembered.methods("gradcam,smoothgrad");
    }

    private final List<ImagePlus> results = new ArrayList<>();
    private String error;

    @Override
    public void run(String arg) {
        ImagePlus imp = WindowManager.getCurrentImage();
        String problem = notExplainable(imp);
        if (problem != null) {
            fail(problem);
            return;
        }
        // a macro gets the defaults, not the last run's values, for what it leaves out (a layer or region remembered
        // from another model would make the same recorded line do different things): recorded macros replay alike
        ExplainParameters p = withSettings(ij.Macro.getOptions() != null ? fresh() : copy(remembered));
        try {
            DialogValues d = DialogValues.create(TITLE);
            p.addTo(d);
            if (!d.show()) return;
            p.read(d);
        } catch (RuntimeException e) {
            fail(e.getMessage());
            return;
        }
        copyInto(p, remembered);
        error = runReported(TITLE, imp, () -> {
            for (ImagePlus out : explain(imp, p, new IJProgress("VoxelLens: "))) {
                if (!GraphicsEnvironment.isHeadless() || Interpreter.isBatchMode()) out.show();
            }
            // ImageJ's own orthogonal views follow the stack's position and channels, so they stay in sync with it
            if (p.orthogonal && !GraphicsEnvironment.isHeadless() && !results.isEmpty()) IJ.run(results.get(0), "Orthogonal Views", "");
        });
    }

    /** A command's work on an image: reads files, may be cancelled with Esc. */
    interface ImageWork {
        void run() throws IOException;
    }

    /**
     * Runs a command's work the way every VoxelLens command reports it: Esc leaves "cancelled" in the status line,
     * a failure shows a dialog naming the image, and the progress bar is always closed.
     *
     * @return the error ("cancelled" or the message shown), null when the work finished
     */
    static String runReported(String title, ImagePlus imp, ImageWork work) {
        try {
            work.run();
            return null;
        } catch (CancellationException e) {
            IJ.showStatus("VoxelLens: cancelled");
            return "cancelled";
        } catch (IOException | RuntimeException e) {
            String message = imp.getTitle() + ": " + e.getMessage();
            DialogValues.error(title, message);
            return message;
        } finally {
            IJ.showProgress(1.0);
        }
    }

    /** Why an image cannot be explained (a message for the user), or null when it can. */
    static String notExplainable(ImagePlus imp) {
        if (imp == null) return "No image is open. Open one with Plugins>VoxelLens>Open Medical Volume... first.";
        if (imp.getNChannels() > 1 || imp.getNFrames() > 1) {
            return imp.getTitle() + " has " + imp.getNChannels() + " channels and " + imp.getNFrames()
                + " frames; VoxelLens needs a single-channel 3D stack.";
        }
        if (VolumeImages.storedGeometry(imp).isEmpty()) {
            if (!VolumeImages.calibrationUsable(imp)) {
                return imp.getTitle() + " was not opened with Plugins>VoxelLens>Open Medical Volume... and has no calibration "
                    + "in mm: its position in the patient is unknown. Open it with Open Medical Volume, or set the voxel "
                    + "size (mm) under Image>Properties.";
            }
            IJ.log("VoxelLens: " + imp.getTitle() + " has no VoxelLens geometry; using its calibration with identity "
                + "direction (voxel axes = patient L, P, S). Maps are saved on that grid.");
        }
        return null;
    }

    /** The images the last {@link #run(String)} produced (also shown, or registered in batch mode). */
    public List<ImagePlus> results() { return List.copyOf(results); }

    /** The message of the last failure, or null. */
    public String error() { return error; }

    private void fail(String message) {
        error = message;
        DialogValues.error(TITLE, message);
    }

    /** Explains an image; returns one composite (anatomy + map) per method, titled "image - method". */
    public List<ImagePlus> explain(ImagePlus imp, ExplainParameters p, Progress progress) throws IOException {
        p.validate();
        Volume source = VolumeImages.toVolume(imp);
        Explainer.Result res = explain(source, p, roiVolume(imp, p), null, progress);
        Optional<String> info = Optional.ofNullable(imp.getInfoProperty());
        ColorMap cmap = ColorMap.byName(p.lut);
        for (Explainer.MethodResult m : res.methods()) {
            ImagePlus out = composite(imp, source, m.onSource(), imp.getTitle() + " - " + m.method().id(), cmap, p);
            info.ifPresent(s -> out.setProperty("Info", s));
            VolumeImages.setGeometry(out, source.geometry());
            out.setProperty("voxellens.method", m.method().id());
            out.setProp("voxellens.method", m.method().id());
            out.setProp("voxellens.target", res.target().describe());
            out.setProp(ExplanationImage.MODEL, p.model.toString());
            out.setProp(ExplanationImage.LUT, p.lut);
            out.setProp(ExplanationImage.OPACITY, p.opacity);
            out.setProp(ExplanationImage.THRESHOLD, p.threshold);
            out.setProp(ExplanationImage.SECONDS, m.seconds());
            if (imp.getProp("voxellens.source") != null) out.setProp("voxellens.source", imp.getProp("voxellens.source"));
            org.voxellens.xai.metrics.MapVerdict verdict = org.voxellens.xai.metrics.MapVerdict.of(m.attribution(), m.metrics());
            out.setProp("voxellens.verdict", verdict.describe());
            if (verdict.level() == org.voxellens.xai.metrics.MapVerdict.Level.UNRELIABLE) {
                IJ.log("VoxelLens warning: " + out.getTitle() + " is " + verdict.describe());
            }
            results.add(out);
        }
        if (res.prediction().labels() != null) {
            // segmentation models: the predicted labels too (Export Results writes them as NIfTI and DICOM SEG)
            ImagePlus labels = VolumeImages.toImagePlus(res.prediction().labels(), imp.getTitle() + " - segmentation");
            labels.setProp(ExplanationImage.KIND, "labels");
            labels.setProp(ExplanationImage.CLASSES, String.join(",", res.prediction().voxelCounts().keySet()));
            labels.setProp(ExplanationImage.MODEL, p.model.toString());
            if (imp.getProp("voxellens.source") != null) labels.setProp("voxellens.source", imp.getProp("voxellens.source"));
            labels.setDisplayRange(0, Math.max(1, res.prediction().voxelCounts().size() - 1));
            results.add(labels);
        }
        if (res.prediction().outputWarning() != null) IJ.log("VoxelLens warning: " + res.prediction().outputWarning());
        IJ.log(String.format(Locale.ROOT, "VoxelLens: %s, target %s, prediction %s; %s", imp.getTitle(), res.target().describe(),
            res.prediction().predictedClass(), timings(res)));
        return results();
    }

    static Explainer.Result explain(Volume source, ExplainParameters p, Progress progress) throws IOException {
        return explain(source, p, null, null, progress);
    }

    /** The ROI the parameters name, as a 0/1 volume: the image's selection on every slice, or an open mask image. */
    static Volume roiVolume(ImagePlus imp, ExplainParameters p) {
        if (ExplainParameters.ROI_NONE.equals(p.roi)) return null;
        if (ExplainParameters.ROI_SELECTION.equals(p.roi)) {
            ij.gui.Roi sel = imp.getRoi();
            if (sel == null || !sel.isArea()) throw new IllegalArgumentException(imp.getTitle() + " has no area selection to use as the ROI");
            Geometry g = VolumeImages.geometryOf(imp);
            ij.process.ImageProcessor m = sel.getMask();
            java.awt.Rectangle b = sel.getBounds();
            float[] d = new float[g.nx() * g.ny() * g.nz()];
            for (int y = Math.max(0, b.y); y < Math.min(g.ny(), b.y + b.height); y++) {
                for (int x = Math.max(0, b.x); x < Math.min(g.nx(), b.x + b.width); x++) {
                    if (m == null || m.get(x - b.x, y - b.y) != 0) {
                        for (int k = 0; k < g.nz(); k++) d[(k * g.ny() + y) * g.nx() + x] = 1;
                    }
                }
            }
            return new Volume(g, d);
        }
        ImagePlus mask = WindowManager.getImage(p.roi);
        if (mask == null) throw new IllegalArgumentException("ROI image '" + p.roi + "' is not open");
        Volume v = VolumeImages.toVolume(mask);
        float[] d = v.data().clone();
        for (int i = 0; i < d.length; i++) d[i] = d[i] != 0 ? 1 : 0;
        return new Volume(v.geometry(), d);
    }

    private static volatile boolean engineLogged;

    /** The engine's known-answer check result, once per Fiji session (it is only run once per process). */
    private static void logEngineOnce(TorchModel model) {
        if (engineLogged) return;
        engineLogged = true;
        IJ.log("VoxelLens engine (" + model.device() + "): " + model.engineCheck().describe());
    }

    /** The one explain path of the Fiji commands; {@code roi} and {@code metrics} may be null. */
    static Explainer.Result explain(Volume source, ExplainParameters p, Volume roi, Explainer.MetricsRequest metrics, Progress progress)
        throws IOException {
        ModelPackage pkg = ModelPackage.open(p.model);
        if (p.methods.stream().anyMatch(m -> m.startsWith("gradcam"))) pkg.gradCamLayer(null); // fail before loading
        VoxelLensSettings settings = VoxelLensSettings.load();
        settings.applyThreads();
        try (TorchModel model = TorchModel.load(pkg, DeviceSpec.parse(p.device))) {
            logEngineOnce(model);
            // the dialog keeps its last region; a classifier has none, so a region left from a segmenter is not an error here
            org.voxellens.xai.target.TargetSpec spec = p.targetSpec();
            if (model.modelPackage().task() == org.voxellens.xai.model.ModelTask.CLASSIFICATION && roi == null) {
                spec = new org.voxellens.xai.target.TargetSpec(spec.classNameOrIndex(), null);
            }
            return new Explainer(model, settings.tiling()).explain(source, spec, roi, p.attributionMethods(), metrics, p.seed, progress);
        }
    }

    static ImagePlus composite(ImagePlus anatomyImp, Volume anatomy, Volume map, String title, ColorMap cmap,
                                       ExplainParameters p) {
        Geometry g = anatomy.geometry();
        int nx = g.nx(), ny = g.ny(), nz = g.nz(), n = nx * ny;
        ImageStack stack = new ImageStack(nx, ny);
        for (int k = 0; k < nz; k++) {
            stack.addSlice("anatomy z=" + k, new FloatProcessor(nx, ny, Arrays.copyOfRange(anatomy.data(), k * n, (k + 1) * n)));
            stack.addSlice("map z=" + k, new FloatProcessor(nx, ny, Arrays.copyOfRange(map.data(), k * n, (k + 1) * n)));
        }
        ImagePlus imp = new ImagePlus(title, stack);
        imp.setDimensions(2, nz, 1);
        CompositeImage c = new CompositeImage(imp, IJ.COMPOSITE);
        // additive composite: the heat LUT's first entry is black, so values under the threshold add no colour.
        // Opacity trades anatomy brightness for heat (0: anatomy only, 1: map only); a bright lesion under a
        // full-brightness anatomy would saturate to white and hide the colours.
        double a = 1 - p.opacity, h = Math.min(1, 2 * p.opacity);
        LUT gray = scaledLut(ColorMap.GRAYS, a);
        float[] ar = VolumeImages.percentiles(anatomy.data(), 0.005, 0.995);
        gray.min = ar[0];
        gray.max = ar[1] > ar[0] ? ar[1] : ar[0] + 1;
        LUT heat = scaledLut(cmap, h);
        // below the threshold (LUT index 0) no colour at all, also for maps whose first colour is not black (Jet, Viridis)
        heat = blackBelow(heat);
        double robustMax = robustMax(map.data());
        heat.min = p.threshold * robustMax;
        heat.max = robustMax;
        c.setLuts(new LUT[] {gray, heat});
        c.setPosition(2, Math.max(1, Math.min(nz, HeatMapRenderer.peakVoxel(map)[2] + 1)), 1);
        c.setDisplayRange(heat.min, heat.max);
        c.setPosition(1, c.getSlice(), 1);
        c.setDisplayRange(gray.min, gray.max);
        return c;
    }

    private static LUT blackBelow(LUT lut) {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        lut.getReds(r);
        lut.getGreens(g);
        lut.getBlues(b);
        r[0] = g[0] = b[0] = 0;
        return new LUT(r, g, b);
    }

    private static LUT scaledLut(ColorMap cmap, double factor) {
        byte[] r = new byte[256], gr = new byte[256], b = new byte[256];
        for (int i = 0; i < 256; i++) {
            int rgb = cmap.rgbAt(i);
            r[i] = (byte) Math.round(((rgb >> 16) & 255) * factor);
            gr[i] = (byte) Math.round(((rgb >> 8) & 255) * factor);
            b[i] = (byte) Math.round((rgb & 255) * factor);
        }
        return new LUT(r, gr, b);
    }

    /** 99.9th percentile of the positive values (the maximum for small supports); 1 for an all-zero map. */
    static double robustMax(float[] d) {
        float[] pos = new float[d.length];
        int n = 0;
        for (float v : d) if (v > 0 && Float.isFinite(v)) pos[n++] = v;
        if (n == 0) return 1;
        Arrays.sort(pos, 0, n);
        double q = pos[(int) Math.floor(0.999 * (n - 1))];
        return q > 0 ? q : pos[n - 1];
    }

    private static String timings(Explainer.Result res) {
        StringBuilder sb = new StringBuilder();
        for (Explainer.MethodResult m : res.methods()) {
            sb.append(String.format(Locale.ROOT, "%s %.1f s ", m.method().id(), m.seconds()));
        }
        return sb.toString().trim();
    }

    /** Until the user picks otherwise, the device and the first model package of Settings. */
    static ExplainParameters withSettings(ExplainParameters p) {
        VoxelLensSettings s = VoxelLensSettings.load();
        if (p.model == null) p.model = s.modelPackages().stream().findFirst().orElse(null);
        if ("auto".equals(p.device)) p.device = s.device();
        return p;
    }

    /** The dialog's defaults (what the first run offers). */
    static ExplainParameters fresh() {
        return new ExplainParameters().methods("gradcam,smoothgrad");
    }

    static ExplainParameters copy(ExplainParameters from) {
        ExplainParameters p = new ExplainParameters();
        copyInto(from, p);
        return p;
    }

    private static void copyInto(ExplainParameters from, ExplainParameters to) {
        to.model = from.model;
        to.target = from.target;
        to.layer = from.layer;
        to.methods.clear();
        to.methods.addAll(from.methods);
        to.samples = from.samples;
        to.noise = from.noise;
        to.igSteps = from.igSteps;
        to.batchSize = from.batchSize;
        to.lut = from.lut;
        to.opacity = from.opacity;
        to.threshold = from.threshold;
        to.device = from.device;
        to.seed = from.seed;
        to.region = from.region;
        to.roi = from.roi;
        to.orthogonal = from.orthogonal;
    }

    // ---------------------------------------------------------------- headless / macro entry points

    /**
     * For {@code call("org.voxellens.fiji.ExplainVolume.runMacro", image, model, methods, target, outDir)}, kept for
     * macros written against the first release: the same files as {@link BatchExplain#explainCase} (which it runs,
     * without metrics). Returns "OK outDir" or "ERROR: ..." (never throws).
     */
    public static String runMacro(String imagePath, String modelDir, String methods, String target, String outDir) {
        return BatchExplain.explainCase(imagePath, modelDir, methods, target, "", outDir);
    }
}
