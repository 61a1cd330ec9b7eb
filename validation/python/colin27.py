"""Benchmark volumes on real anatomy: the Colin27 brain MRI (Debian mricron-data) with lesions placed by construction.

Background: `ch2bet.nii.gz` (Colin Holmes' 27-scan average T1, brain extracted, 181 x 217 x 181, 1 mm, MNI space;
skull-stripped input, as many brain-MRI models take) and the AAL atlas `aal.nii.gz` (same grid, labels in
`aal.nii.txt`). Every sample is drawn on the
model grid: 48^3 voxels of 4 mm (a 192 mm cube centred on the template's volume centre, RAS (0, -17, 19) mm), through
a random small affine (rotation <= 7 deg per axis, isotropic scale 0.94-1.06 times per-axis 0.98-1.02, translation
<= 5 mm), sampled trilinearly from the template (pre-smoothed with sigma 1.5 mm against aliasing). Lesions are
ellipsoids in template mm (semi-axes 6-10 mm), added as a brightness of 0.5-0.8 white-matter units with a 2 mm soft
edge; their mask on the model grid is exactly "voxel centre inside the ellipsoid". Then a multiplicative smooth bias
field (exp of a random quadratic, <= ~15 %), a gain of 0.85-1.15, Gaussian noise of 2-5 % of white matter, and the
per-sample z-score of the models' rdf.yaml ((v - mean) / (std + 1e-6), population std).

Tasks (the class-deciding lesion is known voxel by voxel):
  region    class 1 ("deep_grey_lesion") iff a lesion is centred in the deep grey matter (AAL caudate, putamen,
            pallidum, thalamus, both sides). Negatives: a distractor lesion elsewhere in the brain (>= 12 mm from the
            deep grey matter) or no lesion; half of the positives carry a distractor as well, so the presence of a
            lesion does not decide, its place does. Ground truth: the deep-grey lesion only.
  location  exactly one lesion, >= 8 mm from the midline; the class is the hemisphere ("left", "right").
  seg       one or two lesions anywhere in the brain (sometimes none during training); ground truth: every lesion.

Axes as everywhere in VoxelLens: arrays [z, y, x], x fastest; +x patient right, +y anterior, +z superior (the
template's RAS voxel axes). Deterministic given the torch.Generator passed in.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

TEMPLATES = "/usr/share/mricron/templates"
SIZE = 48
VOXEL_MM = 4.0
CENTER_RAS = np.array([0.0, -17.0, 19.0])        # template volume centre: voxel (90, 108, 90)
DEEP_GREY = {71: "Caudate_L", 72: "Caudate_R", 73: "Putamen_L", 74: "Putamen_R", 75: "Pallidum_L",
             76: "Pallidum_R", 77: "Thalamus_L", 78: "Thalamus_R"}
TASKS = ("region", "location", "seg")
CLASS_NAMES = {"region": ["other", "deep_grey_lesion"], "location": ["left", "right"],
               "seg": ["background", "lesion"]}


class Anatomy:
    """The template, its atlas, and the candidate lesion centres (template RAS mm) of each kind."""

    def __init__(self):
        import nibabel as nib
        from scipy import ndimage

        t1 = nib.load(f"{TEMPLATES}/ch2bet.nii.gz")
        self.affine = t1.affine
        assert np.allclose(self.affine[:3, :3], np.eye(3)), "ch2bet.nii.gz: expected a 1 mm RAS grid"
        self.origin = self.affine[:3, 3].copy()
        img = t1.get_fdata(dtype=np.float32)
        brain = img > 0
        aal = np.asarray(nib.load(f"{TEMPLATES}/aal.nii.gz").dataobj).astype(np.int16)
        assert img.shape == brain.shape == aal.shape
        deep = np.isin(aal, list(DEEP_GREY))
        # white matter level: the upper part of the brain's intensity histogram
        self.wm = float(np.percentile(img[brain], 90))
        smooth = ndimage.gaussian_filter(img / self.wm, 1.5)
        self.shape_ijk = img.shape
        # grid_sample input [1, 1, D=k, H=j, W=i]
        self.t1 = torch.from_numpy(np.ascontiguousarray(smooth.transpose(2, 1, 0)))[None, None].float()
        inside = ndimage.distance_transform_edt(brain)
        to_deep = ndimage.distance_transform_edt(~deep)
        in_deep = ndimage.distance_transform_edt(deep)
        x_world = self.origin[0] + np.arange(img.shape[0])[:, None, None]
        cand = {
            "deep": deep & (in_deep >= 2.0),
            "distractor": (inside >= 10.0) & (to_deep >= 12.0),
            "brain": inside >= 10.0,
            "lateral": (inside >= 10.0) & (np.abs(x_world) >= 8.0),
        }
        self.centres = {k: (np.argwhere(m).astype(np.float32) + self.origin.astype(np.float32)) for k, m in cand.items()}
        self.counts = {k: int(v.shape[0]) for k, v in self.centres.items()}

    # -------------------------------------------------------------------------------------------------- sampling
    def pick_centre(self, kind, gen):
        c = self.centres[kind]
        return c[int(torch.randint(len(c), (1,), generator=gen))].astype(np.float64)


def _u(gen, lo, hi, n=()):
    return lo + (hi - lo) * torch.rand(n, generator=gen, dtype=torch.float64)


def grid_world():
    """World (x, y, z) mm of the model grid's voxel centres, [48, 48, 48, 3] in [z, y, x] order."""
    idx = (torch.arange(SIZE, dtype=torch.float64) - (SIZE - 1) / 2.0) * VOXEL_MM
    z, y, x = torch.meshgrid(idx, idx, idx, indexing="ij")
    return torch.stack([x, y, z], dim=-1) + torch.from_numpy(CENTER_RAS)


_GRID = None


def random_affine(gen):
    """3x3 matrix and translation (template mm = A @ (grid mm - centre) + centre + t)."""
    ang = _u(gen, -7, 7, (3,)) * np.pi / 180
    cx, cy, cz = torch.cos(ang)
    sx, sy, sz = torch.sin(ang)
    rx = torch.tensor([[1, 0, 0], [0, cx, -sx], [0, sx, cx]], dtype=torch.float64)
    ry = torch.tensor([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]], dtype=torch.float64)
    rz = torch.tensor([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]], dtype=torch.float64)
    scale = _u(gen, 0.94, 1.06) * _u(gen, 0.98, 1.02, (3,))
    a = rz @ ry @ rx @ torch.diag(scale)
    t = _u(gen, -5, 5, (3,))
    return a, t


def sample_lesion(centre, gen):
    return dict(centre=np.asarray(centre, np.float64), semi_axes=(_u(gen, 6, 10) * _u(gen, 0.85, 1.15, (3,))).numpy(),
                contrast=float(_u(gen, 0.5, 0.8)))


def render(anat: Anatomy, lesions, gen):
    """One volume on the model grid. Returns (z-scored float32 [48,48,48], list of uint8 masks [48,48,48] per lesion)."""
    global _GRID
    if _GRID is None:
        _GRID = grid_world()
    a, t = random_affine(gen)
    c = torch.from_numpy(CENTER_RAS)
    p = (_GRID - c) @ a.T + c + t                                   # template RAS mm of every model voxel
    v = p - torch.from_numpy(anat.origin)                           # template voxel (i, j, k), 1 mm
    n = torch.tensor(anat.shape_ijk, dtype=torch.float64)
    g = (v / (n - 1) * 2 - 1).float()[None]                         # grid_sample: (x=W=i, y=H=j, z=D=k)
    img = F.grid_sample(anat.t1, g, mode="bilinear", padding_mode="zeros", align_corners=True)[0, 0].double()
    masks = []
    for les in lesions:
        d = (p - torch.from_numpy(les["centre"])) / torch.from_numpy(les["semi_axes"])
        r = torch.sqrt((d * d).sum(dim=-1))
        ramp = torch.clamp(0.5 - (r - 1.0) * float(les["semi_axes"].min()) / 2.0, 0, 1)
        img = img + les["contrast"] * ramp
        masks.append((r <= 1.0).to(torch.uint8).numpy())
    # smooth multiplicative bias field over the grid (normalised coordinates in [-1, 1])
    q = (_GRID - c) / (SIZE * VOXEL_MM / 2)
    terms = [q[..., 0], q[..., 1], q[..., 2], q[..., 0] * q[..., 1], q[..., 1] * q[..., 2], q[..., 0] * q[..., 2],
             q[..., 0] ** 2, q[..., 1] ** 2, q[..., 2] ** 2]
    coef = _u(gen, -0.08, 0.08, (len(terms),))
    bias = torch.exp(sum(float(k) * tt for k, tt in zip(coef, terms)))
    img = img * bias * _u(gen, 0.85, 1.15)
    sigma = float(_u(gen, 0.02, 0.05))
    img = img + sigma * torch.randn(img.shape, generator=gen, dtype=torch.float64)
    x = (img - img.mean()) / (img.std(unbiased=False) + 1e-6)
    return x.float().numpy(), masks


def draw_case(anat: Anatomy, task, gen, label=None, training=True):
    """One sample of a task: (input [48,48,48], label, ground-truth mask uint8 [48,48,48], lesion descriptions).

    label None = random. The ground truth is the class-deciding lesion's mask (region: the deep-grey lesion, zero for
    negatives; location: the one lesion; seg: every lesion)."""
    if label is None:
        label = int(torch.randint(2, (1,), generator=gen))
    lesions, decisive = [], []
    if task == "region":
        if label == 1:
            lesions.append(sample_lesion(anat.pick_centre("deep", gen), gen))
            decisive.append(0)
            if float(_u(gen, 0, 1)) < 0.5:
                lesions.append(sample_lesion(anat.pick_centre("distractor", gen), gen))
        elif float(_u(gen, 0, 1)) < 2 / 3:
            lesions.append(sample_lesion(anat.pick_centre("distractor", gen), gen))
    elif task == "location":
        while True:
            c = anat.pick_centre("lateral", gen)
            if (c[0] > 0) == (label == 1):
                break
        lesions.append(sample_lesion(c, gen))
        decisive.append(0)
    elif task == "seg":
        k = int(torch.randint(3, (1,), generator=gen)) if training else 1 + int(torch.randint(2, (1,), generator=gen))
        for _ in range(k):
            lesions.append(sample_lesion(anat.pick_centre("brain", gen), gen))
        decisive = list(range(k))
        label = int(k > 0)
    else:
        raise ValueError(task)
    x, masks = render(anat, lesions, gen)
    gt = np.zeros((SIZE,) * 3, np.uint8)
    for i in decisive:
        gt |= masks[i]
    for i, les in enumerate(lesions):
        les["voxels"] = int(masks[i].sum())
        les["decisive"] = i in decisive
    return x, label, gt, lesions


def draw_batch(anat, task, n, gen, training=True, labels=None):
    xs, ys, ms = [], [], []
    for i in range(n):
        x, y, m, _ = draw_case(anat, task, gen, None if labels is None else labels[i], training)
        xs.append(x)
        ys.append(y)
        ms.append(m)
    return (torch.from_numpy(np.stack(xs))[:, None], torch.tensor(ys, dtype=torch.long),
            torch.from_numpy(np.stack(ms)).long())
