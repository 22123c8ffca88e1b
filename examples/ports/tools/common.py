"""Helpers shared by the ports' PyTorch generators (Debian's python3-torch 1.13)."""
import json
import struct

import torch

DTYPES = {torch.float32: ('F32', '<f4'), torch.int64: ('I64', '<i8'), torch.int32: ('I32', '<i4')}


def write_safetensors(path, tensors, metadata=None):
    """The safetensors layout: u64 header length, JSON header padded to 8 bytes, raw data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        code, np_dtype = DTYPES[t.dtype]
        raw = t.numpy().astype(np_dtype).tobytes()
        header[name] = {'dtype': code, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header['__metadata__'] = metadata
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
