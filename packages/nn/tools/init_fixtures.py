#!/usr/bin/python3
"""Write packages/nn/test/fixtures/init.json: PyTorch 1.13's answers for nn.init.

    /usr/bin/python3 packages/nn/tools/init_fixtures.py

- gains: calculate_gain for every nonlinearity PyTorch names (and leaky_relu slopes);
- qr: normal matrices and the Q orthogonal_ makes from each (QR with R's diagonal made
  positive), for Tensile's host QR;
- erfinv: torch.erfinv on a grid, for the composite truncNormal_ uses;
- dirac / eye: the exact tensors dirac_ and eye_ write;
- truncNormal: the truncated normal's mean and std for a few (mean, std, a, b), exactly
  (from the normal CDF and density) and as torch's own trunc_normal_ samples show them.
"""
import math

import torch
import torch.nn as nn

from fixture_utils import exact as T, write_json


def gains():
    out = []
    for name in ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d',
                 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu']:
        out.append([name, None, nn.init.calculate_gain(name)])
    for slope in [0.2, math.sqrt(5), 0, 1]:
        out.append(['leaky_relu', slope, nn.init.calculate_gain('leaky_relu', slope)])
    return out


def qr_cases():
    g = torch.Generator().manual_seed(7)
    cases = []
    for m, n in [(5, 3), (4, 4), (7, 1), (6, 2)]:
        a = torch.randn(m, n, generator=g, dtype=torch.float64)
        q, r = torch.linalg.qr(a)
        q = q * torch.diag(r, 0).sign()
        cases.append({'m': m, 'n': n, 'a': a.reshape(-1).tolist(), 'q': q.reshape(-1).tolist()})
    return cases


def erfinv_grid():
    x = torch.tensor([-0.999999, -0.9999, -0.999, -0.99, -0.95, -0.9, -0.7, -0.5, -0.3, -0.1, -1e-3, 0.0,
                      1e-4, 0.05, 0.2, 0.4, 0.6, 0.8, 0.93, 0.97, 0.995, 0.9995, 0.99999], dtype=torch.float64)
    x = x.float().double()  # the float32 inputs Tensile computes on
    return {'x': x.tolist(), 'y': torch.erfinv(x).tolist()}


def structured():
    out = {'dirac': [], 'eye': []}
    for shape, groups in [((4, 3, 3), 1), ((6, 4, 3, 3), 2), ((2, 3, 3, 4), 1), ((4, 2, 1, 3, 2), 2), ((3, 5, 5), 1)]:
        t = torch.empty(shape)
        nn.init.dirac_(t, groups)
        out['dirac'].append({'groups': groups, 'tensor': T(t)})
    for shape in [(3, 5), (4, 2), (3, 3)]:
        t = torch.empty(shape)
        nn.init.eye_(t)
        out['eye'].append(T(t))
    return out


def truncated_moments(mean, std, a, b):
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2
    z = cdf(beta) - cdf(alpha)
    m = (pdf(alpha) - pdf(beta)) / z
    var = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - m * m
    return mean + std * m, std * math.sqrt(var)


def trunc_normal():
    torch.manual_seed(3)
    out = []
    for mean, std, a, b in [(0, 1, -2, 2), (0, 0.02, -2, 2), (0.5, 1, -1, 1), (1, 2, 0, 5), (-1, 0.5, -3, -0.5)]:
        t = torch.empty(400000)
        nn.init.trunc_normal_(t, mean, std, a, b)
        exact_mean, exact_std = truncated_moments(mean, std, a, b)
        out.append({'mean': mean, 'std': std, 'a': a, 'b': b, 'exactMean': exact_mean, 'exactStd': exact_std,
                    'torchMean': t.mean().item(), 'torchStd': t.std().item(), 'torchMin': t.min().item(), 'torchMax': t.max().item()})
    return out


def main():
    data = {'generator': 'tools/init_fixtures.py', 'torch': torch.__version__, 'gains': gains(), 'qr': qr_cases(),
            'erfinv': erfinv_grid(), **structured(), 'truncNormal': trunc_normal()}
    write_json('init.json', data)


if __name__ == '__main__':
    main()
