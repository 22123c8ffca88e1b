#!/usr/bin/python3
"""Write packages/nn/test/fixtures/utils.json: PyTorch 1.13's torch.nn.utils on fixed weights.

    /usr/bin/python3 packages/nn/tools/utils_fixtures.py

weight_norm and spectral_norm: state dicts (keys and values), outputs, gradients, and the
power-iteration vectors after a training-mode forward; prune: the masks of l1_unstructured
(twice, iteratively), ln_structured and global_unstructured, and the state after remove;
parameters_to_vector.
"""
import torch
import torch.nn as nn
from torch.nn.utils import parameters_to_vector, prune, spectral_norm, weight_norm

from fixture_utils import exact as T, seeded, write_json


def state(m):
    return {k: T(v) for k, v in m.state_dict().items()}


def grads(m):
    return {n: T(p.grad) for n, p in m.named_parameters()}


def weight_norm_cases():
    seeded('weightNorm')
    lin = nn.Linear(3, 4)
    before = state(lin)
    weight_norm(lin)
    x = torch.randn(5, 3)
    y = lin(x)
    y.pow(2).sum().backward()
    out = {'linear': {'before': before, 'after': state(lin), 'x': T(x), 'y': T(y), 'grads': grads(lin)}}
    for key, dim in [('convDim1', 1), ('convNone', None), ('convLast', -1)]:
        seeded('weightNorm/' + key)
        conv = nn.Conv2d(2, 3, 2)
        before = state(conv)
        weight_norm(conv, dim=dim)
        out[key] = {'before': before, 'after': state(conv)}
    return out


def spectral_norm_cases():
    seeded('spectralNorm')
    lin = spectral_norm(nn.Linear(5, 3), n_power_iterations=2)
    start = state(lin)
    x = torch.randn(4, 5)
    y = lin(x)
    y.sum().backward()
    after = state(lin)
    lin.eval()
    y_eval = lin(x)
    out = {'linear': {'start': start, 'x': T(x), 'yTrain': T(y), 'afterTrain': after, 'grads': grads(lin), 'yEval': T(y_eval),
                      'keys': list(lin.state_dict().keys())}}
    seeded('spectralNorm/conv')
    conv = spectral_norm(nn.Conv2d(2, 3, 2), dim=1)
    start = state(conv)
    x = torch.randn(1, 2, 3, 3)
    y = conv(x)
    out['convDim1'] = {'start': start, 'x': T(x), 'y': T(y), 'after': state(conv)}
    return out


def prune_cases():
    seeded('prune')
    lin = nn.Linear(4, 5)
    start = state(lin)
    prune.l1_unstructured(lin, 'weight', 0.3)
    first = T(lin.weight_mask)
    prune.l1_unstructured(lin, 'weight', 3)
    second = T(lin.weight_mask)
    keys = list(lin.state_dict().keys())
    x = torch.randn(2, 4)
    y = lin(x)
    y.sum().backward()
    g = T(lin.weight_orig.grad)
    prune.remove(lin, 'weight')
    out = {'l1': {'start': start, 'mask1': first, 'mask2': second, 'keys': keys, 'x': T(x), 'y': T(y), 'origGrad': g,
                  'afterRemove': state(lin), 'keysAfterRemove': list(lin.state_dict().keys())}}
    seeded('prune/ln')
    conv = nn.Conv2d(3, 4, 2)
    start = state(conv)
    prune.ln_structured(conv, 'weight', 0.5, 2, 0)
    m1 = T(conv.weight_mask)
    prune.ln_structured(conv, 'weight', 1, 1, 1)
    out['ln'] = {'start': start, 'mask1': m1, 'mask2': T(conv.weight_mask)}
    seeded('prune/global')
    a, b = nn.Linear(3, 4), nn.Linear(4, 2)
    start_a, start_b = state(a), state(b)
    prune.global_unstructured([(a, 'weight'), (b, 'weight')], pruning_method=prune.L1Unstructured, amount=0.4)
    out['global'] = {'a': start_a, 'b': start_b, 'maskA': T(a.weight_mask), 'maskB': T(b.weight_mask)}
    return out


def vector_case():
    seeded('vector')
    m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    return {'state': state(m), 'vector': T(parameters_to_vector(m.parameters()))}


def main():
    data = {'generator': 'tools/utils_fixtures.py', 'torch': torch.__version__, 'weightNorm': weight_norm_cases(),
            'spectralNorm': spectral_norm_cases(), 'prune': prune_cases(), 'vector': vector_case()}
    write_json('utils.json', data)


if __name__ == '__main__':
    main()
