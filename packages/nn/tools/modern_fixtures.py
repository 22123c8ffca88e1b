#!/usr/bin/python3
"""Golden values for the layers, functionals and losses that issue 12 added, from PyTorch
(Debian's python3-torch, 1.13). Writes packages/nn/test/fixtures/{modern-layers,
functional-ops,extra-losses}.json:

    /usr/bin/python3 packages/nn/tools/modern_fixtures.py

What PyTorch 1.13 lacks (RMSNorm, F.rms_norm and F.scaled_dot_product_attention, all
PyTorch 2) is written here from PyTorch 2's documented formulas.
"""
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from fixture_utils import rounded as T, write_json
from generate_fixtures import loss_case


def forward_backward(call, inputs):
    """Call `call(*xs)` on copies of `inputs` (tensors, float ones getting gradients, or
    (tensor, False) for none) and backward sum(out0 * g) for a random g when the first output
    has a gradient. Returns the case's inputs, outputs, gradOutput and inputGrads."""
    xs, wants = [], []
    for item in inputs:
        t, want = item if isinstance(item, tuple) else (item, True)
        t = t.clone()
        want = want and t.dtype == torch.float32
        if want:
            t.requires_grad_(True)
        xs.append(t)
        wants.append(want)
    y = call(*xs)
    outs = list(y) if isinstance(y, (tuple, list)) else [y]
    g = torch.randn(outs[0].shape)
    if outs[0].requires_grad:
        try:
            (outs[0] * g).sum().backward()
        except RuntimeError as e:  # PyTorch 1.13 has no channel_shuffle derivative
            if 'not implemented' not in str(e):
                raise
    return {
        'inputs': [T(x) for x in xs],
        'outputs': [T(o) for o in outs],
        'gradOutput': T(g),
        'inputGrads': [T(x.grad) if w and x.grad is not None else None for x, w in zip(xs, wants)],
    }


# ---- modules --------------------------------------------------------------------------------

def module_case(name, module, inputs, args, train=True, setup=None, forward=None):
    """`inputs` as forward_backward takes them. `forward(module, *xs)` overrides module(*xs)."""
    torch.manual_seed(len(name) * 7919 + len(json.dumps(args)))
    if setup:
        setup(module)
    module.train(train)
    state_before = {k: T(v) for k, v in module.state_dict().items()}
    call = (lambda *xs: forward(module, *xs)) if forward else module
    recorded = forward_backward(call, inputs)
    return {
        'name': name,
        'args': args,
        'train': train,
        'repr': repr(module),
        'state': state_before,
        **recorded,
        'paramGrads': {k: T(p.grad) for k, p in module.named_parameters() if p.grad is not None},
        'stateAfter': {k: T(v) for k, v in module.state_dict().items()},
    }


def randomize_affine(m):
    with torch.no_grad():
        if getattr(m, 'weight', None) is not None:
            m.weight.uniform_(0.5, 1.5)
        if getattr(m, 'bias', None) is not None:
            m.bias.uniform_(-0.5, 0.5)


def randomize_stats(m):
    randomize_affine(m)
    with torch.no_grad():
        m.running_mean.uniform_(-1, 1)
        m.running_var.uniform_(0.5, 2)


class RMSNorm(nn.Module):
    """PyTorch 2.4's nn.RMSNorm."""

    def __init__(self, shape, eps=None, elementwise_affine=True):
        super().__init__()
        self.shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.shape)) if elementwise_affine else None

    def forward(self, x):
        return rms_norm(x, self.shape, self.weight, self.eps)


def rms_norm(x, shape, weight=None, eps=None):
    dims = tuple(range(-len(shape), 0))
    eps = torch.finfo(x.dtype).eps if eps is None else eps
    y = x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps)
    return y * weight if weight is not None else y


def layers():
    r = torch.randn
    torch.manual_seed(1)
    c = []
    # Transposed convolutions.
    c.append(module_case('ConvTranspose2d', nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), [r(2, 3, 4, 5)],
                         {'in': 3, 'out': 4, 'kernel': 3, 'stride': 2, 'padding': 1, 'outputPadding': 1}))
    c.append(module_case('ConvTranspose2d', nn.ConvTranspose2d(4, 6, (3, 2), stride=(1, 2), padding=(1, 0), groups=2, dilation=(2, 1), bias=False),
                         [r(1, 4, 5, 4)], {'in': 4, 'out': 6, 'kernel': [3, 2], 'stride': [1, 2], 'padding': [1, 0], 'groups': 2, 'dilation': [2, 1], 'bias': False}))
    c.append(module_case('ConvTranspose2d', nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), [r(1, 2, 4, 4)],
                         {'in': 2, 'out': 3, 'kernel': 3, 'stride': 2, 'padding': 1, 'outputSize': [8, 8]},
                         forward=lambda m, x: m(x, output_size=[8, 8])))
    c.append(module_case('ConvTranspose2d', nn.ConvTranspose2d(2, 2, 4, stride=2, padding=1), [r(2, 4, 4)],
                         {'in': 2, 'out': 2, 'kernel': 4, 'stride': 2, 'padding': 1}))
    c.append(module_case('ConvTranspose1d', nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1), [r(2, 3, 7)],
                         {'in': 3, 'out': 2, 'kernel': 4, 'stride': 2, 'padding': 1}))
    c.append(module_case('ConvTranspose1d', nn.ConvTranspose1d(4, 4, 3, stride=3, output_padding=2, groups=4, dilation=2, bias=False), [r(1, 4, 5)],
                         {'in': 4, 'out': 4, 'kernel': 3, 'stride': 3, 'outputPadding': 2, 'groups': 4, 'dilation': 2, 'bias': False}))
    # Convolutions with padding modes.
    for mode in ['reflect', 'replicate', 'circular']:
        c.append(module_case('Conv2d', nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode), [r(2, 2, 5, 6)],
                             {'in': 2, 'out': 3, 'kernel': 3, 'padding': 1, 'paddingMode': mode}))
    c.append(module_case('Conv2d', nn.Conv2d(2, 2, (4, 3), padding='same', padding_mode='circular', dilation=(1, 2)), [r(1, 2, 6, 7)],
                         {'in': 2, 'out': 2, 'kernel': [4, 3], 'padding': 'same', 'paddingMode': 'circular', 'dilation': [1, 2]}))
    c.append(module_case('Conv2d', nn.Conv2d(2, 4, 3, stride=2, padding=(2, 1), padding_mode='reflect', groups=2), [r(1, 2, 7, 7)],
                         {'in': 2, 'out': 4, 'kernel': 3, 'stride': 2, 'padding': [2, 1], 'paddingMode': 'reflect', 'groups': 2}))
    c.append(module_case('Conv1d', nn.Conv1d(2, 3, 3, padding=2, padding_mode='reflect', dilation=2), [r(2, 2, 9)],
                         {'in': 2, 'out': 3, 'kernel': 3, 'padding': 2, 'paddingMode': 'reflect', 'dilation': 2}))
    c.append(module_case('Conv1d', nn.Conv1d(2, 3, 4, padding='same', padding_mode='replicate'), [r(2, 2, 9)],
                         {'in': 2, 'out': 3, 'kernel': 4, 'padding': 'same', 'paddingMode': 'replicate'}))
    # Pooling.
    c.append(module_case('MaxPool1d', nn.MaxPool1d(3, stride=2, padding=1), [r(2, 3, 10)], {'kernel': 3, 'stride': 2, 'padding': 1}))
    c.append(module_case('MaxPool1d', nn.MaxPool1d(2, ceil_mode=True, return_indices=True), [r(2, 3, 9)], {'kernel': 2, 'ceilMode': True, 'returnIndices': True}))
    c.append(module_case('AvgPool1d', nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), [r(2, 3, 10)],
                         {'kernel': 3, 'stride': 2, 'padding': 1, 'ceilMode': True, 'countIncludePad': False}))
    c.append(module_case('AvgPool1d', nn.AvgPool1d(4), [r(3, 12)], {'kernel': 4}))
    c.append(module_case('MaxPool2d', nn.MaxPool2d(3, stride=2, ceil_mode=True), [r(1, 2, 8, 7)], {'kernel': 3, 'stride': 2, 'ceilMode': True}))
    c.append(module_case('MaxPool2d', nn.MaxPool2d(2, return_indices=True), [r(2, 2, 4, 6)], {'kernel': 2, 'returnIndices': True}))
    c.append(module_case('AvgPool2d', nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, divisor_override=4), [r(1, 2, 6, 7)],
                         {'kernel': 3, 'stride': 2, 'padding': 1, 'ceilMode': True, 'divisorOverride': 4}))
    c.append(module_case('AdaptiveAvgPool1d', nn.AdaptiveAvgPool1d(4), [r(2, 3, 10)], {'output': 4}))
    c.append(module_case('AdaptiveMaxPool1d', nn.AdaptiveMaxPool1d(3), [r(2, 3, 10)], {'output': 3}))
    c.append(module_case('AdaptiveMaxPool2d', nn.AdaptiveMaxPool2d((2, 3)), [r(2, 2, 7, 8)], {'output': [2, 3]}))
    c.append(module_case('AdaptiveMaxPool2d', nn.AdaptiveMaxPool2d(3, return_indices=True), [r(1, 2, 7, 5)], {'output': 3, 'returnIndices': True}))
    c.append(module_case('AdaptiveMaxPool2d', nn.AdaptiveMaxPool2d((None, 2)), [r(2, 5, 6)], {'output': [None, 2]}))
    x = r(2, 3, 6, 6)
    values, indices = F.max_pool2d(x, 2, return_indices=True)
    c.append(module_case('MaxUnpool2d', nn.MaxUnpool2d(2), [values, (indices, False)], {'kernel': 2}))
    x = r(1, 2, 7, 7)
    values, indices = F.max_pool2d(x, 3, stride=2, padding=1, return_indices=True)
    c.append(module_case('MaxUnpool2d', nn.MaxUnpool2d(3, stride=2, padding=1), [values, (indices, False)], {'kernel': 3, 'stride': 2, 'padding': 1, 'outputSize': [7, 7]},
                         forward=lambda m, v, i: m(v, i, output_size=[7, 7])))
    x = r(2, 2, 8)
    values, indices = F.max_pool1d(x, 2, return_indices=True)
    c.append(module_case('MaxUnpool1d', nn.MaxUnpool1d(2), [values, (indices, False)], {'kernel': 2}))
    # Normalisation.
    c.append(module_case('GroupNorm', nn.GroupNorm(2, 6), [r(3, 6, 4, 4) * 2 + 1], {'groups': 2, 'channels': 6}, setup=randomize_affine))
    c.append(module_case('GroupNorm', nn.GroupNorm(3, 3, eps=1e-3, affine=False), [r(2, 3, 5)], {'groups': 3, 'channels': 3, 'eps': 1e-3, 'affine': False}))
    c.append(module_case('GroupNorm', nn.GroupNorm(1, 4), [r(2, 4)], {'groups': 1, 'channels': 4}, setup=randomize_affine))
    c.append(module_case('InstanceNorm1d', nn.InstanceNorm1d(3), [r(2, 3, 7)], {'features': 3}))
    c.append(module_case('InstanceNorm2d', nn.InstanceNorm2d(3, affine=True), [r(2, 3, 4, 5)], {'features': 3, 'affine': True}, setup=randomize_affine))
    c.append(module_case('InstanceNorm2d', nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.2), [r(2, 3, 4, 5)],
                         {'features': 3, 'affine': True, 'trackRunningStats': True, 'momentum': 0.2}, setup=randomize_stats))
    c.append(module_case('InstanceNorm2d', nn.InstanceNorm2d(3, track_running_stats=True), [r(2, 3, 4, 5)],
                         {'features': 3, 'trackRunningStats': True}, train=False, setup=lambda m: (m.running_mean.uniform_(-1, 1), m.running_var.uniform_(0.5, 2))))
    c.append(module_case('InstanceNorm1d', nn.InstanceNorm1d(4, affine=True), [r(4, 6)], {'features': 4, 'affine': True}, setup=randomize_affine))
    c.append(module_case('RMSNorm', RMSNorm(6), [r(3, 6)], {'shape': 6}, setup=randomize_affine))
    c.append(module_case('RMSNorm', RMSNorm([3, 4], eps=1e-5), [r(2, 3, 4)], {'shape': [3, 4], 'eps': 1e-5}, setup=randomize_affine))
    c.append(module_case('RMSNorm', RMSNorm(5, elementwise_affine=False), [r(2, 5)], {'shape': 5, 'elementwiseAffine': False}))
    c.append(module_case('LocalResponseNorm', nn.LocalResponseNorm(3, alpha=0.1, beta=0.75, k=2.0), [r(2, 5, 3, 3)], {'size': 3, 'alpha': 0.1, 'beta': 0.75, 'k': 2}))
    c.append(module_case('LocalResponseNorm', nn.LocalResponseNorm(2), [r(2, 4, 6)], {'size': 2}))
    c.append(module_case('BatchNorm3d', nn.BatchNorm3d(2), [r(2, 2, 3, 3, 3)], {'features': 2}, setup=randomize_stats))
    # Shapes.
    c.append(module_case('PixelShuffle', nn.PixelShuffle(2), [r(2, 8, 3, 2)], {'factor': 2}))
    c.append(module_case('PixelUnshuffle', nn.PixelUnshuffle(2), [r(1, 2, 4, 6)], {'factor': 2}))
    c.append(module_case('ChannelShuffle', nn.ChannelShuffle(3), [r(2, 6, 2, 2)], {'groups': 3}))
    c.append(module_case('Unflatten', nn.Unflatten(1, (2, 5)), [r(3, 10)], {'dim': 1, 'size': [2, 5]}))
    c.append(module_case('Unfold', nn.Unfold(3, padding=1, stride=2), [r(2, 2, 5, 6)], {'kernel': 3, 'padding': 1, 'stride': 2}))
    c.append(module_case('Unfold', nn.Unfold((2, 3), dilation=(2, 1)), [r(1, 3, 6, 5)], {'kernel': [2, 3], 'dilation': [2, 1]}))
    c.append(module_case('Fold', nn.Fold((5, 6), 3, padding=1, stride=2), [r(2, 18, 9)], {'output': [5, 6], 'kernel': 3, 'padding': 1, 'stride': 2}))
    c.append(module_case('Fold', nn.Fold((4, 5), (2, 2)), [r(1, 8, 12)], {'output': [4, 5], 'kernel': [2, 2]}))
    # Linear-like.
    c.append(module_case('Bilinear', nn.Bilinear(4, 3, 5), [r(6, 4), r(6, 3)], {'in1': 4, 'in2': 3, 'out': 5}))
    c.append(module_case('Bilinear', nn.Bilinear(2, 3, 2, bias=False), [r(2, 3, 2), r(2, 3, 3)], {'in1': 2, 'in2': 3, 'out': 2, 'bias': False}))
    c.append(module_case('Identity', nn.Identity(54, unused='x'), [r(3, 2)], {}))
    ids = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9, 0, 0])
    offsets = torch.tensor([0, 4, 4, 7])
    c.append(module_case('EmbeddingBag', nn.EmbeddingBag(10, 3, mode='sum'), [(ids, False), (offsets, False)], {'num': 10, 'dim': 3, 'mode': 'sum'}))
    c.append(module_case('EmbeddingBag', nn.EmbeddingBag(10, 3), [(ids, False), (offsets, False)], {'num': 10, 'dim': 3}))
    c.append(module_case('EmbeddingBag', nn.EmbeddingBag(10, 3, mode='max'), [(ids, False), (torch.tensor([0, 3, 7]), False)], {'num': 10, 'dim': 3, 'mode': 'max'}))
    c.append(module_case('EmbeddingBag', nn.EmbeddingBag(10, 3, mode='mean', padding_idx=0), [(torch.tensor([[1, 0, 3], [0, 0, 0], [4, 4, 2]]), False)],
                         {'num': 10, 'dim': 3, 'mode': 'mean', 'paddingIdx': 0}))
    psw = torch.rand(10)
    c.append(module_case('EmbeddingBag', nn.EmbeddingBag(10, 3, mode='sum', include_last_offset=True), [(ids, False), (torch.tensor([0, 4, 7, 10]), False), psw],
                         {'num': 10, 'dim': 3, 'mode': 'sum', 'includeLastOffset': True, 'perSampleWeights': True}))
    c.append(module_case('Embedding', nn.Embedding(8, 4, max_norm=1.5), [(torch.tensor([[1, 2, 2], [7, 0, 1]]), False)], {'num': 8, 'dim': 4, 'maxNorm': 1.5}))
    c.append(module_case('Embedding', nn.Embedding(8, 4, max_norm=0.5, norm_type=1.0, padding_idx=2), [(torch.tensor([3, 2, 5]), False)],
                         {'num': 8, 'dim': 4, 'maxNorm': 0.5, 'normType': 1, 'paddingIdx': 2}))
    # Dropout in evaluation mode is the identity.
    for name, mod, shape in [('Dropout1d', nn.Dropout1d(0.3), (2, 3, 4)), ('Dropout2d', nn.Dropout2d(0.3), (2, 3, 4, 4)),
                             ('Dropout3d', nn.Dropout3d(0.3), (1, 2, 2, 3, 3)), ('AlphaDropout', nn.AlphaDropout(0.2), (3, 4)),
                             ('FeatureAlphaDropout', nn.FeatureAlphaDropout(0.2), (2, 3, 4))]:
        c.append(module_case(name, mod, [r(*shape)], {'p': mod.p}, train=False))
    # Activations.
    act = [
        ('SiLU', nn.SiLU(), {}), ('Mish', nn.Mish(), {}), ('Hardswish', nn.Hardswish(), {}), ('Hardsigmoid', nn.Hardsigmoid(), {}),
        ('ELU', nn.ELU(), {}), ('ELU', nn.ELU(alpha=0.5), {'alpha': 0.5}), ('SELU', nn.SELU(), {}), ('CELU', nn.CELU(alpha=2.0), {'alpha': 2.0}),
        ('ReLU6', nn.ReLU6(), {}), ('Hardtanh', nn.Hardtanh(-2.0, 1.5), {'minVal': -2.0, 'maxVal': 1.5}), ('Softsign', nn.Softsign(), {}),
        ('LogSigmoid', nn.LogSigmoid(), {}), ('Tanhshrink', nn.Tanhshrink(), {}), ('Softshrink', nn.Softshrink(0.7), {'lambd': 0.7}),
        ('Hardshrink', nn.Hardshrink(), {}), ('Threshold', nn.Threshold(0.3, -2.0), {'threshold': 0.3, 'value': -2.0}),
        ('GLU', nn.GLU(), {}), ('GLU', nn.GLU(dim=0), {'dim': 0}), ('Softmin', nn.Softmin(dim=1), {'dim': 1}),
        ('Softplus', nn.Softplus(), {}), ('Softplus', nn.Softplus(beta=2, threshold=3), {'beta': 2, 'threshold': 3}),
        ('LogSoftmax', nn.LogSoftmax(dim=-1), {'dim': -1}), ('RReLU', nn.RReLU(0.1, 0.3), {'lower': 0.1, 'upper': 0.3}),
        ('PReLU', nn.PReLU(), {}), ('GELU', nn.GELU(approximate='tanh'), {'approximate': 'tanh'}),
    ]
    for name, mod, args in act:
        x = r(4, 6) * 3
        c.append(module_case(name, mod, [x], args, train=(name != 'RReLU')))
    c.append(module_case('PReLU', nn.PReLU(3, init=0.1), [r(2, 3, 4) * 2], {'numParameters': 3, 'init': 0.1}, setup=lambda m: m.weight.data.uniform_(0, 0.5)))
    c.append(module_case('Softmax2d', nn.Softmax2d(), [r(2, 3, 2, 2)], {}))
    c.append(module_case('Softmax2d', nn.Softmax2d(), [r(3, 2, 4)], {}))
    # Resampling.
    up = [
        ({'scaleFactor': 2, 'mode': 'nearest'}, r(1, 2, 3, 4)),
        ({'size': [5, 7], 'mode': 'nearest'}, r(1, 2, 3, 4)),
        ({'scaleFactor': 1.5, 'mode': 'nearest-exact'}, r(1, 2, 4, 5)),
        ({'scaleFactor': 2, 'mode': 'bilinear', 'alignCorners': False}, r(2, 2, 3, 4)),
        ({'size': [6, 5], 'mode': 'bilinear', 'alignCorners': True}, r(1, 2, 3, 4)),
        ({'scaleFactor': 0.5, 'mode': 'bilinear'}, r(1, 1, 6, 8)),
        ({'scaleFactor': 3, 'mode': 'bicubic', 'alignCorners': False}, r(1, 2, 3, 3)),
        ({'size': [7, 4], 'mode': 'bicubic', 'alignCorners': True}, r(1, 1, 4, 5)),
        ({'scaleFactor': 2.5, 'mode': 'linear'}, r(2, 3, 4)),
        ({'size': 9, 'mode': 'linear', 'alignCorners': True}, r(2, 3, 4)),
        ({'scaleFactor': 1.7, 'mode': 'bilinear', 'recomputeScaleFactor': True}, r(1, 1, 5, 4)),
        ({'scaleFactor': [2, 1], 'mode': 'nearest'}, r(1, 1, 3, 4)),
        ({'scaleFactor': 2, 'mode': 'trilinear'}, r(1, 1, 2, 3, 2)),
        ({'size': [3, 2], 'mode': 'area'}, r(1, 2, 7, 5)),
    ]
    for args, x in up:
        kw = {'size': args.get('size'), 'scale_factor': args.get('scaleFactor'), 'mode': args['mode']}
        if 'alignCorners' in args:
            kw['align_corners'] = args['alignCorners']
        if 'recomputeScaleFactor' in args:
            kw['recompute_scale_factor'] = args['recomputeScaleFactor']
        if isinstance(kw['size'], list):
            kw['size'] = tuple(kw['size'])
        if isinstance(kw['scale_factor'], list):
            kw['scale_factor'] = tuple(float(v) for v in kw['scale_factor'])
        c.append(module_case('Upsample', nn.Upsample(**kw), [x], args))
    c.append(module_case('UpsamplingBilinear2d', nn.UpsamplingBilinear2d(scale_factor=2), [r(1, 2, 3, 3)], {'scaleFactor': 2}))
    c.append(module_case('UpsamplingNearest2d', nn.UpsamplingNearest2d(size=(5, 3)), [r(1, 2, 3, 3)], {'size': [5, 3]}))
    # Padding.
    c.append(module_case('ZeroPad2d', nn.ZeroPad2d((1, 2, 0, 1)), [r(1, 2, 3, 3)], {'padding': [1, 2, 0, 1]}))
    c.append(module_case('ConstantPad1d', nn.ConstantPad1d(2, 3.5), [r(2, 3)], {'padding': 2, 'value': 3.5}))
    c.append(module_case('ConstantPad2d', nn.ConstantPad2d((1, 0, 2, 1), -1.0), [r(1, 2, 3)], {'padding': [1, 0, 2, 1], 'value': -1.0}))
    c.append(module_case('ReflectionPad1d', nn.ReflectionPad1d((3, 1)), [r(2, 2, 5)], {'padding': [3, 1]}))
    c.append(module_case('ReflectionPad2d', nn.ReflectionPad2d(2), [r(1, 2, 4, 3)], {'padding': 2}))
    c.append(module_case('ReplicationPad1d', nn.ReplicationPad1d((2, 4)), [r(2, 2, 3)], {'padding': [2, 4]}))
    c.append(module_case('ReplicationPad2d', nn.ReplicationPad2d((1, 1, 3, 0)), [r(1, 2, 3, 3)], {'padding': [1, 1, 3, 0]}))
    # Recurrent cells.
    c.append(module_case('RNNCell', nn.RNNCell(4, 3), [r(2, 4), r(2, 3)], {'in': 4, 'hidden': 3}))
    c.append(module_case('RNNCell', nn.RNNCell(4, 3, bias=False, nonlinearity='relu'), [r(2, 4)], {'in': 4, 'hidden': 3, 'bias': False, 'nonlinearity': 'relu'}))
    c.append(module_case('LSTMCell', nn.LSTMCell(4, 3), [r(2, 4), r(2, 3), r(2, 3)], {'in': 4, 'hidden': 3}, forward=lambda m, x, h, cc: m(x, (h, cc))))
    c.append(module_case('LSTMCell', nn.LSTMCell(3, 2), [r(3)], {'in': 3, 'hidden': 2}))
    c.append(module_case('GRUCell', nn.GRUCell(4, 3), [r(2, 4), r(2, 3)], {'in': 4, 'hidden': 3}))
    c.append(module_case('GRUCell', nn.GRUCell(4, 3, bias=False), [r(4), r(3)], {'in': 4, 'hidden': 3, 'bias': False}))
    # Distances.
    c.append(module_case('CosineSimilarity', nn.CosineSimilarity(dim=1), [r(4, 5), r(4, 5)], {'dim': 1}))
    c.append(module_case('PairwiseDistance', nn.PairwiseDistance(p=1.0, keepdim=True), [r(4, 5), r(4, 5)], {'p': 1, 'keepdim': True}))
    # 3-D convolution and pooling.
    c.append(module_case('Conv3d', nn.Conv3d(2, 3, 3, padding=1), [r(2, 2, 4, 5, 5)], {'in': 2, 'out': 3, 'kernel': 3, 'padding': 1}))
    c.append(module_case('Conv3d', nn.Conv3d(4, 4, (2, 3, 2), stride=(2, 1, 1), padding=(1, 1, 0), dilation=(1, 2, 1), groups=2, bias=False),
                         [r(1, 4, 5, 6, 5)], {'in': 4, 'out': 4, 'kernel': [2, 3, 2], 'stride': [2, 1, 1], 'padding': [1, 1, 0],
                                              'dilation': [1, 2, 1], 'groups': 2, 'bias': False}))
    c.append(module_case('Conv3d', nn.Conv3d(2, 2, 3, padding='same', padding_mode='reflect'), [r(2, 4, 4, 4)],
                         {'in': 2, 'out': 2, 'kernel': 3, 'padding': 'same', 'paddingMode': 'reflect'}))
    c.append(module_case('MaxPool3d', nn.MaxPool3d(2), [r(2, 2, 4, 4, 6)], {'kernel': 2}))
    c.append(module_case('MaxPool3d', nn.MaxPool3d(3, stride=2, padding=1, ceil_mode=True), [r(1, 2, 5, 6, 5)], {'kernel': 3, 'stride': 2, 'padding': 1, 'ceilMode': True}))
    c.append(module_case('AvgPool3d', nn.AvgPool3d(2), [r(2, 2, 4, 4, 6)], {'kernel': 2}))
    c.append(module_case('AvgPool3d', nn.AvgPool3d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), [r(1, 2, 5, 6, 5)],
                         {'kernel': 3, 'stride': 2, 'padding': 1, 'ceilMode': True, 'countIncludePad': False}))
    c.append(module_case('ConvTranspose3d', nn.ConvTranspose3d(3, 2, 3, stride=2, padding=1, output_padding=1), [r(1, 3, 3, 4, 3)],
                         {'in': 3, 'out': 2, 'kernel': 3, 'stride': 2, 'padding': 1, 'outputPadding': 1}))
    c.append(module_case('ConvTranspose3d', nn.ConvTranspose3d(4, 2, (2, 3, 2), stride=(1, 2, 1), padding=(0, 1, 1), groups=2, dilation=(2, 1, 1), bias=False),
                         [r(4, 3, 3, 4)], {'in': 4, 'out': 2, 'kernel': [2, 3, 2], 'stride': [1, 2, 1], 'padding': [0, 1, 1], 'groups': 2,
                                           'dilation': [2, 1, 1], 'bias': False}))
    c.append(module_case('ConvTranspose3d', nn.ConvTranspose3d(2, 2, 3, stride=2, padding=1), [r(1, 2, 2, 3, 3)],
                         {'in': 2, 'out': 2, 'kernel': 3, 'stride': 2, 'padding': 1, 'outputSize': [4, 6, 5]},
                         forward=lambda m, x: m(x, output_size=[4, 6, 5])))
    c.append(module_case('MaxPool3d', nn.MaxPool3d(2, stride=(1, 2, 2), padding=1, return_indices=True), [r(1, 2, 4, 5, 4)],
                         {'kernel': 2, 'stride': [1, 2, 2], 'padding': 1, 'returnIndices': True}))
    x = r(2, 2, 4, 4, 6)
    values, indices = F.max_pool3d(x, 2, return_indices=True)
    c.append(module_case('MaxUnpool3d', nn.MaxUnpool3d(2), [values, (indices, False)], {'kernel': 2}))
    x = r(1, 2, 5, 7, 5)
    values, indices = F.max_pool3d(x, 3, stride=2, padding=1, return_indices=True)
    c.append(module_case('MaxUnpool3d', nn.MaxUnpool3d(3, stride=2, padding=1), [values, (indices, False)],
                         {'kernel': 3, 'stride': 2, 'padding': 1, 'outputSize': [5, 7, 5]},
                         forward=lambda m, v, i: m(v, i, output_size=[5, 7, 5])))
    return c


# ---- functionals ----------------------------------------------------------------------------

def fn_case(name, fn, inputs, args):
    torch.manual_seed(len(name) * 104729 + len(json.dumps(args)))
    return {'name': name, 'args': args, **forward_backward(fn, inputs)}


def sdpa(q, k, v, attn_mask=None, is_causal=False, scale=None):
    """PyTorch 2's documented math for F.scaled_dot_product_attention (no dropout)."""
    L, S = q.size(-2), k.size(-2)
    factor = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    bias = torch.zeros(L, S)
    if is_causal:
        bias = bias.masked_fill(torch.ones(L, S, dtype=torch.bool).tril().logical_not(), float('-inf'))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            bias = bias.masked_fill(attn_mask.logical_not(), float('-inf'))
        else:
            bias = bias + attn_mask
    w = torch.softmax(q @ k.transpose(-2, -1) * factor + bias, dim=-1)
    return w @ v


def functionals():
    r = torch.randn
    torch.manual_seed(2)
    c = []
    for mode in ['constant', 'reflect', 'replicate', 'circular']:
        c.append(fn_case('pad', lambda x, m=mode: F.pad(x, [2, 1, 1, 2], mode=m), [r(1, 2, 3, 4)], {'pad': [2, 1, 1, 2], 'mode': mode}))
    c.append(fn_case('pad', lambda x: F.pad(x, [1, 2], mode='constant', value=-3.0), [r(2, 3)], {'pad': [1, 2], 'mode': 'constant', 'value': -3}))
    c.append(fn_case('pad', lambda x: F.pad(x, [3, 3], mode='circular'), [r(1, 2, 3)], {'pad': [3, 3], 'mode': 'circular'}))
    c.append(fn_case('pad', lambda x: F.pad(x, [1, 1, 1, 1, 1, 1], mode='replicate'), [r(1, 1, 2, 3, 2)], {'pad': [1, 1, 1, 1, 1, 1], 'mode': 'replicate'}))
    c.append(fn_case('pad', lambda x: F.pad(x, [-1, 2], mode='reflect'), [r(1, 2, 5)], {'pad': [-1, 2], 'mode': 'reflect'}))
    # Attention.
    q, k, v = r(2, 3, 5, 4), r(2, 3, 6, 4), r(2, 3, 6, 3)
    c.append(fn_case('scaledDotProductAttention', sdpa, [q, k, v], {}))
    qs = r(2, 2, 6, 4)
    c.append(fn_case('scaledDotProductAttention', lambda a, b, cc: sdpa(a, b, cc, is_causal=True), [qs, r(2, 2, 6, 4), r(2, 2, 6, 4)], {'isCausal': True}))
    c.append(fn_case('scaledDotProductAttention', lambda a, b, cc: sdpa(a, b, cc, is_causal=True, scale=0.3), [r(1, 4, 4), r(1, 6, 4), r(1, 6, 2)], {'isCausal': True, 'scale': 0.3}))
    mask = torch.rand(5, 6) > 0.3
    mask[:, 0] = True
    c.append(fn_case('scaledDotProductAttention', lambda a, b, cc, m: sdpa(a, b, cc, attn_mask=m), [q, k, v, (mask, False)], {'mask': 'bool'}))
    fmask = r(2, 1, 5, 6)
    c.append(fn_case('scaledDotProductAttention', lambda a, b, cc, m: sdpa(a, b, cc, attn_mask=m), [q, k, v, fmask], {'mask': 'float'}))
    # Norms and distances.
    c.append(fn_case('normalize', lambda x: F.normalize(x), [r(3, 4)], {}))
    c.append(fn_case('normalize', lambda x: F.normalize(x, p=1.0, dim=-1), [r(2, 3, 4)], {'p': 1, 'dim': -1}))
    c.append(fn_case('normalize', lambda x: F.normalize(x, p=3.0, dim=0), [r(3, 4)], {'p': 3, 'dim': 0}))
    c.append(fn_case('cosineSimilarity', lambda a, b: F.cosine_similarity(a, b), [r(4, 5), r(4, 5)], {}))
    c.append(fn_case('cosineSimilarity', lambda a, b: F.cosine_similarity(a, b, dim=-1), [r(3, 1, 5), r(1, 4, 5)], {'dim': -1}))
    c.append(fn_case('pairwiseDistance', lambda a, b: F.pairwise_distance(a, b), [r(4, 5), r(4, 5)], {}))
    c.append(fn_case('pairwiseDistance', lambda a, b: F.pairwise_distance(a, b, p=3.0, eps=1e-3), [r(4, 5), r(1, 5)], {'p': 3, 'eps': 1e-3}))
    c.append(fn_case('pdist', lambda a: F.pdist(a), [r(5, 3)], {}))
    c.append(fn_case('pdist', lambda a: F.pdist(a, p=1.0), [r(4, 3)], {'p': 1}))
    c.append(fn_case('rmsNorm', lambda x, w: rms_norm(x, (4,), w, 1e-6), [r(3, 4), r(4)], {'shape': [4], 'eps': 1e-6}))
    c.append(fn_case('rmsNorm', lambda x: rms_norm(x, (2, 3)), [r(2, 2, 3)], {'shape': [2, 3]}))
    c.append(fn_case('groupNorm', lambda x, w, b: F.group_norm(x, 2, w, b), [r(2, 4, 3), r(4), r(4)], {'groups': 2}))
    c.append(fn_case('instanceNorm', lambda x: F.instance_norm(x), [r(2, 3, 5)], {}))
    c.append(fn_case('localResponseNorm', lambda x: F.local_response_norm(x, 4, alpha=0.5, beta=0.5, k=1.5), [r(1, 6, 2, 2)], {'size': 4, 'alpha': 0.5, 'beta': 0.5, 'k': 1.5}))
    # Sampling.
    theta = torch.tensor([[[0.9, -0.3, 0.1], [0.2, 1.1, -0.2]], [[1.2, 0.4, 0.0], [-0.1, 0.8, 0.3]]])
    for align in [False, True]:
        c.append(fn_case('affineGrid', lambda t, a=align: F.affine_grid(t, [2, 3, 4, 5], align_corners=a), [theta], {'size': [2, 3, 4, 5], 'alignCorners': align}))
    c.append(fn_case('affineGrid', lambda t: F.affine_grid(t, [1, 1, 2, 3, 4], align_corners=False), [r(1, 3, 4) * 0.5], {'size': [1, 1, 2, 3, 4], 'alignCorners': False}))
    img = r(2, 3, 5, 6)
    grid = torch.rand(2, 4, 3, 2) * 2.6 - 1.3
    for mode in ['bilinear', 'nearest', 'bicubic']:
        for padding in ['zeros', 'border', 'reflection']:
            for align in [False, True]:
                c.append(fn_case('gridSample', lambda i, g, m=mode, p=padding, a=align: F.grid_sample(i, g, mode=m, padding_mode=p, align_corners=a),
                                 [img, grid], {'mode': mode, 'paddingMode': padding, 'alignCorners': align}))
    # Activations with arguments.
    x = r(4, 5) * 4
    c.append(fn_case('softplus', lambda t: F.softplus(t, beta=2, threshold=5), [x], {'beta': 2, 'threshold': 5}))
    c.append(fn_case('softplus', lambda t: F.softplus(t, beta=0.5), [x], {'beta': 0.5}))
    c.append(fn_case('gelu', lambda t: F.gelu(t, approximate='tanh'), [x], {'approximate': 'tanh'}))
    c.append(fn_case('elu', lambda t: F.elu(t, alpha=0.7), [x], {'alpha': 0.7}))
    c.append(fn_case('celu', lambda t: F.celu(t, alpha=0.4), [x], {'alpha': 0.4}))
    c.append(fn_case('hardtanh', lambda t: F.hardtanh(t, -0.5, 2.0), [x], {'minVal': -0.5, 'maxVal': 2}))
    c.append(fn_case('glu', lambda t: F.glu(t, dim=0), [r(4, 3)], {'dim': 0}))
    c.append(fn_case('prelu', lambda t, w: F.prelu(t, w), [r(2, 3, 4), torch.tensor([0.1, 0.2, 0.3])], {}))
    c.append(fn_case('rrelu', lambda t: F.rrelu(t, 0.2, 0.4, training=False), [x], {'lower': 0.2, 'upper': 0.4}))
    c.append(fn_case('threshold', lambda t: F.threshold(t, 1.0, 0.5), [x], {'threshold': 1, 'value': 0.5}))
    # Others.
    xs = r(2, 3, 4, 4)
    c.append(fn_case('unfold', lambda t: F.unfold(t, 2, stride=2), [xs], {'kernel': 2, 'stride': 2}))
    c.append(fn_case('fold', lambda t: F.fold(t, (4, 4), 2, stride=1, padding=1), [r(2, 12, 25)], {'output': [4, 4], 'kernel': 2, 'stride': 1, 'padding': 1}))
    c.append(fn_case('bilinear', lambda a, b, w, bb: F.bilinear(a, b, w, bb), [r(3, 2), r(3, 4), r(5, 2, 4), r(5)], {}))
    c.append(fn_case('embeddingBag', lambda w: F.embedding_bag(torch.tensor([0, 2, 2, 5, 1]), w, torch.tensor([0, 2]), mode='max'), [r(6, 3)], {'input': [0, 2, 2, 5, 1], 'offsets': [0, 2], 'mode': 'max'}))
    c.append(fn_case('adaptiveMaxPool2d', lambda t: F.adaptive_max_pool2d(t, (3, 2), return_indices=True), [r(1, 2, 5, 7)], {'output': [3, 2], 'returnIndices': True}))
    c.append(fn_case('adaptiveMaxPool1d', lambda t: F.adaptive_max_pool1d(t, 4, return_indices=True), [r(2, 2, 9)], {'output': 4, 'returnIndices': True}))
    c.append(fn_case('maxPool1d', lambda t: F.max_pool1d(t, 3, stride=2, padding=1, dilation=1, return_indices=True, ceil_mode=True), [r(2, 2, 8)],
                     {'kernel': 3, 'stride': 2, 'padding': 1, 'ceilMode': True, 'returnIndices': True}))
    c.append(fn_case('pixelShuffle', lambda t: F.pixel_shuffle(t, 3), [r(1, 9, 2, 2)], {'factor': 3}))
    c.append(fn_case('channelShuffle', lambda t: F.channel_shuffle(t, 2), [r(1, 4, 3)], {'groups': 2}))
    # 5-D gridSample (trilinear and nearest; PyTorch has no 5-D bicubic), appended with its own
    # seed so the cases above keep their values.
    torch.manual_seed(55)
    vol = torch.randn(2, 2, 3, 4, 5)
    grid3 = torch.rand(2, 2, 3, 2, 3) * 2.6 - 1.3
    for mode in ['bilinear', 'nearest']:
        for padding in ['zeros', 'border', 'reflection']:
            for align in [False, True]:
                c.append(fn_case('gridSample', lambda i, g, m=mode, p=padding, a=align: F.grid_sample(i, g, mode=m, padding_mode=p, align_corners=a),
                                 [vol, grid3], {'mode': mode, 'paddingMode': padding, 'alignCorners': align}))
    return c


# ---- losses ---------------------------------------------------------------------------------

def losses():
    torch.manual_seed(3)
    r = torch.randn
    c = []
    reds = ['mean', 'sum', 'none']
    a, b = r(5, 4), r(5, 4)
    y = torch.tensor([1, -1, 1, -1, -1])
    for red in reds:
        c.append(loss_case('cosineEmbeddingLoss', lambda d, rr: F.cosine_embedding_loss(d['x1'], d['x2'], d['target'], reduction=rr), {'x1': a, 'x2': b, 'target': y}, {}, red, ('x1', 'x2')))
    c.append(loss_case('cosineEmbeddingLoss', lambda d, rr: F.cosine_embedding_loss(d['x1'], d['x2'], d['target'], margin=-0.2, reduction=rr),
                       {'x1': a, 'x2': b, 'target': y.float()}, {'margin': -0.2}, 'mean', ('x1', 'x2')))
    s1, s2 = r(6), r(6)
    yr = torch.tensor([1., -1., 1., 1., -1., -1.])
    for red in reds:
        c.append(loss_case('marginRankingLoss', lambda d, rr: F.margin_ranking_loss(d['x1'], d['x2'], d['target'], margin=0.3, reduction=rr),
                           {'x1': s1, 'x2': s2, 'target': yr}, {'margin': 0.3}, red, ('x1', 'x2')))
    dist = torch.rand(3, 4) * 2
    yh = torch.tensor([[1., -1., 1., -1.], [-1., -1., 1., 1.], [1., 1., -1., 1.]])
    for red in reds:
        c.append(loss_case('hingeEmbeddingLoss', lambda d, rr: F.hinge_embedding_loss(d['input'], d['target'], margin=1.5, reduction=rr),
                           {'input': dist, 'target': yh}, {'margin': 1.5}, red))
        c.append(loss_case('softMarginLoss', lambda d, rr: F.soft_margin_loss(d['input'], d['target'], reduction=rr), {'input': r(3, 4), 'target': yh}, {}, red))
    logits = r(4, 5)
    labels = (torch.rand(4, 5) > 0.5).float()
    w5 = torch.rand(5) + 0.5
    for red in reds:
        c.append(loss_case('multilabelSoftMarginLoss', lambda d, rr: F.multilabel_soft_margin_loss(d['input'], d['target'], reduction=rr),
                           {'input': logits, 'target': labels}, {}, red))
    c.append(loss_case('multilabelSoftMarginLoss', lambda d, rr: F.multilabel_soft_margin_loss(d['input'], d['target'], weight=d['weight'], reduction=rr),
                       {'input': logits, 'target': labels, 'weight': w5}, {'weight': True}, 'mean'))
    scores = r(6, 5)
    cls = torch.tensor([0, 4, 2, 2, 1, 3])
    for red in reds:
        c.append(loss_case('multiMarginLoss', lambda d, rr: F.multi_margin_loss(d['input'], d['target'], reduction=rr), {'input': scores, 'target': cls}, {}, red))
    c.append(loss_case('multiMarginLoss', lambda d, rr: F.multi_margin_loss(d['input'], d['target'], p=2, margin=0.7, weight=d['weight'], reduction=rr),
                       {'input': scores, 'target': cls, 'weight': w5}, {'p': 2, 'margin': 0.7, 'weight': True}, 'mean'))
    c.append(loss_case('multiMarginLoss', lambda d, rr: F.multi_margin_loss(d['input'], d['target'], reduction=rr), {'input': r(5), 'target': torch.tensor(3)}, {}, 'mean'))
    an, po, ne = r(5, 3), r(5, 3), r(5, 3)
    for red in reds:
        c.append(loss_case('tripletMarginLoss', lambda d, rr: F.triplet_margin_loss(d['anchor'], d['positive'], d['negative'], reduction=rr),
                           {'anchor': an, 'positive': po, 'negative': ne}, {}, red, ('anchor', 'positive', 'negative')))
    c.append(loss_case('tripletMarginLoss', lambda d, rr: F.triplet_margin_loss(d['anchor'], d['positive'], d['negative'], margin=2.0, p=1, eps=1e-4, swap=True, reduction=rr),
                       {'anchor': an, 'positive': po, 'negative': ne}, {'margin': 2, 'p': 1, 'eps': 1e-4, 'swap': True}, 'mean', ('anchor', 'positive', 'negative')))
    rates = r(3, 4) * 0.5
    counts = torch.poisson(torch.rand(3, 4) * 4)
    for red in reds:
        c.append(loss_case('poissonNllLoss', lambda d, rr: F.poisson_nll_loss(d['input'], d['target'], reduction=rr), {'input': rates, 'target': counts}, {}, red))
    c.append(loss_case('poissonNllLoss', lambda d, rr: F.poisson_nll_loss(d['input'], d['target'], log_input=False, full=True, reduction=rr),
                       {'input': torch.rand(3, 4) * 3 + 0.1, 'target': counts}, {'logInput': False, 'full': True}, 'mean'))
    c.append(loss_case('poissonNllLoss', lambda d, rr: F.poisson_nll_loss(d['input'], d['target'], full=True, reduction=rr),
                       {'input': rates, 'target': counts}, {'full': True}, 'sum'))
    mu, tg = r(4, 3), r(4, 3)
    var = torch.rand(4, 3) + 0.1
    var[0, 0] = 1e-8
    for red in reds:
        c.append(loss_case('gaussianNllLoss', lambda d, rr: F.gaussian_nll_loss(d['input'], d['target'], d['var'], reduction=rr),
                           {'input': mu, 'target': tg, 'var': var}, {}, red, ('input', 'var')))
    c.append(loss_case('gaussianNllLoss', lambda d, rr: F.gaussian_nll_loss(d['input'], d['target'], d['var'], full=True, eps=1e-3, reduction=rr),
                       {'input': mu, 'target': tg, 'var': torch.rand(4) + 0.2}, {'full': True, 'eps': 1e-3}, 'mean', ('input', 'var')))
    c.append(loss_case('gaussianNllLoss', lambda d, rr: F.gaussian_nll_loss(d['input'], d['target'], d['var'], reduction=rr),
                       {'input': mu, 'target': tg, 'var': torch.rand(4, 1) + 0.2}, {}, 'sum', ('input', 'var')))
    p, q = r(3, 4) * 2, r(3, 4) * 2
    for beta in [1.0, 0.5, 0.0]:
        for red in reds:
            c.append(loss_case('smoothL1Loss', lambda d, rr, bb=beta: F.smooth_l1_loss(d['input'], d['target'], beta=bb, reduction=rr),
                               {'input': p, 'target': q}, {'beta': beta}, red))
    for red in reds:
        c.append(loss_case('huberLoss', lambda d, rr: F.huber_loss(d['input'], d['target'], delta=0.4, reduction=rr), {'input': p, 'target': q}, {'delta': 0.4}, red))
    # CTC, from logits through log_softmax: PyTorch's CTC gradient with respect to log_probs is
    # the logits' gradient (exp(lp) - occupancy), which agrees with the exact one only after log_softmax.
    T_, N_, C_ = 12, 3, 5
    lp = torch.randn(T_, N_, C_)
    targets = torch.tensor([[1, 2, 2, 3], [4, 1, 0, 0], [3, 3, 3, 0]])
    in_len = torch.tensor([12, 9, 11])
    tg_len = torch.tensor([4, 2, 3])
    for red in reds:
        c.append(loss_case('ctcLoss', lambda d, rr: F.ctc_loss(d['input'].log_softmax(-1), d['targets'], d['inputLengths'], d['targetLengths'], reduction=rr),
                           {'input': lp, 'targets': targets, 'inputLengths': in_len, 'targetLengths': tg_len}, {}, red))
    flat = torch.tensor([1, 2, 2, 3, 4, 1, 3, 3, 3])
    c.append(loss_case('ctcLoss', lambda d, rr: F.ctc_loss(d['input'].log_softmax(-1), d['targets'], d['inputLengths'], d['targetLengths'], reduction=rr),
                       {'input': lp, 'targets': flat, 'inputLengths': in_len, 'targetLengths': tg_len}, {'concatenated': True}, 'mean'))
    lp2 = torch.randn(6, 2, 4)
    c.append(loss_case('ctcLoss', lambda d, rr: F.ctc_loss(d['input'].log_softmax(-1), d['targets'], d['inputLengths'], d['targetLengths'], blank=3, zero_infinity=True, reduction=rr),
                       {'input': lp2, 'targets': torch.tensor([[0, 1, 1, 0], [2, 2, 2, 2]]), 'inputLengths': torch.tensor([6, 5]), 'targetLengths': torch.tensor([4, 4])},
                       {'blank': 3, 'zeroInfinity': True}, 'sum'))
    c.append(loss_case('ctcLoss', lambda d, rr: F.ctc_loss(d['input'].log_softmax(-1), d['targets'], d['inputLengths'], d['targetLengths'], reduction=rr),
                       {'input': torch.randn(7, 4), 'targets': torch.tensor([1, 2, 1]), 'inputLengths': torch.tensor(7), 'targetLengths': torch.tensor(3)},
                       {'unbatched': True}, 'mean'))
    # Cross entropy with probability targets and label smoothing on a spatial input.
    xk = r(2, 4, 3)
    probs = torch.softmax(r(2, 4, 3), 1)
    for red in reds:
        c.append(loss_case('crossEntropy', lambda d, rr: F.cross_entropy(d['input'], d['target'], label_smoothing=0.2, reduction=rr),
                           {'input': xk, 'target': probs}, {'labelSmoothing': 0.2}, red))
    return c


def main():
    for name, make in [('modern-layers', layers), ('functional-ops', functionals), ('extra-losses', losses)]:
        write_json(f'{name}.json', make(), trailing_newline=False)


if __name__ == '__main__':
    main()
