/**
 * ResNet-18, the Tensile port of torchvision 0.14's `resnet18`: the same modules under the
 * same field names in the same order (conv1, bn1, relu, maxpool, layer1..4 of BasicBlocks
 * with `downsample` where the shape changes, avgpool, fc), so torchvision's state dict
 * loads key for key and in order.
 */
import type { Tensor } from '@tensile/core';
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Linear, MaxPool2d, Module, ReLU, Sequential } from '@tensile/nn';

export class BasicBlock extends Module {
  static readonly expansion = 1;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  downsample: Sequential | null;

  constructor(inplanes: number, planes: number, stride = 1, downsample: Sequential | null = null) {
    super();
    this.conv1 = new Conv2d(inplanes, planes, 3, { stride, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(planes);
    this.relu = new ReLU();
    this.conv2 = new Conv2d(planes, planes, 3, { padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(planes);
    this.downsample = downsample;
  }

  forward(x: Tensor): Tensor {
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.bn2.forward(this.conv2.forward(out));
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return this.relu.forward(out.add(identity));
  }
}

export class ResNet extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  maxpool: MaxPool2d;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  layer4: Sequential;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;
  private inplanes = 64;

  constructor(layers: readonly [number, number, number, number], numClasses = 1000) {
    super();
    this.conv1 = new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new BatchNorm2d(64);
    this.relu = new ReLU();
    this.maxpool = new MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this.makeLayer(64, layers[0]);
    this.layer2 = this.makeLayer(128, layers[1], 2);
    this.layer3 = this.makeLayer(256, layers[2], 2);
    this.layer4 = this.makeLayer(512, layers[3], 2);
    this.avgpool = new AdaptiveAvgPool2d([1, 1]);
    this.fc = new Linear(512, numClasses);
  }

  private makeLayer(planes: number, blocks: number, stride = 1): Sequential {
    const downsample =
      stride !== 1 || this.inplanes !== planes
        ? new Sequential(new Conv2d(this.inplanes, planes, 1, { stride, bias: false }), new BatchNorm2d(planes))
        : null;
    const layers = [new BasicBlock(this.inplanes, planes, stride, downsample)];
    this.inplanes = planes;
    for (let i = 1; i < blocks; i++) layers.push(new BasicBlock(this.inplanes, planes));
    return new Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    let h = this.maxpool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x))));
    for (const layer of [this.layer1, this.layer2, this.layer3, this.layer4]) h = layer.forward(h);
    return this.fc.forward(this.avgpool.forward(h).flatten(1));
  }
}

/** torchvision's `resnet18()`: BasicBlocks [2, 2, 2, 2]. */
export function resnet18(numClasses = 1000): ResNet {
  return new ResNet([2, 2, 2, 2], numClasses);
}
