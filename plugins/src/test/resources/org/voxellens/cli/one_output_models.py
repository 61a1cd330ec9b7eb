#!/usr/bin/python3
"""One-output (sigmoid) models users very often have, trained here to a known answer on the demo phantom.

    one_output_models.py REPO_ROOT OUT_DIR

Trains, with Debian's torch, a one-channel segmentation head and a one-logit classification head (binary
cross-entropy, the loss such models are trained with) on the frozen features of the bundled demo networks, then
exports each as a plain TorchScript model (no probe methods) with a bioimage.io rdf.yaml that declares nothing about
the activation: VoxelLens must recognise a one-channel output as a sigmoid. On held-out phantoms it measures, for
the one-output model and for the two-output demo model on the same volumes, the segmentation Dice and the
classification accuracy, and writes them to OUT_DIR/measured.json.

Also writes the packages the other silent-answer checks use:
  seg1-parameterised  the one-output segmenter with a parameterised input (min 16, step 16) and the demo's 3 mm
                      spacing: VoxelLens must choose the grid from the volume, not the 16^3 minimum;
  seg-badsize         the demo segmenter fixed at 50^3 (not divisible by 4): its forward pass fails inside
                      TorchScript with a size mismatch, and the message must say so;
  instnorm            a small InstanceNorm network whose output barely depends on the input's scale: Integrated
                      Gradients from a zero baseline is far from complete with few steps.
"""

import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT, OUT = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(ROOT, "validation", "python"))
import phantom as ph  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(7)
SIZE, FOV = 48, 144.0


def phantoms(n, seed):
    """n phantoms at 48^3 over 144 mm (the demo models' grid), alternating normal / lesion: images, masks, labels."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, SIZE, SIZE, SIZE), np.float32)
    m = np.zeros((n, SIZE, SIZE, SIZE), np.float32)
    y = np.zeros(n, np.float32)
    for i in range(n):
        lesion = i % 2 == 1
        img, mask = ph.render(ph.sample_params(rng, lesion), (SIZE,) * 3, FOV, rng)
        x[i, 0], m[i], y[i] = img, mask, float(lesion)
    x = torch.from_numpy(x).double()
    mean = x.mean(dim=(1, 2, 3, 4), keepdim=True)
    std = x.std(dim=(1, 2, 3, 4), keepdim=True, unbiased=False)
    return ((x - mean) / (std + 1e-6)).float(), torch.from_numpy(m), torch.from_numpy(y)


def dice(pred, truth):
    """Mean Dice over the volumes that have a lesion (the demo models' test_dice)."""
    ds = []
    for p, t in zip(pred, truth):
        if t.sum() > 0:
            ds.append(float(2 * (p * t).sum() / (p.sum() + t.sum())))
    return float(np.mean(ds))


seg2 = torch.jit.load(os.path.join(ROOT, "models", "demo-segmenter", "model.pt")).eval()
clf2 = torch.jit.load(os.path.join(ROOT, "models", "demo-classifier", "model.pt")).eval()
xtr, mtr, ytr = phantoms(24, 101)
xte, mte, yte = phantoms(40, 202)

# --- segmenter: a 1x1x1 convolution on decoder1's features, one output channel, BCE --------------------------------
with torch.no_grad():
    ftr = torch.cat([seg2.activations_decoder1(xtr[i:i + 4]) for i in range(0, len(xtr), 4)])
    fte = torch.cat([seg2.activations_decoder1(xte[i:i + 4]) for i in range(0, len(xte), 4)])
feat = ftr.permute(0, 2, 3, 4, 1).reshape(-1, ftr.shape[1])
lab = mtr.reshape(-1)
head = nn.Conv3d(ftr.shape[1], 1, 1)


def fit(params, loss_fn):
    """Logistic regression to convergence: L-BFGS (Adam's few hundred steps stop short of the optimum)."""
    opt = torch.optim.LBFGS(params, lr=1, max_iter=200, tolerance_grad=1e-9, tolerance_change=1e-12,
                            history_size=20, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss
    opt.step(closure)


# every voxel: the class prior of a real training set
fit(list(head.parameters()),
    lambda: F.binary_cross_entropy_with_logits((feat @ head.weight.view(-1, 1) + head.bias).flatten(), lab))
with torch.no_grad():
    seg1_pred = (torch.sigmoid(head(fte)[:, 0]) > 0.5).float()
    seg2_pred = (seg2(xte).argmax(1) == 1).float()


class OneOutputSegmenter(nn.Module):
    """The demo UNet's features with a one-channel head: [B,1,Z,Y,X] -> logits [B,1,Z,Y,X]."""

    def __init__(self, base, head):
        super().__init__()
        self.base, self.head = base, head

    def forward(self, x):
        return self.head(self.base.activations_decoder1(x))


# --- classifier: a linear layer on block4's global max, one logit, BCE -----------------------------------------------
with torch.no_grad():
    gtr = torch.cat([clf2.activations_block4(xtr[i:i + 4]).amax(dim=(2, 3, 4)) for i in range(0, len(xtr), 4)])
    gte = torch.cat([clf2.activations_block4(xte[i:i + 4]).amax(dim=(2, 3, 4)) for i in range(0, len(xte), 4)])
fc = nn.Linear(gtr.shape[1], 1)
# a little weight decay: the training set is separable, and an unregularised logit would grow without bound
fit(list(fc.parameters()),
    lambda: F.binary_cross_entropy_with_logits(fc(gtr)[:, 0], ytr) + 1e-3 * fc.weight.pow(2).sum())
with torch.no_grad():
    clf1_acc = float(((torch.sigmoid(fc(gte)[:, 0]) > 0.5).float() == yte).float().mean())
    clf2_acc = float((clf2(xte).argmax(1).float() == yte).float().mean())


class OwnSigmoidSegmenter(nn.Module):
    """The one-output segmenter with the sigmoid inside the model: it returns probabilities, not logits."""

    def __init__(self, base, head):
        super().__init__()
        self.base, self.head = base, head

    def forward(self, x):
        return torch.sigmoid(self.head(self.base.activations_decoder1(x)))


class OneLogitClassifier(nn.Module):
    """The demo classifier's features with a one-logit head: [B,1,48,48,48] -> logits [B,1]."""

    def __init__(self, base, fc):
        super().__init__()
        self.base, self.fc = base, fc

    def forward(self, x):
        return self.fc(self.base.activations_block4(x).amax(dim=[2, 3, 4]))


class InstanceNormNet(nn.Module):
    """conv -> InstanceNorm -> ReLU -> conv -> one-channel logits: the output hardly changes when the input is
    scaled, so along IG's straight path from a zero baseline the gradient is ~0 almost everywhere."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv3d(1, 4, 3, padding=1)
        self.norm = nn.InstanceNorm3d(4, affine=True)
        self.c2 = nn.Conv3d(4, 2, 3, padding=1)

    def forward(self, x):
        return self.c2(F.relu(self.norm(self.c1(x))))


PRE = [{"name": "zero_mean_unit_variance", "kwargs": {"mode": "per_sample", "axes": "xyz"}}]


def write_package(name, module, in_shape, out_shape, out_axes, voxellens, example):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    scripted = torch.jit.script(module.eval()) if not isinstance(module, torch.jit.ScriptModule) else module
    with torch.no_grad():
        ref = module(example)
        got = scripted(example)
    assert torch.allclose(ref, got, atol=1e-5), name
    scripted.save(os.path.join(folder, "model.pt"))
    rdf = {
        "format_version": "0.4.10", "type": "model", "name": name,
        "description": "test model: " + name, "authors": [{"name": "VoxelLens tests"}], "license": "MIT",
        "inputs": [{"name": "input", "axes": "bczyx", "data_type": "float32", "shape": in_shape, "preprocessing": PRE}],
        "outputs": [{"name": "output", "axes": out_axes, "data_type": "float32", "shape": out_shape}],
        "weights": {"torchscript": {"source": "model.pt"}},
        "config": {"voxellens": voxellens},
    }
    with open(os.path.join(folder, "rdf.yaml"), "w") as f:
        json.dump(rdf, f, indent=1)  # JSON is YAML


example = xte[1:2]
write_package("seg1", OneOutputSegmenter(seg2, head), [1, 1, 48, 48, 48], [1, 1, 48, 48, 48], "bczyx",
              {"task": "segmentation", "class_names": ["lesion"]}, example)
write_package("seg1-prob", OwnSigmoidSegmenter(seg2, head), [1, 1, 48, 48, 48], [1, 1, 48, 48, 48], "bczyx",
              {"task": "segmentation", "class_names": ["lesion"]}, example)
write_package("seg1-prob-declared", OwnSigmoidSegmenter(seg2, head), [1, 1, 48, 48, 48], [1, 1, 48, 48, 48], "bczyx",
              {"task": "segmentation", "class_names": ["lesion"], "output_activation": "probability"}, example)
write_package("clf1", OneLogitClassifier(clf2, fc), [1, 1, 48, 48, 48], [1, 1], "bc",
              {"task": "classification", "class_names": ["normal", "lesion"]}, example)
write_package("seg1-parameterised", OneOutputSegmenter(seg2, head),
              {"min": [1, 1, 16, 16, 16], "step": [0, 0, 16, 16, 16]},
              {"reference_tensor": "input", "scale": [1, 1, 1, 1, 1], "offset": [0, 0, 0, 0, 0]}, "bczyx",
              {"task": "segmentation", "class_names": ["lesion"], "spacing": [3.0, 3.0, 3.0]}, example)
write_package("seg-badsize", seg2, [1, 1, 50, 50, 50], [1, 2, 50, 50, 50], "bczyx",
              {"task": "segmentation", "class_names": ["background", "lesion"]}, example)
torch.manual_seed(3)
write_package("instnorm", InstanceNormNet(), [1, 1, 32, 32, 32], [1, 2, 32, 32, 32], "bczyx",
              {"task": "segmentation", "class_names": ["background", "lesion"]}, torch.randn(1, 1, 32, 32, 32))



def sample_input(name):
    """A bundled sample as the pipeline sees it without a spacing: the whole field of view resized to 48^3
    (trilinear, align_corners=False: both grids' edges coincide), then z-scored."""
    import nibabel
    a = np.asarray(nibabel.load(os.path.join(ROOT, "samples", name)).get_fdata(), np.float64).transpose(2, 1, 0)
    x = F.interpolate(torch.from_numpy(a.copy())[None, None], size=(SIZE,) * 3, mode="trilinear", align_corners=False)
    return ((x - x.mean()) / (x.std(unbiased=False) + 1e-6)).float()


one_logit = OneLogitClassifier(clf2, fc).eval()
with torch.no_grad():
    p_samples = {n: float(torch.sigmoid(one_logit(sample_input(n)))[0, 0])
                 for n in ("demo-brain.nii.gz", "demo-brain-normal.nii.gz")}

measured = {
    "classifier_p_lesion_samples": p_samples,
    "segmenter_dice_one_output": dice(seg1_pred, mte),
    "segmenter_dice_two_output": dice(seg2_pred, mte),
    "classifier_accuracy_one_output": clf1_acc,
    "classifier_accuracy_two_output": clf2_acc,
    "test_volumes": len(xte),
}
with open(os.path.join(OUT, "measured.json"), "w") as f:
    json.dump(measured, f, indent=1)
print(json.dumps(measured))
