"""The two VoxelLens demo networks (TorchScript-scriptable, with Grad-CAM probe methods).

Tensor layout: [batch, channel, z, y, x] ("bczyx"). Every exported model has, besides forward(x):
  forward_probe_<L>(x, probe)  same output as forward, with `probe` (shape of layer L's output) added to L's output;
  activations_<L>(x)           layer L's output.
A zero probe that requires grad gives d score / d (layer L output) in one backward pass (see docs on DJL).
"""

from __future__ import annotations

from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn_relu(cin: int, cout: int) -> List[nn.Module]:
    return [nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm3d(cout), nn.ReLU()]


class DemoClassifier(nn.Module):
    """[B,1,48,48,48] -> logits [B,2] (normal, lesion). Grad-CAM layers: block3, block4 (both [B,32,12,12,12]).

    The head is a global MAX pool over block4 followed by a linear layer (multiple-instance style: "is there a
    lesion anywhere"). A global average pool dilutes a 1-4 voxel lesion among 12^3 = 1728 positions and did not
    train in a few hundred steps; with max pooling d logit / d block4 is non-zero at one position per channel.
    """

    GRADCAM_LAYERS = {"block3": (32, 12, 12, 12), "block4": (32, 12, 12, 12)}

    def __init__(self):
        super().__init__()
        self.block1 = nn.Sequential(*conv_bn_relu(1, 8), nn.MaxPool3d(2))     # 8 x 24^3
        self.block2 = nn.Sequential(*conv_bn_relu(8, 16), nn.MaxPool3d(2))    # 16 x 12^3
        self.block3 = nn.Sequential(*conv_bn_relu(16, 32))                    # 32 x 12^3
        self.block4 = nn.Sequential(*conv_bn_relu(32, 32))                    # 32 x 12^3
        self.fc = nn.Linear(32, 2)

    def _to_block3(self, x: torch.Tensor) -> torch.Tensor:
        return self.block3(self.block2(self.block1(x)))

    def _head(self, a4: torch.Tensor) -> torch.Tensor:
        return self.fc(a4.amax(dim=[2, 3, 4]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._head(self.block4(self._to_block3(x)))

    @torch.jit.export
    def forward_probe_block3(self, x: torch.Tensor, probe: torch.Tensor) -> torch.Tensor:
        return self._head(self.block4(self._to_block3(x) + probe))

    @torch.jit.export
    def activations_block3(self, x: torch.Tensor) -> torch.Tensor:
        return self._to_block3(x)

    @torch.jit.export
    def forward_probe_block4(self, x: torch.Tensor, probe: torch.Tensor) -> torch.Tensor:
        return self._head(self.block4(self._to_block3(x)) + probe)

    @torch.jit.export
    def activations_block4(self, x: torch.Tensor) -> torch.Tensor:
        return self.block4(self._to_block3(x))


class DemoSegmenter(nn.Module):
    """Tiny 2-level 3D UNet: [B,1,Z,Y,X] -> logits [B,2,Z,Y,X] (background, lesion); Z, Y, X divisible by 4.

    Grad-CAM layers: bottleneck ([B,32,Z/4,Y/4,X/4]) and decoder1 ([B,8,Z,Y,X]).
    """

    GRADCAM_LAYERS = {"bottleneck": (32, 12, 12, 12), "decoder1": (8, 48, 48, 48)}

    def __init__(self, c=(8, 16, 32)):
        super().__init__()
        self.encoder1 = nn.Sequential(*conv_bn_relu(1, c[0]), *conv_bn_relu(c[0], c[0]))
        self.encoder2 = nn.Sequential(*conv_bn_relu(c[0], c[1]), *conv_bn_relu(c[1], c[1]))
        self.bottleneck = nn.Sequential(*conv_bn_relu(c[1], c[2]), *conv_bn_relu(c[2], c[2]))
        self.up2 = nn.ConvTranspose3d(c[2], c[1], 2, stride=2)
        self.decoder2 = nn.Sequential(*conv_bn_relu(2 * c[1], c[1]))
        self.up1 = nn.ConvTranspose3d(c[1], c[0], 2, stride=2)
        self.decoder1 = nn.Sequential(*conv_bn_relu(2 * c[0], c[0]))
        self.head = nn.Conv3d(c[0], 2, 1)

    def _decode(self, b: torch.Tensor, e1: torch.Tensor, e2: torch.Tensor) -> torch.Tensor:
        d2 = self.decoder2(torch.cat([self.up2(b), e2], dim=1))
        return self.decoder1(torch.cat([self.up1(d2), e1], dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.encoder1(x)
        e2 = self.encoder2(F.max_pool3d(e1, 2))
        b = self.bottleneck(F.max_pool3d(e2, 2))
        return self.head(self._decode(b, e1, e2))

    @torch.jit.export
    def forward_probe_bottleneck(self, x: torch.Tensor, probe: torch.Tensor) -> torch.Tensor:
        e1 = self.encoder1(x)
        e2 = self.encoder2(F.max_pool3d(e1, 2))
        b = self.bottleneck(F.max_pool3d(e2, 2)) + probe
        return self.head(self._decode(b, e1, e2))

    @torch.jit.export
    def activations_bottleneck(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.encoder1(x)
        e2 = self.encoder2(F.max_pool3d(e1, 2))
        return self.bottleneck(F.max_pool3d(e2, 2))

    @torch.jit.export
    def forward_probe_decoder1(self, x: torch.Tensor, probe: torch.Tensor) -> torch.Tensor:
        e1 = self.encoder1(x)
        e2 = self.encoder2(F.max_pool3d(e1, 2))
        b = self.bottleneck(F.max_pool3d(e2, 2))
        return self.head(self._decode(b, e1, e2) + probe)

    @torch.jit.export
    def activations_decoder1(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.encoder1(x)
        e2 = self.encoder2(F.max_pool3d(e1, 2))
        b = self.bottleneck(F.max_pool3d(e2, 2))
        return self._decode(b, e1, e2)


class CoordClassifier(nn.Module):
    """DemoClassifier with the position of each block-3 voxel as 3 extra input channels (CoordConv): [B,1,48,48,48]
    -> logits [B,2]. Grad-CAM layers: block3, block4 (both [B,32,12,12,12]).

    For tasks in which WHERE a lesion lies decides the class (Colin27 region and hemisphere tasks): after the global
    max pool a plain CNN only knows what it saw, not where; the constant coordinate channels (x, y, z in [-1, 1] on
    the 12^3 grid) let block3/block4 respond to "lesion here". They are buffers, not inputs: attributions are over
    the image only.
    """

    GRADCAM_LAYERS = {"block3": (32, 12, 12, 12), "block4": (32, 12, 12, 12)}

    def __init__(self):
        super().__init__()
        self.block1 = nn.Sequential(*conv_bn_relu(1, 8), nn.MaxPool3d(2))     # 8 x 24^3
        self.block2 = nn.Sequential(*conv_bn_relu(8, 16), nn.MaxPool3d(2))    # 16 x 12^3
        self.block3 = nn.Sequential(*conv_bn_relu(16 + 3, 32))                # 32 x 12^3
        self.block4 = nn.Sequential(*conv_bn_relu(32, 32))                    # 32 x 12^3
        self.fc = nn.Linear(32, 2)
        g = torch.linspace(-1.0, 1.0, 12)
        z, y, x = torch.meshgrid(g, g, g, indexing="ij")
        self.register_buffer("coords", torch.stack([x, y, z])[None])          # [1, 3, 12, 12, 12] (x, y, z)

    def _to_block3(self, x: torch.Tensor) -> torch.Tensor:
        f = self.block2(self.block1(x))
        return self.block3(torch.cat([f, self.coords.expand(f.shape[0], 3, 12, 12, 12)], dim=1))

    def _head(self, a4: torch.Tensor) -> torch.Tensor:
        return self.fc(a4.amax(dim=[2, 3, 4]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._head(self.block4(self._to_block3(x)))

    @torch.jit.export
    def forward_probe_block3(self, x: torch.Tensor, probe: torch.Tensor) -> torch.Tensor:
        return self._head(self.block4(self._to_block3(x) + probe))

    @torch.jit.export
    def activations_block3(self, x: torch.Tensor) -> torch.Tensor:
        return self._to_block3(x)

    @torch.jit.export
    def forward_probe_block4(self, x: torch.Tensor, probe: torch.Tensor) -> torch.Tensor:
        return self._head(self.block4(self._to_block3(x)) + probe)

    @torch.jit.export
    def activations_block4(self, x: torch.Tensor) -> torch.Tensor:
        return self.block4(self._to_block3(x))
