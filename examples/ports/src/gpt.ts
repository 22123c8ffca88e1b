/**
 * A GPT-style block stack, the Tensile port of `tools/gpt.py`: token and position
 * embeddings, pre-norm blocks with RMSNorm, causal `F.scaledDotProductAttention` and a
 * tanh-GELU MLP, a final RMSNorm and an LM head. State-dict keys are nanoGPT's (`h.0.ln_1`,
 * `attn.c_attn`, `mlp.c_fc`, ...), mapped from camelCase fields with `stateName`.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Embedding, functional as F, Linear, Module, ModuleList, RMSNorm } from '@tensile/nn';

export interface GPTConfig {
  vocab: number;
  context: number;
  dim: number;
  heads: number;
  layers: number;
  eps: number;
}

const NAMES: Record<string, string> = { ln1: 'ln_1', ln2: 'ln_2', cAttn: 'c_attn', cProj: 'c_proj', cFc: 'c_fc', lnF: 'ln_f', lmHead: 'lm_head' };

/** A module whose camelCase fields have nanoGPT's snake_case state-dict names. */
abstract class Named extends Module {
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
}

export class CausalSelfAttention extends Named {
  cAttn: Linear;
  cProj: Linear;

  constructor(
    dim: number,
    readonly heads: number,
  ) {
    super();
    this.cAttn = new Linear(dim, 3 * dim, { bias: false });
    this.cProj = new Linear(dim, dim, { bias: false });
  }

  forward(x: Tensor): Tensor {
    const [b, t, c] = x.shape;
    const h = this.heads;
    const [q, k, v] = tl.split(this.cAttn.forward(x), c, 2).map((part) => part.reshape([b, t, h, c / h]).transpose(1, 2));
    const y = F.scaledDotProductAttention(q, k, v, { isCausal: true });
    return this.cProj.forward(y.transpose(1, 2).reshape([b, t, c]));
  }
}

export class MLP extends Named {
  cFc: Linear;
  cProj: Linear;

  constructor(dim: number) {
    super();
    this.cFc = new Linear(dim, 4 * dim);
    this.cProj = new Linear(4 * dim, dim);
  }

  forward(x: Tensor): Tensor {
    return this.cProj.forward(F.gelu(this.cFc.forward(x), 'tanh'));
  }
}

export class Block extends Named {
  ln1: RMSNorm;
  attn: CausalSelfAttention;
  ln2: RMSNorm;
  mlp: MLP;

  constructor(config: GPTConfig) {
    super();
    this.ln1 = new RMSNorm(config.dim, { eps: config.eps });
    this.attn = new CausalSelfAttention(config.dim, config.heads);
    this.ln2 = new RMSNorm(config.dim, { eps: config.eps });
    this.mlp = new MLP(config.dim);
  }

  forward(x: Tensor): Tensor {
    const h = x.add(this.attn.forward(this.ln1.forward(x)));
    return h.add(this.mlp.forward(this.ln2.forward(h)));
  }
}

export class GPT extends Named {
  wte: Embedding;
  wpe: Embedding;
  h: ModuleList;
  lnF: RMSNorm;
  lmHead: Linear;

  constructor(readonly config: GPTConfig) {
    super();
    this.wte = new Embedding(config.vocab, config.dim);
    this.wpe = new Embedding(config.context, config.dim);
    this.h = new ModuleList(Array.from({ length: config.layers }, () => new Block(config)));
    this.lnF = new RMSNorm(config.dim, { eps: config.eps });
    this.lmHead = new Linear(config.dim, config.vocab, { bias: false });
  }

  /** Logits `[B, T, vocab]` for int32 token ids `[B, T]`. */
  forward(tokens: Tensor): Tensor {
    const t = tokens.shape[1];
    if (t > this.config.context) throw new Error(`GPT: sequence of ${t} tokens is longer than the context ${this.config.context}`);
    const positions = tl.arange(0, t, 1, { device: tokens.device });
    let x = this.wte.forward(tokens).add(this.wpe.forward(positions));
    for (const block of this.h) x = block.forward(x);
    return this.lmHead.forward(this.lnF.forward(x));
  }
}
