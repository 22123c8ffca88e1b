"""Export torchvision's ResNet-18 to ONNX for the bench's resnet18 rows (src/workloads/resnet18.ts).

Usage: /usr/bin/python3 tools/export_resnet18.py OUT.onnx

weights=None (random weights from torchvision's own initialisation, seeded: no pretrained
download here), the standard 1000 classes, model.eval(), input "x" of 3x224x224 with a
dynamic batch axis, output "logits", opset 13. torch.onnx.export's defaults otherwise: in eval
mode it folds each BatchNorm into the convolution before it, as deployed models are.
"""
import sys

import torch
import torchvision


def main(out):
    torch.manual_seed(18)
    model = torchvision.models.resnet18(weights=None)
    model.eval()
    x = torch.randn(1, 3, 224, 224)
    torch.onnx.export(model, (x,), out, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)


if __name__ == "__main__":
    main(sys.argv[1])
