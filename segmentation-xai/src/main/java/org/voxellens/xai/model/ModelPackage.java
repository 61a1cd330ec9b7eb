package org.voxellens.xai.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * A model package: a folder with a TorchScript file and a bioimage.io model description ({@code rdf.yaml}), so
 * that models published for deepImageJ / bioimage.io load as they are. What bioimage.io cannot say (task, class
 * names, Grad-CAM layers, expected spacing) lives under {@code config.voxellens}.
 *
 * <p>Spatial sizes and spacings are given in x, y, z order; tensors are {@code [b, c, z, y, x]}.
 */
public final class ModelPackage {

    private static final List<String> DESCRIPTOR_NAMES = List.of("rdf.yaml", "bioimageio.yaml", "model.yaml");

    private final Path folder;
    private final Path descriptor;
    private final String name;
    private final Path weights;
    private final String declaredSha256;
    private final String inputAxes;
    private final String spatialAxes;
    private final int channels;
    private final int[] inputSize;
    private final double[] spacing;
    private final List<PreprocessingStep> preprocessing;
    private final ModelTask task;
    private final List<String> classNames;
    private final String defaultTarget;
    private final List<GradCamLayer> gradCamLayers;
    private final String defaultGradCamLayer;
    private final String outputActivation;
    private final double threshold;
    private final long[][] sizeRules;
    private final List<String> channelNames;
    private final StateDict stateDict;

    private ModelPackage(Builder b) {
        this.folder = b.folder;
        this.descriptor = b.descriptor;
        this.name = b.name;
        this.weights = b.weights;
        this.declaredSha256 = b.declaredSha256;
        this.inputAxes = b.inputAxes;
        this.spatialAxes = b.spatialAxes;
        this.channels = b.channels;
        this.inputSize = b.inputSize;
        this.spacing = b.spacing;
        this.preprocessing = List.copyOf(b.preprocessing);
        this.task = b.task;
        this.classNames = List.copyOf(b.classNames);
        this.defaultTarget = b.defaultTarget;
        this.gradCamLayers = List.copyOf(b.gradCamLayers);
        this.defaultGradCamLayer = b.defaultGradCamLayer;
        this.outputActivation = b.outputActivation;
        this.threshold = b.threshold;
        this.sizeRules = b.sizeRules;
        this.channelNames = List.copyOf(b.channelNames);
        this.stateDict = b.stateDict;
    }

    /** Reads the package in {@code folder} (or the descriptor file itself). */
    public static ModelPackage open(Path folderOrDescriptor) throws ModelPackageException {
        return open(folderOrDescriptor, true);
    }

    /**
     * Reads a bioimage.io package to repackage it ({@code voxellens package --from-package}): its TorchScript
     * weights may be missing, its {@link #stateDict()} (the nn.Module) is what counts.
     */
    public static ModelPackage openForRepackaging(Path folderOrDescriptor) throws ModelPackageException {
        return open(folderOrDescriptor, false);
    }

    private static ModelPackage open(Path folderOrDescriptor, boolean needTorchScript) throws ModelPackageException {
        Path descriptor = findDescriptor(folderOrDescriptor);
        Map<String, Object> rdf;
        try (InputStream in = Files.newInputStream(descriptor)) {
            Object loaded = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
            if (!(loaded instanceof Map<?, ?> m)) throw new ModelPackageException(descriptor + ": not a YAML mapping");
            rdf = cast(m);
        } catch (ModelPackageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ModelPackageException(descriptor + ": cannot read model description: " + oneLine(e), e);
        }
        try {
            return parse(descriptor, rdf, needTorchScript);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new ModelPackageException(descriptor + ": " + e.getMessage(), e);
        }
    }

    private static Path findDescriptor(Path p) throws ModelPackageException {
        if (Files.isRegularFile(p)) return p;
        if (!Files.isDirectory(p)) throw new ModelPackageException(p + ": model package not found");
        for (String n : DESCRIPTOR_NAMES) {
            if (Files.isRegularFile(p.resolve(n))) return p.resolve(n);
        }
        try (var s = Files.list(p)) {
            Optional<Path> any = s.filter(f -> f.getFileName().toString().endsWith(".bioimage.io.yaml")).findFirst();
            if (any.isPresent()) return any.get();
        } catch (IOException e) {
            throw new ModelPackageException(p + ": cannot list model package: " + oneLine(e), e);
        }
        throw new ModelPackageException(p + ": no model description (rdf.yaml) in the model package");
    }

    private static ModelPackage parse(Path descriptor, Map<String, Object> rdf, boolean needTorchScript) throws ModelPackageException {
        Builder b = new Builder();
        b.descriptor = descriptor;
        b.folder = descriptor.toAbsolutePath().getParent();
        b.name = String.valueOf(rdf.getOrDefault("name", b.folder.getFileName().toString()));

        Map<String, Object> weights = map(rdf.get("weights"), "weights");
        b.stateDict = stateDict(b.folder, weights);
        Object ts = weights.containsKey("torchscript") ? weights.get("torchscript") : weights.get("pytorch_script");
        if (ts == null && needTorchScript) {
            throw new IllegalArgumentException("no TorchScript weights (weights.torchscript); this package has "
                + weights.keySet() + (b.stateDict == null ? "" : "; make a VoxelLens package of it with: voxellens package "
                + "--python PY --from-package " + b.folder + " --out DIR"));
        }
        if (ts != null) {
            Map<String, Object> tsMap = map(ts, "weights.torchscript");
            Object source = tsMap.get("source");
            if (source == null) throw new IllegalArgumentException("weights.torchscript.source is missing");
            b.weights = b.folder.resolve(source.toString()).normalize();
            if (!Files.isRegularFile(b.weights) && needTorchScript) {
                throw new ModelPackageException(descriptor + ": TorchScript file " + source + " not found in " + b.folder);
            }
            b.declaredSha256 = tsMap.get("sha256") == null ? null : tsMap.get("sha256").toString();
        }

        List<Object> inputs = list(rdf.get("inputs"), "inputs");
        if (inputs.size() != 1) throw new IllegalArgumentException("exactly one model input is supported, found " + inputs.size());
        Map<String, Object> input = map(inputs.get(0), "inputs[0]");
        b.inputAxes = axes(input.get("axes"), "inputs[0].axes");
        long[] shape = shape(input, b.inputAxes);
        String spatial = b.inputAxes.replace("b", "").replace("c", "");
        boolean leading = b.inputAxes.endsWith(spatial) && b.inputAxes.length() - spatial.length() <= 2;
        if (spatial.length() != 3 || !leading || spatial.chars().distinct().count() != 3 || !spatial.matches("[xyz]{3}")) {
            boolean twoD = !b.inputAxes.contains("z");
            throw new IllegalArgumentException("input axes '" + b.inputAxes + "' are not supported: "
                + (twoD ? "this is a 2D model; VoxelLens explains 3D models, whose" : "a 3D model's")
                + " axes are batch and channel, then z, y and x in some order (bczyx; bcxyz for MONAI-style tensors)");
        }
        b.spatialAxes = spatial;
        int c = b.inputAxes.indexOf('c');
        b.channels = c < 0 ? 1 : (int) Math.max(1, shape[c]);
        for (Object step : list(input.getOrDefault("preprocessing", List.of()), "inputs[0].preprocessing")) {
            Map<String, Object> s = map(step, "preprocessing step");
            Object id = s.containsKey("name") ? s.get("name") : s.get("id");
            b.preprocessing.add(new PreprocessingStep(String.valueOf(id), s.get("kwargs") == null ? Map.of() : map(s.get("kwargs"), "kwargs")));
        }

        List<Object> outputs = list(rdf.get("outputs"), "outputs");
        if (outputs.isEmpty()) throw new IllegalArgumentException("the model description lists no outputs");
        String outAxes = axes(map(outputs.get(0), "outputs[0]").get("axes"), "outputs[0].axes");

        Map<String, Object> config = rdf.get("config") == null ? Map.of() : map(rdf.get("config"), "config");
        Map<String, Object> vl = config.get("voxellens") == null ? Map.of() : map(config.get("voxellens"), "config.voxellens");

        String taskText = vl.get("task") == null ? null : vl.get("task").toString();
        if (taskText == null) {
            b.task = outAxes.contains("x") ? ModelTask.SEGMENTATION : ModelTask.CLASSIFICATION;
        } else {
            try {
                b.task = ModelTask.valueOf(taskText.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("config.voxellens.task must be classification or segmentation, got " + taskText);
            }
        }

        if (vl.get("input_size") != null) {
            b.inputSize = ints(vl.get("input_size"), "config.voxellens.input_size");
        } else {
            b.inputSize = new int[] {(int) shape[b.inputAxes.indexOf('x')], (int) shape[b.inputAxes.indexOf('y')],
                (int) shape[b.inputAxes.indexOf('z')]};
        }
        for (int v : b.inputSize) {
            if (v <= 0) throw new IllegalArgumentException("the model's input size must be fixed and positive: set config.voxellens.input_size");
        }
        long[][] rules = constraints(input, b.inputAxes);
        checkShapeConstraints(b.inputSize, rules, b.inputAxes, vl.get("input_size") != null);
        if (vl.get("input_size") == null && rules != null) {
            // x, y, z order like inputSize; an axis without a rule keeps its size
            b.sizeRules = new long[3][];
            for (int k = 0; k < 3; k++) {
                long[] r = rules[b.inputAxes.indexOf("xyz".charAt(k))];
                b.sizeRules[k] = r == null ? new long[] {b.inputSize[k], 0} : r.clone();
            }
            boolean any = false;
            for (long[] r : b.sizeRules) any |= r[1] > 0;
            if (!any) b.sizeRules = null;
        }
        if (vl.get("spacing") != null) b.spacing = doubles(vl.get("spacing"), "config.voxellens.spacing");
        else b.spacing = axisSpacing(input.get("axes"));

        if (vl.get("class_names") != null) {
            for (Object o : list(vl.get("class_names"), "config.voxellens.class_names")) b.classNames.add(o.toString());
        } else if (map(outputs.get(0), "outputs[0]").get("axes") instanceof List<?> outAxisList) {
            // 0.5: the output's channel axis names its channels
            for (Object a : outAxisList) {
                if (a instanceof Map<?, ?> am && "channel".equals(String.valueOf(am.get("type"))) && am.get("channel_names") instanceof List<?> n) {
                    for (Object o : n) b.classNames.add(o.toString());
                }
            }
        }
        b.defaultTarget = vl.get("default_target") == null ? null : vl.get("default_target").toString();
        b.outputActivation = outputActivation(vl, map(outputs.get(0), "outputs[0]"));
        Object names = vl.get("channel_names");
        if (names == null && input.get("axes") instanceof List<?> axes) {
            for (Object a : axes) {
                if (a instanceof Map<?, ?> am && "channel".equals(String.valueOf(am.get("type")))) names = am.get("channel_names");
            }
        }
        if (names != null) {
            for (Object o : list(names, "channel_names")) b.channelNames.add(o.toString());
            if (b.channelNames.size() != b.channels) {
                throw new IllegalArgumentException(b.channelNames.size() + " channel names " + b.channelNames + " for "
                    + b.channels + " input channel" + (b.channels == 1 ? "" : "s"));
            }
        }
        if (vl.get("threshold") != null) {
            b.threshold = ((Number) vl.get("threshold")).doubleValue();
            if (!(b.threshold > 0 && b.threshold < 1)) {
                throw new IllegalArgumentException("config.voxellens.threshold must be a probability between 0 and 1, got " + vl.get("threshold"));
            }
        }

        for (Object o : list(vl.getOrDefault("gradcam_layers", List.of()), "config.voxellens.gradcam_layers")) {
            Map<String, Object> l = map(o, "gradcam layer");
            String ln = String.valueOf(l.get("name"));
            long[] ls = l.get("shape") == null ? null : longs(l.get("shape"), "gradcam layer shape");
            b.gradCamLayers.add(new GradCamLayer(ln,
                String.valueOf(l.getOrDefault("probe_method", "forward_probe_" + ln)),
                String.valueOf(l.getOrDefault("activation_method", "activations_" + ln)), ls));
        }
        b.defaultGradCamLayer = vl.get("default_gradcam_layer") != null ? vl.get("default_gradcam_layer").toString()
            : b.gradCamLayers.isEmpty() ? null : b.gradCamLayers.get(b.gradCamLayers.size() - 1).name();
        return new ModelPackage(b);
    }

    public Path folder() { return folder; }
    public Path descriptor() { return descriptor; }
    public String name() { return name; }
    public Path weights() { return weights; }
    /** The sha256 the description declares, or null. */
    public String declaredSha256() { return declaredSha256; }
    public String inputAxes() { return inputAxes; }

    /**
     * The order of the model's spatial tensor axes: "zyx" (bioimage.io's usual bczyx; VoxelLens' own layout) or
     * another, e.g. "xyz" for a network trained on MONAI-loaded tensors ([b, c, x, y, z], nibabel's array order).
     * VoxelLens keeps [b, c, z, y, x] everywhere and permutes at the model's boundary.
     */
    public String spatialAxes() { return spatialAxes; }
    public int channels() { return channels; }
    /** Model input size in voxels, x, y, z. */
    public int[] inputSize() { return inputSize.clone(); }
    /** Spacing (mm, x y z) the model expects, or null: then the whole volume is fitted into the input size. */
    public double[] spacing() { return spacing == null ? null : spacing.clone(); }
    public List<PreprocessingStep> preprocessing() { return preprocessing; }
    public ModelTask task() { return task; }
    public List<String> classNames() { return classNames; }
    public String defaultTarget() { return defaultTarget; }
    public List<GradCamLayer> gradCamLayers() { return gradCamLayers; }
    public String defaultGradCamLayer() { return defaultGradCamLayer; }
    /** softmax, sigmoid, or null: decided by the output's channel count (one channel: sigmoid). */
    public String outputActivation() { return outputActivation; }
    /** Probability above which a sigmoid head's class is present (config.voxellens.threshold, default 0.5). */
    public double threshold() { return threshold; }

    /**
     * Whether the model takes a range of input sizes (bioimage.io {@code shape: {min, step}} or 0.5 {@code size:
     * {min, step}}) and config.voxellens.input_size does not fix one: then the grid is chosen per volume.
     */
    public boolean parameterisedSize() { return sizeRules != null; }

    /** The smallest size the model takes that is at least {@code wanted} on every axis (x, y, z); fixed sizes as they are. */
    public int[] sizeAtLeast(int[] wanted) {
        if (sizeRules == null) return inputSize();
        int[] out = new int[3];
        for (int k = 0; k < 3; k++) {
            long min = sizeRules[k][0], step = sizeRules[k][1];
            long v = step == 0 || wanted[k] <= min ? min : min + (wanted[k] - min + step - 1) / step * step;
            out[k] = Math.toIntExact(v);
        }
        return out;
    }

    /** Whether the model takes this spatial size (x, y, z). */
    public boolean takesSize(int[] xyz) {
        if (sizeRules == null) return java.util.Arrays.equals(xyz, inputSize);
        for (int k = 0; k < 3; k++) {
            long min = sizeRules[k][0], step = sizeRules[k][1];
            if (step == 0 ? xyz[k] != min : xyz[k] < min || (xyz[k] - min) % step != 0) return false;
        }
        return true;
    }

    /** The package's nn.Module weights (bioimage.io pytorch_state_dict), or null. */
    public StateDict stateDict() { return stateDict; }

    /**
     * bioimage.io {@code pytorch_state_dict} weights: the file, and the network's class as a Python file and callable
     * (0.4 {@code architecture: file.py:Class} with {@code kwargs}; 0.5 {@code architecture: {source, callable,
     * kwargs}}) or as a module to import from (0.5 {@code import_from: monai.networks.nets}).
     *
     * @param module a Python file path, or a dotted module name when {@code importFrom}
     */
    public record StateDict(Path weights, String module, boolean importFrom, String callable, Map<String, Object> kwargs) {}

    private static StateDict stateDict(Path folder, Map<String, Object> weights) {
        if (!(weights.get("pytorch_state_dict") instanceof Map<?, ?> sdRaw)) return null;
        Map<String, Object> sd = cast(sdRaw);
        if (sd.get("source") == null) return null;
        Path file = folder.resolve(sd.get("source").toString()).normalize();
        Object arch = sd.get("architecture");
        if (arch instanceof String a) { // 0.4: "file.py:Class"
            int colon = a.lastIndexOf(':');
            if (colon < 0) throw new IllegalArgumentException("weights.pytorch_state_dict.architecture must be FILE.py:Class, got " + a);
            Map<String, Object> kw = sd.get("kwargs") instanceof Map<?, ?> k ? cast(k) : Map.of();
            return new StateDict(file, folder.resolve(a.substring(0, colon)).normalize().toString(), false, a.substring(colon + 1), kw);
        }
        if (arch instanceof Map<?, ?> am) {
            Map<String, Object> a = cast(am);
            Map<String, Object> kw = a.get("kwargs") instanceof Map<?, ?> k ? cast(k) : Map.of();
            String callable = String.valueOf(a.get("callable"));
            if (a.get("import_from") != null) return new StateDict(file, a.get("import_from").toString(), true, callable, kw);
            if (a.get("source") != null) {
                return new StateDict(file, folder.resolve(a.get("source").toString()).normalize().toString(), false, callable, kw);
            }
        }
        return null;
    }

    /** Input channel names, from config.voxellens.channel_names or a 0.5 channel axis's channel_names; may be empty. */
    public List<String> channelNames() { return channelNames; }

    /** " (t1, flair)" when the channels are named, else "". */
    public String describeChannels() {
        return channelNames.isEmpty() ? "" : " (" + String.join(", ", channelNames) + ")";
    }

    /** The input rule in words, x y z: "min 16 step 16 on every axis" or "48×48×48". */
    public String describeSizes() {
        if (sizeRules == null) return inputSize[0] + "×" + inputSize[1] + "×" + inputSize[2];
        List<String> axes = new ArrayList<>();
        for (long[] r : sizeRules) axes.add(r[1] == 0 ? Long.toString(r[0]) : r[0] + "+" + r[1] + "k");
        return String.join("×", axes);
    }

    /** Model input tensor shape at batch {@code b}: {@code [b, C, z, y, x]}. */
    public long[] inputShape(int batch) {
        return inputShape(batch, inputSize);
    }

    /** Input tensor shape at batch {@code b} for a spatial size (x, y, z) the model takes. */
    public long[] inputShape(int batch, int[] xyz) {
        return new long[] {batch, channels, xyz[2], xyz[1], xyz[0]};
    }

    /** What a user runs to give any nn.Module Grad-CAM layers (README, "Your own model"). */
    public static final String ADD_LAYERS = "add layers with: voxellens package --python PY --module net.py:ClassName "
        + "--weights w.pt --layer NAME --input-shape 1,C,Z,Y,X --task segmentation|classification --out DIR "
        + "(--list-layers shows the names)";

    public GradCamLayer gradCamLayer(String layerName) {
        String wanted = layerName == null ? defaultGradCamLayer : layerName;
        if (wanted == null) {
            throw new IllegalArgumentException("model " + name + " declares no Grad-CAM layers (config.voxellens.gradcam_layers); "
                + ADD_LAYERS);
        }
        for (GradCamLayer l : gradCamLayers) if (l.name().equals(wanted)) return l;
        List<String> names = new ArrayList<>();
        for (GradCamLayer l : gradCamLayers) names.add(l.name());
        throw new IllegalArgumentException("unknown Grad-CAM layer '" + wanted + "' for model " + name + "; known: " + names
            + "; " + ADD_LAYERS);
    }

    /** Index of a class given by name (case-insensitive) or number. */
    public int classIndex(String classNameOrIndex) {
        for (int i = 0; i < classNames.size(); i++) {
            if (classNames.get(i).equalsIgnoreCase(classNameOrIndex)) return i;
        }
        try {
            int i = Integer.parseInt(classNameOrIndex.trim());
            if (i >= 0 && (classNames.isEmpty() || i < classNames.size())) return i;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("unknown target class '" + classNameOrIndex + "' for model " + name
            + (classNames.isEmpty() ? "" : "; classes: " + classNames));
    }

    public String className(int index) {
        return index < classNames.size() ? classNames.get(index) : "class " + index;
    }

    /** SHA-256 of the TorchScript file as it is on disk (what summary.json records). */
    public String weightsSha256() throws IOException {
        try (InputStream in = Files.newInputStream(weights)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Fails when the description declares a sha256 the weights do not have (a corrupt or swapped file). */
    public String verifiedSha256() throws IOException {
        String actual = weightsSha256();
        if (declaredSha256 != null && !declaredSha256.isBlank() && !declaredSha256.equalsIgnoreCase(actual)) {
            throw new ModelPackageException(weights + ": sha256 " + actual + " does not match the "
                + declaredSha256 + " declared in " + descriptor.getFileName());
        }
        return actual;
    }

    // --- YAML helpers -----------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) { return (Map<String, Object>) m; }

    private static Map<String, Object> map(Object o, String what) {
        if (o instanceof Map<?, ?> m) return cast(m);
        throw new IllegalArgumentException(what + " must be a mapping");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, String what) {
        if (o instanceof List<?> l) return (List<Object>) l;
        throw new IllegalArgumentException(what + " must be a list");
    }

    /** bioimage.io 0.4 writes axes as "bczyx"; 0.5 as a list of {type, id}. */
    private static String axes(Object o, String what) {
        if (o instanceof String s) return s.toLowerCase(Locale.ROOT);
        StringBuilder sb = new StringBuilder();
        for (Object a : list(o, what)) {
            Map<String, Object> m = map(a, what);
            String type = String.valueOf(m.get("type"));
            switch (type) {
                case "batch" -> sb.append('b');
                case "channel" -> sb.append('c');
                case "space" -> {
                    String id = spaceAxisId(m);
                    if (!List.of("x", "y", "z").contains(id)) {
                        throw new IllegalArgumentException(what + ": space axis '" + id + "' (VoxelLens reads space axes x, y and z)");
                    }
                    sb.append(id);
                }
                default -> throw new IllegalArgumentException(what + ": a 3D model's axes are batch, channel and space (z, y, x); "
                    + "this one has a " + type + " axis");
            }
        }
        return sb.toString();
    }

    /** A 0.5 space axis's id, lower case; it defaults to "x" (the spec's own examples leave it out for x). */
    private static String spaceAxisId(Map<?, ?> axis) {
        return axis.get("id") == null ? "x" : String.valueOf(axis.get("id")).toLowerCase(Locale.ROOT);
    }

    /**
     * 0.5 space axes may give the physical size of a voxel ({@code scale} in {@code unit}): with a length unit on
     * x, y and z that is the spacing the model expects, in mm. Without a unit the scale says nothing physical.
     */
    private static double[] axisSpacing(Object axes) {
        if (!(axes instanceof List<?> l)) return null;
        double[] xyz = new double[3];
        int found = 0;
        for (Object o : l) {
            if (!(o instanceof Map<?, ?> m) || !"space".equals(String.valueOf(m.get("type"))) || m.get("unit") == null) continue;
            double mm = switch (String.valueOf(m.get("unit")).toLowerCase(Locale.ROOT)) {
                case "millimeter", "millimetre", "mm" -> 1;
                case "micrometer", "micrometre", "micron", "um", "µm" -> 1e-3;
                case "centimeter", "centimetre", "cm" -> 10;
                case "meter", "metre", "m" -> 1000;
                case "nanometer", "nanometre", "nm" -> 1e-6;
                default -> throw new IllegalArgumentException("space axis unit " + m.get("unit") + " is not a length");
            };
            double scale = m.get("scale") instanceof Number n ? n.doubleValue() : 1.0;
            int k = "xyz".indexOf(spaceAxisId(cast(m)));
            if (k < 0 || !(scale > 0)) continue;
            xyz[k] = scale * mm;
            found++;
        }
        return found == 3 ? xyz : null;
    }

    /**
     * The sizes a parameterised input accepts, per axis: {@code {min, step}} (step 0: only min), from 0.4's
     * {@code shape: {min: [...], step: [...]}} or 0.5's {@code size: {min: n, step: m}}; null for fixed shapes.
     */
    private static long[][] constraints(Map<String, Object> tensor, String axes) {
        Object s = tensor.get("shape");
        if (s instanceof Map<?, ?> m && m.get("min") != null) {
            long[] min = longs(m.get("min"), "shape.min");
            long[] step = m.get("step") == null ? new long[min.length] : longs(m.get("step"), "shape.step");
            if (step.length != min.length) throw new IllegalArgumentException("shape.step does not match shape.min " + m.get("min"));
            long[][] out = new long[axes.length()][];
            for (int i = 0; i < out.length; i++) out[i] = new long[] {min[i], step[i]};
            return out;
        }
        if (tensor.get("axes") instanceof List<?> l) {
            long[][] out = new long[axes.length()][];
            boolean any = false;
            for (int i = 0; i < l.size() && i < out.length; i++) {
                Object size = map(l.get(i), "axis").get("size");
                if (size instanceof Map<?, ?> sm && sm.get("min") instanceof Number min) {
                    long step = sm.get("step") instanceof Number st ? st.longValue() : 0;
                    out[i] = new long[] {min.longValue(), step};
                    any = true;
                }
            }
            return any ? out : null;
        }
        return null;
    }

    /**
     * A model that only takes some sizes (a UNet's input divisible by 16, say) declares them; an input size that
     * breaks them would fail deep in the forward pass, so it is refused here naming the constraint.
     */
    private static void checkShapeConstraints(int[] xyz, long[][] constraints, String axes, boolean configured) {
        if (constraints == null) return;
        for (int k = 0; k < 3; k++) {
            long[] c = constraints[axes.indexOf("xyz".charAt(k))];
            if (c == null) continue;
            long v = xyz[k], min = c[0], step = c[1];
            boolean ok = step == 0 ? v == min : v >= min && (v - min) % step == 0;
            if (ok) continue;
            String rule = step == 0 ? "exactly " + min : "min " + min + ", step " + step;
            String near = "";
            if (step > 0) {
                long below = v < min ? -1 : min + (v - min) / step * step;
                long above = v < min ? min : below + step;
                near = "; valid sizes near it: " + (below < 0 ? "" : below + " or ") + above;
            }
            throw new IllegalArgumentException((configured ? "config.voxellens.input_size" : "the input size") + " is " + v
                + " voxels along " + "xyz".charAt(k) + ", but the model's input shape allows " + rule
                + " there (rdf.yaml inputs[0])" + near);
        }
    }

    /** Fixed shapes as lists; parameterised ({min, step}) shapes yield their minimum, and -1 when unknown. */
    private static long[] shape(Map<String, Object> tensor, String axes) {
        Object s = tensor.get("shape");
        long[] out = new long[axes.length()];
        if (s instanceof List<?>) {
            long[] v = longs(s, "shape");
            if (v.length != axes.length()) throw new IllegalArgumentException("shape " + s + " does not match axes " + axes);
            return v;
        }
        if (s instanceof Map<?, ?> m && m.get("min") != null) {
            long[] v = longs(m.get("min"), "shape.min");
            if (v.length != axes.length()) throw new IllegalArgumentException("shape.min does not match axes " + axes);
            return v;
        }
        Object a = tensor.get("axes");
        if (a instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                Map<String, Object> axis = map(l.get(i), "axis");
                Object size = axis.get("size");
                if (size == null && axis.get("channel_names") instanceof List<?> names) size = names.size(); // 0.5 channel axis
                out[i] = size instanceof Number n ? n.longValue()
                    : size instanceof Map<?, ?> sm && sm.get("min") instanceof Number n ? n.longValue() : -1;
                if (axes.charAt(i) == 'b' && out[i] < 0) out[i] = 1;
            }
            return out;
        }
        java.util.Arrays.fill(out, -1);
        return out;
    }

    /**
     * config.voxellens.output_activation, else a sigmoid (0.4 {@code name}, 0.5 {@code id}) in the output's
     * bioimage.io postprocessing, else null (decided by the channel count).
     */
    private static String outputActivation(Map<String, Object> vl, Map<String, Object> output) {
        Object declared = vl.get("output_activation");
        if (declared != null) {
            String a = declared.toString().toLowerCase(Locale.ROOT);
            if (!a.equals("softmax") && !a.equals("sigmoid") && !a.equals("probability")) {
                throw new IllegalArgumentException("config.voxellens.output_activation must be softmax, sigmoid or probability "
                    + "(the model applies its own sigmoid), got " + declared);
            }
            return a;
        }
        if (output.get("postprocessing") instanceof List<?> steps) {
            for (Object step : steps) {
                if (step instanceof Map<?, ?> m) {
                    Object id = m.get("name") != null ? m.get("name") : m.get("id");
                    if ("sigmoid".equals(String.valueOf(id))) return "sigmoid";
                    if ("softmax".equals(String.valueOf(id))) return "softmax";
                }
            }
        }
        return null;
    }

    private static long[] longs(Object o, String what) {
        List<Object> l = list(o, what);
        long[] v = new long[l.size()];
        for (int i = 0; i < v.length; i++) v[i] = ((Number) l.get(i)).longValue();
        return v;
    }

    private static int[] ints(Object o, String what) {
        long[] l = longs(o, what);
        if (l.length != 3) throw new IllegalArgumentException(what + " needs 3 values (x, y, z)");
        return new int[] {(int) l[0], (int) l[1], (int) l[2]};
    }

    private static double[] doubles(Object o, String what) {
        List<Object> l = list(o, what);
        if (l.size() != 3) throw new IllegalArgumentException(what + " needs 3 values (x, y, z)");
        double[] v = new double[3];
        for (int i = 0; i < 3; i++) {
            v[i] = ((Number) l.get(i)).doubleValue();
            if (!(v[i] > 0)) throw new IllegalArgumentException(what + " must be positive");
        }
        return v;
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replaceAll("\\s+", " ").trim();
    }

    private static final class Builder {
        Path folder;
        Path descriptor;
        String name;
        Path weights;
        String declaredSha256;
        String inputAxes;
        String spatialAxes;
        int channels;
        int[] inputSize;
        double[] spacing;
        final List<PreprocessingStep> preprocessing = new ArrayList<>();
        ModelTask task;
        final List<String> classNames = new ArrayList<>();
        String defaultTarget;
        final List<GradCamLayer> gradCamLayers = new ArrayList<>();
        String defaultGradCamLayer;
        String outputActivation;
        double threshold = 0.5;
        long[][] sizeRules;
        final List<String> channelNames = new ArrayList<>();
        StateDict stateDict;
    }
}
