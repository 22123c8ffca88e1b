/**
 * A small U-Net, the Tensile port of `tools/unet.py`: Conv2d + GroupNorm + SiLU blocks, max
 * pooling down, a ConvTranspose2d and a bilinear `F.interpolate` up, skip connections. The
 * field names are the PyTorch module's, so its state dict loads key for key.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Conv2d, ConvTranspose2d, functional as F, GroupNorm, Module } from '@tensile/nn';

export class Block extends Module {
  conv1: Conv2d;
  norm1: GroupNorm;
  conv2: Conv2d;
  norm2: GroupNorm;

  constructor(inChannels: number, outChannels: number, groups = 2) {
    super();
    this.conv1 = new Conv2d(inChannels, outChannels, 3, { padding: 1 });
    this.norm1 = new GroupNorm(groups, outChannels);
    this.conv2 = new Conv2d(outChannels, outChannels, 3, { padding: 1 });
    this.norm2 = new GroupNorm(groups, outChannels);
  }

  forward(x: Tensor): Tensor {
    const h = F.silu(this.norm1.forward(this.conv1.forward(x)));
    return F.silu(this.norm2.forward(this.conv2.forward(h)));
  }
}

export class UNet extends Module {
  inc: Block;
  down1: Block;
  down2: Block;
  up1: ConvTranspose2d;
  dec1: Block;
  up2: Conv2d;
  dec2: Block;
  out: Conv2d;

  constructor(inChannels = 3, outChannels = 2, base = 4) {
    super();
    this.inc = new Block(inChannels, base);
    this.down1 = new Block(base, 2 * base);
    this.down2 = new Block(2 * base, 4 * base);
    this.up1 = new ConvTranspose2d(4 * base, 2 * base, 3, { stride: 2, padding: 1, outputPadding: 1 });
    this.dec1 = new Block(4 * base, 2 * base);
    this.up2 = new Conv2d(2 * base, base, 1);
    this.dec2 = new Block(2 * base, base);
    this.out = new Conv2d(base, outChannels, 1);
  }

  forward(x: Tensor): Tensor {
    return tl.tidy(() => {
      const x1 = this.inc.forward(x);
      const x2 = this.down1.forward(F.maxPool2d(x1, { kernelSize: 2 }));
      const x3 = this.down2.forward(F.maxPool2d(x2, { kernelSize: 2 }));
      const u1 = this.dec1.forward(tl.cat([this.up1.forward(x3), x2], 1));
      const u2 = F.interpolate(u1, { size: x1.shape.slice(-2), mode: 'bilinear', alignCorners: false });
      return this.out.forward(this.dec2.forward(tl.cat([this.up2.forward(u2), x1], 1)));
    });
  }
}
