/**
 * Scaled dot-product attention, PyTorch 2's `F.scaled_dot_product_attention`: a fused
 * kernel where the backend has one (`Backend.attention`), matmul + softmax otherwise.
 */
import { recordOp } from '../autograd/engine.js';
import { withinOp } from '../autograd/trace.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { owned, tidy } from '../memory.js';
import { broadcastShapes, formatShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { arange, rand, zeros } from './creation.js';
import { compositesForcedNow, sumToShape } from './elementwise.js';
import { checkOptionKeys, deviceOf, empty, requireTensor } from './util.js';
import { autocastActive, autocasting } from '../autocast.js';

/** Options of {@link scaledDotProductAttention}. */
export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcasts against `[..., L, S]`. A bool mask lets a query attend where it is `true`
   * (PyTorch 2's rule; `nn.MultiheadAttention`'s masks mean the opposite); a float mask is
   * added to the scores, and takes a gradient.
   */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights (default 0), applied whenever positive, as PyTorch (pass 0 in evaluation). */
  dropoutP?: number;
  /** Let query `i` attend only to keys `j <= i` (the top-left-aligned lower triangle); not together with `attnMask`. */
  isCausal?: boolean;
  /** Multiply the scores by this (default `1 / sqrt(E)`, E the query's last dim). */
  scale?: number | null;
}

const OP = 'scaledDotProductAttention';

/**
 * Attention `softmax(Q Kᵀ · scale + mask) V` over the last two dims of `query` `[..., L, E]`,
 * `key` `[..., S, E]` and `value` `[..., S, Ev]` (leading dims broadcast, with the mask's),
 * giving `[..., L, Ev]`; gradients reach the three inputs and a float mask. On a backend with
 * a fused kernel (cpu, wasm, webgpu) float32 attention without dropout never builds the
 * `[L, S]` weights forward, and its gradient rebuilds them from each row's log-sum-exp. A
 * fully masked row gives NaN, as in PyTorch.
 *
 * @example
 * ```ts
 * const q = tl.randn([2, 8, 128, 64]), k = tl.randn([2, 8, 128, 64]), v = tl.randn([2, 8, 128, 64]);
 * tl.scaledDotProductAttention(q, k, v, { isCausal: true }); // [2, 8, 128, 64]
 * ```
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor {
  if (autocastActive()) return autocasting('scaledDotProductAttention', [query, key, value, options], scaledDotProductAttention);
  checkOptionKeys(OP, options, ['attnMask', 'dropoutP', 'isCausal', 'scale']);
  const { attnMask = null, dropoutP = 0, isCausal = false, scale = null } = options;
  for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) {
    requireTensor(OP, t, name);
    if (t.rank < 2) throw new Error(`${OP}: ${name} must have at least 2 dims [..., seq, features], got ${formatShape(t.shape)}`);
    if (t.dtype !== 'float32' && t.dtype !== 'float16') throw new TypeError(`${OP}: ${name} must be a float tensor, got ${t.dtype}`);
  }
  if (key.dtype !== query.dtype || value.dtype !== query.dtype) {
    throw new TypeError(`${OP}: query, key and value must share a dtype, got ${query.dtype}, ${key.dtype} and ${value.dtype}`);
  }
  if (typeof dropoutP !== 'number' || !(dropoutP >= 0 && dropoutP <= 1)) throw new Error(`${OP}: dropoutP must be a number in [0, 1], got ${String(dropoutP)}`);
  if (typeof isCausal !== 'boolean') throw new TypeError(`${OP}: isCausal must be a boolean, got ${typeof isCausal}`);
  if (scale !== null && (typeof scale !== 'number' || !Number.isFinite(scale))) throw new TypeError(`${OP}: scale must be a finite number or null, got ${String(scale)}`);
  const [L, E] = query.shape.slice(-2);
  const [S, Ek] = key.shape.slice(-2);
  const [Sv, Ev] = value.shape.slice(-2);
  if (Ek !== E) throw new Error(`${OP}: query ${formatShape(query.shape)} and key ${formatShape(key.shape)} must end in the same feature size`);
  if (Sv !== S) throw new Error(`${OP}: key ${formatShape(key.shape)} and value ${formatShape(value.shape)} must have the same sequence length`);
  if (isCausal && attnMask) throw new Error(`${OP}: pass attnMask or isCausal, not both`);
  if (attnMask !== null) {
    requireTensor(OP, attnMask, 'attnMask');
    if (attnMask.dtype !== 'bool' && attnMask.dtype !== query.dtype) {
      throw new TypeError(`${OP}: attnMask must be bool or ${query.dtype} (the query's dtype), got ${attnMask.dtype}`);
    }
  }
  const backend = deviceOf(OP, query, key, value, ...(attnMask ? [attnMask] : []));
  const leading = [query, key, value].map((t) => t.shape.slice(0, -2));
  if (attnMask) {
    broadcastShapes(attnMask.shape, [L, S], OP);
    leading.push(attnMask.shape.slice(0, -2));
  }
  const batch = leading.reduce((a, b) => broadcastShapes(a, b, OP));
  const factor = scale ?? 1 / Math.sqrt(E);
  const fused =
    backend.attention !== undefined && !compositesForcedNow() && query.dtype === 'float32' && dropoutP === 0 && [L, S, E, Ev].every((d) => d > 0);
  if (!fused) return composite(query, key, value, attnMask, isCausal, factor, dropoutP);
  return fusedAttention(query, key, value, attnMask, isCausal, factor, batch);
}

/** `[L, S]` bool: key `j` is visible from query `i` when `j <= i`. */
function causalMask(device: string, L: number, S: number): Tensor {
  return tidy(() => arange(0, L, 1, { device }).unsqueeze(1).ge(arange(0, S, 1, { device }).unsqueeze(0)));
}

/** Scores with the mask applied: bool masks drop keys (-inf), float masks add. */
function masked(scores: Tensor, mask: Tensor | null): Tensor {
  if (!mask) return scores;
  return mask.dtype === 'bool' ? scores.where(mask, -Infinity) : scores.add(mask);
}

/** Matmul + softmax, every step recording its own gradient. */
function composite(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, causal: boolean, factor: number, dropoutP: number): Tensor {
  const [L, S] = [q.shape[q.rank - 2], k.shape[k.rank - 2]];
  return tidy(() => {
    // Scaling the queries first costs L·E multiplications rather than L·S.
    const scores = masked(q.mul(factor).matmul(k.transpose(-2, -1)), causal ? causalMask(q.device, L, S) : mask);
    let weights = scores.softmax(-1);
    if (dropoutP > 0) {
      const keep = withinOp(() => tidy(() => rand(weights.shape, { device: q.device }).ge(dropoutP).cast(weights.dtype)));
      weights = dropoutP === 1 ? weights.mul(0) : weights.mul(keep.mul(1 / (1 - dropoutP)));
    }
    return weights.matmul(v);
  });
}

/** `t` broadcast to `[...batch, ...tail]` and flattened to `[B, ...tail]`, contiguous when asked (a copy only where needed). */
function flatBatch(t: Tensor, batch: readonly number[], tail: readonly number[], contiguous = false): Tensor {
  return tidy(() => {
    const flat = t.expand([...batch, ...tail]).reshape([sizeOf(batch), ...tail]);
    return contiguous ? flat.contiguous() : flat;
  });
}

function fusedAttention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, causal: boolean, factor: number, batch: readonly number[]): Tensor {
  const backend = q.backend;
  const [L, E] = q.shape.slice(-2);
  const [S, Ev] = v.shape.slice(-2);
  const B = sizeOf(batch);
  // The kernel's flattened copies and outputs are temporaries (`out` is a view of out3).
  return owned((own) => {
    const [out3, lse] = withinOp(() => {
      const q3 = own(flatBatch(q, batch, [L, E], true));
      const k3 = own(flatBatch(k, batch, [S, E], true));
      const v3 = own(flatBatch(v, batch, [S, Ev], true));
      // The kernel adds a float mask; a bool mask becomes 0 where attended and -inf elsewhere.
      const bias = mask === null ? null : mask.dtype === 'bool' ? own(tidy(() => zeros([], { device: q.device }).where(mask, -Infinity))) : mask;
      const bias3 = bias === null ? null : own(flatBatch(bias, batch, [L, S]));
      const out3 = own(empty(backend, [B, L, Ev], 'float32', OP));
      const lse = own(empty(backend, [B, L], 'float32', OP));
      backend.attention!(q3.kernelView, k3.kernelView, v3.kernelView, bias3?.kernelView ?? null, out3.kernelView, lse.kernelView, { scale: factor, causal });
      return [out3, lse] as const;
    });
    const out = withinOp(() => out3.reshape([...batch, L, Ev]));
    const inputs = mask && mask.dtype !== 'bool' ? [q, k, v, mask] : [q, k, v];
    const shapes = inputs.map((t) => t.shape);
    // The inputs themselves are saved (not the kernel's flattened copies), so that under
    // createGraph the gradient is a function of them.
    const saved = [q, k, v, out3, lse, ...(mask ? [mask] : [])];
    return recordOp(OP, inputs, out, saved, (g, [sq, sk, sv, so, slse, smask], needs) =>
      tidy(() => {
        const g3 = g.reshape([B, L, Ev]);
        const [q3, k3, v3] = [flatBatch(sq, batch, [L, E]), flatBatch(sk, batch, [S, E]), flatBatch(sv, batch, [S, Ev])];
        const bias = causal ? causalMask(q.device, L, S) : smask ? flatBatch(smask, batch, [L, S]) : null;
        const scores = masked(q3.matmul(k3.transpose(-2, -1)).mul(factor), bias);
        // Under createGraph the weights come from softmax and the output is rebuilt, so the
        // gradient is itself differentiable; otherwise the saved log-sum-exp gives them directly.
        const higher = isGradEnabled();
        const p = higher ? scores.softmax(-1) : scores.sub(slse.unsqueeze(-1)).exp();
        const o = higher ? p.matmul(v3) : so;
        const ds = p.mul(g3.matmul(v3.transpose(-2, -1)).sub(g3.mul(o).sum(-1, true)));
        const back = (full: Tensor, i: number, tail: readonly number[]): Tensor => sumToShape(full.reshape([...batch, ...tail]), shapes[i]);
        return [
          needs[0] ? back(ds.matmul(k3).mul(factor), 0, [L, E]) : null,
          needs[1] ? back(ds.transpose(-2, -1).matmul(q3).mul(factor), 1, [S, E]) : null,
          needs[2] ? back(p.transpose(-2, -1).matmul(g3), 2, [S, Ev]) : null,
          ...(inputs.length > 3 ? [needs[3] ? back(ds, 3, [L, S]) : null] : []),
        ];
      }),
      { inputs: [q, k, v, mask], attrs: { scale: factor, causal } },
    );
  });
}
