"""What the nn fixture generators share: where fixtures go, the two ways a tensor is written
to JSON, per-case seeding, and writing a fixture file. The tools/*_fixtures.py scripts
import it (Python puts a script's own folder on sys.path)."""
import json
import os
import zlib

import torch

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')


def rounded(t):
    """{"shape", "dtype", "data"}: integer and bool tensors as int32, the rest as float32 values
    to 8 significant digits (the layer, loss and module fixtures)."""
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32, torch.bool):
        return {'shape': list(t.shape), 'dtype': 'int32', 'data': [int(v) for v in t.reshape(-1).tolist()]}
    return {'shape': list(t.shape), 'dtype': 'float32', 'data': [float('%.8g' % v) for v in t.float().reshape(-1).tolist()]}


def exact(t):
    """{"shape", "dtype": "float32", "data"} with every value as Python's float prints it."""
    t = t.detach()
    return {'shape': list(t.shape), 'dtype': 'float32', 'data': [float(v) for v in t.reshape(-1).tolist()]}


def seeded(name):
    """Seed torch from the case's name, so each case's random values don't depend on the others."""
    torch.manual_seed(zlib.crc32(name.encode()))


def write_json(name, data, trailing_newline=True):
    """Write `data` as compact JSON to test/fixtures/`name`. (The older layer, loss, module and
    issue-12 fixtures have no trailing newline; keeping that keeps them byte-identical.)"""
    os.makedirs(FIXTURES, exist_ok=True)
    path = os.path.join(FIXTURES, name)
    text = json.dumps(data, separators=(',', ':')) + ('\n' if trailing_newline else '')
    with open(path, 'w') as fh:
        fh.write(text)
    print(f'wrote {path} ({os.path.getsize(path)} bytes)')
