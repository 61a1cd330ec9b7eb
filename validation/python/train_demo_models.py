#!/usr/bin/python3
"""Train and export the VoxelLens demo models, write the bundled samples and the Java test references.

Run from anywhere (paths are relative to the repository root):

    /usr/bin/python3 validation/python/train_demo_models.py                   # everything
    /usr/bin/python3 validation/python/train_demo_models.py --references-only # only make_references.py

Needs torch (tested with 1.13 on CPU), numpy, nibabel, pyyaml. Writes
    models/demo-classifier/{model.pt,rdf.yaml,README.md}
    models/demo-segmenter/{model.pt,rdf.yaml,README.md}
    samples/demo-brain.nii.gz, samples/demo-brain-normal.nii.gz, samples/demo-brain_lesion-mask.nii.gz, samples/README.md
    validation/python/training_summary.json
    validation/src/test/resources/reference/<model>/...   (via make_references.py)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import linecache
import os
import sys
import time
import types

# TorchScript writes some module constants in set order: fix Python's string hashing so that model.pt is byte-stable.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import phantom as ph  # noqa: E402


def _import_stable(name):
    """Import validation/python/<name>.py under a checkout-independent file name (TorchScript's debug info stores it)."""
    rel = f"validation/python/{name}.py"
    with open(os.path.join(HERE, name + ".py")) as f:
        src = f.read()
    linecache.cache[rel] = (len(src), None, src.splitlines(True), rel)
    mod = types.ModuleType(name)
    mod.__file__ = rel
    sys.modules[name] = mod
    exec(compile(src, rel, "exec"), mod.__dict__)
    return mod


_dm = _import_stable("demo_models")
DemoClassifier, DemoSegmenter = _dm.DemoClassifier, _dm.DemoSegmenter

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SIZE = 48                # model input: 48^3 voxels
FOV = 144.0              # mm, cube -> 3 mm voxels
SEED = 20240601
N_TRAIN = 512            # half with lesion
N_TEST = 200             # held-out, half with lesion, rendered directly at 48^3
N_TEST_HIRES = 40        # held-out, rendered at 96x96x80 over the same FOV and resampled like the sample
SAMPLE_SHAPE_ZYX = (80, 96, 96)
SAMPLE_SPACING_XYZ = (1.5, 1.5, 1.8)
SAMPLE_LESION_CENTER_XYZ = (26.0, 10.0, 32.0)   # mm from the volume centre: patient right, anterior, superior

torch.set_num_threads(2)


# ----------------------------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------------------------
def make_set(n, seed, shape=(SIZE, SIZE, SIZE)):
    """n phantoms (alternating lesion / normal); returns raw images [n,1,z,y,x], masks at 48^3 [n,48,48,48], labels."""
    rng = np.random.default_rng(seed)
    imgs = np.zeros((n, 1) + tuple(shape), np.float32)
    masks = np.zeros((n, SIZE, SIZE, SIZE), np.uint8)
    labels = np.zeros(n, np.int64)
    for i in range(n):
        lesion = i % 2 == 1
        prm = ph.sample_params(rng, lesion)
        img, m = ph.render(prm, shape, FOV, rng)
        imgs[i, 0] = img
        if tuple(shape) != (SIZE,) * 3:
            # label on the model grid (the phantom is resolution independent)
            m = ph.render(prm, (SIZE,) * 3, FOV, None)[1] if lesion else 0
        masks[i] = m
        labels[i] = int(lesion)
    return imgs, masks, labels


def to_model_grid(x):
    """[n,1,z,y,x] any size -> [n,1,48,48,48], trilinear, align_corners=False (= the pipeline's fitted FOV grid)."""
    if tuple(x.shape[2:]) == (SIZE,) * 3:
        return x
    return F.interpolate(x, size=(SIZE,) * 3, mode="trilinear", align_corners=False)


def zscore_t(x, eps=1e-6):
    """Per-sample zero mean / unit variance over all voxels (bioimage.io zero_mean_unit_variance, per_sample)."""
    d = x.double()
    m = d.mean(dim=(1, 2, 3, 4), keepdim=True)
    s = d.std(dim=(1, 2, 3, 4), keepdim=True, unbiased=False)
    return ((d - m) / (s + eps)).float()


_BLUR = torch.tensor([0.25, 0.5, 0.25])


def blur(x):
    """Separable [1/4 1/2 1/4] smoothing (what 2x trilinear down-sampling does to a high-res image)."""
    c = x.shape[1]
    for dim in range(3):
        shape = [1, 1, 1, 1, 1]
        shape[2 + dim] = 3
        k = _BLUR.view(shape).repeat(c, 1, 1, 1, 1)
        pad = [0] * 6
        pad[2 * (2 - dim)] = pad[2 * (2 - dim) + 1] = 1
        x = F.conv3d(F.pad(x, pad, mode="replicate"), k, groups=c)
    return x


def augment(x, gen):
    """Random smoothing of half of the batch, then z-score."""
    sel = torch.rand(x.shape[0], generator=gen) < 0.5
    if sel.any():
        x = x.clone()
        x[sel] = blur(x[sel])
    return zscore_t(x)


# ----------------------------------------------------------------------------------------------------------------
# classifier
# ----------------------------------------------------------------------------------------------------------------
def evaluate_classifier(model, x_raw, y):
    model.eval()
    with torch.no_grad():
        p = torch.cat([torch.softmax(model(zscore_t(x_raw[i:i + 32])), 1) for i in range(0, len(x_raw), 32)])
    acc = float((p.argmax(1) == y).float().mean())
    return acc, p[:, 1]


CLF_CROP_STEPS = 900     # batches of 16 random 32^3 crops (lesion crops contain the lesion), lr 3e-3
CLF_FULL_STEPS = 150     # then batches of 16 whole 48^3 volumes, lr 1e-3, last 50 at 3e-4 (whole-volume statistics)
CLF_AUX_WEIGHT = 1.0


def aux_loss(aux_logits, mask, thresh=0.2):
    """Auxiliary dense lesion loss on block4 (training only): BCE + soft Dice against the mask pooled to 1/4."""
    tgt = (F.avg_pool3d(mask.float()[:, None], 4) > thresh).float()
    p = torch.sigmoid(aux_logits)
    dice = 1 - (2 * (p * tgt).sum() + 1) / (p.sum() + tgt.sum() + 1)
    return F.binary_cross_entropy_with_logits(aux_logits, tgt) + dice


def train_classifier(xtr, mtr, ytr, xte, yte, log):
    """Adam; multiple-instance training on crops first, then whole volumes.

    A 1x1x1 convolution on block4 is trained alongside to predict the (pooled) lesion mask: this dense signal gets
    the tiny network over the initial plateau in a few hundred steps. It is not part of the exported model.
    """
    torch.manual_seed(SEED + 1)
    gen = torch.Generator().manual_seed(SEED + 2)
    model = DemoClassifier()
    aux = torch.nn.Conv3d(32, 1, 1)
    with torch.no_grad():
        aux.bias.fill_(-3.0)
    opt = torch.optim.Adam(list(model.parameters()) + list(aux.parameters()), lr=3e-3)
    history, window, t0 = [], [], time.time()
    total = CLF_CROP_STEPS + CLF_FULL_STEPS
    for it in range(total):
        model.train()
        idx = torch.randint(len(xtr), (16,), generator=gen)
        xb, mb = augment(xtr[idx], gen), mtr[idx]
        if it < CLF_CROP_STEPS:
            xb, mb = random_crops(xb, mb, gen)
        elif it in (CLF_CROP_STEPS, total - 50):
            for g in opt.param_groups:
                g["lr"] = 1e-3 if it == CLF_CROP_STEPS else 3e-4
        a4 = model.block4(model._to_block3(xb))
        out = model._head(a4)
        ce = F.cross_entropy(out, ytr[idx])
        loss = ce + CLF_AUX_WEIGHT * aux_loss(aux(a4), mb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        window.append((float(ce), float((out.argmax(1) == ytr[idx]).float().mean())))
        if (it + 1) % 50 == 0 or it + 1 == total:
            h = np.mean(window, axis=0)
            window = []
            rec = dict(step=it + 1, train_ce=float(h[0]), train_accuracy=float(h[1]), seconds=time.time() - t0)
            if (it + 1) % 200 == 0 or it + 1 == total:
                rec["test_accuracy"] = evaluate_classifier(model, xte, yte)[0]
            history.append(rec)
            log(f"  classifier step {it + 1}/{total} ({'crops' if it < CLF_CROP_STEPS else 'whole volumes'}): "
                f"CE {h[0]:.3f}, train acc {h[1]:.3f}"
                + (f", test acc {rec['test_accuracy']:.3f}" if "test_accuracy" in rec else "")
                + f"  ({time.time() - t0:.0f} s)")
    model.eval()
    return model, history


# ----------------------------------------------------------------------------------------------------------------
# segmenter
# ----------------------------------------------------------------------------------------------------------------
CROP = 32


def random_crops(x, m, gen):
    """32^3 crops; lesion volumes are cropped so that the lesion centre lies inside the crop."""
    n = x.shape[0]
    xs = torch.empty((n, 1, CROP, CROP, CROP))
    ms = torch.empty((n, CROP, CROP, CROP), dtype=torch.long)
    for i in range(n):
        lo = [0, 0, 0]
        nz = torch.nonzero(m[i])
        for d in range(3):
            if len(nz) > 0:
                c = int(nz[:, d].float().mean())
                a, b = max(0, c - CROP + 6), min(SIZE - CROP, c - 6)
                # clamped: with several lesions, or one near the grid's edge, c - 6 can fall below 0
                a, b = min(max(min(a, b), 0), SIZE - CROP), min(max(max(a, b), 0), SIZE - CROP)
            else:
                a, b = 0, SIZE - CROP
            lo[d] = int(torch.randint(a, b + 1, (1,), generator=gen))
        xs[i] = x[i, :, lo[0]:lo[0] + CROP, lo[1]:lo[1] + CROP, lo[2]:lo[2] + CROP]
        ms[i] = m[i, lo[0]:lo[0] + CROP, lo[1]:lo[1] + CROP, lo[2]:lo[2] + CROP]
    return xs, ms


def seg_loss(logits, target):
    ce = F.cross_entropy(logits, target, weight=torch.tensor([1.0, 3.0]))
    p = torch.softmax(logits, 1)[:, 1]
    t = target.float()
    inter = (p * t).sum()
    dice = (2 * inter + 1) / (p.sum() + t.sum() + 1)
    return ce + (1 - dice)


def evaluate_segmenter(model, x_raw, m):
    """Mean per-volume Dice over lesion volumes, global Dice, and false-positive voxels on normal volumes."""
    model.eval()
    dices, inter, tot, fp_normal = [], 0, 0, 0
    with torch.no_grad():
        for i in range(0, len(x_raw), 16):
            pred = model(zscore_t(x_raw[i:i + 16])).argmax(1)
            for k in range(pred.shape[0]):
                t = m[i + k].bool()
                p = pred[k].bool()
                if t.any():
                    dices.append(float(2 * (p & t).sum() / (p.sum() + t.sum())))
                    inter += int((p & t).sum())
                    tot += int(p.sum() + t.sum())
                else:
                    fp_normal += int(p.sum())
    return float(np.mean(dices)), 2 * inter / max(tot, 1), fp_normal


SEG_STEPS = 400          # batches of 8 random 32^3 crops (6 around a lesion, 2 from normal volumes)


def train_segmenter(xtr, mtr, ytr, xte, mte, log):
    torch.manual_seed(SEED + 3)
    gen = torch.Generator().manual_seed(SEED + 4)
    model = DemoSegmenter()
    with torch.no_grad():
        model.head.bias.copy_(torch.tensor([2.0, -2.0]))    # prior: lesion voxels are rare
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    les = torch.nonzero(ytr == 1).flatten()
    nor = torch.nonzero(ytr == 0).flatten()
    history, window, t0 = [], [], time.time()
    for it in range(SEG_STEPS):
        if it == int(SEG_STEPS * 0.7):
            for g in opt.param_groups:
                g["lr"] = 1e-3
        model.train()
        idx = torch.cat([les[torch.randint(len(les), (6,), generator=gen)],
                         nor[torch.randint(len(nor), (2,), generator=gen)]])
        xb = augment(xtr[idx], gen)          # z-score on the whole volume, then crop
        xb, mb = random_crops(xb, mtr[idx], gen)
        out = model(xb)
        loss = seg_loss(out, mb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        p, t = out.argmax(1).bool(), mb.bool()
        window.append((float(loss), float(2 * (p & t).sum() / (p.sum() + t.sum()).clamp(min=1))))
        if (it + 1) % 50 == 0 or it + 1 == SEG_STEPS:
            h = np.mean(window, axis=0)
            window = []
            rec = dict(step=it + 1, train_loss=float(h[0]), train_batch_dice=float(h[1]), seconds=time.time() - t0)
            log(f"  segmenter step {it + 1}/{SEG_STEPS}: loss {h[0]:.3f}, train Dice {h[1]:.3f}  "
                f"({time.time() - t0:.0f} s)")
            history.append(rec)
    model.eval()
    return model, history


# ----------------------------------------------------------------------------------------------------------------
# export
# ----------------------------------------------------------------------------------------------------------------
def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export(model, path, x, layers, log):
    """Script, save, reload and check forward == forward_probe(0), activations shapes, probe gradients."""
    model.eval()
    scripted = torch.jit.script(model)
    scripted.save(path)
    m = torch.jit.load(path)
    m.eval()
    with torch.no_grad():
        ref = model(x)
        out = m(x)
    assert torch.allclose(ref, out, atol=1e-5), "scripted forward differs from eager"
    shapes = {}
    for name in layers:
        act = getattr(m, "activations_" + name)(x)
        shapes[name] = list(act.shape)
        probe = torch.zeros_like(act, requires_grad=True)
        xin = x.clone().requires_grad_(True)
        y = getattr(m, "forward_probe_" + name)(xin, probe)
        assert torch.equal(y.detach(), out), f"forward_probe_{name} with zero probe != forward"
        y[:, 1].sum().backward()
        assert probe.grad is not None and float(probe.grad.abs().sum()) > 0, f"no gradient through probe {name}"
        assert xin.grad is not None and float(xin.grad.abs().sum()) > 0
        # the probe gradient is d score / d activation: check with a finite difference along the gradient
        eps = 1e-2
        dirn = probe.grad / probe.grad.norm()
        with torch.no_grad():
            fd = (getattr(m, "forward_probe_" + name)(x, eps * dirn)[:, 1].sum()
                  - getattr(m, "forward_probe_" + name)(x, -eps * dirn)[:, 1].sum()) / (2 * eps)
        an = float((probe.grad * dirn).sum())
        log(f"  {os.path.relpath(path, ROOT)}: {name} {shapes[name]}  d/dprobe along grad: analytic {an:.5g} "
            f"finite-diff {float(fd):.5g}")
        assert abs(an - float(fd)) <= 0.02 * abs(an) + 1e-6, "probe gradient does not match finite difference"
    methods = ["forward"] + [f"{p}_{n}" for n in layers for p in ("forward_probe", "activations")]
    for meth in methods:
        assert hasattr(m, meth)
    return shapes, methods


def write_yaml(path, doc):
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def list_rep(dumper, data):   # short lists of scalars in flow style
        flow = all(not isinstance(v, (list, dict)) for v in data) and len(data) <= 8
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    Dumper.add_representer(list, list_rep)
    with open(path, "w") as f:
        yaml.dump(doc, f, Dumper=Dumper, sort_keys=False, default_flow_style=False, width=120)


def rdf(kind, name, description, tags, pt_path, layers, shapes, default_layer, training):
    seg = kind == "segmentation"
    return {
        "format_version": "0.4.10",
        "type": "model",
        "name": name,
        "description": description,
        "authors": [{"name": "VoxelLens developers"}],
        "license": "MIT",
        "documentation": "README.md",
        "tags": tags,
        "inputs": [{
            "name": "input",
            "axes": "bczyx",
            "data_type": "float32",
            "shape": [1, 1, SIZE, SIZE, SIZE],
            "preprocessing": [{"name": "zero_mean_unit_variance", "kwargs": {"mode": "per_sample", "axes": "xyz"}}],
        }],
        "outputs": [{
            "name": "logits",
            "axes": "bczyx" if seg else "bc",
            "data_type": "float32",
            "shape": [1, 2, SIZE, SIZE, SIZE] if seg else [1, 2],
        }],
        "weights": {"torchscript": {"source": "model.pt", "sha256": sha256(pt_path), "pytorch_version": "1.13"}},
        "config": {"voxellens": {
            "task": kind,
            "class_names": ["normal", "lesion"] if not seg else ["background", "lesion"],
            "input_size": [SIZE, SIZE, SIZE],
            "default_target": "lesion",
            "gradcam_layers": [{
                "name": n,
                "probe_method": "forward_probe_" + n,
                "activation_method": "activations_" + n,
                "shape": shapes[n],
            } for n in layers],
            "default_gradcam_layer": default_layer,
            "training": training,
        }},
    }


# ----------------------------------------------------------------------------------------------------------------
# samples
# ----------------------------------------------------------------------------------------------------------------
def sample_affine_ras():
    """RAS voxel->world affine of the bundled sample: 8 deg rotation about the x (left-right) axis, off-centre."""
    a = np.deg2rad(8.0)
    rot = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    m = rot @ np.diag(SAMPLE_SPACING_XYZ)
    dims_xyz = np.array(SAMPLE_SHAPE_ZYX[::-1])
    center_world = np.array([4.0, -18.0, 22.0])
    origin = center_world - m @ ((dims_xyz - 1) / 2.0)
    aff = np.eye(4)
    aff[:3, :3] = m
    aff[:3, 3] = np.round(origin, 3)
    return aff


def write_nifti(path, arr_zyx, affine, dtype, slope=None, inter=None):
    import nibabel as nib
    data = np.ascontiguousarray(arr_zyx.transpose(2, 1, 0))      # [z,y,x] -> NIfTI [i,j,k]
    if dtype == np.int16:
        stored = np.round((data - inter) / slope)
        assert stored.min() >= -32768 and stored.max() <= 32767
        data = stored.astype(np.int16)
    else:
        data = data.astype(dtype)
    img = nib.Nifti1Image(data, affine)
    img.set_qform(affine, code=1)      # scanner
    img.set_sform(affine, code=2)      # aligned
    hdr = img.header
    hdr.set_xyzt_units("mm", "sec")
    if slope is not None:
        hdr.set_slope_inter(slope, inter)
    else:
        hdr.set_slope_inter(1.0, 0.0)
    hdr["descrip"] = b"VoxelLens synthetic phantom - no patient data"
    nib.save(img, path)


def make_samples(log):
    """The bundled demo volumes. Returns the sample images [z,y,x] (physical units) and the params."""
    rng = np.random.default_rng(SEED + 100)
    prm = ph.sample_params(rng, SAMPLE_LESION_CENTER_XYZ, jitter=0.5)
    prm["lesion"].update(radius=7.0, axes_f=np.array([1.0, 1.1, 0.9]), contrast=0.42)
    assert ph.brain_inside(prm["lesion"]["center_anat"].reshape(3, 1))[0], "sample lesion outside the brain"
    prm["noise_sigma"] = 0.035
    prm["gain"] = 1.0
    fov = tuple(n * s for n, s in zip(SAMPLE_SHAPE_ZYX, SAMPLE_SPACING_XYZ[::-1]))
    img, mask = ph.render(prm, SAMPLE_SHAPE_ZYX, fov, np.random.default_rng(SEED + 101))
    img_n, _ = ph.render(prm, SAMPLE_SHAPE_ZYX, fov, np.random.default_rng(SEED + 101), with_lesion=False)
    scale = 1000.0                        # "MR units"
    slope, inter = 2.0, -100.0            # stored int16 = (value - inter) / slope
    aff = sample_affine_ras()
    os.makedirs(os.path.join(ROOT, "samples"), exist_ok=True)
    paths = {}
    for fname, arr in (("demo-brain.nii.gz", img), ("demo-brain-normal.nii.gz", img_n)):
        p = os.path.join(ROOT, "samples", fname)
        write_nifti(p, arr * scale, aff, np.int16, slope, inter)
        paths[fname] = p
    p = os.path.join(ROOT, "samples", "demo-brain_lesion-mask.nii.gz")
    write_nifti(p, mask, aff, np.uint8)
    paths["demo-brain_lesion-mask.nii.gz"] = p
    for k, v in paths.items():
        log(f"  samples/{k}: {os.path.getsize(v) / 1024:.0f} KiB")
    return img * scale, img_n * scale, mask, aff, prm, fov


def reload_sample_model_grid(path, align_corners=False):
    """Read a sample with nibabel (applies scl_slope/inter) and resample to the model grid -> [1,1,48,48,48]."""
    import nibabel as nib
    a = np.asarray(nib.load(path).get_fdata(dtype=np.float32)).transpose(2, 1, 0).copy()   # [z,y,x]
    t = torch.from_numpy(a)[None, None]
    return F.interpolate(t, size=(SIZE,) * 3, mode="trilinear", align_corners=align_corners)


# ----------------------------------------------------------------------------------------------------------------
# documentation written next to the artefacts (numbers from this run)
# ----------------------------------------------------------------------------------------------------------------
def _p(v):
    return f"{v:.4f}" if v >= 1e-3 else f"{v:.1e}"


def _methods_md(methods, shapes):
    lines = ["| method | signature | returns |", "|---|---|---|",
             "| `forward` | `forward(x)` | logits |"]
    for n, shp in shapes.items():
        lines.append(f"| `forward_probe_{n}` | `forward_probe_{n}(x, probe)`, probe shaped like layer `{n}` "
                     f"({shp} at batch 1) | logits, with `probe` added to the output of `{n}` |")
        lines.append(f"| `activations_{n}` | `activations_{n}(x)` | output of layer `{n}`, {shp} at batch 1 |")
    return "\n".join(lines)


def write_model_readmes(s):
    c, g = s["classifier"], s["segmenter"]
    mc, mg = s["models"]["demo-classifier"], s["models"]["demo-segmenter"]
    common = f"""
**Demo only, not for clinical use.** Trained on synthetic head phantoms (`validation/python/phantom.py`), never on
patient data; it has seen nothing but this phantom family.

Input: `[batch, 1, 48, 48, 48]` float32, axes `bczyx` (x fastest), the whole volume resampled onto 48 x 48 x 48
voxels (field of view fitted) and z-scored per sample (`zero_mean_unit_variance`, `(v - mean) / (std + 1e-6)`, population std over all voxels).
TorchScript (`torch.jit.script`, torch {s["torch"]}), eval mode; load it with gradients enabled to explain it.

Methods in `model.pt`:

"""
    clf = f"""# VoxelLens demo classifier

Tiny 3D CNN that says whether a synthetic head phantom contains a bright lesion: logits `[batch, 2]`,
classes `normal`, `lesion`.
{common}{_methods_md(mc["methods"], mc["layer_shapes"])}

## Architecture
`block1` conv3d(1->8)-BN-ReLU-maxpool2 (24^3), `block2` conv3d(8->16)-BN-ReLU-maxpool2 (12^3),
`block3` conv3d(16->32)-BN-ReLU (12^3), `block4` conv3d(32->32)-BN-ReLU (12^3), global **max** pool, linear 32->2.
Max rather than average pooling: a 1-4 voxel lesion is diluted among 1728 positions by an average and the network
did not get past chance level in a few hundred steps. With max pooling the gradient of a logit w.r.t. `block4` is
non-zero only at each channel's maximum (Grad-CAM at `block4` is then CAM-like; `block3` is the default layer).
{mc["size_bytes"] // 1024} KiB, sha256 `{mc["sha256"]}`.

## Training
Seed {s["seed"]}; {N_TRAIN} phantoms at 48^3 (half with a lesion of radius 5-9 mm), Adam:
{CLF_CROP_STEPS} steps of 16 random 32^3 crops (lr 3e-3; crops of lesion volumes contain the lesion), then
{CLF_FULL_STEPS} steps of 16 whole volumes (lr 1e-3, last 50 at 3e-4). Half of each batch is smoothed with a
[1/4 1/2 1/4] kernel (like a 2x down-sampled high-resolution scan). A 1x1x1 convolution on `block4`, trained to predict
the lesion mask pooled to 12^3 (BCE + soft Dice), provides a dense signal during training only; it is not exported.
{s["seconds"]["classifier"]} s on 2 CPU threads.

## Accuracy (held-out phantoms)
- {N_TEST} phantoms rendered at 48^3: accuracy **{c["test_accuracy"]:.3f}** (smoothed: {c["test_accuracy_blurred"]:.3f})
- {N_TEST_HIRES} phantoms rendered at 96 x 96 x 80 (1.5 x 1.5 x 1.8 mm) and resampled trilinearly to 48^3:
  accuracy {c["test_accuracy_highres"]:.3f}
- `samples/demo-brain.nii.gz`: p(lesion) = {_p(s["samples"]["demo-brain.nii.gz align_corners=False"]["p_lesion"])};
  `samples/demo-brain-normal.nii.gz`: p(lesion) = {_p(s["samples"]["demo-brain-normal.nii.gz align_corners=False"]["p_lesion"])}

Re-create with `/usr/bin/python3 validation/python/train_demo_models.py` (see `validation/python/README.md`).
"""
    seg = f"""# VoxelLens demo segmenter

Tiny 2-level 3D UNet that segments the bright lesion in synthetic head phantoms: logits `[batch, 2, 48, 48, 48]`,
classes `background`, `lesion` (prediction = argmax over the class axis).
{common}{_methods_md(mg["methods"], mg["layer_shapes"])}

## Architecture
`encoder1` 2 x (conv3d-BN-ReLU, 8 ch, 48^3), maxpool, `encoder2` 2 x (16 ch, 24^3), maxpool,
`bottleneck` 2 x (32 ch, 12^3), `up2` transposed conv 32->16, `decoder2` conv(32->16)-BN-ReLU on [up2, encoder2],
`up1` transposed conv 16->8, `decoder1` conv(16->8)-BN-ReLU on [up1, encoder1] (48^3), `head` 1x1x1 conv 8->2.
Fully convolutional (spatial size divisible by 4), trained and described at 48^3.
{mg["size_bytes"] // 1024} KiB, sha256 `{mg["sha256"]}`.

## Training
Seed {s["seed"]}; the same {N_TRAIN} phantoms as the classifier, Adam lr 3e-3 (1e-3 for the last 30 %),
{SEG_STEPS} steps of 8 random 32^3 crops (6 around a lesion, 2 from normal volumes), loss = cross-entropy
(class weights 1, 3) + soft Dice of the lesion class; head bias initialised to the rare-lesion prior.
{s["seconds"]["segmenter"]} s on 2 CPU threads.

## Dice (held-out phantoms, 48^3 model grid)
- {N_TEST // 2} lesion phantoms rendered at 48^3: mean Dice **{g["test_dice"]:.3f}** (pooled {g["test_global_dice"]:.3f});
  {g["fp_voxels_normals"]} false-positive voxels in total on {N_TEST // 2} normal phantoms
- {N_TEST_HIRES // 2} lesion phantoms rendered at 96 x 96 x 80 and resampled: mean Dice {g["test_dice_highres"]:.3f}
- `samples/demo-brain.nii.gz` resampled to 48^3: Dice {g["sample_dice"]:.3f} against the resampled lesion mask

Re-create with `/usr/bin/python3 validation/python/train_demo_models.py` (see `validation/python/README.md`).
"""
    for key, text in (("demo-classifier", clf), ("demo-segmenter", seg)):
        with open(os.path.join(ROOT, "models", key, "README.md"), "w") as f:
            f.write(text)


def write_samples_readme(s):
    sm = s["samples"]
    aff = np.array(sm["affine_ras"])
    rows = "\n".join("    [" + ", ".join(f"{v:9.4f}" for v in r) + "]" for r in aff)
    text = f"""# Bundled sample volumes

Synthetic head phantoms made by `validation/python/train_demo_models.py` (`validation/python/phantom.py`).
**No patient data.** For trying VoxelLens and for tests; not for clinical use.

| file | content |
|---|---|
| `demo-brain.nii.gz` | phantom with a lesion (radius ~7 mm) in the right hemisphere, anterior, upper part; int16 with `scl_slope` = 2, `scl_inter` = -100 (values ~0-1300, "MR units") |
| `demo-brain-normal.nii.gz` | the same phantom (same anatomy and noise) without the lesion; same storage |
| `demo-brain_lesion-mask.nii.gz` | lesion mask of `demo-brain.nii.gz`, uint8 0/1 |

All three share the grid: {sm["dims_xyz"][0]} x {sm["dims_xyz"][1]} x {sm["dims_xyz"][2]} voxels (i, j, k),
spacing {sm["spacing_xyz"][0]} x {sm["spacing_xyz"][1]} x {sm["spacing_xyz"][2]} mm, i.e. a 144 mm cube (the same field of
view as the 48^3 training phantoms at 3 mm). Voxel-to-RAS affine (sform code 2 and qform code 1, identical):

```
{rows}
```

The direction cosines are rotated 8 degrees about the left-right (i) axis, and the grid centre is at RAS
({", ".join(f"{v:.1f}" for v in sm["center_ras"])}) mm. Voxel axes and anatomy: i runs to the patient's right, j to
anterior, k to superior (before the 8-degree tilt). The phantom can be told apart from its mirror images on every axis:
the right lateral ventricle is larger than the left one and a bright fiducial marker sits on the right temple (i), the eyes
are anterior and the cerebellum is posterior (j), the neck is inferior (k). The lesion centre is at
({", ".join(f"{v:.0f}" for v in sm["lesion_center_mm_xyz"])}) mm from the grid centre along (i, j, k);
{sm["lesion_voxels"]} mask voxels.

Resampled onto the 48^3 model grid (same direction cosines, centred, spacing = extent / 48 = 3 mm; trilinear),
z-scored and given to the demo models:
- demo classifier: p(lesion) = {_p(sm["demo-brain.nii.gz align_corners=False"]["p_lesion"])} for `demo-brain.nii.gz`,
  {_p(sm["demo-brain-normal.nii.gz align_corners=False"]["p_lesion"])} for `demo-brain-normal.nii.gz`;
- demo segmenter: {sm["demo-brain.nii.gz align_corners=False"]["segmented_voxels"]} lesion voxels at 48^3
  (Dice {s["segmenter"]["sample_dice"]:.3f}), {sm["demo-brain-normal.nii.gz align_corners=False"]["segmented_voxels"]}
  for the normal volume.
"""
    with open(os.path.join(ROOT, "samples", "README.md"), "w") as f:
        f.write(text)


# ----------------------------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--references-only", action="store_true", help="only run make_references.py on saved models")
    ap.add_argument("--no-references", action="store_true")
    ap.add_argument("--docs-only", action="store_true",
                    help="only rewrite the model and sample READMEs from training_summary.json")
    args = ap.parse_args()
    import make_references
    if args.references_only:
        make_references.main([])
        return
    if args.docs_only:
        with open(os.path.join(HERE, "training_summary.json")) as f:
            summary = json.load(f)
        write_model_readmes(summary)
        write_samples_readme(summary)
        return

    try:
        torch.use_deterministic_algorithms(True)
    except Exception:  # pragma: no cover
        pass
    t_start = time.time()
    logf = open(os.path.join(HERE, "training_log.txt"), "w")

    def log(s):
        print(s, flush=True)
        logf.write(s + "\n")

    log(f"torch {torch.__version__}, numpy {np.__version__}, threads {torch.get_num_threads()}, seed {SEED}")
    t0 = time.time()
    xtr, mtr, ytr = make_set(N_TRAIN, SEED + 10)
    xte, mte, yte = make_set(N_TEST, SEED + 20)
    xhi, mhi, yhi = make_set(N_TEST_HIRES, SEED + 30, SAMPLE_SHAPE_ZYX)
    xtr, xte, xhi = torch.from_numpy(xtr), torch.from_numpy(xte), to_model_grid(torch.from_numpy(xhi))
    mtr, mte, mhi = torch.from_numpy(mtr).long(), torch.from_numpy(mte).long(), torch.from_numpy(mhi).long()
    ytr, yte, yhi = torch.from_numpy(ytr), torch.from_numpy(yte), torch.from_numpy(yhi)
    t_data = time.time() - t0
    log(f"data: {N_TRAIN} train, {N_TEST} test (48^3), {N_TEST_HIRES} test rendered at "
        f"{SAMPLE_SHAPE_ZYX[::-1]} and resampled; {t_data:.0f} s")

    # ---------------- classifier
    t0 = time.time()
    clf, clf_hist = train_classifier(xtr, mtr, ytr, xte, yte, log)
    t_clf = time.time() - t0
    acc, _ = evaluate_classifier(clf, xte, yte)
    acc_blur, _ = evaluate_classifier(clf, blur(xte), yte)
    acc_hi, _ = evaluate_classifier(clf, xhi, yhi)
    log(f"classifier: test accuracy {acc:.3f} (n={N_TEST}), blurred {acc_blur:.3f}, "
        f"high-res resampled {acc_hi:.3f} (n={N_TEST_HIRES}); {t_clf:.0f} s")

    # ---------------- segmenter
    t0 = time.time()
    seg, seg_hist = train_segmenter(xtr, mtr, ytr, xte, mte, log)
    t_seg = time.time() - t0
    dice, gdice, fp = evaluate_segmenter(seg, xte, mte)
    dice_hi, gdice_hi, fp_hi = evaluate_segmenter(seg, xhi, mhi)
    log(f"segmenter: test Dice {dice:.3f} (global {gdice:.3f}, n={N_TEST // 2} lesion volumes; FP voxels on "
        f"{N_TEST // 2} normals: {fp}); high-res resampled Dice {dice_hi:.3f} (global {gdice_hi:.3f}); {t_seg:.0f} s")

    # ---------------- samples
    log("samples:")
    img, img_n, mask, aff, sprm, sfov = make_samples(log)
    p_sample = {}
    for fname in ("demo-brain.nii.gz", "demo-brain-normal.nii.gz"):
        for ac in (False, True):
            x = zscore_t(reload_sample_model_grid(os.path.join(ROOT, "samples", fname), ac))
            with torch.no_grad():
                p = float(torch.softmax(clf(x), 1)[0, 1])
                segv = int(seg(x).argmax(1).sum())
            p_sample[f"{fname} align_corners={ac}"] = dict(p_lesion=p, segmented_voxels=segv)
            log(f"  {fname} -> 48^3 (trilinear, align_corners={ac}): p(lesion) = {p:.4f}, "
                f"segmenter lesion voxels = {segv}")
    xs = zscore_t(reload_sample_model_grid(os.path.join(ROOT, "samples", "demo-brain.nii.gz")))
    ms = F.interpolate(torch.from_numpy(mask.astype(np.float32))[None, None], size=(SIZE,) * 3,
                       mode="trilinear", align_corners=False)[0, 0] > 0.5
    with torch.no_grad():
        ps = seg(xs).argmax(1)[0].bool()
    sample_dice = float(2 * (ps & ms).sum() / (ps.sum() + ms.sum()))
    log(f"  segmenter Dice on the sample (model grid): {sample_dice:.3f}")

    # ---------------- export
    log("export:")
    xchk = zscore_t(xte[1:3])
    out = {}
    for key, model, layers, default, kind, title, desc, tags in (
        ("demo-classifier", clf, ["block3", "block4"], "block3", "classification", "VoxelLens demo classifier",
         "Tiny 3D CNN that tells synthetic head phantoms with a bright lesion from normal ones "
         "(demo for volumetric explanations; not for clinical use).",
         ["3d", "classification", "explainability", "demo"]),
        ("demo-segmenter", seg, ["bottleneck", "decoder1"], "bottleneck", "segmentation",
         "VoxelLens demo segmenter",
         "Tiny 2-level 3D UNet that segments the bright lesion in synthetic head phantoms "
         "(demo for volumetric explanations; not for clinical use).",
         ["3d", "segmentation", "unet", "explainability", "demo"])):
        d = os.path.join(ROOT, "models", key)
        os.makedirs(d, exist_ok=True)
        pt = os.path.join(d, "model.pt")
        shapes, methods = export(model, pt, xchk, layers, log)
        shapes1 = {n: [1] + s[1:] for n, s in shapes.items()}
        if kind == "classification":
            training = dict(seed=SEED, train_volumes=N_TRAIN, steps=[CLF_CROP_STEPS, CLF_FULL_STEPS], test_volumes=N_TEST,
                            test_accuracy=round(acc, 4), test_accuracy_highres_resampled=round(acc_hi, 4))
        else:
            training = dict(seed=SEED, train_volumes=N_TRAIN, steps=SEG_STEPS, crop=CROP,
                            test_volumes=N_TEST, test_dice=round(dice, 4), test_global_dice=round(gdice, 4),
                            test_dice_highres_resampled=round(dice_hi, 4))
        write_yaml(os.path.join(d, "rdf.yaml"), rdf(kind, title, desc, tags, pt, layers, shapes1, default, training))
        out[key] = dict(methods=methods, layer_shapes=shapes1, size_bytes=os.path.getsize(pt),
                        sha256=sha256(pt))
        log(f"  {key}: {os.path.getsize(pt) / 1024:.0f} KiB, methods {methods}")

    summary = dict(
        torch=torch.__version__, seed=SEED, threads=torch.get_num_threads(),
        seconds=dict(data=round(t_data), classifier=round(t_clf), segmenter=round(t_seg)),
        classifier=dict(test_accuracy=acc, test_accuracy_blurred=acc_blur, test_accuracy_highres=acc_hi,
                        history=clf_hist),
        segmenter=dict(test_dice=dice, test_global_dice=gdice, fp_voxels_normals=fp, test_dice_highres=dice_hi,
                       test_global_dice_highres=gdice_hi, sample_dice=sample_dice, history=seg_hist),
        samples=dict(p_sample, affine_ras=aff.tolist(),
                     center_ras=(aff[:3, :3] @ ((np.array(SAMPLE_SHAPE_ZYX[::-1]) - 1) / 2.0) + aff[:3, 3]).tolist(), dims_xyz=list(SAMPLE_SHAPE_ZYX[::-1]),
                     spacing_xyz=list(SAMPLE_SPACING_XYZ), lesion_center_mm_xyz=list(SAMPLE_LESION_CENTER_XYZ),
                     lesion_voxels=int(mask.sum())),
        models=out)

    if not args.no_references:
        t0 = time.time()
        make_references.main([])
        summary["seconds"]["references"] = round(time.time() - t0)
    summary["seconds"]["total"] = round(time.time() - t_start)
    write_model_readmes(summary)
    write_samples_readme(summary)
    with open(os.path.join(HERE, "training_summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    log(f"total {time.time() - t_start:.0f} s")
    logf.close()


if __name__ == "__main__":
    main()
