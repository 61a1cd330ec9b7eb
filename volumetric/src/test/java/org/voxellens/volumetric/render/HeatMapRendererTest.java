package org.voxellens.volumetric.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Interpolation;
import org.voxellens.volumetric.Resampler;
import org.voxellens.volumetric.Volume;

class HeatMapRendererTest {

    /** Left (+x), anterior (-y), superior (+z) of the grids' centre, on a voxel centre of both grids. */
    static final double[] BLOB = {10, -9, 12.5};

    static final Geometry ALIGNED = Geometry.axisAligned(new int[] {40, 36, 30}, new double[] {1, 1, 1.5},
        new double[] {-20, -18, -22});

    /** Same box, voxels stored another way: i toward A, j toward R, k toward I. */
    static final Geometry ROTATED = Geometry.of(new int[] {36, 40, 30}, new double[] {1, 1, 1.5},
        new double[] {19, 17, 21.5}, new double[] {0, -1, 0, -1, 0, 0, 0, 0, -1});

    static final RenderOptions NO_CROSSHAIR = RenderOptions.builder().crosshair(false).build();

    static Map<Plane, BufferedImage> panels(Geometry g, RenderOptions options) {
        Volume anatomy = Phantoms.sample(g, Phantoms::body);
        Volume map = Phantoms.sample(g, w -> Phantoms.gaussian(w, BLOB, 3));
        HeatMapRenderer r = new HeatMapRenderer(options);
        return r.renderPanels(anatomy, map, HeatMapRenderer.peakVoxel(map));
    }

    static boolean coloured(int rgb) {
        int r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
        return r != g || g != b;
    }

    /** Centroid of coloured pixels as fractions of width and height, or null when there are none. */
    static double[] colouredCentroid(BufferedImage img) {
        double sx = 0, sy = 0;
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if (coloured(img.getRGB(x, y))) {
                    sx += x + 0.5;
                    sy += y + 0.5;
                    n++;
                }
            }
        }
        return n == 0 ? null : new double[] {sx / n / img.getWidth(), sy / n / img.getHeight()};
    }

    static void assertBlobSides(Map<Plane, BufferedImage> p) {
        double[] axial = colouredCentroid(p.get(Plane.AXIAL));
        assertTrue(axial[0] > 0.6, "patient's left must be on the image right: " + axial[0]);
        assertTrue(axial[1] < 0.4, "anterior must be at the top: " + axial[1]);
        double[] coronal = colouredCentroid(p.get(Plane.CORONAL));
        assertTrue(coronal[0] > 0.6, "coronal: left on the image right: " + coronal[0]);
        assertTrue(coronal[1] < 0.4, "coronal: superior at the top: " + coronal[1]);
        double[] sagittal = colouredCentroid(p.get(Plane.SAGITTAL));
        assertTrue(sagittal[0] < 0.4, "sagittal: anterior on the image left: " + sagittal[0]);
        assertTrue(sagittal[1] < 0.4, "sagittal: superior at the top: " + sagittal[1]);
    }

    @Test
    void blobAppearsOnTheCorrectSideOfEachPanel() {
        Map<Plane, BufferedImage> p = panels(ALIGNED, NO_CROSSHAIR);
        assertBlobSides(p);
        // Below threshold: the anatomy shows through untouched.
        for (BufferedImage img : p.values()) {
            assertTrue(!coloured(img.getRGB(0, img.getHeight() - 1)));
            assertTrue(!coloured(img.getRGB(2, 2)));
        }
    }

    @Test
    void panelsKeepPhysicalProportionsAndShareOneScale() {
        Map<Plane, BufferedImage> p = panels(ALIGNED, NO_CROSSHAIR);
        // Largest extent is S-I: 30 * 1.5 = 45 mm -> 288 px, so 6.4 px/mm everywhere.
        assertDims(256, 230, p.get(Plane.AXIAL));
        assertDims(256, 288, p.get(Plane.CORONAL));
        assertDims(230, 288, p.get(Plane.SAGITTAL));
    }

    @Test
    void rotatedStorageRendersTheSameFigure() {
        Map<Plane, BufferedImage> a = panels(ALIGNED, RenderOptions.defaults());
        Map<Plane, BufferedImage> b = panels(ROTATED, RenderOptions.defaults());
        assertBlobSides(panels(ROTATED, NO_CROSSHAIR));
        for (Plane plane : Plane.values()) {
            BufferedImage x = a.get(plane), y = b.get(plane);
            assertDims(x.getWidth(), x.getHeight(), y);
            for (int r = 0; r < x.getHeight(); r++) {
                for (int c = 0; c < x.getWidth(); c++) {
                    assertTrue(maxChannelDiff(x.getRGB(c, r), y.getRGB(c, r)) <= 2, plane + " differs at " + c + "," + r);
                }
            }
        }
    }

    @Test
    void resampledOntoRotatedGridRendersTheSameFigure() {
        Volume anatomy = Phantoms.sample(ALIGNED, Phantoms::body);
        Volume map = Phantoms.sample(ALIGNED, w -> Phantoms.gaussian(w, BLOB, 3));
        Volume anatomyR = Resampler.resample(anatomy, ROTATED, Interpolation.LINEAR, 0);
        Volume mapR = Resampler.resample(map, ROTATED, Interpolation.LINEAR, 0);
        HeatMapRenderer r = new HeatMapRenderer();
        BufferedImage x = r.render(anatomy, map), y = r.render(anatomyR, mapR);
        assertDims(x.getWidth(), x.getHeight(), y);
        for (int row = 0; row < x.getHeight(); row++) {
            for (int c = 0; c < x.getWidth(); c++) {
                if (maxChannelDiff(x.getRGB(c, row), y.getRGB(c, row)) > 2) {
                    // Only the subtitle's voxel indices may differ.
                    assertTrue(row < 60, "figure differs at " + c + "," + row);
                }
            }
        }
    }

    @Test
    void voxelsAtOrBelowThresholdStayPureGrey() {
        Volume anatomy = Phantoms.sample(ALIGNED, Phantoms::body);
        Volume ramp = Phantoms.sample(ALIGNED, w -> (w[0] + 20) / 39); // 0 at patient's right, 1 at left
        BufferedImage axial = new HeatMapRenderer(NO_CROSSHAIR).renderPanels(anatomy, ramp, new int[] {20, 18, 15})
            .get(Plane.AXIAL);
        int w = axial.getWidth();
        // FIRE ends in white, which blended over grey is grey again: only its coloured middle is checked.
        for (int y = 0; y < axial.getHeight(); y++) {
            for (int x = 0; x < w * 0.15; x++) assertTrue(!coloured(axial.getRGB(x, y)), "coloured at " + x + "," + y);
            for (int x = (int) (w * 0.3); x < w * 0.85; x++) assertTrue(coloured(axial.getRGB(x, y)), "grey at " + x + "," + y);
        }
    }

    @Test
    void signedMapsShowBothSignsOnADivergingScale() {
        double[] mirror = {-BLOB[0], BLOB[1], BLOB[2]};
        Volume anatomy = Phantoms.sample(ALIGNED, Phantoms::body);
        Volume map = Phantoms.sample(ALIGNED, w -> Phantoms.gaussian(w, BLOB, 3) - 0.9 * Phantoms.gaussian(w, mirror, 3));
        int[] peak = HeatMapRenderer.peakVoxel(map);
        RenderOptions signed = NO_CROSSHAIR.toBuilder().signed(true).build();
        BufferedImage axial = new HeatMapRenderer(signed).renderPanels(anatomy, map, peak).get(Plane.AXIAL);
        double redX = 0, blueX = 0;
        int reds = 0, blues = 0;
        for (int y = 0; y < axial.getHeight(); y++) {
            for (int x = 0; x < axial.getWidth(); x++) {
                int rgb = axial.getRGB(x, y), r = (rgb >> 16) & 255, b = rgb & 255;
                if (r > b + 30) { redX += x; reds++; }
                if (b > r + 30) { blueX += x; blues++; }
            }
        }
        assertTrue(reds > 0 && blues > 0);
        assertTrue(redX / reds > axial.getWidth() * 0.6, "positive (patient's left) must be red, on the right");
        assertTrue(blueX / blues < axial.getWidth() * 0.4, "negative (patient's right) must be blue, on the left");
    }

    @Test
    void peakIsTheLargestMagnitude() {
        Geometry g = Geometry.axisAligned(new int[] {3, 2, 1}, new double[] {1, 1, 1}, new double[] {0, 0, 0});
        assertArrayEquals(new int[] {1, 1, 0}, HeatMapRenderer.peakVoxel(new Volume(g, new float[] {0, 2, 1, 0, -5, 3})));
    }

    @Test
    void worldPointSelectsTheNearestVoxel() {
        Volume anatomy = Phantoms.sample(ALIGNED, Phantoms::body);
        Volume map = Phantoms.sample(ALIGNED, w -> Phantoms.gaussian(w, BLOB, 3));
        HeatMapRenderer r = new HeatMapRenderer();
        BufferedImage atWorld = r.renderAtWorld(anatomy, map, new double[] {10.2, -8.9, 12.9});
        BufferedImage atVoxel = r.render(anatomy, map, new int[] {30, 9, 23});
        assertArrayEquals(atVoxel.getRGB(0, 0, atVoxel.getWidth(), atVoxel.getHeight(), null, 0, atVoxel.getWidth()),
            atWorld.getRGB(0, 0, atWorld.getWidth(), atWorld.getHeight(), null, 0, atWorld.getWidth()));
        assertThrows(IllegalArgumentException.class, () -> r.renderAtWorld(anatomy, map, new double[] {100, 0, 0}));
    }

    @Test
    void rejectsMapsOnAnotherGridAndVoxelsOffTheGrid() {
        Volume anatomy = Phantoms.sample(ALIGNED, Phantoms::body);
        Volume map = Phantoms.sample(ROTATED, w -> 1);
        HeatMapRenderer r = new HeatMapRenderer();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.render(anatomy, map));
        assertTrue(e.getMessage().contains("resample"));
        assertThrows(IllegalArgumentException.class, () -> r.render(anatomy, anatomy, new int[] {40, 0, 0}));
    }

    @Test
    void allZeroMapShowsOnlyAnatomy() {
        Volume anatomy = Phantoms.sample(ALIGNED, Phantoms::body);
        Map<Plane, BufferedImage> p = new HeatMapRenderer(NO_CROSSHAIR)
            .renderPanels(anatomy, Volume.zeros(ALIGNED), new int[] {20, 18, 15});
        for (BufferedImage img : p.values()) assertEquals(null, colouredCentroid(img));
    }

    @Test
    void figureHasBlackBackgroundAndRoomForEverything() {
        Volume anatomy = Phantoms.sample(ALIGNED, Phantoms::body);
        Volume map = Phantoms.sample(ALIGNED, w -> Phantoms.gaussian(w, BLOB, 3));
        RenderOptions o = RenderOptions.builder().title("Grad-CAM").build();
        BufferedImage fig = new HeatMapRenderer(o).render(anatomy, map);
        assertTrue(fig.getWidth() > 256 + 256 + 230 + 60 && fig.getWidth() < 1100, "width " + fig.getWidth());
        assertTrue(fig.getHeight() > 288 + 40 && fig.getHeight() < 500, "height " + fig.getHeight());
        assertEquals(0, fig.getRGB(0, 0) & 0xffffff);
        assertEquals(0, fig.getRGB(fig.getWidth() - 1, fig.getHeight() - 1) & 0xffffff);
    }

    @Test
    void writesExampleFigures() throws IOException {
        // Stored as NIfTI files usually are (i toward R, j toward A), centred on the world origin.
        Geometry head = Geometry.of(new int[] {90, 110, 60}, new double[] {1.8, 1.8, 3},
            new double[] {1.8 * 89 / 2, 1.8 * 109 / 2, -3 * 59 / 2.0}, new double[] {-1, 0, 0, 0, -1, 0, 0, 0, 1});
        Volume anatomy = Phantoms.sample(head, Phantoms::head);
        double[] leftFrontal = {30, -40, 25}, rightPosterior = {-25, 35, 25};
        Volume map = Phantoms.sample(head, w -> Phantoms.gaussian(w, leftFrontal, 10)
            + 0.45 * Phantoms.gaussian(w, rightPosterior, 8));
        BufferedImage fig = new HeatMapRenderer(RenderOptions.builder()
            .title("Integrated Gradients \u2014 synthetic head phantom (target: left frontal)").build())
            .render(anatomy, map);
        Png.write(fig, Path.of("target", "heatmap-example.png"));

        Volume signedMap = Phantoms.sample(head, w -> Phantoms.gaussian(w, leftFrontal, 10)
            - 0.7 * Phantoms.gaussian(w, rightPosterior, 8));
        BufferedImage signed = new HeatMapRenderer(RenderOptions.builder().signed(true)
            .title("Input \u00d7 Gradient (signed) \u2014 synthetic head phantom").build())
            .render(anatomy, signedMap);
        Png.write(signed, Path.of("target", "heatmap-example-signed.png"));
        assertBlobSidesInHead(new HeatMapRenderer(NO_CROSSHAIR).renderPanels(anatomy, map, HeatMapRenderer.peakVoxel(map)));
    }

    /** The left frontal superior blob: image right in axial/coronal, image left (anterior) in sagittal. */
    private static void assertBlobSidesInHead(Map<Plane, BufferedImage> p) {
        assertTrue(colouredCentroid(p.get(Plane.AXIAL))[0] > 0.5);
        assertTrue(colouredCentroid(p.get(Plane.AXIAL))[1] < 0.5);
        assertTrue(colouredCentroid(p.get(Plane.SAGITTAL))[0] < 0.5);
    }

    private static void assertDims(int w, int h, BufferedImage img) {
        assertEquals(w, img.getWidth(), "width");
        assertEquals(h, img.getHeight(), "height");
    }

    private static int maxChannelDiff(int a, int b) {
        int m = 0;
        for (int s = 0; s <= 16; s += 8) m = Math.max(m, Math.abs(((a >> s) & 255) - ((b >> s) & 255)));
        return m;
    }
}
