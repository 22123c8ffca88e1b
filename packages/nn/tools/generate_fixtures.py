#!/usr/bin/python3
"""Golden values for @tensile/nn's tests, from PyTorch (Debian's python3-torch, 1.13).

Writes packages/nn/test/fixtures/{layers,losses,modules}.json. Run from anywhere:

    /usr/bin/python3 packages/nn/tools/generate_fixtures.py

Every tensor is stored as {"shape": [...], "dtype": "float32" | "int32", "data": [...]}
(row-major, float32 values to 8 significant digits).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from fixture_utils import rounded as T, write_json


def layer_case(name, module, x, args, train=True, setup=None, int_input=False):
    """Forward `x` through `module`, backward a random weighting of the output."""
    if setup:
        setup(module)
    module.train(train)
    state_before = {k: T(v) for k, v in module.state_dict().items()}
    if not int_input:
        x = x.clone().requires_grad_(True)
    y = module(x)
    g = torch.randn(y.shape)
    (y * g).sum().backward()
    case = {
        'name': name,
        'args': args,
        'train': train,
        'state': state_before,
        'input': T(x),
        'output': T(y),
        'gradOutput': T(g),
        'paramGrads': {k: T(p.grad) for k, p in module.named_parameters() if p.grad is not None},
        'stateAfter': {k: T(v) for k, v in module.state_dict().items()},
    }
    if not int_input:
        case['inputGrad'] = T(x.grad)
    return case


def randomize_bn(m):
    with torch.no_grad():
        m.weight.uniform_(0.5, 1.5)
        m.bias.uniform_(-0.5, 0.5)
        m.running_mean.uniform_(-1, 1)
        m.running_var.uniform_(0.5, 2)
        m.num_batches_tracked.fill_(3)


def randomize_affine(m):
    with torch.no_grad():
        m.weight.uniform_(0.5, 1.5)
        m.bias.uniform_(-0.5, 0.5)


def layers():
    r = torch.randn
    cases = [
        layer_case('Linear', nn.Linear(5, 3), r(4, 5), {'in': 5, 'out': 3}),
        layer_case('Linear', nn.Linear(5, 3, bias=False), r(2, 3, 5), {'in': 5, 'out': 3, 'bias': False}),
        layer_case('Conv1d', nn.Conv1d(4, 6, 3, stride=2, padding=1), r(2, 4, 9),
                   {'in': 4, 'out': 6, 'kernel': 3, 'stride': 2, 'padding': 1}),
        layer_case('Conv1d', nn.Conv1d(4, 6, 3, dilation=2, groups=2, bias=False), r(2, 4, 11),
                   {'in': 4, 'out': 6, 'kernel': 3, 'dilation': 2, 'groups': 2, 'bias': False}),
        layer_case('Conv2d', nn.Conv2d(3, 4, 3, padding=1), r(2, 3, 6, 6),
                   {'in': 3, 'out': 4, 'kernel': 3, 'padding': 1}),
        layer_case('Conv2d', nn.Conv2d(4, 6, (3, 2), stride=2, padding=(1, 0), dilation=(1, 2), groups=2, bias=False),
                   r(2, 4, 7, 8),
                   {'in': 4, 'out': 6, 'kernel': [3, 2], 'stride': 2, 'padding': [1, 0], 'dilation': [1, 2], 'groups': 2, 'bias': False}),
        layer_case('MaxPool2d', nn.MaxPool2d(2), r(2, 3, 6, 6), {'kernel': 2}),
        layer_case('MaxPool2d', nn.MaxPool2d(3, stride=2, padding=1), r(1, 2, 7, 7), {'kernel': 3, 'stride': 2, 'padding': 1}),
        layer_case('AvgPool2d', nn.AvgPool2d(2), r(2, 3, 6, 6), {'kernel': 2}),
        layer_case('AvgPool2d', nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), r(1, 2, 7, 7),
                   {'kernel': 3, 'stride': 2, 'padding': 1, 'countIncludePad': False}),
        layer_case('AdaptiveAvgPool2d', nn.AdaptiveAvgPool2d((2, 3)), r(1, 2, 6, 6), {'output': [2, 3]}),
        layer_case('AdaptiveAvgPool2d', nn.AdaptiveAvgPool2d((3, 4)), r(2, 2, 7, 5), {'output': [3, 4]}),
        layer_case('AdaptiveAvgPool2d', nn.AdaptiveAvgPool2d(1), r(2, 3, 5, 3), {'output': 1}),
        layer_case('BatchNorm1d', nn.BatchNorm1d(4), r(6, 4) * 2 + 1, {'features': 4}, setup=randomize_bn),
        layer_case('BatchNorm1d', nn.BatchNorm1d(3, momentum=0.3), r(4, 3, 5), {'features': 3, 'momentum': 0.3}, setup=randomize_bn),
        layer_case('BatchNorm1d', nn.BatchNorm1d(4), r(6, 4), {'features': 4}, train=False, setup=randomize_bn),
        layer_case('BatchNorm1d', nn.BatchNorm1d(4, momentum=None), r(5, 4), {'features': 4, 'momentum': None}, setup=randomize_bn),
        layer_case('BatchNorm1d', nn.BatchNorm1d(4, affine=False), r(5, 4), {'features': 4, 'affine': False}),
        layer_case('BatchNorm2d', nn.BatchNorm2d(4), r(3, 4, 5, 5), {'features': 4}, setup=randomize_bn),
        layer_case('BatchNorm2d', nn.BatchNorm2d(4), r(3, 4, 5, 5), {'features': 4}, train=False, setup=randomize_bn),
        layer_case('BatchNorm2d', nn.BatchNorm2d(3, track_running_stats=False), r(2, 3, 4, 4),
                   {'features': 3, 'trackRunningStats': False}, train=False),
        layer_case('LayerNorm', nn.LayerNorm(6), r(3, 6), {'shape': 6}, setup=randomize_affine),
        layer_case('LayerNorm', nn.LayerNorm([4, 5], eps=1e-3), r(2, 4, 5), {'shape': [4, 5], 'eps': 1e-3}, setup=randomize_affine),
        layer_case('LayerNorm', nn.LayerNorm(5, elementwise_affine=False), r(2, 3, 5), {'shape': 5, 'elementwiseAffine': False}),
        layer_case('Embedding', nn.Embedding(10, 4), torch.tensor([[1, 2, 3], [4, 1, 9]]), {'num': 10, 'dim': 4}, int_input=True),
        layer_case('Embedding', nn.Embedding(10, 4, padding_idx=1), torch.tensor([[1, 2, 3], [4, 1, 9]]),
                   {'num': 10, 'dim': 4, 'paddingIdx': 1}, int_input=True),
        layer_case('Flatten', nn.Flatten(), r(2, 3, 2, 2), {}),
        layer_case('Flatten', nn.Flatten(0, 1), r(2, 3, 2), {'start': 0, 'end': 1}),
        layer_case('Identity', nn.Identity(), r(3, 4), {}),
        layer_case('Dropout', nn.Dropout(0.5), r(3, 4), {'p': 0.5}, train=False),
        layer_case('ReLU', nn.ReLU(), r(3, 4), {}),
        layer_case('LeakyReLU', nn.LeakyReLU(0.2), r(3, 4), {'slope': 0.2}),
        layer_case('GELU', nn.GELU(), r(3, 4) * 2, {}),
        layer_case('GELU', nn.GELU(approximate='tanh'), r(3, 4) * 2, {'approximate': 'tanh'}),
        layer_case('Sigmoid', nn.Sigmoid(), r(3, 4), {}),
        layer_case('Tanh', nn.Tanh(), r(3, 4), {}),
        layer_case('Softmax', nn.Softmax(dim=1), r(3, 4), {'dim': 1}),
        layer_case('Softmax', nn.Softmax(dim=-1), r(2, 3, 4), {'dim': -1}),
    ]
    return cases


def loss_case(name, fn, inputs, options, reduction, grad_wrt=('input',)):
    """`inputs`: dict of name -> tensor; those named in grad_wrt get gradients."""
    tensors = {k: (v.clone().requires_grad_(True) if k in grad_wrt else v) for k, v in inputs.items()}
    out = fn(tensors, reduction)
    g = torch.randn(out.shape) if out.dim() > 0 else torch.tensor(1.0)
    (out * g).sum().backward()
    return {
        'name': name,
        'options': options,
        'reduction': reduction,
        'inputs': {k: T(v) for k, v in inputs.items()},
        'output': T(out),
        'gradOutput': T(g),
        'grads': {k: T(tensors[k].grad) for k in grad_wrt},
    }


def losses():
    cases = []
    reductions = ['mean', 'sum', 'none']
    x = torch.randn(6, 4) * 2
    t = torch.tensor([0, 3, 1, 2, 3, 1])
    t_ign = torch.tensor([0, -100, 1, 2, -100, 1])
    t_ign2 = torch.tensor([0, 2, 1, 2, 3, 2])
    w = torch.tensor([0.5, 2.0, 1.0, 1.5])
    xk = torch.randn(2, 4, 3, 3)
    tk = torch.randint(0, 4, (2, 3, 3))
    tk[0, 1, 1] = -100
    probs = torch.softmax(torch.randn(6, 4), 1)

    # (input, target, options): class-index targets (with ignored entries), spatial inputs,
    # probability targets. Each option set maps onto F.cross_entropy's keywords.
    ce_variants = [
        (x, t, {}),
        (x, t, {'weight': True}),
        (x, t_ign, {}),
        (x, t_ign, {'weight': True}),
        (x, t_ign2, {'ignoreIndex': 2}),
        (x, t, {'labelSmoothing': 0.1}),
        (x, t_ign, {'labelSmoothing': 0.2, 'weight': True}),
        (x, t_ign, {'labelSmoothing': 0.15}),
        (xk, tk, {}),
        (xk, tk, {'labelSmoothing': 0.1, 'weight': True}),
        (x, probs, {}),
        (x, probs, {'labelSmoothing': 0.1}),
        (x, probs, {'weight': True}),
    ]
    for inp, target, opts in ce_variants:
        for red in reductions:
            kw = {'ignore_index': opts.get('ignoreIndex', -100), 'label_smoothing': opts.get('labelSmoothing', 0.0)}
            inputs = {'input': inp, 'target': target}
            if opts.get('weight'):
                inputs['weight'] = w
            cases.append(loss_case('crossEntropy', lambda d, r, kw=kw: F.cross_entropy(
                d['input'], d['target'], weight=d.get('weight'), reduction=r, **kw), inputs, opts, red))
    for red in reductions:  # unbatched
        cases.append(loss_case('crossEntropy', lambda d, r: F.cross_entropy(d['input'], d['target'], reduction=r),
                               {'input': torch.randn(5), 'target': torch.tensor(3)}, {}, red))

    logp = torch.log_softmax(torch.randn(6, 4), 1)
    for opts, target in [({}, t), ({'weight': True}, t_ign), ({'ignoreIndex': 2, 'weight': True}, t_ign2)]:
        for red in reductions:
            inputs = {'input': logp, 'target': target}
            if opts.get('weight'):
                inputs['weight'] = w
            cases.append(loss_case('nllLoss', lambda d, r, ii=opts.get('ignoreIndex', -100): F.nll_loss(
                d['input'], d['target'], weight=d.get('weight'), ignore_index=ii, reduction=r), inputs, opts, red))

    a, b = torch.randn(3, 4), torch.randn(3, 4)
    for red in reductions:
        cases.append(loss_case('mseLoss', lambda d, r: F.mse_loss(d['input'], d['target'], reduction=r),
                               {'input': a, 'target': b}, {}, red, grad_wrt=('input', 'target')))
        cases.append(loss_case('l1Loss', lambda d, r: F.l1_loss(d['input'], d['target'], reduction=r),
                               {'input': a, 'target': b}, {}, red, grad_wrt=('input', 'target')))
        for delta in [1.0, 0.5]:
            cases.append(loss_case('huberLoss', lambda d, r, delta=delta: F.huber_loss(d['input'], d['target'], reduction=r, delta=delta),
                                   {'input': a * 2, 'target': b}, {'delta': delta}, red, grad_wrt=('input', 'target')))

    p = torch.sigmoid(torch.randn(3, 4) * 2)
    y = torch.randint(0, 2, (3, 4)).float()
    y[0, 0] = 0.3  # soft label
    bw = torch.tensor([1.0, 2.0, 0.5, 1.5])
    pw = torch.tensor([3.0, 0.5, 1.0, 2.0])
    logits = torch.randn(3, 4) * 3
    for red in reductions:
        for opts in [{}, {'weight': True}]:
            inputs = {'input': p, 'target': y}
            if opts.get('weight'):
                inputs['weight'] = bw
            cases.append(loss_case('binaryCrossEntropy', lambda d, r: F.binary_cross_entropy(
                d['input'], d['target'], weight=d.get('weight'), reduction=r), inputs, opts, red))
        for opts in [{}, {'weight': True}, {'posWeight': True}, {'weight': True, 'posWeight': True}]:
            inputs = {'input': logits, 'target': y}
            if opts.get('weight'):
                inputs['weight'] = bw
            if opts.get('posWeight'):
                inputs['posWeight'] = pw
            cases.append(loss_case('binaryCrossEntropyWithLogits', lambda d, r: F.binary_cross_entropy_with_logits(
                d['input'], d['target'], weight=d.get('weight'), pos_weight=d.get('posWeight'), reduction=r), inputs, opts, red))

    kl_in = torch.log_softmax(torch.randn(3, 5), 1)
    kl_t = torch.softmax(torch.randn(3, 5), 1)
    kl_t[1, 2] = 0.0
    for red in ['mean', 'sum', 'none', 'batchmean']:
        for log_target in [False, True]:
            target = kl_t.clamp_min(1e-6).log() if log_target else kl_t
            cases.append(loss_case('klDiv', lambda d, r, lt=log_target: F.kl_div(d['input'], d['target'], reduction=r, log_target=lt),
                                   {'input': kl_in, 'target': target}, {'logTarget': log_target}, red))
    return cases


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.flatten = nn.Flatten()
        self.head = nn.Sequential(nn.Linear(16, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.1)), nn.Linear(8, 3))
        self.blocks = nn.ModuleList([nn.Linear(3, 3), nn.LayerNorm(3)])
        self.heads = nn.ModuleDict({'a': nn.Linear(3, 2), 'b': nn.Linear(3, 1, bias=False)})

    def forward(self, x):
        x = self.flatten(self.pool(torch.relu(self.bn(self.conv(x)))))
        x = self.head(x)
        for block in self.blocks:
            x = block(x)
        return torch.cat([self.heads['a'](x), self.heads['b'](x)], 1)


def modules():
    net = Net()
    for m in net.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            randomize_bn(m)
    net.eval()
    x = torch.randn(2, 1, 6, 6)
    y = net(x)
    return {
        'namedParameters': [[k, list(v.shape)] for k, v in net.named_parameters()],
        'namedBuffers': [[k, list(v.shape)] for k, v in net.named_buffers()],
        'namedModules': [k for k, _ in net.named_modules()],
        'namedChildren': [k for k, _ in net.named_children()],
        'stateDictKeys': list(net.state_dict().keys()),
        'numParameters': sum(p.numel() for p in net.parameters()),
        'repr': repr(net),
        'state': {k: T(v) for k, v in net.state_dict().items()},
        'input': T(x),
        'output': T(y),
    }


def main():
    torch.manual_seed(0)
    for name, make in [('layers', layers), ('losses', losses), ('modules', modules)]:
        write_json(f'{name}.json', make(), trailing_newline=False)


if __name__ == '__main__':
    main()
