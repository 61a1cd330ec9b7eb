package org.voxellens.fiji;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

/**
 * Converts between VoxelLens volumes (float voxels on an LPS grid) and ImageJ 1 images (32-bit stacks, one slice
 * per voxel k), keeping the whole geometry with the image so that a map computed later lands where the anatomy is.
 *
 * <p>The geometry travels three ways: as the image property {@value #GEOMETRY_KEY} (object property and, via
 * {@code setProp}, the string property that ImageJ saves in TIFF files), and as a line
 * {@code VoxelLens-Geometry: ...} in the Info string (Image > Show Info). The Calibration holds the spacing (mm) and
 * an origin that is exact for axis-aligned grids; for oblique grids the property is the authority.
 */
public final class VolumeImages {

    public static final String GEOMETRY_KEY = "voxellens.geometry";
    public static final String INFO_PREFIX = "VoxelLens-Geometry:";

    private VolumeImages() {}

    /** A 32-bit stack with z slices, calibration in mm and the geometry stored as properties and Info. */
    public static ImagePlus toImagePlus(Volume volume, String title) {
        Geometry g = volume.geometry();
        int nx = g.nx(), ny = g.ny(), nz = g.nz();
        float[] d = volume.data();
        ImageStack stack = new ImageStack(nx, ny);
        for (int k = 0; k < nz; k++) {
            float[] slice = Arrays.copyOfRange(d, k * nx * ny, (k + 1) * nx * ny);
            stack.addSlice("z=" + k, new FloatProcessor(nx, ny, slice));
        }
        ImagePlus imp = new ImagePlus(title, stack);
        imp.setDimensions(1, nz, 1);
        setGeometry(imp, g);
        float[] range = percentiles(d, 0.005, 0.995);
        imp.setDisplayRange(range[0], range[1] > range[0] ? range[1] : range[0] + 1);
        return imp;
    }

    /** Sets calibration, the geometry property and the Info line on an image (any number of channels). */
    public static void setGeometry(ImagePlus imp, Geometry g) {
        Calibration cal = new Calibration(imp);
        double[] sp = g.spacing(), o = g.origin();
        cal.pixelWidth = sp[0];
        cal.pixelHeight = sp[1];
        cal.pixelDepth = sp[2];
        cal.setUnit("mm");
        // ImageJ: calibrated = (pixel - xOrigin) * pixelWidth; exact world LPS for identity direction
        cal.xOrigin = -o[0] / sp[0];
        cal.yOrigin = -o[1] / sp[1];
        cal.zOrigin = -o[2] / sp[2];
        imp.setCalibration(cal);
        String text = format(g);
        imp.setProperty(GEOMETRY_KEY, text);
        imp.setProp(GEOMETRY_KEY, text);
        String info = imp.getInfoProperty();
        StringBuilder sb = new StringBuilder();
        if (info != null) {
            for (String line : info.split("\n")) {
                if (!line.startsWith(INFO_PREFIX)) sb.append(line).append('\n');
            }
        }
        sb.append(INFO_PREFIX).append(' ').append(text).append('\n');
        imp.setProperty("Info", sb.toString());
    }

    /** The stored geometry (property, string property or Info line), if any and if it fits the image's size. */
    public static Optional<Geometry> storedGeometry(ImagePlus imp) {
        String text = null;
        Object p = imp.getProperty(GEOMETRY_KEY);
        if (p instanceof String s && !s.isBlank()) text = s;
        if (text == null) {
            String s = imp.getProp(GEOMETRY_KEY);
            if (s != null && !s.isBlank()) text = s;
        }
        if (text == null && imp.getInfoProperty() != null) {
            for (String line : imp.getInfoProperty().split("\n")) {
                if (line.startsWith(INFO_PREFIX)) text = line.substring(INFO_PREFIX.length()).trim();
            }
        }
        if (text == null) return Optional.empty();
        Geometry g = parse(text);
        if (g.nx() != imp.getWidth() || g.ny() != imp.getHeight() || g.nz() != imp.getNSlices()) return Optional.empty();
        return Optional.of(g);
    }

    /** Whether the calibration is usable to build an axis-aligned grid (pixel sizes set, a length unit). */
    public static boolean calibrationUsable(ImagePlus imp) {
        Calibration c = imp.getCalibration();
        return c.scaled() && c.pixelWidth > 0 && c.pixelHeight > 0 && c.pixelDepth > 0 && unitToMm(c.getUnit()) > 0;
    }

    /**
     * The geometry of an image: the stored one, else an axis-aligned (identity direction) grid from the
     * calibration; throws if neither is available.
     */
    public static Geometry geometryOf(ImagePlus imp) {
        Optional<Geometry> stored = storedGeometry(imp);
        if (stored.isPresent()) return stored.get();
        if (!calibrationUsable(imp)) {
            throw new IllegalArgumentException(imp.getTitle() + " has no VoxelLens geometry and no usable calibration "
                + "(open it with Plugins>VoxelLens>Open Medical Volume..., or set the voxel size in mm under Image>Properties)");
        }
        Calibration c = imp.getCalibration();
        double f = unitToMm(c.getUnit());
        double[] sp = {c.pixelWidth * f, c.pixelHeight * f, c.pixelDepth * f};
        double[] o = {-c.xOrigin * sp[0], -c.yOrigin * sp[1], -c.zOrigin * sp[2]};
        return Geometry.axisAligned(new int[] {imp.getWidth(), imp.getHeight(), imp.getNSlices()}, sp, o);
    }

    /** The image's voxels (first channel and frame; calibrated values for 8/16-bit) on its geometry. */
    public static Volume toVolume(ImagePlus imp) {
        return toVolume(imp, 1);
    }

    /** One channel (1-based) of the first frame, on the image's geometry. */
    public static Volume toVolume(ImagePlus imp, int channel) {
        if (channel < 1 || channel > imp.getNChannels()) {
            throw new IllegalArgumentException(imp.getTitle() + " has no channel " + channel);
        }
        Geometry g = geometryOf(imp);
        int nx = g.nx(), ny = g.ny(), nz = g.nz();
        float[] d = new float[nx * ny * nz];
        ImageStack stack = imp.getStack();
        float[] ctable = imp.getBitDepth() == 32 ? null : imp.getCalibration().getCTable();
        for (int k = 0; k < nz; k++) {
            ImageProcessor ip = stack.getProcessor(imp.getStackIndex(channel, k + 1, 1));
            int off = k * nx * ny;
            if (ip instanceof FloatProcessor fp) {
                System.arraycopy((float[]) fp.getPixels(), 0, d, off, nx * ny);
            } else {
                for (int i = 0; i < nx * ny; i++) {
                    int raw = ip.get(i);
                    d[off + i] = ctable != null && raw < ctable.length ? ctable[raw] : raw;
                }
            }
        }
        return new Volume(g, d);
    }

    static String format(Geometry g) {
        return "dims=" + join(Arrays.stream(g.dims()).asDoubleStream().toArray(), true) + ";spacing=" + join(g.spacing(), false)
            + ";origin=" + join(g.origin(), false) + ";direction=" + join(g.direction(), false);
    }

    static Geometry parse(String text) {
        int[] dims = null;
        double[] sp = null, o = null, dir = null;
        try {
            for (String part : text.trim().split(";")) {
                int eq = part.indexOf('=');
                if (eq < 0) continue;
                String key = part.substring(0, eq).trim();
                double[] v = Arrays.stream(part.substring(eq + 1).split(",")).map(String::trim).mapToDouble(Double::parseDouble).toArray();
                switch (key) {
                    case "dims" -> dims = Arrays.stream(v).mapToInt(x -> (int) x).toArray();
                    case "spacing" -> sp = v;
                    case "origin" -> o = v;
                    case "direction" -> dir = v;
                    default -> { }
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unreadable " + GEOMETRY_KEY + ": " + text, e);
        }
        if (dims == null || sp == null || o == null || dir == null) {
            throw new IllegalArgumentException("incomplete " + GEOMETRY_KEY + ": " + text);
        }
        return Geometry.of(dims, sp, o, dir);
    }

    private static String join(double[] v, boolean integers) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(integers ? Long.toString((long) v[i]) : Double.toString(v[i]));
        }
        return sb.toString();
    }

    private static double unitToMm(String unit) {
        if (unit == null) return 0;
        return switch (unit.trim().toLowerCase(Locale.ROOT)) {
            case "mm", "millimeter", "millimeters", "millimetre", "millimetres" -> 1;
            case "cm", "centimeter", "centimeters" -> 10;
            case "micron", "microns", "um", "\u00b5m", "micrometer", "micrometers" -> 1e-3;
            case "m", "meter", "meters", "metre" -> 1000;
            default -> 0;
        };
    }

    /** Two quantiles (0-1) of the finite values, from a sorted copy. */
    static float[] percentiles(float[] d, double lo, double hi) {
        float[] s = d.clone();
        Arrays.sort(s);
        int n = s.length;
        while (n > 0 && !Float.isFinite(s[n - 1])) n--;
        if (n == 0) return new float[] {0, 1};
        return new float[] {s[(int) Math.floor(lo * (n - 1))], s[(int) Math.floor(hi * (n - 1))]};
    }
}
