#!/usr/bin/python3
"""The PyTorch side of the GPT port: a stack of pre-norm GPT blocks with RMSNorm, causal
scaled-dot-product attention and a tanh-GELU MLP (nanoGPT's key names), its random weights,
token ids, and the logits, loss and gradients PyTorch computes. PyTorch 1.13 has neither
nn.RMSNorm nor F.scaled_dot_product_attention, so both are written from PyTorch 2's
documented formulas.

  /usr/bin/python3 examples/ports/tools/gpt.py

Writes fixtures/gpt-weights.safetensors and fixtures/gpt-io.safetensors.
"""
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import write_safetensors

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures')
CONFIG = {'vocab': 40, 'context': 12, 'dim': 24, 'heads': 4, 'layers': 2, 'eps': 1e-6}


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def sdpa_causal(q, k, v):
    L, S = q.size(-2), k.size(-2)
    bias = torch.zeros(L, S).masked_fill(torch.ones(L, S, dtype=torch.bool).tril().logical_not(), float('-inf'))
    w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)) + bias, dim=-1)
    return w @ v


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.c_attn = nn.Linear(dim, 3 * dim, bias=False)
        self.c_proj = nn.Linear(dim, dim, bias=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = sdpa_causal(q, k, v).transpose(1, 2).reshape(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.c_fc = nn.Linear(dim, 4 * dim)
        self.c_proj = nn.Linear(4 * dim, dim)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate='tanh'))


class Block(nn.Module):
    def __init__(self, dim, heads, eps):
        super().__init__()
        self.ln_1 = RMSNorm(dim, eps)
        self.attn = Attention(dim, heads)
        self.ln_2 = RMSNorm(dim, eps)
        self.mlp = MLP(dim)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c['vocab'], c['dim'])
        self.wpe = nn.Embedding(c['context'], c['dim'])
        self.h = nn.ModuleList([Block(c['dim'], c['heads'], c['eps']) for _ in range(c['layers'])])
        self.ln_f = RMSNorm(c['dim'], c['eps'])
        self.lm_head = nn.Linear(c['dim'], c['vocab'], bias=False)

    def forward(self, idx):
        pos = torch.arange(idx.size(1))
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def main():
    torch.manual_seed(34)
    model = GPT(CONFIG)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('ln_1.weight') or name.endswith('ln_2.weight') or name == 'ln_f.weight':
                p.uniform_(0.7, 1.3)
    idx = torch.randint(0, CONFIG['vocab'], (2, CONFIG['context']))
    logits = model(idx)
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, CONFIG['vocab']), idx[:, 1:].reshape(-1))
    loss.backward()
    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, 'gpt-weights.safetensors'), model.state_dict(), {k: str(v) for k, v in CONFIG.items()})
    write_safetensors(os.path.join(OUT, 'gpt-io.safetensors'), {
        'tokens': idx.int(), 'logits': logits, 'loss': loss.reshape(1),
        'grad.h.0.attn.c_attn.weight': model.h[0].attn.c_attn.weight.grad,
        'grad.wte.weight': model.wte.weight.grad,
        'grad.h.1.ln_2.weight': model.h[1].ln_2.weight.grad,
    }, {'torch': torch.__version__})
    print('gpt:', sum(p.numel() for p in model.parameters()), 'parameters, loss', loss.item())


if __name__ == '__main__':
    main()
