#!/usr/bin/env python3
"""PyTorch counterpart of scripts/bench.ts, for the same GPU: matmul GFLOP/s (1024..8192,
TF32 and strict float32) and one step of the same small CNN. Prints one JSON object per result.

    python3 scripts/bench_torch.py            # all
    python3 scripts/bench_torch.py matmul     # one part
"""
import json
import sys
import time

import torch

parts = sys.argv[1:]
want = lambda name: not parts or name in parts  # noqa: E731

if not torch.cuda.is_available():
    sys.exit("bench_torch: no CUDA device")
dev = torch.device("cuda")


def time_it(fn, min_seconds=1.0):
    fn()
    torch.cuda.synchronize()
    iterations = 0
    start = time.perf_counter()
    while True:
        fn()
        iterations += 1
        if time.perf_counter() - start >= min_seconds and iterations >= 3:
            break
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / iterations


if want("matmul"):
    for tf32 in (True, False):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        for n in (1024, 2048, 4096, 8192):
            a = torch.randn(n, n, device=dev)
            b = torch.randn(n, n, device=dev)
            s = time_it(lambda: a @ b)
            print(json.dumps({"bench": "matmul", "n": n, "tf32": tf32, "ms": round(s * 1e3, 3), "gflops": round(2 * n**3 / s / 1e9, 1)}))

if want("cnn"):
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cuda.matmul.allow_tf32 = True
    batch = 256
    w1 = torch.randn(32, 1, 3, 3, device=dev, requires_grad=True)
    w2 = torch.randn(64, 32, 3, 3, device=dev, requires_grad=True)
    w3 = torch.randn(64 * 7 * 7, 10, device=dev, requires_grad=True)
    x = torch.randn(batch, 1, 28, 28, device=dev)
    labels = torch.randint(0, 10, (batch, 1), device=dev)
    params = [w1, w2, w3]

    def step():
        h = torch.nn.functional.max_pool2d(torch.conv2d(x, w1, padding=1).relu(), 2)
        h = torch.nn.functional.max_pool2d(torch.conv2d(h, w2, padding=1).relu(), 2)
        logits = h.reshape(batch, -1) @ w3
        loss = -torch.log_softmax(logits, -1).gather(1, labels).mean()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 1e-3 * p.grad
                p.grad = None

    s = time_it(step, 2.0)
    print(json.dumps({"bench": "cnn-step", "batch": batch, "ms": round(s * 1e3, 3), "imagesPerSecond": round(batch / s)}))
