/**
 * Reductions: sum/prod/max/min over any set of axes, argmax/argmin along one axis, and the
 * fused softmax/logSoftmax.
 *
 * Sums and products accumulate in doubles (JavaScript numbers) and round once on the store,
 * so float32 results are at least as accurate as PyTorch's; int32 sums stay exact up to 2^53
 * before the store wraps them like int32 arithmetic. max/min propagate NaN.
 */
import { planReduce, reduceFacts, sizeOf, type ArgReduceOp, type ReduceOp, type TensorView } from '@tensile/core';
import { dataOf, type HostArray } from '../buffer.js';
import { moveAxisLast, RowIterator } from '../strided.js';
import { cached } from './cached.js';

/** Fold one strided row into a running value. */
type FoldRow = (acc: number, x: HostArray, ix: number, sx: number, n: number) => number;
/** Fold one strided row elementwise into a row of accumulators. */
type AccumulateRow = (acc: Float64Array, ia: number, sa: number, x: HostArray, ix: number, sx: number, n: number) => void;

const foldRow = cached((key: `${ReduceOp}:${'int' | 'float'}`): FoldRow => {
  const [op, kind] = key.split(':') as [ReduceOp, 'int' | 'float'];
  const intProduct = kind === 'int';
  switch (op) {
    case 'sum':
      return (acc, x, ix, sx, n) => { for (let i = 0; i < n; i++, ix += sx) acc += x[ix]; return acc; };
    case 'prod':
      return intProduct
        ? (acc, x, ix, sx, n) => { for (let i = 0; i < n; i++, ix += sx) acc = Math.imul(acc, x[ix]); return acc; }
        : (acc, x, ix, sx, n) => { for (let i = 0; i < n; i++, ix += sx) acc *= x[ix]; return acc; };
    // One comparison per element: `!(v <= acc)` holds for a larger v and for NaN, and a NaN
    // result is final, so the fold stops there.
    case 'max':
      return (acc, x, ix, sx, n) => {
        if (acc !== acc || n === 0) return acc;
        if (sx === 0) return x[ix] <= acc ? acc : x[ix]; // a broadcast row repeats one value
        // An end index rather than a counter: one induction variable, measured ~25% faster.
        for (const end = ix + n * sx; ix !== end; ix += sx) { const v = x[ix]; if (!(v <= acc)) { if (v !== v) return v; acc = v; } }
        return acc;
      };
    case 'min':
      return (acc, x, ix, sx, n) => {
        if (acc !== acc || n === 0) return acc;
        if (sx === 0) return x[ix] >= acc ? acc : x[ix];
        for (const end = ix + n * sx; ix !== end; ix += sx) { const v = x[ix]; if (!(v >= acc)) { if (v !== v) return v; acc = v; } }
        return acc;
      };
    default:
      throw new Error(`cpu backend: unknown reduce op '${op satisfies never}'`);
  }
});

const accumulateRow = cached((key: `${ReduceOp}:${'int' | 'float'}`): AccumulateRow => {
  const [op, kind] = key.split(':') as [ReduceOp, 'int' | 'float'];
  const intProduct = kind === 'int';
  switch (op) {
    case 'sum':
      return (acc, ia, sa, x, ix, sx, n) => { for (let i = 0; i < n; i++, ia += sa, ix += sx) acc[ia] += x[ix]; };
    case 'prod':
      return intProduct
        ? (acc, ia, sa, x, ix, sx, n) => { for (let i = 0; i < n; i++, ia += sa, ix += sx) acc[ia] = Math.imul(acc[ia], x[ix]); }
        : (acc, ia, sa, x, ix, sx, n) => { for (let i = 0; i < n; i++, ia += sa, ix += sx) acc[ia] *= x[ix]; };
    // As foldRow: one comparison per element; an accumulator that holds NaN keeps it.
    case 'max':
      return (acc, ia, sa, x, ix, sx, n) => {
        for (let i = 0; i < n; i++, ia += sa, ix += sx) { const v = x[ix], a = acc[ia]; if (!(v <= a) && a === a) acc[ia] = v; }
      };
    case 'min':
      return (acc, ia, sa, x, ix, sx, n) => {
        for (let i = 0; i < n; i++, ia += sa, ix += sx) { const v = x[ix], a = acc[ia]; if (!(v >= a) && a === a) acc[ia] = v; }
      };
    default:
      throw new Error(`cpu backend: unknown reduce op '${op satisfies never}'`);
  }
});

/** Reduce `x` over the sorted, unique `axes`; `out` keeps them as size-1 dims. */
export function reduce(op: ReduceOp, x: TensorView, axes: readonly number[], out: TensorView): void {
  const xd = dataOf(x);
  const od = dataOf(out);
  const rank = x.shape.length;
  const reduced = new Array<boolean>(rank).fill(false);
  for (const axis of axes) reduced[axis] = true;
  const intProduct = x.dtype !== 'float32';
  const outCount = sizeOf(out.shape);
  if (outCount === 0) return;

  const plan = planReduce(x, axes, out);
  const start = reduceFacts(op).identity;
  if (plan.innerSize === 0) {
    fillView(od, out, start);
    return;
  }

  // Innermost dim reduced: each output is a fold over contiguous-ish rows, in a local.
  // Innermost dim kept: sweep x row by row into a row of accumulators instead, so the
  // memory walk follows x rather than jumping by the reduced stride.
  let innermost = rank - 1;
  while (innermost > 0 && x.shape[innermost] === 1) innermost--;
  if (rank === 0 || reduced[innermost]) {
    const fold = foldRow(`${op}:${intProduct ? 'int' : 'float'}`);
    const outer = new RowIterator(plan.outer.shape, [plan.outer.x, plan.outer.out], [x.offset, out.offset]);
    const inner = new RowIterator(plan.inner.shape, [plan.inner.x], [0]);
    const [sxOuter, soOuter] = outer.innerStrides;
    const sx = inner.innerStrides[0];
    const base = [0]; // reused so the per-output reset allocates nothing
    for (let r = 0; r < outer.rows; r++, outer.next()) {
      let ixBase = outer.offsets[0], io = outer.offsets[1];
      for (let k = 0; k < outer.rowLength; k++, ixBase += sxOuter, io += soOuter) {
        base[0] = ixBase;
        inner.reset(base);
        let acc = start;
        for (let q = 0; q < inner.rows; q++, inner.next()) acc = fold(acc, xd, inner.offsets[0], sx, inner.rowLength);
        od[io] = acc;
      }
    }
    return;
  }

  const acc = new Float64Array(outCount).fill(start);
  // acc is laid out row-major over the kept dims; reduced dims step 0 in it.
  const accStrides = new Array<number>(rank).fill(0);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    if (!reduced[d]) {
      accStrides[d] = s;
      s *= x.shape[d];
    }
  }
  const accumulate = accumulateRow(`${op}:${intProduct ? 'int' : 'float'}`);
  const it = new RowIterator(x.shape, [accStrides, x.strides], [0, x.offset]);
  const [sa, sx] = it.innerStrides;
  for (let r = 0; r < it.rows; r++, it.next()) accumulate(acc, it.offsets[0], sa, xd, it.offsets[1], sx, it.rowLength);
  const write = new RowIterator(plan.outer.shape, [plan.outer.out], [out.offset]);
  const so = write.innerStrides[0];
  let ia = 0;
  for (let r = 0; r < write.rows; r++, write.next()) {
    for (let k = 0, io = write.offsets[0]; k < write.rowLength; k++, io += so) od[io] = acc[ia++];
  }
}

function fillView(od: HostArray, out: TensorView, value: number): void {
  const it = new RowIterator(out.shape, [out.strides], [out.offset]);
  const so = it.innerStrides[0];
  for (let r = 0; r < it.rows; r++, it.next()) {
    for (let k = 0, io = it.offsets[0]; k < it.rowLength; k++, io += so) od[io] = value;
  }
}

/**
 * Walk every line of `x` along `axis`: `visit(xBase, xStride, outBase, outStride, length)`
 * runs once per line (not per element), with `out` viewed the same way.
 */
function forEachLine(
  x: TensorView,
  out: TensorView,
  axis: number,
  outAlongAxis: boolean,
  visit: (ix: number, sx: number, io: number, so: number, n: number) => void,
): void {
  const xs = moveAxisLast(x, axis);
  const os = moveAxisLast(out, axis);
  const outerShape = xs.shape.slice(0, -1);
  const it = new RowIterator(outerShape, [xs.strides.slice(0, -1), os.strides.slice(0, -1)], [x.offset, out.offset]);
  const n = xs.shape[xs.shape.length - 1];
  const sx = xs.strides[xs.strides.length - 1];
  const so = outAlongAxis ? os.strides[os.strides.length - 1] : 0;
  const [sxOuter, soOuter] = it.innerStrides;
  for (let r = 0; r < it.rows; r++, it.next()) {
    let ix = it.offsets[0], io = it.offsets[1];
    for (let k = 0; k < it.rowLength; k++, ix += sxOuter, io += soOuter) visit(ix, sx, io, so, n);
  }
}

/** First index of the extreme value along `axis`; a NaN counts as the extreme (as PyTorch). */
export function argReduce(op: ArgReduceOp, x: TensorView, axis: number, out: TensorView): void {
  const xd = dataOf(x);
  const od = dataOf(out);
  const wantMax = op === 'argmax';
  forEachLine(x, out, axis, false, (ix, sx, io, _so, n) => {
    let best = 0;
    let bestValue = n > 0 ? xd[ix] : 0;
    if (bestValue === bestValue) {
      for (let i = 1, j = ix + sx; i < n; i++, j += sx) {
        const v = xd[j];
        if (v !== v) {
          best = i;
          break;
        }
        if (wantMax ? v > bestValue : v < bestValue) {
          best = i;
          bestValue = v;
        }
      }
    }
    od[io] = best;
  });
}

/** Softmax along `axis`, shifted by the line's maximum so exp never overflows. */
export function softmax(x: TensorView, axis: number, out: TensorView): void {
  const xd = dataOf(x);
  const od = dataOf(out);
  forEachLine(x, out, axis, true, (ix, sx, io, so, n) => {
    const max = lineMax(xd, ix, sx, n);
    let sum = 0;
    for (let i = 0, j = ix, o = io; i < n; i++, j += sx, o += so) {
      const e = Math.exp(xd[j] - max);
      od[o] = e;
      sum += e;
    }
    // Reuse the stored exponentials rather than computing each one twice.
    for (let i = 0, o = io; i < n; i++, o += so) od[o] /= sum;
  });
}

/** log(softmax(x)) as x - max - log(sum(exp(x - max))): exact where softmax underflows. */
export function logSoftmax(x: TensorView, axis: number, out: TensorView): void {
  const xd = dataOf(x);
  const od = dataOf(out);
  forEachLine(x, out, axis, true, (ix, sx, io, so, n) => {
    const max = lineMax(xd, ix, sx, n);
    let sum = 0;
    for (let i = 0, j = ix; i < n; i++, j += sx) sum += Math.exp(xd[j] - max);
    const shift = max + Math.log(sum);
    for (let i = 0, j = ix, o = io; i < n; i++, j += sx, o += so) od[o] = xd[j] - shift;
  });
}

function lineMax(xd: HostArray, ix: number, sx: number, n: number): number {
  let max = -Infinity;
  for (let i = 0, j = ix; i < n; i++, j += sx) {
    const v = xd[j];
    if (v > max || v !== v) max = v;
  }
  return max;
}
