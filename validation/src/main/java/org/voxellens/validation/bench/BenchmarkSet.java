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
 * The held-out benchmark cases written by {@code validation/python/make_benchmark_set.py}: model inputs (already
 * z-scored, {@code [1, 1, 48, 48, 48]}) and lesion masks on the same grid, listed in {@code manifest.json}. Read from
 * a folder, or from the class path ({@code benchmark/phantom-lesion/}, bundled in the validation jar).
 */
public final class BenchmarkSet {

    /** Class-path folder of the bundled set. */
    public static final String RESOURCE = "benchmark/phantom-lesion/";

    /**
     * One case.
     *
     * @param input the model input, preprocessed
     * @param mask lesion mask, 1 inside (flat, C order, same grid)
     * @param centroidZyx lesion centroid in voxels
     */
    public record Case(String id, Tensor input, float[] mask, int lesionVoxels, double lesionVolumeShare,
                       double[] centroidZyx, double lesionRadiusMm) {}

    private final JsonObject manifest;
    private final Path folder;

    private BenchmarkSet(JsonObject manifest, Path folder) {
        this.manifest = manifest;
        this.folder = folder;
    }

    /** The bundled set (class path). */
    public static BenchmarkSet bundled() throws IOException {
        return new BenchmarkSet(parse(readResource("manifest.json", false)), null);
    }

    /** A set in a folder (same layout). */
    public static BenchmarkSet open(Path folder) throws IOException {
        return new BenchmarkSet(parse(Files.readAllBytes(folder.resolve("manifest.json"))), folder);
    }

    private static JsonObject parse(byte[] b) {
        return JsonParser.parseString(new String(b, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    public String name() { return manifest.get("name").getAsString(); }

    public int size() { return manifest.getAsJsonArray("cases").size(); }

    public long seed() { return manifest.get("seed").getAsLong(); }

    public String targetClass() { return manifest.get("target_class").getAsString(); }

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
        float[] x = new float[xb.length / 4];
        ByteBuffer.wrap(xb).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
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
        return new Case(c.get("id").getAsString(), new Tensor(x, shape), mask, inside, (double) inside / voxels,
            new double[] {cz.get(0).getAsDouble(), cz.get(1).getAsDouble(), cz.get(2).getAsDouble()},
            c.get("lesion_radius_mm").getAsDouble());
    }

    private byte[] bytes(JsonObject entry) throws IOException {
        String file = entry.get("file").getAsString();
        boolean gz = entry.has("encoding") && "gzip".equals(entry.get("encoding").getAsString());
        if (folder == null) return readResource(file, gz);
        try (InputStream s = Files.newInputStream(folder.resolve(file))) {
            return (gz ? new GZIPInputStream(s) : s).readAllBytes();
        }
    }

    private static byte[] readResource(String file, boolean gz) throws IOException {
        InputStream s = BenchmarkSet.class.getClassLoader().getResourceAsStream(RESOURCE + file);
        if (s == null) throw new IOException("benchmark file " + RESOURCE + file + " is not on the class path");
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
