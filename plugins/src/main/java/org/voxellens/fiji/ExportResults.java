package org.voxellens.fiji;

import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.plugin.PlugIn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.voxellens.cli.OutputStaging;
import org.voxellens.io.LoadedVolume;
import org.voxellens.io.VolumeReader;
import org.voxellens.io.dicom.out.DicomResultWriter;
import org.voxellens.io.dicom.out.SourceStudy;
import org.voxellens.io.nifti.NiftiWriteOptions;
import org.voxellens.io.nifti.NiftiWriter;
import org.voxellens.report.HtmlReport;
import org.voxellens.volumetric.render.HeatMapRenderer;
import org.voxellens.volumetric.render.Png;
import org.voxellens.xai.attribution.MethodCatalog;

/**
 * Plugins > VoxelLens > Export Results...: the current result of Explain Volume (or every open one) as NIfTI maps,
 * PNG pictures, DICOM (Parametric Map and Secondary Capture per map, SEG for a segmentation's label image) and one
 * HTML report, with the project's writers, into a folder, all or nothing.
 * Macro: {@code run("Export Results...", "output=[/results] nifti png dicom html all");}
 */
public class ExportResults implements PlugIn {

    static final String TITLE = "Export Results";
    private String error;
    private List<Path> written = List.of();

    /** What to write. */
    public record Formats(boolean nifti, boolean png, boolean dicom, boolean html) {}

    @Override
    public void run(String arg) {
        ImagePlus current = WindowManager.getCurrentImage();
        if (current == null || ExplanationImage.of(current).isEmpty()) {
            fail("The current image is not a VoxelLens result. Run Plugins>VoxelLens>Explain Volume... first.");
            return;
        }
        String out;
        Formats f;
        boolean all;
        try {
            DialogValues d = DialogValues.create(TITLE);
            d.addFile("Output folder", "", true);
            d.addCheckbox("NIfTI maps (.nii.gz, on the image's grid)", true);
            d.addCheckbox("PNG pictures", true);
            d.addCheckbox("DICOM (Parametric Map, Secondary Capture; SEG for labels)", false);
            d.addCheckbox("HTML report", true);
            d.addCheckbox("All open VoxelLens results (else the current one)", false);
            if (!d.show()) return;
            out = d.nextString().trim();
            f = new Formats(d.nextBoolean(), d.nextBoolean(), d.nextBoolean(), d.nextBoolean());
            all = d.nextBoolean();
            if (out.isEmpty()) throw new IllegalArgumentException("no output folder given");
        } catch (RuntimeException e) {
            fail(e.getMessage());
            return;
        }
        try {
            List<ExplanationImage> images = all ? ExplanationImage.allOpen() : List.of(ExplanationImage.of(current).get());
            written = export(images, f, Path.of(out));
            IJ.log("VoxelLens: exported " + written.size() + " files to " + out);
        } catch (IOException | RuntimeException e) {
            fail(out + ": " + e.getMessage());
        }
    }

    public String error() { return error; }

    public List<Path> written() { return written; }

    private void fail(String message) {
        error = message;
        DialogValues.error(TITLE, message);
    }

    /** Writes the results into {@code out} (staged: a failure leaves no partial files); returns the files. */
    public static List<Path> export(List<ExplanationImage> images, Formats f, Path out) throws IOException {
        if (images.isEmpty()) throw new IllegalArgumentException("no VoxelLens results are open");
        if (!(f.nifti() || f.png() || f.dicom() || f.html())) throw new IllegalArgumentException("no format chosen");
        Set<String> names = new HashSet<>();
        List<HtmlReport.Section> sections = new ArrayList<>();
        Map<String, String> facts = new LinkedHashMap<>();
        try (OutputStaging staging = new OutputStaging(out)) {
            for (ExplanationImage e : images) {
                String name = unique(names, e.method());
                if (e.isLabels()) {
                    if (f.nifti()) NiftiWriter.write(e.labels(), staging.file(name + ".nii.gz"),
                        NiftiWriteOptions.defaults().withDescription("VoxelLens predicted labels"));
                    if (f.dicom() && e.classes().size() > 1) {
                        List<DicomResultWriter.Segment> segs = e.classes().subList(1, e.classes().size()).stream()
                            .map(DicomResultWriter.Segment::lesion).toList();
                        writer(e, e.title()).writeSegmentation(study(e, e.labels().geometry()), e.labels(), segs, staging.file(name + "-seg.dcm"));
                    }
                    continue;
                }
                if (f.nifti()) NiftiWriter.write(e.map(), staging.file(name + ".nii.gz"), NiftiWriteOptions.defaults().withDescription("VoxelLens " + e.method()));
                byte[] png = null;
                if (f.png() || f.html()) {
                    String title = MethodCatalog.TITLES.getOrDefault(e.method(), e.method()) + (e.target() == null ? "" : " · " + e.target());
                    png = Png.encode(new HeatMapRenderer(e.render().toBuilder().title(title).build())
                        .render(e.anatomy(), e.map(), HeatMapRenderer.peakVoxel(e.map())));
                    if (f.png()) Files.write(staging.file(name + ".png"), png);
                }
                if (f.dicom()) {
                    DicomResultWriter w = writer(e, e.title());
                    SourceStudy study = study(e, e.map().geometry());
                    w.writeParametricMap(study, e.map(), e.method(), staging.file(name + "-pm.dcm"));
                    w.writeSecondaryCapture(study, e.anatomy(), e.map(), e.render().toBuilder().title(e.method()).build(), e.method(),
                        staging.file(name + "-sc"));
                }
                if (f.html()) {
                    sections.add(new HtmlReport.Section(MethodCatalog.TITLES.getOrDefault(e.method(), e.method()),
                        "From Fiji: " + e.title() + (e.target() == null ? "" : "; target " + e.target()) + ".", png,
                        Map.of(), Map.of("min", e.map().min(), "max", e.map().max()), e.seconds()));
                    facts.putIfAbsent("Model", e.model() == null ? "unknown" : e.model().getFileName().toString());
                    facts.putIfAbsent("Target", e.target() == null ? "" : e.target());
                    var g = e.map().geometry();
                    facts.putIfAbsent("Volume", g.nx() + "×" + g.ny() + "×" + g.nz() + " voxels, "
                        + String.format(Locale.ROOT, "%.3g×%.3g×%.3g mm", g.spacing()[0], g.spacing()[1], g.spacing()[2]));
                }
            }
            if (f.html() && !sections.isEmpty()) {
                Files.writeString(staging.file("report.html"), HtmlReport.render("VoxelLens explanation (Fiji)", facts, Map.of(), sections,
                    "VoxelLens · exported from Fiji · " + Instant.now()), StandardCharsets.UTF_8);
            }
            return staging.commit();
        }
    }

    private static String unique(Set<String> used, String base) {
        String n = base.replaceAll("[^A-Za-z0-9_.-]", "_");
        String name = n;
        for (int i = 2; !used.add(name); i++) name = n + "-" + i;
        return name;
    }

    private static DicomResultWriter writer(ExplanationImage e, String seed) {
        DicomResultWriter.Builder b = DicomResultWriter.builder().deterministicUids("fiji|" + seed + "|" + e.method());
        if (e.model() != null) b.model(e.model().getFileName().toString(), "fiji");
        if (e.target() != null) b.target(e.target());
        return b.build();
    }

    /** The source DICOM study when the image came from DICOM (read again for its UIDs), else a new research study. */
    private static SourceStudy study(ExplanationImage e, org.voxellens.volumetric.Geometry g) throws IOException {
        Optional<LoadedVolume> src = Optional.empty();
        String source = e.source();
        if (source != null && !source.endsWith(".nii") && !source.endsWith(".nii.gz") && Files.exists(Path.of(source))) {
            src = Optional.of(VolumeReader.read(Path.of(source), null));
        }
        return src.flatMap(LoadedVolume::dicom).filter(d -> SourceStudy.of(d).geometry().sameGrid(g, 1e-3)).map(SourceStudy::of)
            .orElseGet(() -> SourceStudy.synthetic(g, "fiji|" + e.title()));
    }
}
