#!/usr/bin/python3
"""The PyTorch side of the U-Net port: a small U-Net (Conv2d + GroupNorm + SiLU blocks, max
pooling down, a ConvTranspose2d and a bilinear F.interpolate up, skip connections), its
random weights, an input and the output and input gradient PyTorch computes.

  /usr/bin/python3 examples/ports/tools/unet.py

Writes fixtures/unet-weights.safetensors (the state dict, PyTorch's keys) and
fixtures/unet-io.safetensors (input, gradOutput, output, inputGrad).
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import write_safetensors

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')


class Block(nn.Module):
    def __init__(self, cin, cout, groups=2):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm1 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, cout)

    def forward(self, x):
        x = F.silu(self.norm1(self.conv1(x)))
        return F.silu(self.norm2(self.conv2(x)))


class UNet(nn.Module):
    def __init__(self, cin=3, cout=2, base=4):
        super().__init__()
        self.inc = Block(cin, base)
        self.down1 = Block(base, 2 * base)
        self.down2 = Block(2 * base, 4 * base)
        self.up1 = nn.ConvTranspose2d(4 * base, 2 * base, 3, stride=2, padding=1, output_padding=1)
        self.dec1 = Block(4 * base, 2 * base)
        self.up2 = nn.Conv2d(2 * base, base, 1)
        self.dec2 = Block(2 * base, base)
        self.out = nn.Conv2d(base, cout, 1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(F.max_pool2d(x1, 2))
        x3 = self.down2(F.max_pool2d(x2, 2))
        u1 = self.dec1(torch.cat([self.up1(x3), x2], 1))
        u2 = F.interpolate(u1, size=x1.shape[-2:], mode='bilinear', align_corners=False)
        u2 = self.dec2(torch.cat([self.up2(u2), x1], 1))
        return self.out(u2)


def main():
    torch.manual_seed(12)
    model = UNet()
    with torch.no_grad():  # GroupNorm affine away from its identity init
        for m in model.modules():
            if isinstance(m, nn.GroupNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
    x = torch.randn(2, 3, 20, 20, requires_grad=True)
    y = model(x)
    g = torch.randn(y.shape)
    (y * g).sum().backward()
    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, 'unet-weights.safetensors'), model.state_dict())
    write_safetensors(os.path.join(OUT, 'unet-io.safetensors'),
                      {'input': x, 'gradOutput': g, 'output': y, 'inputGrad': x.grad, 'up1WeightGrad': model.up1.weight.grad},
                      {'torch': torch.__version__})
    print('unet:', sum(p.numel() for p in model.parameters()), 'parameters, output', list(y.shape))


if __name__ == '__main__':
    main()
