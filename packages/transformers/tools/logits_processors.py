"""The hub's logits processors in plain PyTorch, as transformers' generation/logits_process.py
defines them (RepetitionPenaltyLogitsProcessor, then for sampling TemperatureLogitsWarper,
TopKLogitsWarper, TopPLogitsWarper, in that order), applied to random logits rows.

    python3 logits_processors.py OUT.json

writes the rows, the tokens each row has seen, and the processed scores per setting
(-inf as null) for test/generation.test.ts."""
import json
import sys

import torch

SETTINGS = [
    {'doSample': False, 'repetitionPenalty': 1.3, 'temperature': 1, 'topK': 0, 'topP': 1},
    {'doSample': True, 'repetitionPenalty': 1, 'temperature': 0.7, 'topK': 0, 'topP': 1},
    {'doSample': True, 'repetitionPenalty': 1, 'temperature': 1, 'topK': 5, 'topP': 1},
    {'doSample': True, 'repetitionPenalty': 1, 'temperature': 1, 'topK': 0, 'topP': 0.8},
    {'doSample': True, 'repetitionPenalty': 1.2, 'temperature': 0.8, 'topK': 20, 'topP': 0.9},
    {'doSample': True, 'repetitionPenalty': 1, 'temperature': 1.5, 'topK': 50, 'topP': 0.3},
    {'doSample': True, 'repetitionPenalty': 1, 'temperature': 1, 'topK': 0, 'topP': 1e-6},
]


def process(scores, seen, s):
    x = scores.clone()
    if s['repetitionPenalty'] != 1:
        # RepetitionPenaltyLogitsProcessor: gather the seen tokens' scores, shrink them, scatter back.
        for b, ids in enumerate(seen):
            idx = torch.tensor(ids)
            got = torch.gather(x[b], 0, idx)
            got = torch.where(got < 0, got * s['repetitionPenalty'], got / s['repetitionPenalty'])
            x[b] = x[b].scatter(0, idx, got)
    if not s['doSample']:
        return x
    if s['temperature'] != 1:
        x = x / s['temperature']
    if s['topK'] > 0:
        k = min(s['topK'], x.shape[-1])
        remove = x < torch.topk(x, k)[0][..., -1, None]
        x = x.masked_fill(remove, -float('inf'))
    if s['topP'] < 1:
        sorted_logits, sorted_idx = torch.sort(x, descending=False)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        remove_sorted = cumulative <= (1 - s['topP'])
        remove_sorted[..., -1:] = False  # min_tokens_to_keep = 1
        remove = remove_sorted.scatter(1, sorted_idx, remove_sorted)
        x = x.masked_fill(remove, -float('inf'))
    return x


def rows(t):
    return [[None if v == -float('inf') else v for v in r] for r in t.tolist()]


def main():
    torch.manual_seed(0)
    scores = torch.randn(4, 80) * 3
    seen = [[1, 2, 3, 3, 70], [0], [5, 6, 7, 8, 9, 10], [79, 0, 40]]
    out = {'scores': scores.tolist(), 'seen': seen,
           'cases': [{'settings': s, 'processed': rows(process(scores, seen, s))} for s in SETTINGS]}
    with open(sys.argv[1], 'w') as f:
        json.dump(out, f)


if __name__ == '__main__':
    main()
