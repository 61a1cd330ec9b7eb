#!/usr/bin/python3
"""PyTorch reference timings for VoxelLens' explanation methods (issue 7: benchmark harness).

    /usr/bin/python3 validation/python/bench_reference.py [--models demo-classifier,demo-segmenter]
        [--sizes 64,96] [--threads 2] [--batch 8] [--samples 16] [--steps 16] [--warmup 2] [--repeats 3]
        [--methods forward,saliency,grad_batch,gradcam,smoothgrad,ig,occlusion]

The same methods as the Java side (org.voxellens.validation.perf.Bench), written in plain PyTorch on the SAME
TorchScript files (torch.jit.load of models/<name>/model.pt), same batch size and thread count. Each
(model, size) runs in a fresh subprocess, so memory figures of one size do not carry over to the next.
Prints one JSON line per (model, size, method) to stdout:

    {"model", "size", "method", "seconds" (median), "runs" (every timed run), "peak_rss_mb",
     "maxrss_cumulative_mb", "torch", "allocator"}

peak_rss_mb: the process's resident-set high-water mark (VmHWM) during the method's runs, after resetting the
mark by writing 5 to /proc/self/clear_refs just before the method (Linux >= 4.0); it includes everything already
resident (interpreter, libtorch, model). maxrss_cumulative_mb is resource.getrusage's ru_maxrss, which cannot be
reset: the high-water mark of the whole (model, size) subprocess so far.

Methods (the input is x = z-scored N(0, 1) noise from a fixed seed, [1, 1, s, s, s]; the score is the logit of
class 1 for the classifier and the sum of class-1 logits over the whole output channel for the segmenter):
  forward     one forward pass, no autograd.
  saliency    one forward + backward at batch 1; map = max over channels of |grad|.
  grad_batch  one forward + backward at batch B (B noisy copies): the unit of SmoothGrad and IG.
  gradcam     A = activations_<L>(x), probe = zeros requiring grad, score(forward_probe_<L>(x, probe)), backward;
              w = spatial mean of d score / d probe, cam = relu(sum_c w_c A_c), trilinear upsampling to s^3.
              L = the model's default Grad-CAM layer from rdf.yaml.
  smoothgrad  N noisy samples (sigma = 0.15 * range(x)), B per forward + backward; mean gradient.
  ig          zero baseline, n steps (midpoint rule), B per forward + backward, plus one forward of
              [x, baseline] for the completeness check (as the Java side does).
  occlusion   plain 3D occlusion as Captum's Occlusion: window = stride = size/4 (64 windows), baseline 0; B occluded copies per
              forward pass (no autograd), plus the unoccluded forward; each voxel gets the mean score drop of the
              windows covering it. (The Java default is coarse-to-fine; the bench times the plain version.)
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
METHODS = ["forward", "saliency", "grad_batch", "gradcam", "smoothgrad", "ig", "occlusion"]
OCCLUSION_SPLIT = 4
INPUT_SEED = 7
NOISE_SEED = 1234
SIGMA_FRACTION = 0.15


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="demo-classifier,demo-segmenter")
    p.add_argument("--models-dir", default=os.path.join(ROOT, "models"))
    p.add_argument("--sizes", default="64,96")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--samples", type=int, default=16)
    p.add_argument("--steps", type=int, default=16)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--graph-optimizer", action="store_true",
                   help="keep TorchScript's graph executor optimisation on (VoxelLens turns it off)")
    p.add_argument("--one", nargs=2, metavar=("MODEL", "SIZE"), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def vm_hwm_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def default_layer(model_dir):
    import yaml
    with open(os.path.join(model_dir, "rdf.yaml")) as f:
        rdf = yaml.safe_load(f)
    vl = rdf.get("config", {}).get("voxellens", {})
    layers = vl.get("gradcam_layers") or []
    name = vl.get("default_gradcam_layer") or (layers[-1]["name"] if layers else None)
    for layer in layers:
        if layer["name"] == name:
            return (layer.get("probe_method", "forward_probe_" + name),
                    layer.get("activation_method", "activations_" + name))
    return None


def run_one(args, name, size):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(args.threads)
    except RuntimeError:
        pass
    if not args.graph_optimizer:
        # As the Java side (TorchModel.Engines: ai.djl.pytorch.graph_optimizer=false): no re-profiling per new shape.
        torch._C._set_graph_executor_optimize(False)
    model_dir = os.path.join(args.models_dir, name)
    model = torch.jit.load(os.path.join(model_dir, "model.pt"), map_location="cpu")
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    layer = default_layer(model_dir)

    g = torch.Generator().manual_seed(INPUT_SEED)
    x = torch.randn((1, 1, size, size, size), generator=g)
    x = (x - x.mean()) / (x.std(unbiased=False) + 1e-6)
    with torch.no_grad():
        segmenter = model(x).dim() == 5

    def score(out):
        return out[:, 1].reshape(out.shape[0], -1).sum(1) if segmenter else out[:, 1]

    def grads(batch):
        batch = batch.detach().requires_grad_(True)
        s = score(model(batch))
        s.sum().backward()
        return batch.grad

    sigma = SIGMA_FRACTION * float(x.max() - x.min())
    B = args.batch

    def m_forward():
        with torch.no_grad():
            return model(x)

    def m_saliency():
        return grads(x).abs().amax(dim=1, keepdim=True)

    def m_grad_batch():
        noise = torch.randn((B,) + tuple(x.shape[1:]), generator=torch.Generator().manual_seed(NOISE_SEED))
        return grads(x + sigma * noise)

    def m_gradcam():
        probe_m, act_m = layer
        a = getattr(model, act_m)(x).detach()
        probe = torch.zeros_like(a, requires_grad=True)
        s = score(getattr(model, probe_m)(x, probe))
        s.sum().backward()
        w = probe.grad.mean(dim=(2, 3, 4), keepdim=True)
        cam = torch.relu((w * a).sum(dim=1, keepdim=True))
        return F.interpolate(cam, size=tuple(x.shape[2:]), mode="trilinear", align_corners=False)

    def m_smoothgrad():
        gen = torch.Generator().manual_seed(NOISE_SEED)
        total = torch.zeros_like(x)
        for start in range(0, args.samples, B):
            b = min(B, args.samples - start)
            noise = torch.randn((b,) + tuple(x.shape[1:]), generator=gen)
            total += grads(x + sigma * noise).sum(0, keepdim=True)
        return (total / args.samples).sum(1, keepdim=True)

    def m_ig():
        base = torch.zeros_like(x)
        total = torch.zeros_like(x)
        n = args.steps
        for start in range(0, n, B):
            b = min(B, n - start)
            alphas = ((torch.arange(start, start + b, dtype=torch.float32) + 0.5) / n).view(b, 1, 1, 1, 1)
            total += grads(base + alphas * (x - base)).sum(0, keepdim=True)
        ig = (x - base) * total / n
        with torch.no_grad():
            f = score(model(torch.cat([x, base])))
        return ig.sum(1, keepdim=True), float(ig.sum() - (f[0] - f[1]))

    def m_occlusion():
        w = size // OCCLUSION_SPLIT
        starts = range(0, size - w + 1, w)
        boxes = [(z, y, xx) for z in starts for y in starts for xx in starts]
        total = torch.zeros(size, size, size)
        count = torch.zeros(size, size, size)
        with torch.no_grad():
            f0 = score(model(x))[0]
            for start in range(0, len(boxes), B):
                chunk = boxes[start:start + B]
                batch = x.repeat(len(chunk), 1, 1, 1, 1)
                for b, (z, y, xx) in enumerate(chunk):
                    batch[b, :, z:z + w, y:y + w, xx:xx + w] = 0
                f = score(model(batch))
                for b, (z, y, xx) in enumerate(chunk):
                    total[z:z + w, y:y + w, xx:xx + w] += f0 - f[b]
                    count[z:z + w, y:y + w, xx:xx + w] += 1
        return total / count.clamp(min=1)

    table = {"forward": m_forward, "saliency": m_saliency, "grad_batch": m_grad_batch, "gradcam": m_gradcam,
             "smoothgrad": m_smoothgrad, "ig": m_ig, "occlusion": m_occlusion}
    for method in [m.strip() for m in args.methods.split(",") if m.strip()]:
        if method not in table:
            raise SystemExit("unknown method " + method + "; known: " + ",".join(METHODS))
        if method == "gradcam" and layer is None:
            print(json.dumps({"model": name, "size": size, "method": method, "skipped": "no Grad-CAM layer"}),
                  flush=True)
            continue
        fn = table[method]
        reset = reset_hwm()
        for _ in range(args.warmup):
            fn()
        runs = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - t0)
        print(json.dumps({
            "model": name, "size": size, "method": method, "seconds": statistics.median(runs), "runs": runs,
            "peak_rss_mb": round(vm_hwm_mb(), 1), "peak_is_per_method": reset,
            "maxrss_cumulative_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
            "threads": torch.get_num_threads(), "batch": B, "torch": torch.__version__,
            "allocator": allocator()}), flush=True)


@functools.lru_cache(maxsize=None)
def allocator():
    """The malloc serving libtorch: a preloaded tcmalloc/jemalloc (the voxellens launcher's LD_PRELOAD is inherited
    by this subprocess unless the Java side removed it), else glibc's."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                name = line.rsplit("/", 1)[-1]
                if name.startswith("libtcmalloc"):
                    return "tcmalloc"
                if name.startswith("libjemalloc"):
                    return "jemalloc"
    except OSError:
        return "unknown"
    return "glibc"


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.one:
        run_one(args, args.one[0], int(args.one[1]))
        return 0
    rc = 0
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        for name in [m.strip() for m in args.models.split(",") if m.strip()]:
            # A fresh interpreter per (model, size): memory high-water marks and allocator state do not carry over.
            cmd = [sys.executable, os.path.abspath(__file__)] + [a for a in (sys.argv[1:] if argv is None else argv)]
            cmd += ["--one", name, str(size)]
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            sys.stdout.write(p.stdout)
            sys.stdout.flush()
            if p.returncode != 0:
                rc = 1
                err = (p.stderr.strip().splitlines() or ["exit code %d" % p.returncode])[-1]
                print(json.dumps({"model": name, "size": size, "error": err[:300]}), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
