package org.voxellens.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.cli.Main;
import org.voxellens.io.nifti.NiftiReader;
import org.voxellens.volumetric.Volume;

/**
 * The plugins in a real ImageJ window: a stand-in Fiji.app (ImageJ 1.54p plus what fiji-install copies) on its own
 * Xvfb display, the bundled sample opened and explained through the recorded macro lines, a screenshot, and the
 * overlay checked on it: heat-map colours in the lesion, grey anatomy away from it. The screenshot stays in
 * target/fiji-gui/ as a test artefact.
 */
class FijiGuiTest {

    /** A real display and its screenshot tool: required, checked first. */
    @org.junit.jupiter.api.BeforeAll
    static void requiredTools() {
        org.voxellens.testing.RequiredTools.program("Xvfb", "xvfb");
        org.voxellens.testing.RequiredTools.program("import", "imagemagick");
    }

    static final Path ARTEFACTS = Path.of("target/fiji-gui").toAbsolutePath();

    @TempDir
    Path tmp;

    @Test
    @Timeout(150)
    void explainVolumeShowsTheHeatMapOverTheAnatomy() throws Exception {
        Path fiji = tmp.resolve("Fiji.app");
        Files.createDirectories(fiji.resolve("plugins"));
        Files.createDirectories(fiji.resolve("jars"));
        Path ij = FijiInstallTestSupport.classpathJar("ij");
        Files.copy(ij, fiji.resolve("jars").resolve(ij.getFileName()));
        String runtime = Files.readString(Path.of("target/test-runtime-classpath.txt")).strip();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {"fiji-install", "--classpath", runtime, fiji.toString()},
            new PrintStream(log, true, StandardCharsets.UTF_8), new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals(0, rc, log.toString(StandardCharsets.UTF_8));
        assertTrue(Files.isRegularFile(fiji.resolve("plugins/VoxelLens_.jar")));

        Path marker = tmp.resolve("shown.txt"), macro = tmp.resolve("gui.ijm");
        Files.writeString(macro, String.join("\n",
            "run(\"Open Medical Volume...\", \"path=[" + ExplainVolumeTest.SAMPLE + "] series=\");",
            "run(\"Explain Volume...\", \"model=[" + ExplainVolumeTest.CLASSIFIER + "] target=lesion smoothgrad samples=6 steps=8 "
                + "lut=Jet opacity=0.50 threshold=0.20 device=cpu\");",
            "run(\"In [+]\"); run(\"In [+]\");",
            "wait(1500);",
            "File.saveString(call(\"org.voxellens.fiji.ScreenProbe.canvas\"), \"" + marker + "\");",
            "wait(120000);"));

        Files.createDirectories(ARTEFACTS);
        Path shot = ARTEFACTS.resolve("explain-volume-overlay.png");
        try (Xvfb x = Xvfb.start()) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.awt.headless=false", "-Dai.djl.offline=true",
                // as Fiji's launcher: everything in jars/ on the class path; ScreenProbe comes from the test classes
                "-cp", fiji.resolve("jars") + File.separator + "*" + File.pathSeparator + Path.of("target/test-classes").toAbsolutePath(),
                "ij.ImageJ", "-macro", macro.toString()));
            // ImageJ finds plugins/ in its working folder, as when Fiji is started from Fiji.app
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(fiji.toFile()).redirectErrorStream(true).redirectOutput(ARTEFACTS.resolve("imagej.log").toFile());
            pb.environment().put("DISPLAY", x.display());
            pb.environment().put("OPT_OUT_TRACKING", "true");
            Process imagej = pb.start();
            try {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!Files.exists(marker) && imagej.isAlive() && System.nanoTime() < until) Thread.sleep(200);
                // the screenshot also when something went wrong: it shows the error dialog
                Process imp = new ProcessBuilder("import", "-display", x.display(), "-window", "root", shot.toString())
                    .redirectErrorStream(true).start();
                assertTrue(imp.waitFor(30, TimeUnit.SECONDS) && imp.exitValue() == 0, new String(imp.getInputStream().readAllBytes()));
                assertTrue(Files.exists(marker), "ImageJ did not show the result; see " + shot + " and " + ARTEFACTS.resolve("imagej.log"));
            } finally {
                imagej.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }

        String[] probe = Files.readString(marker).split("\\|");
        assertEquals("demo-brain.nii.gz - smoothgrad", probe[0]);
        String[] v = probe[1].trim().split(" ");
        int sx = Integer.parseInt(v[0]), sy = Integer.parseInt(v[1]);
        double mag = Double.parseDouble(v[2]);
        int rx = Integer.parseInt(v[3]), ry = Integer.parseInt(v[4]), rw = Integer.parseInt(v[5]), rh = Integer.parseInt(v[6]);
        int z = Integer.parseInt(v[7]) - 1;
        assertEquals("2", v[8], "anatomy + heat-map channels");

        BufferedImage screen = ImageIO.read(shot.toFile());
        Volume mask = NiftiReader.read(ExplainVolumeTest.MASK).volume(), anatomy = NiftiReader.read(ExplainVolumeTest.SAMPLE).volume();
        int lesion = 0, hot = 0, far = 0, grey = 0;
        double anatomyMax = anatomy.max();
        for (int y = ry; y < ry + rh; y++) {
            for (int x = rx; x < rx + rw; x++) {
                int px = sx + (int) ((x - rx + 0.5) * mag), py = sy + (int) ((y - ry + 0.5) * mag);
                int rgb = screen.getRGB(px, py), r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
                if (mask.get(x, y, z) > 0) {
                    lesion++;
                    if (chroma(r, g, b) > 60) hot++; // a colour of the Jet LUT, not grey
                } else if (distanceToMask(mask, x, y, z) > 12 && anatomy.get(x, y, z) > 0.2 * anatomyMax) {
                    far++;
                    if (chroma(r, g, b) <= 12 && r > 20) grey++;
                }
            }
        }
        String what = String.format(Locale.ROOT, "slice %d: %d/%d lesion pixels in heat colours, %d/%d far anatomy pixels grey; see %s",
            z, hot, lesion, grey, far, shot);
        System.out.println("FijiGuiTest: " + what);
        assertTrue(lesion >= 20, "the lesion is on the displayed slice: " + what);
        assertTrue(hot >= 0.5 * lesion, what);
        assertTrue(far >= 200 && grey >= 0.9 * far, what);
    }

    private static int chroma(int r, int g, int b) { return Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)); }

    private static double distanceToMask(Volume mask, int x, int y, int z) {
        double best = Double.MAX_VALUE;
        var g = mask.geometry();
        for (int j = Math.max(0, y - 13); j < Math.min(g.ny(), y + 14); j++) {
            for (int i = Math.max(0, x - 13); i < Math.min(g.nx(), x + 14); i++) {
                if (mask.get(i, j, z) > 0) best = Math.min(best, Math.hypot(i - x, j - y));
            }
        }
        return best;
    }

    /** An X server of our own on a free display, unix socket only, stopped on close. */
    record Xvfb(Process process, String display) implements AutoCloseable {
        static Xvfb start() throws Exception {
            for (int n = 90; n < 140; n++) {
                if (Files.exists(Path.of("/tmp/.X11-unix/X" + n)) || Files.exists(Path.of("/tmp/.X" + n + "-lock"))) continue;
                Process p = new ProcessBuilder("Xvfb", ":" + n, "-screen", "0", "1024x768x24", "-nolisten", "tcp")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (p.isAlive() && !Files.exists(Path.of("/tmp/.X11-unix/X" + n)) && System.nanoTime() < until) Thread.sleep(50);
                if (p.isAlive() && Files.exists(Path.of("/tmp/.X11-unix/X" + n))) return new Xvfb(p, ":" + n);
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS); // display taken meanwhile: next one
            }
            throw new IllegalStateException("no free X display between :90 and :139");
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
