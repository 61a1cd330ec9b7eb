#!/usr/bin/python3
"""Held-out test cases with a KNOWN lesion location, for the localisation benchmark (issue 4).

    /usr/bin/python3 validation/python/make_benchmark_set.py [--cases 12]

Writes validation/src/main/resources/benchmark/phantom-lesion/:
  manifest.json        the cases (file names, shapes, lesion centre/radius/voxel count), how they were made;
  case-NN.f32.gz       the model input: the phantom rendered directly on the 48^3 model grid (144 mm field of view,
                       3 mm voxels), with noise, z-scored per sample as the demo classifier's rdf.yaml says:
                       (a - mean) / (std + 1e-6), population std over all voxels (float64, stored float32);
                       gzip of raw little-endian float32, C order [z, y, x] (x fastest);
  case-NN_mask.u8.gz   the lesion mask on the same grid (1 inside the lesion ellipsoid): gzip of raw uint8.

Every case has a lesion (random position, radius 5-9 mm, as in training). The generator is the one that made the
training data (phantom.py), with a different seed: training used SEED+10 (train), SEED+20 (test), SEED+30 (high-res
test); these cases use SEED+40, so none of them was seen in training or in the reported test accuracy.
Pure numpy (no torch needed). Deterministic: the same files on every run (gzip mtime fixed to 0).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import phantom as ph  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "validation", "src", "main", "resources", "benchmark", "phantom-lesion")
SIZE = 48
FOV = 144.0
SEED = 20240601          # train_demo_models.SEED
SEED_OFFSET = 40         # train +10, test +20, high-res test +30


def gz_write(path, data: bytes):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=12)
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(SEED + SEED_OFFSET)
    cases = []
    voxel_mm = FOV / SIZE
    for i in range(a.cases):
        prm = ph.sample_params(rng, True)
        img, mask = ph.render(prm, (SIZE,) * 3, FOV, rng)
        x = ph.zscore(img)
        n_in = int(mask.sum())
        if n_in == 0:
            raise SystemExit(f"case {i}: empty lesion mask")
        zz, yy, xx = np.nonzero(mask)
        centroid_zyx = [float(zz.mean()), float(yy.mean()), float(xx.mean())]
        name = f"case-{i:02d}"
        xb = x.astype("<f4").tobytes()
        mb = mask.astype(np.uint8).tobytes()
        gz_write(os.path.join(a.out, name + ".f32.gz"), xb)
        gz_write(os.path.join(a.out, name + "_mask.u8.gz"), mb)
        les = prm["lesion"]
        cases.append(dict(
            id=name,
            input=dict(file=name + ".f32.gz", dtype="float32", encoding="gzip", shape=[1, 1, SIZE, SIZE, SIZE],
                       sha256_raw=hashlib.sha256(xb).hexdigest()),
            mask=dict(file=name + "_mask.u8.gz", dtype="uint8", encoding="gzip", shape=[1, 1, SIZE, SIZE, SIZE],
                      sha256_raw=hashlib.sha256(mb).hexdigest()),
            lesion_voxels=n_in,
            lesion_volume_share=n_in / SIZE ** 3,
            lesion_centroid_voxel_zyx=centroid_zyx,
            lesion_radius_mm=float(les["radius"]),
            lesion_semi_axes_mm=[float(v) for v in les["radius"] * les["axes_f"]],
            lesion_contrast=float(les["contrast"]),
            noise_sigma=float(prm["noise_sigma"]),
        ))
        print(f"{name}: lesion {n_in} voxels ({100 * n_in / SIZE ** 3:.3f} %), radius {les['radius']:.1f} mm, "
              f"centroid zyx {[round(c, 1) for c in centroid_zyx]}")
    manifest = dict(
        name="phantom-lesion",
        description="Held-out synthetic head phantoms with one lesion each (the class-deciding feature of the demo "
                    "classifier), on the 48^3 model grid, z-scored; lesion masks as ground truth for localisation.",
        generator="validation/python/make_benchmark_set.py (phantom.py)",
        seed=SEED + SEED_OFFSET,
        grid_zyx=[SIZE] * 3,
        fov_mm=FOV,
        voxel_mm=[voxel_mm] * 3,
        preprocessing="zero_mean_unit_variance per sample: (a - mean) / (std + 1e-6), population std (already applied)",
        axes="arrays are [z, y, x], x fastest; +x patient right, +y anterior, +z superior",
        target_class="lesion",
        cases=cases,
    )
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(a.out, p)) for p in os.listdir(a.out))
    print(f"wrote {len(cases)} cases to {a.out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
