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

    /**
     * Written the way the bioimage.io spec's own 0.5 examples write descriptions (unet2d_nuclei_broad,
     * unet2d_diff_output_shape): axes as objects, a space axis without an id (x), a channel axis with channel_names
     * and no size, sizes {min, step}, output sizes that reference an input axis, ensure_dtype around the
     * normalisation, zero_mean_unit_variance with an axes list, a sigmoid in the postprocessing; here in 3D, with
     * the voxel size as the axes' scale in millimetres.
     */
    private static final String V05 = """
        format_version: 0.5.4
        type: model
        name: brain lesion unet
        description: 3D UNet, T1 + FLAIR
        authors: [{name: somebody}]
        license: MIT
        documentation: README.md
        inputs:
          - id: mri
            axes:
              - type: batch
              - type: channel
                channel_names: [t1, flair]
              - {type: space, id: z, size: {min: 32, step: 16}, unit: millimeter, scale: 1.5}
              - {type: space, id: y, size: {min: 32, step: 16}, unit: millimeter, scale: 1.0}
              - {type: space, size: {min: 32, step: 16}, unit: millimeter, scale: 1.0}
            preprocessing:
              - id: ensure_dtype
                kwargs: {dtype: float32}
              - id: zero_mean_unit_variance
                kwargs: {axes: [z, y, x]}
              - id: ensure_dtype
                kwargs: {dtype: float32}
        outputs:
          - id: lesion_probability
            axes:
              - type: batch
              - type: channel
                channel_names: [lesion]
              - {type: space, id: z, size: {tensor_id: mri, axis_id: z}}
              - {type: space, id: y, size: {tensor_id: mri, axis_id: y}}
              - {type: space, size: {tensor_id: mri, axis_id: x}}
            postprocessing:
              - id: sigmoid
        weights:
          torchscript:
            source: weights.pt
            pytorch_version: 2.5.1
        """;

    @Test
    void aBioimageIo05DescriptionWrittenAsTheSpecsExamplesParses() throws IOException {
        ModelPackage p = ModelPackage.open(pkg(V05));
        assertEquals("bczyx", p.inputAxes());
        assertEquals(2, p.channels(), "two channel_names, no size: two channels");
        assertEquals(List.of("t1", "flair"), p.channelNames());
        assertEquals(ModelTask.SEGMENTATION, p.task(), "spatial output axes");
        assertTrue(p.parameterisedSize());
        assertArrayEquals(new int[] {48, 64, 32}, p.sizeAtLeast(new int[] {40, 50, 20}));
        assertArrayEquals(new double[] {1.0, 1.0, 1.5}, p.spacing(), 1e-12, "x, y, z from the axes' scale in mm");
        assertEquals("sigmoid", p.outputActivation(), "the postprocessing's sigmoid");
        assertEquals(List.of("ensure_dtype", "zero_mean_unit_variance", "ensure_dtype"),
            p.preprocessing().stream().map(PreprocessingStep::name).toList());
        assertTrue(!p.preprocessing().get(1).acrossChannels(), "axes [z, y, x]: each channel on its own");
    }

    @Test
    void aTwoDimensionalModelIsRefusedAsTwoDimensionalNotAsUnreadable() throws IOException {
        String twoD = V05.replace("      - {type: space, id: z, size: {min: 32, step: 16}, unit: millimeter, scale: 1.5}\n", "")
            .replace("      - {type: space, id: z, size: {tensor_id: mri, axis_id: z}}\n", "");
        ModelPackageException e = assertThrows(ModelPackageException.class, () -> ModelPackage.open(pkg(twoD)));
        assertTrue(e.getMessage().contains("this is a 2D model; VoxelLens explains 3D models"), e.getMessage());
    }

    @Test
    void aDeepImageJ3dDescriptionParses() throws IOException {
        // as deepImageJ 3.x writes a 3D PyTorch model: 0.4 with a parameterised shape and its own config section
        ModelPackage p = ModelPackage.open(pkg("""
            format_version: 0.4.8
            type: model
            name: 3D UNet nuclei (deepImageJ)
            inputs:
              - name: input0
                axes: bczyx
                data_type: float32
                data_range: [-.inf, .inf]
                shape: {min: [1, 1, 16, 64, 64], step: [0, 0, 8, 16, 16]}
                preprocessing:
                  - name: scale_range
                    kwargs: {mode: per_sample, axes: xyz, min_percentile: 1, max_percentile: 99.8}
            outputs:
              - name: output0
                axes: bczyx
                data_type: float32
                data_range: [-.inf, .inf]
                halo: [0, 0, 4, 8, 8]
                shape: {reference_tensor: input0, scale: [1, 1, 1, 1, 1], offset: [0, 0, 0, 0, 0]}
                postprocessing:
                  - name: sigmoid
            weights:
              torchscript:
                source: weights.pt
                sha256: 039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81
            config:
              deepimagej:
                pyramidal_model: false
                allow_tiling: true
                model_keys: null
                test_information:
                  inputs: [{name: exampleImage.tif, size: 64 x 64 x 16 x 1, pixel_size: {x: 1, y: 1, z: 1}}]
                  outputs: [{name: resultImage.tif, type: image, size: 64 x 64 x 16 x 1}]
                  memory_peak: null
                  runtime: null
            """));
        assertEquals(ModelTask.SEGMENTATION, p.task());
        assertTrue(p.parameterisedSize());
        assertArrayEquals(new int[] {64, 64, 16}, p.inputSize(), "the smallest size until a volume chooses one");
        assertArrayEquals(new int[] {80, 64, 24}, p.sizeAtLeast(new int[] {70, 10, 17}));
        assertEquals("sigmoid", p.outputActivation());
    }
}
