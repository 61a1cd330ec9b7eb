#!/usr/bin/python3
"""Independent PyTorch reference outputs for the Java explanation code.

    /usr/bin/python3 validation/python/make_references.py [--models demo-classifier demo-segmenter]

Loads models/<name>/model.pt (TorchScript, as the Java side does) and writes
validation/src/test/resources/reference/<name>/:
  manifest.json  every array (file, shape in bczyx order, dtype, description) and the parameters used;
  *.f32          raw little-endian float32, C order (x fastest);   *.u8  raw uint8, C order.

Definitions (all float32, model in eval mode):
  input     a fixed phantom with a lesion rendered on the 48^3 model grid, z-scored per sample:
            (a - mean) / (std + 1e-6), population std over all voxels (computed in float64, stored as float32).
  score     classifier: logit of class 1 ("lesion").
            segmenter:  sum of class-1 logits over the voxels where argmax over classes == 1 in the unperturbed
                        prediction for `input` (target_mask, fixed: no gradient through it, also used for the
                        perturbed inputs of IG and SmoothGrad); grad_channel uses the sum over all voxels.
  grad      d score / d input.
  IG        zero baseline, n steps, midpoint rule: alpha_k = (k + 0.5) / n,
            IG = (x - b) * mean_k grad(b + alpha_k (x - b)).
  SmoothGrad noise = sigma * N(0, 1) from torch.Generator().manual_seed(NOISE_SEED), shape [S,1,48,48,48],
            sigma = 0.15 * (max(input) - min(input)); g_s = grad at input + noise_s;
            smoothgrad = mean g_s, smoothgrad_sq = mean g_s^2, vargrad = mean g_s^2 - (mean g_s)^2.
  Grad-CAM  A = activations_<L>(x), G = d score / d probe of forward_probe_<L>(x, 0);
            w_c = mean_spatial G; cam = relu(sum_c w_c A_c)                                   -> gradcam_<L>_raw
  Grad-CAM++ (pytorch-grad-cam) g2 = G^2, g3 = G^3, sumA_c = sum_spatial A_c,
            alpha = g2 / (2 g2 + sumA * g3 + 1e-7), alpha = 0 where G == 0,
            w_c = sum_spatial(alpha * relu(G)); cam = relu(sum_c w_c A_c)                     -> gradcampp_<L>_raw
            upsampled: F.interpolate(cam, size=(48,48,48), mode="trilinear", align_corners=False), no normalisation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import phantom as ph  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "validation", "src", "test", "resources", "reference")
SIZE = 48
FOV = 144.0
INPUT_SEED = 4242
NOISE_SEED = 1234
IG_STEPS = 16
SG_SAMPLES = 3
SG_SIGMA_FRACTION = 0.15
CAM_EPS = 1e-7
ZSCORE_EPS = 1e-6

torch.set_num_threads(2)


def phantom_input(seed):
    """Lesion phantom on the model grid; returns (z-scored float32 [1,1,48,48,48], lesion mask uint8, prm)."""
    rng = np.random.default_rng(seed)
    prm = ph.sample_params(rng, True)
    img, mask = ph.render(prm, (SIZE,) * 3, FOV, rng)
    a = img.astype(np.float64)
    z = ((a - a.mean()) / (a.std() + ZSCORE_EPS)).astype(np.float32)
    return torch.from_numpy(z)[None, None].contiguous(), mask, prm


def reference_input(tries=50):
    """The first phantom seed from INPUT_SEED on whose lesion both demo models do well (classifier p(lesion) >= 0.95,
    segmenter Dice >= 0.75), so that the reference explanations show a detected lesion. Returns (x, mask, prm, info).
    """
    clf = torch.jit.load(os.path.join(ROOT, "models", "demo-classifier", "model.pt")).eval()
    seg = torch.jit.load(os.path.join(ROOT, "models", "demo-segmenter", "model.pt")).eval()
    for seed in range(INPUT_SEED, INPUT_SEED + tries):
        x, mask, prm = phantom_input(seed)
        with torch.no_grad():
            p = float(torch.softmax(clf(x), 1)[0, 1])
            pred = seg(x).argmax(1)[0].numpy().astype(bool)
        m = mask.astype(bool)
        dice = float(2 * (pred & m).sum() / (pred.sum() + m.sum()))
        if p >= 0.95 and dice >= 0.75:
            return x, mask, prm, dict(phantom_seed=seed, first_seed_tried=INPUT_SEED, classifier_p_lesion=p,
                                      segmenter_dice=dice)
    raise RuntimeError("no phantom seed with a well-detected lesion; are the models trained?")


class Writer:
    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        for f in os.listdir(folder):
            if f.endswith((".f32", ".u8")) or f == "manifest.json":
                os.remove(os.path.join(folder, f))
        self.arrays = {}

    def add(self, key, t, description, dtype="float32"):
        a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
        ext = ".f32" if dtype == "float32" else ".u8"
        a = np.ascontiguousarray(a.astype("<f4" if dtype == "float32" else np.uint8))
        fname = key + ext
        a.tofile(os.path.join(self.folder, fname))
        self.arrays[key] = dict(file=fname, shape=list(a.shape), dtype=dtype, description=description)

    def alias(self, key, other, description):
        e = dict(self.arrays[other])
        e["description"] = description
        self.arrays[key] = e


def grad_of(model, method, x, score_fn, *extra):
    """Per-sample d score / d x for a batch (gradient of the batch sum of scores)."""
    xin = x.detach().clone().requires_grad_(True)
    out = getattr(model, method)(xin, *extra)
    score_fn(out).sum().backward()
    return xin.grad.detach(), out.detach()


def cams(A, G):
    w = G.mean(dim=(2, 3, 4), keepdim=True)
    cam = torch.relu((w * A).sum(dim=1, keepdim=True))
    g2 = G * G
    g3 = g2 * G
    sum_a = A.sum(dim=(2, 3, 4), keepdim=True)
    alpha = g2 / (2 * g2 + sum_a * g3 + CAM_EPS)
    alpha = torch.where(G != 0, alpha, torch.zeros_like(alpha))
    wpp = (alpha * torch.relu(G)).sum(dim=(2, 3, 4), keepdim=True)
    campp = torch.relu((wpp * A).sum(dim=1, keepdim=True))
    return cam, campp


def upsample(cam):
    return F.interpolate(cam, size=(SIZE,) * 3, mode="trilinear", align_corners=False)


def make(name, x, lesion_mask, prm, choice, log=print):
    mdir = os.path.join(ROOT, "models", name)
    pt = os.path.join(mdir, "model.pt")
    with open(os.path.join(mdir, "rdf.yaml")) as f:
        cfg = yaml.safe_load(f)["config"]["voxellens"]
    task = cfg["task"]
    layers = [g["name"] for g in cfg["gradcam_layers"]]
    default_layer = cfg["default_gradcam_layer"]
    model = torch.jit.load(pt)
    model.eval()
    w = Writer(os.path.join(OUT, name))

    w.add("input", x, "model input: phantom with lesion on the 48^3 model grid, z-scored per sample")
    w.add("input_lesion_mask", lesion_mask[None, None],
          "ground-truth lesion mask of the input phantom (uint8 0/1, not a model output)", dtype="uint8")
    with torch.no_grad():
        logits = model(x)
    w.add("logits", logits, "forward(input)")
    params = {}

    if task == "classification":
        target = 1
        score_fn = lambda out: out[:, target]  # noqa: E731
        score_desc = "logit of class 1 (lesion)"
        params["probabilities"] = torch.softmax(logits, 1)[0].tolist()
    else:
        target = 1
        tmask = (logits.argmax(dim=1, keepdim=True) == target).float()
        score_fn = lambda out: (out[:, target:target + 1] * tmask).sum(dim=(1, 2, 3, 4))  # noqa: E731
        score_desc = ("sum of class-1 logits over target_mask = (argmax_c logits(input) == 1), mask fixed "
                      "(also for the perturbed inputs of IG / SmoothGrad)")
        w.add("target_mask", tmask, "argmax over classes == 1 for the unperturbed input (0/1), shape [1,1,z,y,x]")
        params["target_mask_voxels"] = int(tmask.sum())
        les = torch.from_numpy(lesion_mask.astype(bool))
        pm = tmask[0, 0].bool()
        params["target_mask_dice_vs_ground_truth"] = float(2 * (pm & les).sum() / (pm.sum() + les.sum()))
        g_ch, _ = grad_of(model, "forward", x, lambda out: out[:, target].sum(dim=(1, 2, 3)))
        w.add("grad_channel", g_ch, "d/d input of the sum of class-1 logits over ALL voxels")

    g, _ = grad_of(model, "forward", x, score_fn)
    w.add("grad", g, "d score / d input (saliency = |grad|, input x gradient = input * grad)")
    with torch.no_grad():
        f_x = float(score_fn(model(x))[0])

    # Integrated Gradients, zero baseline
    base = torch.zeros_like(x)
    alphas = (torch.arange(IG_STEPS, dtype=torch.float32) + 0.5) / IG_STEPS
    path = base + alphas.view(-1, 1, 1, 1, 1) * (x - base)
    gp, _ = grad_of(model, "forward", path, score_fn)
    ig = (x - base) * gp.mean(dim=0, keepdim=True)
    with torch.no_grad():
        f_b = float(score_fn(model(base))[0])
    w.add(f"ig_zero_{IG_STEPS}", ig, f"Integrated Gradients, zero baseline, {IG_STEPS} steps, midpoint rule")
    params["integrated_gradients"] = dict(
        baseline="zeros", steps=IG_STEPS, rule="midpoint", alphas=alphas.tolist(), f_x=f_x, f_baseline=f_b,
        f_x_minus_f_baseline=f_x - f_b, sum_ig=float(ig.double().sum()),
        completeness_relative_error=abs(float(ig.double().sum()) - (f_x - f_b)) / max(abs(f_x - f_b), 1e-12))

    # SmoothGrad / VarGrad
    sigma = SG_SIGMA_FRACTION * float(x.max() - x.min())
    gen = torch.Generator().manual_seed(NOISE_SEED)
    noise = sigma * torch.randn((SG_SAMPLES, 1, SIZE, SIZE, SIZE), generator=gen)
    gs, _ = grad_of(model, "forward", x + noise, score_fn)
    sg = gs.mean(dim=0, keepdim=True)
    sq = (gs * gs).mean(dim=0, keepdim=True)
    w.add("noise", noise, f"SmoothGrad noise = sigma * N(0,1), sigma = {SG_SIGMA_FRACTION} * (max - min) of input")
    w.add("smoothgrad", sg, "mean_s grad(input + noise_s)")
    w.add("smoothgrad_sq", sq, "mean_s grad(input + noise_s)^2")
    w.add("vargrad", sq - sg * sg, "mean_s g_s^2 - (mean_s g_s)^2 (population variance)")
    params["smoothgrad"] = dict(samples=SG_SAMPLES, sigma_fraction=SG_SIGMA_FRACTION, sigma=sigma,
                                noise="sigma * torch.randn(shape, generator=torch.Generator().manual_seed(seed))",
                                noise_seed=NOISE_SEED)

    # Grad-CAM / Grad-CAM++ per layer
    params["gradcam"] = dict(layers=layers, default_layer=default_layer, gradcampp_eps=CAM_EPS,
                             upsampling="F.interpolate(cam, size=input spatial size, mode='trilinear', "
                                        "align_corners=False)", normalisation="none", per_layer={})
    for L in layers:
        with torch.no_grad():
            A = getattr(model, "activations_" + L)(x)
        probe = torch.zeros_like(A, requires_grad=True)
        out = getattr(model, "forward_probe_" + L)(x, probe)
        score_fn(out).sum().backward()
        G = probe.grad.detach()
        cam, campp = cams(A, G)
        full = tuple(A.shape[2:]) == (SIZE,) * 3
        small = A.numel() <= 200_000
        info = dict(shape=list(A.shape), activations_written=small, probe_method="forward_probe_" + L,
                    activation_method="activations_" + L)
        if small:
            w.add(f"activations_{L}", A, f"activations_{L}(input)")
            w.add(f"layergrad_{L}", G, f"d score / d (layer {L} output), via forward_probe_{L} with a zero probe")
        if full:
            w.add(f"gradcam_{L}", cam, f"Grad-CAM at {L} (layer already at input size: raw == upsampled)")
            w.alias(f"gradcam_{L}_raw", f"gradcam_{L}", f"Grad-CAM at {L}, layer resolution (same file)")
            w.add(f"gradcampp_{L}", campp, f"Grad-CAM++ at {L} (layer already at input size: raw == upsampled)")
            w.alias(f"gradcampp_{L}_raw", f"gradcampp_{L}", f"Grad-CAM++ at {L}, layer resolution (same file)")
        else:
            w.add(f"gradcam_{L}_raw", cam, f"Grad-CAM at {L}, layer resolution")
            w.add(f"gradcampp_{L}_raw", campp, f"Grad-CAM++ at {L}, layer resolution")
            if L == default_layer:
                w.add(f"gradcam_{L}", upsample(cam), f"Grad-CAM at {L}, trilinear to input size")
                w.add(f"gradcampp_{L}", upsample(campp), f"Grad-CAM++ at {L}, trilinear to input size")
        info["upsampled_written"] = full or L == default_layer
        info["cam_max"] = float(cam.max())
        info["campp_max"] = float(campp.max())
        # where does the (upsampled) Grad-CAM peak, compared with the true lesion
        up = upsample(cam)[0, 0]
        info["cam_argmax_zyx"] = [int(v) for v in np.unravel_index(int(up.argmax()), up.shape)]
        info["cam_argmax_in_lesion"] = bool(lesion_mask[tuple(info["cam_argmax_zyx"])])
        params["gradcam"]["per_layer"][L] = info

    zz, yy, xx = np.nonzero(lesion_mask)
    manifest = dict(
        model=name, model_file=f"models/{name}/model.pt",
        model_sha256=hashlib.sha256(open(pt, "rb").read()).hexdigest(),
        torch_version=torch.__version__, task=task, layout="bczyx, C order (x fastest), little-endian",
        target_class_index=target, score=score_desc, score_value=f_x,
        input=dict(choice, grid_zyx=[SIZE] * 3, fov_mm=FOV,
                   generator="make_references.phantom_input(seed): numpy default_rng(seed), sample_params(rng, True), "
                             "render(prm, (48, 48, 48), 144.0, rng)",
                   preprocessing="(a - mean) / (std + 1e-6), population std over all voxels, per sample",
                   min=float(x.min()), max=float(x.max()),
                   lesion_center_voxel_zyx=[float(zz.mean()), float(yy.mean()), float(xx.mean())],
                   lesion_radius_mm=float(prm["lesion"]["radius"]), lesion_voxels=int(lesion_mask.sum())),
        parameters=params,
        arrays=w.arrays)
    with open(os.path.join(w.folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    total = sum(os.path.getsize(os.path.join(w.folder, f)) for f in os.listdir(w.folder))
    log(f"  reference/{name}: {len(os.listdir(w.folder))} files, {total / 1e6:.2f} MB; score {f_x:.4f}; "
        f"IG completeness rel. error {params['integrated_gradients']['completeness_relative_error']:.2e}")
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["demo-classifier", "demo-segmenter"])
    args = ap.parse_args(argv)
    x, mask, prm, choice = reference_input()
    print(f"references: input phantom seed {choice['phantom_seed']} (classifier p(lesion) "
          f"{choice['classifier_p_lesion']:.4f}, segmenter Dice {choice['segmenter_dice']:.3f})")
    for name in args.models:
        make(name, x, mask, prm, choice)


if __name__ == "__main__":
    main()
