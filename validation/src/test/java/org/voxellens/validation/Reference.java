package org.voxellens.validation;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.voxellens.xai.runtime.Tensor;

/** Reads the PyTorch reference arrays written by validation/python/make_references.py. */
final class Reference {

    static final Path ROOT = Path.of("src/test/resources/reference");

    final Path folder;
    final JsonObject manifest;

    Reference(String model) throws IOException {
        this.folder = ROOT.resolve(model);
        this.manifest = JsonParser.parseString(Files.readString(folder.resolve("manifest.json"))).getAsJsonObject();
    }

    Tensor tensor(String key) throws IOException {
        JsonObject a = manifest.getAsJsonObject("arrays").getAsJsonObject(key);
        if (a == null) throw new IllegalArgumentException("reference has no array " + key);
        long[] shape = new long[a.getAsJsonArray("shape").size()];
        for (int i = 0; i < shape.length; i++) shape[i] = a.getAsJsonArray("shape").get(i).getAsLong();
        byte[] bytes = Files.readAllBytes(folder.resolve(a.get("file").getAsString()));
        float[] v;
        if ("uint8".equals(a.get("dtype").getAsString())) {
            v = new float[bytes.length];
            for (int i = 0; i < bytes.length; i++) v[i] = bytes[i] & 0xff;
        } else {
            v = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        }
        return new Tensor(v, shape);
    }

    boolean has(String key) {
        return manifest.getAsJsonObject("arrays").has(key);
    }

    JsonObject parameters() {
        return manifest.getAsJsonObject("parameters");
    }
}
