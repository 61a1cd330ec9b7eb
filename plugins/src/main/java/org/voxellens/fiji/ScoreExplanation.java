package org.voxellens.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.measure.ResultsTable;
import ij.plugin.PlugIn;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.voxellens.volumetric.Volume;
import org.voxellens.xai.metrics.MetricCatalog;
import org.voxellens.xai.metrics.MetricResult;
import org.voxellens.xai.metrics.TiledMetricResult;
import org.voxellens.xai.pipeline.Explainer;

/**
 * Plugins > VoxelLens > Score Explanation...: trust scores of the chosen methods' maps for the current image
 * (infidelity, sensitivity-max, the model-randomisation check, ... from the MetricCatalog), one row per number in
 * the Results table. Sensitivity and randomisation re-run the method, so the maps are computed here again with the
 * same seed, as the command line's {@code --metrics} does.
 * Macro: {@code run("Score Explanation...", "model=[/m] target=lesion saliency ... infidelity sensitivity perturbations=32 points=10");}
 */
public class ScoreExplanation implements PlugIn {

    static final String TITLE = "Score Explanation";
    /** The metrics offered (localisation needs a ground truth: the command line's {@code score}). */
    static final List<String> METRICS = MetricCatalog.NAMES.stream().filter(m -> !m.equals("localisation")).toList();

    private String error;
    private ResultsTable table;

    @Override
    public void run(String arg) {
        ImagePlus imp = WindowManager.getCurrentImage();
        String problem = ExplainVolume.notExplainable(imp);
        if (problem != null) {
            fail(problem);
            return;
        }
        ExplainParameters p = ExplainVolume.withSettings(new ExplainParameters().methods("saliency"));
        String metrics;
        int perturbations, points;
        try {
            DialogValues d = DialogValues.create(TITLE);
            p.addTo(d);
            d.addMessage("Scores:");
            addMetricChoices(d, m -> m.equals("infidelity") || m.equals("sensitivity") || m.equals("randomisation"));
            d.addNumber("Perturbations (infidelity)", 32, 0);
            d.addNumber("Points (sensitivity-max; each re-runs the method)", 10, 0);
            if (!d.show()) return;
            p.read(d);
            metrics = readMetricChoices(d);
            perturbations = (int) Math.round(d.nextNumber());
            points = (int) Math.round(d.nextNumber());
            if (metrics.isEmpty()) throw new IllegalArgumentException("no score chosen; known: " + String.join(", ", METRICS));
            if (perturbations < 1 || points < 1) throw new IllegalArgumentException("perturbations and points must be >= 1");
        } catch (RuntimeException e) {
            fail(e.getMessage());
            return;
        }
        error = ExplainVolume.runReported(TITLE, imp, () -> {
            Volume source = VolumeImages.toVolume(imp);
            Explainer.Result res = ExplainVolume.explain(source, p, ExplainVolume.roiVolume(imp, p), new Explainer.MetricsRequest(metrics,
                new MetricCatalog.Options(perturbations, points, null, p.batchSize, null), null), new IJProgress("VoxelLens scores: "));
            table = showScores(imp.getTitle(), res);
        });
    }

    /** A checkbox per metric offered, ticked where {@code ticked} says; read back by {@link #readMetricChoices}. */
    static void addMetricChoices(DialogValues d, java.util.function.Predicate<String> ticked) {
        for (String m : METRICS) d.addCheckbox(m, ticked.test(m));
    }

    /** The ticked metrics as the comma-separated list MetricCatalog takes ("" when none). */
    static String readMetricChoices(DialogValues d) {
        StringBuilder chosen = new StringBuilder();
        for (String m : METRICS) if (d.nextBoolean()) chosen.append(chosen.length() > 0 ? "," : "").append(m);
        return chosen.toString();
    }

    /** ImageJ's Results table, emptied and filled with the scores, shown where a display or batch mode has it. */
    static ResultsTable showScores(String image, Explainer.Result res) {
        ResultsTable t = ResultsTable.getResultsTable();
        if (t == null) t = new ResultsTable();
        t.reset();
        fill(t, image, res);
        if (!java.awt.GraphicsEnvironment.isHeadless() || ij.macro.Interpreter.isBatchMode()) t.show("Results");
        return t;
    }

    /**
     * One row per scalar score: Image, Method, Metric, Name, Value, Seconds (what that metric cost), and for a
     * sliding-window model Tiles: how many tiles the value is the target-weighted mean of (0: the whole input).
     */
    static void fill(ResultsTable t, String image, Explainer.Result res) {
        for (Explainer.MethodResult m : res.methods()) {
            for (MetricResult mr : m.metrics()) {
                mr.values().forEach((k, v) -> {
                    double value = v instanceof Number n ? n.doubleValue() : v instanceof Boolean b ? (b ? 1 : 0) : Double.NaN;
                    if (Double.isNaN(value) && !(v instanceof Number)) return; // curves and lists: summary.json of the command line
                    t.incrementCounter();
                    t.addValue("Image", image);
                    t.addValue("Method", m.method().id());
                    t.addValue("Metric", mr.metric());
                    t.addValue("Name", k);
                    t.addValue("Value", value);
                    t.addValue("Seconds", mr.cost().seconds());
                    if (mr instanceof TiledMetricResult tiled) t.addValue("Tiles", ((Number) tiled.tiles().get("tiles_scored")).doubleValue());
                });
            }
        }
    }

    public String error() { return error; }

    public ResultsTable table() { return table; }

    private void fail(String message) {
        error = message;
        DialogValues.error(TITLE, message);
    }
}
