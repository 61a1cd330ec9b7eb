"""Writes a VoxelLens model package from a user's own PyTorch network (run with the Python the model was trained with).

    voxellens package --python PY --module net.py:ClassName [--kwargs JSON] --weights w.pt --layer NAME [--layer NAME ...]
                      --input-shape 1,C,Z,Y,X --task segmentation|classification [--classes a,b] --out DIR
    voxellens package --python PY --module net.py:ClassName [--weights w.pt] --input-shape ... --list-layers

The network is an ordinary torch.nn.Module. For every chosen layer (a name from model.named_modules()) the exported
TorchScript gets two methods that VoxelLens' Grad-CAM calls (see shared notes on DJL: no retain_grad through DJL):
  forward_probe_<L>(x, probe)  the model's output with `probe` added to layer L's output (a forward hook, traced)
  activations_<L>(x)           layer L's output
so a user never edits or re-exports their network by hand. Tuple, list and dict outputs (deep supervision, MONAI's
dict heads) are reduced to their first tensor, and the tool says so. The package is then loaded back and checked:
its outputs must equal the original module's on a test input, each probe method with a zero probe must equal
forward, and each activation must have the layer's shape. Only standard library + torch; no MONAI needed.
"""
import argparse
import atexit
import hashlib
import importlib.util
import json
import os
import sys
import tempfile

import torch
import torch.nn as nn


CREATED_OUT = []  # the --out folder, when this run created it: removed again if the run leaves it empty


@atexit.register
def _remove_empty_out():
    # at exit, after every finally block has removed its temporary file
    for d in CREATED_OUT:
        try:
            os.rmdir(d)  # only if empty
        except OSError:
            pass


def fail(msg):
    print("voxellens package: " + msg, file=sys.stderr)
    sys.exit(2)


def load_class(spec):
    if ":" not in spec:
        fail("--module must be FILE.py:ClassName or module.path:ClassName, got " + spec)
    path, cls = spec.rsplit(":", 1)
    if not path.endswith(".py") and not os.path.isfile(path):
        # an importable module (MONAI's networks, a bioimage.io architecture's import_from)
        try:
            mod = importlib.import_module(path)
        except Exception as e:
            fail("cannot import " + path + ": " + type(e).__name__ + ": " + str(e).splitlines()[0])
        if not hasattr(mod, cls):
            fail(path + " has no " + cls)
        return getattr(mod, cls)
    if not os.path.isfile(path):
        fail(path + ": file not found")
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    s = importlib.util.spec_from_file_location("voxellens_user_model", path)
    mod = importlib.util.module_from_spec(s)
    try:
        s.loader.exec_module(mod)
    except Exception as e:  # the user's file: report its error in one line
        fail(path + ": cannot be imported: " + type(e).__name__ + ": " + str(e).splitlines()[0])
    if not hasattr(mod, cls):
        fail(path + " has no class " + cls)
    return getattr(mod, cls)


def bundle_network(folder):
    """A MONAI bundle: the network of configs/inference.json's network_def, models/model.pt, and the input and
    classes of configs/metadata.json's network_data_format. With MONAI installed its ConfigParser builds the
    network (every @reference and $expression as MONAI evaluates them); without it a network_def whose _target_ is
    a dotted path (e.g. the bundle's own scripts.net.UNet) and whose arguments are plain values is built directly."""
    cfg = os.path.join(folder, "configs")
    inference = next((os.path.join(cfg, n) for n in ("inference.json", "inference.yaml", "inference.yml")
                      if os.path.isfile(os.path.join(cfg, n))), None)
    if inference is None:
        fail(folder + ": not a MONAI bundle (no configs/inference.json)")
    meta_path = os.path.join(cfg, "metadata.json")
    meta = json.load(open(meta_path)) if os.path.isfile(meta_path) else {}
    sys.path.insert(0, os.path.abspath(folder))  # bundles import their own scripts package
    try:
        from monai.bundle import ConfigParser  # noqa: F401
        have_monai = True
    except ImportError:
        have_monai = False
    if have_monai:
        from monai.bundle import ConfigParser
        parser = ConfigParser()
        parser.read_config(inference)
        if meta:
            parser.read_meta(meta_path)
        try:
            net = parser.get_parsed_content("network_def", instantiate=True)
        except Exception as e:
            fail(inference + ": network_def cannot be built: " + type(e).__name__ + ": " + str(e).splitlines()[0])
    else:
        if inference.endswith(".json"):
            config = json.load(open(inference))
        else:
            try:
                import yaml
            except ImportError:
                fail(inference + ": a YAML bundle config needs pyyaml or MONAI in " + sys.executable)
            config = yaml.safe_load(open(inference))
        d = config.get("network_def")
        if not isinstance(d, dict) or "_target_" not in d:
            fail(inference + ": network_def is not a {_target_: ...} mapping; building it needs MONAI in " + sys.executable)
        args = {k: v for k, v in d.items() if not k.startswith("_")}

        def plain(v):
            if isinstance(v, str) and v[:1] in ("@", "$", "%"):
                return False
            if isinstance(v, dict):
                return all(plain(x) for x in v.values())
            if isinstance(v, list):
                return all(plain(x) for x in v)
            return True
        if not plain(args):
            fail(inference + ": network_def uses MONAI references or expressions (@, $, %); install MONAI in " + sys.executable)
        target = d["_target_"]
        if "." not in target:
            fail(inference + ": network_def._target_ " + target + " is a MONAI short name; install MONAI in " + sys.executable)
        modname, clsname = target.rsplit(".", 1)
        try:
            net = getattr(importlib.import_module(modname), clsname)(**args)
        except Exception as e:
            fail(inference + ": network_def cannot be built: " + type(e).__name__ + ": " + str(e).splitlines()[0])
    weights = os.path.join(folder, "models", "model.pt")
    fmt = meta.get("network_data_format", {})
    image = fmt.get("inputs", {}).get("image", {})
    pred = fmt.get("outputs", {}).get("pred", {})
    shape = None
    spatial = image.get("spatial_shape")
    if spatial and all(isinstance(v, int) for v in spatial) and len(spatial) == 3 and isinstance(image.get("num_channels"), int):
        # MONAI's spatial_shape is in the image's (H, W, D) order, the tensor's last three axes
        shape = [1, image["num_channels"]] + list(spatial)
    classes = None
    channel_def = pred.get("channel_def")
    if isinstance(channel_def, dict) and channel_def:
        classes = [str(channel_def[k]) for k in sorted(channel_def, key=lambda k: int(k))]
    task = "segmentation" if pred.get("type") == "image" else ("classification" if pred else None)
    return net, (weights if os.path.isfile(weights) else None), shape, classes, task


def first_tensor(out, said):
    """The first tensor of a tuple/list/dict output (deep supervision heads), saying so once."""
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, dict):
        key = next(iter(out))
        said.add("the model returns a dict: VoxelLens uses its first entry '%s'" % key)
        return first_tensor(out[key], said)
    if isinstance(out, (tuple, list)) and out:
        said.add("the model returns %d outputs: VoxelLens uses the first (e.g. the full-resolution head)" % len(out))
        return first_tensor(out[0], said)
    fail("the model's output is neither a tensor nor a tuple/list/dict of tensors: " + type(out).__name__)


def layer_outputs(net, x):
    """Every named module's output: (name, type, shape, feeds), in execution order (for --list-layers and the default
    layer). `feeds`: whether the model's first output depends on it, found as the packaged probes work: a zero probe
    added to every layer's output, then one backward from that output (a deep-supervision head does not feed it)."""
    order, shapes, probes, hooks = [], {}, {}, []
    for name, m in net.named_modules():
        if not name:
            continue

        def hook(mod, inp, out, name=name):
            if isinstance(out, torch.Tensor) and name not in shapes:
                shapes[name] = (type(mod).__name__, tuple(out.shape))
                order.append(name)
                if out.is_floating_point():
                    probes[name] = torch.zeros(out.shape, requires_grad=True)
                    return out + probes[name]
            return None
        hooks.append(m.register_forward_hook(hook))
    try:
        with torch.enable_grad():
            first_tensor(net(x), set()).sum().backward()
    finally:
        for h in hooks:
            h.remove()
    return [(n,) + shapes[n] + (n in probes and probes[n].grad is not None and bool(probes[n].grad.abs().max() > 0),)
            for n in order]


ACTIVATIONS = {"ReLU", "LeakyReLU", "PReLU", "ELU", "GELU", "SiLU", "Mish", "ReLU6", "CELU", "SELU"}


def default_layer(layers, task, out_shape=None):
    """Grad-CAM's usual choice: the last 3D convolution for a classifier, the deepest one (bottleneck) for a segmenter,
    then the activation that follows it (a normalisation right after a convolution, e.g. InstanceNorm, averages each
    channel's gradient to zero there, and Grad-CAM's weights with it). Layers of one voxel (squeeze-excitation gates,
    pooled heads) are no map."""
    def spatial(l):
        return l[2][2] * l[2][3] * l[2][4]
    # the output head (the layer that makes the model's output) explains nothing a layer before it does not
    def candidate(l):
        return len(l[2]) == 5 and spatial(l) > 1 and tuple(l[2]) != tuple(out_shape or ()) and l[3]
    convs = [l for l in layers if l[1] == "Conv3d" and candidate(l)]
    if not convs:
        convs = [l for l in layers if candidate(l)]
    if not convs:
        return None
    if task == "classification":
        chosen = convs[-1]
    else:
        smallest = min(spatial(l) for l in convs)
        chosen = [l for l in convs if spatial(l) == smallest][-1]
    i = layers.index(chosen)
    for later in layers[i + 1:i + 5]:
        if later[1] in ACTIVATIONS and tuple(later[2]) == tuple(chosen[2]):
            return later[0]
    return chosen[0]


class Packaged(nn.Module):
    """The user's network with one output tensor; probe and activation methods are added per layer for tracing."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return first_tensor(self.net(x), set())


def add_layer_methods(wrapper, layer, module):
    ident = layer.replace(".", "_")

    def forward_probe(x, probe):
        h = module.register_forward_hook(lambda m, i, o: o + probe)
        try:
            return first_tensor(wrapper.net(x), set())
        finally:
            h.remove()

    def activations(x):
        box = []
        h = module.register_forward_hook(lambda m, i, o: box.append(o))
        try:
            wrapper.net(x)
        finally:
            h.remove()
        return box[0]

    setattr(wrapper, "forward_probe_" + ident, forward_probe)
    setattr(wrapper, "activations_" + ident, activations)
    return ident


def write_atomic(path, text):
    """Writes a file of the package through a temporary file and a rename: never half a file."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix="." + os.path.basename(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def yaml_list(values):
    return "[" + ", ".join(str(v) for v in values) + "]"


def main():
    ap = argparse.ArgumentParser(prog="voxellens package")
    ap.add_argument("--module")
    ap.add_argument("--bundle")
    ap.add_argument("--preprocessing-json")
    ap.add_argument("--kwargs", default="{}", help="constructor arguments as JSON")
    ap.add_argument("--weights")
    ap.add_argument("--layer", action="append", default=[])
    ap.add_argument("--input-shape")
    ap.add_argument("--task", choices=["segmentation", "classification"])
    ap.add_argument("--classes")
    ap.add_argument("--name")
    ap.add_argument("--activation", choices=["softmax", "sigmoid"])
    ap.add_argument("--normalise", choices=["none", "zscore", "percentile"], default="none")
    ap.add_argument("--spacing")
    ap.add_argument("--channels")
    ap.add_argument("--license", default="LicenseRef-unspecified")
    ap.add_argument("--spatial-order", choices=["zyx", "xyz"])
    ap.add_argument("--out")
    ap.add_argument("--list-layers", action="store_true")
    a = ap.parse_args()

    bundle_shape = None
    if a.bundle:
        net, bundle_weights, bundle_shape, bundle_classes, bundle_task = bundle_network(a.bundle)
        a.weights = a.weights or bundle_weights
        a.classes = a.classes or (",".join(bundle_classes) if bundle_classes else None)
        a.task = a.task or bundle_task
        a.module = os.path.join(a.bundle, "configs", "inference.json") + ":network_def"
        cls = type(net)
    if not a.input_shape and bundle_shape is None:
        fail("--input-shape 1,C,Z,Y,X is needed (the bundle's metadata gives no fixed input shape)")
    input_shape = a.input_shape or ",".join(str(v) for v in bundle_shape)
    try:
        shape = tuple(int(v) for v in input_shape.split(","))
    except ValueError:
        fail("--input-shape must be 1,C,Z,Y,X, got " + input_shape)
    if len(shape) != 5 or shape[0] != 1 or min(shape) < 1:
        fail("--input-shape must be 1,C,Z,Y,X (batch 1, 3D), got " + input_shape)

    if not a.bundle:
        cls = load_class(a.module)
        try:
            net = cls(**json.loads(a.kwargs))
        except Exception as e:
            fail("%s(**%s) failed: %s: %s" % (cls.__name__, a.kwargs, type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
    if a.weights:
        if not os.path.isfile(a.weights):
            fail(a.weights + ": file not found")
        state = torch.load(a.weights, map_location="cpu")
        if isinstance(state, nn.Module):
            state = state.state_dict()
        for key in ("state_dict", "model", "network"):  # common checkpoint layouts
            if isinstance(state, dict) and key in state and isinstance(state[key], dict):
                state = state[key]
        try:
            net.load_state_dict(state)
        except RuntimeError as e:
            fail(a.weights + " does not fit " + cls.__name__ + ": " + str(e).splitlines()[0])
    # eval mode, but parameters still requiring grad while tracing: with none requiring grad PyTorch takes fused
    # inference-only kernels (nn.TransformerEncoderLayer's _transformer_encoder_layer_fwd) that have no backward, and
    # the trace would record them; VoxelLens freezes the parameters itself when it loads the model
    net.eval()

    g = torch.Generator().manual_seed(1234)
    x = torch.randn(shape, generator=g)
    try:
        layers = layer_outputs(net, x)
        with torch.no_grad():
            out_shape = tuple(first_tensor(net(x), set()).shape)
    except Exception as e:
        fail("the model's forward pass on %s fails: %s: %s" % (list(shape), type(e).__name__, str(e).splitlines()[0]))
    if a.list_layers:
        print("layers of %s on input %s (name, type, output shape):" % (cls.__name__, list(shape)))
        for name, kind, s, feeds in layers:
            print("  %-40s %-18s %s%s" % (name, kind, list(s), "" if feeds else "  (does not feed the first output)"))
        if a.task:
            print("proposed Grad-CAM layer (%s): %s" % (a.task, default_layer(layers, a.task, out_shape)))
        else:
            print("proposed Grad-CAM layer: classification %s, segmentation %s"
                  % (default_layer(layers, "classification", out_shape), default_layer(layers, "segmentation", out_shape)))
        return

    if not a.out or not a.task:
        fail("--out and --task are needed to write a package (or use --list-layers)")
    known = {n: s for n, _, s, _ in layers}
    chosen = a.layer or [default_layer(layers, a.task, out_shape)]
    if chosen == [None]:
        fail("the model has no layer with a 3D output; name one with --layer (see --list-layers)")
    modules = dict(net.named_modules())
    for l in chosen:
        if l not in modules:
            fail("the model has no layer '%s'; --list-layers shows its layers" % l)
        if l not in known or len(known[l]) != 5:
            fail("layer '%s' has no 3D output [b, c, z, y, x] (Grad-CAM needs one); --list-layers shows shapes" % l)

    said = set()
    with torch.no_grad():
        reference = first_tensor(net(x), said)
    wrapper = Packaged(net).eval()
    methods = {"forward": (x,)}
    idents = []
    for l in chosen:
        ident = add_layer_methods(wrapper, l, modules[l])
        idents.append(ident)
        methods["forward_probe_" + ident] = (x, torch.zeros(known[l]))
        methods["activations_" + ident] = (x,)
    try:
        traced = torch.jit.trace_module(wrapper, methods, check_trace=False)
    except Exception as e:
        fail("tracing the model failed: %s: %s" % (type(e).__name__, str(e).splitlines()[0]))

    if not os.path.exists(a.out):
        CREATED_OUT.append(a.out)
    os.makedirs(a.out, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=a.out, prefix=".model", suffix=".pt")
    os.close(fd)
    try:
        traced.save(tmp)
        back = torch.jit.load(tmp).eval()
        # self-check on a second input, not the one traced with
        x2 = torch.randn(shape, generator=g)
        with torch.no_grad():
            want = first_tensor(net(x2), set())
            got = back(x2)
            err = float((got - want).abs().max()) / max(float(want.abs().max()), 1e-12)
            if not err <= 1e-5:
                fail("self-check failed: the packaged model's output differs from the original's by %.2e (relative)" % err)
            for l, ident in zip(chosen, idents):
                probed = getattr(back, "forward_probe_" + ident)(x2, torch.zeros(known[l]))
                if float((probed - got).abs().max()) > 1e-6 * max(float(got.abs().max()), 1e-12):
                    fail("self-check failed: forward_probe_%s with a zero probe differs from forward" % ident)
                act = getattr(back, "activations_" + ident)(x2)
                if tuple(act.shape) != tuple(known[l]):
                    fail("self-check failed: activations_%s has shape %s, expected %s" % (ident, list(act.shape), list(known[l])))
        # every explanation differentiates: the output with respect to the input, and to each layer's probe
        for p in back.parameters():
            p.requires_grad_(False)
        xg = x2.clone().requires_grad_(True)
        try:
            back(xg).sum().backward()
        except RuntimeError as e:
            fail("self-check failed: the packaged model cannot be differentiated with respect to its input (%s); "
                 "gradient methods would fail" % str(e).splitlines()[0])
        if xg.grad is None or not bool(torch.isfinite(xg.grad).all()):
            fail("self-check failed: the input gradient of the packaged model is missing or not finite")
        for l, ident in zip(chosen, idents):
            probe = torch.zeros(known[l], requires_grad=True)
            try:
                getattr(back, "forward_probe_" + ident)(x2, probe).sum().backward()
            except RuntimeError as e:
                fail("layer '%s' does not feed the model's output (%s): Grad-CAM there has no gradient; "
                     "choose another layer (--list-layers)" % (l, str(e).splitlines()[0]))
            if probe.grad is None or float(probe.grad.abs().max()) == 0:
                fail("layer '%s' does not feed the model's (first) output: its gradient is zero; choose another layer "
                     "(--list-layers)" % l)
        os.replace(tmp, os.path.join(a.out, "model.pt"))
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)

    with open(os.path.join(a.out, "model.pt"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    out_shape = list(reference.shape)
    channels_out = out_shape[1]
    activation = a.activation or ("sigmoid" if channels_out == 1 else "softmax")
    if activation == "softmax" and channels_out == 1:
        fail("a softmax over one output channel is always 1; a one-channel head is a sigmoid (--activation sigmoid)")
    classes = a.classes.split(",") if a.classes else None
    if activation == "softmax":
        classes = classes or ["class%d" % i for i in range(channels_out)]
        if len(classes) != channels_out:
            fail("--classes names %d classes but the model has %d output channels" % (len(classes), channels_out))
        channel_names = classes
    else:
        # a sigmoid head: one class per channel, optionally the absent class first
        classes = classes or ["class%d" % (i + 1) for i in range(channels_out)]
        if len(classes) not in (channels_out, channels_out + 1):
            fail("--classes names %d classes but the sigmoid head has %d output channel(s): name %d, or %d with the absent class first"
                 % (len(classes), channels_out, channels_out, channels_out + 1))
        channel_names = classes[-channels_out:]
    in_names = a.channels.split(",") if a.channels else ["channel%d" % i for i in range(shape[1])]
    if len(in_names) != shape[1]:
        fail("--channels names %d input channels but --input-shape has %d" % (len(in_names), shape[1]))
    spacing = None
    if a.spacing:
        try:
            spacing = [float(v) for v in a.spacing.split(",")]
        except ValueError:
            spacing = []
        if len(spacing) != 3 or min(spacing) <= 0:
            fail("--spacing must be X,Y,Z in mm, got " + a.spacing)

    # bioimage.io 0.5 wants test tensors: the self-check's input and the original module's output on it
    def save_npy(name, t):
        fd, tmp_npy = tempfile.mkstemp(dir=a.out, prefix="." + name, suffix=".tmp")
        os.close(fd)
        try:
            import numpy as np
            with open(tmp_npy, "wb") as f:
                np.save(f, t.detach().cpu().numpy().astype("float32"))
            with open(tmp_npy, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            os.replace(tmp_npy, os.path.join(a.out, name))
            return digest
        finally:
            if os.path.exists(tmp_npy):
                os.remove(tmp_npy)
    sha_in = save_npy("test_input.npy", x2)
    sha_out = save_npy("test_output.npy", want)

    def q(v):
        return json.dumps(v)

    # the model's own spatial order: zyx (bioimage.io's usual), or xyz for networks trained on MONAI-loaded tensors
    order = a.spatial_order or ("xyz" if a.bundle else "zyx")

    def space(axis, size):
        item = "{type: space, id: %s, size: %s" % (axis, size)
        if spacing:
            item += ", unit: millimeter, scale: %g" % spacing["xyz".index(axis)]
        return "  - " + item + "}"

    name = a.name or cls.__name__
    lines = [
        "format_version: 0.5.4",
        "type: model",
        "name: " + q(name),
        "description: " + q("%s packaged for VoxelLens from %s (Grad-CAM layers: %s)"
                            % (cls.__name__, os.path.basename(a.module.rsplit(":", 1)[0]), ", ".join(chosen))),
        "authors:",
        "- name: " + q(os.environ.get("USER", "unknown")),
        "cite:",
        "- text: " + q("VoxelLens model package of " + cls.__name__),
        "  url: https://bioimage.io",
        "license: " + q(a.license),
        "documentation: README.md",
        "tags: [3d, " + a.task + "]",
        "inputs:",
        "- id: input",
        "  axes:",
        "  - type: batch",
        "  - type: channel",
        "    channel_names: [" + ", ".join(q(c) for c in in_names) + "]",
        space(order[0], shape[2]),
        space(order[1], shape[3]),
        space(order[2], shape[4]),
        "  test_tensor: {source: test_input.npy, sha256: %s}" % sha_in,
    ]
    if a.preprocessing_json:
        steps = json.loads(a.preprocessing_json)
        if steps:
            lines.append("  preprocessing:")
            for st in steps:
                lines += ["  - id: " + q(st["id"]), "    kwargs: " + json.dumps(st.get("kwargs", {}))]
    elif a.normalise == "zscore":
        lines += ["  preprocessing:", "  - id: zero_mean_unit_variance", "    kwargs: {axes: [%s]}" % ", ".join(order)]
    elif a.normalise == "percentile":
        lines += ["  preprocessing:", "  - id: scale_range", "    kwargs: {axes: [%s], min_percentile: 1, max_percentile: 99}" % ", ".join(order)]
    lines += [
        "outputs:",
        "- id: output",
        "  axes:",
        "  - type: batch",
        "  - type: channel",
        "    channel_names: [" + ", ".join(q(c) for c in channel_names) + "]",
    ]
    if len(out_shape) == 5:
        lines += ["  - {type: space, id: %s, size: {tensor_id: input, axis_id: %s}}" % (ax, ax) for ax in order]
    lines += [
        "  test_tensor: {source: test_output.npy, sha256: %s}" % sha_out,
        "weights:",
        "  torchscript:",
        "    source: model.pt",
        "    sha256: " + sha,
        "    pytorch_version: '%s'" % torch.__version__.split("+")[0],
        "config:",
        "  voxellens:",
        "    task: " + a.task,
        "    class_names: [" + ", ".join(q(c) for c in classes) + "]",
        "    output_activation: " + activation,
        "    input_size: " + yaml_list([shape[2 + order.index(ax)] for ax in "xyz"]),
    ]
    if spacing:
        lines.append("    spacing: " + yaml_list(spacing))
    # the first --layer is the default (what explain uses without --layer)
    lines.append("    default_gradcam_layer: " + q(chosen[0]))
    lines.append("    gradcam_layers:")
    for l, ident in zip(chosen, idents):
        lines += ["    - name: " + q(l),
                  "      probe_method: forward_probe_" + ident,
                  "      activation_method: activations_" + ident,
                  "      shape: " + yaml_list(known[l])]
    write_atomic(os.path.join(a.out, "README.md"), "# %s\n\nPackaged by `voxellens package` from `%s` (weights `%s`), "
                 "torch %s. Grad-CAM layers: %s.\n" % (name, a.module, a.weights or "as constructed", torch.__version__, ", ".join(chosen)))
    # the description last: a folder without it is not a package, so an interrupted run leaves none
    write_atomic(os.path.join(a.out, "rdf.yaml"), "\n".join(lines) + "\n")
    for s in sorted(said):
        print("note: " + s)
    print("package written to %s: model.pt (sha256 %s), rdf.yaml (bioimage.io 0.5), test tensors; Grad-CAM layers %s (default %s); self-check passed "
          "(outputs equal the original module's, max relative difference %.1e)" % (a.out, sha[:12], ", ".join(chosen), chosen[0], err))


if __name__ == "__main__":
    main()
