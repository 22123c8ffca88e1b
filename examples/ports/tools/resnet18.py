#!/usr/bin/python3
"""The PyTorch side of the ResNet-18 port: torchvision 0.14's resnet18 (random weights; no
downloads here), its batch-norm statistics calibrated on random batches so activations stay
O(1), an input, and the eval-mode logits and input gradient.

  /usr/bin/python3 examples/ports/tools/resnet18.py OUT_DIR

The files are large (the state dict is about 47 MB), so the test runs this into a git-ignored
cache (examples/ports/.tensile-cache/resnet18) instead of committing them.
"""
import os
import sys

import torch
import torchvision

from common import write_safetensors


def main():
    out = sys.argv[1]
    torch.manual_seed(18)
    model = torchvision.models.resnet18()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(4, 3, 64, 64))
    model.eval()
    x = torch.randn(2, 3, 64, 64, requires_grad=True)
    y = model(x)
    g = torch.randn(y.shape)
    (y * g).sum().backward()
    os.makedirs(out, exist_ok=True)
    state = model.state_dict()
    write_safetensors(os.path.join(out, 'weights.safetensors'), state, {'torchvision': torchvision.__version__})
    write_safetensors(os.path.join(out, 'io.safetensors'), {'input': x, 'gradOutput': g, 'output': y, 'inputGrad': x.grad},
                      {'torch': torch.__version__, 'keys': ','.join(state.keys())})
    print('resnet18:', sum(p.numel() for p in model.parameters()), 'parameters, output', list(y.shape))


if __name__ == '__main__':
    main()
