"""Golden strings for printing tensors: PyTorch's own formatter (torch._tensor_str) on each case.

Writes fixtures/print/tensors.json (beside, not among, the op fixtures). Run with Debian's python3-torch:
    /usr/bin/python3 tools/print_fixtures.py

The values part (`tensor([...]` with PyTorch's widths, notation, wrapping and `...`) is
PyTorch's output verbatim, with True/False spelled true/false (same widths). The suffixes are
Tensile's names (`dtype=int32`, `shape=[0, 3]`, `requiresGrad=true`), placed and wrapped by
PyTorch's `_add_suffixes`, following Tensile's rules (PyTorch's, plus the shape of a
summarised tensor, which the values no longer show).
"""
import json
import math
import os

import torch
import torch._tensor_str as ts

OUT = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'print', 'tensors.json')
DEFAULTS = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)


def values_of(t):
    """Flat row-major values as JSON-safe numbers (nan / inf as strings)."""
    out = []
    for v in t.reshape(-1).tolist():
        if isinstance(v, bool):
            out.append(1 if v else 0)
        elif isinstance(v, float) and math.isnan(v):
            out.append('nan')
        elif isinstance(v, float) and math.isinf(v):
            out.append('inf' if v > 0 else '-inf')
        else:
            out.append(v)
    return out


def tensile_suffixes(t, requires_grad, options):
    summarized = t.numel() > options['threshold'] and any(n > 2 * options['edgeitems'] for n in t.shape)
    dtype = {torch.float32: 'float32', torch.float16: 'float16', torch.int32: 'int32', torch.bool: 'bool'}[t.dtype]
    shape = '[' + ', '.join(str(n) for n in t.shape) + ']'
    suffixes = []
    if t.numel() == 0:
        if t.dim() != 1:
            suffixes.append('shape=' + shape)
        if dtype != 'float32':
            suffixes.append('dtype=' + dtype)
    else:
        if summarized:
            suffixes.append('shape=' + shape)
        if dtype not in ('float32', 'bool'):
            suffixes.append('dtype=' + dtype)
    if requires_grad:
        suffixes.append('requiresGrad=true')
    return suffixes


def case(name, t, requires_grad=False, **overrides):
    options = dict(DEFAULTS, **overrides)
    torch.set_printoptions(**options)
    body = ts._tensor_str(t, len('tensor(')) if t.numel() > 0 else '[]'
    body = body.replace('True', 'true').replace('False', 'false')
    expected = ts._add_suffixes('tensor(' + body, tensile_suffixes(t, requires_grad, options), len('tensor('), False)
    torch.set_printoptions(**DEFAULTS)
    dtype = {torch.float32: 'float32', torch.float16: 'float16', torch.int32: 'int32', torch.bool: 'bool'}[t.dtype]
    opts = {'precision': options['precision'], 'threshold': options['threshold'], 'edgeitems': options['edgeitems'],
            'linewidth': options['linewidth'], 'sciMode': options['sci_mode']}
    return {'name': name, 'dtype': dtype, 'shape': list(t.shape), 'values': values_of(t), 'requiresGrad': requires_grad,
            'options': opts, 'expected': expected}


def main():
    g = torch.Generator().manual_seed(0)
    randn = lambda *shape: torch.randn(*shape, generator=g)
    f = lambda data: torch.tensor(data, dtype=torch.float32)
    cases = [
        case('0-d fraction', f(3.5)),
        case('0-d integer', f(-2.0)),
        case('integers in floats', f([[1, 2], [3, 4]])),
        case('zeros', torch.zeros(2, 3)),
        case('negative zero', f([-0.0, 1.0])),
        case('fractions', f([0.1, 1 / 3, -2.5, 10.0])),
        case('ties round half to even', f([0.03125, 0.15625, 1.03125, 2.5])),
        case('scientific: a small value', f([1e-5, 1.0, 100.0])),
        case('scientific: a wide range', f([1.0, 12345.678])),
        case('scientific: large integers', f([1.0, 2e9])),
        case('scientific: rounding to the next power of ten', f([9.99995e-5, 1.0])),
        case('scientific ties', f([123445.0, 1.0, 0.001953125])),
        case('integers past 1000x range', f([1.0, 5000.0])),
        case('nan and inf', f([float('nan'), float('inf'), -float('inf'), 1.5])),
        case('nan and inf with integers', f([float('nan'), 2.0, -float('inf')])),
        case('only non-finite', f([float('nan'), float('inf')])),
        case('a long row wraps at 80 columns', randn(30)),
        case('a long integer row wraps', torch.arange(40, dtype=torch.float32)),
        case('2-d', randn(3, 4)),
        case('3-d', randn(2, 3, 4)),
        case('4-d', randn(2, 2, 2, 3)),
        case('summarised vector', torch.arange(2000, dtype=torch.float32)),
        case('summarised matrix', torch.arange(2000, dtype=torch.int32).reshape(40, 50)),
        case('summarised, some dims short', randn(2, 600, 3)),
        case('summarised 3-d', randn(12, 10, 11)),
        case('int32', torch.tensor([1, -20, 300], dtype=torch.int32)),
        case('int32 matrix', torch.tensor([[1, 2], [-3, 40000]], dtype=torch.int32)),
        case('bool', torch.tensor([True, False, True])),
        case('bool matrix', torch.tensor([[True], [False]])),
        case('float16', f([0.1, 1.5, -3.0]).half()),
        case('empty vector', torch.zeros(0)),
        case('empty matrix', torch.zeros(0, 3)),
        case('empty int32', torch.zeros(2, 0, dtype=torch.int32)),
        case('empty bool', torch.zeros(0, dtype=torch.bool)),
        case('requires grad', f([[1.5, 2.0]]), requires_grad=True),
        case('suffixes wrap past 80 columns', randn(4, 9), requires_grad=True),
        case('int32 suffix wraps', torch.arange(1000000000, 1000000012, dtype=torch.int32).reshape(2, 6)),
        case('precision 2', f([1 / 3, 2 / 3]), precision=2),
        case('precision 0', f([1.25, 2.75]), precision=0),
        case('sciMode forced on', f([1.5, 2.25]), sci_mode=True),
        case('sciMode forced off', f([1e-5, 1.0]), sci_mode=False),
        case('linewidth 40', randn(12), linewidth=40),
        case('threshold 10, edgeitems 2', torch.arange(12, dtype=torch.float32).reshape(3, 4), threshold=10, edgeitems=2),
    ]
    with open(OUT, 'w') as fh:
        json.dump({'generator': 'tools/print_fixtures.py', 'torch': torch.__version__, 'cases': cases}, fh, indent=1)
        fh.write('\n')
    print(f'wrote {len(cases)} cases to {os.path.normpath(OUT)}')


if __name__ == '__main__':
    main()
