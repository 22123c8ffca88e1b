/**
 * Scans with PyTorch's names and rules: cumsum, cumprod, cummax, cummin, logcumsumexp. Each
 * runs the backend's optional `scan` kernel where it has one and a log-step (Hillis-Steele)
 * composite of pad, narrow and elementwise ops elsewhere; the gradient is core's either way,
 * written with differentiable ops so higher-order gradients come free.
 *
 * PyTorch returns int64 for integer (and bool) inputs; Tensile returns int32, so integer
 * sums and products wrap at 2^31.
 */
import { recordOp } from '../autograd/engine.js';
import { traceOp, withinOp } from '../autograd/trace.js';

import { owned } from '../memory.js';
import type { ScanOp } from '../backend/contract.js';
import { isFloating, type DType } from '../dtype.js';
import { formatShape, normalizeDim, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { arange, zeros, zerosLike } from './creation.js';
import { compositesForcedNow } from './elementwise.js';
import { flip } from './rearrange.js';
import { checkOptionKeys, describeValue, empty, requireTensor } from './util.js';
import { autocastActive, autocasting } from '../autocast.js';

/** Options of `cumsum` and `cumprod`. */
export interface CumulativeOptions {
  /** Cast the input to this dtype first (PyTorch's `dtype=`): 'float32' or 'int32'. */
  dtype?: DType;
}

/** What `cummax` and `cummin` return: the running extremes and their int32 positions along `dim`. */
export interface ScanResult {
  values: Tensor;
  indices: Tensor;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function checkDim(op: string, x: Tensor, dim: unknown): number {
  if (typeof dim !== 'number') {
    throw new TypeError(`${op}: dim must be an integer (PyTorch's dim is required), got ${describeValue(dim)}`);
  }
  return normalizeDim(dim, x.rank, op);
}

/** The padding list (PyTorch's, last dim first) that puts `count` entries before `axis`. */
function padBefore(rank: number, axis: number, count: number): number[] {
  const padding = new Array<number>(2 * (rank - axis)).fill(0);
  padding[2 * (rank - 1 - axis)] = count;
  return padding;
}

/**
 * The composite: ceil(log2 n) rounds of `y[i] = op(y[i - s], y[i])` for s = 1, 2, 4, ...,
 * the shifted operand a pad (with op's identity) of a narrow. Every output is a balanced
 * tree of its inputs, so float sums lose about log2(n) roundings, not n.
 */
function hillisSteele(op: ScanOp, x: Tensor, axis: number): { values: Tensor; indices: Tensor | null } {
  const n = x.shape[axis];
  const rank = x.rank;
  const int = x.dtype === 'int32';
  const identity = op === 'sum' ? 0 : op === 'prod' ? 1 : op === 'min' ? (int ? INT32_MAX : Infinity) : int ? INT32_MIN : -Infinity;
  const extreme = op === 'max' || op === 'min';
  return owned((own) => {
    let y = own(x.clone());
    let idx: Tensor | null = null;
    if (extreme) {
      const view = own(own(arange(0, n, 1, { dtype: 'int32', device: x.device })).reshape(x.shape.map((d, i) => (i === axis ? d : 1))));
      idx = own(own(zeros(x.shape, { dtype: 'int32', device: x.device })).add(view));
    }
    for (let s = 1; s < n; s *= 2) {
      const [next, nextIdx] = owned((t): [Tensor, Tensor | null] => {
        const shifted = t(t(y.narrow(axis, 0, n - s)).pad(padBefore(rank, axis, s), identity));
        if (op === 'sum') return [y.add(shifted), null];
        if (op === 'prod') return [y.mul(shifted), null];
        if (op === 'logsumexp') return [shifted.logaddexp(y), null];
        // The later operand wins ties and NaNs; an earlier NaN wins over a later number.
        const better = t(op === 'max' ? y.ge(shifted) : y.le(shifted));
        const take = int ? better : t(better.logicalOr(t(y.isnan())));
        const values = t(y.where(take, shifted));
        const idxShifted = t(t(idx!.narrow(axis, 0, n - s)).pad(padBefore(rank, axis, s), 0));
        return [values, idx!.where(take, idxShifted)];
      });
      // The previous round is freed as soon as the next exists (it is owned too, should a round throw).
      y.dispose();
      y = own(next);
      if (nextIdx) {
        idx!.dispose();
        idx = own(nextIdx);
      }
    }
    return { values: y, indices: idx };
  });
}

/** The public op of each scan, for errors. */
const SCAN_NAMES: Record<ScanOp, string> = { sum: 'cumsum', prod: 'cumprod', max: 'cummax', min: 'cummin', logsumexp: 'logcumsumexp' };

/** op along `axis` of float32 or int32 `x`, without recording: the kernel or the composite. */
function scanValues(op: ScanOp, x: Tensor, axis: number): { values: Tensor; indices: Tensor | null } {
  const name = SCAN_NAMES[op];
  return withinOp(() => {
    if (x.dtype === 'float16') {
      return owned((own) => {
        const r = scanValues(op, own(x.cast('float32')), axis);
        if (r.indices) own(r.indices); // returned: kept
        return { values: own(r.values).cast('float16'), indices: r.indices };
      });
    }
    if (x.rank === 0) {
      return owned((own) => {
        const r = scanValues(op, own(x.reshape([1])), 0);
        if (r.indices) own(r.indices);
        const values = own(own(r.values).reshape([]));
        return { values, indices: r.indices ? r.indices.reshape([]) : null };
      });
    }
    const backend = x.backend;
    const extreme = op === 'max' || op === 'min';
    if (sizeOf(x.shape) === 0) {
      return { values: empty(backend, x.shape, x.dtype, name), indices: extreme ? empty(backend, x.shape, 'int32', name) : null };
    }
    if (backend.scan && !compositesForcedNow()) {
      return owned((own) => {
        const values = own(empty(backend, x.shape, x.dtype, name));
        const indices = extreme ? own(empty(backend, x.shape, 'int32', name)) : null;
        backend.scan!(op, x.kernelView, axis, values.kernelView, indices?.kernelView);
        return { values, indices };
      });
    }
    return hillisSteele(op, x, axis);
  });
}

/** `x` as the dtype a cumsum/cumprod computes in: `dtype` if given, else bool as int32. */
function cumulativeInput(op: string, x: Tensor, options: CumulativeOptions | undefined): Tensor {
  checkOptionKeys(op, options, ['dtype']);
  const dtype = options?.dtype;
  if (dtype !== undefined) {
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'float16') {
      throw new TypeError(`${op}: dtype must be 'float32' or 'int32', got ${describeValue(dtype)}`);
    }
    return x.cast(dtype);
  }
  return x.dtype === 'bool' ? x.cast('int32') : x;
}

/** Apply `fn` to `x` as `op` computes it, disposing the cast (not `x`) afterwards. */
function withInput<R>(op: string, x: Tensor, options: CumulativeOptions | undefined, fn: (xc: Tensor) => R): R {
  return owned((own) => {
    const xc = cumulativeInput(op, x, options);
    return fn(xc === x ? x : own(xc));
  });
}

/** `flip(cumsum(flip(g)))`: the sums from each position to the end of its line. */
function reversedCumsum(g: Tensor, axis: number): Tensor {
  if (g.rank === 0) return cumsum(g, 0);
  return owned((own) => flip(own(cumsum(own(flip(g, axis)), axis)), axis));
}

/**
 * Running sums along `dim`: `out[i] = x[0] + ... + x[i]` (torch.cumsum). Bool inputs sum as
 * int32, and int inputs give int32 (PyTorch gives int64), so int sums wrap at 2^31;
 * `{ dtype }` casts the input first. The gradient is the reversed cumsum of the incoming one.
 *
 * @example
 * ```ts
 * tl.cumsum(tl.tensor([1, 2, 3]), 0); // [1, 3, 6]
 * tl.tensor([[1, 2], [3, 4]]).cumsum(-1, { dtype: 'int32' }); // [[1, 3], [3, 7]]
 * ```
 */
export function cumsum(x: Tensor, dim: number, options?: CumulativeOptions): Tensor {
  if (autocastActive()) return autocasting('cumsum', [x, dim, options], cumsum);
  requireTensor('cumsum', x);
  const axis = checkDim('cumsum', x, dim);
  return withInput('cumsum', x, options, (xc) => {
    const out = scanValues('sum', xc, axis).values;
    return recordOp('cumsum', [xc], out, [], (g) => [reversedCumsum(g, axis)], { attrs: { axis } });
  });
}

/**
 * Running products along `dim`: `out[i] = x[0] * ... * x[i]` (torch.cumprod). Bool inputs
 * multiply as int32 and int inputs give int32 (PyTorch: int64); `{ dtype }` casts first.
 * The gradient is PyTorch's, exact also where the input has zeros (no division by them).
 *
 * @example
 * ```ts
 * tl.cumprod(tl.tensor([1, 2, 3, 4]), 0); // [1, 2, 6, 24]
 * ```
 */
export function cumprod(x: Tensor, dim: number, options?: CumulativeOptions): Tensor {
  if (autocastActive()) return autocasting('cumprod', [x, dim, options], cumprod);
  requireTensor('cumprod', x);
  const axis = checkDim('cumprod', x, dim);
  return withInput('cumprod', x, options, (xc) => {
    const out = scanValues('prod', xc, axis).values;
    return recordOp('cumprod', [xc], out, [xc, out], (g, [input, y]) => [cumprodGrad(g, input, y, axis)], { attrs: { axis } });
  });
}

/**
 * d cumprod, without a division by zero and without reading values back:
 * before a line's first zero, `revcumsum(g * y) / x`; at the first zero, the reversed sum of
 * `g * cumprod(x with that zero set to 1)` over it and what follows; after it, zero.
 */
function cumprodGrad(g: Tensor, x: Tensor, y: Tensor, axis: number): Tensor {
  if (x.rank === 0 || x.shape[axis] <= 1) return g.mul(1);
  return owned((t) => {
    const zero = t(x.eq(0));
    const zerosSoFar = t(cumsum(zero, axis)); // int32
    const beforeZero = t(zerosSoFar.eq(0));
    const firstZero = t(zero.logicalAnd(t(zerosSoFar.eq(1))));
    const fromZero = t(beforeZero.logicalNot());
    const safe = t(x.where(beforeZero, 1));
    const before = t(t(reversedCumsum(t(g.mul(y)), axis)).div(safe));
    const ones = t(x.where(t(firstZero.logicalNot()), 1));
    const skipped = t(cumprod(ones, axis));
    const weighted = t(t(g.mul(skipped)).where(fromZero, 0));
    const atZero = t(reversedCumsum(weighted, axis));
    const zeros = t(zerosLike(x));
    return before.where(beforeZero, t(atZero.where(firstZero, zeros)));
  });
}

function extremeScan(op: 'cummax' | 'cummin', x: Tensor, dim: number): ScanResult {
  requireTensor(op, x);
  const axis = checkDim(op, x, dim);
  const kernelOp = op === 'cummax' ? 'max' : 'min';
  if (x.dtype === 'bool') {
    const result = withinOp(() => owned((own) => {
      const r = scanValues(kernelOp, own(x.cast('int32')), axis);
      const indices = own(r.indices!); // returned: kept
      return { values: own(r.values).cast('bool'), indices };
    }));
    traceOp(op, [x], [result.values, result.indices], { axis });
    return result;
  }
  const r = scanValues(kernelOp, x, axis);
  const indices = r.indices!;
  traceOp(op, [x], [r.values, indices], { axis }); // both results, for a trace
  // Each output's gradient goes to the input it copied: scatter-add along dim (as PyTorch).
  const values = recordOp(op, [x], r.values, [indices], (g, [idx]) => {
    if (x.rank === 0) return [g.mul(1)];
    return owned((own) => [own(zerosLike(g)).scatterAdd(axis, idx, g)]);
  }, { reported: true });
  return { values, indices };
}

/**
 * The running maximum along `dim` and where it was found (torch.cummax): `{ values, indices }`,
 * the indices int32 (PyTorch: int64). On ties the latest position wins, and a NaN stays the
 * maximum from where it appears (each later NaN taking over the index), as in PyTorch.
 * Bool inputs give bool values. The gradient flows to the positions in `indices`.
 *
 * @example
 * ```ts
 * const { values, indices } = tl.cummax(tl.tensor([1, 3, 2, 3]), 0);
 * // values [1, 3, 3, 3], indices [0, 1, 1, 3]
 * ```
 */
export function cummax(x: Tensor, dim: number): ScanResult {
  return extremeScan('cummax', x, dim);
}

/**
 * The running minimum along `dim` and where it was found (torch.cummin): `{ values, indices }`
 * with int32 indices (PyTorch: int64), the latest position on ties, NaN propagating.
 *
 * @example
 * ```ts
 * const { values, indices } = tl.tensor([3, 1, 2, 1]).cummin(0);
 * // values [3, 1, 1, 1], indices [0, 1, 1, 3]
 * ```
 */
export function cummin(x: Tensor, dim: number): ScanResult {
  return extremeScan('cummin', x, dim);
}

/**
 * `log(cumsum(exp(x)))` along `dim`, computed stably (torch.logcumsumexp): no overflow for
 * large inputs, and -Infinity entries are exact (they add nothing). Float only, as PyTorch.
 * The gradient is PyTorch's, except that -Infinity inputs get 0 where PyTorch gives NaN.
 *
 * @example
 * ```ts
 * tl.logcumsumexp(tl.tensor([0, 0, 1000]), 0); // [0, 0.6931, 1000]
 * ```
 */
export function logcumsumexp(x: Tensor, dim: number): Tensor {
  requireTensor('logcumsumexp', x);
  const axis = checkDim('logcumsumexp', x, dim);
  if (!isFloating(x.dtype)) {
    throw new TypeError(`logcumsumexp: expected a floating tensor, got ${x.dtype} of shape ${formatShape(x.shape)}; cast with t.float() first`);
  }
  const out = scanValues('logsumexp', x, axis).values;
  return recordOp('logcumsumexp', [x], out, [x, out], (g, [input, y]) => [logcumsumexpGrad(g, input, y, axis)], { attrs: { axis } });
}

/** `flip(logcumsumexp(flip(v)))`: the log-sum-exp from each position to the end of its line. */
function reversedLogcumsumexp(v: Tensor, axis: number): Tensor {
  if (v.rank === 0) return logcumsumexp(v, 0);
  return owned((own) => flip(own(logcumsumexp(own(flip(v, axis)), axis)), axis));
}

/**
 * PyTorch's logcumsumexp_backward: the positive and negative parts of g in log space,
 * `exp(revlogcumsumexp(log|g±| - y) + x)`, so no exponential overflows.
 */
function logcumsumexpGrad(g: Tensor, x: Tensor, y: Tensor, axis: number): Tensor {
  return owned((t) => {
    const lowest = -3.4028234663852886e38;
    const logAbs = t(t(g.abs()).log());
    const part = (mask: Tensor): Tensor => {
      const logPart = t(logAbs.where(mask, lowest));
      return t(t(t(reversedLogcumsumexp(t(logPart.sub(y)), axis)).add(x)).exp());
    };
    const positive = part(t(g.gt(0)));
    const negative = part(t(g.lt(0)));
    const grad = t(positive.sub(negative));
    // A -Infinity input adds nothing to any output: its gradient is 0 (PyTorch's formula gives NaN).
    return grad.where(t(x.ne(-Infinity)), 0);
  });
}
