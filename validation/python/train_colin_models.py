#!/usr/bin/python3
"""Train the three Colin27 benchmark models and write their held-out benchmark sets (issue 4, real anatomy).

    /usr/bin/python3 validation/python/train_colin_models.py [--task region|location|seg|all] [--sets-only]

Needs Debian's mricron-data (the Colin27 template and AAL atlas, see colin27.py), torch 1.13, numpy, scipy, nibabel,
pyyaml. CPU, 1 thread, fixed seeds (the same model.pt bytes on every run). Writes
    models/colin27-region/   CoordClassifier: is a lesion centred in the deep grey matter? (distractors elsewhere)
    models/colin27-location/ CoordClassifier: is the one lesion in the left or the right hemisphere?
    models/colin27-seg/      DemoSegmenter (2-level 3D UNet): lesion segmentation
      each with model.pt (TorchScript with Grad-CAM probe methods), rdf.yaml, README.md;
    validation/src/main/resources/benchmark/colin-<task>/  12 held-out cases (manifest.json + gzip'd uint8 arrays);
    validation/python/colin_training_summary.json, colin_training_log.txt.
Training pools, test sets and benchmark sets use disjoint seeds (SEED + 10/20/40 + task offset).
"""

from __future__ import annotations

import os
import sys

# TorchScript writes some module constants in set order: fix Python's string hashing so that model.pt is byte-stable.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import train_demo_models as tdm  # noqa: E402  (export, rdf, yaml, losses, crops: one implementation)
import colin27 as cz  # noqa: E402
from make_benchmark_set import gz_write  # noqa: E402

ROOT = tdm.ROOT
SEED = 20261122
TASK_OFFSET = {"region": 0, "location": 1000, "seg": 2000}
N_POOL = {"region": 640, "location": 480, "seg": 320}
N_TEST = 120
N_CASES = 12
CLF_STEPS = {"region": 600, "location": 250}
CLF_BATCH = 12
SEG_STEPS = 160
MODEL_DIR = {t: f"colin27-{t}" for t in cz.TASKS}
SET_NAME = {t: f"colin-{t}" for t in cz.TASKS}

# One thread: on a shared 2-core machine two OpenMP threads ran 5-10x SLOWER than one (they spin-wait for each other).
torch.set_num_threads(1)


def make_pool(anat, task, n, seed, labels=None, training=True):
    """n samples: x [n,1,48,48,48] float32 (z-scored), y [n], ground truth [n,48,48,48], kinds (list of str)."""
    gen = torch.Generator().manual_seed(seed)
    xs, ys, ms, kinds = [], [], [], []
    for i in range(n):
        lab = (i % 2) if labels is None else labels[i]
        x, y, m, les = cz.draw_case(anat, task, gen, lab, training)
        xs.append(x)
        ys.append(y)
        ms.append(m)
        kinds.append("+".join(("decisive" if q["decisive"] else "distractor") for q in les) or "none")
    return (torch.from_numpy(np.stack(xs))[:, None], torch.tensor(ys, dtype=torch.long),
            torch.from_numpy(np.stack(ms)).long(), kinds)


# ---------------------------------------------------------------------------------------------------- classifiers
def evaluate_classifier(model, x, y, kinds=None):
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x[i:i + 32]) for i in range(0, len(x), 32)])
    ok = logits.argmax(1) == y
    res = dict(accuracy=float(ok.float().mean()))
    if kinds is not None:
        for k in sorted(set(kinds)):
            sel = torch.tensor([kk == k for kk in kinds])
            res[f"accuracy[{k}]"] = float(ok[sel].float().mean())
            res[f"n[{k}]"] = int(sel.sum())
    return res, logits


def train_classifier(task, pool, test, log):
    x, y, gt, _ = pool
    xt, yt, _, kt = test
    off = TASK_OFFSET[task]
    torch.manual_seed(SEED + off + 1)
    gen = torch.Generator().manual_seed(SEED + off + 2)
    model = tdm._dm.CoordClassifier()
    k = 1 if task == "region" else 2
    aux = torch.nn.Conv3d(32, k, 1)     # training only: "where is the class-deciding lesion" per class
    with torch.no_grad():
        aux.bias.fill_(-3.0)
    opt = torch.optim.Adam(list(model.parameters()) + list(aux.parameters()), lr=3e-3)
    history, window, t0 = [], [], time.time()
    steps = CLF_STEPS[task]
    for it in range(steps):
        if it in (int(steps * 0.6), int(steps * 0.85)):
            for g in opt.param_groups:
                g["lr"] = 1e-3 if it == int(steps * 0.6) else 3e-4
        model.train()
        idx = torch.randint(len(x), (CLF_BATCH,), generator=gen)
        xb, yb, mb = x[idx], y[idx], gt[idx]
        a4 = model.block4(model._to_block3(xb))
        out = model._head(a4)
        ce = F.cross_entropy(out, yb)
        al = aux(a4)
        if k == 1:
            la = tdm.aux_loss(al, mb)
        else:
            la = sum(tdm.aux_loss(al[:, c:c + 1], mb * (yb == c).long()[:, None, None, None]) for c in range(k))
        loss = ce + la
        opt.zero_grad()
        loss.backward()
        opt.step()
        window.append((float(ce), float((out.argmax(1) == yb).float().mean()), float(la)))
        if (it + 1) % 50 == 0 or it + 1 == steps:
            h = np.mean(window, axis=0)
            window = []
            rec = dict(step=it + 1, train_ce=float(h[0]), train_accuracy=float(h[1]), train_aux_loss=float(h[2]),
                       seconds=round(time.time() - t0, 1))
            if (it + 1) % 100 == 0 or it + 1 == steps:
                rec["test_accuracy"] = evaluate_classifier(model, xt, yt)[0]["accuracy"]
            history.append(rec)
            log(f"  {task} step {it + 1}/{steps}: CE {h[0]:.3f}, train acc {h[1]:.3f}, aux {h[2]:.3f}"
                + (f", test acc {rec['test_accuracy']:.3f}" if "test_accuracy" in rec else "")
                + f"  ({time.time() - t0:.0f} s)")
    model.eval()
    return model, history


# ---------------------------------------------------------------------------------------------------- segmenter
def dice_stats(model, x, gt):
    model.eval()
    dices, fp_empty = [], 0
    with torch.no_grad():
        for i in range(0, len(x), 16):
            pred = model(x[i:i + 16]).argmax(1)
            for j in range(pred.shape[0]):
                t, p = gt[i + j].bool(), pred[j].bool()
                if t.any():
                    dices.append(float(2 * (p & t).sum() / (p.sum() + t.sum())))
                else:
                    fp_empty += int(p.sum())
    return dict(mean_dice=float(np.mean(dices)), min_dice=float(np.min(dices)), n=len(dices), fp_voxels_empty=fp_empty)


def train_segmenter(pool, test, log):
    x, y, gt, _ = pool
    torch.manual_seed(SEED + TASK_OFFSET["seg"] + 1)
    gen = torch.Generator().manual_seed(SEED + TASK_OFFSET["seg"] + 2)
    model = tdm._dm.DemoSegmenter()
    with torch.no_grad():
        model.head.bias.copy_(torch.tensor([2.0, -2.0]))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    history, window, t0 = [], [], time.time()
    for it in range(SEG_STEPS):
        if it == int(SEG_STEPS * 0.7):
            for g in opt.param_groups:
                g["lr"] = 1e-3
        model.train()
        idx = torch.randint(len(x), (8,), generator=gen)
        xb, mb = tdm.random_crops(x[idx], gt[idx], gen)
        out = model(xb)
        loss = tdm.seg_loss(out, mb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        p, t = out.argmax(1).bool(), mb.bool()
        window.append((float(loss), float(2 * (p & t).sum() / (p.sum() + t.sum()).clamp(min=1))))
        if (it + 1) % 50 == 0 or it + 1 == SEG_STEPS:
            h = np.mean(window, axis=0)
            window = []
            rec = dict(step=it + 1, train_loss=float(h[0]), train_batch_dice=float(h[1]), seconds=round(time.time() - t0, 1))
            if (it + 1) % 100 == 0 or it + 1 == SEG_STEPS:
                rec["test_mean_dice"] = dice_stats(model, test[0], test[2])["mean_dice"]
            history.append(rec)
            log(f"  seg step {it + 1}/{SEG_STEPS}: loss {h[0]:.3f}, train Dice {h[1]:.3f}"
                + (f", test Dice {rec['test_mean_dice']:.3f}" if "test_mean_dice" in rec else "")
                + f"  ({time.time() - t0:.0f} s)")
    model.eval()
    return model, history


# ---------------------------------------------------------------------------------------------------- export
DESCRIPTIONS = {
    "region": ("VoxelLens Colin27 region classifier",
               "Small 3D CNN with coordinate channels: is a bright lesion centred in the deep grey matter (AAL caudate, "
               "putamen, pallidum, thalamus) of a Colin27 brain? Lesions elsewhere do not count. Benchmark model, "
               "not for clinical use.", "classification", ["block3", "block4"], "block3", "deep_grey_lesion"),
    "location": ("VoxelLens Colin27 hemisphere classifier",
                 "Small 3D CNN with coordinate channels: is the one bright lesion in a Colin27 brain in the left or the "
                 "right hemisphere? Benchmark model, not for clinical use.", "classification", ["block3", "block4"],
                 "block3", None),
    "seg": ("VoxelLens Colin27 lesion segmenter",
            "Tiny 2-level 3D UNet that segments bright lesions in a Colin27 brain. Benchmark model, not for clinical "
            "use.", "segmentation", ["bottleneck", "decoder1"], "bottleneck", "lesion"),
}


def export_model(task, model, xchk, training, log):
    title, desc, kind, layers, default, target = DESCRIPTIONS[task]
    d = os.path.join(ROOT, "models", MODEL_DIR[task])
    os.makedirs(d, exist_ok=True)
    pt = os.path.join(d, "model.pt")
    shapes, methods = tdm.export(model, pt, xchk, layers, log)
    shapes1 = {n: [1] + s[1:] for n, s in shapes.items()}
    doc = tdm.rdf(kind, title, desc, ["3d", kind, "explainability", "benchmark", "colin27"], pt, layers, shapes1,
                  default, training)
    vl = doc["config"]["voxellens"]
    vl["class_names"] = cz.CLASS_NAMES[task]
    if target is None:
        del vl["default_target"]
    else:
        vl["default_target"] = target
    # the model grid is 4 mm: explaining the template itself (ch2bet.nii.gz) reproduces the training geometry
    items = list(vl.items())
    i = [k for k, _ in items].index("input_size") + 1
    doc["config"]["voxellens"] = dict(items[:i] + [("spacing", [cz.VOXEL_MM] * 3)] + items[i:])
    tdm.write_yaml(os.path.join(d, "rdf.yaml"), doc)
    return dict(methods=methods, layer_shapes=shapes1, size_bytes=os.path.getsize(pt), sha256=tdm.sha256(pt))


# ---------------------------------------------------------------------------------------------------- benchmark sets
def quantise(x):
    """float32 -> uint8 with x ~= offset + scale * q (per case); returns q, offset, scale, and the dequantised float32."""
    lo, hi = float(x.min()), float(x.max())
    scale = (hi - lo) / 255.0
    q = np.clip(np.round((x.astype(np.float64) - lo) / scale), 0, 255).astype(np.uint8)
    deq = (lo + scale * q.astype(np.float64)).astype(np.float32)
    return q, lo, scale, deq


def aal_names():
    names = {}
    with open(f"{cz.TEMPLATES}/aal.nii.txt") as f:
        for line in f:
            p = line.split()
            if len(p) >= 2:
                names[int(p[0])] = p[1]
    return names


def write_set(anat, task, model, log):
    import nibabel as nib
    out = os.path.join(ROOT, "validation", "src", "main", "resources", "benchmark", SET_NAME[task])
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    aal = np.asarray(nib.load(f"{cz.TEMPLATES}/aal.nii.gz").dataobj)
    names = aal_names()
    gen = torch.Generator().manual_seed(SEED + TASK_OFFSET[task] + 40)
    classes = cz.CLASS_NAMES[task]
    cases = []
    for i in range(N_CASES):
        label = 1 if task != "location" else i % 2
        if task == "region":
            # half of the cases carry a distractor lesion as well (draw until the coin says so: deterministic)
            while True:
                x, y, gt, les = cz.draw_case(anat, task, gen, label, training=False)
                if (len(les) == 2) == (i % 2 == 1):
                    break
        else:
            x, y, gt, les = cz.draw_case(anat, task, gen, label, training=False)
        if gt.sum() == 0:
            raise SystemExit(f"{task} case {i}: empty ground truth")
        q, off, scale, deq = quantise(x)
        qm = gt.astype(np.uint8)
        name = f"case-{i:02d}"
        gz_write(os.path.join(out, name + ".u8.gz"), q.tobytes())
        gz_write(os.path.join(out, name + "_mask.u8.gz"), qm.tobytes())
        with torch.no_grad():
            o = model(torch.from_numpy(deq)[None, None])
        rec = dict(
            id=name,
            input=dict(file=name + ".u8.gz", dtype="uint8", encoding="gzip", shape=[1, 1] + [cz.SIZE] * 3,
                       offset=off, scale=scale, sha256_raw=hashlib.sha256(q.tobytes()).hexdigest()),
            mask=dict(file=name + "_mask.u8.gz", dtype="uint8", encoding="gzip", shape=[1, 1] + [cz.SIZE] * 3,
                      sha256_raw=hashlib.sha256(qm.tobytes()).hexdigest()),
            target_class=classes[y] if task != "seg" else "lesion",
            lesion_voxels=int(gt.sum()),
            lesion_volume_share=float(gt.sum()) / cz.SIZE ** 3,
            lesion_centroid_voxel_zyx=[float(v) for v in np.argwhere(gt).mean(0)],
            lesion_radius_mm=float(np.mean([np.mean(q_["semi_axes"]) for q_ in les if q_["decisive"]])),
            lesions=[dict(centre_ras_mm=[round(float(v), 1) for v in q_["centre"]],
                          aal=names.get(int(aal[tuple((q_["centre"] - anat.origin).round().astype(int))]), "none"),
                          semi_axes_mm=[round(float(v), 2) for v in q_["semi_axes"]], contrast=round(q_["contrast"], 3),
                          voxels=q_["voxels"], decisive=q_["decisive"]) for q_ in les],
        )
        if task == "seg":
            pred = o.argmax(1)[0].numpy().astype(bool)
            g = gt.astype(bool)
            rec["pytorch"] = dict(predicted_voxels=int(pred.sum()),
                                  dice=float(2 * (pred & g).sum() / (pred.sum() + g.sum())))
        else:
            rec["pytorch"] = dict(logits=[float(v) for v in o[0]], p_target=float(torch.softmax(o, 1)[0, y]))
        cases.append(rec)
        log(f"  {SET_NAME[task]} {name}: target {rec['target_class']}, {rec['lesion_voxels']} voxels, "
            f"lesions {[(l_['aal'], l_['decisive']) for l_ in rec['lesions']]}, pytorch {rec['pytorch']}")
    manifest = dict(
        name=SET_NAME[task],
        description={
            "region": "Colin27 brains with a lesion centred in the deep grey matter (class deep_grey_lesion); half also "
                      "carry a distractor lesion elsewhere, which does not decide the class. Mask: the deep-grey lesion.",
            "location": "Colin27 brains with one lesion; its hemisphere is the class (target = the true class). "
                        "Mask: the lesion.",
            "seg": "Colin27 brains with one or two lesions; target: the lesion class over the predicted mask. "
                   "Mask: every lesion.",
        }[task],
        generator="validation/python/train_colin_models.py (colin27.py)",
        model=MODEL_DIR[task],
        task="segmentation" if task == "seg" else "classification",
        seed=SEED + TASK_OFFSET[task] + 40,
        grid_zyx=[cz.SIZE] * 3,
        fov_mm=cz.SIZE * cz.VOXEL_MM,
        voxel_mm=[cz.VOXEL_MM] * 3,
        grid_centre_ras_mm=cz.CENTER_RAS.tolist(),
        preprocessing="zero_mean_unit_variance per sample (already applied); stored as uint8: value = offset + scale * q "
                      "(computed in float64, then float32); pytorch logits are on the dequantised input",
        axes="arrays are [z, y, x], x fastest; +x patient right, +y anterior, +z superior",
        target_class=cz.CLASS_NAMES[task][1] if task != "location" else "per case",
        cases=cases,
    )
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(out, p)) for p in os.listdir(out))
    log(f"  wrote {len(cases)} cases to {os.path.relpath(out, ROOT)} ({total / 1e6:.2f} MB)")
    return total


# ---------------------------------------------------------------------------------------------------- README
def write_readme(task, s):
    title, desc, kind, layers, default, target = DESCRIPTIONS[task]
    r = s["tasks"][task]
    m = r["model"]
    train = (f"CoordClassifier (`validation/python/demo_models.py`: DemoClassifier's 4 conv blocks, global max pool, "
             f"plus x/y/z coordinate channels at block3). Adam, {CLF_STEPS.get(task)} steps of {CLF_BATCH} whole volumes "
             f"(lr 3e-3, 1e-3 from 60 %, 3e-4 from 85 %), cross-entropy plus an auxiliary 1x1x1 convolution on "
             f"`block4` that predicts the pooled mask of the class-deciding lesion per class (training only, not "
             f"exported).") if kind == "classification" else (
        f"DemoSegmenter (2-level 3D UNet). Adam lr 3e-3 (1e-3 for the last 30 %), {SEG_STEPS} steps of 8 random 32^3 "
        f"crops, cross-entropy (class weights 1, 3) + soft Dice; head bias initialised to the rare-lesion prior.")
    layer_list = ", ".join(f"`{n}` {m['layer_shapes'][n]}" for n in layers)
    class_list = ", ".join(f"`{c}`" for c in cz.CLASS_NAMES[task])
    size_kib, sha, seconds = m["size_bytes"] // 1024, m["sha256"], r["seconds_train"]
    test_json = json.dumps(r["test"], indent=1)
    text = f"""# {title}

{desc}

Trained by `/usr/bin/python3 validation/python/train_colin_models.py` (seed {SEED}, torch {s["torch"]}, 1 CPU
thread, {seconds} s) on {N_POOL[task]} volumes drawn from the Colin27 template (Debian `mricron-data`,
`ch2bet.nii.gz`, AAL atlas) by `validation/python/colin27.py`: small random affine, bias field, gain, noise, lesions
placed by construction. No patient data.

Input: `[1, 1, 48, 48, 48]` float32 (`bczyx`), a 192 mm cube at 4 mm (`spacing` in rdf.yaml) centred on the input,
z-scored per sample. Classes: {class_list}.
Grad-CAM layers: {layer_list} (default `{default}`), exported as
`forward_probe_<layer>` / `activations_<layer>`.

## Training
{train}

## Held-out results ({N_TEST} volumes, seed SEED + {TASK_OFFSET[task]} + 20)
```
{test_json}
```
{size_kib} KiB, sha256 `{sha}`. Benchmark cases: `validation/src/main/resources/benchmark/{SET_NAME[task]}/`.
"""
    with open(os.path.join(ROOT, "models", MODEL_DIR[task], "README.md"), "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", default="all", choices=list(cz.TASKS) + ["all"])
    ap.add_argument("--docs-only", action="store_true", help="only rewrite the models' README.md from the summary")
    a = ap.parse_args()
    tasks = list(cz.TASKS) if a.task == "all" else [a.task]
    if a.docs_only:
        with open(os.path.join(HERE, "colin_training_summary.json")) as f:
            s = json.load(f)
        for task in tasks:
            write_readme(task, s)
        return
    try:
        torch.use_deterministic_algorithms(True)
    except Exception:  # pragma: no cover
        pass
    summary_path = os.path.join(HERE, "colin_training_summary.json")
    summary = json.load(open(summary_path)) if os.path.exists(summary_path) else {}
    summary.update(torch=torch.__version__, seed=SEED, threads=torch.get_num_threads())
    summary.setdefault("tasks", {})
    logf = open(os.path.join(HERE, "colin_training_log.txt"), "a" if a.task != "all" else "w")

    def log(msg):
        print(msg, flush=True)
        logf.write(msg + "\n")

    t0 = time.time()
    anat = cz.Anatomy()
    log(f"torch {torch.__version__}, threads {torch.get_num_threads()}, seed {SEED}; Colin27 loaded in "
        f"{time.time() - t0:.1f} s, white matter level {anat.wm:.0f}, candidate centres {anat.counts}")
    for task in tasks:
        off = TASK_OFFSET[task]
        t0 = time.time()
        pool = make_pool(anat, task, N_POOL[task], SEED + off + 10)
        test = make_pool(anat, task, N_TEST, SEED + off + 20, training=False)
        t_data = time.time() - t0
        log(f"{task}: {N_POOL[task]} training and {N_TEST} test volumes in {t_data:.0f} s")
        t0 = time.time()
        if task == "seg":
            model, hist = train_segmenter(pool, test, log)
            res = dice_stats(model, test[0], test[2])
        else:
            model, hist = train_classifier(task, pool, test, log)
            res = evaluate_classifier(model, test[0], test[1], test[3])[0]
        t_train = time.time() - t0
        log(f"{task}: held-out {res}; training {t_train:.0f} s")
        training = dict(seed=SEED, train_volumes=N_POOL[task], steps=SEG_STEPS if task == "seg" else CLF_STEPS[task],
                        test_volumes=N_TEST, **{k: round(v, 4) if isinstance(v, float) else v for k, v in res.items()})
        minfo = export_model(task, model, test[0][:2], training, log)
        set_bytes = write_set(anat, task, model, log)
        if os.path.exists(summary_path):       # tasks may be trained by separate processes: merge, do not overwrite
            with open(summary_path) as f:
                summary["tasks"] = json.load(f).get("tasks", {})
        summary["tasks"][task] = dict(seconds_data=round(t_data), seconds_train=round(t_train), test=res,
                                      model=minfo, history=hist, benchmark_set_bytes=set_bytes)
        write_readme(task, summary)
        with open(summary_path, "w") as f:
            json.dump(summary, f, indent=1)
    logf.close()


if __name__ == "__main__":
    main()
