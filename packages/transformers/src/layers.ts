/**
 * Building blocks the architectures share, written with core and nn ops: GPT-2's `Conv1D`,
 * `RMSNorm`, rotary position embeddings, attention over a key/value cache (with grouped
 * query heads), activations by the hub's names, and the preallocated `KVCache`.
 *
 * Local for now: `RMSNorm` and `scaledDotProductAttention` are being added to
 * `@tensile/nn` on other branches; this package switches to them once they land.
 */
import * as tl from '@tensile/core';
import type { DType, Tensor } from '@tensile/core';
import { Embedding, Linear, Module, Parameter, functional as F, init } from '@tensile/nn';

/** `tl.empty`-like: a parameter of `shape` (zeros), to be filled by a checkpoint or an initialiser. */
export function param(shape: number[], fill = 0): Parameter {
  const t = tl.full(shape, fill, { dtype: init.parameterDType() });
  const p = new Parameter(t);
  t.dispose();
  return p;
}

/** The embedding row `pad_token_id` names, when it names one in the vocabulary (else no padding row). */
export function paddingRow(pad: unknown, vocab: number): number | null {
  return typeof pad === 'number' && Number.isInteger(pad) && pad >= 0 && pad < vocab ? pad : null;
}

/**
 * The hub's embedding initialisation: N(0, std), then the padding row zeroed (`_init_weights`),
 * which `init.normal_` alone would fill too.
 */
export function initEmbeddings(embeddings: readonly Embedding[], std: number): void {
  for (const e of embeddings) {
    init.normal_(e.weight, 0, std);
    if (e.paddingIdx !== null) init.zeroRow_(e.weight, e.paddingIdx);
  }
}

/** Options of the vision models' forward. */
export interface VisionOptions {
  /**
   * Take images of another size than `image_size` (the hub's `interpolate_pos_encoding`): the
   * position table's patch grid is resized bicubically to the image's patches.
   */
  interpolatePosEncoding?: boolean;
}

/**
 * The check of a vision model's `pixelValues` `[batch, channels, size, size]`, or, with
 * `interpolate`, any height and width of at least one patch.
 */
export function checkPixels(pixels: Tensor, channels: number, size: number, patch: number, interpolate: boolean, where: string): void {
  const ok = pixels.rank === 4 && pixels.shape[1] === channels && (interpolate ? pixels.shape[2] >= patch && pixels.shape[3] >= patch : pixels.shape[2] === size && pixels.shape[3] === size);
  if (ok) return;
  const want = interpolate ? `[batch, ${channels}, height, width] with height and width at least the patch size ${patch}` : `[batch, ${channels}, ${size}, ${size}] (interpolatePosEncoding takes other sizes)`;
  throw new Error(`${where}: pixelValues must be ${want}, got ${tl.formatShape(pixels.shape)}`);
}

/**
 * The hub's `interpolate_pos_encoding` (ViT, CLIP): a position table `[1, 1 + n², D]`, the class
 * token's first, for an image of `height` x `width` pixels in `patch`-pixel patches: the n x n
 * grid resized bicubically (align_corners false) to the image's patch grid. The trained size
 * keeps the table as it is.
 */
export function interpolatePositions(table: Tensor, height: number, width: number, patch: number): Tensor {
  return tl.tidy(() => {
    const n = table.shape[1] - 1;
    const [rows, cols] = [Math.floor(height / patch), Math.floor(width / patch)];
    if (rows * cols === n && height === width) return table;
    const side = Math.round(Math.sqrt(n));
    const dim = table.shape[2];
    const grid = tl.slice(table, 1, 1, n + 1).reshape([1, side, side, dim]).permute([0, 3, 1, 2]);
    const resized = F.interpolate(grid, { size: [rows, cols], mode: 'bicubic', alignCorners: false });
    return tl.cat([tl.slice(table, 1, 0, 1), resized.permute([0, 2, 3, 1]).reshape([1, rows * cols, dim])], 1);
  });
}

/** A `Linear` initialised as the hub's models do: weight from N(0, std²), bias zeros. */
export function denseLayer(inFeatures: number, outFeatures: number, std: number, bias = true): Linear {
  const l = new Linear(inFeatures, outFeatures, { bias });
  init.normal_(l.weight, 0, std);
  if (l.bias) init.zeros_(l.bias);
  return l;
}

/**
 * GPT-2's linear layer: `x · weight + bias` with `weight` stored `[in, out]` (the transpose
 * of `Linear`'s), as OpenAI's checkpoints and the hub's `Conv1D` keep it.
 *
 * @example
 * ```ts
 * const fc = new Conv1D(3072, 768); // nf = out features, nx = in features, as the hub orders them
 * fc.forward(tl.randn([1, 5, 768])); // [1, 5, 3072]
 * ```
 */
export class Conv1D extends Module {
  weight: Parameter;
  bias: Parameter;
  readonly nf: number;
  readonly nx: number;

  constructor(nf: number, nx: number, std = 0.02) {
    super();
    this.nf = nf;
    this.nx = nx;
    this.weight = param([nx, nf]);
    this.bias = param([nf]);
    init.normal_(this.weight, 0, std);
  }

  forward(x: Tensor): Tensor {
    // addmm, as the hub's Conv1D: one product with the bias, which autocast runs in float16 too.
    return tl.tidy(() => tl.addmm(this.bias, x.reshape([-1, this.nx]), this.weight).reshape([...x.shape.slice(0, -1), this.nf]));
  }

  override extraRepr(): string {
    return `nf=${this.nf}, nx=${this.nx}`;
  }
}

/**
 * Root-mean-square layer norm as the hub's Llama computes it: in float32 whatever the input
 * dtype, `x / sqrt(mean(x²) + eps)`, cast back, then scaled by `weight` (ones).
 *
 * @example
 * ```ts
 * new RMSNorm(64, 1e-6).forward(tl.randn([2, 5, 64]));
 * ```
 */
export class RMSNorm extends Module {
  weight: Parameter;
  readonly eps: number;

  constructor(dim: number, eps = 1e-6) {
    super();
    this.weight = param([dim], 1);
    this.eps = eps;
  }

  forward(x: Tensor): Tensor {
    return tl.tidy(() => {
      const normed = this.normalize(x);
      return this.weight.mul(normed.dtype === x.dtype ? normed : normed.cast(x.dtype));
    });
  }

  /** `x / sqrt(mean(x²) + eps)` in float32. */
  protected normalize(x: Tensor): Tensor {
    const wide = x.dtype === 'float32' ? x : x.float();
    return wide.mul(wide.square().mean(-1, true).add(this.eps).rsqrt());
  }

  override extraRepr(): string {
    return `(${this.weight.shape[0]},), eps=${this.eps}`;
  }
}

/**
 * Gemma's RMSNorm: the weight is stored as an offset from one (initialised to zeros) and the
 * scaling `normed · (1 + weight)` happens in float32 before the cast back (Llama casts first).
 *
 * @example
 * ```ts
 * new GemmaRMSNorm(64, 1e-6).forward(tl.randn([2, 5, 64]));
 * ```
 */
export class GemmaRMSNorm extends RMSNorm {
  constructor(dim: number, eps = 1e-6) {
    super(dim, eps);
    init.zeros_(this.weight);
  }

  override forward(x: Tensor): Tensor {
    return tl.tidy(() => {
      const scale = (this.weight.dtype === 'float32' ? this.weight : this.weight.float()).add(1);
      const y = this.normalize(x).mul(scale);
      return y.dtype === x.dtype ? y : y.cast(x.dtype);
    });
  }
}

/** An activation by the name a hub config gives (`hidden_act`, `activation_function`). */
export function activation(name: string, where: string): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu':
      return (x) => tl.gelu(x);
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return (x) => tl.gelu(x, 'tanh');
    case 'relu':
      return (x) => x.relu();
    case 'silu':
    case 'swish':
      return (x) => tl.silu(x);
    case 'tanh':
      return (x) => x.tanh();
    case 'quick_gelu':
      // CLIP's sigmoid approximation of GELU: x · sigmoid(1.702 x).
      return (x) => x.mul(x.mul(1.702).sigmoid());
    default:
      throw new Error(`${where}: activation '${name}' is not supported (gelu, gelu_new, gelu_pytorch_tanh, quick_gelu, relu, silu, tanh)`);
  }
}

/** The most negative finite value of a float dtype: what masked attention scores become. */
export function minValue(dtype: DType): number {
  return dtype === 'float16' ? -65504 : -3.4028234663852886e38;
}

/**
 * Which keys each query may attend to, as a bool tensor `[batch, 1, q, k]`, built on the host:
 * query `i` sits at absolute position `past + i` and sees key `j` when `j <= past + i`, the
 * key is not padding (`keyMask[b][j]`), and, with a sliding window `w`, `past + i - j < w`.
 */
export function attentionMask(
  batch: number,
  queries: number,
  keys: number,
  options: { keyMask?: number[][] | null; causal?: boolean; slidingWindow?: number | null; device: string },
): Tensor {
  const { keyMask, causal = true, slidingWindow = null, device } = options;
  const past = keys - queries;
  const data = new Uint8Array(batch * queries * keys);
  for (let b = 0; b < batch; b++) {
    const row = keyMask?.[b];
    for (let i = 0; i < queries; i++) {
      const q = past + i;
      const base = (b * queries + i) * keys;
      for (let j = 0; j < keys; j++) {
        let ok = !causal || j <= q;
        if (ok && slidingWindow !== null && causal) ok = q - j < slidingWindow;
        if (ok && row) ok = row[j] !== 0;
        data[base + j] = ok ? 1 : 0;
      }
    }
  }
  return tl.tensor(data, { dtype: 'bool', device }).reshape([batch, 1, queries, keys]);
}

/**
 * `attentionMask` with tensor ops, for a traced (exported) no-cache forward of `queries` `[B, T]`
 * (any tensor of the sequence's shape: only its length is read, as an axis the export follows):
 * query `i` sees key `j` when `j <= i`, the key is attended (`keyMask` bool `[B, T]`), and
 * within a sliding window `i - j < w`. `[B, 1, T, T]`, or `[1, 1, T, T]` without a key mask.
 */
export function tracedAttentionMask(queries: Tensor, options: { keyMask?: Tensor | null; slidingWindow?: number | null }): Tensor {
  return tl.tidy(() => {
    const { keyMask = null, slidingWindow = null } = options;
    const index = tl.arange(0, queries.shape[1], 1, { dtype: 'int32', device: queries.device });
    const q = index.unsqueeze(1);
    const k = index.unsqueeze(0);
    let allowed = k.le(q);
    if (slidingWindow !== null) allowed = allowed.logicalAnd(q.sub(k).lt(slidingWindow));
    const square = allowed.unsqueeze(0).unsqueeze(0);
    return keyMask ? square.logicalAnd(keyMask.unsqueeze(1).unsqueeze(1)) : square;
  });
}

/**
 * Attention of `q` `[B, H, T, D]` over `k`, `v` `[B, Hkv, S, D]` (grouped-query when
 * `Hkv < H`: query head `h` uses key/value head `floor(h / (H / Hkv))`, the hub's
 * `repeat_kv`, done by grouping queries instead of copying keys). `allowed` is a bool mask
 * broadcastable to `[B, 1, T, S]`; scores are scaled by `scale`, masked to the dtype's
 * minimum, and the softmax runs in float32. Returns `[B, H, T, D]`.
 *
 * `scoresInFloat32`: the product `q · kᵀ` in float32 whatever the inputs' dtype (and autocast's),
 * the weights cast back to `v`'s dtype after the softmax, as the hub's Phi computes its scores
 * (phi-2's overflow float16's range).
 *
 * `softcap`: tanh soft-capping of the scaled scores before the mask, `cap · tanh(s / cap)`
 * (Gemma 2's `attn_logit_softcapping`); null or 0 leaves them as they are. A sliding window is
 * part of `allowed` (see `attentionMask`'s `slidingWindow`).
 */
export function attend(
  q: Tensor, k: Tensor, v: Tensor, allowed: Tensor | null, scale: number, dropout = 0, training = false, scoresInFloat32 = false, softcap: number | null = null,
): Tensor {
  return tl.tidy(() => {
    const [b, h, t, d] = q.shape;
    const hkv = k.shape[1];
    const s = k.shape[2];
    if (h % hkv !== 0) throw new Error(`attention: ${h} query heads are not a multiple of ${hkv} key/value heads`);
    const rep = h / hkv;
    const qg = rep === 1 ? q : q.reshape([b, hkv, rep * t, d]);
    const product = () => (scoresInFloat32 ? qg.float().matmul(k.float().transpose(-1, -2)) : qg.matmul(k.transpose(-1, -2)));
    // Autocast would take a float16 product again: it is off for the float32 scores.
    const wide = scoresInFloat32 && tl.getAutocastDtype(q.device) !== null;
    let scores = (wide ? tl.autocast(q.device, { enabled: false }, product) : product()).mul(scale);
    if (softcap) scores = softcapped(scores, softcap);
    if (rep !== 1) scores = scores.reshape([b, hkv, rep, t, s]);
    if (allowed) {
      const mask = rep === 1 ? allowed : allowed.unsqueeze(2);
      scores = tl.where(mask, scores, minValue(scores.dtype));
    }
    let weights = scores.dtype === 'float32' ? scores.softmax(-1) : scores.float().softmax(-1).cast(scores.dtype);
    if (scoresInFloat32 && weights.dtype !== v.dtype) weights = weights.cast(v.dtype);
    if (dropout > 0 && training) weights = F.dropout(weights, dropout, true);
    if (rep !== 1) weights = weights.reshape([b, hkv, rep * t, s]);
    const out = weights.matmul(v);
    return rep === 1 ? out : out.reshape([b, h, t, d]);
  });
}

/** Tanh soft-capping, `cap · tanh(x / cap)`: values squashed smoothly into (-cap, cap) (Gemma 2's scores and logits). */
export function softcapped(x: Tensor, cap: number): Tensor {
  return tl.tidy(() => x.div(cap).tanh().mul(cap));
}

/** `[B, T, H·D]` → `[B, H, T, D]`. */
export function splitHeads(x: Tensor, heads: number): Tensor {
  const [b, t, e] = x.shape;
  return x.reshape([b, t, heads, e / heads]).transpose(1, 2);
}

/** `[B, H, T, D]` → `[B, T, H·D]`. */
export function mergeHeads(x: Tensor): Tensor {
  const [b, h, t, d] = x.shape;
  return x.transpose(1, 2).reshape([b, t, h * d]);
}

/**
 * A key/value cache allocated once for the whole generation: per layer, keys and values
 * `[batch, kvHeads, maxLength, headDim]`. Each step writes the new positions into the
 * existing storage (no reallocation per token) and attends over a view of the first
 * `length` positions. For inference only: writes are not recorded for autograd. Made under
 * `tl.autocast`, it holds the autocast dtype (float16), as the products that fill it give.
 *
 * @example
 * ```ts
 * const cache = new KVCache({ layers: 12, batch: 1, kvHeads: 12, headDim: 64, maxLength: 1024, device: 'wasm' });
 * const { logits } = model.forward(ids, { cache });
 * cache.dispose();
 * ```
 */
export class KVCache {
  readonly keys: Tensor[] = [];
  readonly values: Tensor[] = [];
  readonly maxLength: number;
  /** Positions filled so far (every layer holds the same number once a forward pass ends). */
  length = 0;
  private pending = 0;

  constructor(options: { layers: number; batch: number; kvHeads: number; headDim: number; maxLength: number; device: string; dtype?: DType }) {
    const { layers, batch, kvHeads, headDim, maxLength, device } = options;
    // Under autocast the keys and values come out of float16 products: hold them as they come.
    const dtype = tl.getAutocastDtype(device) ?? options.dtype ?? 'float32';
    this.maxLength = maxLength;
    for (let i = 0; i < layers; i++) {
      this.keys.push(tl.keep(tl.zeros([batch, kvHeads, maxLength, headDim], { device, dtype })));
      this.values.push(tl.keep(tl.zeros([batch, kvHeads, maxLength, headDim], { device, dtype })));
    }
  }

  /**
   * Write layer `layer`'s new keys and values `[B, Hkv, T, D]` at positions
   * `length .. length + T` and return views of positions `0 .. length + T`.
   */
  update(layer: number, k: Tensor, v: Tensor): [Tensor, Tensor] {
    const t = k.shape[2];
    const end = this.length + t;
    if (end > this.maxLength) {
      throw new Error(`KVCache.update: ${end} positions do not fit the cache's ${this.maxLength}; allocate a longer cache`);
    }
    writeSlice(this.keys[layer], 2, this.length, k);
    writeSlice(this.values[layer], 2, this.length, v);
    this.pending = t;
    return [this.keys[layer].narrow(2, 0, end), this.values[layer].narrow(2, 0, end)];
  }

  /** Called once per forward pass, after every layer wrote: the new positions count from now on. */
  advance(): void {
    this.length += this.pending;
    this.pending = 0;
  }

  /** Forget the contents (the storage stays allocated). */
  reset(): void {
    this.length = 0;
    this.pending = 0;
  }

  /** Total bytes held. */
  get bytes(): number {
    return this.keys.reduce((n, t) => n + 2 * t.size * (t.dtype === 'float16' ? 2 : 4), 0);
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t.dispose();
    this.keys.length = 0;
    this.values.length = 0;
  }
}

/**
 * Copy `src` into `dst` at `start` along `dim`, in place, through the backend's strided
 * `copy` primitive (the one `cat` and `pad` write with). Core has no public in-place slice
 * assignment yet (values are immutable but for `assign`, which swaps the whole storage), so
 * this writes through the kernel view; `dst` must be a leaf outside any recorded graph.
 */
function writeSlice(dst: Tensor, dim: number, start: number, src: Tensor): void {
  if (src.dtype !== dst.dtype) throw new Error(`KVCache.update: new ${src.dtype} values for a ${dst.dtype} cache`);
  if (src.device !== dst.device) throw new Error(`KVCache.update: new values on '${src.device}' for a cache on '${dst.device}'`);
  for (let i = 0; i < dst.rank; i++) {
    if (i !== dim && src.shape[i] !== dst.shape[i]) {
      throw new Error(`KVCache.update: new values ${tl.formatShape(src.shape)} do not fit the cache ${tl.formatShape(dst.shape)}`);
    }
  }
  const view = dst.kernelView;
  dst.backend.copy(src.kernelView, { ...view, shape: src.shape, offset: view.offset + start * view.strides[dim] });
}

/**
 * Rotary position embedding tables for the given positions, as the hub's Llama computes
 * them in float32: `inv_freq[i] = 1 / theta^(2i / dim)` (rescaled for `rope_scaling`),
 * angles `position · inv_freq` duplicated to `dim`, and their cos and sin `[B, T, dim]`, times
 * `scale` (1, or Phi-3's longrope attention factor).
 */
export function rotaryTables(positions: number[][], invFreq: Float32Array, device: string, dtype: DType, scale = 1): [Tensor, Tensor] {
  const b = positions.length;
  const t = positions[0]?.length ?? 0;
  const half = invFreq.length;
  const dim = 2 * half;
  const cos = new Float32Array(b * t * dim);
  const sin = new Float32Array(b * t * dim);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < t; j++) {
      const p = Math.fround(positions[i][j]);
      const base = (i * t + j) * dim;
      for (let f = 0; f < half; f++) {
        const angle = Math.fround(p * invFreq[f]);
        // `scale`: longrope's attention factor, applied to the float32 cos and sin as the hub's Phi-3 does.
        const c = scale === 1 ? Math.cos(angle) : Math.fround(Math.fround(Math.cos(angle)) * Math.fround(scale));
        const s = scale === 1 ? Math.sin(angle) : Math.fround(Math.fround(Math.sin(angle)) * Math.fround(scale));
        cos[base + f] = c;
        cos[base + f + half] = c;
        sin[base + f] = s;
        sin[base + f + half] = s;
      }
    }
  }
  const shape = [b, t, dim];
  let c = tl.tensor(cos, { device }).reshape(shape);
  let s = tl.tensor(sin, { device }).reshape(shape);
  if (dtype !== 'float32') {
    c = c.cast(dtype);
    s = s.cast(dtype);
  }
  return [c, s];
}

/**
 * `rotaryTables` with tensor ops on int32 `positions` `[B, T]`, for a traced (exported)
 * forward: angles `position · inv_freq` in float32, duplicated, their cos and sin times
 * `scale`. Within float32 rounding of the host's tables (which use the host's `Math.cos`).
 */
export function tracedRotaryTables(positions: Tensor, invFreq: Float32Array, dtype: DType, scale = 1): [Tensor, Tensor] {
  return tl.tidy(() => {
    const angles = positions.float().unsqueeze(-1).mul(tl.tensor(invFreq, { device: positions.device }));
    const full = tl.cat([angles, angles], -1);
    let c = full.cos();
    let s = full.sin();
    if (scale !== 1) {
      c = c.mul(Math.fround(scale));
      s = s.mul(Math.fround(scale));
    }
    return dtype === 'float32' ? [c, s] : [c.cast(dtype), s.cast(dtype)];
  });
}

/**
 * `x · cos + rotate_half(x) · sin` for `x` `[B, H, T, D]` and tables `[B, T, R]`, in `x`'s
 * dtype as the hub's code casts the tables (so float16 queries under autocast stay float16).
 * Partial rotary embeddings (`partial_rotary_factor`, R < D): the first R features of each head
 * rotate and the other D - R pass through, as the hub's Phi splits them.
 */
export function applyRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  return tl.tidy(() => {
    const d = x.shape[3];
    const r = cos.shape[cos.rank - 1];
    if (r > d || r % 2 !== 0) throw new Error(`applyRotary: rotary tables of ${r} features for heads of ${d}`);
    const [rot, pass] = r === d ? [x, null] : x.split([r, d - r], -1);
    const [x1, x2] = rot.split(r / 2, -1);
    const rotated = tl.cat([x2.neg(), x1], -1);
    const y = rot.mul(cos.cast(x.dtype).unsqueeze(1)).add(rotated.mul(sin.cast(x.dtype).unsqueeze(1)));
    return pass ? tl.cat([y, pass], -1) : y;
  });
}

/** Rope scaling the Llama family's configs use. */
export interface RopeScaling {
  rope_type?: string;
  type?: string;
  factor?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  original_max_position_embeddings?: number;
  /** Phi-3's `longrope` (legacy `su`): per-frequency divisors up to and beyond original_max_position_embeddings. */
  short_factor?: number[];
  long_factor?: number[];
  /** Phi-3's `longrope`: the cos/sin scale (default sqrt(1 + ln(factor) / ln(original_max_position_embeddings))). */
  attention_factor?: number | null;
}

/** The inverse frequencies of rotary embeddings, in float32 as PyTorch computes them. */
export function ropeInverseFrequencies(headDim: number, theta: number, scaling: RopeScaling | null | undefined, where: string): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = Math.fround(1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / headDim))));
  const kind = scaling ? (scaling.rope_type ?? scaling.type ?? 'default') : 'default';
  if (kind === 'default') return inv;
  if (kind === 'linear') {
    for (let i = 0; i < half; i++) inv[i] = Math.fround(inv[i] / scaling!.factor!);
    return inv;
  }
  if (kind === 'llama3') {
    const { factor, low_freq_factor: low, high_freq_factor: high, original_max_position_embeddings: old } = scaling as Required<RopeScaling>;
    const lowWavelen = old / low;
    const highWavelen = old / high;
    for (let i = 0; i < half; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      const scaled = wavelen > lowWavelen ? inv[i] / factor : inv[i];
      const smooth = (old / wavelen - low) / (high - low);
      const smoothed = ((1 - smooth) * scaled) / factor + smooth * scaled;
      const medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
      inv[i] = Math.fround(medium ? smoothed : scaled);
    }
    return inv;
  }
  throw new Error(`${where}: rope_scaling type '${kind}' is not supported (default, linear, llama3)`);
}
