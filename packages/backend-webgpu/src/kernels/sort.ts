/**
 * sort: the first k elements of each row of a [rows, n] view in stable order, as a bitonic
 * sort of (key, position) pairs.
 *
 * Every element becomes a 32-bit key whose unsigned order is the order wanted (NaN above
 * +Infinity, -0 equal to +0, all bits flipped for descending; the cpu backend's kernels/
 * sort.ts describes the mapping), and pairs compare by key, then position, so the network's
 * result is the stable order. Padding is the pair (0xffffffff, 0xffffffff), after every
 * element.
 *
 * The launches come from core's `planBitonicSort` (segment sorts in workgroup memory, top-k
 * levels, or a full bitonic network over rows padded to a power of two); this file holds
 * their WGSL. The last launch writes each row's first k elements, read from x (so NaN
 * payloads and -0 survive), and their positions.
 */
import { planBitonicSort, sizeOf, type TensorView } from '@tensile/core';
import { gpuBufferOf, type KernelSource, type Runtime } from '../runtime.js';
import { ELEMENT_WORKGROUP, ENTRY_1D, FLAT_INDEX, grid, headerWGSL, storageType, UniformRecord, type Binding } from '../wgsl.js';

/** Pairs one workgroup sorts in workgroup memory (8 KiB of it). */
const BLOCK = 1024;
/** Threads of the workgroup kernels: each compares BLOCK / 2 / THREADS pairs per step. */
const THREADS = 256;
const PAIRS_PER_THREAD = BLOCK / 2 / THREADS;

/**
 * Parameters of the segment sort: rows; valid elements per input row (`m`) and the input
 * row length (`inRow`); the segment length (a power of two), segments per row and in all;
 * pairs kept per segment and the output row length; x's offset and strides; the key flip.
 */
const SEGMENT_RECORD = UniformRecord.of('seg', [
  ['rows', 1], ['m', 1], ['inRow', 1], ['span', 1], ['segs', 1], ['total', 1], ['keep', 1], ['outRow', 1],
  ['xOffset', 1], ['xRow', 1], ['xStep', 1], ['flip', 1],
]);

/** Parameters of one global step over [rows, P] pairs: pairs in all, P / 2, the distance, flip or half-cleaner. */
const STEP_RECORD = UniformRecord.of('step', [['count', 1], ['half', 1], ['dist', 1], ['flip', 1]]);

/** Parameters of the final write: outputs, k, the pairs' row length, x's offset and strides. */
const EMIT_RECORD = UniformRecord.of('emit', [['count', 1], ['k', 1], ['inRow', 1], ['xOffset', 1], ['xRow', 1], ['xStep', 1]]);

const KEY_WGSL = /* wgsl */ `
fn key_of(b: u32, is_float: bool, flip: u32) -> u32 {
  var key: u32;
  if (!is_float) { key = b ^ 0x80000000u; }
  else if ((b & 0x7fffffffu) > 0x7f800000u) { key = 0xffffffffu; }
  else if (b == 0x80000000u) { key = 0x80000000u; }
  else if ((b & 0x80000000u) != 0u) { key = ~b; }
  else { key = b | 0x80000000u; }
  return key ^ flip;
}`;

/** Compare-exchange of workgroup slots i < j into ascending (key, position) order. */
const SHARED_WGSL = /* wgsl */ `
var<workgroup> sk: array<u32, ${BLOCK}>;
var<workgroup> sp: array<u32, ${BLOCK}>;
fn cmpx(i: u32, j: u32) {
  let ki = sk[i]; let kj = sk[j]; let pi_ = sp[i]; let pj = sp[j];
  if (ki > kj || (ki == kj && pi_ > pj)) { sk[i] = kj; sk[j] = ki; sp[i] = pj; sp[j] = pi_; }
}
// The pair t of a step at distance d: flip pairs mirror within blocks of 2d, half-cleaners pair i with i + d.
fn pair_of(t: u32, d: u32, flip: bool) -> vec2<u32> {
  let base = (t / d) * 2u * d;
  let o = t % d;
  if (flip) { return vec2<u32>(base + o, base + 2u * d - 1u - o); }
  return vec2<u32>(base + o, base + o + d);
}
fn shared_step(t: u32, d: u32, flip: bool) {
  for (var q = 0u; q < ${PAIRS_PER_THREAD}u; q++) {
    let p = pair_of(t + q * ${THREADS}u, d, flip);
    cmpx(p.x, p.y);
  }
  workgroupBarrier();
}`;

const WORKGROUP_ENTRY = `@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32)`;

/** Where a segment sort reads: x itself, or pairs of an earlier level. */
type Source = 'x' | 'pairs';
/** Where it writes: pairs for a later step, or the outputs. */
type Target = 'pairs' | 'emit';

function xBits(dtype: string): string {
  return dtype === 'float16' ? 'bitcast<u32>(f32(x[xi]))' : 'bitcast<u32>(x[xi])';
}

function segmentKernel(dtype: TensorView['dtype'], source: Source, target: Target): KernelSource {
  const t = storageType(dtype);
  const bindings: Binding[] = source === 'x' ? [{ name: 'x', type: t, write: false }] : [
    { name: 'inK', type: 'u32', write: false }, { name: 'inP', type: 'u32', write: false }, { name: 'x', type: t, write: false },
  ];
  bindings.push(...(target === 'pairs'
    ? [{ name: 'outK', type: 'u32', write: true }, { name: 'outP', type: 'u32', write: true }]
    : [{ name: 'values', type: t, write: true }, { name: 'indices', type: 'i32', write: true }]));
  const load = source === 'x'
    ? `let xi = seg_xOffset() + i32(row) * seg_xRow() + i32(p) * seg_xStep();
      sk[e] = key_of(${xBits(dtype)}, ${dtype !== 'int32'}, seg_flip_u());
      sp[e] = p;`
    : `let at = row * seg_inRow_u() + p;
      sk[e] = inK[at];
      sp[e] = inP[at];`;
  const write = target === 'pairs'
    ? `let at = row * seg_outRow_u() + c * seg_keep_u() + pos;
      outK[at] = sk[e];
      outP[at] = sp[e];`
    : `let at = row * seg_keep_u() + pos;
      let xi = seg_xOffset() + i32(row) * seg_xRow() + i32(sp[e]) * seg_xStep();
      values[at] = x[xi];
      indices[at] = i32(sp[e]);`;
  return {
    key: `sort:segments:${dtype}:${source}:${target}`,
    writes: bindings.map((b) => b.write),
    wgsl: () => `${headerWGSL(SEGMENT_RECORD, bindings)}
${KEY_WGSL}
${SHARED_WGSL}
${WORKGROUP_ENTRY} {
  let w = wid.x + wid.y * nwg.x;
  let span = seg_span_u();
  let perGroup = ${BLOCK}u / span;
  // Load: slot e holds element p of segment c of a row, or padding.
  for (var q = 0u; q < ${2 * PAIRS_PER_THREAD}u; q++) {
    let e = t + q * ${THREADS}u;
    let gs = w * perGroup + e / span;
    let pos = e % span;
    let row = gs / seg_segs_u();
    let c = gs % seg_segs_u();
    let p = c * span + pos;
    sk[e] = 0xffffffffu;
    sp[e] = 0xffffffffu;
    if (gs < seg_total_u() && p < seg_m_u()) {
      ${load}
    }
  }
  workgroupBarrier();
  // Sort every segment: for each stage, a flip step, then half-cleaners.
  for (var s = 2u; s <= span; s = s * 2u) {
    shared_step(t, s / 2u, true);
    for (var d = s / 4u; d >= 1u; d = d / 2u) { shared_step(t, d, false); }
  }
  for (var q = 0u; q < ${2 * PAIRS_PER_THREAD}u; q++) {
    let e = t + q * ${THREADS}u;
    let gs = w * perGroup + e / span;
    let pos = e % span;
    if (gs < seg_total_u() && pos < seg_keep_u()) {
      let row = gs / seg_segs_u();
      let c = gs % seg_segs_u();
      ${write}
    }
  }
}`,
  };
}

const STEP_KERNEL: KernelSource = {
  key: 'sort:step',
  writes: [true, true],
  wgsl: () => `${headerWGSL(STEP_RECORD, [{ name: 'K', type: 'u32', write: true }, { name: 'Q', type: 'u32', write: true }])}
${ENTRY_1D} {
  let g = ${FLAT_INDEX};
  if (g >= step_count_u()) { return; }
  let row = g / step_half_u();
  let t = g % step_half_u();
  let d = step_dist_u();
  let base = (t / d) * 2u * d;
  let o = t % d;
  var j = base + o + d;
  if (step_flip_u() != 0u) { j = base + 2u * d - 1u - o; }
  let i = row * step_half_u() * 2u + base + o;
  j = row * step_half_u() * 2u + j;
  let ki = K[i]; let kj = K[j]; let pi_ = Q[i]; let pj = Q[j];
  if (ki > kj || (ki == kj && pi_ > pj)) { K[i] = kj; K[j] = ki; Q[i] = pj; Q[j] = pi_; }
}`,
};

/** The half-cleaners of distance BLOCK / 2 down to 1 inside each block of pairs. */
const MERGE_RECORD = UniformRecord.of('merge', [['blocks', 1]]);
const MERGE_KERNEL: KernelSource = {
  key: 'sort:merge',
  writes: [true, true],
  wgsl: () => `${headerWGSL(MERGE_RECORD, [{ name: 'K', type: 'u32', write: true }, { name: 'Q', type: 'u32', write: true }])}
${SHARED_WGSL}
${WORKGROUP_ENTRY} {
  let w = wid.x + wid.y * nwg.x;
  let inside = w < merge_blocks_u();
  let base = w * ${BLOCK}u;
  for (var q = 0u; q < ${2 * PAIRS_PER_THREAD}u; q++) {
    let e = t + q * ${THREADS}u;
    if (inside) { sk[e] = K[base + e]; sp[e] = Q[base + e]; }
  }
  workgroupBarrier();
  for (var d = ${BLOCK / 2}u; d >= 1u; d = d / 2u) { shared_step(t, d, false); }
  for (var q = 0u; q < ${2 * PAIRS_PER_THREAD}u; q++) {
    let e = t + q * ${THREADS}u;
    if (inside) { K[base + e] = sk[e]; Q[base + e] = sp[e]; }
  }
}`,
};

function emitKernel(dtype: TensorView['dtype']): KernelSource {
  const t = storageType(dtype);
  return {
    key: `sort:emit:${dtype}`,
    writes: [false, false, true, true],
    wgsl: () => `${headerWGSL(EMIT_RECORD, [
      { name: 'x', type: t, write: false }, { name: 'Q', type: 'u32', write: false },
      { name: 'values', type: t, write: true }, { name: 'indices', type: 'i32', write: true },
    ])}
${ENTRY_1D} {
  let g = ${FLAT_INDEX};
  if (g >= emit_count_u()) { return; }
  let row = g / emit_k_u();
  let j = g % emit_k_u();
  let p = Q[row * emit_inRow_u() + j];
  values[g] = x[emit_xOffset() + i32(row) * emit_xRow() + i32(p) * emit_xStep()];
  indices[g] = i32(p);
}`,
  };
}

export function sort(rt: Runtime, x: TensorView, descending: boolean, values: TensorView, indices: TensorView): void {
  const [rows, n] = x.shape;
  const k = values.shape[1];
  if (sizeOf(values.shape) === 0) return;
  const plan = planBitonicSort(rows, n, k, BLOCK);
  const xb = gpuBufferOf(x.buffer).buffer;
  const out = [gpuBufferOf(values.buffer).buffer, gpuBufferOf(indices.buffer).buffer];
  const view = { xOffset: x.offset, xRow: x.strides[0], xStep: x.strides[1] };
  const scratch = plan.buffers.map((count) => [rt.alloc(count, 'int32'), rt.alloc(count, 'int32')]);
  const pairs = (i: number) => scratch[i].map((b) => b.buffer);
  try {
    for (const launch of plan.launches) {
      switch (launch.kind) {
        case 'segments': {
          const { from, to, total, perGroup } = launch;
          const params = SEGMENT_RECORD.pack({ ...launch, rows, outRow: launch.segs * launch.keep, ...view, flip: descending ? -1 : 0 });
          const kernel = segmentKernel(x.dtype, from === 'x' ? 'x' : 'pairs', to === 'out' ? 'emit' : 'pairs');
          const buffers = [...(from === 'x' ? [xb] : [...pairs(from), xb]), ...(to === 'out' ? out : pairs(to))];
          rt.dispatch(kernel, buffers, params, grid(Math.ceil(total / perGroup), 1));
          break;
        }
        case 'step': {
          const params = STEP_RECORD.pack({ count: launch.count, half: launch.rowLength / 2, dist: launch.dist, flip: launch.mirror ? 1 : 0 });
          rt.dispatch(STEP_KERNEL, pairs(launch.pairs), params, grid(launch.count, ELEMENT_WORKGROUP));
          break;
        }
        case 'merge':
          rt.dispatch(MERGE_KERNEL, pairs(launch.pairs), MERGE_RECORD.pack({ blocks: launch.blocks }), grid(launch.blocks, 1));
          break;
        case 'emit': {
          const params = EMIT_RECORD.pack({ count: launch.count, k: launch.k, inRow: launch.rowLength, ...view });
          rt.dispatch(emitKernel(x.dtype), [xb, pairs(launch.pairs)[1], ...out], params, grid(launch.count, ELEMENT_WORKGROUP));
          break;
        }
        default:
          launch satisfies never;
      }
    }
  } finally {
    // Work recorded later runs later: the pool may hand these out again at once.
    scratch.flat().forEach((b) => rt.free(b));
  }
}
