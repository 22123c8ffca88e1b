#!/usr/bin/python3
"""torch.save fixtures for @tensile/nn's checkpoint reader, and a verifier for files Tensile writes.

    /usr/bin/python3 tools/torch_checkpoint_fixtures.py            # write test/fixtures/torch/*
    /usr/bin/python3 tools/torch_checkpoint_fixtures.py --verify F  # torch.load a file Tensile wrote

The files are small (a few KB) and committed. expected.json holds, for each file, every
tensor's path, dtype, shape and values as PyTorch reads them, and the values beside them.
"""
import collections
import json
import os
import pickle
import pickletools
import struct
import sys
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'torch')

CODES = {
    torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64',
    torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8',
    torch.bool: 'BOOL',
}


def describe(value, path=''):
    """Every tensor in value (through dicts, lists, tuples) by its dotted path."""
    out = {}
    if isinstance(value, torch.Tensor):
        t = value.detach()
        out[path] = {'dtype': CODES[t.dtype], 'shape': list(t.shape),
                     'values': t.float().reshape(-1).tolist() if t.is_floating_point() else t.reshape(-1).tolist(),
                     'requiresGrad': bool(value.requires_grad)}
    elif isinstance(value, dict):
        for k, v in value.items():
            out.update(describe(v, f'{path}.{k}' if path else str(k)))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            out.update(describe(v, f'{path}.{i}' if path else str(i)))
    return out


class Net(torch.nn.Module):
    """The module test/torch-checkpoint.test.ts builds the same way in Tensile."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 3)
        self.bn = torch.nn.BatchNorm1d(3)
        self.fc2 = torch.nn.Linear(3, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


def views():
    """Tensors of every dtype, and views whose strides and offsets the reader must follow."""
    base = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 7
    shared = torch.randn(10)
    return {
        'f32': torch.randn(2, 3),
        'f16': (torch.randn(5) * 3).half(),
        'bf16': torch.randn(4).bfloat16(),
        'f64': torch.randn(3, dtype=torch.float64) / 3,
        'i64': torch.tensor([-2**31, -1, 0, 7, 2**31 - 1], dtype=torch.int64),
        'i32': torch.tensor([[1, -2], [3, -4]], dtype=torch.int32),
        'i16': torch.tensor([-32768, 32767], dtype=torch.int16),
        'i8': torch.tensor([-128, 5, 127], dtype=torch.int8),
        'u8': torch.tensor([0, 200, 255], dtype=torch.uint8),
        'bool': torch.tensor([True, False, True]),
        'scalar': torch.tensor(2.5),
        'empty': torch.zeros(0, 3),
        'transposed': base[0].t(),
        'permuted': base.permute(2, 0, 1),
        'sliced': base[1, 1:, ::2],
        'expanded': torch.tensor([[1.0], [2.0]]).expand(2, 3),
        'shared_a': shared[2:6],
        'shared_b': shared.view(2, 5),
        'parameter': torch.nn.Parameter(torch.tensor([0.5, -0.5])),
    }


def nested(net):
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net(torch.randn(4, 4)).sum().backward()
    opt.step()
    return {
        'model': net.state_dict(),
        'optimizer': opt.state_dict(),
        'epoch': 7,
        'name': 'run-1',
        'big': 2**70,
        'negative': -5,
        'ratio': 1.5,
        'none': None,
        'flag': True,
        'blob': b'ab\x00\xff',
        'pair': (1, 'two'),
        'labels': {0: 'cat', 1: 'dog'},
    }


class Evil:
    """What a malicious checkpoint holds: an object whose unpickling runs a command."""

    def __reduce__(self):
        return (os.system, ('echo this should never run',))


def big_endian(path, out):
    """Copy a checkpoint as a big-endian machine would write it (byteorder 'big', elements swapped)."""
    src = zipfile.ZipFile(path)
    # Each storage record's element width, from the storage class the pickle names before its key.
    width = {'FloatStorage': 4, 'HalfStorage': 2, 'LongStorage': 8, 'IntStorage': 4, 'BoolStorage': 1, 'DoubleStorage': 8}
    prefix = [n for n in src.namelist() if n.endswith('/data.pkl')][0][:-len('data.pkl')]
    kinds = {}
    ops = list(pickletools.genops(src.read(prefix + 'data.pkl')))
    for i, (op, arg, _) in enumerate(ops):
        if op.name == 'GLOBAL' and arg.startswith('torch ') and arg.endswith('Storage'):
            key = next(a for o, a, _ in ops[i + 1:] if o.name == 'BINUNICODE')
            kinds[key] = width[arg.split(' ')[1]]
    dst = zipfile.ZipFile(out, 'w', compression=zipfile.ZIP_STORED)
    for name in src.namelist():
        data = src.read(name)
        if name.startswith(prefix + 'data/'):
            w = kinds[name[len(prefix + 'data/'):]]
            data = b''.join(data[i:i + w][::-1] for i in range(0, len(data), w))
        dst.writestr(zipfile.ZipInfo(name), data)  # ZipInfo's fixed 1980 date keeps the bytes stable
    dst.writestr(zipfile.ZipInfo(prefix + 'byteorder'), 'big')
    dst.close()


class _StorageSlice:
    """Stands for a view of a storage in legacy_storage_view's pickle."""


class _TensorOverSlice:
    """A tensor over a storage view, pickled as torch.save pickles tensors."""

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, (_StorageSlice(), 1, (2, 2), (1, 2), False, collections.OrderedDict()))


def legacy_storage_view(path):
    """A legacy file as PyTorch before 0.4 could write it: a tensor over a view of a bigger
    storage, named by view metadata (key, offset, size) after the root's (today's torch.save
    never writes one; torch.load still reads them)."""
    root = torch.arange(10, dtype=torch.float32) / 4

    class LegacyPickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _StorageSlice):
                return ('storage', torch.FloatStorage, 'root', 'cpu', 10, ('view', 3, 6))
            return None

    with open(path, 'wb') as f:
        for header in (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}):
            pickle.dump(header, f, protocol=2)
        LegacyPickler(f, protocol=2).dump({'window': _TensorOverSlice(), 'step': 3})
        pickle.dump(['root'], f, protocol=2)
        f.write(struct.pack('<q', 10))
        f.write(root.numpy().tobytes())


def write():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    expected = {}

    net = Net()
    with torch.no_grad():
        net.bn.running_mean.copy_(torch.randn(3) * 0.1)
        net.bn.running_var.copy_(torch.rand(3) + 0.5)
        net.bn.num_batches_tracked.fill_(12)
    net.eval()
    x = torch.randn(5, 4)
    torch.save(net.state_dict(), os.path.join(OUT, 'state-dict.pt'))
    expected['state-dict.pt'] = {'tensors': describe(net.state_dict()), 'input': x.tolist(), 'output': net(x).tolist()}

    v = views()
    torch.save(v, os.path.join(OUT, 'views.pt'))
    expected['views.pt'] = {'tensors': describe(v)}

    n = nested(Net())
    torch.save(n, os.path.join(OUT, 'nested.pt'))
    expected['nested.pt'] = {'tensors': describe(n)}

    small = collections.OrderedDict(w=torch.randn(2, 3), h=torch.randn(3).half(), i=torch.tensor([1, -2], dtype=torch.int64),
                                    b=torch.tensor([True, False]), d=torch.randn(2, dtype=torch.float64))
    torch.save(small, os.path.join(OUT, 'little.pt'))
    big_endian(os.path.join(OUT, 'little.pt'), os.path.join(OUT, 'big-endian.pt'))
    expected['big-endian.pt'] = {'tensors': describe(small)}
    os.remove(os.path.join(OUT, 'little.pt'))

    # The legacy format (PyTorch before 1.6, or _use_new_zipfile_serialization=False).
    torch.save(v, os.path.join(OUT, 'legacy-views.pt'), _use_new_zipfile_serialization=False)
    expected['legacy-views.pt'] = {'tensors': describe(v)}
    torch.save(n, os.path.join(OUT, 'legacy-nested.pt'), _use_new_zipfile_serialization=False)
    expected['legacy-nested.pt'] = {'tensors': describe(n)}
    legacy_storage_view(os.path.join(OUT, 'legacy-storage-view.pt'))
    expected['legacy-storage-view.pt'] = {'tensors': describe(torch.load(os.path.join(OUT, 'legacy-storage-view.pt')))}
    torch.save({'w': torch.ones(2), 'payload': Evil()}, os.path.join(OUT, 'legacy-evil.pt'), _use_new_zipfile_serialization=False)
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), os.path.join(OUT, 'scripted.pt'))
    torch.save({'w': torch.ones(2), 'payload': Evil()}, os.path.join(OUT, 'evil.pt'))
    torch.save({'z': torch.randn(2, dtype=torch.complex64)}, os.path.join(OUT, 'complex.pt'))

    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f)


def verify(path):
    """torch.load (weights only) a file Tensile wrote; print what PyTorch sees as JSON."""
    value = torch.load(path, weights_only=True)
    plain = {k: v for k, v in value.items() if not isinstance(v, (dict, list, tuple, torch.Tensor))} if isinstance(value, dict) else {}
    print(json.dumps({'tensors': describe(value), 'plain': plain, 'types': {k: type(v).__name__ for k, v in value.items()}}))


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--verify':
        verify(sys.argv[2])
    else:
        write()
