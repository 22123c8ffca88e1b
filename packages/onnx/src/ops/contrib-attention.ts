// com.microsoft's attention operators: Attention (the fused QKV projection BERT and GPT-2
// exports are optimised into), MultiHeadAttention (projected q, k and v) and RotaryEmbedding,
// computed with tl.scaledDotProductAttention and an additive mask built as onnxruntime's CPU
// kernel builds it (masked scores get mask_filter_value, future ones the lowest float); and
// GroupQueryAttention (decoder LLMs' grouped heads with their key-value cache), as an explicit
// softmax for its softcap and smooth softmax.
import type { Tensor } from '@tensile/core';
import { isHost, type Value } from '../value.js';
import { type Attributes, type OpContext, type OpSpec, attrInts, attrNumber, deviceOf, hostOf, one, only, tensorOf, tl } from './context.js';

/** float32's lowest value: what a causal mask adds to the scores of future keys. */
const LOWEST = -3.4028234663852886e38;

function present(v: Value | undefined): boolean {
  return v !== undefined && (isHost(v) ? v.size : v.size) > 0;
}

function refuseInputs(ctx: OpContext, inputs: readonly (Value | undefined)[], names: Record<number, string>, why: string): void {
  for (const [i, name] of Object.entries(names)) {
    if (present(inputs[Number(i)])) throw new Error(`${ctx.node}: input ${name} is not supported (${why})`);
  }
}

function numHeads(attrs: Attributes): string[] {
  const n = attrs.num_heads;
  return typeof n === 'number' && n > 0 ? [] : [n === undefined ? 'attribute num_heads is missing' : `attribute num_heads=${JSON.stringify(n)} must be a positive integer`];
}

/**
 * The additive mask [B, 1, S, T] for `mask` in the forms onnxruntime's CPU kernel takes: key
 * lengths [B] (right padding), ends then starts [2B] (left padding), or a 0/1 mask [B, T] or
 * [B, S, T]; with the causal mask when `causal`. The first `P` of the T keys are the past
 * ones (a key-value cache), which every query sees.
 */
function additiveMask(ctx: OpContext, mask: Value | undefined, what: string, dims: { B: number; S: number; T: number; P: number }, filter: number, causal: boolean, device: string): Tensor | null {
  const { B, S, T, P } = dims;
  let bias: Tensor | null = null;
  if (present(mask)) {
    const m = tensorOf(ctx, mask, what, device).float();
    const keys = tl.arange(0, T, 1, { device }).reshape([1, 1, 1, T]);
    let masked: Tensor;
    if (m.rank === 1 && m.shape[0] === B) masked = keys.ge(m.reshape([B, 1, 1, 1]));
    else if (m.rank === 1 && m.shape[0] === 2 * B) {
      const [end, start] = [tl.slice(m, 0, 0, B), tl.slice(m, 0, B, 2 * B)].map((v) => v.reshape([B, 1, 1, 1]));
      masked = keys.ge(end!).logicalOr(keys.lt(start!));
    } else if (m.rank === 2 && m.shape[0] === B && m.shape[1] === T) masked = m.reshape([B, 1, 1, T]).le(0);
    else if (m.rank === 3 && m.shape[0] === B && m.shape[1] === S && m.shape[2] === T) masked = m.reshape([B, 1, S, T]).le(0);
    else throw new Error(`${ctx.node}: ${what} of shape [${m.shape}] is not supported (supported: [${B}], [${2 * B}], [${B}, ${T}], [${B}, ${S}, ${T}], as onnxruntime's CPU kernel)`);
    bias = masked.float().mul(filter);
  }
  if (causal) {
    // onnxruntime's CPU kernel leaves the last query row unmasked when T != P + S, which
    // matches neither alignment: only self-attention (after its past keys) is causal here.
    if (P + S !== T) throw new Error(`${ctx.node}: unidirectional with ${S} queries and ${T - P} keys is not supported (only self-attention, queries and keys of one length)`);
    // Query i sees the past keys and keys 0 to i of its own.
    const rows = tl.arange(P, P + S, 1, { device }).reshape([S, 1]);
    const future = tl.arange(0, T, 1, { device }).reshape([1, T]).gt(rows).float().mul(LOWEST).reshape([1, 1, S, T]);
    bias = bias ? bias.add(future) : future;
  }
  return bias;
}

/** [B, L, N*H] -> [B, N, L, H]. */
function heads(t: Tensor, n: number): Tensor {
  const [b, l, d] = t.shape as [number, number, number];
  return t.reshape([b, l, n, d / n]).permute([0, 2, 1, 3]);
}

/** softmax(q kᵀ scale + mask + attention_bias) v, [B, N, S, Hv] -> [B, S, N*Hv]. */
function attend(ctx: OpContext, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, attentionBias: Value | undefined, scale: number | null): Tensor {
  let bias = mask;
  if (present(attentionBias)) {
    const extra = tensorOf(ctx, attentionBias, 'attention_bias', q.device);
    const [b, n, s] = q.shape as [number, number, number];
    const t = k.shape[2]!;
    const ok = extra.rank === 4 && (extra.shape[0] === 1 || extra.shape[0] === b) && (extra.shape[1] === 1 || extra.shape[1] === n) && extra.shape[2] === s && extra.shape[3] === t;
    if (!ok) throw new Error(`${ctx.node}: attention_bias of shape [${extra.shape}] must be [${b} or 1, ${n} or 1, ${s}, ${t}]`);
    bias = bias ? bias.add(extra) : extra;
  }
  const y = tl.scaledDotProductAttention(q, k, v, { attnMask: bias, scale });
  const [b, n, s, h] = y.shape as [number, number, number, number];
  return y.permute([0, 2, 1, 3]).reshape([b, s, n * h]);
}

function scaleOf(attrs: Attributes): number | null {
  const s = attrs.scale;
  return typeof s === 'number' && s !== 0 ? s : null;
}

const attention: OpSpec = {
  attributes: ['num_heads', 'unidirectional', 'qkv_hidden_sizes', 'mask_filter_value', 'scale', 'do_rotary', 'past_present_share_buffer', 'rotary_embedding_dim'],
  check: (attrs) => [...numHeads(attrs), ...only(attrs, 'do_rotary', [0]), ...only(attrs, 'past_present_share_buffer', [0]), ...only(attrs, 'unidirectional', [0, 1])],
  run(ctx, inputs, attrs) {
    const [x, w, b, maskIndex, pastIn, attentionBias] = inputs;
    refuseInputs(ctx, inputs, { 6: 'past_sequence_length' }, 'it belongs to past_present_share_buffer, which is refused');
    const device = deviceOf(ctx, inputs);
    const input = tensorOf(ctx, x, 'input', device);
    const weights = tensorOf(ctx, w, 'weights', device);
    const n = attrNumber(attrs, 'num_heads', 1);
    const total = weights.shape[1]!;
    const sizes = attrInts(attrs, 'qkv_hidden_sizes') ?? [total / 3, total / 3, total / 3];
    if (input.rank !== 3 || weights.rank !== 2 || weights.shape[0] !== input.shape[2]) {
      throw new Error(`${ctx.node}: input [${input.shape}] must be [batch, sequence, input_hidden] and weights [${weights.shape}] [input_hidden, q + k + v hidden]`);
    }
    if (sizes.length !== 3 || sizes.reduce((p, q) => p + q, 0) !== total || sizes[0] !== sizes[1] || sizes.some((s) => !Number.isInteger(s) || s % n !== 0)) {
      throw new Error(`${ctx.node}: qkv_hidden_sizes [${sizes}] must be three multiples of num_heads ${n} summing to the weights' ${total} columns, q's equal to k's`);
    }
    let projected = tl.matmul(input, weights);
    if (present(b)) projected = projected.add(tensorOf(ctx, b, 'bias', device));
    const [q, kNew, vNew] = tl.split(projected, sizes, 2).map((t) => heads(t, n)) as [Tensor, Tensor, Tensor];
    const [B, S] = input.shape as [number, number];
    let [k, v] = [kNew, vNew];
    if (present(pastIn)) {
      // past is [2, B, N, P, H]: the cached keys, then values, before this step's.
      const past = tensorOf(ctx, pastIn, 'past', device);
      const H = sizes[1]! / n;
      if (sizes[1] !== sizes[2] || past.rank !== 5 || past.shape[0] !== 2 || past.shape[1] !== B || past.shape[2] !== n || past.shape[4] !== H) {
        throw new Error(`${ctx.node}: past of shape [${past.shape}] must be [2, ${B}, ${n}, past_sequence, ${H}], with key and value hidden sizes equal (qkv_hidden_sizes [${sizes}])`);
      }
      [k, v] = [0, 1].map((i) => tl.cat([tl.select(past, 0, i), i === 0 ? kNew : vNew], 2)) as [Tensor, Tensor];
    }
    const T = k.shape[2]!;
    const mask = additiveMask(ctx, maskIndex, 'mask_index', { B, S, T, P: T - S }, attrNumber(attrs, 'mask_filter_value', -10000), attrNumber(attrs, 'unidirectional', 0) === 1, device);
    const y = attend(ctx, q, k, v, mask, attentionBias, scaleOf(attrs));
    // present: this step's keys and values after the past ones, for the next step.
    return ctx.outputs > 1 ? [y, tl.stack([k, v], 0)] : [y];
  },
};

const multiHeadAttention: OpSpec = {
  attributes: ['num_heads', 'unidirectional', 'mask_filter_value', 'scale'],
  check: (attrs) => [...numHeads(attrs), ...only(attrs, 'unidirectional', [0, 1])],
  run(ctx, inputs, attrs) {
    const [query, key, value, bias, keyPaddingMask, attentionBias, pastKey, pastValue] = inputs;
    refuseInputs(ctx, inputs, { 8: 'past_sequence_length', 9: 'cache_indirection' }, 'they belong to beam search with a shared past-present buffer');
    if (present(pastKey) !== present(pastValue)) throw new Error(`${ctx.node}: past_key and past_value must be given together`);
    const device = deviceOf(ctx, inputs);
    const n = attrNumber(attrs, 'num_heads', 1);
    const qIn = tensorOf(ctx, query, 'query', device);
    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    if (qIn.rank !== 3) throw new Error(`${ctx.node}: query of shape [${qIn.shape}] is not supported ([batch, sequence, hidden] is; onnxruntime's CPU kernel has no packed QKV either)`);
    const kIn = tensorOf(ctx, key, 'key', device);
    const vIn = tensorOf(ctx, value, 'value', device);
    const D = qIn.shape[2]!;
    if (kIn.rank === 4) {
      // Keys and values already in [B, N, L, H], as cross attention reuses them.
      if (present(bias)) throw new Error(`${ctx.node}: a bias with key and value in [batch, num_heads, kv_sequence, head_size] is not supported`);
      if (present(pastKey)) throw new Error(`${ctx.node}: past_key and past_value with key and value in [batch, num_heads, kv_sequence, head_size] are not supported (cross attention reuses its keys instead)`);
      if (vIn.rank !== 4 || kIn.shape[1] !== n || vIn.shape[1] !== n || kIn.shape[3]! * n !== D) throw new Error(`${ctx.node}: key [${kIn.shape}] and value [${vIn.shape}] must both be [batch, ${n}, kv_sequence, head_size], the key's head size ${D / n}`);
      [q, k, v] = [heads(qIn, n), kIn, vIn];
    } else {
      if (kIn.rank !== 3 || vIn.rank !== 3 || kIn.shape[2] !== D) {
        throw new Error(`${ctx.node}: key [${kIn.shape}] and value [${vIn.shape}] must be [batch, kv_sequence, hidden] with the query's hidden ${D}, or [batch, num_heads, kv_sequence, head_size] (packed KV is not supported, nor by onnxruntime's CPU kernel)`);
      }
      const bs = present(bias) ? tl.split(tensorOf(ctx, bias, 'bias', device), [D, D, vIn.shape[2]!], 0) : null;
      [q, k, v] = [qIn, kIn, vIn].map((t, i) => heads(bs ? t.add(bs[i]!) : t, n)) as [Tensor, Tensor, Tensor];
    }
    const [B, , S] = q.shape as [number, number, number];
    let P = 0;
    if (present(pastKey)) {
      // past_key [B, N, P, H] and past_value [B, N, P, Hv]: the cache, before this step's keys.
      const [pk, pv] = [tensorOf(ctx, pastKey, 'past_key', device), tensorOf(ctx, pastValue, 'past_value', device)];
      for (const [t, now, what] of [[pk, k, 'past_key'], [pv, v, 'past_value']] as const) {
        if (t.rank !== 4 || t.shape[0] !== B || t.shape[1] !== n || t.shape[3] !== now.shape[3] || t.shape[2] !== pk.shape[2]) {
          throw new Error(`${ctx.node}: ${what} of shape [${t.shape}] must be [${B}, ${n}, past_sequence, ${now.shape[3]}]`);
        }
      }
      P = pk.shape[2]!;
      [k, v] = [tl.cat([pk, k], 2), tl.cat([pv, v], 2)];
    }
    const T = k.shape[2]!;
    const mask = additiveMask(ctx, keyPaddingMask, 'key_padding_mask', { B, S, T, P }, attrNumber(attrs, 'mask_filter_value', -10000), attrNumber(attrs, 'unidirectional', 0) === 1, device);
    // present_key and present_value: the keys and values after the past ones, for the next step.
    return [attend(ctx, q, k, v, mask, attentionBias, scaleOf(attrs)), k, v].slice(0, Math.max(ctx.outputs, 1));
  },
};

/** x rotated by the angles whose cos and sin are given ([..., R/2], broadcasting to x's rows); the first R of each row's last dim turn, the rest pass through. */
export function rotate(x: Tensor, cos: Tensor, sin: Tensor, rotary: number, interleaved: boolean): Tensor {
  const h = x.shape[x.rank - 1]!;
  const last = x.rank - 1;
  const part = rotary === h ? x : tl.slice(x, last, 0, rotary);
  let rotated: Tensor;
  if (interleaved) {
    const pairs = part.reshape([...part.shape.slice(0, -1), rotary / 2, 2]);
    const [re, im] = [0, 1].map((i) => tl.select(pairs, last + 1, i)) as [Tensor, Tensor];
    rotated = tl.stack([re.mul(cos).sub(im.mul(sin)), im.mul(cos).add(re.mul(sin))], last + 1).reshape(part.shape);
  } else {
    const [re, im] = tl.split(part, rotary / 2, last) as [Tensor, Tensor];
    rotated = tl.cat([re.mul(cos).sub(im.mul(sin)), im.mul(cos).add(re.mul(sin))], last);
  }
  return rotary === h ? rotated : tl.cat([rotated, tl.slice(x, last, rotary, h)], last);
}

const rotaryEmbedding: OpSpec = {
  attributes: ['interleaved', 'is_packed_batching', 'num_heads', 'rotary_embedding_dim', 'scale'],
  check: (attrs) => [...only(attrs, 'is_packed_batching', [0]), ...only(attrs, 'scale', [1]), ...only(attrs, 'interleaved', [0, 1])],
  run(ctx, inputs, attrs) {
    const [x, positionIds, cosCache, sinCache] = inputs;
    const device = deviceOf(ctx, inputs);
    const t = tensorOf(ctx, x, 'input', device);
    const [cos, sin] = [cosCache, sinCache].map((c, i) => tensorOf(ctx, c, ['cos_cache', 'sin_cache'][i]!, device)) as [Tensor, Tensor];
    if (t.rank !== 3 && t.rank !== 4) throw new Error(`${ctx.node}: input of shape [${t.shape}] must be [batch, sequence, hidden] or [batch, num_heads, sequence, head_size]`);
    if (cos.rank !== 2 || !tl.shapesEqual(cos.shape, sin.shape)) throw new Error(`${ctx.node}: cos_cache [${cos.shape}] and sin_cache [${sin.shape}] must both be [max_sequence, rotary_dim / 2]`);
    const half = cos.shape[1]!;
    const rotaryAttr = attrNumber(attrs, 'rotary_embedding_dim', 0);
    const rotary = rotaryAttr > 0 ? rotaryAttr : 2 * half;
    const [B, S] = t.rank === 3 ? (t.shape as [number, number]) : [t.shape[0]!, t.shape[2]!];
    let n: number;
    let h: number;
    if (t.rank === 4) [n, h] = [t.shape[1]!, t.shape[3]!];
    else {
      const given = attrNumber(attrs, 'num_heads', 0);
      if (rotaryAttr > 0 && given <= 0) throw new Error(`${ctx.node}: rotary_embedding_dim needs num_heads for a 3-D input`);
      h = given > 0 ? t.shape[2]! / given : rotary;
      n = t.shape[2]! / h;
    }
    if (!Number.isInteger(n) || !Number.isInteger(h) || rotary > h || rotary % 2 !== 0 || 2 * half !== rotary) {
      throw new Error(`${ctx.node}: a rotary dim of ${rotary} (cos_cache [${cos.shape}]) does not fit heads of size ${h} in input [${t.shape}]`);
    }
    // Positions [B, S]: one start offset for every batch entry, or one position per token.
    const ids = tensorOf(ctx, positionIds, 'position_ids', device);
    let positions: Tensor;
    if (ids.size === 1) positions = tl.arange(0, S, 1, { dtype: 'int32', device }).add(ids.reshape([1]).int()).reshape([1, S]).expand([B, S]);
    else if (ids.rank === 2 && ids.shape[0] === B && ids.shape[1] === S) positions = ids.int();
    else throw new Error(`${ctx.node}: position_ids of shape [${ids.shape}] must be [1] or [${B}, ${S}]`);
    const pick = (c: Tensor) => tl.indexSelect(c, 0, positions.reshape([-1])).reshape([B, S, half]);
    const interleaved = attrNumber(attrs, 'interleaved', 0) === 1;
    if (t.rank === 4) {
      // [B, 1, S, R/2] against [B, N, S, H].
      const [c, s] = [cos, sin].map((v) => pick(v).unsqueeze(1)) as [Tensor, Tensor];
      return one(rotate(t, c, s, rotary, interleaved));
    }
    const [c, s] = [cos, sin].map((v) => pick(v).unsqueeze(2)) as [Tensor, Tensor];
    return one(rotate(t.reshape([B, S, n, h]), c, s, rotary, interleaved).reshape(t.shape));
  },
};

/** An input's integers, read on the host (GroupQueryAttention's lengths). */
function hostInts(ctx: OpContext, v: Value | undefined, what: string): number[] {
  return Array.from(hostOf(ctx, v, what).data, Number);
}

const groupQueryAttention: OpSpec = {
  attributes: ['num_heads', 'kv_num_heads', 'scale', 'softcap', 'local_window_size', 'do_rotary', 'rotary_interleaved', 'smooth_softmax', 'qk_output'],
  outputs: 3,
  check: (attrs) => {
    const problems = [...numHeads(attrs), ...only(attrs, 'do_rotary', [0, 1]), ...only(attrs, 'rotary_interleaved', [0, 1]), ...only(attrs, 'smooth_softmax', [0, 1]), ...only(attrs, 'qk_output', [0])];
    const kv = attrs.kv_num_heads;
    if (typeof kv !== 'number' || kv <= 0) problems.push(kv === undefined ? 'attribute kv_num_heads is missing' : `attribute kv_num_heads=${JSON.stringify(kv)} must be a positive integer`);
    else if (typeof attrs.num_heads === 'number' && attrs.num_heads % kv !== 0) problems.push(`attribute num_heads=${attrs.num_heads} must be a multiple of kv_num_heads=${kv}`);
    const cap = attrs.softcap;
    if (cap !== undefined && (typeof cap !== 'number' || cap < 0)) problems.push(`attribute softcap=${JSON.stringify(cap)} must be 0 (none) or positive`);
    const window = attrs.local_window_size;
    if (window !== undefined && (typeof window !== 'number' || (window !== -1 && window <= 0))) problems.push(`attribute local_window_size=${JSON.stringify(window)} is not supported (supported: -1, none, or a positive window)`);
    return problems;
  },
  run(ctx, inputs, attrs) {
    const [query, key, value, pastKey, pastValue, seqlensK, totalLength, cosCache, sinCache, positionIds, attentionBias, headSink] = inputs;
    if (present(key) !== present(value)) throw new Error(`${ctx.node}: key and value must be given together (or neither, with packed QKV in query)`);
    if (present(positionIds) && attrNumber(attrs, 'do_rotary', 0) !== 1) throw new Error(`${ctx.node}: input position_ids is only read by rotary embeddings, and do_rotary is 0`);
    if (present(pastKey) !== present(pastValue)) throw new Error(`${ctx.node}: past_key and past_value must be given together`);
    const device = deviceOf(ctx, inputs);
    const n = attrNumber(attrs, 'num_heads', 1);
    const nkv = attrNumber(attrs, 'kv_num_heads', 1);
    let qIn = tensorOf(ctx, query, 'query', device);
    const packed = !present(key);
    // Packed QKV: each token's query heads, then its key heads, then its value heads.
    const width = packed ? n + 2 * nkv : n;
    if (qIn.rank !== 3 || qIn.shape[2]! % width !== 0) throw new Error(`${ctx.node}: query of shape [${qIn.shape}] must be [batch, sequence, ${packed ? '(num_heads + 2 kv_num_heads)' : 'num_heads'} * head_size] with num_heads ${n}${packed ? ` and kv_num_heads ${nkv}` : ''}`);
    const [B, S] = qIn.shape as [number, number];
    const H = qIn.shape[2]! / width;
    let kIn: Tensor;
    let vIn: Tensor;
    if (packed) [qIn, kIn, vIn] = tl.split(qIn, [n * H, nkv * H, nkv * H], 2) as [Tensor, Tensor, Tensor];
    else [kIn, vIn] = [tensorOf(ctx, key, 'key', device), tensorOf(ctx, value, 'value', device)];
    for (const [t, what] of [[kIn, 'key'], [vIn, 'value']] as const) {
      if (t.rank !== 3 || t.shape[0] !== B || t.shape[1] !== S || t.shape[2] !== nkv * H) throw new Error(`${ctx.node}: ${what} of shape [${t.shape}] must be [${B}, ${S}, ${nkv * H}] (kv_num_heads ${nkv} of head size ${H})`);
    }
    let P = 0;
    let past: [Tensor, Tensor] | null = null;
    if (present(pastKey)) {
      past = [tensorOf(ctx, pastKey, 'past_key', device), tensorOf(ctx, pastValue, 'past_value', device)];
      for (const [t, what] of [[past[0], 'past_key'], [past[1], 'past_value']] as const) {
        if (t.rank !== 4 || t.shape[0] !== B || t.shape[1] !== nkv || t.shape[3] !== H || t.shape[2] !== past[0].shape[2]) throw new Error(`${ctx.node}: ${what} of shape [${t.shape}] must be [${B}, ${nkv}, past_sequence, ${H}] (BNSH)`);
      }
      P = past[0].shape[2]!;
    }
    const lengths = hostInts(ctx, seqlensK, 'seqlens_k').map((l) => l + 1);
    const totals = hostInts(ctx, totalLength, 'total_sequence_length');
    if (lengths.length !== B) throw new Error(`${ctx.node}: seqlens_k has ${lengths.length} values for a batch of ${B}`);
    if (totals.length !== 1) throw new Error(`${ctx.node}: total_sequence_length must be one value`);
    const total = totals[0]!;
    // onnxruntime's present buffer, and where each batch entry's new tokens go in it: after
    // its past (its length less the new tokens), or at 0 in the first prompt.
    const T = Math.max(total, P);
    const firstPrompt = S === total;
    const starts = lengths.map((l) => (firstPrompt ? 0 : l - S));
    starts.forEach((start, b) => {
      if (start < 0 || start > P || start + S > T || lengths[b]! > T) throw new Error(`${ctx.node}: seqlens_k ${lengths[b]! - 1} of batch entry ${b} does not fit ${S} new tokens after a past of ${P} in a total of ${total}`);
    });
    const split = (t: Tensor, heads: number) => t.reshape([B, S, heads, H]);
    let [q, k] = [split(qIn, n), split(kIn, nkv)];
    if (attrNumber(attrs, 'do_rotary', 0) === 1) {
      const [cos, sin] = [cosCache, sinCache].map((c, i) => tensorOf(ctx, c, ['cos_cache', 'sin_cache'][i]!, device)) as [Tensor, Tensor];
      if (cos.rank !== 2 || !tl.shapesEqual(cos.shape, sin.shape) || 2 * cos.shape[1]! > H) throw new Error(`${ctx.node}: cos_cache [${cos.shape}] and sin_cache [${sin.shape}] must both be [max_sequence, rotary_dim / 2] with rotary_dim at most the head size ${H}`);
      const half = cos.shape[1]!;
      // Token s of batch entry b is at position start + s (a first prompt's padding too),
      // unless position_ids [B, S] says where.
      let positions = starts.flatMap((start) => Array.from({ length: S }, (_, s) => start + s));
      if (present(positionIds)) {
        const ids = hostOf(ctx, positionIds, 'position_ids');
        if (ids.shape.length !== 2 || ids.shape[0] !== B || ids.shape[1] !== S) throw new Error(`${ctx.node}: position_ids of shape [${ids.shape}] must be [${B}, ${S}]`);
        const given = Array.from(ids.data, Number);
        if (given.some((p) => p < 0)) throw new Error(`${ctx.node}: position_ids must not be negative`);
        // onnxruntime 1.30's CPU kernel does not rotate a first prompt's tokens at the positions
        // given: only the positions it would take anyway are accepted there.
        if (firstPrompt && given.some((p, i) => p !== positions[i])) throw new Error(`${ctx.node}: position_ids other than 0, 1, ... in a first prompt are not supported (onnxruntime's CPU kernel does not apply them there either)`);
        positions = given;
      }
      const top = Math.max(...positions);
      if (top >= cos.shape[0]!) throw new Error(`${ctx.node}: position ${top} is past the ${cos.shape[0]} positions of cos_cache`);
      const index = tl.tensor(Int32Array.from(positions), { dtype: 'int32', device });
      const [c, s] = [cos, sin].map((v) => tl.indexSelect(v, 0, index).reshape([B, S, 1, half])) as [Tensor, Tensor];
      const interleaved = attrNumber(attrs, 'rotary_interleaved', 0) === 1;
      [q, k] = [rotate(q, c, s, 2 * half, interleaved), rotate(k, c, s, 2 * half, interleaved)];
    }
    // present: each batch entry's past, then its new keys or values, then zeros, [B, Nkv, T, H].
    const presentOf = (fresh: Tensor, pastState: Tensor | null) => {
      const perHead = fresh.permute([0, 2, 1, 3]);
      return tl.cat(starts.map((start, b) => {
        const parts: Tensor[] = [];
        if (start > 0) parts.push(tl.slice(tl.slice(pastState!, 0, b, b + 1), 2, 0, start));
        parts.push(tl.slice(perHead, 0, b, b + 1));
        if (T - start - S > 0) parts.push(tl.zeros([1, nkv, T - start - S, H], { device }));
        return parts.length === 1 ? parts[0]! : tl.cat(parts, 2);
      }), 0);
    };
    const presentKey = presentOf(k, past && past[0]);
    const presentValue = presentOf(split(vIn, nkv), past && past[1]);
    // Each kv head serves num_heads / kv_num_heads query heads.
    const group = (t: Tensor) => (n === nkv ? t : t.unsqueeze(2).expand([B, nkv, n / nkv, T, H]).reshape([B, n, T, H]));
    const scale = scaleOf(attrs) ?? 1 / Math.sqrt(H);
    let scores = tl.matmul(q.permute([0, 2, 1, 3]), group(presentKey).transpose(-2, -1)).mul(scale);
    const cap = attrNumber(attrs, 'softcap', 0);
    if (cap > 0) scores = scores.div(cap).tanh().mul(cap);
    // Query s of batch entry b sees keys start + s and before, and with local_window_size only
    // the last local_window_size of them (itself included), as onnxruntime 1.30 computes it. A
    // first prompt's padding queries see what the entry's last token sees (onnxruntime's output
    // for them under a local window varies from one process to another).
    const window = attrNumber(attrs, 'local_window_size', -1);
    const mask = new Float32Array(B * S * T);
    starts.forEach((start, b) => {
      for (let s = 0; s < S; s++) {
        const last = Math.min(start + s, lengths[b]! - 1);
        const first = window > 0 ? Math.max(0, last - window + 1) : 0;
        for (let t = 0; t < T; t++) mask[(b * S + s) * T + t] = t >= first && t <= last ? 0 : LOWEST;
      }
    });
    scores = scores.add(tl.tensor(mask, { device }).reshape([B, 1, S, T]));
    if (present(attentionBias)) {
      const extra = tensorOf(ctx, attentionBias, 'attention_bias', device);
      const ok = extra.rank === 4 && (extra.shape[0] === 1 || extra.shape[0] === B) && (extra.shape[1] === 1 || extra.shape[1] === n) && extra.shape[2] === S && extra.shape[3] === T;
      if (!ok) throw new Error(`${ctx.node}: attention_bias of shape [${extra.shape}] must be [${B} or 1, ${n} or 1, ${S}, ${T}]`);
      scores = scores.add(extra);
    }
    let weights: Tensor;
    if (present(headSink) || attrNumber(attrs, 'smooth_softmax', 0) === 1) {
      // softmax with one more logit, left out: head_sink's per head, or 0 (smooth softmax).
      let sink = tl.zeros([1, n, 1, 1], { device });
      if (present(headSink)) {
        const given = tensorOf(ctx, headSink, 'head_sink', device);
        if (given.rank !== 1 || given.shape[0] !== n) throw new Error(`${ctx.node}: head_sink of shape [${given.shape}] must be [${n}] (one per head)`);
        sink = given.reshape([1, n, 1, 1]);
      }
      const extended = tl.cat([scores, sink.expand([B, n, S, 1])], 3);
      weights = tl.slice(tl.softmax(extended, 3), 3, 0, T);
    } else weights = tl.softmax(scores, 3);
    const y = tl.matmul(weights, group(presentValue)).permute([0, 2, 1, 3]).reshape([B, S, n * H]);
    return [y, presentKey, presentValue];
  },
};

/**
 * One decoding step of multi-head attention (Optimum's and onnxruntime's GPT-2 and Whisper
 * decoders): self attention against a shared past-present buffer [B, N, max_sequence, H] whose
 * first past_sequence_length positions are the cache, or cross attention against keys and
 * values already per head [B, N, L, H]. The inputs and outputs are those onnxruntime 1.30's CPU
 * kernel takes; scores are scale · q kᵀ + mask + attention_bias, as it adds them.
 */
const decoderMaskedMultiHeadAttention: OpSpec = {
  attributes: ['num_heads', 'mask_filter_value', 'scale', 'past_present_share_buffer', 'output_qk'],
  outputs: 4,
  check: (attrs) => [...numHeads(attrs), ...only(attrs, 'past_present_share_buffer', [0, 1]), ...only(attrs, 'output_qk', [0, 1])],
  run(ctx, inputs, attrs) {
    const [query, key, value, maskIndex, attentionBias, pastKey, pastValue, pastLength, beamWidth, cacheIndirection, bias] = inputs;
    const device = deviceOf(ctx, inputs);
    const n = attrNumber(attrs, 'num_heads', 1);
    const wantQk = attrNumber(attrs, 'output_qk', 0) === 1;
    if (ctx.outputs > 3 && !wantQk) throw new Error(`${ctx.node}: output qk needs output_qk=1`);
    // onnxruntime's CPU kernel never takes its beam path (the cache indirection it reads is never
    // set), so with several beams it attends to each beam's own cache: refused rather than followed.
    if (present(beamWidth) && hostInts(ctx, beamWidth, 'beam_width').some((w) => w > 1)) {
      throw new Error(`${ctx.node}: beam_width above 1 (with cache_indirection) is not supported (onnxruntime's CPU kernel ignores cache_indirection)`);
    }
    if (present(cacheIndirection) && !present(beamWidth)) throw new Error(`${ctx.node}: input cache_indirection is not supported without beam_width 1`);
    const qIn = tensorOf(ctx, query, 'query', device);
    if (qIn.rank !== 3 || qIn.shape[1] !== 1) throw new Error(`${ctx.node}: query of shape [${qIn.shape}] must be [batch, 1, hidden] (one decoding step)`);
    const B = qIn.shape[0]!;
    const biases = present(bias) ? tensorOf(ctx, bias, 'bias', device) : null;
    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    let P = 0;
    let presents: [Tensor, Tensor] | null = null;
    if (!present(pastKey)) {
      if (present(pastValue)) throw new Error(`${ctx.node}: past_key and past_value must be given together`);
      // Cross attention: key and value are the encoder's, per head.
      const [kIn, vIn] = [tensorOf(ctx, key, 'key', device), tensorOf(ctx, value, 'value', device)];
      const D = qIn.shape[2]!;
      if (kIn.rank !== 4 || vIn.rank !== 4 || !tl.shapesEqual(kIn.shape, vIn.shape) || kIn.shape[0] !== B || kIn.shape[1] !== n || kIn.shape[3]! * n !== D) {
        throw new Error(`${ctx.node}: without past_key, key [${kIn.shape}] and value [${vIn.shape}] must both be [${B}, ${n}, kv_sequence, ${D / n}] (cross attention; self attention needs past_key and past_value)`);
      }
      if (ctx.outputs > 1 && ctx.outputs < 4) throw new Error(`${ctx.node}: present_key and present_value need past_key and past_value (cross attention has none)`);
      if (present(attentionBias)) throw new Error(`${ctx.node}: attention_bias with cross attention is not supported (nor by onnxruntime's CPU kernel)`);
      // onnxruntime adds only the query's part of bias here: the keys and values are projected already.
      q = heads(biases ? qIn.add(tl.slice(biases.reshape([-1]), 0, 0, D)) : qIn, n);
      [k, v] = [kIn, vIn];
    } else {
      if (attrNumber(attrs, 'past_present_share_buffer', 0) !== 1) throw new Error(`${ctx.node}: past_key and past_value need past_present_share_buffer=1 (as onnxruntime's CPU kernel)`);
      if (!present(pastValue)) throw new Error(`${ctx.node}: past_key and past_value must be given together`);
      const lengths = hostInts(ctx, pastLength, 'past_sequence_length');
      if (lengths.length !== 1) throw new Error(`${ctx.node}: past_sequence_length must be one value, got ${lengths.length}`);
      P = lengths[0]!;
      // The doc allows packed QKV (no key and value), but onnxruntime 1.30's CPU kernel fails on it.
      if (!present(key) || !present(value)) throw new Error(`${ctx.node}: key and value are needed with past_key (packed QKV is not supported, nor by onnxruntime's CPU kernel)`);
      let qNew = qIn;
      let [kNew, vNew] = [tensorOf(ctx, key, 'key', device), tensorOf(ctx, value, 'value', device)];
      const D = qNew.shape[2]!;
      for (const [t, what] of [[kNew, 'key'], [vNew, 'value']] as const) {
        if (t.rank !== 3 || t.shape[0] !== B || t.shape[1] !== 1 || t.shape[2] !== D) throw new Error(`${ctx.node}: ${what} of shape [${t.shape}] must be [${B}, 1, ${D}] (the query's hidden size; onnxruntime's CPU kernel needs equal head sizes)`);
      }
      if (D % n !== 0) throw new Error(`${ctx.node}: hidden size ${D} is not a multiple of num_heads ${n}`);
      if (biases) {
        if (biases.size !== 3 * D) throw new Error(`${ctx.node}: bias of shape [${biases.shape}] must be [${3 * D}]`);
        const parts = tl.split(biases.reshape([3 * D]), D, 0);
        [qNew, kNew, vNew] = [qNew.add(parts[0]!), kNew.add(parts[1]!), vNew.add(parts[2]!)];
      }
      [q, kNew, vNew] = [heads(qNew, n), heads(kNew, n), heads(vNew, n)];
      const [pk, pv] = [tensorOf(ctx, pastKey, 'past_key', device), tensorOf(ctx, pastValue, 'past_value', device)];
      const H = D / n;
      if (pk.rank !== 4 || pk.shape[0] !== B || pk.shape[1] !== n || pk.shape[3] !== H || !tl.shapesEqual(pk.shape, pv.shape)) {
        throw new Error(`${ctx.node}: past_key [${pk.shape}] and past_value [${pv.shape}] must both be [${B}, ${n}, max_sequence, ${H}]`);
      }
      const M = pk.shape[2]!;
      if (!Number.isInteger(P) || P < 0 || P >= M) throw new Error(`${ctx.node}: past_sequence_length ${P} leaves no room for this step in a buffer of ${M}`);
      // The doc allows 0, but onnxruntime 1.30's CPU kernel then takes the whole buffer as the past
      // (and writes this step past its end): a first step is refused rather than guessed.
      if (P === 0) throw new Error(`${ctx.node}: past_sequence_length 0 is not supported (onnxruntime's CPU kernel then reads all ${M} buffer positions as the past)`);
      // This step's keys and values go to position P of the buffer; positions after it keep the past's.
      const write = (buffer: Tensor, fresh: Tensor) => tl.cat([...(P > 0 ? [tl.slice(buffer, 2, 0, P)] : []), fresh, ...(P + 1 < M ? [tl.slice(buffer, 2, P + 1, M)] : [])], 2);
      presents = [write(pk, kNew), write(pv, vNew)];
      [k, v] = [tl.slice(presents[0], 2, 0, P + 1), tl.slice(presents[1], 2, 0, P + 1)];
    }
    const T = k.shape[2]!;
    const H = q.shape[3]!;
    let scores = tl.matmul(q, k.transpose(-2, -1)).mul(scaleOf(attrs) ?? 1 / Math.sqrt(H));
    if (present(maskIndex)) {
      // onnxruntime's CPU kernel takes only a 0/1 mask [B, total_sequence] here.
      const m = tensorOf(ctx, maskIndex, 'mask_index', device);
      if (m.rank !== 2 || m.shape[0] !== B || m.shape[1] !== T) throw new Error(`${ctx.node}: mask_index of shape [${m.shape}] must be [${B}, ${T}] (batch, total_sequence; onnxruntime's CPU kernel takes no other form)`);
      scores = scores.add(additiveMask(ctx, m, 'mask_index', { B, S: 1, T, P: T - 1 }, attrNumber(attrs, 'mask_filter_value', -10000), false, device)!);
    }
    if (present(attentionBias)) {
      const extra = tensorOf(ctx, attentionBias, 'attention_bias', device);
      const ok = extra.rank === 4 && (extra.shape[0] === 1 || extra.shape[0] === B) && (extra.shape[1] === 1 || extra.shape[1] === n) && extra.shape[2] === 1 && extra.shape[3] === T;
      if (!ok) throw new Error(`${ctx.node}: attention_bias of shape [${extra.shape}] must be [${B} or 1, ${n} or 1, 1, ${T}]`);
      scores = scores.add(extra);
    }
    const y = tl.matmul(tl.softmax(scores, 3), v).permute([0, 2, 1, 3]).reshape([B, 1, n * v.shape[3]!]);
    const outs: Tensor[] = [y];
    if (ctx.outputs > 1) outs.push(...(presents ?? [k, v]));
    if (ctx.outputs > 3) outs.push(scores);
    return outs;
  },
};

export const contribAttentionOps: Record<string, OpSpec> = {
  Attention: { ...attention, outputs: 2 },
  MultiHeadAttention: { ...multiHeadAttention, outputs: 3 },
  RotaryEmbedding: rotaryEmbedding,
  GroupQueryAttention: groupQueryAttention,
  DecoderMaskedMultiHeadAttention: decoderMaskedMultiHeadAttention,
};
