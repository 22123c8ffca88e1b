"""Writes the PyTorch side of the trajectory test: an MLP initialised by PyTorch, trained for
20 steps on the first MNIST training images in file order, with SGD (momentum) and with Adam.

  /usr/bin/python3 tools/trajectory_fixture.py [DATA_DIR]

DATA_DIR holds mnist/train-images-idx3-ubyte.gz (default: ../shared/data beside the repo).
Outputs test/fixtures/trajectory-init.safetensors (the initial weights) and
test/fixtures/trajectory.json (the losses), both read by test/trajectory.test.ts.
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, '..', 'shared', 'data')
OUT = os.path.join(HERE, '..', 'test', 'fixtures')
BATCH, STEPS, HIDDEN = 64, 20, 64


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_safetensors(path, tensors):
    """The safetensors layout: u64 header length, JSON header padded to 8 bytes, raw data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        raw = t.detach().contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def main():
    n = BATCH * STEPS
    images = read_idx(os.path.join(DATA, 'mnist', 'train-images-idx3-ubyte.gz'))[:n]
    labels = read_idx(os.path.join(DATA, 'mnist', 'train-labels-idx1-ubyte.gz'))[:n]
    x = torch.from_numpy(images.reshape(n, 784).astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 10))
    init = {k: v.clone() for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(OUT, 'trajectory-init.safetensors'), init)

    runs = {
        'sgd': lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
        'adam': lambda params: torch.optim.Adam(params, lr=1e-3),
    }
    result = {'batch': BATCH, 'steps': STEPS, 'hidden': HIDDEN, 'losses': {}}
    for name, make in runs.items():
        model.load_state_dict(init)
        opt = make(model.parameters())
        losses = []
        for step in range(STEPS):
            xb, yb = x[step * BATCH:(step + 1) * BATCH], y[step * BATCH:(step + 1) * BATCH]
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        result['losses'][name] = losses
    with open(os.path.join(OUT, 'trajectory.json'), 'w') as f:
        json.dump(result, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
