/**
 * Reductions and statistics built from the reduce kernels: all/any, counts, NaN-ignoring
 * sums and means, amax/amin, variance with its mean, covariance, differences, histograms.
 */
import { formatShape } from '../shape.js';
import type { BoolTensor, Tensor } from '../tensor/tensor.js';
import { owned } from '../memory.js';
import { isFloating } from '../dtype.js';
import { max, mean, min, sum, variance } from './reduce.js';
import { cat } from './shape.js';
import { eye, full, zeros } from './creation.js';
import { reductionAxes, requireTensor } from './util.js';
import { autocastActive, autocasting } from '../autocast.js';

/**
 * Whether every element is true (non-zero; NaN counts as true), over `dim` or all dims, as bool.
 *
 * @example
 * ```ts
 * tl.all(x.gt(0)); // a 0-d bool
 * ```
 */
export function all(x: Tensor, dim?: number | number[], keepdim = false): BoolTensor {
  requireTensor('all', x);
  reductionAxes('all', x.rank, dim);
  return owned((t) => t(t(t(x.cast('bool')).logicalNot()).sum(dim, keepdim)).eq(0));
}

/** Whether any element is true (non-zero), over `dim` or all dims, as bool. */
export function any(x: Tensor, dim?: number | number[], keepdim = false): BoolTensor {
  requireTensor('any', x);
  reductionAxes('any', x.rank, dim);
  return owned((t) => t(t(x.cast('bool')).sum(dim, keepdim)).gt(0));
}

/** The number of non-zero elements over `dim` (all dims when omitted), as int32. */
export function countNonzero(x: Tensor, dim?: number | number[]): Tensor {
  requireTensor('countNonzero', x);
  return owned((t) => t(x.ne(0)).sum(dim));
}

/** The largest value over `dim` (PyTorch's amax; all dims when omitted). */
export function amax(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  return max(x, dim, keepdim);
}

/** The smallest value over `dim` (PyTorch's amin; all dims when omitted). */
export function amin(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  return min(x, dim, keepdim);
}

/**
 * The smallest and largest values over `dim` (all dims when omitted) at once.
 *
 * @example
 * ```ts
 * const { min, max } = tl.aminmax(x, { dim: 1 });
 * ```
 */
export function aminmax(x: Tensor, options: { dim?: number; keepdim?: boolean } = {}): { min: Tensor; max: Tensor } {
  return owned((own) => ({ min: own(min(x, options.dim, options.keepdim ?? false)), max: max(x, options.dim, options.keepdim ?? false) }));
}

/** The sum over `dim` with NaN counted as zero. */
export function nansum(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  if (autocastActive()) return autocasting('nansum', [x, dim, keepdim], nansum);
  requireTensor('nansum', x);
  if (!isFloating(x.dtype)) return sum(x, dim, keepdim);
  return owned((t) => t(x.where(t(x.eq(x)), 0)).sum(dim, keepdim));
}

/** The mean over `dim` of the elements that are not NaN (NaN where all are). */
export function nanmean(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  requireTensor('nanmean', x);
  if (!isFloating(x.dtype)) throw new TypeError(`nanmean: expected a floating tensor, got ${x.dtype}; cast with t.float() first`);
  return owned((t) => {
    const present = t(x.eq(x));
    return t(t(x.where(present, 0)).sum(dim, keepdim)).div(t(t(present.sum(dim, keepdim)).cast(x.dtype)));
  });
}

/** Options of var/std and their `*Mean` forms. */
export interface VarianceOptions {
  /** Subtracted from the element count in the divisor (default 1: unbiased, as PyTorch). */
  correction?: number;
  keepdim?: boolean;
}

/** The variance and the mean over `dim` at once (PyTorch's var_mean), as `[var, mean]`. */
export function varMean(x: Tensor, dim?: number | number[], options: VarianceOptions = {}): [Tensor, Tensor] {
  return owned((own) => [own(variance(x, dim, options.keepdim ?? false, options.correction ?? 1)), mean(x, dim, options.keepdim ?? false)]);
}

/** The standard deviation and the mean over `dim` at once (PyTorch's std_mean), as `[std, mean]`. */
export function stdMean(x: Tensor, dim?: number | number[], options: VarianceOptions = {}): [Tensor, Tensor] {
  return owned((own) => {
    const [v, m] = varMean(x, dim, options).map(own);
    return [v.sqrt(), m];
  });
}

/** Options of {@link cov}. */
export interface CovOptions {
  /** Subtracted from the (weighted) count in the divisor (default 1). */
  correction?: number;
  /** Integer frequency weights, one per observation. */
  fweights?: Tensor | null;
  /** Observation weights, one per observation. */
  aweights?: Tensor | null;
}

/**
 * The covariance matrix of the variables in the rows of `x` (observations in its columns),
 * as torch.cov; a 1-D `x` is one variable.
 *
 * @example
 * ```ts
 * tl.cov(tl.stack([heights, weights]));
 * ```
 */
export function cov(x: Tensor, options: CovOptions = {}): Tensor {
  requireTensor('cov', x);
  if (x.rank > 2) throw new Error(`cov: expected a 1-D or 2-D input (variables x observations), got ${formatShape(x.shape)}`);
  const { correction = 1, fweights = null, aweights = null } = options;
  return owned((t) => {
    const m = x.rank < 2 ? t(x.reshape([1, -1])) : x;
    const data = isFloating(m.dtype) ? m : t(m.float());
    const n = data.shape[1];
    let w: Tensor | null = null;
    for (const [name, weights] of [['fweights', fweights], ['aweights', aweights]] as const) {
      if (!weights) continue;
      if (weights.rank !== 1 || weights.shape[0] !== n) {
        throw new Error(`cov: ${name} must be 1-D with one weight per observation (${n}), got ${formatShape(weights.shape)}`);
      }
      const wf = t(weights.cast(data.dtype));
      w = w ? t(w.mul(wf)) : wf;
    }
    const weights = w ?? t(full([n], 1, { dtype: data.dtype, device: data.device }));
    const total = t(weights.sum());
    const average = t(t(t(data.mul(weights)).sum(1, true)).div(total));
    // PyTorch's divisor: sum(w) - correction * sum(w * aweights) / sum(w) with aweights, else sum(w) - correction.
    const divisor = aweights
      ? t(total.sub(t(t(t(t(weights.mul(t(aweights.cast(data.dtype)))).sum()).div(total)).mul(correction))))
      : t(total.sub(correction));
    const centred = t(data.sub(average));
    const product = t(t(centred.mul(weights)).matmul(t(centred.transpose(0, 1))));
    const c = t(product.div(t(divisor.clamp(0))));
    return x.rank < 2 ? c.reshape([]) : c.internalAlias(false);
  });
}

/** The Pearson correlation matrix of the rows of `x` (cov normalised by the standard deviations). */
export function corrcoef(x: Tensor): Tensor {
  return owned((t) => {
    const c = t(cov(x));
    if (c.rank === 0) return c.div(c);
    const n = c.shape[0];
    const d = t(t(t(c.mul(t(eye(n, n, { dtype: c.dtype, device: c.device })))).sum(1)).sqrt());
    return t(t(c.div(t(d.reshape([-1, 1])))).div(t(d.reshape([1, -1])))).clamp(-1, 1);
  });
}

/** Options of {@link diff}. */
export interface DiffOptions {
  /** Values joined before `x` along `dim` first. */
  prepend?: Tensor | null;
  /** Values joined after `x` along `dim` first. */
  append?: Tensor | null;
}

/**
 * The `n`-th forward difference along `dim` (default the last): `x[i + 1] - x[i]`; bool
 * inputs give `x[i + 1] != x[i]`, as PyTorch.
 *
 * @example
 * ```ts
 * tl.diff(tl.tensor([1, 4, 9, 16])); // [3, 5, 7]
 * ```
 */
export function diff(x: Tensor, n = 1, dim = -1, options: DiffOptions = {}): Tensor {
  requireTensor('diff', x);
  if (x.rank === 0) throw new Error('diff: expected a tensor of at least one dim, got a 0-d tensor');
  if (!Number.isInteger(n) || n < 0) throw new Error(`diff: n must be a non-negative integer, got ${n}`);
  return owned((t) => {
    const parts = [options.prepend, x, options.append].filter((p): p is Tensor => !!p);
    let current = parts.length > 1 ? t(cat(parts, dim)) : x;
    for (let i = 0; i < n; i++) {
      const length = current.shape[(dim + current.rank) % current.rank];
      if (length === 0) break;
      const after = t(current.narrow(dim, 1, length - 1));
      const before = t(current.narrow(dim, 0, length - 1));
      current = t(current.dtype === 'bool' ? after.ne(before) : after.sub(before));
    }
    return current.internalAlias(false);
  });
}

/**
 * A histogram of `x` in `bins` equal bins over [min, max] (the data's range when both are 0),
 * as float; values outside are ignored, as torch.histc.
 */
export function histc(x: Tensor, bins = 100, min_ = 0, max_ = 0): Tensor {
  requireTensor('histc', x);
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`histc: bins must be a positive integer, got ${bins}`);
  if (!isFloating(x.dtype)) throw new TypeError(`histc: expected a floating tensor, got ${x.dtype}`);
  return owned((t) => {
    const flat = t(x.reshape([-1]));
    let lo: Tensor;
    let hi: Tensor;
    if (min_ === 0 && max_ === 0 && flat.size > 0) {
      lo = t(min(flat));
      hi = t(max(flat));
    } else {
      if (min_ > max_) throw new Error(`histc: max (${max_}) must not be below min (${min_})`);
      lo = t(full([], min_, { dtype: x.dtype, device: x.device }));
      hi = t(full([], max_, { dtype: x.dtype, device: x.device }));
    }
    // An empty range widens by one on each side, as PyTorch.
    const same = t(lo.eq(hi));
    lo = t(lo.where(t(same.logicalNot()), t(lo.sub(1))));
    hi = t(hi.where(t(same.logicalNot()), t(hi.add(1))));
    const inside = t(t(flat.ge(lo)).logicalAnd(t(flat.le(hi))));
    const position = t(t(t(t(flat.sub(lo)).div(t(hi.sub(lo)))).mul(bins)).floor());
    // The top edge belongs to the last bin.
    const bin = t(t(t(position.clamp(0, bins - 1)).where(inside, 0)).int());
    const counts = t(zeros([bins], { dtype: x.dtype, device: x.device }));
    return counts.scatterAdd(0, bin, t(inside.cast(x.dtype)));
  });
}

/** Checks shared by bincount's forms: 1-D non-negative int32 `x`, weights of its length. */
function checkBincount(x: Tensor, weights: Tensor | null | undefined, minlength: number): void {
  requireTensor('bincount', x);
  if (x.rank !== 1 || x.dtype !== 'int32') {
    throw new TypeError(`bincount: expected a 1-D int32 tensor of non-negative values, got ${formatShape(x.shape)} ${x.dtype}`);
  }
  if (weights && (weights.rank !== 1 || weights.shape[0] !== x.shape[0])) {
    throw new Error(`bincount: weights must have the input's shape ${formatShape(x.shape)}, got ${formatShape(weights.shape)}`);
  }
  if (!Number.isInteger(minlength) || minlength < 0) throw new Error(`bincount: minlength must be a non-negative integer, got ${minlength}`);
}

/** The counts (or weight sums) of `x`'s values, once their largest value is known. */
function bincountOf(x: Tensor, weights: Tensor | null | undefined, minlength: number, largest: number, smallest: number): Tensor {
  if (smallest < 0) throw new Error(`bincount: values must be non-negative, got ${smallest}`);
  const size = Math.max(minlength, x.size === 0 ? 0 : largest + 1);
  const dtype = weights ? (isFloating(weights.dtype) ? weights.dtype : 'float32') : 'int32';
  return owned((t) => {
    const counts = t(zeros([size], { dtype, device: x.device }));
    const src = weights ? (weights.dtype === dtype ? weights : t(weights.cast(dtype))) : t(full(x.shape, 1, { dtype, device: x.device }));
    return counts.scatterAdd(0, x, src);
  });
}

/**
 * How often each value 0..max(x) occurs in the 1-D int32 `x` (or the sum of `weights` at
 * them), at least `minlength` long. Asynchronous: the output's length depends on the values.
 *
 * @example
 * ```ts
 * await tl.bincount(tl.tensor([0, 2, 2, 5], { dtype: 'int32' })); // [1, 0, 2, 0, 0, 1]
 * ```
 */
export async function bincount(x: Tensor, weights?: Tensor | null, minlength = 0): Promise<Tensor> {
  checkBincount(x, weights, minlength);
  const [largest, smallest] = x.size === 0 ? [0, 0] : await Promise.all([readOne(max(x)), readOne(min(x))]);
  return bincountOf(x, weights, minlength, largest, smallest);
}

/** {@link bincount} on backends that read synchronously. */
export function bincountSync(x: Tensor, weights?: Tensor | null, minlength = 0): Tensor {
  checkBincount(x, weights, minlength);
  const [largest, smallest] = x.size === 0 ? [0, 0] : [readOneSync(max(x)), readOneSync(min(x))];
  return bincountOf(x, weights, minlength, largest, smallest);
}

async function readOne(t: Tensor): Promise<number> {
  try {
    return Number(await t.item());
  } finally {
    t.dispose();
  }
}

function readOneSync(t: Tensor): number {
  return owned((own) => Number(own(t).itemSync()));
}
