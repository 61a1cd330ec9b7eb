#!/usr/bin/python3
"""Independent PyTorch reference for VoxelLens' sliding-window inference and tiled saliency (MONAI/nnU-Net style).

Reads a preprocessed volume (float32, x fastest = numpy [z, y, x]), runs the TorchScript model on overlapping
tiles (nnU-Net's tile positions, Gaussian importance sigma = tile/8 centred on tile//2), blends the logits, takes
the predicted mask of the target class from the blended logits, and computes per-tile saliency of the class's
logits summed over the mask's part in the tile, blended with the same weights. Also runs the whole volume in one
pass (a fully convolutional model accepts it) for the interior comparison.

usage: sliding_window_reference.py MODEL.pt INPUT.f32 NX NY NZ TILE OVERLAP CLASS OUTDIR
writes OUTDIR/logits.f32 ([C, z, y, x]), OUTDIR/single.f32 (one-pass logits), OUTDIR/saliency.f32 ([z, y, x])
"""
import math
import sys

import numpy as np
import torch


def steps(size, tile, overlap):
    if size == tile:
        return [0]
    target = max(1.0, tile * (1 - overlap))
    n = int(math.ceil((size - tile) / target - 1e-9)) + 1
    step = (size - tile) / (n - 1)
    return [int(round(step * i)) for i in range(n)]


def gaussian(tile):
    axes = []
    for t in tile:
        sigma = t / 8.0
        c = t // 2
        i = np.arange(t, dtype=np.float64)
        axes.append(np.exp(-((i - c) ** 2) / (2 * sigma * sigma)))
    # [z, y, x]
    return np.einsum('k,j,i->kji', axes[2], axes[1], axes[0]).astype(np.float32)


def main():
    model_path, in_path = sys.argv[1], sys.argv[2]
    nx, ny, nz, tile, overlap, cls, out = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), \
        float(sys.argv[7]), int(sys.argv[8]), sys.argv[9]
    torch.set_num_threads(2)
    torch._C._set_graph_executor_optimize(False)
    model = torch.jit.load(model_path).eval()
    x = torch.from_numpy(np.fromfile(in_path, dtype='<f4').reshape(nz, ny, nx).copy())
    w = torch.from_numpy(gaussian((tile, tile, tile)))
    positions = [(z, y, xx) for z in steps(nz, tile, overlap) for y in steps(ny, tile, overlap)
                 for xx in steps(nx, tile, overlap)]
    sums, wsum = None, torch.zeros(nz, ny, nx)
    with torch.no_grad():
        for (z, y, xx) in positions:
            o = model(x[z:z + tile, y:y + tile, xx:xx + tile][None, None])[0]
            if sums is None:
                sums = torch.zeros(o.shape[0], nz, ny, nx)
            sums[:, z:z + tile, y:y + tile, xx:xx + tile] += o * w
            wsum[z:z + tile, y:y + tile, xx:xx + tile] += w
        logits = sums / wsum
        single = model(x[None, None])[0]
    mask = (logits.argmax(0) == cls).float()
    sal = torch.zeros(nz, ny, nx)
    for (z, y, xx) in positions:
        m = mask[z:z + tile, y:y + tile, xx:xx + tile]
        if m.sum() == 0:
            continue
        t = x[z:z + tile, y:y + tile, xx:xx + tile][None, None].clone().requires_grad_(True)
        score = (model(t)[0, cls] * m).sum()
        score.backward()
        sal[z:z + tile, y:y + tile, xx:xx + tile] += t.grad[0, 0].abs() * w
    sal = sal / wsum
    logits.numpy().astype('<f4').tofile(out + '/logits.f32')
    single.numpy().astype('<f4').tofile(out + '/single.f32')
    sal.numpy().astype('<f4').tofile(out + '/saliency.f32')
    print(len(positions), int(mask.sum()))


if __name__ == '__main__':
    main()
