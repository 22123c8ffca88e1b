"""Reference fixtures for @tensile/onnx: small PyTorch models with random weights exported
with torch.onnx.export, plus what PyTorch computes on them.

For each model, <out>/<name>/ gets
  model.onnx           the exported graph (initializers keep the PyTorch parameter names)
  reference.safetensors input.<i>, output.<i>, grad.<initializer> (of the loss below), and
                       input2.<i>/output2.<i> at other batch/sequence sizes (dynamic axes)
  expected.json        the loss, the 20-step SGD loss curve, the learning rate, the names

Loss: the sum over outputs of mean(output ** 2). Models run in eval mode (BatchNorm on its
running statistics, no dropout), which is what the exported graph computes.

Usage: /usr/bin/python3 generate_fixtures.py OUT_DIR [name ...]
"""

import json
import math
import os
import struct
import sys
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

torch.manual_seed(0)


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.int64:
            t = t.to(torch.int32)
        dtype = {torch.float32: "F32", torch.int32: "I32"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(torch.tanh(F.leaky_relu(self.fc1(x), 0.1)) + torch.sigmoid(self.fc1(x)))


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2, dilation=1)
        self.conv3 = nn.Conv2d(8, 6, 3, padding=2, dilation=2)
        self.up = nn.ConvTranspose2d(6, 4, 2, stride=2)
        self.fc = nn.Linear(4, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.avg_pool2d(F.relu6(self.conv2(x)), 2, ceil_mode=False)
        x = self.up(F.elu(self.conv3(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return F.log_softmax(self.fc(x), dim=-1), torch.softmax(self.fc(x), dim=1)


class Recurrent(nn.Module):
    """nn.LSTM (2 layers, bidirectional), a batch-first nn.GRU and a ReLU nn.RNN: ONNX's LSTM, GRU and RNN nodes."""
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
        self.gru = nn.GRU(8, 5, batch_first=True)
        self.rnn = nn.RNN(5, 3, nonlinearity="relu")

    def forward(self, x):
        y, (h, c) = self.lstm(x)
        z, _ = self.gru(y.transpose(0, 1))
        w, hw = self.rnn(z.transpose(0, 1))
        return w.transpose(0, 1), h.transpose(0, 1), c.transpose(0, 1), hw.transpose(0, 1)  # batch first, as the outputs' dynamic axis 0


@torch.jit.script
def refine(h, w, steps: int):
    """A scripted loop, so the export keeps it as ONNX's Loop, with an If on the iteration number
    inside and a list of the states (a sequence the loop carries) stacked after it."""
    total = h
    states: List[torch.Tensor] = []
    for i in range(steps):
        h = torch.tanh(h @ w)
        if i % 2 == 1:
            h = h * 0.5
        total = total + h
        states.append(h)
    return total, torch.stack(states, 1)


class ControlFlow(nn.Module):
    """What PyTorch exports as control flow: nn.EmbeddingBag (a Loop over the bags), nn.LocalResponseNorm
    (an If on the input's rank) and a scripted loop (a Loop with an If in its body and a list it appends to)."""
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(20, 6, mode="mean")
        self.norm = nn.LocalResponseNorm(3)
        self.w = nn.Parameter(torch.randn(6, 6) * 0.4)

    def forward(self, ids, offsets):
        e = self.norm(self.bag(ids, offsets).unsqueeze(2)).squeeze(2)
        return refine(e, self.w, 3)


class Detector(nn.Module):
    """A small torchvision Faster R-CNN (a two-conv backbone, one feature map, small heads): the
    export's anchors, RPN proposals and NonMaxSuppression, RoiAlign, box decoding and the If and
    Loop of its postprocessing. Returns the detections' boxes and scores."""
    def __init__(self):
        super().__init__()
        from torchvision.models.detection import FasterRCNN
        from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
        from torchvision.models.detection.rpn import AnchorGenerator
        backbone = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())
        backbone.out_channels = 16
        self.model = FasterRCNN(
            backbone, rpn_anchor_generator=AnchorGenerator(sizes=((8, 16, 32),), aspect_ratios=((0.5, 1.0, 2.0),)),
            box_roi_pool=torchvision.ops.MultiScaleRoIAlign(featmap_names=["0"], output_size=4, sampling_ratio=2),
            box_head=TwoMLPHead(16 * 4 * 4, 32), box_predictor=FastRCNNPredictor(32, 3), min_size=64, max_size=64,
            rpn_pre_nms_top_n_test=60, rpn_post_nms_top_n_test=30, box_score_thresh=0.0, box_detections_per_img=12)

    def forward(self, image):
        out = self.model([image])[0]
        return out["boxes"] / 64, out["scores"]  # boxes in units of the input size


def bag_inputs(n, offsets, seed):
    g = torch.Generator().manual_seed(seed)
    return (torch.randint(0, 20, (n,), generator=g), torch.tensor(offsets))


class GPTBlock(nn.Module):
    """A GPT-2-style decoder: token and position embeddings, one pre-norm block, tied-free head."""

    def __init__(self, vocab=50, dim=32, heads=4, ctx=16):
        super().__init__()
        self.heads = heads
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(ctx, dim)
        self.ln_1 = nn.LayerNorm(dim)
        self.c_attn = nn.Linear(dim, 3 * dim)
        self.c_proj = nn.Linear(dim, dim)
        self.ln_2 = nn.LayerNorm(dim)
        self.c_fc = nn.Linear(dim, 4 * dim)
        self.c_fc_proj = nn.Linear(4 * dim, dim)
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        self.register_buffer("bias", torch.tril(torch.ones(ctx, ctx, dtype=torch.bool)).view(1, 1, ctx, ctx))

    def forward(self, ids):
        b, t = ids.shape
        pos = torch.arange(0, t, dtype=torch.long).unsqueeze(0)
        x = self.wte(ids) + self.wpe(pos)
        h = self.ln_1(x)
        q, k, v = self.c_attn(h).split(x.shape[-1], dim=2)
        hd = x.shape[-1] // self.heads
        q = q.view(b, t, self.heads, hd).transpose(1, 2)
        k = k.view(b, t, self.heads, hd).transpose(1, 2)
        v = v.view(b, t, self.heads, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
        att = att.masked_fill(~self.bias[:, :, :t, :t], float("-inf"))
        y = (F.softmax(att, dim=-1) @ v).transpose(1, 2).contiguous().view(b, t, x.shape[-1])
        x = x + self.c_proj(y)
        x = x + self.c_fc_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return self.lm_head(self.ln_f(x))


class BertLayer(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.attention_output = nn.Linear(dim, dim)
        self.attention_norm = nn.LayerNorm(dim, eps=1e-12)
        self.intermediate = nn.Linear(dim, 2 * dim)
        self.output = nn.Linear(2 * dim, dim)
        self.output_norm = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x, additive_mask):
        b, t, d = x.shape
        hd = d // self.heads

        def split(y):
            return y.view(b, t, self.heads, hd).permute(0, 2, 1, 3)

        scores = split(self.query(x)) @ split(self.key(x)).transpose(-1, -2) / math.sqrt(hd) + additive_mask
        ctx = (scores.softmax(-1) @ split(self.value(x))).permute(0, 2, 1, 3).reshape(b, t, d)
        x = self.attention_norm(x + self.attention_output(ctx))
        return self.output_norm(x + self.output(F.gelu(self.intermediate(x))))


class BertEncoder(nn.Module):
    """BERT-shaped: word, position and token-type embeddings, two layers, a tanh pooler."""

    def __init__(self, vocab=60, dim=32, heads=4, layers=2, ctx=16):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim)
        self.position_embeddings = nn.Embedding(ctx, dim)
        self.token_type_embeddings = nn.Embedding(2, dim)
        self.embeddings_norm = nn.LayerNorm(dim, eps=1e-12)
        self.layer = nn.ModuleList([BertLayer(dim, heads) for _ in range(layers)])
        self.pooler = nn.Linear(dim, dim)

    def forward(self, input_ids, attention_mask, token_type_ids):
        t = input_ids.shape[1]
        pos = torch.arange(t).unsqueeze(0).expand_as(input_ids)
        x = self.word_embeddings(input_ids) + self.position_embeddings(pos) + self.token_type_embeddings(token_type_ids)
        x = self.embeddings_norm(x)
        additive = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0
        for layer in self.layer:
            x = layer(x, additive)
        return x, torch.tanh(self.pooler(x[:, 0]))


def ids(vocab, b, t, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab, (b, t), generator=g)


def bert_inputs(b, t, seed):
    mask = torch.ones(b, t, dtype=torch.long)
    mask[-1, t - 2:] = 0
    types = torch.zeros(b, t, dtype=torch.long)
    types[:, t // 2:] = 1
    return (ids(60, b, t, seed), mask, types)


def image(b, c, h, seed):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(b, c, h, h, generator=g),)


def randomize_norms(model):
    # Random running statistics, so BatchNormalization's inference form is really checked, and
    # random values for constant-initialised parameters (norms' ones, zero biases):
    # torch.onnx.export merges initializers of equal values, which would drop their names.
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    with torch.no_grad():
        for p in model.parameters():
            first = p.flatten()[0].item()
            if (p == first).all():
                p.uniform_(first - 0.2, first + 0.2)


# name: (factory, inputs, other-size inputs, input names, dynamic axes, opset, SGD lr)
MODELS = {
    "mlp": (MLP, lambda: (torch.randn(3, 8),), lambda: (torch.randn(5, 8),), ["x"], {"x": {0: "batch"}}, 13, 0.1),
    "cnn": (SmallCNN, lambda: image(2, 3, 16, 1), lambda: image(3, 3, 16, 2), ["x"], {"x": {0: "batch"}}, 13, 0.1),
    "recurrent": (Recurrent, lambda: (torch.randn(6, 2, 3),), lambda: (torch.randn(4, 3, 3),), ["x"], {"x": {0: "sequence", 1: "batch"}}, 14, 0.1),
    "control_flow": (ControlFlow, lambda: bag_inputs(9, [0, 3, 4, 8], 21), lambda: bag_inputs(5, [0, 2], 22), ["ids", "offsets"],
                     {"ids": {0: "indices"}, "offsets": {0: "batch"}}, 17, 0.1),
    "detector": (Detector, lambda: (torch.rand(3, 64, 64, generator=torch.Generator().manual_seed(23)),),
                 lambda: (torch.rand(3, 80, 72, generator=torch.Generator().manual_seed(24)),), ["image"],
                 {"image": {1: "height", 2: "width"}}, 11, 0.01),
    "gpt": (GPTBlock, lambda: (ids(50, 2, 8, 3),), lambda: (ids(50, 3, 5, 4),), ["input_ids"],
            {"input_ids": {0: "batch", 1: "sequence"}}, 17, 0.05),
    "bert": (BertEncoder, lambda: bert_inputs(2, 8, 5), lambda: bert_inputs(1, 6, 6),
             ["input_ids", "attention_mask", "token_type_ids"],
             {n: {0: "batch", 1: "sequence"} for n in ["input_ids", "attention_mask", "token_type_ids"]}, 14, 0.05),
    "resnet18": (lambda: torchvision.models.resnet18(weights=None, num_classes=10), lambda: image(1, 3, 64, 7),
                 lambda: image(2, 3, 64, 8), ["x"], {"x": {0: "batch"}}, 13, 0.001),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(weights=None, num_classes=10), lambda: image(1, 3, 64, 9),
                     lambda: image(2, 3, 64, 10), ["x"], {"x": {0: "batch"}}, 13, 0.01),
    "mobilenet_v3_small": (lambda: torchvision.models.mobilenet_v3_small(weights=None, num_classes=10),
                           lambda: image(1, 3, 64, 11), lambda: image(2, 3, 64, 12), ["x"], {"x": {0: "batch"}}, 14, 0.01),
    "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(weights=None, num_classes=10), lambda: image(1, 3, 64, 13),
                      lambda: image(2, 3, 64, 14), ["x"], {"x": {0: "batch"}}, 13, 0.01),
    "shufflenet_v2_x0_5": (lambda: torchvision.models.shufflenet_v2_x0_5(weights=None, num_classes=10), lambda: image(1, 3, 64, 15),
                           lambda: image(2, 3, 64, 16), ["x"], {"x": {0: "batch"}}, 13, 0.01),
    # Shifted windows (roll, ScatterND-built masks, relative position bias), at a tiny size.
    "swin_tiny": (lambda: torchvision.models.swin_transformer.SwinTransformer(
                      patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 2], window_size=[4, 4], num_classes=10),
                  lambda: image(1, 3, 32, 17), lambda: image(2, 3, 32, 18), ["x"], {"x": {0: "batch"}}, 17, 0.01),
    "vit_tiny": (lambda: torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32,
                                                              mlp_dim=64, num_classes=10),
                 lambda: image(1, 3, 32, 19), lambda: image(2, 3, 32, 20), ["x"], {"x": {0: "batch"}}, 17, 0.01),
}

STEPS = 20
# Models whose gradients are taken as the exported graph has them, through PyTorch's detach calls.
THROUGH_DETACH = {"detector"}
DETACH = torch.Tensor.detach


def loss_of(outputs):
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    return sum((o ** 2).mean() for o in outputs), outputs


def generate(out_dir, name):
    factory, make_inputs, make_inputs2, input_names, dynamic_axes, opset, lr = MODELS[name]
    torch.manual_seed(100 + len(name))
    model = factory()
    randomize_norms(model)
    model.eval()
    inputs, inputs2 = make_inputs(), make_inputs2()
    directory = os.path.join(out_dir, name)
    os.makedirs(directory, exist_ok=True)
    with torch.no_grad():
        sample = model(*inputs)
    n_out = len(sample) if isinstance(sample, tuple) else 1
    output_names = [f"output_{i}" for i in range(n_out)]
    axes = dict(dynamic_axes)
    for o in output_names:
        axes[o] = {0: "batch"}
    torch.onnx.export(model, inputs, os.path.join(directory, "model.onnx"), input_names=input_names,
                      output_names=output_names, dynamic_axes=axes, opset_version=opset,
                      do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)

    import onnx
    graph = onnx.load(os.path.join(directory, "model.onnx")).graph
    initializers = {i.name for i in graph.initializer}
    params = dict(model.named_parameters())
    missing = [n for n in params if n not in initializers]
    if missing:
        raise SystemExit(f"{name}: parameters without an initializer of the same name: {missing}")

    tensors = {}
    for i, x in enumerate(inputs):
        tensors[f"input.{i}"] = x
    for i, x in enumerate(inputs2):
        tensors[f"input2.{i}"] = x
    with torch.no_grad():
        out2 = model(*inputs2)
    for i, o in enumerate(out2 if isinstance(out2, tuple) else (out2,)):
        tensors[f"output2.{i}"] = o
    if name in THROUGH_DETACH:
        # ONNX records no detach, so the imported graph differentiates through what PyTorch
        # detaches (a detector's proposals): so does this reference, with detach the identity.
        torch.Tensor.detach = lambda self: self
    loss, outs = loss_of(model(*inputs))
    for i, o in enumerate(outs):
        tensors[f"output.{i}"] = o
    loss.backward()
    for n, p in params.items():
        # No gradient (a parameter only selections depend on, as an RPN's objectness) is zeros.
        tensors[f"grad.{n}"] = p.grad.clone() if p.grad is not None else torch.zeros_like(p)
    model.zero_grad()

    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    curve = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        step_loss, _ = loss_of(model(*inputs))
        step_loss.backward()
        optimizer.step()
        curve.append(step_loss.item())
    torch.Tensor.detach = DETACH
    write_safetensors(os.path.join(directory, "reference.safetensors"), tensors)
    with open(os.path.join(directory, "expected.json"), "w") as f:
        json.dump({"opset": opset, "lr": lr, "loss": loss.item(), "curve": curve, "inputs": len(inputs),
                   "outputs": n_out, "parameters": list(params)}, f, indent=1)


if __name__ == "__main__":
    out = sys.argv[1]
    for name in sys.argv[2:] or MODELS:
        generate(out, name)
        print("wrote", name, file=sys.stderr)
