#!/usr/bin/python3
"""Golden values for @tensile/datasets' tests, from PyTorch 1.13 and torchvision 0.14 (Debian's
python3-torch and python3-torchvision).

Writes packages/datasets/test/fixtures/data.json (samplers, random_split lengths) and
packages/datasets/test/fixtures/transforms.json (deterministic image transforms). Run from
anywhere:

    /usr/bin/python3 packages/datasets/tools/generate_fixtures.py

Tensors are stored as {"shape": [...], "data": [...]} (row-major float32, 9 significant
digits, which round-trips float32 exactly). Option names are written as the TypeScript API
spells them (camelCase).
"""
import json
import os

import torch
from torch.utils.data import BatchSampler, SequentialSampler, random_split
from torch.utils.data.distributed import DistributedSampler

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')


def T(t):
    t = t.detach().float().contiguous()
    return {'shape': list(t.shape), 'data': [float('%.9g' % v) for v in t.reshape(-1).tolist()]}


def data_cases():
    out = {'batchSampler': [], 'distributedSampler': [], 'randomSplit': []}
    for n, batch_size, drop_last in [(10, 3, False), (10, 3, True), (9, 3, True), (1, 4, False), (0, 2, False), (7, 1, True)]:
        out['batchSampler'].append({
            'n': n, 'batchSize': batch_size, 'dropLast': drop_last,
            'batches': [list(b) for b in BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)],
            'length': len(BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)),
        })
    for n, replicas, drop_last in [(10, 3, False), (10, 3, True), (12, 4, False), (5, 8, False), (2, 3, True), (11, 2, True)]:
        ranks = []
        for rank in range(replicas):
            s = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
            ranks.append({'indices': list(s), 'length': len(s)})
        out['distributedSampler'].append({'n': n, 'numReplicas': replicas, 'dropLast': drop_last, 'ranks': ranks})
    for n, lengths in [(10, [0.5, 0.5]), (10, [0.3, 0.3, 0.4]), (11, [0.25, 0.25, 0.5]), (7, [0.9, 0.1]), (100, [0.333, 0.333, 0.334]),
                       (5, [0.2, 0.2, 0.2, 0.2, 0.2]), (3, [0.1, 0.1, 0.8]), (60000, [0.9, 0.1]), (10, [3, 7]), (0, [0.5, 0.5])]:
        parts = random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
        out['randomSplit'].append({'n': n, 'lengths': lengths, 'sizes': [len(p) for p in parts]})
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'data.json'), 'w') as f:
        json.dump(data_cases(), f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
