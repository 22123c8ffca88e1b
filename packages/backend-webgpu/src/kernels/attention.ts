/**
 * Fused attention: out = softmax(q kᵀ · scale + mask) v over B heads, with each row's
 * log-sum-exp, without materialising the [L, S] scores.
 *
 * Every invocation owns RQ query rows of one head (rows `i0 + lane + WX * r`) and a chunk
 * of CV output columns, and walks the keys one at a time with an online softmax (running
 * max and sum; the accumulators are rescaled when the max grows). Its rows' q values and
 * its accumulators live in registers, so inside the key loop the only memory reads are the
 * key's K and V rows, shared by all the rows of a workgroup. No row talks to another: there
 * is no workgroup memory and no barrier.
 *
 * On CPU adapters (llvmpipe) every storage load is bounds-checked lane by lane: one costs
 * about as much per lane whether the address is uniform or not, and a vec4 costs four. So
 * where subgroups of at least 8 are available the lanes share the K and V rows: lane `l`
 * loads element `e0 + l` of a chunk of 8 and `subgroupBroadcast` hands it to every lane (a
 * register shuffle), one load per 8 values instead of one per value. Each value then feeds
 * RQ rows per lane. (Staging K and V tiles in workgroup memory, as GPU flash attention does,
 * is no cheaper there: workgroup memory is read lane by lane too, plus a barrier per tile.)
 *
 * q's head dim E is unrolled (the pipeline key holds it: one pipeline per head size); above
 * {@link MAX_UNROLLED_E} q is read inside the key loop instead (slower, any E). When Ev
 * exceeds CV, grid y walks the column chunks, each recomputing the scores. A causal
 * workgroup stops at its last row's diagonal.
 */
import type { AttentionParams, TensorView } from '@tensile/core';
import { gpuBufferOf, type KernelSource, type Runtime } from '../runtime.js';
import { headerWGSL, UniformRecord } from '../wgsl.js';

export interface AttentionTiling {
  /** Invocations per workgroup. */
  wx: number;
  /** Query rows per invocation. */
  rq: number;
  /** Output columns per workgroup (accumulators per row): Ev, or chunks of at most 64. */
  cv: number;
  /** Load K and V rows 8 values at a time and share them with subgroupBroadcast (needs subgroups of at least 8). */
  broadcast: boolean;
}

/** Head dims whose q rows are held in registers; past this they are read in the loop. */
const MAX_UNROLLED_E = 128;
/** Values one shared load brings to the lanes (the smallest subgroup the broadcast path accepts). */
const SHARE = 8;
/** The most heads one dispatch takes: the grid's limit per dimension. */
const MAX_Z = 65535;

/**
 * The tiling for an adapter and head sizes. CPU adapters: one SIMD vector of llvmpipe (8
 * invocations), sharing K and V through subgroups where the device has them, with as many
 * rows per invocation as keep about 256 values (q and accumulators) in its registers: more
 * rows share each load, but llvmpipe's compile time grows faster than the register count
 * (at E = Ev = 64, 2 rows took about 6 s to compile and 4 rows 24-48 s, for about 15% less
 * run time). GPUs: 64 invocations of one row each, reading K and V directly (all invocations
 * of a workgroup read the same address: one cached broadcast read).
 */
export function attentionTiling(cpu: boolean, limits: GPUSupportedLimits, subgroupMin: number, e: number, ev: number): AttentionTiling {
  // Column chunks of at most 64, as even as possible (Ev = 80: two of 40).
  const cv = Math.ceil(ev / Math.ceil(ev / 64));
  if (!cpu) return { wx: Math.min(64, limits.maxComputeInvocationsPerWorkgroup), rq: 1, cv, broadcast: false };
  const held = Math.min(e, MAX_UNROLLED_E) + cv;
  return { wx: 8, rq: Math.max(1, Math.min(4, Math.floor(256 / held))), cv, broadcast: subgroupMin >= SHARE };
}

function attentionRecord() {
  return UniformRecord.of('attn', [
    ['L', 1], ['S', 1], ['E', 1], ['Ev', 1], ['zBase', 1], ['scale', 1, 'float'],
    ['qOffset', 1], ['kOffset', 1], ['vOffset', 1], ['outOffset', 1], ['lseOffset', 1],
    ['maskOffset', 1], ['maskStrides', [3]],
  ]);
}

interface Variant {
  /** E when unrolled, else 0 (read in the loop). */
  e: number;
  /** Keys past the diagonal are dropped (never with a mask: the contract has one or the other). */
  causal: boolean;
  masked: boolean;
}

function attentionWGSL(t: AttentionTiling, x: Variant): string {
  const record = attentionRecord();
  const header = headerWGSL(record, [
    { name: 'q', type: 'f32', write: false },
    { name: 'k', type: 'f32', write: false },
    { name: 'v', type: 'f32', write: false },
    ...(x.masked ? [{ name: 'mask', type: 'f32', write: false }] : []),
    { name: 'out', type: 'f32', write: true },
    { name: 'lse', type: 'f32', write: true },
  ]);
  const R = [...Array(t.rq).keys()];
  const C = [...Array(t.cv).keys()];
  const rows = t.wx * t.rq;
  const lines: string[] = [];
  const add = (...s: string[]) => lines.push(...s);

  /**
   * Element `i` (compile-time) of the row at `base` (length `n`) as `name`, inside a block:
   * a direct load, or, with broadcast, lane `i % 8`'s element of the chunk that holds it
   * (loaded before the chunk's first element; lanes past `n` load the last one).
   */
  const element = (name: string, buf: string, base: string, i: number, n: string, col?: string) => {
    if (!t.broadcast) return `{ let ${name} = ${buf}[${base} + ${col ? `col${i}` : `${i}u`}];`;
    const chunk = `${buf}c${Math.floor(i / SHARE)}`;
    const load = i % SHARE === 0 ? `let ${chunk} = ${buf}[${base} + min(${col ? `${col} + ` : ''}${i}u + sl, ${n} - 1u)];\n    ` : '';
    return `${load}{ let ${name} = subgroupBroadcast(${chunk}, ${i % SHARE}u);`;
  };

  // Scores q · k_j of every row into s{r} (q is pre-scaled).
  add('let kr = kBase + j * E;', 'let vr = vBase + j * Ev;', ...R.map((r) => `var s${r} = 0.0;`));
  if (x.e > 0) {
    for (let e = 0; e < x.e; e++) {
      add(element('ke', 'k', 'kr', e, 'E'));
      for (const r of R) add(`  s${r} = fma(q${r}_${e}, ke, s${r});`);
      add('}');
    }
  } else {
    add('for (var e = 0u; e < E; e++) {', '  let ke = k[kr + e];');
    for (const r of R) add(`  s${r} = fma(q[qb${r} + e] * scale, ke, s${r});`);
    add('}');
  }
  // The scores as softmax sees them: masked, or -inf past the diagonal.
  for (const r of R) {
    add(x.masked ? `let x${r} = s${r} + mask[mb${r} + i32(j) * mj];` : x.causal ? `let x${r} = select(NEG_INF, s${r}, j <= row${r});` : `let x${r} = s${r};`);
  }
  add(
    ...R.map((r) => `let mt${r} = max(m${r}, x${r});`),
    // While every score so far is -inf, exponents are taken from 0, so that none is NaN.
    ...R.map((r) => `let mu${r} = select(mt${r}, 0.0, mt${r} == NEG_INF);`),
    ...R.map((r) => `let a${r} = exp(m${r} - mu${r});`),
    // exp(-inf) may come out as a tiny number (llvmpipe): masked weights are exactly 0.
    ...R.map((r) => (x.masked || x.causal ? `let p${r} = select(0.0, exp(x${r} - mu${r}), x${r} > NEG_INF);` : `let p${r} = exp(x${r} - mu${r});`)),
    ...R.map((r) => `m${r} = mt${r}; l${r} = fma(l${r}, a${r}, p${r});`),
  );
  for (const c of C) {
    add(element('vc', 'v', 'vr', c, 'Ev', 'c0'));
    for (const r of R) add(`  o${r}_${c} = fma(p${r}, vc, o${r}_${c} * a${r});`);
    add('}');
  }

  const setup: string[] = [];
  for (const r of R) {
    // Rows past L compute row L - 1 and store nothing.
    setup.push(`let row${r} = min(i0 + li + ${t.wx * r}u, L - 1u);`, `let qb${r} = attn_qOffset_u() + (b * L + row${r}) * E;`);
    if (x.masked) setup.push(`let mb${r} = attn_maskOffset() + i32(b) * attn_maskStrides(0u) + i32(row${r}) * attn_maskStrides(1u);`);
    if (x.e > 0) for (let e = 0; e < x.e; e++) setup.push(`let q${r}_${e} = q[qb${r} + ${e}u] * scale;`);
    setup.push(`var m${r} = NEG_INF;`, `var l${r} = 0.0;`, ...C.map((c) => `var o${r}_${c} = 0.0;`));
  }
  // Columns past Ev (a last, partial chunk) read the last one and store nothing.
  if (!t.broadcast) for (const c of C) setup.push(`let col${c} = min(c0 + ${c}u, Ev - 1u);`);

  const stores: string[] = [];
  for (const r of R) {
    stores.push(
      `if (i0 + li + ${t.wx * r}u < L) {`,
      // A row whose every score is -inf has no weights: NaN, as softmax gives.
      `  let dead = !(m${r} > NEG_INF);`,
      `  let inv = 1.0 / l${r};`,
      `  let ob = attn_outOffset_u() + (b * L + row${r}) * Ev;`,
      ...C.map((c) => `  if (c0 + ${c}u < Ev) { out[ob + c0 + ${c}u] = select(o${r}_${c} * inv, NAN, dead); }`),
      `  if (wid.y == 0u) { lse[attn_lseOffset_u() + b * L + row${r}] = select(m${r} + log(l${r}), NEG_INF, dead); }`,
      '}',
    );
  }

  return `${t.broadcast ? 'enable subgroups;\n' : ''}${header}
@compute @workgroup_size(${t.wx}, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32${t.broadcast ? ', @builtin(subgroup_invocation_id) sid: u32' : ''}) {
  let L = attn_L_u(); let S = attn_S_u(); let E = attn_E_u(); let Ev = attn_Ev_u();
  let NEG_INF = f32bits(0xff800000u);
  let NAN = f32bits(0x7fc00000u);
  let scale = attn_scale();
  let b = wid.z + attn_zBase_u();
  let i0 = wid.x * ${rows}u;
  let c0 = wid.y * ${t.cv}u;
  let kBase = attn_kOffset_u() + b * S * E;
  let vBase = attn_vOffset_u() + b * S * Ev;
  ${t.broadcast ? `// This lane's element of every shared chunk.\n  let sl = sid & ${SHARE - 1}u;` : ''}
  ${x.masked ? 'let mj = attn_maskStrides(2u);' : ''}
  ${setup.join('\n  ')}
  // A causal workgroup needs the keys up to its last row's diagonal only.
  let keys = ${x.causal ? `min(S, min(i0 + ${rows}u, L))` : 'S'};
  for (var j = 0u; j < keys; j++) {
    ${lines.join('\n    ')}
  }
  ${stores.join('\n  ')}
}`;
}

/** A short name of a tiling for pipeline cache keys. */
function tilingKey(t: AttentionTiling): string {
  return `${t.wx}x${t.rq}${t.broadcast ? 'b' : ''}`;
}

export function attention(
  rt: Runtime, tiling: AttentionTiling, q: TensorView, k: TensorView, v: TensorView, mask: TensorView | null,
  out: TensorView, lse: TensorView, { scale, causal }: AttentionParams,
): void {
  const [B, L, E] = q.shape;
  const S = k.shape[1], Ev = v.shape[2];
  if (B === 0 || L === 0) return;
  const variant: Variant = { e: E <= MAX_UNROLLED_E ? E : 0, causal: causal && !mask, masked: mask !== null };
  const record = attentionRecord();
  const params = record.pack({
    L, S, E, Ev, zBase: 0, scale,
    qOffset: q.offset, kOffset: k.offset, vOffset: v.offset, outOffset: out.offset, lseOffset: lse.offset,
    maskOffset: mask?.offset ?? 0, maskStrides: mask ? mask.strides : [0, 0, 0],
  });
  const kind = variant.masked ? 'mask' : variant.causal ? 'causal' : 'plain';
  const kernel: KernelSource = {
    key: `attention:${tilingKey(tiling)}:e${variant.e}:v${tiling.cv}:${kind}`,
    writes: [false, false, false, ...(mask ? [false] : []), true, true],
    wgsl: () => attentionWGSL(tiling, variant),
  };
  const buffers = [q, k, v, ...(mask ? [mask] : []), out, lse].map((t) => gpuBufferOf(t.buffer).buffer);
  const grid: [number, number] = [Math.ceil(L / (tiling.wx * tiling.rq)), Math.ceil(Ev / tiling.cv)];
  for (let z0 = 0; z0 < B; z0 += MAX_Z) {
    params.set('zBase', z0);
    rt.dispatch(kernel, buffers, params, [...grid, Math.min(MAX_Z, B - z0)]);
  }
}
