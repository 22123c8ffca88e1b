"""Export torchvision's MobileNet v2 backbone to ONNX for the fine-tuning example.

The graph is the whole network up to the classifier: features, global average pool and
flatten, so its output is the pooled [N, 1280] feature vector that the example's fresh
10-class head (nn.Linear(1280, 10)) takes. torchvision's own classifier (dropout and the
1000-class Linear) is replaced by the identity before export, so it is not in the file.
Initializers keep PyTorch's parameter names (features.0.0.weight, ...).

Usage:
  /usr/bin/python3 tools/export_mobilenet.py OUT.onnx [--weights IMAGENET1K_V1] [--size 32]

--weights defaults to none (random weights, with BatchNorm's running statistics calibrated
on noise images; see calibrate): nothing can be downloaded on machines without network. Pass
IMAGENET1K_V1 or IMAGENET1K_V2 where torchvision can download them (or has them in its cache,
~/.cache/torch/hub/checkpoints) for a real pretrained backbone.
--size is the square input side used to trace the graph (and to calibrate random weights); the
batch and spatial sizes stay dynamic in the exported file, so any size works at run time.
"""

import argparse
import os

import torch
import torchvision


def calibrate(model, size):
    """Random weights: set BatchNorm's running statistics from a few batches of noise images
    (what normalised inputs look like), so each layer's output is normalised. With torchvision's
    default statistics (mean 0, variance 1) the random network's features vanish (about 1e-10)
    and a head trained on them learns nothing but the class frequencies."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # a plain average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(32, 3, size, size))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--weights", default=None, help="torchvision weights enum name, e.g. IMAGENET1K_V1 (default: random)")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--opset", type=int, default=13)
    args = parser.parse_args()

    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(weights=args.weights)
    model.classifier = torch.nn.Identity()
    if args.weights is None:
        calibrate(model, args.size)
    model.eval()
    x = torch.randn(1, 3, args.size, args.size)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    temp = args.out + ".part"
    # Eval mode, exported as is (PRESERVE) with constant folding off: BatchNormalization stays a node and its running
    # statistics stay buffers named as in PyTorch (folding would merge them into renamed conv weights).
    torch.onnx.export(model, (x,), temp, input_names=["image"], output_names=["features"],
                      dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}, "features": {0: "batch"}},
                      opset_version=args.opset, do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    os.replace(temp, args.out)
    with torch.no_grad():
        features = model(x)
    print(f"wrote {args.out}: mobilenet_v2 backbone, weights {args.weights or 'random'}, "
          f"output [N, {features.shape[1]}]", flush=True)


if __name__ == "__main__":
    main()
