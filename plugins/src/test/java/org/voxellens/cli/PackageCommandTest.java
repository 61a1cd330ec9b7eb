package org.voxellens.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.voxellens.io.nifti.NiftiReader;
import org.voxellens.testing.RequiredTools;
import org.voxellens.xai.model.GradCamLayer;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.ClassLogitTarget;

/**
 * {@code voxellens package} on networks written here as plain nn.Modules, MONAI-style (MONAI itself is not
 * installable here): a UNet with skip connections and a deep-supervision list output, and a ResNet-style
 * classifier with residual blocks. Each is packaged with two Grad-CAM layers by Debian's torch, then explained
 * through the command line with Grad-CAM at both layers. The probe methods the tool writes are checked against an
 * independent reference: forward hooks on the original module (not the TorchScript) in PyTorch give the layer's
 * activations and d score / d activations, which must equal what VoxelLens reads through the package.
 */
public class PackageCommandTest {

    public static final String NETS = String.join("\n",
        "import torch, torch.nn as nn, torch.nn.functional as F",
        "def block(i, o):",
        "    return nn.Sequential(nn.Conv3d(i, o, 3, padding=1), nn.BatchNorm3d(o), nn.ReLU(inplace=True))",
        "class SkipUNet(nn.Module):",
        "    def __init__(self, in_channels=1, classes=2, c=4, deep_supervision=True):",
        "        super().__init__()",
        "        self.enc1, self.enc2, self.bottleneck = block(in_channels, c), block(c, 2 * c), block(2 * c, 4 * c)",
        "        self.up2, self.dec2 = nn.ConvTranspose3d(4 * c, 2 * c, 2, stride=2), block(4 * c, 2 * c)",
        "        self.up1, self.dec1 = nn.ConvTranspose3d(2 * c, c, 2, stride=2), block(2 * c, c)",
        "        self.head, self.aux = nn.Conv3d(c, classes, 1), nn.Conv3d(2 * c, classes, 1)",
        "        self.deep_supervision = deep_supervision",
        "    def forward(self, x):",
        "        e1 = self.enc1(x); e2 = self.enc2(F.max_pool3d(e1, 2)); b = self.bottleneck(F.max_pool3d(e2, 2))",
        "        d2 = self.dec2(torch.cat([self.up2(b), e2], 1)); d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))",
        "        out = self.head(d1)",
        "        return [out, self.aux(d2)] if self.deep_supervision else out",
        "class Basic(nn.Module):",
        "    def __init__(self, i, o, stride):",
        "        super().__init__()",
        "        self.conv1, self.bn1 = nn.Conv3d(i, o, 3, stride, 1, bias=False), nn.BatchNorm3d(o)",
        "        self.conv2, self.bn2 = nn.Conv3d(o, o, 3, 1, 1, bias=False), nn.BatchNorm3d(o)",
        "        self.down = None if stride == 1 and i == o else nn.Sequential(nn.Conv3d(i, o, 1, stride, bias=False), nn.BatchNorm3d(o))",
        "    def forward(self, x):",
        "        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))",
        "        return F.relu(y + (x if self.down is None else self.down(x)))",
        "class ResNet3d(nn.Module):",
        "    def __init__(self, classes=2):",
        "        super().__init__()",
        "        self.stem = block(1, 8)",
        "        self.layer1, self.layer2 = Basic(8, 8, 1), Basic(8, 16, 2)",
        "        self.fc = nn.Linear(16, classes)",
        "    def forward(self, x):",
        "        return self.fc(self.layer2(self.layer1(self.stem(x))).mean(dim=(2, 3, 4)))",
        "class INormNet(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        "        self.conv1, self.norm1, self.act1 = nn.Conv3d(1, 8, 3, padding=1), nn.InstanceNorm3d(8, affine=True), nn.LeakyReLU(0.01)",
        "        self.conv2, self.norm2, self.act2 = nn.Conv3d(8, 8, 3, padding=1), nn.InstanceNorm3d(8, affine=True), nn.LeakyReLU(0.01)",
        "        self.head = nn.Conv3d(8, 2, 1)",
        "    def forward(self, x):",
        "        return self.head(self.act2(self.norm2(self.conv2(self.act1(self.norm1(self.conv1(x)))))))",
        "class TinyTransformer(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        "        self.embed = nn.Conv3d(1, 16, 8, stride=8)",
        "        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 1)",
        "        self.decode = nn.ConvTranspose3d(16, 8, 8, stride=8)",
        "        self.head = nn.Conv3d(8, 2, 1)",
        "    def forward(self, x):",
        "        e = self.embed(x); b, c, d, h, w = e.shape",
        "        t = self.encoder(e.flatten(2).transpose(1, 2)).transpose(1, 2).reshape(b, c, d, h, w)",
        "        return self.head(F.relu(self.decode(t)))",
        "def randomised(net, seed):",
        "    torch.manual_seed(seed)",
        "    for m in net.modules():",
        "        if isinstance(m, nn.BatchNorm3d):",
        "            m.running_mean.uniform_(-0.2, 0.2); m.running_var.uniform_(0.5, 2.0)",
        "            m.weight.data.uniform_(0.5, 1.5); m.bias.data.uniform_(-0.2, 0.2)",
        "    return net",
        "");

    @TempDir
    static Path tmp;
    static Path python;
    static Path nets;

    @BeforeAll
    static void writeNetworksAndWeights() throws Exception {
        python = RequiredTools.python3WithTorch();
        nets = tmp.resolve("nets.py");
        Files.writeString(nets, NETS, StandardCharsets.UTF_8);
        // seeded before construction: the constructors draw the convolution weights (unseeded, a run could give a
        // network whose Grad-CAM at a layer is all zero, a ReLU of negative weighted sums)
        py("import sys; sys.path.insert(0, '" + tmp + "'); import torch, nets\n"
            + "torch.manual_seed(4); torch.save(nets.randomised(nets.SkipUNet(), 1).state_dict(), '" + tmp.resolve("unet.pt") + "')\n"
            + "torch.manual_seed(2); torch.save({'state_dict': nets.randomised(nets.ResNet3d(), 2).state_dict()}, '" + tmp.resolve("resnet.pt") + "')\n");
    }

    /**
     * For the Fiji tests: the ResNet-style classifier of {@link #NETS}, packaged by {@code voxellens package} into
     * {@code dir/resnet-pkg} with Grad-CAM layers layer1 (the default: the first) and layer2.conv2, classes normal, lesion.
     */
    public static Path packagedResNet(Path dir) throws Exception {
        return packaged(dir, "ResNet3d", "torch.manual_seed(2); net = nets.randomised(nets.ResNet3d(), 2)", "resnet",
            "classification", "normal,lesion", "layer1", "layer2.conv2");
    }

    /**
     * For the Fiji tests: the skip-connection UNet of {@link #NETS} (deep-supervision list output), packaged into
     * {@code dir/unet-pkg} with Grad-CAM layers bottleneck and dec1, classes background, lesion.
     */
    public static Path packagedUNet(Path dir) throws Exception {
        return packaged(dir, "SkipUNet", "torch.manual_seed(4); net = nets.randomised(nets.SkipUNet(), 1)", "unet",
            "segmentation", "background,lesion", "bottleneck", "dec1");
    }

    /**
     * A network of {@link #NETS} with weights made by {@code build} (Python that sets {@code net}; seeded before the
     * constructor draws the weights, so every run packages the same network) into {@code dir/<name>-pkg}.
     */
    private static Path packaged(Path dir, String cls, String build, String name, String task, String classes,
                                 String... layers) throws Exception {
        Path py = RequiredTools.python3WithTorch();
        Path file = dir.resolve("nets.py");
        if (!Files.exists(file)) Files.writeString(file, NETS, StandardCharsets.UTF_8);
        Path weights = dir.resolve(name + ".pt");
        TorchFixtures.python(py, 300, "-c", "import sys; sys.path.insert(0, '" + dir + "'); import torch, nets\n"
            + build + "\ntorch.save(net.state_dict(), '" + weights + "')\n");
        Path pkg = dir.resolve(name + "-pkg");
        List<String> args = new java.util.ArrayList<>(List.of("package", "--python", py.toString(), "--module", file + ":" + cls,
            "--weights", weights.toString(), "--input-shape", "1,1,32,32,32", "--task", task, "--classes", classes,
            "--out", pkg.toString()));
        for (String l : layers) args.addAll(List.of("--layer", l));
        ExplainCommandTest.Run r = ExplainCommandTest.cli(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return pkg;
    }

    static String py(String code) throws Exception {
        return TorchFixtures.python(python, 300, "-c", code);
    }

    static ExplainCommandTest.Run pkg(String cls, String weights, String task, String classes, Path out, String... layers) {
        List<String> a = new java.util.ArrayList<>(List.of("package", "--python", python.toString(), "--module", nets + ":" + cls,
            "--weights", tmp.resolve(weights).toString(), "--input-shape", "1,1,32,32,32", "--task", task, "--classes", classes,
            "--out", out.toString()));
        for (String l : layers) a.addAll(List.of("--layer", l));
        return ExplainCommandTest.cli(a.toArray(String[]::new));
    }

    @Test
    void skipUNetAndResNetArePackagedWithTwoLayersAndExplainedWithGradCamAtBoth() throws Exception {
        Path unet = tmp.resolve("unet-pkg");
        ExplainCommandTest.Run u = pkg("SkipUNet", "unet.pt", "segmentation", "background,lesion", unet, "bottleneck", "dec1");
        assertEquals(0, u.code(), u.err());
        assertTrue(u.out().contains("self-check passed") && u.out().contains("returns 2 outputs"), u.out());
        Path res = tmp.resolve("resnet-pkg");
        ExplainCommandTest.Run r = pkg("ResNet3d", "resnet.pt", "classification", "normal,lesion", res, "layer1", "layer2.conv2");
        assertEquals(0, r.code(), r.err());

        for (Object[] c : new Object[][] {{unet, "bottleneck", "dec1"}, {res, "layer1", "layer2.conv2"}}) {
            float[][] maps = new float[2][];
            for (int i = 0; i < 2; i++) {
                String layer = (String) c[1 + i];
                Path out = tmp.resolve("out-" + ((Path) c[0]).getFileName() + "-" + i);
                // every method at the first layer, the Grad-CAMs and saliency at the second
                ExplainCommandTest.Run e = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(),
                    "--model", c[0].toString(), "--method", i == 0 ? "all" : "gradcam,gradcampp,saliency", "--layer", layer,
                    "--target", "lesion", "--samples", "2", "--ig-steps", "4", "--occlusion-window", "16", "--out", out.toString(),
                    "--threads", "2");
                assertEquals(0, e.code(), e.err());
                if (i == 0) {
                    for (String m : org.voxellens.xai.attribution.MethodCatalog.NAMES) {
                        float[] map = NiftiReader.read(out.resolve(m + ".nii.gz")).volume().data();
                        double total = 0;
                        for (float v : map) {
                            assertTrue(Float.isFinite(v), c[0] + " " + m);
                            total += Math.abs(v);
                        }
                        assertTrue(total > 0, c[0] + " " + m + ": a non-zero map");
                    }
                }
                maps[i] = NiftiReader.read(out.resolve("gradcam.nii.gz")).volume().data();
                double sum = 0;
                for (float v : maps[i]) {
                    assertTrue(Float.isFinite(v));
                    sum += Math.abs(v);
                }
                assertTrue(sum > 0, c[0] + " " + layer + ": a non-zero Grad-CAM map");
                assertTrue(Files.exists(out.resolve("gradcampp.nii.gz")) && Files.exists(out.resolve("saliency.nii.gz")));
            }
            assertTrue(!java.util.Arrays.equals(maps[0], maps[1]), c[0] + ": the two layers give different maps");
        }
    }

    @Test
    void probeMethodsEqualForwardHooksOnTheOriginalModule() throws Exception {
        Path res = tmp.resolve("resnet-ref");
        assertEquals(0, pkg("ResNet3d", "resnet.pt", "classification", "normal,lesion", res, "layer2.conv2").code());
        float[] x = new float[32 * 32 * 32];
        java.util.Random rnd = new java.util.Random(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        Path xf = tmp.resolve("x.bin");
        ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(x);
        Files.write(xf, b.array());
        // the reference: hooks on the original nn.Module in float64, nothing of the package involved
        py("import sys; sys.path.insert(0, '" + tmp + "'); import torch, numpy as np, nets\n"
            + "net = nets.ResNet3d(); net.load_state_dict(torch.load('" + tmp.resolve("resnet.pt") + "')['state_dict']); net.eval().double()\n"
            + "x = torch.from_numpy(np.fromfile('" + xf + "', dtype=np.float32)).double().reshape(1, 1, 32, 32, 32)\n"
            + "box = []\n"
            + "def hook(m, i, o):\n    o.retain_grad(); box.append(o)\n"
            + "net.layer2.conv2.register_forward_hook(hook)\n"
            + "net(x)[:, 1].sum().backward()\n"
            + "box[0].detach().float().numpy().tofile('" + tmp.resolve("act.bin") + "')\n"
            + "box[0].grad.float().numpy().tofile('" + tmp.resolve("grad.bin") + "')\n");
        ModelPackage p = ModelPackage.open(res);
        GradCamLayer layer = p.gradCamLayer("layer2.conv2");
        try (TorchModel m = TorchModel.load(p, DeviceSpec.CPU)) {
            TorchModel.LayerGradients lg = m.layerGradients(new Tensor(x, new long[] {1, 1, 32, 32, 32}), new ClassLogitTarget(1, "lesion"), layer);
            assertClose(read(tmp.resolve("act.bin")), lg.activations().data(), "activations");
            assertClose(read(tmp.resolve("grad.bin")), lg.gradients().data(), "d score / d activations");
        }
    }

    @Test
    void aTwoChannelSigmoidUNetIsPackagedAsBioimageIo05AndExplainedFromTwoVolumes() throws Exception {
        // T1 + FLAIR in, one sigmoid channel out, a non-cubic input, z-scoring and the training spacing declared
        Path pkg = tmp.resolve("unet2ch-pkg");
        ExplainCommandTest.Run r = ExplainCommandTest.cli("package", "--python", python.toString(), "--module", nets + ":SkipUNet",
            "--kwargs", "{\"in_channels\": 2, \"classes\": 1, \"deep_supervision\": false}", "--input-shape", "1,2,32,40,48",
            "--task", "segmentation", "--classes", "background,lesion", "--channels", "t1,flair", "--normalise", "zscore",
            "--spacing", "3,3,3", "--layer", "dec1", "--out", pkg.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("rdf.yaml (bioimage.io 0.5)"), r.out());
        String rdf = Files.readString(pkg.resolve("rdf.yaml"));
        assertTrue(rdf.contains("format_version: 0.5.4") && rdf.contains("output_activation: sigmoid"), rdf);
        // the test tensors the description declares are there, with their sha256
        for (String t : new String[] {"test_input.npy", "test_output.npy"}) {
            String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(pkg.resolve(t))));
            assertTrue(rdf.contains("{source: " + t + ", sha256: " + sha + "}"), t + " in " + rdf);
        }
        ModelPackage p = ModelPackage.open(pkg);
        assertEquals(2, p.channels());
        assertEquals(List.of("t1", "flair"), p.channelNames());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {48, 40, 32}, p.inputSize(), "x, y, z");
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {3, 3, 3}, p.spacing(), 0);
        assertEquals("sigmoid", p.outputActivation());

        Path out = tmp.resolve("unet2ch-out");
        ExplainCommandTest.Run e = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--input",
            ExplainCommandTest.HOME.resolve("samples/demo-brain-normal.nii.gz").toString(), "--model", pkg.toString(),
            "--method", "gradcam,saliency,ig", "--ig-steps", "4", "--region", "channel", "--out", out.toString(), "--threads", "2");
        assertEquals(0, e.code(), e.err());
        for (String f : new String[] {"gradcam.nii.gz", "saliency_t1.nii.gz", "saliency_flair.nii.gz", "ig_t1.nii.gz", "ig_flair.nii.gz"}) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        assertTrue(e.out().contains("Tiles  "), "a spacing: run by sliding window " + e.out());
    }

    @Test
    void aMonaiBundleAndABioimageIoStateDictPackageArePackagedFromTheirOwnDescriptions() throws Exception {
        // a MONAI bundle whose network_def names the bundle's own scripts (built without MONAI, which is not installable)
        Path bundle = tmp.resolve("bundle");
        Files.createDirectories(bundle.resolve("configs"));
        Files.createDirectories(bundle.resolve("scripts"));
        Files.createDirectories(bundle.resolve("models"));
        Files.writeString(bundle.resolve("scripts/__init__.py"), "");
        Files.copy(nets, bundle.resolve("scripts/nets.py"));
        Files.writeString(bundle.resolve("configs/inference.json"), "{\"network_def\": {\"_target_\": \"scripts.nets.SkipUNet\", "
            + "\"in_channels\": 1, \"classes\": 2, \"c\": 4, \"deep_supervision\": false}, \"device\": \"$torch.device('cpu')\"}");
        Files.writeString(bundle.resolve("configs/metadata.json"), "{\"network_data_format\": {"
            + "\"inputs\": {\"image\": {\"type\": \"image\", \"num_channels\": 1, \"spatial_shape\": [32, 32, 32]}},"
            + "\"outputs\": {\"pred\": {\"type\": \"image\", \"num_channels\": 2, \"channel_def\": {\"0\": \"background\", \"1\": \"tumour\"}}}}}");
        py("import sys; sys.path.insert(0, '" + tmp + "'); import torch, nets\n"
            + "torch.manual_seed(4); net = nets.randomised(nets.SkipUNet(deep_supervision=False), 1)\n"
            + "torch.save(net.state_dict(), '" + bundle.resolve("models/model.pt") + "')\n");
        Path fromBundle = tmp.resolve("from-bundle");
        ExplainCommandTest.Run b = ExplainCommandTest.cli("package", "--python", python.toString(), "--bundle", bundle.toString(),
            "--layer", "dec1", "--normalise", "zscore", "--out", fromBundle.toString());
        assertEquals(0, b.code(), b.err());
        ModelPackage pb = ModelPackage.open(fromBundle);
        assertEquals(List.of("background", "tumour"), pb.classNames(), "classes from the bundle's channel_def");
        assertEquals("xyz", pb.spatialAxes(), "MONAI loads volumes as [c, x, y, z] (nibabel's order): a bundle's network takes that");
        assertEquals(org.voxellens.xai.model.ModelTask.SEGMENTATION, pb.task());

        // a bioimage.io 0.5 package with pytorch_state_dict weights only (no TorchScript): network, input, steps, classes
        Path bio = tmp.resolve("bioimageio-sd");
        Files.createDirectories(bio);
        Files.copy(nets, bio.resolve("nets.py"));
        Files.copy(tmp.resolve("resnet.pt"), bio.resolve("resnet.pt"));
        Files.writeString(bio.resolve("rdf.yaml"), String.join("\n", "format_version: 0.5.4", "type: model", "name: resnet3d sd",
            "description: a state_dict package", "authors: [{name: x}]", "license: MIT",
            "inputs:", "  - id: image", "    axes:", "      - type: batch", "      - {type: channel, channel_names: [t1]}",
            "      - {type: space, id: z, size: 32}", "      - {type: space, id: y, size: 32}", "      - {type: space, id: x, size: 32}",
            "    preprocessing:", "      - {id: scale_range, kwargs: {axes: [z, y, x], min_percentile: 1, max_percentile: 99}}",
            "outputs:", "  - id: logits", "    axes:", "      - type: batch", "      - {type: channel, channel_names: [normal, lesion]}",
            "weights:", "  pytorch_state_dict:", "    source: resnet.pt",
            "    architecture: {source: nets.py, callable: ResNet3d, kwargs: {classes: 2}}", ""));
        ExplainCommandTest.Run noTs = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            bio.toString(), "--method", "saliency", "--out", tmp.resolve("no-ts").toString());
        assertEquals(1, noTs.code());
        assertTrue(noTs.err().contains("voxellens package --python PY --from-package"), noTs.err());
        Path fromBio = tmp.resolve("from-bioimageio");
        ExplainCommandTest.Run f = ExplainCommandTest.cli("package", "--python", python.toString(), "--from-package", bio.toString(),
            "--layer", "layer1", "--out", fromBio.toString());
        assertEquals(0, f.code(), f.err());
        ModelPackage pf = ModelPackage.open(fromBio);
        assertEquals(List.of("normal", "lesion"), pf.classNames());
        assertEquals(List.of("t1"), pf.channelNames());
        assertEquals("scale_range", pf.preprocessing().get(0).name(), "the source's preprocessing, carried over");
        assertEquals(org.voxellens.xai.model.ModelTask.CLASSIFICATION, pf.task());

        for (Object[] c : new Object[][] {{fromBundle, "dec1", "tumour"}, {fromBio, "layer1", "lesion"}}) {
            Path out = tmp.resolve("out-" + ((Path) c[0]).getFileName());
            List<String> args = new java.util.ArrayList<>(List.of("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
                c[0].toString(), "--method", "gradcam,saliency", "--layer", (String) c[1], "--target", (String) c[2], "--out", out.toString()));
            if (c[0] == fromBundle) args.addAll(List.of("--region", "channel"));
            ExplainCommandTest.Run e = ExplainCommandTest.cli(args.toArray(String[]::new));
            assertEquals(0, e.code(), e.err());
            assertTrue(Files.exists(out.resolve("gradcam.nii.gz")));
        }
    }

    @Test
    void aTransformerNetworkStaysDifferentiableAndALayerOffTheOutputIsRefused() throws Exception {
        // nn.TransformerEncoderLayer takes a fused kernel without backward when no parameter requires grad: the trace
        // must not record it, and the self-check differentiates the packaged model
        py("import sys; sys.path.insert(0, '" + tmp + "'); import torch, nets\n"
            + "torch.manual_seed(5); torch.save(nets.TinyTransformer().state_dict(), '" + tmp.resolve("tt.pt") + "')\n");
        Path tt = tmp.resolve("tt-pkg");
        ExplainCommandTest.Run r = pkg("TinyTransformer", "tt.pt", "segmentation", "background,lesion", tt, "decode");
        assertEquals(0, r.code(), r.err());
        assertTrue(!Files.readString(tt.resolve("rdf.yaml")).isEmpty());
        Path out = tmp.resolve("tt-out");
        ExplainCommandTest.Run e = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
            tt.toString(), "--method", "saliency,ig,gradcam", "--ig-steps", "4", "--region", "channel", "--out", out.toString());
        assertEquals(0, e.code(), e.err());

        // the deep-supervision head feeds only the second output, which VoxelLens does not explain
        ExplainCommandTest.Run aux = pkg("SkipUNet", "unet.pt", "segmentation", "background,lesion", tmp.resolve("aux-pkg"), "aux");
        assertEquals(1, aux.code(), aux.out());
        assertTrue(aux.err().contains("layer 'aux' does not feed the model's"), aux.err());
        assertTrue(!Files.exists(tmp.resolve("aux-pkg")), "nothing written, not even the folder");
        // and it is neither proposed nor offered without saying so
        ExplainCommandTest.Run list = ExplainCommandTest.cli("package", "--python", python.toString(), "--module", nets + ":SkipUNet",
            "--input-shape", "1,1,32,32,32", "--task", "classification", "--list-layers");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().lines().anyMatch(l -> l.trim().startsWith("aux ") && l.contains("(does not feed the first output)")), list.out());
        assertTrue(!list.out().contains("proposed Grad-CAM layer (classification): aux"), list.out());
    }

    @Test
    void gradCamRightAfterAConvolutionThatAnInstanceNormFollowsIsFlaggedAndNotProposed() throws Exception {
        py("import sys; sys.path.insert(0, '" + tmp + "'); import torch, nets\n"
            + "torch.manual_seed(6); torch.save(nets.INormNet().state_dict(), '" + tmp.resolve("inorm.pt") + "')\n");
        ExplainCommandTest.Run list = ExplainCommandTest.cli("package", "--python", python.toString(), "--module", nets + ":INormNet",
            "--input-shape", "1,1,32,32,32", "--task", "segmentation", "--list-layers");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("proposed Grad-CAM layer (segmentation): act2"), "the activation after the norm: " + list.out());
        Path pkgDir = tmp.resolve("inorm-pkg");
        ExplainCommandTest.Run r = pkg("INormNet", "inorm.pt", "segmentation", "background,lesion", pkgDir, "conv2", "act2");
        assertEquals(0, r.code(), r.err());
        for (String layer : new String[] {"conv2", "act2"}) {
            Path out = tmp.resolve("inorm-out-" + layer);
            ExplainCommandTest.Run e = ExplainCommandTest.cli("explain", "--input", ExplainCommandTest.SAMPLE.toString(), "--model",
                pkgDir.toString(), "--method", "gradcam", "--layer", layer, "--region", "channel", "--out", out.toString());
            assertEquals(0, e.code(), e.err());
            boolean warned = e.out().contains("Warning gradcam: Grad-CAM's channel weights vanish at layer conv2");
            assertEquals(layer.equals("conv2"), warned, layer + ": " + e.out());
        }
    }

    @Test
    void listsLayersAndRefusesAnUnknownLayerOrAMissingClassInOneLine() {
        ExplainCommandTest.Run list = ExplainCommandTest.cli("package", "--python", python.toString(), "--module", nets + ":SkipUNet",
            "--input-shape", "1,1,32,32,32", "--list-layers");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("bottleneck.0") && list.out().contains("Conv3d") && list.out().contains("[1, 16, 8, 8, 8]"), list.out());
        assertTrue(list.out().contains("segmentation bottleneck.2"), "the bottleneck's activation is proposed for a segmenter: " + list.out());

        ExplainCommandTest.Run bad = pkg("SkipUNet", "unet.pt", "segmentation", "background,lesion", tmp.resolve("bad"), "decoder9");
        assertEquals(1, bad.code());
        assertTrue(bad.err().startsWith("voxellens: error: the model has no layer 'decoder9'"), bad.err());
        assertTrue(!Files.exists(tmp.resolve("bad/model.pt")), "nothing written");

        ExplainCommandTest.Run cls = ExplainCommandTest.cli("package", "--python", python.toString(), "--module", nets + ":NoSuchNet",
            "--input-shape", "1,1,32,32,32", "--list-layers");
        assertEquals(1, cls.code());
        assertTrue(cls.err().contains("has no class NoSuchNet") && cls.err().lines().count() == 1, cls.err());
    }

    private static float[] read(Path f) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    private static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + " size");
        double err = 0, max = 0;
        for (int i = 0; i < want.length; i++) {
            err = Math.max(err, Math.abs(want[i] - got[i]));
            max = Math.max(max, Math.abs(want[i]));
        }
        assertTrue(max > 0 && err <= 1e-4 * max, what + ": relative difference " + err / max);
    }
}
