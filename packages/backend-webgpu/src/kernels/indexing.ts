/**
 * gather and scatterAdd.
 *
 * scatterAdd is written as a gather, with no atomics (WGSL has no float atomics): each
 * thread owns one output element and walks the index line that can reach it, adding every
 * `src` entry whose index names it, in the index's order. The result is deterministic and
 * sums in the same order as the cpu backend; float16 sums in f32 and rounds once.
 */
import type { TensorView } from '@tensile/core';
import { sizeOf } from '@tensile/core';
import { gpuBufferOf, INDEX_ERROR_WGSL, INDEX_KERNEL_CODES, type KernelSource, type Runtime } from '../runtime.js';
import {
  ENTRY_1D, FLAT_INDEX, grid, headerWGSL, load, MAX_RANK, planWalk, storageType, store, UniformRecord, walkFields, walkValues, walkWGSL,
} from '../wgsl.js';

/**
 * Parameters of gather: elements, x's extent and stride along `dim`, and the walk over the
 * index's shape (index, x with `dim` pinned to stride 0, out).
 */
function gatherRecord(rank: number) {
  return UniformRecord.of('gather', [['count', 1], ['dimSize', 1], ['dimStride', 1], ...walkFields('walk', rank, 3)]);
}

/**
 * Parameters of scatterAdd: elements of `out`, the dim, the rank and the index's extent
 * along the dim; per dim (up to MAX_RANK, so one pipeline serves every rank): out's and the
 * index's shapes, the strides of index, src and out; and the three offsets.
 */
const SCATTER_RECORD = UniformRecord.of('scatter', [
  ['count', 1], ['dim', 1], ['rank', 1], ['indexExtent', 1],
  ['outShape', [MAX_RANK]], ['indexShape', [MAX_RANK]], ['indexStrides', [MAX_RANK]], ['srcStrides', [MAX_RANK]], ['outStrides', [MAX_RANK]],
  ['offsets', [3]],
]);

/** The error word a kernel that reads indices binds last (see Runtime.indexErrorWord). */
const ERROR_BINDING = { name: 'err', type: 'atomic<u32>', write: true } as const;

/** `values` padded with zeros to MAX_RANK entries. */
const perDim = (values: readonly number[]) => [...values, ...new Array<number>(MAX_RANK - values.length).fill(0)];

/** `out[p] = x[p with p[dim] replaced by index[p]]`; `out` has the index's shape. */
export function gather(rt: Runtime, x: TensorView, dim: number, index: TensorView, out: TensorView): void {
  const n = sizeOf(out.shape);
  if (n === 0) return;
  const pinned = { strides: x.strides.map((s, d) => (d === dim ? 0 : s)), offset: x.offset };
  const plan = planWalk('gather', index.shape, [index, pinned, out]);
  const rank = plan.shape.length;
  const record = gatherRecord(rank);
  const params = record.pack({ count: n, dimSize: x.shape[dim], dimStride: x.strides[dim], ...walkValues('walk', plan) });
  // A copy of stored elements: float16 moves as f16, unconverted.
  const t = storageType(x.dtype);
  const kernel: KernelSource = {
    key: `gather:${x.dtype}:r${rank}`,
    writes: [false, false, true, true],
    wgsl: () => `${headerWGSL(record, [{ name: 'x', type: t, write: false }, { name: 'index', type: 'i32', write: false }, { name: 'out', type: t, write: true }, ERROR_BINDING])}
${INDEX_ERROR_WGSL}
${ENTRY_1D} {
  let i = ${FLAT_INDEX};
  if (i >= gather_count_u()) { return; }
  ${walkWGSL(record, 'walk', 'i', ['io', 'xo', 'oo'])}
  let j = index[io];
  if (j < 0 || j >= gather_dimSize()) {
    report_bad_index(${INDEX_KERNEL_CODES.gather}u, j, gather_dimSize());
    out[oo] = ${t}(0);
    return;
  }
  out[oo] = x[xo + j * gather_dimStride()];
}`,
  };
  const buffers = [gpuBufferOf(x.buffer).buffer, gpuBufferOf(index.buffer).buffer, gpuBufferOf(out.buffer).buffer, rt.indexErrorWord()];
  rt.dispatch(kernel, buffers, params, grid(n));
}

/** `out[p with p[dim] replaced by index[p]] += src[p]` for every p in the index's shape. */
export function scatterAdd(rt: Runtime, dim: number, index: TensorView, src: TensorView, out: TensorView): void {
  const n = sizeOf(out.shape);
  if (n === 0 || sizeOf(index.shape) === 0) return;
  const rank = out.shape.length;
  if (rank > MAX_RANK) throw new Error(`webgpu backend: scatterAdd of rank ${rank} exceeds the supported ${MAX_RANK}`);
  const params = SCATTER_RECORD.pack({
    count: n, dim, rank, indexExtent: index.shape[dim],
    outShape: perDim(out.shape), indexShape: perDim(index.shape),
    indexStrides: perDim(index.strides), srcStrides: perDim(src.strides), outStrides: perDim(out.strides),
    offsets: [index.offset, src.offset, out.offset],
  });
  const t = storageType(out.dtype);
  const kernel: KernelSource = {
    key: `scatterAdd:${out.dtype}`,
    writes: [false, false, true, true],
    wgsl: () => `${headerWGSL(SCATTER_RECORD, [{ name: 'index', type: 'i32', write: false }, { name: 'src', type: t, write: false }, { name: 'out', type: t, write: true }, ERROR_BINDING])}
${INDEX_ERROR_WGSL}
${ENTRY_1D} {
  let e = ${FLAT_INDEX};
  if (e >= scatter_count_u()) { return; }
  let dim = scatter_dim();
  let R = scatter_rank_u();
  var rem = e;
  var io = scatter_offsets(0u); var so = scatter_offsets(1u); var oo = scatter_offsets(2u);
  var wanted = 0;
  var inside = true;
  for (var d = i32(R) - 1; d >= 0; d--) {
    let u = u32(d);
    let size = scatter_outShape_u(u);
    let c = rem % size;
    rem = rem / size;
    oo += i32(c) * scatter_outStrides(u);
    if (d == dim) { wanted = i32(c); continue; }
    if (c >= scatter_indexShape_u(u)) { inside = false; }
    io += i32(c) * scatter_indexStrides(u);
    so += i32(c) * scatter_srcStrides(u);
  }
  var acc = ${load(out.dtype, 'out[oo]')};
  if (inside) {
    let du = u32(dim);
    let size = scatter_outShape(du);
    let si = scatter_indexStrides(du);
    let ss = scatter_srcStrides(du);
    for (var k = 0; k < i32(scatter_indexExtent_u()); k++) {
      let j = index[io + k * si];
      if (j < 0 || j >= size) { report_bad_index(${INDEX_KERNEL_CODES.scatterAdd}u, j, size); }
      if (j == wanted) { acc += ${load(out.dtype, 'src[so + k * ss]')}; }
    }
  }
  out[oo] = ${store(out.dtype, 'acc')};
}`,
  };
  const buffers = [gpuBufferOf(index.buffer).buffer, gpuBufferOf(src.buffer).buffer, gpuBufferOf(out.buffer).buffer, rt.indexErrorWord()];
  rt.dispatch(kernel, buffers, params, grid(n));
}
