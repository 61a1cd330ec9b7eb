package org.voxellens.cli;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.voxellens.io.LoadedVolume;
import org.voxellens.io.VolumeReader;
import org.voxellens.io.dicom.out.DicomResultWriter;
import org.voxellens.io.dicom.out.SourceStudy;
import org.voxellens.io.nifti.NiftiWriteOptions;
import org.voxellens.io.nifti.NiftiWriter;
import org.voxellens.report.HtmlReport;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;
import org.voxellens.volumetric.render.HeatMapRenderer;
import org.voxellens.volumetric.render.Png;
import org.voxellens.volumetric.render.RenderOptions;
import org.voxellens.xai.attribution.AttributionMethod;
import org.voxellens.xai.attribution.MethodCatalog;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.metrics.MapVerdict;
import org.voxellens.xai.metrics.MetricCatalog;
import org.voxellens.xai.metrics.MetricResult;
import org.voxellens.xai.metrics.TiledMetricResult;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.volumetric.SlidingWindow;
import org.voxellens.xai.attribution.Occlusion;
import org.voxellens.xai.pipeline.Explainer;
import org.voxellens.xai.pipeline.ModelGrid;
import org.voxellens.xai.pipeline.Tiling;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.TargetSpec;

/**
 * The explain workflow behind {@code voxellens explain} and {@code voxellens demo}: read the volume, run every
 * method, and write maps (NIfTI on the input's grid), pictures, summary.json and report.html, all or nothing.
 */
final class ExplainJob {

    /** Everything the user chose. */
    record Request(Path input, String series, Path model, String methods, TargetSpec target, Path roi, Path out, DeviceSpec device,
                   long seed, MethodCatalog.Options methodOptions, String colorMap, double opacity, double threshold,
                   String metrics, MetricCatalog.Options metricOptions, Path groundTruth, Path dicomOut, Tiling tiling,
                   List<Path> moreInputs, DicomOutputs dicomOutputs) {

        Request {
            if (tiling == null) tiling = Tiling.DEFAULT;
            moreInputs = moreInputs == null ? List.of() : List.copyOf(moreInputs);
            if (dicomOutputs == null) dicomOutputs = DicomOutputs.ALL;
        }

        /** One input volume. */
        Request(Path input, String series, Path model, String methods, TargetSpec target, Path roi, Path out, DeviceSpec device,
                long seed, MethodCatalog.Options methodOptions, String colorMap, double opacity, double threshold,
                String metrics, MetricCatalog.Options metricOptions, Path groundTruth, Path dicomOut, Tiling tiling) {
            this(input, series, model, methods, target, roi, out, device, seed, methodOptions, colorMap, opacity, threshold,
                metrics, metricOptions, groundTruth, dicomOut, tiling, List.of(), DicomOutputs.ALL);
        }

        /** Without sliding-window settings (defaults). */
        Request(Path input, String series, Path model, String methods, TargetSpec target, Path roi, Path out, DeviceSpec device,
                long seed, MethodCatalog.Options methodOptions, String colorMap, double opacity, double threshold,
                String metrics, MetricCatalog.Options metricOptions, Path groundTruth, Path dicomOut) {
            this(input, series, model, methods, target, roi, out, device, seed, methodOptions, colorMap, opacity, threshold,
                metrics, metricOptions, groundTruth, dicomOut, Tiling.DEFAULT);
        }
    }

    private final PrintWriter log;
    private final Progress progress;

    ExplainJob(PrintWriter log, Progress progress) {
        this.log = log;
        this.progress = progress;
    }

    /** Runs the request; returns the files written. */
    List<Path> run(Request r) throws IOException {
        long start = System.nanoTime();
        ModelPackage pkg = ModelPackage.open(r.model());
        String sha = pkg.verifiedSha256();
        List<AttributionMethod> methods = MethodCatalog.parse(r.methods(), r.methodOptions());
        for (AttributionMethod m : methods) {
            if (m.id().startsWith("gradcam")) pkg.gradCamLayer(r.methodOptions().layer()); // fail before any work
        }
        RenderOptions render = RenderOptions.builder().colorMap(r.colorMap()).opacity(r.opacity()).threshold(r.threshold()).build();

        LoadedVolume image = VolumeReader.read(r.input(), r.series());
        List<Volume> channels = InputChannels.of(pkg, r.input(), image, r.moreInputs());
        if (channels.size() == 1) image.message().ifPresent(m -> m.lines().forEach(l -> log.println("Note   " + l)));
        Volume source = image.volume();
        Volume roi = r.roi() == null ? null : VolumeReader.read(r.roi(), null).volume();
        Explainer.MetricsRequest metrics = r.metrics() == null ? null : new Explainer.MetricsRequest(r.metrics(),
            r.metricOptions(), r.groundTruth() == null ? null : VolumeReader.read(r.groundTruth(), null).volume());
        log.printf(Locale.ROOT, "Input  %s: %s voxels, spacing %s mm%s%n", image.displayName(),
            dims(source.geometry()), fmt(source.geometry().spacing()), channels.size() > 1
                ? "; " + channels.size() + " channels" + pkg.describeChannels() + " from " + InputChannels.describeSources(r.input(), r.moreInputs()) : "");

        long t0 = System.nanoTime();
        try (TorchModel model = TorchModel.load(pkg, r.device());
             OutputStaging staging = new OutputStaging(r.out());
             OutputStaging dicomStaging = r.dicomOut() == null ? null : new OutputStaging(r.dicomOut())) {
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            log.printf(Locale.ROOT, "Model  %s (%s, %s) on %s%n", pkg.name(), pkg.task().name().toLowerCase(Locale.ROOT),
                r.model(), model.device());
            Map<String, String> engine = TorchModel.Engines.versions();
            log.println("Engine libtorch " + engine.get("libtorch") + " (" + engine.get("libtorch_build") + "); "
                + model.engineCheck().describe());
            Explainer.Result res;
            try {
                announceCost(pkg, source, methods, r.tiling());
                res = new Explainer(model, r.tiling()).explain(channels, r.target(), roi, methods, metrics, r.seed(), progress);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(r.input() + ": " + e.getMessage(), e);
            }
            model.batchNote().ifPresent(n -> log.println("Note   " + n));
            log.println("Target " + res.target().describe());
            log.println("Output " + describe(res.prediction()));
            if (res.prediction().head().sigmoid()) log.println("Note   output read as " + res.prediction().head().describe());
            if (res.prediction().outputWarning() != null) log.println("Warning output: " + res.prediction().outputWarning());

            List<HtmlReport.Section> sections = new ArrayList<>();
            List<Map<String, Object>> methodJson = new ArrayList<>();
            for (Explainer.MethodResult m : res.methods()) {
                String id = m.method().id();
                NiftiWriter.write(m.onSource(), staging.file(id + ".nii.gz"),
                    NiftiWriteOptions.defaults().withDescription("VoxelLens " + id));
                List<String> files = new ArrayList<>(List.of(id + ".nii.gz", id + ".png"));
                for (int c = 0; c < m.channelsOnSource().size(); c++) {
                    String f = id + "_" + InputChannels.name(pkg, c) + ".nii.gz";
                    NiftiWriter.write(m.channelsOnSource().get(c), staging.file(f),
                        NiftiWriteOptions.defaults().withDescription("VoxelLens " + id + " channel " + c));
                    files.add(f);
                }
                RenderOptions ro = render.toBuilder().title(title(id, res)).build();
                int[] peak = HeatMapRenderer.peakVoxel(m.onSource());
                byte[] png = Png.encode(new HeatMapRenderer(ro).render(source, m.onSource(), peak));
                Files.write(staging.file(id + ".png"), png);
                Map<String, Object> shown = new LinkedHashMap<>(m.attribution().diagnostics());
                for (MetricResult mr : m.metrics()) {
                    mr.values().forEach((k, v) -> shown.put(mr.metric() + ": " + k, v));
                    if (mr instanceof TiledMetricResult t) shown.put(mr.metric() + ": tiles", tilesScored(t));
                }
                MapVerdict verdict = MapVerdict.of(m.attribution(), m.metrics());
                sections.add(new HtmlReport.Section(MethodCatalog.TITLES.getOrDefault(id, id), describeMethod(id, res),
                    png, m.method().parameters(), shown, m.seconds(), verdict.level().label(), verdict.reasons()));
                Map<String, Object> mj = new LinkedHashMap<>();
                mj.put("id", id);
                mj.put("parameters", m.method().parameters());
                mj.put("diagnostics", m.attribution().diagnostics());
                mj.put("signed", m.attribution().signed());
                mj.put("seconds", round(m.seconds()));
                if (!m.metrics().isEmpty()) mj.put("metrics", m.metrics().stream().map(MetricResult::toMap).toList());
                mj.put("verdict", verdict.toMap());
                mj.put("files", files);
                double[] world = source.geometry().voxelToWorld(peak[0], peak[1], peak[2]);
                mj.put("peak", Map.of("voxel", peak, "world_lps_mm", round(world)));
                mj.put("min", m.onSource().min());
                mj.put("max", m.onSource().max());
                methodJson.add(mj);
                log.printf(Locale.ROOT, "  %-14s %6.2f s  peak at voxel %s%n", id, m.seconds(), Arrays.toString(peak));
                if (verdict.level() == MapVerdict.Level.UNRELIABLE) {
                    for (String reason : verdict.reasons()) log.println("Warning " + id + ": " + reason);
                }
                for (MetricResult mr : m.metrics()) {
                    log.printf(Locale.ROOT, "      %-18s %s  (%.1f s%s)%n", mr.metric(), brief(mr.values()), mr.cost().seconds(),
                        mr instanceof TiledMetricResult t ? "; " + tilesScored(t) : "");
                }
            }
            if (metrics != null) Files.writeString(staging.file("scores.csv"), scoresCsv(res), StandardCharsets.UTF_8);
            if (res.prediction().labels() != null) {
                NiftiWriter.write(res.prediction().labels(), staging.file("segmentation.nii.gz"),
                    NiftiWriteOptions.defaults().withDescription("VoxelLens predicted labels"));
            }

            List<Map<String, Object>> dicomJson = dicomStaging == null ? List.of()
                : writeDicom(r, pkg, sha, image, res, render, dicomStaging);

            double total = (System.nanoTime() - start) / 1e9;
            Map<String, Object> summary = summary(r, pkg, sha, model, image, res, methodJson, loadSeconds, total);
            if (!dicomJson.isEmpty()) summary.put("dicom_outputs", dicomJson);
            Files.writeString(staging.file("summary.json"),
                new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().disableHtmlEscaping().create().toJson(summary),
                StandardCharsets.UTF_8);
            Files.writeString(staging.file("report.html"), HtmlReport.render("VoxelLens explanation: " + image.displayName(),
                caseFacts(image, pkg, sha, res, source, r.seed()), predictionFacts(res), sections,
                "VoxelLens " + Versions.voxellens() + " · " + Instant.now() + " · seed " + r.seed()
                    + " · full parameters in summary.json"), StandardCharsets.UTF_8);
            List<Path> written = new ArrayList<>(staging.commit());
            if (dicomStaging != null) written.addAll(dicomStaging.commit());
            log.printf(Locale.ROOT, "Wrote %d results to %s%s in %.1f s%n", written.size(), staging.outputFolder(),
                dicomStaging == null ? "" : " and " + dicomStaging.outputFolder(), total);
            return written;
        }
    }

    /**
     * Each map as a Parametric Map (float values, fuses with the source in advanced viewers) and as Secondary Capture
     * overlays (any PACS viewer), plus a SEG for segmentation models, in the source study, or in a new research study
     * when the input was NIfTI. UIDs derive from the model, the input and the seed, so re-running the same job
     * produces the same objects instead of duplicates in a PACS.
     */
    private List<Map<String, Object>> writeDicom(Request r, ModelPackage pkg, String sha, LoadedVolume image,
                                                 Explainer.Result res, RenderOptions render, OutputStaging out)
        throws IOException {
        Volume source = image.volume();
        String seed = sha + "|" + image.dicom().map(d -> d.series().seriesInstanceUid()).orElse(r.input().toAbsolutePath().toString())
            + "|" + r.seed() + "|" + res.target().describe();
        SourceStudy study = image.dicom().map(SourceStudy::of).orElseGet(() -> SourceStudy.synthetic(source.geometry(), seed));
        LocalDateTime now = LocalDateTime.now();
        // one writer per series number: every result series of a study gets its own (DicomResultWriter.SeriesNumbers)
        java.util.function.IntFunction<DicomResultWriter> writer = number -> DicomResultWriter.builder()
            .model(pkg.name(), sha.substring(0, 12)).target(res.target().describe()).softwareVersion(Versions.voxellens())
            .deterministicUids(seed).contentDateTime(now).seriesNumber(number).build();
        DicomOutputs kinds = r.dicomOutputs();
        List<Map<String, Object>> written = new ArrayList<>();
        for (int i = 0; i < res.methods().size(); i++) {
            Explainer.MethodResult m = res.methods().get(i);
            String id = m.method().id();
            if (kinds.parametricMap()) {
                written.add(dicomEntry(id, "parametric_map", writer.apply(DicomResultWriter.SeriesNumbers.parametricMap(i))
                    .writeParametricMap(study, m.onSource(), id, out.file(id + "-pm.dcm"))));
            }
            if (kinds.secondaryCapture()) {
                written.add(dicomEntry(id, "secondary_capture", writer.apply(DicomResultWriter.SeriesNumbers.secondaryCapture(i))
                    .writeSecondaryCapture(study, source, m.onSource(), render.toBuilder().title(id).build(), id, out.file(id + "-sc"))));
            }
        }
        if (res.prediction().labels() != null && kinds.segmentation()) {
            List<DicomResultWriter.Segment> segments = new ArrayList<>();
            var head = res.prediction().head();
            // label c of the label map is class c (0: background); a softmax model without class names writes no SEG, as before
            int classes = head.sigmoid() || !pkg.classNames().isEmpty() ? head.classes() : 0;
            for (int c = 1; c < classes; c++) segments.add(DicomResultWriter.Segment.lesion(head.className(c)));
            if (!segments.isEmpty()) {
                written.add(dicomEntry("segmentation", "seg",
                    writer.apply(DicomResultWriter.SeriesNumbers.SEGMENTATION)
                        .writeSegmentation(study, res.prediction().labels(), segments, out.file("segmentation-seg.dcm"))));
            }
        }
        log.printf(Locale.ROOT, "DICOM  %d series in study %s%n", written.size(), study.studyInstanceUid());
        return written;
    }

    /** What the expensive methods will cost, before they start (occlusion's model evaluations, sliding-window tiles). */
    private void announceCost(ModelPackage pkg, Volume source, List<AttributionMethod> methods, Tiling tiling) {
        int tiles = 1;
        int[] size = ModelGrid.inputSize(source.geometry(), pkg);
        if (pkg.parameterisedSize()) {
            log.printf(Locale.ROOT, "Grid   model input %s voxels, %s%n", dims(size), ModelGrid.sizeChoice(pkg, size));
        }
        if (Explainer.slidingWindow(pkg)) {
            SlidingWindow w = SlidingWindow.of(ModelGrid.covering(source.geometry(), pkg).dims(), size, tiling.overlap());
            tiles = w.count();
            log.printf(Locale.ROOT, "Tiles  %d of %s voxels (overlap %.2f) cover the volume at the model's spacing%n", tiles,
                dims(size), tiling.overlap());
        }
        for (AttributionMethod m : methods) {
            if (m instanceof Occlusion o) {
                long n = o.plannedEvaluations(size);
                log.printf(Locale.ROOT, "Plan   occlusion: at most %d model evaluations per model input%s (plain fine occlusion: %d)%n",
                    n, tiles > 1 ? " x " + tiles + " tiles (tiles outside the target are skipped)" : "", o.fullFineEvaluations(size));
            }
        }
    }

    private static Map<String, Object> dicomEntry(String method, String kind, DicomResultWriter.Written w) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("method", method);
        e.put("kind", kind);
        e.put("series_instance_uid", w.seriesInstanceUid());
        e.put("instances", w.sopInstanceUids().size());
        e.put("files", w.files().stream().map(f -> f.getFileName().toString()).toList());
        return e;
    }


    private static String title(String id, Explainer.Result res) {
        return MethodCatalog.TITLES.getOrDefault(id, id) + " · " + res.target().describe();
    }

    private static String describeMethod(String id, Explainer.Result res) {
        String what = switch (id) {
            case "gradcam", "gradcampp" -> "Coarse class-discriminative map from a convolutional layer, upsampled to the input.";
            case "smoothgrad" -> "Gradient averaged over noisy copies of the input (magnitude shown).";
            case "smoothgrad_sq" -> "Squared gradients averaged over noisy copies of the input.";
            case "vargrad" -> "Variance of the gradient over noisy copies of the input.";
            case "saliency" -> "Magnitude of the gradient of the target with respect to each voxel.";
            case "inputxgrad" -> "Voxel intensity times gradient (magnitude shown; signed values in the NIfTI).";
            case "ig" -> "Integrated Gradients along a path from a baseline (magnitude shown; signed values in the NIfTI).";
            case "occlusion" -> "Drop of the target score when a window of voxels is set to the baseline (coarse-to-fine; signed values in the NIfTI).";
            default -> "";
        };
        return what + " Target: " + res.target().describe() + ".";
    }

    private Map<String, Object> summary(Request r, ModelPackage pkg, String sha, TorchModel model, LoadedVolume image,
                                        Explainer.Result res, List<Map<String, Object>> methods, double loadSeconds,
                                        double total) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("tool", "VoxelLens");
        s.put("created", Instant.now().toString());
        s.put("notice", "research use only; not for diagnostic use");
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("path", r.input().toString());
        in.put("name", image.displayName());
        in.put("format", image.format().name().toLowerCase(Locale.ROOT));
        image.nifti().ifPresent(n -> {
            in.put("nifti_version", n.niftiVersion());
            in.put("datatype", n.datatype().name().toLowerCase(Locale.ROOT));
            in.put("geometry_source", n.geometrySource().name().toLowerCase(Locale.ROOT));
        });
        // UIDs identify the source for writing results back; patient attributes are never copied here.
        image.dicom().ifPresent(d -> {
            in.put("study_instance_uid", d.series().studyInstanceUid());
            in.put("series_instance_uid", d.series().seriesInstanceUid());
            in.put("modality", d.series().modality());
            in.put("images", d.series().imageCount());
        });
        in.put("geometry", geometry(image.volume().geometry()));
        if (!r.moreInputs().isEmpty()) in.put("more_channels", r.moreInputs().stream().map(Path::toString).toList());
        s.put("input", in);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", pkg.name());
        m.put("path", r.model().toString());
        m.put("weights", pkg.folder().relativize(pkg.weights()).toString());
        m.put("sha256", sha);
        m.put("task", pkg.task().name().toLowerCase(Locale.ROOT));
        m.put("classes", pkg.classNames());
        m.put("input_size_xyz", res.modelGrid().dims());
        if (pkg.parameterisedSize()) m.put("input_sizes_xyz", pkg.describeSizes());
        m.put("output_head", res.prediction().head().describe());
        m.put("preprocessing", pkg.preprocessing().stream().map(p -> Map.of("name", p.name(), "kwargs", p.kwargs())).toList());
        m.put("device", model.device());
        model.batchNote().ifPresent(n -> m.put("batch_note", n));
        s.put("model", m);
        s.put("model_grid", geometry(res.modelGrid()));
        s.put("target", res.target().parameters());
        s.put("target_description", res.target().describe());
        Map<String, Object> p = new LinkedHashMap<>();
        if (!res.prediction().probabilities().isEmpty()) {
            p.put("predicted_class", res.prediction().predictedClass());
            p.put("probabilities", res.prediction().probabilities());
        }
        if (!res.prediction().voxelCounts().isEmpty()) p.put("model_grid_voxel_counts", res.prediction().voxelCounts());
        p.put("raw_output_shape", res.modelOutput().shape());
        if (res.prediction().outputWarning() != null) p.put("warning", res.prediction().outputWarning());
        s.put("prediction", p);
        s.put("seed", r.seed());
        s.put("methods", methods);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("model_load_s", round(loadSeconds));
        t.put("forward_s", round(res.forwardSeconds()));
        t.put("total_s", round(total));
        s.put("timing", t);
        Map<String, Object> sw = new LinkedHashMap<>();
        sw.put("voxellens", Versions.voxellens());
        sw.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        sw.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        sw.putAll(TorchModel.Engines.versions());
        s.put("software", sw);
        s.put("engine_check", model.engineCheck().toJson());
        return s;
    }

    private static Map<String, String> caseFacts(LoadedVolume image, ModelPackage pkg, String sha, Explainer.Result res,
                                                 Volume source, long seed) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("Input", image.displayName() + " (" + image.format().name() + ")");
        f.put("Volume", dims(source.geometry()) + " voxels, " + fmt(source.geometry().spacing()) + " mm");
        f.put("Model", pkg.name() + " (" + pkg.task().name().toLowerCase(Locale.ROOT) + ")");
        f.put("Model SHA-256", sha);
        f.put("Model grid", dims(res.modelGrid()) + " voxels, " + fmt(res.modelGrid().spacing()) + " mm");
        f.put("Target", res.target().describe());
        f.put("Seed", Long.toString(seed));
        return f;
    }

    private static Map<String, String> predictionFacts(Explainer.Result res) {
        Map<String, String> f = new LinkedHashMap<>();
        if (res.prediction().predictedClass() != null) {
            f.put("Predicted class", res.prediction().predictedClass());
            res.prediction().probabilities().forEach((k, v) -> f.put("p(" + k + ")", String.format(Locale.ROOT, "%.4f", v)));
        }
        res.prediction().voxelCounts().forEach((k, v) -> f.put("Voxels of " + k + " (model grid)", Long.toString(v)));
        return f;
    }

    private static String describe(Explainer.Prediction p) {
        if (p.predictedClass() != null) {
            StringBuilder b = new StringBuilder(p.predictedClass()).append(" (");
            p.probabilities().forEach((k, v) -> b.append(String.format(Locale.ROOT, "p(%s)=%.3f ", k, v)));
            return b.toString().trim() + ")";
        }
        return "voxels per class on the model grid " + p.voxelCounts();
    }

    /** Every scalar score, one row each (spreadsheets and batch runs; the full results stay in summary.json). */
    static String scoresCsv(Explainer.Result res) {
        StringBuilder b = new StringBuilder("method,metric,name,value,seconds\n");
        for (Explainer.MethodResult m : res.methods()) {
            for (MetricResult mr : m.metrics()) {
                mr.values().forEach((k, v) -> {
                    String value = v instanceof Number n ? String.format(Locale.ROOT, "%.6g", n.doubleValue())
                        : v instanceof Boolean ? v.toString() : null;
                    if (value != null) {
                        b.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%.3f%n", m.method().id(), mr.metric(), k, value, mr.cost().seconds()));
                    }
                });
            }
        }
        return b.toString();
    }

    /** Which tiles a sliding-window score stands for, in a few words. */
    private static String tilesScored(TiledMetricResult t) {
        return "mean of " + t.tiles().get("tiles_scored") + " of " + t.tiles().get("tiles_explained")
            + " explained tiles, weighted by target voxels";
    }

    /** The scalar numbers of a metric result on one line (curves and lists stay in summary.json). */
    private static String brief(Map<String, Object> values) {
        StringBuilder b = new StringBuilder();
        values.forEach((k, v) -> {
            if (v instanceof Number n) b.append(k).append('=').append(String.format(Locale.ROOT, "%.4g", n.doubleValue())).append(' ');
            else if (v instanceof Boolean || v instanceof String) b.append(k).append('=').append(v).append(' ');
        });
        return b.toString().trim();
    }

    static Map<String, Object> geometry(Geometry g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dims_xyz", g.dims());
        m.put("spacing_mm", round(g.spacing()));
        m.put("origin_lps_mm", round(g.origin()));
        m.put("direction", round(g.direction()));
        return m;
    }

    private static String dims(Geometry g) { return g.nx() + "×" + g.ny() + "×" + g.nz(); }

    private static String dims(int[] d) { return d[0] + "×" + d[1] + "×" + d[2]; }

    private static String fmt(double[] v) {
        return String.format(Locale.ROOT, "%.3g×%.3g×%.3g", v[0], v[1], v[2]);
    }

    private static double round(double v) { return Math.round(v * 1e4) / 1e4; }

    private static double[] round(double[] v) {
        double[] o = new double[v.length];
        for (int i = 0; i < v.length; i++) o[i] = Math.round(v[i] * 1e6) / 1e6;
        return o;
    }
}
