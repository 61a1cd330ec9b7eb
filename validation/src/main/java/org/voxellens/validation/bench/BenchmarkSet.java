package org.voxellens.validation.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.voxellens.xai.runtime.Tensor;

/**
 * Held-out benchmark cases: model inputs (already z-scored, {@code [1, 1, 48, 48, 48]}) and ground-truth masks of the
 * class-deciding lesion(s) on the same grid, listed in {@code manifest.json}. Read from a folder, or from the class
 * path ({@code benchmark/<name>/}, bundled in the validation jar). Written by
 * {@code validation/python/make_benchmark_set.py} (phantom-lesion: float32 inputs) and
 * {@code validation/python/train_colin_models.py} (colin-*: uint8 inputs, value = offset + scale × q, per-case target
 * classes, PyTorch's outputs on the same input for a cross-check).
 */
public final class BenchmarkSet {

    /** Class-path folder of the bundled phantom-lesion set. */
    public static final String RESOURCE = "benchmark/phantom-lesion/";

    /** The bundled sets (tasks), in table order. */
    public static final List<String> BUNDLED = List.of("phantom-lesion", "colin-region", "colin-location", "colin-seg");

    /** Model package folder (under the models root) of sets whose manifest names none: the first, phantom-lesion, set. */
    static final String DEFAULT_MODEL = "demo-classifier";

    /**
     * One case.
     *
     * @param input the model input, preprocessed
     * @param mask lesion mask, 1 inside (flat, C order, same grid)
     * @param centroidZyx lesion centroid in voxels
     */
    /**
     * @param targetClass the class whose score is explained (the case's own, else the set's)
     * @param referenceLogits PyTorch's logits on this input (classification sets that carry them), else null
     * @param referenceDice PyTorch's Dice of the predicted mask against {@code mask} (segmentation sets), else NaN
     */
    public record Case(String id, Tensor input, float[] mask, int lesionVoxels, double lesionVolumeShare,
                       double[] centroidZyx, double lesionRadiusMm, String targetClass, double[] referenceLogits,
                       double referenceDice) {}

    private final JsonObject manifest;
    private final Path folder;
    private final String resource;

    private BenchmarkSet(JsonObject manifest, Path folder, String resource) {
        this.manifest = manifest;
        this.folder = folder;
        this.resource = resource;
    }

    /** The bundled phantom-lesion set (class path). */
    public static BenchmarkSet bundled() throws IOException {
        return bundled("phantom-lesion");
    }

    /** A bundled set by name, one of {@link #BUNDLED}. */
    public static BenchmarkSet bundled(String name) throws IOException {
        if (!BUNDLED.contains(name)) {
            throw new IllegalArgumentException("unknown benchmark task '" + name + "'; known: " + String.join(", ", BUNDLED));
        }
        String res = "benchmark/" + name + "/";
        return new BenchmarkSet(parse(readResource(res, "manifest.json", false)), null, res);
    }

    /** A set in a folder (same layout). */
    public static BenchmarkSet open(Path folder) throws IOException {
        return new BenchmarkSet(parse(Files.readAllBytes(folder.resolve("manifest.json"))), folder, null);
    }

    private static JsonObject parse(byte[] b) {
        return JsonParser.parseString(new String(b, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    public String name() { return manifest.get("name").getAsString(); }

    public int size() { return manifest.getAsJsonArray("cases").size(); }

    public long seed() { return manifest.get("seed").getAsLong(); }

    public String targetClass() { return manifest.get("target_class").getAsString(); }

    /** Folder name of the model package the set was made for (under the models root). */
    public String model() { return manifest.has("model") ? manifest.get("model").getAsString() : DEFAULT_MODEL; }

    public String description() { return manifest.has("description") ? manifest.get("description").getAsString() : ""; }

    /** World position (RAS mm) of the grid centre, (0, 0, 0) when the manifest gives none. */
    public double[] gridCentreRas() {
        if (!manifest.has("grid_centre_ras_mm")) return new double[3];
        JsonArray a = manifest.getAsJsonArray("grid_centre_ras_mm");
        return new double[] {a.get(0).getAsDouble(), a.get(1).getAsDouble(), a.get(2).getAsDouble()};
    }

    /** Voxel size in mm (z, y, x). */
    public double[] voxelMm() {
        JsonArray a = manifest.getAsJsonArray("voxel_mm");
        return new double[] {a.get(0).getAsDouble(), a.get(1).getAsDouble(), a.get(2).getAsDouble()};
    }

    /** The first {@code count} cases, in manifest order. */
    public List<Case> cases(int count) throws IOException {
        JsonArray all = manifest.getAsJsonArray("cases");
        if (count < 1 || count > all.size()) {
            throw new IllegalArgumentException("the benchmark set '" + name() + "' has " + all.size() + " cases, asked for " + count);
        }
        List<Case> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(read(all.get(i).getAsJsonObject()));
        return out;
    }

    private Case read(JsonObject c) throws IOException {
        JsonObject in = c.getAsJsonObject("input"), m = c.getAsJsonObject("mask");
        long[] shape = shape(in.getAsJsonArray("shape"));
        byte[] xb = bytes(in), mb = bytes(m);
        check(c, in, xb);
        check(c, m, mb);
        float[] x = values(c, in, xb);
        float[] mask = new float[mb.length];
        int inside = 0;
        for (int i = 0; i < mb.length; i++) {
            mask[i] = mb[i] & 0xff;
            if (mask[i] != 0) inside++;
        }
        long voxels = shape[2] * shape[3] * shape[4];
        if (x.length != voxels || mask.length != voxels) {
            throw new IOException(c.get("id").getAsString() + ": " + x.length + " input / " + mask.length + " mask values, expected " + voxels);
        }
        if (inside != c.get("lesion_voxels").getAsInt()) {
            throw new IOException(c.get("id").getAsString() + ": mask has " + inside + " voxels, manifest says " + c.get("lesion_voxels"));
        }
        JsonArray cz = c.getAsJsonArray("lesion_centroid_voxel_zyx");
        String target = c.has("target_class") ? c.get("target_class").getAsString() : targetClass();
        double[] logits = null;
        double dice = Double.NaN;
        if (c.has("pytorch")) {
            JsonObject ref = c.getAsJsonObject("pytorch");
            if (ref.has("logits")) {
                JsonArray l = ref.getAsJsonArray("logits");
                logits = new double[l.size()];
                for (int i = 0; i < logits.length; i++) logits[i] = l.get(i).getAsDouble();
            }
            if (ref.has("dice")) dice = ref.get("dice").getAsDouble();
        }
        return new Case(c.get("id").getAsString(), new Tensor(x, shape), mask, inside, (double) inside / voxels,
            new double[] {cz.get(0).getAsDouble(), cz.get(1).getAsDouble(), cz.get(2).getAsDouble()},
            c.get("lesion_radius_mm").getAsDouble(), target, logits, dice);
    }

    /** float32 as stored, or uint8 dequantised as {@code offset + scale * q} (in double, then float, as the writer). */
    private static float[] values(JsonObject c, JsonObject in, byte[] b) throws IOException {
        String dtype = in.get("dtype").getAsString();
        switch (dtype) {
            case "float32" -> {
                float[] x = new float[b.length / 4];
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
                return x;
            }
            case "uint8" -> {
                if (!in.has("offset") || !in.has("scale")) {
                    throw new IOException(c.get("id").getAsString() + ": uint8 input without offset and scale");
                }
                double off = in.get("offset").getAsDouble(), scale = in.get("scale").getAsDouble();
                float[] x = new float[b.length];
                for (int i = 0; i < b.length; i++) x[i] = (float) (off + scale * (b[i] & 0xff));
                return x;
            }
            default -> throw new IOException(c.get("id").getAsString() + ": input dtype '" + dtype + "' is not supported (float32, uint8)");
        }
    }

    private byte[] bytes(JsonObject entry) throws IOException {
        String file = entry.get("file").getAsString();
        boolean gz = entry.has("encoding") && "gzip".equals(entry.get("encoding").getAsString());
        if (folder == null) return readResource(resource, file, gz);
        try (InputStream s = Files.newInputStream(folder.resolve(file))) {
            return (gz ? new GZIPInputStream(s) : s).readAllBytes();
        }
    }

    private static byte[] readResource(String resource, String file, boolean gz) throws IOException {
        InputStream s = BenchmarkSet.class.getClassLoader().getResourceAsStream(resource + file);
        if (s == null) throw new IOException("benchmark file " + resource + file + " is not on the class path");
        try (s) {
            return (gz ? new GZIPInputStream(s) : s).readAllBytes();
        }
    }

    private static void check(JsonObject c, JsonObject entry, byte[] b) throws IOException {
        if (!entry.has("sha256_raw")) return;
        try {
            String got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
            if (!got.equals(entry.get("sha256_raw").getAsString())) {
                throw new IOException(c.get("id").getAsString() + ": " + entry.get("file").getAsString() + " is damaged (SHA-256 differs)");
            }
        } catch (NoSuchAlgorithmException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }

    private static long[] shape(JsonArray a) {
        long[] s = new long[a.size()];
        for (int i = 0; i < s.length; i++) s[i] = a.get(i).getAsLong();
        return s;
    }
}
