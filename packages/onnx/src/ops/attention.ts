// The default domain's transformer operators of opsets 23 to 25: Attention (multi-head,
// grouped-query and multi-query, with a key-value cache), RotaryEmbedding and TensorScatter
// (the KV-cache update). Attention is an explicit matmul + softmax, so its gradients reach Q,
// K, V, the caches and a float mask, and its qk_matmul_output can be any of its four stages.
import type { Tensor } from '@tensile/core';
import type { Value } from '../value.js';
import { type Attributes, type OpSpec, attrNumber, attrString, axisOf, deviceOf, intsOf, one, only, tensorOf, tl } from './context.js';
import { rotate } from './contrib-attention.js';

/** float32's lowest value: what masked scores become, as onnxruntime's mask_filter_value (finite, so a softmax never sees -inf - -inf). */
const LOWEST = -3.4028234663852886e38;

function present(v: Value | undefined): boolean {
  return v !== undefined && v.size > 0;
}

function positive(attrs: Attributes, name: string): string[] {
  const n = attrs[name];
  return n === undefined || (typeof n === 'number' && Number.isInteger(n) && n > 0) ? [] : [`attribute ${name}=${JSON.stringify(n)} must be a positive integer`];
}

const attention: OpSpec = {
  attributes: ['is_causal', 'kv_num_heads', 'q_num_heads', 'qk_matmul_output_mode', 'scale', 'softcap', 'softmax_precision', 'left_window_size', 'right_window_size'],
  outputs: 4,
  check: (attrs, opset) => {
    const problems = [...only(attrs, 'is_causal', [0, 1]), ...only(attrs, 'qk_matmul_output_mode', [0, 1, 2, 3]), ...positive(attrs, 'q_num_heads'), ...positive(attrs, 'kv_num_heads')];
    const [q, kv] = [attrs.q_num_heads, attrs.kv_num_heads];
    if (typeof q === 'number' && typeof kv === 'number' && q % kv !== 0) problems.push(`attribute q_num_heads=${q} must be a multiple of kv_num_heads=${kv}`);
    // Tensile computes in float32: FLOAT is that, DOUBLE is within float32's rounding of it;
    // a softmax rounded to float16 or bfloat16 is not computed.
    problems.push(...only(attrs, 'softmax_precision', [1, 11]));
    const scale = attrs.scale;
    if (scale !== undefined && !(typeof scale === 'number' && scale > 0)) problems.push(`attribute scale=${JSON.stringify(scale)} must be positive`);
    const cap = attrs.softcap;
    if (cap !== undefined && !(typeof cap === 'number' && cap >= 0)) problems.push(`attribute softcap=${JSON.stringify(cap)} must be 0 (none) or positive`);
    for (const name of ['left_window_size', 'right_window_size']) {
      const w = attrs[name];
      if (w === undefined) continue;
      if (opset < 25) problems.push(`attribute ${name} is not part of Attention at opset ${opset} (it came in opset 25)`);
      else if (!(typeof w === 'number' && Number.isInteger(w) && w >= -1)) problems.push(`attribute ${name}=${JSON.stringify(w)} must be -1 (unbounded) or a window of 0 or more`);
    }
    return problems;
  },
  run(ctx, inputs, attrs) {
    const [qIn, kIn, vIn, maskIn, pastKeyIn, pastValueIn, nonpadIn] = inputs;
    if (present(nonpadIn) && ctx.opset < 24) throw new Error(`${ctx.node}: input nonpad_kv_seqlen is not part of Attention at opset ${ctx.opset} (it came in opset 24)`);
    if (present(pastKeyIn) !== present(pastValueIn)) throw new Error(`${ctx.node}: past_key and past_value must be given together`);
    if (present(nonpadIn) && present(pastKeyIn)) throw new Error(`${ctx.node}: nonpad_kv_seqlen (an external cache) cannot be used with past_key and past_value`);
    const device = deviceOf(ctx, inputs);
    const [q3, k3, v3] = [qIn, kIn, vIn].map((v, i) => tensorOf(ctx, v, ['Q', 'K', 'V'][i]!, device)) as [Tensor, Tensor, Tensor];
    const rank = q3.rank;
    if ((rank !== 3 && rank !== 4) || k3.rank !== rank || v3.rank !== rank) throw new Error(`${ctx.node}: Q [${q3.shape}], K [${k3.shape}] and V [${v3.shape}] must all be 3-D [batch, sequence, heads * head_size] or all 4-D [batch, heads, sequence, head_size]`);
    // [B, N, S, H] for each.
    let q: Tensor, k: Tensor, v: Tensor;
    if (rank === 3) {
      const [nq, nkv] = [attrs.q_num_heads, attrs.kv_num_heads];
      if (typeof nq !== 'number' || typeof nkv !== 'number') throw new Error(`${ctx.node}: 3-D Q, K and V need attributes q_num_heads and kv_num_heads`);
      const split = (t: Tensor, n: number, what: string) => {
        if (t.shape[2]! % n !== 0) throw new Error(`${ctx.node}: ${what} of shape [${t.shape}] does not split into ${n} heads`);
        return t.reshape([t.shape[0]!, t.shape[1]!, n, t.shape[2]! / n]).permute([0, 2, 1, 3]);
      };
      [q, k, v] = [split(q3, nq, 'Q'), split(k3, nkv, 'K'), split(v3, nkv, 'V')];
    } else {
      [q, k, v] = [q3, k3, v3];
      for (const [name, t] of [['q_num_heads', q], ['kv_num_heads', k]] as const) {
        const n = attrs[name];
        if (typeof n === 'number' && n !== t.shape[1]) throw new Error(`${ctx.node}: attribute ${name}=${n} disagrees with the ${t.shape[1]} heads of a 4-D input`);
      }
    }
    const [B, Nq, S, H] = q.shape as [number, number, number, number];
    const [, Nkv, L] = k.shape as [number, number, number];
    const Hv = v.shape[3]!;
    if (k.shape[0] !== B || v.shape[0] !== B || k.shape[3] !== H || v.shape[1] !== Nkv || v.shape[2] !== L || Nq % Nkv !== 0) {
      throw new Error(`${ctx.node}: Q [${q3.shape}], K [${k3.shape}] and V [${v3.shape}] disagree: one batch, K and Q one head size, K and V one length and head count, q heads a multiple of kv heads`);
    }
    // The cache before this step's keys and values: present = concat(past, new).
    let P = 0;
    if (present(pastKeyIn)) {
      const [pk, pv] = [tensorOf(ctx, pastKeyIn, 'past_key', device), tensorOf(ctx, pastValueIn, 'past_value', device)];
      P = pk.shape[2] ?? 0;
      if (pk.rank !== 4 || pv.rank !== 4 || !tl.shapesEqual(pk.shape, [B, Nkv, P, H]) || !tl.shapesEqual(pv.shape, [B, Nkv, P, Hv])) {
        throw new Error(`${ctx.node}: past_key [${pk.shape}] and past_value [${pv.shape}] must be [${B}, ${Nkv}, past, ${H}] and [${B}, ${Nkv}, past, ${Hv}]`);
      }
      [k, v] = [tl.cat([pk, k], 2), tl.cat([pv, v], 2)];
    }
    const T = P + L;
    const presentKey = k;
    const presentValue = v;
    // Each kv head serves q_num_heads / kv_num_heads query heads, in order.
    const group = (t: Tensor) => (Nq === Nkv ? t : t.unsqueeze(2).expand([B, Nkv, Nq / Nkv, T, t.shape[3]!]).reshape([B, Nq, T, t.shape[3]!]));
    const scale = typeof attrs.scale === 'number' ? attrs.scale : 1 / Math.sqrt(H);
    const stages: Tensor[] = [];
    let scores = tl.matmul(q, group(k).transpose(-2, -1)).mul(scale);
    stages.push(scores);
    const cap = attrNumber(attrs, 'softcap', 0);
    if (cap > 0) scores = scores.div(cap).tanh().mul(cap);
    stages.push(scores);

    // Which keys each query may attend, [B or 1, Nq or 1, S, T], and a float mask to add.
    let allowed: Tensor | null = null;
    const allow = (m: Tensor) => {
      allowed = allowed ? allowed.logicalAnd(m) : m;
    };
    let added: Tensor | null = null;
    if (present(maskIn)) {
      let m = tensorOf(ctx, maskIn, 'attn_mask', device);
      if (m.dtype !== 'bool' && m.dtype !== q.dtype) throw new Error(`${ctx.node}: attn_mask of type ${m.dtype} is not supported (a bool mask, or a ${q.dtype} mask added to the scores)`);
      const last = m.shape[m.rank - 1] ?? 0;
      const fits = m.rank >= 1 && m.rank <= 4 && last <= T && m.shape.every((d, i) => {
        const want = [B, Nq, S, T][4 - m.rank + i]!;
        return i === m.rank - 1 || d === 1 || d === want;
      });
      if (!fits) throw new Error(`${ctx.node}: attn_mask of shape [${m.shape}] does not broadcast to [${B}, ${Nq}, ${S}, ${T}] (its last dim may be shorter, padded as masked keys)`);
      while (m.rank < 4) m = m.unsqueeze(0);
      // A shorter mask leaves the keys after it masked (the spec pads it with -inf).
      if (last < T) {
        const padShape = [...m.shape.slice(0, 3), T - last];
        m = m.dtype === 'bool' ? tl.cat([m, tl.zeros(padShape, { dtype: 'bool', device })], 3) : tl.cat([m, tl.full(padShape, LOWEST, { device })], 3);
      }
      if (m.dtype === 'bool') allow(m);
      else added = m;
    }
    // Query i is at absolute position i + offset: offset is the past's length, or with an
    // external cache (nonpad_kv_seqlen) the valid keys before this block, nonpad - S, per batch entry.
    const rows = tl.arange(0, S, 1, { dtype: 'int32', device }).reshape([1, 1, S, 1]);
    const keys = tl.arange(0, T, 1, { dtype: 'int32', device }).reshape([1, 1, 1, T]);
    let position = P > 0 ? rows.add(P) : rows;
    if (present(nonpadIn)) {
      const lengths = tensorOf(ctx, nonpadIn, 'nonpad_kv_seqlen', device).int();
      if (lengths.rank !== 1 || lengths.shape[0] !== B) throw new Error(`${ctx.node}: nonpad_kv_seqlen of shape [${lengths.shape}] must be [${B}] (one length per batch entry)`);
      const perBatch = lengths.reshape([B, 1, 1, 1]);
      allow(keys.lt(perBatch));
      position = rows.add(perBatch).sub(S);
    }
    // Bottom-right, as the spec says. onnxruntime 1.30 drops the causal mask for a single query
    // after a past, which differs only when that step brings more than one key.
    if (attrNumber(attrs, 'is_causal', 0) === 1) allow(keys.le(position));
    const [left, right] = [attrNumber(attrs, 'left_window_size', -1), attrNumber(attrs, 'right_window_size', -1)];
    if (left >= 0) allow(keys.ge(position.sub(left)));
    if (right >= 0) allow(keys.le(position.add(right)));
    // A float mask's -inf becomes LOWEST too. (The spec's masked scores are -inf; onnxruntime
    // shows LOWEST in qk_matmul_output mode 2, as here.)
    if (added) scores = tl.clamp(scores.add(added), LOWEST, null);
    if (allowed) scores = tl.where(allowed, scores, LOWEST);
    stages.push(scores);
    // A query that may attend no key gives zeros (the spec's guard against NaN), not the
    // uniform weights its LOWEST scores would give.
    let weights = tl.softmax(scores, -1);
    if (allowed || added) weights = tl.where(scores.gt(LOWEST).any(-1, true), weights, 0);
    stages.push(weights);
    let y = tl.matmul(weights, group(v));
    if (rank === 3) y = y.permute([0, 2, 1, 3]).reshape([B, S, Nq * Hv]);
    const qk = stages[attrNumber(attrs, 'qk_matmul_output_mode', 0)]!;
    return [y, presentKey, presentValue, qk].slice(0, Math.max(ctx.outputs, 1));
  },
};

// Opset 23's RotaryEmbedding: com.microsoft's rotation, with X first and position_ids last
// (optional: then the caches are already per token, [B, S, R/2]).
const rotaryEmbedding: OpSpec = {
  attributes: ['interleaved', 'num_heads', 'rotary_embedding_dim'],
  check: (attrs) => [...only(attrs, 'interleaved', [0, 1]), ...positive(attrs, 'num_heads')],
  run(ctx, inputs, attrs) {
    const [x, cosCache, sinCache, positionIds] = inputs;
    const device = deviceOf(ctx, inputs);
    const t = tensorOf(ctx, x, 'X', device);
    const [cos, sin] = [cosCache, sinCache].map((c, i) => tensorOf(ctx, c, ['cos_cache', 'sin_cache'][i]!, device)) as [Tensor, Tensor];
    if (t.rank !== 3 && t.rank !== 4) throw new Error(`${ctx.node}: X of shape [${t.shape}] must be [batch, sequence, hidden] or [batch, num_heads, sequence, head_size]`);
    const [B, S] = t.rank === 3 ? (t.shape as [number, number]) : [t.shape[0]!, t.shape[2]!];
    let h: number;
    if (t.rank === 4) h = t.shape[3]!;
    else {
      const n = attrs.num_heads;
      if (typeof n !== 'number') throw new Error(`${ctx.node}: a 3-D X needs attribute num_heads`);
      h = t.shape[2]! / n;
    }
    const rotaryAttr = attrNumber(attrs, 'rotary_embedding_dim', 0);
    const rotary = rotaryAttr > 0 ? rotaryAttr : h;
    if (!Number.isInteger(h) || rotary > h || rotary % 2 !== 0) throw new Error(`${ctx.node}: a rotary dim of ${rotary} does not fit heads of size ${h} in X [${t.shape}]`);
    const half = rotary / 2;
    let c: Tensor, s: Tensor;
    if (present(positionIds)) {
      if (cos.rank !== 2 || !tl.shapesEqual(cos.shape, sin.shape) || cos.shape[1] !== half) throw new Error(`${ctx.node}: with position_ids, cos_cache [${cos.shape}] and sin_cache [${sin.shape}] must both be [max_position + 1, ${half}]`);
      const ids = tensorOf(ctx, positionIds, 'position_ids', device);
      if (ids.rank !== 2 || ids.shape[0] !== B || ids.shape[1] !== S) throw new Error(`${ctx.node}: position_ids of shape [${ids.shape}] must be [${B}, ${S}]`);
      [c, s] = [cos, sin].map((v) => tl.indexSelect(v, 0, ids.int().reshape([-1])).reshape([B, S, half])) as [Tensor, Tensor];
    } else {
      if (!tl.shapesEqual(cos.shape, [B, S, half]) || !tl.shapesEqual(sin.shape, [B, S, half])) throw new Error(`${ctx.node}: without position_ids, cos_cache [${cos.shape}] and sin_cache [${sin.shape}] must both be [${B}, ${S}, ${half}]`);
      [c, s] = [cos, sin];
    }
    const interleaved = attrNumber(attrs, 'interleaved', 0) === 1;
    // [B, 1, S, R/2] against [B, N, S, H]; [B, S, 1, R/2] against [B, S, N, H].
    if (t.rank === 4) return one(rotate(t, c.unsqueeze(1), s.unsqueeze(1), rotary, interleaved));
    return one(rotate(t.reshape([B, S, t.shape[2]! / h, h]), c.unsqueeze(2), s.unsqueeze(2), rotary, interleaved).reshape(t.shape));
  },
};

// Opset 24's TensorScatter: update written into the cache along axis, from each batch entry's
// write index (0 without write_indices); circular mode wraps the positions. A gather and a
// where, so the gradient reaches both the cache and the update.
const tensorScatter: OpSpec = {
  attributes: ['axis', 'mode'],
  check: (attrs) => only(attrs, 'mode', ['linear', 'circular']),
  run(ctx, inputs, attrs) {
    const [pastIn, updateIn, indicesIn] = inputs;
    const device = deviceOf(ctx, inputs);
    const [past, update] = [tensorOf(ctx, pastIn, 'past_cache', device), tensorOf(ctx, updateIn, 'update', device)];
    const axis = axisOf(ctx, attrNumber(attrs, 'axis', -2), past.rank);
    if (axis === 0) throw new Error(`${ctx.node}: axis ${attrNumber(attrs, 'axis', -2)} is the batch dim, which TensorScatter cannot write along`);
    const [M, L] = [past.shape[axis]!, update.shape[axis] ?? 0];
    const sameElsewhere = update.rank === past.rank && past.shape.every((d, i) => i === axis || d === update.shape[i]);
    if (!sameElsewhere || L > M) throw new Error(`${ctx.node}: update [${update.shape}] must be past_cache [${past.shape}] with at most ${M} entries along axis ${axis}`);
    if (update.dtype !== past.dtype) throw new Error(`${ctx.node}: update is ${update.dtype} and past_cache ${past.dtype}; they must share a type`);
    const B = past.shape[0]!;
    const starts = present(indicesIn) ? intsOf(ctx, indicesIn, 'write_indices') : new Array<number>(B).fill(0);
    if (starts.length !== B) throw new Error(`${ctx.node}: write_indices has ${starts.length} values for a batch of ${B}`);
    const circular = attrString(attrs, 'mode', 'linear') === 'circular';
    // For each batch entry and cache position: the update entry written there, or -1.
    const source = new Int32Array(B * M).fill(-1);
    starts.forEach((start, b) => {
      if (!circular && (start < 0 || start + L > M)) throw new Error(`${ctx.node}: write index ${start} of batch entry ${b} with ${L} updates does not fit ${M} cache entries (linear mode)`);
      for (let s = 0; s < L; s++) source[b * M + ((((start + s) % M) + M) % M)] = s;
    });
    const shape = past.shape.map((d, i) => (i === 0 || i === axis ? d : 1));
    const src = tl.tensor(source, { dtype: 'int32', device }).reshape(shape);
    if (L === 0) return one(past);
    const gathered = tl.gather(update, axis, tl.clamp(src, 0, L - 1).expand(past.shape).contiguous());
    return one(tl.where(src.ge(0), gathered, past));
  },
};

export const attentionOps: Record<string, OpSpec> = {
  Attention: attention,
  RotaryEmbedding: rotaryEmbedding,
  TensorScatter: tensorScatter,
};
