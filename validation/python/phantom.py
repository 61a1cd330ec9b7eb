"""Resolution-independent synthetic head ("brain") phantom with an optional lesion.

Everything is defined in millimetres relative to the centre of the volume, so a 48^3 volume over a 144 mm field of
view and a 96 x 96 x 80 volume over the same field of view show the same anatomy.

Axis conventions (same as the Java side and the models):
  * numpy arrays are indexed [z, y, x] (x fastest, C order); model tensors are [batch, channel, z, y, x];
  * coordinates are (x, y, z) in mm, x along voxel axis i, y along j, z along k;
  * anatomy: +x = patient right, +y = anterior, +z = superior (so with a RAS NIfTI affine whose columns point along
    +x/+y/+z the image is in the usual radiological orientation).

The phantom is deliberately asymmetric along every axis so that flips are visible:
  * x: the right lateral ventricle is larger than the left one, and a bright fiducial marker sits on the right temple;
  * y: eyes (orbits) are anterior, the cerebellum is posterior;
  * z: neck/skull base below, dome above.

Pure numpy, deterministic given the numpy Generator that is passed in.
"""

from __future__ import annotations

import numpy as np

# ----------------------------------------------------------------------------------------------------------------
# Anatomy (in "anatomy frame" mm; the per-sample transform maps volume mm -> anatomy mm)
# ----------------------------------------------------------------------------------------------------------------
HEAD_CENTER = np.array([0.0, 0.0, 8.0])
HEAD_AXES = np.array([58.0, 68.0, 56.0])       # outer surface of the head (x, y, z semi-axes)
RIM_MM = 6.0                                   # bright rim (scalp/skull) thickness
NECK_CENTER = np.array([0.0, -6.0, -40.0])
NECK_AXES = np.array([36.0, 40.0, 34.0])
BRAIN_AXES = HEAD_AXES - RIM_MM                # brain ellipsoid (inside the rim)
WM_SCALE = 0.72                                # white matter = brain ellipsoid scaled by this
# ventricles: (centre, semi-axes, rotation about z in degrees); right (+x) one larger
VENTRICLES = [
    (np.array([11.0, 6.0, 14.0]), np.array([6.5, 22.0, 9.0]), -8.0),
    (np.array([-10.0, 8.0, 13.0]), np.array([4.8, 17.0, 7.0]), 10.0),
]
EYES = [np.array([28.0, 56.0, -16.0]), np.array([-28.0, 56.0, -16.0])]
EYE_R = 11.0
CEREBELLUM_CENTER = np.array([0.0, -42.0, -22.0])
CEREBELLUM_AXES = np.array([40.0, 20.0, 14.0])
MARKER_CENTER = np.array([59.0, 18.0, 14.0])   # fiducial capsule on the right temple
MARKER_R = 4.0

INTENSITY = dict(rim=1.0, gm=0.46, wm=0.64, csf=0.12, eye=0.30, cerebellum=0.55, marker=1.25, neck=0.42)


def _smooth_inside(signed_dist, width=1.2):
    """1 inside, 0 outside, linear ramp of `width` mm around the surface (anti-aliasing at any resolution)."""
    return np.clip(0.5 - signed_dist / width, 0.0, 1.0)


def _ellipsoid_sd(p, center, axes):
    """Approximate signed distance (mm) to an axis-aligned ellipsoid; p has shape (3, ...)."""
    d = (p - center.reshape(3, *([1] * (p.ndim - 1)))) / axes.reshape(3, *([1] * (p.ndim - 1)))
    r = np.sqrt((d * d).sum(axis=0))
    return (r - 1.0) * axes.min()


def _rot_z(deg):
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def _rot_x(deg):
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])


def brain_inside(p_anat):
    """True where an anatomy-frame point (3, ...) is inside the brain and away from ventricles/cerebellum (lesion site)."""
    inside = _ellipsoid_sd(p_anat, HEAD_CENTER, BRAIN_AXES * 0.78) < 0
    for c, ax, rot in VENTRICLES:
        q = np.tensordot(_rot_z(rot).T, p_anat - c.reshape(3, *([1] * (p_anat.ndim - 1))), axes=1)
        inside &= _ellipsoid_sd(q, np.zeros(3), ax + 4.0) > 0
    return inside


def sample_params(rng: np.random.Generator, lesion=True, jitter=1.0):
    """Draw one subject: deformation, intensity changes, texture and (optionally) a lesion.

    lesion: False (none), True (random position in the brain), or an (x, y, z) centre in volume mm.
    jitter: scale of the random deformation (0 = canonical anatomy).
    """
    prm = {}
    prm["scale"] = 1.0 + jitter * rng.uniform(-0.06, 0.06, size=3)
    prm["rot_deg"] = jitter * rng.uniform(-5.0, 5.0)          # about z (in-plane)
    prm["shift"] = jitter * rng.uniform(-4.0, 4.0, size=3)
    prm["vent_scale"] = 1.0 + jitter * rng.uniform(-0.2, 0.25)
    prm["gain"] = rng.uniform(0.85, 1.15)
    prm["bias_dir"] = rng.normal(size=3)
    prm["bias_dir"] /= np.linalg.norm(prm["bias_dir"])
    prm["bias_amp"] = rng.uniform(0.0, 0.10)                  # multiplicative bias field +-amp over the head
    # low-frequency texture: a few random plane waves (wavelength 15-40 mm)
    k = 6
    dirs = rng.normal(size=(k, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    prm["tex_k"] = dirs * (2 * np.pi / rng.uniform(15.0, 40.0, size=(k, 1)))
    prm["tex_phase"] = rng.uniform(0, 2 * np.pi, size=k)
    prm["tex_amp"] = rng.uniform(0.01, 0.025, size=k)
    prm["noise_sigma"] = rng.uniform(0.01, 0.06)
    if lesion is False or lesion is None:
        prm["lesion"] = None
    else:
        radius = rng.uniform(5.0, 9.0)
        axes_f = rng.uniform(0.85, 1.15, size=3)
        contrast = rng.uniform(0.35, 0.50)
        if lesion is True:
            for _ in range(1000):
                c = rng.uniform(-1, 1, size=3) * BRAIN_AXES * 0.78 + HEAD_CENTER
                if brain_inside(c.reshape(3, 1))[0] and \
                        _ellipsoid_sd(c.reshape(3, 1), HEAD_CENTER, BRAIN_AXES)[0] < -(radius + 3):
                    break
            center_anat = c
        else:
            center_anat = _to_anat(np.asarray(lesion, dtype=float).reshape(3, 1), prm)[:, 0]
        prm["lesion"] = dict(center_anat=center_anat, radius=radius, axes_f=axes_f, contrast=contrast)
    return prm


def _to_anat(p_vol, prm):
    """Volume mm (3, ...) -> anatomy mm (3, ...)."""
    sh = prm["shift"].reshape(3, *([1] * (p_vol.ndim - 1)))
    q = np.tensordot(_rot_z(prm["rot_deg"]).T, p_vol - sh, axes=1)
    return q / prm["scale"].reshape(3, *([1] * (p_vol.ndim - 1)))


def grid_coords(grid_shape_zyx, fov_mm):
    """Voxel-centre coordinates (x, y, z) in mm relative to the volume centre, shape (3, nz, ny, nx), float32.

    fov_mm: a scalar (cube) or (fz, fy, fx). Voxel size along an axis = fov / n; centres at (i - (n-1)/2) * size.
    """
    nz, ny, nx = grid_shape_zyx
    fz, fy, fx = (fov_mm,) * 3 if np.isscalar(fov_mm) else fov_mm
    xs = ((np.arange(nx) - (nx - 1) / 2.0) * (fx / nx)).astype(np.float32)
    ys = ((np.arange(ny) - (ny - 1) / 2.0) * (fy / ny)).astype(np.float32)
    zs = ((np.arange(nz) - (nz - 1) / 2.0) * (fz / nz)).astype(np.float32)
    z, y, x = np.meshgrid(zs, ys, xs, indexing="ij")
    return np.stack([x, y, z])


def render(prm, grid_shape_zyx, fov_mm, noise_rng: np.random.Generator | None = None, with_lesion=True):
    """Evaluate the phantom on a grid. Returns (image float32 [z,y,x], lesion mask uint8 [z,y,x])."""
    p_vol = grid_coords(grid_shape_zyx, fov_mm).astype(np.float64)
    p = _to_anat(p_vol, prm)
    img = np.zeros(p.shape[1:], dtype=np.float64)

    head_sd = np.minimum(_ellipsoid_sd(p, HEAD_CENTER, HEAD_AXES), _ellipsoid_sd(p, NECK_CENTER, NECK_AXES))
    head = _smooth_inside(head_sd)
    brain_sd = _ellipsoid_sd(p, HEAD_CENTER, BRAIN_AXES)
    brain = _smooth_inside(brain_sd)
    wm = _smooth_inside(_ellipsoid_sd(p, HEAD_CENTER, BRAIN_AXES * WM_SCALE), width=4.0)
    cereb = _smooth_inside(_ellipsoid_sd(p, CEREBELLUM_CENTER, CEREBELLUM_AXES), width=2.0)
    neck_only = _smooth_inside(_ellipsoid_sd(p, NECK_CENTER, NECK_AXES)) * (1 - _smooth_inside(_ellipsoid_sd(
        p, HEAD_CENTER, HEAD_AXES)))

    # rim everywhere on the head surface, brain inside
    img = head * INTENSITY["rim"]
    tissue = INTENSITY["gm"] + (INTENSITY["wm"] - INTENSITY["gm"]) * wm
    tissue = tissue * (1 - cereb) + INTENSITY["cerebellum"] * cereb
    img = img * (1 - brain) + tissue * brain
    img = img * (1 - neck_only) + INTENSITY["neck"] * neck_only * head
    # ventricles
    for c, ax, rot in VENTRICLES:
        q = np.tensordot(_rot_z(rot).T, p - c.reshape(3, 1, 1, 1), axes=1)
        v = _smooth_inside(_ellipsoid_sd(q, np.zeros(3), ax * prm["vent_scale"]), width=1.5) * brain
        img = img * (1 - v) + INTENSITY["csf"] * v
    # eyes (inside the head outline or just at its front)
    for c in EYES:
        e = _smooth_inside(_ellipsoid_sd(p, c, np.full(3, EYE_R)))
        img = img * (1 - e) + INTENSITY["eye"] * e
    m = _smooth_inside(_ellipsoid_sd(p, MARKER_CENTER, np.full(3, MARKER_R)))
    img = img * (1 - m) + INTENSITY["marker"] * m
    inside = np.maximum(np.maximum(head, m), 0)

    # texture (low frequency, inside the head only)
    tex = np.zeros_like(img)
    for kv, ph, a in zip(prm["tex_k"], prm["tex_phase"], prm["tex_amp"]):
        tex += a * np.sin(np.tensordot(kv, p, axes=1) + ph)
    img = img + tex * brain

    mask = np.zeros(p.shape[1:], dtype=np.uint8)
    les = prm["lesion"]
    if les is not None:
        c = les["center_anat"].reshape(3, 1, 1, 1)
        ax = (les["radius"] * les["axes_f"]).reshape(3, 1, 1, 1)
        d = (p - c) / ax
        r = np.sqrt((d * d).sum(axis=0))
        mask = (r < 1.0).astype(np.uint8)
        if with_lesion:
            # slightly soft-edged blob with a brighter core
            blob = np.clip((1.0 - r) * les["radius"] / 1.5 + 0.5, 0, 1) * (0.85 + 0.15 * np.clip(1 - r, 0, 1))
            img = img + les["contrast"] * blob * brain
        else:
            mask[:] = 0

    # multiplicative bias field and global gain
    bias = 1.0 + prm["bias_amp"] * np.tensordot(prm["bias_dir"], p_vol, axes=1) / 70.0
    img = img * bias * prm["gain"]
    if noise_rng is not None:
        img = img + noise_rng.normal(0.0, prm["noise_sigma"], size=img.shape) * (0.35 + 0.65 * inside)
    return img.astype(np.float32), mask


def phantom(grid_shape_zyx, fov_mm, rng: np.random.Generator, lesion=True, noise=True):
    """One random phantom: (image float32 [z,y,x], lesion mask uint8 [z,y,x]).

    lesion: True/False or an (x, y, z) lesion centre in mm relative to the volume centre.
    """
    prm = sample_params(rng, lesion)
    return render(prm, grid_shape_zyx, fov_mm, rng if noise else None)


def downsample2(a):
    """2x2x2 block average = trilinear resampling (align_corners=False) onto a grid with half the voxels."""
    z, y, x = a.shape
    return a.reshape(z // 2, 2, y // 2, 2, x // 2, 2).mean(axis=(1, 3, 5))


def zscore(a, eps=1e-6):
    """bioimage.io zero_mean_unit_variance, mode per_sample over all voxels: (a - mean) / (std + eps)."""
    a = a.astype(np.float64)
    return ((a - a.mean()) / (a.std() + eps)).astype(np.float32)
