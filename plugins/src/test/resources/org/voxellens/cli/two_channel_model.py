#!/usr/bin/python3
"""A two-channel model with a known answer: the demo segmenter on channel 0 (t1), channel 1 (flair) ignored.

    two_channel_model.py REPO_ROOT OUT_DIR

Writes OUT_DIR/two-channel/{model.pt, rdf.yaml} (channel names t1, flair; per-channel z-scoring, as bioimage.io's
axes: xyz) and OUT_DIR/two-volumes.nii.gz, a 4D NIfTI holding the lesion sample and the normal sample (in that
order) on the lesion sample's grid. Whatever VoxelLens does with several channels, its maps must then equal the
one-channel demo segmenter's on channel 0, and be exactly zero on channel 1 (d output / d flair = 0).
"""

import json
import os
import sys

import nibabel
import numpy as np
import torch
import torch.nn as nn

ROOT, OUT = sys.argv[1], sys.argv[2]
seg = torch.jit.load(os.path.join(ROOT, "models", "demo-segmenter", "model.pt")).eval()


class TwoChannel(nn.Module):
    def __init__(self, base):
        super().__init__()
        self.base = base

    def forward(self, x):
        return self.base(x[:, 0:1])

    @torch.jit.export
    def forward_probe_bottleneck(self, x, probe):
        return self.base.forward_probe_bottleneck(x[:, 0:1], probe)

    @torch.jit.export
    def activations_bottleneck(self, x):
        return self.base.activations_bottleneck(x[:, 0:1])


folder = os.path.join(OUT, "two-channel")
os.makedirs(folder, exist_ok=True)
m = torch.jit.script(TwoChannel(seg))
x = torch.randn(2, 2, 48, 48, 48)
with torch.no_grad():
    assert torch.equal(m(x), seg(x[:, :1]))
m.save(os.path.join(folder, "model.pt"))
rdf = {
    "format_version": "0.4.10", "type": "model", "name": "two-channel demo", "description": "t1 + flair, flair ignored",
    "authors": [{"name": "VoxelLens tests"}], "license": "MIT",
    "inputs": [{"name": "input", "axes": "bczyx", "data_type": "float32", "shape": [1, 2, 48, 48, 48],
                "preprocessing": [{"name": "zero_mean_unit_variance", "kwargs": {"mode": "per_sample", "axes": "xyz"}}]}],
    "outputs": [{"name": "logits", "axes": "bczyx", "data_type": "float32", "shape": [1, 2, 48, 48, 48]}],
    "weights": {"torchscript": {"source": "model.pt"}},
    "config": {"voxellens": {"task": "segmentation", "class_names": ["background", "lesion"], "channel_names": ["t1", "flair"],
                             "gradcam_layers": [{"name": "bottleneck"}]}},
}
with open(os.path.join(folder, "rdf.yaml"), "w") as f:
    json.dump(rdf, f, indent=1)

# the same two models at the demo's 3 mm spacing: run by sliding window
import copy
import shutil
for name, src, channels in (("two-channel-sw", folder, 2), ("one-channel-sw", os.path.join(ROOT, "models", "demo-segmenter"), 1)):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(src, "model.pt"), os.path.join(d, "model.pt"))
    r = copy.deepcopy(rdf)
    r["inputs"][0]["shape"][1] = channels
    r["config"]["voxellens"]["spacing"] = [3.0, 3.0, 3.0]
    if channels == 1:
        del r["config"]["voxellens"]["channel_names"]
    with open(os.path.join(d, "rdf.yaml"), "w") as f:
        json.dump(r, f, indent=1)



class SpatialXYZ(nn.Module):
    """The demo segmenter taking MONAI-style [b, c, x, y, z] tensors (nibabel's array order): it permutes to its own
    z, y, x and back, so with axes bcxyz VoxelLens must give exactly the demo segmenter's maps."""

    def __init__(self, base):
        super().__init__()
        self.base = base

    def forward(self, x):
        return self.base(x.permute(0, 1, 4, 3, 2)).permute(0, 1, 4, 3, 2)

    @torch.jit.export
    def forward_probe_bottleneck(self, x, probe):
        return self.base.forward_probe_bottleneck(x.permute(0, 1, 4, 3, 2), probe.permute(0, 1, 4, 3, 2)).permute(0, 1, 4, 3, 2)

    @torch.jit.export
    def activations_bottleneck(self, x):
        return self.base.activations_bottleneck(x.permute(0, 1, 4, 3, 2)).permute(0, 1, 4, 3, 2)


d = os.path.join(OUT, "xyz-demo")
os.makedirs(d, exist_ok=True)
torch.jit.script(SpatialXYZ(seg)).save(os.path.join(d, "model.pt"))
r = copy.deepcopy(rdf)
r["inputs"][0]["axes"] = "bcxyz"
r["inputs"][0]["shape"] = [1, 1, 48, 48, 48]
r["outputs"][0]["axes"] = "bcxyz"
del r["config"]["voxellens"]["channel_names"]
r["config"]["voxellens"]["input_size"] = [48, 48, 48]
with open(os.path.join(d, "rdf.yaml"), "w") as f:
    json.dump(r, f, indent=1)

a = nibabel.load(os.path.join(ROOT, "samples", "demo-brain.nii.gz"))
b = nibabel.load(os.path.join(ROOT, "samples", "demo-brain-normal.nii.gz"))
assert np.allclose(a.affine, b.affine) and a.shape == b.shape
four = np.stack([np.asarray(a.get_fdata(), np.float32), np.asarray(b.get_fdata(), np.float32)], axis=-1)
nibabel.save(nibabel.Nifti1Image(four, a.affine), os.path.join(OUT, "two-volumes.nii.gz"))
print("ok")
