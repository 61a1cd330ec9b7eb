#!/usr/bin/python3
"""Plain-PyTorch occlusion, as Captum's Occlusion computes it (Captum is not installed here): every window position
(stride steps from 0 while the window fits), the window set to the baseline, the drop f(x) - f(x occluded) of the
target logit credited to every voxel under the window, and each voxel's total divided by the number of windows
that covered it.

usage: occlusion_reference.py MODEL.pt INPUT.f32 N WINDOW STRIDE BASELINE CLASS OUT.f32   (input [N, N, N], x fastest)
"""
import sys

import numpy as np
import torch


def main():
    model_path, in_path = sys.argv[1], sys.argv[2]
    n, w, s, base, cls, out = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), \
        int(sys.argv[7]), sys.argv[8]
    torch.set_num_threads(2)
    torch._C._set_graph_executor_optimize(False)
    model = torch.jit.load(model_path).eval()
    x = torch.from_numpy(np.fromfile(in_path, dtype='<f4').reshape(1, 1, n, n, n).copy())
    starts = list(range(0, n - w + 1, s))
    boxes = [(z, y, xx) for z in starts for y in starts for xx in starts]
    total = torch.zeros(n, n, n, dtype=torch.float64)
    count = torch.zeros(n, n, n, dtype=torch.float64)
    with torch.no_grad():
        f0 = model(x)[0, cls].item()
        for i in range(0, len(boxes), 16):
            chunk = boxes[i:i + 16]
            batch = x.repeat(len(chunk), 1, 1, 1, 1)
            for b, (z, y, xx) in enumerate(chunk):
                batch[b, :, z:z + w, y:y + w, xx:xx + w] = base
            f = model(batch)[:, cls]
            for b, (z, y, xx) in enumerate(chunk):
                total[z:z + w, y:y + w, xx:xx + w] += f0 - f[b].item()
                count[z:z + w, y:y + w, xx:xx + w] += 1
    attr = torch.where(count > 0, total / count.clamp(min=1), torch.zeros_like(total))
    attr.numpy().astype('<f4').tofile(out)
    print(len(boxes), f0)


if __name__ == '__main__':
    main()
