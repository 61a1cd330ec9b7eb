package org.voxellens.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code voxellens package}: turns a user's own PyTorch network (a Python class and its weights) into a VoxelLens
 * model package whose TorchScript carries the Grad-CAM probe methods for the layers the user names, so no network
 * has to be rewritten by hand. The work is done by package_model.py (shipped in this jar) in the user's own Python,
 * the one the model was trained with: only there can the class be imported.
 */
@Command(name = "package", mixinStandardHelpOptions = true,
    description = "Packages a PyTorch nn.Module (class + weights) as a VoxelLens model with Grad-CAM layers, checked against the original.")
final class PackageCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--python", description = "The Python with torch that the model was trained with (default: ${DEFAULT-VALUE}).",
        defaultValue = "python3")
    String python;
    @Option(names = "--module", description = "FILE.py:ClassName of the network, or an importable module:ClassName (e.g. monai.networks.nets:UNet).")
    String module;
    @Option(names = "--from-package", description = "A bioimage.io model package with pytorch_state_dict weights: its network, weights, input, preprocessing and classes.")
    Path fromPackage;
    @Option(names = "--bundle", description = "A MONAI bundle folder (configs/inference.json network_def, configs/metadata.json, models/model.pt).")
    Path bundle;
    @Option(names = "--kwargs", description = "Constructor arguments as JSON, e.g. '{\"channels\": 2}'.")
    String kwargs;
    @Option(names = "--weights", description = "state_dict (or checkpoint with one) saved by torch.save.")
    Path weights;
    @Option(names = "--layer", description = "Grad-CAM layer, a name from model.named_modules(); repeatable (default: proposed).")
    List<String> layers = new ArrayList<>();
    @Option(names = "--input-shape", description = "1,C,Z,Y,X: the model's input (default with --from-package or --bundle: from its description).")
    String inputShape;
    @Option(names = "--task", description = "segmentation or classification.")
    String task;
    @Option(names = "--classes", description = "Class names, comma-separated (default: class0, class1, ...).")
    String classes;
    @Option(names = "--name", description = "Package name (default: the class name).")
    String name;
    @Option(names = "--out", description = "Package folder to write.")
    Path out;
    @Option(names = "--activation", description = "softmax or sigmoid: how the output's channels become classes (default: sigmoid for one output channel, else softmax).")
    String activation;
    @Option(names = "--normalise", description = "The input normalisation the model was trained with: none, zscore (per channel) or percentile (1-99 to 0-1) (default: ${DEFAULT-VALUE}).",
        defaultValue = "none")
    String normalise;
    @Option(names = "--spacing", description = "X,Y,Z: the voxel size in mm the model was trained at (then volumes are resampled to it, and segmenters run by sliding window).")
    String spacing;
    @Option(names = "--channels", description = "Input channel names in order, comma-separated, e.g. t1,flair (default: channel0, ...).")
    String channels;
    @Option(names = "--license", description = "SPDX licence of the weights (default: ${DEFAULT-VALUE}).", defaultValue = "LicenseRef-unspecified")
    String license;
    @Option(names = "--spatial-order", description = "The order of the model's spatial tensor axes: zyx (VoxelLens' and bioimage.io's usual) or xyz "
        + "(networks trained on MONAI-loaded tensors, [b, c, x, y, z]; the default with --bundle). --input-shape is in that order.")
    String spatialOrder;
    @Option(names = "--list-layers", description = "List the layers (names, types, output shapes) and the proposed Grad-CAM layer.")
    boolean listLayers;

    /** The steps of a --from-package source, carried into the new description as they are. */
    private String preprocessingJson;

    /**
     * Everything the new package needs from a bioimage.io package, unless given on the command line: its nn.Module
     * (pytorch_state_dict weights and architecture), input shape, channel names, preprocessing, task, classes,
     * output activation and spacing. Grad-CAM probes are added by forward hooks on that module, so TorchScript-only
     * packages cannot be repackaged.
     */
    private void fromPackage() throws IOException {
        org.voxellens.xai.model.ModelPackage src = org.voxellens.xai.model.ModelPackage.openForRepackaging(fromPackage);
        org.voxellens.xai.model.ModelPackage.StateDict sd = src.stateDict();
        if (sd == null) {
            throw new IllegalArgumentException(fromPackage + ": has no pytorch_state_dict weights with an architecture; Grad-CAM "
                + "probes are added by forward hooks on the nn.Module, so package the original network with --module");
        }
        module = sd.module() + ":" + sd.callable();
        if (kwargs == null) kwargs = new com.google.gson.Gson().toJson(sd.kwargs());
        if (weights == null) weights = sd.weights();
        if (spatialOrder == null) spatialOrder = src.spatialAxes();
        if (inputShape == null) {
            int[] xyz = src.inputSize();
            StringBuilder b = new StringBuilder("1," + src.channels());
            for (char axis : spatialOrder.toCharArray()) b.append(',').append(xyz["xyz".indexOf(axis)]);
            inputShape = b.toString();
        }
        if (task == null) task = src.task().name().toLowerCase(java.util.Locale.ROOT);
        if (classes == null && !src.classNames().isEmpty()) classes = String.join(",", src.classNames());
        if (channels == null && !src.channelNames().isEmpty()) channels = String.join(",", src.channelNames());
        if (activation == null) activation = src.outputActivation();
        if (spacing == null && src.spacing() != null) {
            double[] v = src.spacing();
            spacing = v[0] + "," + v[1] + "," + v[2];
        }
        if (name == null) name = src.name();
        List<java.util.Map<String, Object>> steps = new ArrayList<>();
        for (var step : src.preprocessing()) steps.add(java.util.Map.of("id", step.name(), "kwargs", step.kwargs()));
        preprocessingJson = new com.google.gson.Gson().toJson(steps);
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path script = Files.createTempFile("voxellens-package", ".py");
        try {
            try (InputStream in = PackageCommand.class.getResourceAsStream("package_model.py")) {
                if (in == null) throw new IllegalStateException("package_model.py is missing from the VoxelLens jar");
                Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
            }
            int sources = (module != null ? 1 : 0) + (fromPackage != null ? 1 : 0) + (bundle != null ? 1 : 0);
            if (sources != 1) throw new IllegalArgumentException("give exactly one of --module, --from-package and --bundle");
            if (fromPackage != null) fromPackage();
            if (module == null && bundle == null) throw new IllegalStateException("no network");
            if (inputShape == null && bundle == null) throw new IllegalArgumentException("--input-shape 1,C,Z,Y,X is needed with --module");
            List<String> cmd = new ArrayList<>(List.of(python, script.toString()));
            if (module != null) cmd.addAll(List.of("--module", module));
            if (bundle != null) cmd.addAll(List.of("--bundle", bundle.toString()));
            if (inputShape != null) cmd.addAll(List.of("--input-shape", inputShape));
            if (preprocessingJson != null) cmd.addAll(List.of("--preprocessing-json", preprocessingJson));
            if (kwargs != null) cmd.addAll(List.of("--kwargs", kwargs));
            if (weights != null) cmd.addAll(List.of("--weights", weights.toString()));
            for (String l : layers) cmd.addAll(List.of("--layer", l));
            if (task != null) cmd.addAll(List.of("--task", task));
            if (classes != null) cmd.addAll(List.of("--classes", classes));
            if (name != null) cmd.addAll(List.of("--name", name));
            if (out != null) cmd.addAll(List.of("--out", out.toString()));
            if (activation != null) cmd.addAll(List.of("--activation", activation));
            cmd.addAll(List.of("--normalise", normalise, "--license", license));
            if (spacing != null) cmd.addAll(List.of("--spacing", spacing));
            if (channels != null) cmd.addAll(List.of("--channels", channels));
            if (spatialOrder != null) cmd.addAll(List.of("--spatial-order", spatialOrder));
            if (listLayers) cmd.add("--list-layers");
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new IllegalArgumentException("--python " + python + ": cannot be started (" + e.getMessage() + ")");
            }
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("packaging did not finish within 30 minutes");
            }
            List<String> problems = output.lines().filter(l -> l.startsWith("voxellens package: ")).toList();
            if (p.exitValue() != 0) {
                String why = problems.isEmpty()
                    ? output.strip().lines().reduce((a, b) -> b).orElse("exit " + p.exitValue())
                    : problems.get(0).substring("voxellens package: ".length());
                if (why.contains("No module named 'torch'")) why = python + " has no torch: use --python with the Python the model was trained with";
                throw new IllegalArgumentException(why);
            }
            output.lines().forEach(spec.commandLine().getOut()::println);
            return 0;
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
