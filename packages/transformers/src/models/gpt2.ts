/**
 * GPT-2 (`GPT2LMHeadModel`, `model_type: 'gpt2'`) with the hub's module names: `transformer.wte`,
 * `transformer.wpe`, `transformer.h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc,
 * mlp.c_proj}`, `transformer.ln_f`, and `lm_head` tied to `wte`.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Embedding, LayerNorm, Module, ModuleList, functional as F, init } from '@tensile/nn';
import { CausalLM, causalLMOutput, decoderInputs, keepLast, type CausalLMForwardOptions, type CausalLMOutput, type DecoderLayout } from '../generation.js';
import { Conv1D, KVCache, activation, attend, attentionMask, mergeHeads, splitHeads, tracedAttentionMask } from '../layers.js';
import { field, type PretrainedConfig } from '../modeling.js';
import type { KeyRules } from '../weights.js';

/** The fields of a GPT-2 config.json this implementation reads. */
export interface GPT2Config extends PretrainedConfig {
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_inner?: number | null;
  activation_function?: string;
  layer_norm_epsilon?: number;
  resid_pdrop?: number;
  embd_pdrop?: number;
  attn_pdrop?: number;
  scale_attn_weights?: boolean;
  scale_attn_by_inverse_layer_idx?: boolean;
  reorder_and_upcast_attn?: boolean;
  initializer_range?: number;
}

interface Settings {
  vocab: number;
  positions: number;
  embed: number;
  layers: number;
  heads: number;
  inner: number;
  act: (x: Tensor) => Tensor;
  eps: number;
  resid: number;
  embd: number;
  attn: number;
  scale: boolean;
  std: number;
}

function settings(c: GPT2Config): Settings {
  const w = 'GPT2LMHeadModel';
  const embed = field<number>(c, 'n_embd', undefined, w);
  const heads = field<number>(c, 'n_head', undefined, w);
  if (embed % heads !== 0) throw new Error(`${w}: n_embd ${embed} is not divisible by n_head ${heads}`);
  if (c.scale_attn_by_inverse_layer_idx || c.reorder_and_upcast_attn) {
    throw new Error(`${w}: scale_attn_by_inverse_layer_idx and reorder_and_upcast_attn are not supported`);
  }
  return {
    vocab: field<number>(c, 'vocab_size', undefined, w),
    positions: field<number>(c, 'n_positions', undefined, w),
    embed,
    layers: field<number>(c, 'n_layer', undefined, w),
    heads,
    inner: (c.n_inner ?? null) === null ? 4 * embed : (c.n_inner as number),
    act: activation(field<string>(c, 'activation_function', 'gelu_new', w), w),
    eps: field<number>(c, 'layer_norm_epsilon', 1e-5, w),
    resid: field<number>(c, 'resid_pdrop', 0.1, w),
    embd: field<number>(c, 'embd_pdrop', 0.1, w),
    attn: field<number>(c, 'attn_pdrop', 0.1, w),
    scale: field<boolean>(c, 'scale_attn_weights', true, w),
    std: field<number>(c, 'initializer_range', 0.02, w),
  };
}

const NAMES: Record<string, string> = { ln1: 'ln_1', ln2: 'ln_2', cAttn: 'c_attn', cProj: 'c_proj', cFc: 'c_fc', lnF: 'ln_f', lmHead: 'lm_head' };

class GPT2Attention extends Module {
  cAttn: Conv1D;
  cProj: Conv1D;
  constructor(private readonly s: Settings) {
    super();
    this.cAttn = new Conv1D(3 * s.embed, s.embed, s.std);
    this.cProj = new Conv1D(s.embed, s.embed, s.std / Math.sqrt(2 * s.layers));
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, allowed: Tensor, cache: KVCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const [q, k, v] = this.cAttn.forward(x).split(this.s.embed, 2).map((t) => splitHeads(t, this.s.heads));
      const [keys, values] = cache ? cache.update(layer, k, v) : [k, v];
      const scale = this.s.scale ? 1 / Math.sqrt(v.shape[3]) : 1;
      const y = attend(q, keys, values, allowed, scale, this.s.attn, this.training);
      return F.dropout(this.cProj.forward(mergeHeads(y)), this.s.resid, this.training);
    });
  }
}

class GPT2MLP extends Module {
  cFc: Conv1D;
  cProj: Conv1D;
  constructor(private readonly s: Settings) {
    super();
    this.cFc = new Conv1D(s.inner, s.embed, s.std);
    this.cProj = new Conv1D(s.embed, s.inner, s.std / Math.sqrt(2 * s.layers));
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => F.dropout(this.cProj.forward(this.s.act(this.cFc.forward(x))), this.s.resid, this.training));
  }
}

class GPT2Block extends Module {
  ln1: LayerNorm;
  attn: GPT2Attention;
  ln2: LayerNorm;
  mlp: GPT2MLP;
  constructor(s: Settings) {
    super();
    this.ln1 = new LayerNorm(s.embed, { eps: s.eps });
    this.attn = new GPT2Attention(s);
    this.ln2 = new LayerNorm(s.embed, { eps: s.eps });
    this.mlp = new GPT2MLP(s);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, allowed: Tensor, cache: KVCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const h = x.add(this.attn.forward(this.ln1.forward(x), allowed, cache, layer));
      return h.add(this.mlp.forward(this.ln2.forward(h)));
    });
  }
}

/**
 * The GPT-2 transformer without its head (`GPT2Model`): token and position embeddings,
 * `n_layer` pre-norm blocks, a final layer norm.
 */
export class GPT2Model extends Module {
  wte: Embedding;
  wpe: Embedding;
  h: ModuleList<GPT2Block>;
  lnF: LayerNorm;
  private readonly s: Settings;

  constructor(config: GPT2Config) {
    super();
    const s = settings(config);
    this.s = s;
    this.wte = new Embedding(s.vocab, s.embed);
    this.wpe = new Embedding(s.positions, s.embed);
    init.normal_(this.wte.weight, 0, s.std);
    init.normal_(this.wpe.weight, 0, s.std);
    this.h = new ModuleList(Array.from({ length: s.layers }, () => new GPT2Block(s)));
    this.lnF = new LayerNorm(s.embed, { eps: s.eps });
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  /** `inputIds` `[B, T]` → hidden states `[B, T, n_embd]`. */
  forward(inputIds: Tensor, options: CausalLMForwardOptions = {}): Tensor {
    return tl.tidy(() => {
      const [b, t] = inputIds.shape;
      const { cache, past, keyMask, positions, traced } = decoderInputs(inputIds, options, 'GPT2Model.forward');
      if (past + t > this.s.positions) throw new Error(`GPT2Model.forward: ${past + t} positions exceed n_positions ${this.s.positions}`);
      const device = this.wte.weight.device;
      // Traced (exported): positions and mask from tensors, so the file follows batch and seq.
      const pos = traced ? traced.positions : tl.tensor(positions.flat(), { dtype: 'int32', device }).reshape([b, t]);
      let x = this.wte.forward(inputIds).add(this.wpe.forward(pos));
      x = F.dropout(x, this.s.embd, this.training);
      const allowed = traced ? tracedAttentionMask(inputIds, traced) : attentionMask(b, t, past + t, { keyMask, device });
      let i = 0;
      for (const block of this.h) x = block.forward(x, allowed, cache, i++);
      cache?.advance();
      return this.lnF.forward(x);
    });
  }
}

/**
 * GPT-2 with its language-model head (`GPT2LMHeadModel`), `lm_head` tied to
 * `transformer.wte`.
 *
 * @example
 * ```ts
 * const model = await GPT2LMHeadModel.fromPretrained('./gpt2', { device: 'wasm' });
 * const { logits } = model.forward(tl.tensor([[464, 2068]], { dtype: 'int32', device: 'wasm' }));
 * const out = await model.generate([[464, 2068]], { maxNewTokens: 20 });
 * ```
 */
export class GPT2LMHeadModel extends CausalLM {
  static readonly modelTypes = ['gpt2'] as const;
  static readonly keyRules: KeyRules = {
    basePrefix: 'transformer',
    ignore: [/\.attn\.(masked_)?bias$/, /^lm_head\.weight$/],
  };

  transformer: GPT2Model;
  lmHead: { weight: Tensor } & Module;
  private readonly s: Settings;

  constructor(config: GPT2Config) {
    super(config);
    this.s = settings(config);
    this.transformer = new GPT2Model(config);
    this.lmHead = new TiedHead(this.transformer.wte);
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  override tiedKeys(): string[] {
    return ['lm_head.weight'];
  }

  protected get layout(): DecoderLayout {
    return { layers: this.s.layers, kvHeads: this.s.heads, headDim: this.s.embed / this.s.heads, maxPositions: this.s.positions };
  }

  /** `inputIds` int32 `[B, T]` → `{ logits [B, T, vocab], loss? }`. */
  forward(inputIds: Tensor, options: CausalLMForwardOptions = {}): CausalLMOutput {
    return tl.tidy(() => {
      const h = keepLast(this.transformer.forward(inputIds, options), options.logitsToKeep);
      return causalLMOutput(h.matmul(this.lmHead.weight.t()), options.labels);
    });
  }
}

/** A language-model head whose weight is the token embedding's (the hub's tied `lm_head`). */
export class TiedHead extends Module {
  weight: Embedding['weight'];
  constructor(embedding: Embedding) {
    super();
    this.weight = embedding.weight;
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.weight.t());
  }
}
