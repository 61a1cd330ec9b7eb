#!/usr/bin/python3
"""Tiny TorchScript models for the metric property tests (run with Debian's /usr/bin/python3, torch 1.13).

linear/  logits[b, k] = sum_v W[k, v] x[b, v] + c[k] on an 8^3 input: exactly linear, so
         f(x) - f(x - I) = sum_v W[target, v] I_v for every perturbation I (infidelity 0 for an exact gradient map).
cnn/     conv -> relu -> pool -> conv -> relu -> mean -> fc on an 8^3 input, modules conv1, conv2, fc: a nonlinear
         model with several layers for the randomisation check and weight-restoration tests.
Weights come from fixed seeds, so rerunning gives the same files.
"""
import os
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
RDF = """format_version: 0.4.10
type: model
name: {name}
inputs:
  - name: input
    axes: bczyx
    data_type: float32
    shape: [1, 1, 8, 8, 8]
outputs:
  - name: logits
    axes: bc
    shape: [1, 2]
weights:
  torchscript:
    source: model.pt
config:
  voxellens:
    task: classification
    class_names: [normal, lesion]
    default_target: lesion
"""


class Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Conv3d(1, 2, 8)

    def forward(self, x):
        return self.lin(x).flatten(1)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv3d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv3d(4, 8, 3, padding=1)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        a = torch.max_pool3d(torch.relu(self.conv1(x)), 2)
        return self.fc(torch.relu(self.conv2(a)).mean(dim=[2, 3, 4]))


def save(name, m):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    m.eval()
    torch.jit.script(m).save(os.path.join(d, "model.pt"))
    with open(os.path.join(d, "rdf.yaml"), "w") as f:
        f.write(RDF.format(name=name))


if __name__ == "__main__":
    torch.manual_seed(11)
    save("linear", Linear())
    torch.manual_seed(12)
    save("cnn", Cnn())
