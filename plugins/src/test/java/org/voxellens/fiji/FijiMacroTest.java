package org.voxellens.fiji;

import org.voxellens.testing.Dciodvfy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import net.imagej.patcher.LegacyEnvironment;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.io.nifti.NiftiReader;
import org.voxellens.volumetric.Volume;
import org.voxellens.volumetric.render.HeatMapRenderer;

/**
 * The recorded macro lines and the batch macro, run the way Fiji's --headless runs them: ij1-patcher's
 * LegacyEnvironment (patched ImageJ 1.54p, the real GenericDialog reading the options). Checks the files written.
 */
class FijiMacroTest {

    static final Path SAMPLE = ExplainVolumeTest.SAMPLE, MASK = ExplainVolumeTest.MASK, CLASSIFIER = ExplainVolumeTest.CLASSIFIER;
    static LegacyEnvironment ij;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startImageJ() throws Exception {
        ij = new LegacyEnvironment(null, true);
        // as Fiji's launcher: the plugins and their jars on the plugin class path; ImageJ itself is the patched one
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String n = new File(e).getName();
            if (n.matches("(ij|ij1-patcher|javassist|classgraph)-.*\\.jar")) continue;
            ij.addPluginClasspath(new File(e));
        }
    }

    private static String q(Path p) { return "[" + p + "]"; }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(t);
                else Files.copy(f, t);
            }
        }
    }

    /** Runs a macro that ends by saving `s` into a file; returns that text. */
    private String run(String macro, Path result) throws Exception {
        ij.runMacro(macro + "\nFile.saveString(s, '" + result + "');\n", "");
        assertTrue(Files.exists(result), "the macro did not get to its end:\n" + macro);
        return Files.readString(result);
    }

    @Test
    @Timeout(180)
    void aModelPackagedByVoxelLensPackageIsExplainedWithGradCamInFiji() throws Exception {
        // a plain nn.Module (a ResNet-style classifier) packaged by `voxellens package`: no hand-written probe methods
        Path pkg = org.voxellens.cli.PackageCommandTest.packagedResNet(tmp);
        // Grad-CAM at each of the package's two layers, chosen in the dialog (recorded as grad-cam=NAME)
        float[][] maps = new float[2][];
        String[] layers = {"layer1", "layer2.conv2"};
        for (int i = 0; i < 2; i++) {
            Path out = tmp.resolve("packaged out " + i);
            String s = run(String.join("\n",
                "run(\"Open Medical Volume...\", \"path=" + q(SAMPLE) + " series=\");",
                "run(\"Explain Volume...\", \"model=" + q(pkg) + " target=lesion grad-cam=" + layers[i] + " gradcam samples=4 steps=8 lut=Fire "
                    + "opacity=0.50 threshold=0.20 device=cpu\");",
                "run(\"Export Results...\", \"output=" + q(out) + " nifti\");",
                "s = getTitle();"), tmp.resolve("p" + i + ".txt"));
            assertEquals("demo-brain.nii.gz - gradcam", s);
            Volume map = NiftiReader.read(out.resolve("gradcam.nii.gz")).volume();
            double sum = 0;
            for (float v : map.data()) {
                assertTrue(Float.isFinite(v));
                sum += Math.abs(v);
            }
            assertTrue(sum > 0, layers[i] + ": a non-zero map from the packaged model");
            maps[i] = map.data();
        }
        assertTrue(!java.util.Arrays.equals(maps[0], maps[1]), "the two layers give different maps");
    }

    @Test
    @Timeout(300)
    void everyMethodRunsInFijiOnAPackagedUNetAndAPackagedResNet() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("every-method"));
        Path unet = org.voxellens.cli.PackageCommandTest.packagedUNet(dir);
        Path resnet = org.voxellens.cli.PackageCommandTest.packagedResNet(dir);
        String all = String.join(" ", org.voxellens.xai.attribution.MethodCatalog.NAMES);
        for (Object[] c : new Object[][] {{unet, "dec1", " region=channel"}, {resnet, "layer1", ""}}) {
            Path out = tmp.resolve("every " + ((Path) c[0]).getFileName());
            String unused = run(String.join("\n",
                "close('*');",
                "run(\"Open Medical Volume...\", \"path=" + q(SAMPLE) + " series=\");",
                "run(\"Explain Volume...\", \"model=" + q((Path) c[0]) + " target=lesion" + c[2] + " grad-cam=" + c[1] + " " + all
                    + " samples=2 steps=4 lut=Fire opacity=0.50 threshold=0.20 device=cpu\");",
                "run(\"Export Results...\", \"output=" + q(out) + " nifti all\");",
                "s = getInfo('log');"), tmp.resolve("every.txt"));
            String log = Files.readString(tmp.resolve("every.txt"));
            for (String m : org.voxellens.xai.attribution.MethodCatalog.NAMES) {
                assertTrue(Files.exists(out.resolve(m + ".nii.gz")), m + " of " + c[0] + "; exported: "
                    + (Files.isDirectory(out) ? java.util.Arrays.toString(out.toFile().list()) : "nothing") + "; log: " + log);
                Volume map = NiftiReader.read(out.resolve(m + ".nii.gz")).volume();
                double sum = 0;
                for (float v : map.data()) {
                    assertTrue(Float.isFinite(v), c[0] + " " + m);
                    sum += Math.abs(v);
                }
                assertTrue(sum > 0, c[0] + " " + m + ": a non-zero map");
            }
        }
        // and the UNet's Grad-CAM at its other layer
        Path second = tmp.resolve("every unet second layer");
        run(String.join("\n", "close('*');",
            "run(\"Open Medical Volume...\", \"path=" + q(SAMPLE) + " series=\");",
            "run(\"Explain Volume...\", \"model=" + q(unet) + " target=lesion region=channel grad-cam=bottleneck gradcam"
                + " samples=2 steps=4 lut=Fire opacity=0.50 threshold=0.20 device=cpu\");",
            "run(\"Export Results...\", \"output=" + q(second) + " nifti all\");", "s = getTitle();"), tmp.resolve("every2.txt"));
        float[] dec1 = NiftiReader.read(tmp.resolve("every unet-pkg").resolve("gradcam.nii.gz")).volume().data();
        float[] bottleneck = NiftiReader.read(second.resolve("gradcam.nii.gz")).volume().data();
        assertTrue(!java.util.Arrays.equals(dec1, bottleneck), "Grad-CAM at two layers of the UNet differ");
    }

    @Test
    @Timeout(180)
    void recordedLinesOfEveryCommandReplayAndWriteResults() throws Exception {
        Path out = tmp.resolve("export out"), scores = tmp.resolve("scores.csv");
        // a model folder holding only the demo classifier, so that it is the package Explain Volume offers first
        Path models = tmp.resolve("models");
        copyTree(CLASSIFIER, models.resolve(CLASSIFIER.getFileName()));
        String s = run(String.join("\n",
            "run(\"Settings...\", \"device=cpu threads=0 model=" + q(models) + "\");",
            "device = call('ij.Prefs.get', 'voxellens.device', '');",
            "run(\"Open Medical Volume...\", \"path=" + q(SAMPLE) + " series=\");",
            "anatomy = getTitle(); w = getWidth();",
            // the model comes from Settings' model folders (the demo classifier is the only package there)
            "run(\"Explain Volume...\", \"target=lesion saliency samples=4 steps=8 lut=Fire opacity=0.50 threshold=0.20 device=cpu\");",
            "explained = getTitle() + ' ' + nSlices + ' ' + is('composite');",
            "run(\"Export Results...\", \"output=" + q(out) + " nifti png dicom html\");",
            "selectImage(anatomy);",
            "run(\"Score Explanation...\", \"model=" + q(CLASSIFIER) + " target=lesion saliency samples=4 steps=8 lut=Fire opacity=0.50 "
                + "threshold=0.20 device=cpu infidelity randomisation sensitivity perturbations=8 points=2\");",
            "saveAs(\"Results\", '" + scores + "');",
            "selectImage(anatomy);",
            "run(\"Compare Methods...\", \"model=" + q(CLASSIFIER) + " target=lesion gradcam saliency samples=4 steps=8 lut=Jet "
                + "opacity=0.50 threshold=0.20 device=cpu\");",
            "s = device + '|' + explained + '|' + getTitle() + ' ' + getWidth() / w + ' ' + nSlices + ' ' + is('composite');"),
            tmp.resolve("s.txt"));
        String[] f = s.split("\\|");
        assertEquals("cpu", f[0], "Settings stored the device in ImageJ's preferences");
        assertEquals("demo-brain.nii.gz - saliency 160 1", f[1], "a 2-channel composite of 80 slices");
        assertEquals("Compare - demo-brain.nii.gz 2 160 1", f[2], "two methods side by side in one composite");

        // Export Results: the map on the input's grid, peaking in the lesion; picture, report and DICOM beside it
        Volume input = NiftiReader.read(SAMPLE).volume(), mask = NiftiReader.read(MASK).volume();
        Volume map = NiftiReader.read(out.resolve("saliency.nii.gz")).volume();
        assertTrue(input.geometry().sameGrid(map.geometry(), 1e-3));
        int[] pk = HeatMapRenderer.peakVoxel(map);
        assertTrue(mask.get(pk[0], pk[1], pk[2]) > 0, "peak in the lesion at " + Arrays.toString(pk));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(Files.readAllBytes(out.resolve("saliency.png")), 4));
        assertTrue(Files.readString(out.resolve("report.html")).contains("RESEARCH USE ONLY"));
        Path pm = out.resolve("saliency-pm.dcm");
        assertTrue(Files.size(pm) > 4 * input.data().length, "float Parametric Map");
        assertEquals(80, Files.list(out.resolve("saliency-sc")).count(), "one Secondary Capture image per slice");
        Dciodvfy.assertValid(pm);

        // Score Explanation: one row per number, in ImageJ's Results table
        List<String> rows = Files.readAllLines(scores);
        assertTrue(rows.get(0).contains("Method") && rows.get(0).contains("Metric") && rows.get(0).contains("Value"), rows.get(0));
        Map<String, Long> perMetric = rows.stream().skip(1).map(r -> r.split(",")).filter(c -> c.length > 4)
            .collect(Collectors.groupingBy(c -> c[Arrays.asList(rows.get(0).split(",")).indexOf("Metric")], Collectors.counting()));
        assertTrue(perMetric.keySet().containsAll(List.of("infidelity", "randomisation", "sensitivity")), perMetric.toString());
    }

    @Test
    @Timeout(180)
    void slidingWindowModelsAreScoredOnTheTilesSettingsAsksFor() throws Exception {
        // the demo UNet declared at 2 mm: the demo case is explained by sliding window (8 tiles of 48³)
        Path demo = CLASSIFIER.resolveSibling("demo-segmenter"), pkg = Files.createDirectories(tmp.resolve("seg-2mm"));
        Files.copy(demo.resolve("model.pt"), pkg.resolve("model.pt"));
        Files.writeString(pkg.resolve("rdf.yaml"), Files.readString(demo.resolve("rdf.yaml"))
            .replace("    input_size: [48, 48, 48]\n", "    input_size: [48, 48, 48]\n    spacing: [2.0, 2.0, 2.0]\n"));
        Path scores = tmp.resolve("tiled-scores.csv");
        try {
            String s = run(String.join("\n",
                "run(\"Settings...\", \"device=cpu threads=0 model=" + q(tmp) + " overlap=0.25 tiles=2 metric=1\");",
                "stored = call('ij.Prefs.get', 'voxellens.tile_overlap', '') + ' ' + call('ij.Prefs.get', 'voxellens.tile_batch', '')"
                    + " + ' ' + call('ij.Prefs.get', 'voxellens.metric_tiles', '');",
                "run(\"Open Medical Volume...\", \"path=" + q(SAMPLE) + " series=\");",
                "run(\"Score Explanation...\", \"model=" + q(pkg) + " target=lesion saliency lut=Fire opacity=0.50 threshold=0.20"
                    + " device=cpu infidelity perturbations=4\");",
                "saveAs(\"Results\", '" + scores + "');",
                "s = stored;"), tmp.resolve("s2.txt"));
            assertEquals("0.25 2 1", s.strip(), "Settings stored the tiling in ImageJ's preferences");
            List<String> rows = Files.readAllLines(scores);
            List<String> header = Arrays.asList(rows.get(0).split(","));
            assertTrue(header.contains("Tiles"), rows.get(0));
            List<String[]> infidelity = rows.stream().skip(1).map(r -> r.split(","))
                .filter(c -> c.length == header.size() && c[header.indexOf("Metric")].equals("infidelity")).toList();
            assertFalse(infidelity.isEmpty(), String.join("\n", rows));
            for (String[] c : infidelity) {
                assertEquals(1.0, Double.parseDouble(c[header.indexOf("Tiles")]), "each score is that of the 1 tile Settings asked for");
            }
        } finally {
            ij.runMacro("run(\"Settings...\", \"device=cpu threads=0 model=[] overlap=0.50 tiles=0 metric=4\");", "");
        }
    }

    @Test
    @Timeout(180)
    void documentedBatchMacroWritesMapsPicturesAndScoresPerCase() throws Exception {
        Path cases = Files.createDirectories(tmp.resolve("cases")), results = tmp.resolve("results");
        Files.copy(SAMPLE, cases.resolve("case1.nii.gz"));
        Files.writeString(cases.resolve("broken.nii"), "not a NIfTI file");
        Files.writeString(cases.resolve("notes.txt"), "ignored");
        String macro = Files.readString(ExplainVolumeTest.HOME.resolve("docs/fiji-batch.ijm"));
        ij.runMacro(macro, "input=" + q(cases) + " model=" + q(CLASSIFIER) + " output=" + q(results)
            + " methods=saliency,gradcam target=lesion metrics=infidelity");

        Path c1 = results.resolve("case1");
        for (String file : List.of("saliency.nii.gz", "gradcam.nii.gz", "saliency.png", "gradcam.png", "scores.csv", "summary.json", "report.html")) {
            assertTrue(Files.isRegularFile(c1.resolve(file)), "missing " + file);
        }
        Volume map = NiftiReader.read(c1.resolve("saliency.nii.gz")).volume();
        assertTrue(NiftiReader.read(SAMPLE).volume().geometry().sameGrid(map.geometry(), 1e-3));
        List<String> csv = Files.readAllLines(c1.resolve("scores.csv"));
        assertEquals("method,metric,name,value,seconds", csv.get(0));
        for (String m : List.of("saliency", "gradcam")) {
            assertTrue(csv.stream().anyMatch(r -> r.startsWith(m + ",infidelity,")), csv.toString());
        }
        for (String r : csv.subList(1, csv.size())) {
            String value = r.split(",")[3];
            assertTrue(value.equals("true") || value.equals("false") || Double.isFinite(Double.parseDouble(value)), r);
        }
        assertFalse(Files.exists(results.resolve("broken")), "a failed case leaves no folder");
        assertFalse(Files.exists(results.resolve("notes")));
    }
}
