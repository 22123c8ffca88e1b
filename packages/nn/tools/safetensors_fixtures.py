#!/usr/bin/python3
"""Safetensors fixtures for @tensile/nn, and a verifier for files Tensile writes.

    /usr/bin/python3 tools/safetensors_fixtures.py            # write test/fixtures/safetensors-*
    /usr/bin/python3 tools/safetensors_fixtures.py --verify F  # check a file Tensile wrote

Uses Hugging Face's `safetensors` package when installed; otherwise reads and writes the
format itself (8-byte LE header length, JSON header, raw LE data) following the Rust
writer's layout exactly: tensors sorted by dtype (wider first) then name, compact JSON with
`__metadata__` first, header padded with spaces to a multiple of 8 bytes.
"""
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'test', 'fixtures')

DTYPES = {
    'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16,
    'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8,
    'BOOL': torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
# Hugging Face's Dtype enum order, which its writer sorts by (descending).
RANK = {'BOOL': 0, 'U8': 4, 'I8': 5, 'I16': 9, 'U16': 10, 'F16': 11, 'BF16': 12, 'I32': 13, 'U32': 14,
        'F32': 15, 'F64': 17, 'I64': 18, 'U64': 19}


def serialize(tensors, metadata=None):
    """Bytes as Hugging Face's writer lays them out."""
    items = sorted(tensors.items(), key=lambda kv: (-RANK[NAMES[kv[1].dtype]], kv[0].encode('utf-8')))
    parts, blobs, offset = [], [], 0
    if metadata is not None:
        parts.append('"__metadata__":' + json.dumps(dict(sorted(metadata.items())), separators=(',', ':'), ensure_ascii=False))
    for name, t in items:
        t = t.detach().contiguous().cpu()
        raw = t.view(torch.uint8).numpy().tobytes() if t.dim() > 0 else t.reshape(1).view(torch.uint8).numpy().tobytes()
        if t.numel() == 0:
            raw = b''
        info = {'dtype': NAMES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        parts.append(json.dumps(name, ensure_ascii=False) + ':' + json.dumps(info, separators=(',', ':')))
        blobs.append(raw)
        offset += len(raw)
    header = ('{' + ','.join(parts) + '}').encode('utf-8')
    header += b' ' * ((8 - len(header) % 8) % 8)
    return struct.pack('<Q', len(header)) + header + b''.join(blobs)


def parse(data):
    """Tensors and metadata from safetensors bytes, with Hugging Face's validation."""
    (n,) = struct.unpack('<Q', data[:8])
    assert n <= len(data) - 8, 'header length beyond the file'
    header = json.loads(data[8:8 + n].decode('utf-8'))
    metadata = header.pop('__metadata__', None) or {}
    start = 8 + n
    expected = 0
    tensors = {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]['data_offsets']):
        b, e = info['data_offsets']
        assert b == expected, f'{name}: offsets do not tile the data ({b} != {expected})'
        dtype = DTYPES[info['dtype']]
        numel = 1
        for d in info['shape']:
            numel *= d
        assert (e - b) == numel * torch.empty((), dtype=dtype).element_size(), f'{name}: size mismatch'
        buf = bytearray(data[start + b:start + e])
        t = torch.frombuffer(buf, dtype=dtype) if e > b else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(info['shape']).clone()
        expected = e
    assert expected == len(data) - start, 'offsets do not cover the data'
    return tensors, metadata


def save(tensors, path, metadata=None):
    try:
        from safetensors.torch import save_file  # the real writer, when available
        save_file(tensors, path, metadata=metadata)
    except ImportError:
        with open(path, 'wb') as f:
            f.write(serialize(tensors, metadata))


class Net(torch.nn.Module):
    """A small Linear + Conv model: conv(1->3, 3x3, pad 1) -> relu -> flatten -> linear(3*4*4 -> 5)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 3, 3, padding=1)
        self.fc = torch.nn.Linear(3 * 4 * 4, 5)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def model_input():
    g = torch.Generator().manual_seed(7)
    return torch.randn(2, 1, 4, 4, generator=g)


def known_tensors():
    return {
        'f32': torch.arange(12, dtype=torch.float32).reshape(3, 4) / 4 - 1,
        'i32': torch.tensor([-3, -2, -1, 0, 1, 2147483647], dtype=torch.int32),
        'mask': torch.tensor([[True, False, True], [False, False, True]]),
        'scalar': torch.tensor(2.5),
        'empty': torch.zeros(0, 3),
        'f64': torch.tensor([0.1, -1e10, 3.0], dtype=torch.float64),
        'f16': torch.tensor([1.0, -2.5, 65504.0, 6e-8, float('inf')], dtype=torch.float16),
        'bf16': torch.tensor([1.0, -3.140625, 1e30], dtype=torch.bfloat16),
        'i64': torch.tensor([[-5, 7], [1 << 30, 0]], dtype=torch.int64),
        'u8': torch.tensor([0, 255], dtype=torch.uint8),
        'layer.0.weight': torch.full((2, 2), 0.5),
    }


def generate():
    os.makedirs(FIXTURES, exist_ok=True)
    save(known_tensors(), os.path.join(FIXTURES, 'safetensors-known.safetensors'), {'format': 'pt', 'note': 'known values'})
    torch.manual_seed(0)
    net = Net().eval()
    save(net.state_dict(), os.path.join(FIXTURES, 'safetensors-model.safetensors'), {'format': 'pt'})
    x = model_input()
    with torch.no_grad():
        logits = net(x)
    with open(os.path.join(FIXTURES, 'safetensors-model.json'), 'w') as f:
        json.dump({'input': x.tolist(), 'logits': logits.tolist()}, f)
        f.write('\n')
    print('wrote', FIXTURES)


def verify(path):
    """Check a file written by Tensile's safetensors test (see safetensors.test.ts)."""
    with open(path, 'rb') as f:
        data = f.read()
    tensors, metadata = parse(data)
    try:
        from safetensors.torch import load_file
        real = load_file(path)
        assert sorted(real) == sorted(tensors)
        for k in real:
            assert torch.equal(real[k], tensors[k]), k
        print('safetensors package: loads identically')
    except ImportError:
        pass
    assert metadata == {'framework': 'tensile', 'kind': 'verify'}, metadata
    # Byte-identical to the layout Hugging Face's writer produces for the same tensors.
    again = serialize(tensors, metadata)
    assert again == data, 'bytes differ from the Hugging Face writer layout'
    assert tensors['ints'].dtype == torch.int32 and tensors['ints'].tolist() == [[-2, -1, 0], [1, 2, 2147483647]]
    assert tensors['flags'].dtype == torch.bool and tensors['flags'].tolist() == [True, False, False, True]
    assert tensors['transposed'].tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert tensors['zero_d'].shape == () and tensors['zero_d'].item() == -0.75
    net = Net().eval()
    state = {k[len('model.'):]: v for k, v in tensors.items() if k.startswith('model.')}
    net.load_state_dict(state, strict=True)
    with torch.no_grad():
        logits = net(tensors['input'])
    diff = (logits - tensors['logits']).abs().max().item()
    print(f'max |torch logits - tensile logits| = {diff:.3g}')
    assert diff < 1e-5, diff
    print('OK')


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--verify':
        verify(sys.argv[2])
    elif len(sys.argv) == 1:
        generate()
    else:
        sys.exit(__doc__)
