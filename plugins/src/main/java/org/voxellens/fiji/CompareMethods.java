package org.voxellens.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.Overlay;
import ij.gui.TextRoi;
import ij.plugin.PlugIn;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;
import org.voxellens.volumetric.render.ColorMap;
import org.voxellens.xai.metrics.MetricCatalog;
import org.voxellens.xai.metrics.MetricResult;
import org.voxellens.xai.pipeline.Explainer;

/**
 * Plugins > VoxelLens > Compare Methods...: every chosen method side by side on the same slices. One composite
 * stack holds all of them (anatomy tiled in channel 1, each map scaled to its own robust maximum in channel 2), so
 * the one slice slider, LUT, opacity and threshold act on every method at once; each tile is labelled with its
 * method and scores, which also go to the Results table.
 * Macro: {@code run("Compare Methods...", "model=[/m] target=lesion gradcam saliency ig ... lut=Fire infidelity");}
 */
public class CompareMethods implements PlugIn {

    static final String TITLE = "Compare Methods";
    private String error;
    private ImagePlus result;

    @Override
    public void run(String arg) {
        ImagePlus imp = WindowManager.getCurrentImage();
        String problem = ExplainVolume.notExplainable(imp);
        if (problem != null) {
            fail(problem);
            return;
        }
        ExplainParameters p = ExplainVolume.withSettings(new ExplainParameters().methods("gradcam,saliency,inputxgrad"));
        String metrics;
        try {
            DialogValues d = DialogValues.create(TITLE);
            p.addTo(d);
            d.addMessage("Scores shown under each method (optional):");
            ScoreExplanation.addMetricChoices(d, m -> false);
            if (!d.show()) return;
            p.read(d);
            metrics = ScoreExplanation.readMetricChoices(d);
        } catch (RuntimeException e) {
            fail(e.getMessage());
            return;
        }
        error = ExplainVolume.runReported(TITLE, imp, () -> {
            Volume source = VolumeImages.toVolume(imp);
            Explainer.Result res = ExplainVolume.explain(source, p, ExplainVolume.roiVolume(imp, p), metrics.isEmpty() ? null
                : new Explainer.MetricsRequest(metrics, new MetricCatalog.Options(null, null, null, p.batchSize, null), null),
                new IJProgress("VoxelLens compare: "));
            result = montage(imp, source, res, p);
            if (!metrics.isEmpty()) ScoreExplanation.showScores(imp.getTitle(), res);
            if (!java.awt.GraphicsEnvironment.isHeadless() || ij.macro.Interpreter.isBatchMode()) result.show();
        });
    }

    /** The side-by-side composite: tile i (x from i * nx) is method i, in the order the methods ran. */
    static ImagePlus montage(ImagePlus imp, Volume source, Explainer.Result res, ExplainParameters p) {
        Geometry g = source.geometry();
        int nx = g.nx(), ny = g.ny(), nz = g.nz(), n = res.methods().size(), w = nx * n;
        float[] anatomy = new float[w * ny * nz], maps = new float[w * ny * nz];
        for (int i = 0; i < n; i++) {
            float[] m = res.methods().get(i).onSource().data();
            // each map on its own scale: methods differ by orders of magnitude, the comparison is of where, not how much
            float scale = (float) (1 / ExplainVolume.robustMax(m));
            for (int k = 0; k < nz; k++) {
                for (int y = 0; y < ny; y++) {
                    int src = (k * ny + y) * nx, dst = (k * ny + y) * w + i * nx;
                    System.arraycopy(source.data(), src, anatomy, dst, nx);
                    for (int x = 0; x < nx; x++) maps[dst + x] = m[src + x] * scale;
                }
            }
        }
        Geometry tiled = Geometry.axisAligned(new int[] {w, ny, nz}, g.spacing(), g.origin());
        ImagePlus out = ExplainVolume.composite(imp, new Volume(tiled, anatomy), new Volume(tiled, maps),
            "Compare - " + imp.getTitle(), ColorMap.byName(p.lut), p);
        Overlay labels = new Overlay();
        Font font = new Font("SansSerif", Font.BOLD, Math.max(9, Math.min(14, nx / 8)));
        List<String> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Explainer.MethodResult m = res.methods().get(i);
            order.add(m.method().id());
            StringBuilder text = new StringBuilder(m.method().id());
            for (MetricResult mr : m.metrics()) {
                Object v = mr.values().values().stream().filter(o -> o instanceof Number).findFirst().orElse(null);
                if (v != null) text.append('\n').append(mr.metric()).append(String.format(Locale.ROOT, " %.3g", ((Number) v).doubleValue()));
            }
            TextRoi t = new TextRoi(i * nx + 2, 2, text.toString(), font);
            t.setStrokeColor(Color.WHITE);
            labels.add(t);
        }
        out.setOverlay(labels);
        out.setProp("voxellens.methods", String.join(",", order));
        return out;
    }

    public String error() { return error; }

    /** The montage of the last run, or null. */
    public ImagePlus result() { return result; }

    private void fail(String message) {
        error = message;
        DialogValues.error(TITLE, message);
    }
}
