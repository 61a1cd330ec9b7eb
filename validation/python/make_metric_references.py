#!/usr/bin/python3
"""Independent PyTorch references for the Java explanation metrics (org.voxellens.xai.metrics).

    /usr/bin/python3 validation/python/make_metric_references.py [--models demo-classifier] [--models-root models]

Loads <models-root>/<name>/model.pt (TorchScript) and the reference input of make_references.py (the z-scored lesion
phantom, recomputed here; its sha256 is recorded so the Java test can check it reads the same input), and writes
validation/src/test/resources/metric-reference/<name>/:
  manifest.json   parameters, the fixed perturbations that are small enough to inline (patch corners), and every
                  expected number;
  *.f32 / *.u8    raw little-endian float32 / uint8 arrays, C order (x fastest), as make_references.py.

Score f = logit of class 1 ("lesion"), model in eval mode, float32. grad = d f / d input.
  infidelity   (Yeh et al. 2019; Captum's infidelity): a_k = sum_i P_k,i * phi_i, delta_k = f(x) - f(x - I_k),
               INFD = mean_k (a_k - delta_k)^2; normalised: beta = sum a delta / sum a^2, mean (beta a - delta)^2.
               P = I for saliency (|grad|); P = I / where(x != 0, x, 1) for input x gradient (x * grad)
               (Captum's multiply_by_inputs). Perturbations:
                 gaussian: I_k = noise_infidelity[k], sigma * N(0,1), sigma = 0.1 * (max - min) of x;
                 patches:  x - I_k = x with PATCH_COUNT cubes of PATCH_SIZE^3 voxels set to 0, corners (z, y, x)
                           drawn with numpy's default_rng(PATCH_SEED), recorded in the manifest.
  sensitivity  (Yeh et al.; Captum's sensitivity_max, Frobenius): points x + delta_k, delta_k = sens_delta[k]
               uniform in [-r, r), r = SENS_RADIUS_FRACTION * (max - min) of x; phi = |grad| (saliency);
               s_k = ||phi(x + delta_k) - phi(x)|| / ||phi(x)||, max over k.
  deletion / insertion (Petsiuk et al. 2018): map = |grad|, order = argsort(-map, kind="stable");
               step k = 0..K: n_k = floor(k * V / K) first voxels set to 0 (deletion, from x) or copied from x into
               zeros (insertion); curves of f; AUC = trapezoid on k / K.
  localisation on the map grad (stored) and the phantom's ground-truth lesion mask (stored):
               relevance R = |grad| ("absolute") or max(grad, 0) ("positive");
               mass accuracy sum_M R / sum R; rank accuracy |top-|M| by R in M| / |M|; pointing game: argmax R in M,
               or within Euclidean distance t voxels of M; AUROC = Mann-Whitney U / (|M| |not M|) (scipy);
               top-k IoU with the ceil(k V) highest-R voxels. Rankings: np.argsort(-R, kind="stable").
  map statistics (randomisation check): Spearman (scipy.stats.spearmanr) and 3D SSIM (uniform 7^3 window,
               data range 1, K1 0.01, K2 0.03, sample covariance, mean over interior positions: skimage's
               structural_similarity, written out here) of a = |grad| / max and b = |x * grad| / max.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np
import scipy.ndimage as ndi
import scipy.stats as st
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_references as mr  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "validation", "src", "test", "resources", "metric-reference")
TARGET = 1
INF_N = 4
INF_SIGMA_FRACTION = 0.1
INF_NOISE_SEED = 777
PATCH_SIZE = 8
PATCH_COUNT = 4
PATCH_SEED = 778
SENS_N = 3
SENS_RADIUS_FRACTION = 0.02
SENS_SEED = 779
DEL_STEPS = 8
TOP_FRACTION = 0.05
POINTING_TOLERANCE = 2.0
SSIM_WINDOW = 7

torch.set_num_threads(2)


def score(model, x):
    with torch.no_grad():
        return model(x)[:, TARGET].double()


def grad(model, x):
    xin = x.detach().clone().requires_grad_(True)
    model(xin)[:, TARGET].sum().backward()
    return xin.grad.detach()


def infidelity(a, delta):
    a, delta = np.asarray(a, np.float64), np.asarray(delta, np.float64)
    plain = float(np.mean((a - delta) ** 2))
    saa = float(np.sum(a * a))
    beta = float(np.sum(a * delta) / saa) if saa != 0 else 0.0
    return dict(attribution_dot_perturbation=a.tolist(), score_differences=delta.tolist(), infidelity=plain,
                infidelity_normalised=float(np.mean((beta * a - delta) ** 2)), beta=beta)


def ssim3d(a, b, win=SSIM_WINDOW, data_range=1.0):
    a, b = a.astype(np.float64), b.astype(np.float64)
    f = lambda v: ndi.uniform_filter(v, size=win, mode="reflect")  # noqa: E731
    ux, uy, uxx, uyy, uxy = f(a), f(b), f(a * a), f(b * b), f(a * b)
    n = win ** 3
    cov = n / (n - 1)
    vx, vy, vxy = cov * (uxx - ux * ux), cov * (uyy - uy * uy), cov * (uxy - ux * uy)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    p = (win - 1) // 2
    return float(s[p:-p, p:-p, p:-p].mean())


def localisation(r, mask, tol):
    r = r.astype(np.float32).ravel()
    m = mask.ravel() != 0
    order = np.argsort(-r, kind="stable")
    n_in = int(m.sum())
    top = int(math.ceil(TOP_FRACTION * r.size - 1e-9))
    inter = int(m[order[:top]].sum())
    peak = int(np.argmax(r))
    zz, yy, xx = np.nonzero(mask)
    pz, py, px = np.unravel_index(peak, mask.shape)
    dist = np.sqrt((zz - pz) ** 2 + (yy - py) ** 2 + (xx - px) ** 2).min()
    u = st.mannwhitneyu(r[m], r[~m], alternative="two-sided").statistic
    return dict(relevance_mass_accuracy=float(r[m].astype(np.float64).sum() / r.astype(np.float64).sum()),
                relevance_rank_accuracy=float(m[order[:n_in]].sum() / n_in),
                pointing_game_hit=bool(m[peak]), pointing_game_hit_tolerance=bool(dist <= tol), peak_voxel=peak,
                auroc=float(u / (n_in * (r.size - n_in))), top_k_iou=inter / (top + n_in - inter), top_k_voxels=top,
                mask_voxels=n_in)


def make(name, models_root, log=print):
    pt = os.path.join(models_root, name, "model.pt")
    model = torch.jit.load(pt)
    model.eval()
    x, lesion_mask = mr.reference_input()[:2]
    x = x.contiguous()
    w = mr.Writer(os.path.join(OUT, name))
    V = x.numel()
    rng_range = float(x.max() - x.min())
    g = grad(model, x)
    f_x = float(score(model, x)[0])
    sal = g.abs()
    ixg = x * g
    out = dict(score_input=f_x)

    # infidelity, gaussian
    sigma = INF_SIGMA_FRACTION * rng_range
    gen = torch.Generator().manual_seed(INF_NOISE_SEED)
    noise = sigma * torch.randn((INF_N,) + tuple(x.shape[1:]), generator=gen)
    w.add("noise_infidelity", noise, "infidelity perturbations I_k (perturbed input x - I_k)")
    safe_x = torch.where(x != 0, x, torch.ones_like(x))
    f_pert = score(model, x - noise)
    delta = (f_x - f_pert).numpy()
    out["infidelity_gaussian"] = {
        "saliency": infidelity([float((noise[k].double() * sal[0].double()).sum()) for k in range(INF_N)], delta),
        "inputxgrad": infidelity([float(((noise[k] / safe_x[0]).double() * ixg[0].double()).sum()) for k in range(INF_N)],
                                 delta)}

    # infidelity, patches
    prng = np.random.default_rng(PATCH_SEED)
    dims = x.shape[2:]
    corners = prng.integers(0, [d - PATCH_SIZE + 1 for d in dims], size=(INF_N, PATCH_COUNT, 3)).tolist()
    pert = x.repeat(INF_N, 1, 1, 1, 1)
    for k in range(INF_N):
        for z, y, xx in corners[k]:
            pert[k, :, z:z + PATCH_SIZE, y:y + PATCH_SIZE, xx:xx + PATCH_SIZE] = 0
    I = x - pert
    delta = (f_x - score(model, pert)).numpy()
    out["infidelity_patches"] = {
        "saliency": infidelity([float((I[k].double() * sal[0].double()).sum()) for k in range(INF_N)], delta),
        "inputxgrad": infidelity([float(((I[k] / safe_x[0]).double() * ixg[0].double()).sum()) for k in range(INF_N)],
                                 delta)}

    # sensitivity-max of saliency
    radius = SENS_RADIUS_FRACTION * rng_range
    gen = torch.Generator().manual_seed(SENS_SEED)
    dl = (2 * torch.rand((SENS_N,) + tuple(x.shape[1:]), generator=gen) - 1) * radius
    w.add("sens_delta", dl, "sensitivity sample points are input + sens_delta[k] (uniform in [-r, r))")
    n0 = float(sal.double().norm())
    sens = []
    for k in range(SENS_N):
        sk = grad(model, x + dl[k:k + 1]).abs()
        sens.append(float((sk.double() - sal.double()).norm()) / n0)
    out["sensitivity_saliency"] = dict(sensitivities=sens, sensitivity_max=max(sens), map_norm=n0, radius=radius)

    # deletion / insertion on |grad|
    order = np.argsort(-sal.numpy().ravel(), kind="stable")
    xs = x.reshape(-1)
    dels, ins = [], []
    for k in range(DEL_STEPS + 1):
        n = k * V // DEL_STEPS
        idx = torch.from_numpy(order[:n].copy())
        d = xs.clone()
        d[idx] = 0
        i = torch.zeros_like(xs)
        i[idx] = xs[idx]
        dels.append(d.reshape(x.shape))
        ins.append(i.reshape(x.shape))
    dc = score(model, torch.cat(dels)).numpy()
    ic = score(model, torch.cat(ins)).numpy()
    auc = lambda c: float(((c[1:] + c[:-1]) / 2).sum() / (len(c) - 1))  # noqa: E731
    out["deletion_insertion_saliency"] = dict(deletion=dc.tolist(), insertion=ic.tolist(), deletion_auc=auc(dc),
                                              insertion_auc=auc(ic))

    # localisation of grad against the lesion mask
    w.add("grad", g, "d f / d input (map for deletion/insertion, localisation and the map statistics)")
    w.add("lesion_mask", lesion_mask[None, None], "ground-truth lesion mask of the phantom (uint8 0/1)", dtype="uint8")
    gn = g[0, 0].numpy()
    out["localisation_absolute"] = localisation(np.abs(gn), lesion_mask, POINTING_TOLERANCE)
    out["localisation_positive"] = localisation(np.maximum(gn, 0), lesion_mask, POINTING_TOLERANCE)

    # map statistics for the randomisation check
    a = np.abs(gn) / np.abs(gn).max()
    ix = np.abs(ixg[0, 0].numpy())
    b = ix / ix.max()
    out["map_statistics"] = dict(spearman=float(st.spearmanr(a.ravel(), b.ravel()).correlation), ssim=ssim3d(a, b),
                                 maps="a = |grad| / max, b = |input * grad| / max (float32)")

    manifest = dict(
        model=name, model_sha256=hashlib.sha256(open(pt, "rb").read()).hexdigest(),
        input_sha256=hashlib.sha256(np.ascontiguousarray(x.numpy().astype("<f4")).tobytes()).hexdigest(),
        input="make_references.reference_input() (as reference/<model>/input.f32)", torch_version=torch.__version__,
        target_class_index=TARGET,
        parameters=dict(infidelity=dict(perturbations=INF_N, sigma_fraction=INF_SIGMA_FRACTION, sigma=sigma,
                                        noise_seed=INF_NOISE_SEED, patch_size=PATCH_SIZE, patch_count=PATCH_COUNT,
                                        patch_baseline=0.0, patch_seed=PATCH_SEED, patch_corners_zyx=corners),
                        sensitivity=dict(samples=SENS_N, radius_fraction=SENS_RADIUS_FRACTION, radius=radius,
                                         seed=SENS_SEED),
                        deletion_insertion=dict(steps=DEL_STEPS, baseline=0.0, ranking="absolute"),
                        localisation=dict(top_fraction=TOP_FRACTION, pointing_tolerance=POINTING_TOLERANCE),
                        ssim=dict(window=SSIM_WINDOW, data_range=1.0)),
        expected=out, arrays=w.arrays)
    with open(os.path.join(w.folder, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)
    total = sum(os.path.getsize(os.path.join(w.folder, fn)) for fn in os.listdir(w.folder))
    log(f"  metric-reference/{name}: {len(os.listdir(w.folder))} files, {total / 1e6:.2f} MB; "
        f"infidelity(saliency, gaussian) {out['infidelity_gaussian']['saliency']['infidelity']:.4g}, "
        f"sensitivity {max(sens):.4g}, deletion AUC {auc(dc):.4g}, insertion AUC {auc(ic):.4g}")
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["demo-classifier"])
    ap.add_argument("--models-root", default=os.path.join(ROOT, "models"))
    args = ap.parse_args(argv)
    print("metric references:")
    for name in args.models:
        make(name, args.models_root)


if __name__ == "__main__":
    main()
