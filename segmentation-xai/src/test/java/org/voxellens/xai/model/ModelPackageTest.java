package org.voxellens.xai.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPackageTest {

    @TempDir
    Path dir;

    private Path pkg(String yaml) throws IOException {
        Files.write(dir.resolve("weights.pt"), new byte[] {1, 2, 3});
        Files.writeString(dir.resolve("rdf.yaml"), yaml);
        return dir;
    }

    private static final String V04 = """
        format_version: 0.4.10
        type: model
        name: test model
        inputs:
          - name: input
            axes: bczyx
            data_type: float32
            shape: [1, 1, 32, 40, 48]
            preprocessing:
              - name: zero_mean_unit_variance
                kwargs: {mode: per_sample, axes: xyz}
        outputs:
          - name: logits
            axes: bc
            shape: [1, 3]
        weights:
          torchscript:
            source: weights.pt
        config:
          voxellens:
            class_names: [normal, tumour, cyst]
            default_target: tumour
            spacing: [1.5, 1.5, 2.0]
            gradcam_layers:
              - {name: enc, probe_method: fp_enc, activation_method: act_enc, shape: [1, 8, 16, 20, 24]}
              - {name: dec}
        """;

    @Test
    void readsBioimageIoDescriptionAndVoxelLensKeys() throws IOException {
        ModelPackage p = ModelPackage.open(pkg(V04));
        assertEquals("test model", p.name());
        assertEquals(ModelTask.CLASSIFICATION, p.task(), "no spatial output axes: a classifier");
        assertArrayEquals(new int[] {48, 40, 32}, p.inputSize(), "input size is x, y, z from the zyx shape");
        assertArrayEquals(new long[] {4, 1, 32, 40, 48}, p.inputShape(4));
        assertArrayEquals(new double[] {1.5, 1.5, 2.0}, p.spacing());
        assertEquals("zero_mean_unit_variance", p.preprocessing().get(0).name());
        assertEquals(List.of("normal", "tumour", "cyst"), p.classNames());
        assertEquals(1, p.classIndex("Tumour"));
        assertEquals(2, p.classIndex("2"));
        assertEquals("act_enc", p.gradCamLayer("enc").activationMethod());
        assertEquals("forward_probe_dec", p.gradCamLayer("dec").probeMethod(), "probe method name defaults from the layer name");
        assertEquals("dec", p.gradCamLayer(null).name(), "without a declared default, the last (deepest) layer");
        assertEquals(dir.resolve("weights.pt").toAbsolutePath(), p.weights());
    }

    @Test
    void readsBioimageIo05AxesObjects() throws IOException {
        ModelPackage p = ModelPackage.open(pkg("""
            format_version: 0.5.3
            type: model
            name: v05
            inputs:
              - id: raw
                axes:
                  - {type: batch}
                  - {type: channel, channel_names: [t1]}
                  - {type: space, id: z, size: 24}
                  - {type: space, id: y, size: 28}
                  - {type: space, id: x, size: 32}
            outputs:
              - id: seg
                axes: [{type: batch}, {type: channel, channel_names: [bg, fg]}, {type: space, id: z, size: 24},
                       {type: space, id: y, size: 28}, {type: space, id: x, size: 32}]
            weights:
              torchscript: {source: weights.pt}
            """));
        assertEquals("bczyx", p.inputAxes());
        assertArrayEquals(new int[] {32, 28, 24}, p.inputSize());
        assertEquals(ModelTask.SEGMENTATION, p.task(), "spatial output axes: segmentation");
        assertNull(p.spacing());
    }

    @Test
    void shapeConstraintsAreCheckedAndAViolationNamesTheConstraint() throws IOException {
        String v04 = """
            format_version: 0.4.10
            type: model
            name: unet
            inputs:
              - name: input
                axes: bczyx
                shape: {min: [1, 1, 16, 16, 16], step: [0, 0, 16, 16, 16]}
            outputs:
              - {name: seg, axes: bczyx}
            weights:
              torchscript: {source: weights.pt}
            config:
              voxellens:
                input_size: %s
            """;
        assertArrayEquals(new int[] {64, 48, 32}, ModelPackage.open(pkg(v04.formatted("[64, 48, 32]"))).inputSize());
        ModelPackageException e = assertThrows(ModelPackageException.class,
            () -> ModelPackage.open(pkg(v04.formatted("[60, 64, 64]"))));
        assertTrue(e.getMessage().startsWith(dir.resolve("rdf.yaml") + ": "), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains("config.voxellens.input_size is 60 voxels along x, but the model's input shape "
            + "allows min 16, step 16 there (rdf.yaml inputs[0]); valid sizes near it: 48 or 64"), e.getMessage());

        String v05 = """
            format_version: 0.5.3
            type: model
            name: unetr
            inputs:
              - id: raw
                axes:
                  - {type: batch}
                  - {type: channel, channel_names: [ct]}
                  - {type: space, id: z, size: {min: 32, step: 32}}
                  - {type: space, id: y, size: {min: 32, step: 32}}
                  - {type: space, id: x, size: {min: 32, step: 32}}
            outputs:
              - {id: seg, axes: [{type: batch}, {type: channel, channel_names: [bg, fg]}, {type: space, id: z}, {type: space, id: y}, {type: space, id: x}]}
            weights:
              torchscript: {source: weights.pt}
            config:
              voxellens:
                input_size: %s
            """;
        assertArrayEquals(new int[] {96, 96, 64}, ModelPackage.open(pkg(v05.formatted("[96, 96, 64]"))).inputSize());
        e = assertThrows(ModelPackageException.class, () -> ModelPackage.open(pkg(v05.formatted("[96, 96, 20]"))));
        assertTrue(e.getMessage().contains("20 voxels along z, but the model's input shape allows min 32, step 32 there "
            + "(rdf.yaml inputs[0]); valid sizes near it: 32"), e.getMessage());
        assertArrayEquals(new int[] {32, 32, 32}, ModelPackage.open(pkg(v05.replace("config:\n  voxellens:\n    input_size: %s\n", ""))).inputSize(),
            "without input_size, the smallest size the model takes");
    }

    @Test
    void errorsNameThePackageAndTheProblem() throws IOException {
        ModelPackageException e = assertThrows(ModelPackageException.class,
            () -> ModelPackage.open(pkg(V04.replace("source: weights.pt", "source: missing.pt"))));
        assertTrue(e.getMessage().contains("missing.pt") && e.getMessage().contains("not found"), e.getMessage());

        e = assertThrows(ModelPackageException.class, () -> ModelPackage.open(pkg(V04.replace("bczyx", "bcyx"))));
        assertTrue(e.getMessage().contains("rdf.yaml") && e.getMessage().contains("bcyx"), e.getMessage());

        e = assertThrows(ModelPackageException.class, () -> ModelPackage.open(dir.resolve("nowhere")));
        assertTrue(e.getMessage().contains("nowhere"), e.getMessage());

        e = assertThrows(ModelPackageException.class, () -> ModelPackage.open(pkg("inputs: [unclosed")));
        assertTrue(e.getMessage().contains("rdf.yaml"), e.getMessage());
    }

    @Test
    void unknownClassAndLayerListTheKnownOnes() throws IOException {
        ModelPackage p = ModelPackage.open(pkg(V04));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.classIndex("lesion"));
        assertTrue(e.getMessage().contains("tumour"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p.gradCamLayer("block9"));
        assertTrue(e.getMessage().contains("enc") && e.getMessage().contains("block9"), e.getMessage());
    }

    @Test
    void sha256MismatchIsRefused() throws IOException {
        ModelPackage p = ModelPackage.open(pkg(V04.replace("source: weights.pt", "source: weights.pt\n    sha256: 00ff")));
        ModelPackageException e = assertThrows(ModelPackageException.class, p::verifiedSha256);
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
        // sha256 of the bytes 01 02 03
        assertEquals("039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81", p.weightsSha256());
    }
}
