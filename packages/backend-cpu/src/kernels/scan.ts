/**
 * The optional scan kernel (cumsum, cumprod, cummax, cummin, logcumsumexp): one pass along
 * each line. Sums, products and log-sum-exps run in doubles and round on the store, as
 * PyTorch's cpu kernels accumulate; int32 products use Math.imul, int32 sums wrap on the store.
 */
import type { ScanOp, TensorView } from '@tensile/core';
import { dataOf, type HostArray } from '../buffer.js';
import { moveAxisLast, RowIterator } from '../strided.js';

/** Scan one line of `n` elements (x from ix step sx, out and indices from io step so). */
type ScanLine = (x: HostArray, ix: number, sx: number, o: HostArray, io: number, so: number, n: number, idx: Int32Array | null) => void;

/** PyTorch's log_add_exp: equal infinities give themselves, NaN propagates. */
function logAddExp(a: number, b: number): number {
  const lo = b !== b ? b : Math.min(a, b);
  const hi = b !== b ? b : Math.max(a, b);
  if (lo !== hi || Number.isFinite(lo)) return Math.log1p(Math.exp(lo - hi)) + hi;
  return a;
}

function lineKernel(op: ScanOp, int: boolean): ScanLine {
  switch (op) {
    case 'sum':
      return (x, ix, sx, o, io, so, n) => {
        let acc = 0;
        if (sx === 1 && so === 1) {
          for (const end = ix + n; ix < end; ix++, io++) { acc += x[ix]; o[io] = acc; }
          return;
        }
        for (let i = 0; i < n; i++, ix += sx, io += so) { acc += x[ix]; o[io] = acc; }
      };
    case 'prod':
      return int
        ? (x, ix, sx, o, io, so, n) => { let acc = 1; for (let i = 0; i < n; i++, ix += sx, io += so) { acc = Math.imul(acc, x[ix]); o[io] = acc; } }
        : (x, ix, sx, o, io, so, n) => { let acc = 1; for (let i = 0; i < n; i++, ix += sx, io += so) { acc *= x[ix]; o[io] = acc; } };
    case 'logsumexp':
      return (x, ix, sx, o, io, so, n) => {
        let acc = -Infinity;
        for (let i = 0; i < n; i++, ix += sx, io += so) { acc = logAddExp(x[ix], acc); o[io] = acc; }
      };
    case 'max':
    case 'min': {
      const max = op === 'max';
      // PyTorch's rule: a NaN always takes over; otherwise the later value wins ties.
      return (x, ix, sx, o, io, so, n, idx) => {
        let best = x[ix];
        let at = 0;
        for (let i = 0; i < n; i++, ix += sx, io += so) {
          const v = x[ix];
          if (v !== v || (best === best && (max ? v >= best : v <= best))) { best = v; at = i; }
          o[io] = best;
          idx![io] = at;
        }
      };
    }
    default:
      throw new Error(`cpu backend: scan has no op '${op satisfies never}'`);
  }
}

/** `op` along `axis` of `x` into contiguous `out` (and `indices` for max and min). */
export function scan(op: ScanOp, x: TensorView, axis: number, out: TensorView, indices?: TensorView): void {
  if ((op === 'max' || op === 'min') && !indices) throw new Error(`cpu backend: scan '${op}' needs an indices view`);
  const xd = dataOf(x);
  const od = dataOf(out);
  const id = indices ? (dataOf(indices) as Int32Array) : null;
  const line = lineKernel(op, x.dtype === 'int32');
  const xs = moveAxisLast(x, axis);
  const os = moveAxisLast(out, axis);
  // indices share out's (contiguous) layout, so one offset serves both.
  const it = new RowIterator(xs.shape.slice(0, -1), [xs.strides.slice(0, -1), os.strides.slice(0, -1)], [x.offset, out.offset]);
  const n = xs.shape[xs.shape.length - 1];
  if (n === 0) return;
  const sx = xs.strides[xs.strides.length - 1];
  const so = os.strides[os.strides.length - 1];
  const [sxOuter, soOuter] = it.innerStrides;
  for (let r = 0; r < it.rows; r++, it.next()) {
    let ix = it.offsets[0], io = it.offsets[1];
    for (let k = 0; k < it.rowLength; k++, ix += sxOuter, io += soOuter) line(xd, ix, sx, od, io, so, n, id);
  }
}
