/** Reductions (`sum`, `mean`, `max`, ...), each with its gradient. */
import { recordOp } from '../autograd/engine.js';
import { traceOp, withinOp } from '../autograd/trace.js';
import { owned, tidy } from '../memory.js';

import { reduceFacts, ruleFor, type ArgReduceOp, type ReduceOp } from '../backend/op-table.js';
import { castTarget, refusal } from './elementwise.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, reductionAxes } from './util.js';
import { isFloating } from '../dtype.js';
import { autocastActive, autocasting } from '../autocast.js';

/** The shape after reducing `axes`, with or without the reduced dims kept as 1. */
function reducedShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdim) out.push(1);
  });
  return out;
}

/**
 * Run a reduce kernel under the op table's dtype rules (bools count in int32) and drop the
 * reduced dims unless `keepdim` (no recording).
 */
function reduceKernel(op: ReduceOp, x: Tensor, axes: number[], keepdim: boolean): Tensor {
  const rule = ruleFor(reduceFacts(op), x.dtype);
  if (rule === 'refuse') throw refusal(op, x.dtype, 'one');
  const target = castTarget(rule);
  return owned((own) => {
    const input = target ? own(x.cast(target)) : x;
    const kept = own(empty(input.backend, reducedShape(x.shape, axes, true), input.dtype, op)); // returned when keepdim
    input.backend.reduce(op, input.kernelView, axes, kept.kernelView);
    return keepdim ? kept : kept.reshape(reducedShape(x.shape, axes, false));
  });
}

/** `g` (reduced over `axes`) broadcast back to `shape`. */
function expandBack(g: Tensor, shape: readonly number[], axes: number[], keepdim: boolean): Tensor {
  return owned((own) => own(keepdim ? g.internalAlias(false) : g.reshape(reducedShape(shape, axes, true))).expand(shape));
}

/**
 * Sum over `dim` (all dims when omitted). Integers and bools sum to int32.
 *
 * @example
 * ```ts
 * tl.tensor([[1, 2], [3, 4]]).sum(0);       // [4, 6]
 * tl.tensor([[1, 2], [3, 4]]).sum(-1, true); // [[3], [7]]
 * ```
 */
export function sum(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  if (autocastActive()) return autocasting('sum', [x, dim, keepdim], sum);
  const axes = reductionAxes('sum', x.rank, dim);
  const out = reduceKernel('sum', x, axes, keepdim);
  const shape = x.shape;
  return recordOp('sum', [x], out, [], (g) => [expandBack(g, shape, axes, keepdim)], { attrs: { axes, keepdim } });
}

/** Mean over `dim` (all dims when omitted); floating tensors only, as PyTorch. */
export function mean(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  if (!isFloating(x.dtype)) throw new Error(`mean: expected a floating tensor, got ${x.dtype}; cast with t.float() first`);
  const axes = reductionAxes('mean', x.rank, dim);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  const out = owned((own) => own(sum(x, axes, keepdim)).div(count));
  // One op to a trace, so an exported graph counts the elements at run time (ReduceMean).
  traceOp('mean', [x], [out], { axes, keepdim });
  return out;
}

/**
 * Product over `dim`. The gradient is exact with zeros present: each element receives the
 * product of the others.
 */
export function prod(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  if (autocastActive()) return autocasting('prod', [x, dim, keepdim], prod);
  const axes = reductionAxes('prod', x.rank, dim);
  const out = reduceKernel('prod', x, axes, keepdim);
  const shape = x.shape;
  return recordOp('prod', [x], out, [x, out], (g, [sx, so]) => owned((k) => {
    const isZero = k(sx.eq(0));
    // Product of the non-zero elements, and how many zeros each reduced slice holds.
    const nonZero = k(sx.where(k(isZero.logicalNot()), 1));
    const prodNonZero = k(prod(nonZero, axes, true));
    const zeros = k(sum(isZero, axes, true));
    const oneZero = k(k(zeros.eq(1)).cast(x.dtype));
    const atZero = k(k(prodNonZero.mul(oneZero)).expand(shape));
    const outKept = k(keepdim ? so.internalAlias(false) : so.reshape(reducedShape(shape, axes, true)));
    const elsewhere = k(outKept.div(sx));
    const local = k(atZero.where(isZero, elsewhere));
    const gExpanded = k(expandBack(g, shape, axes, keepdim));
    return [gExpanded.mul(local)];
  }));
}

/**
 * Max and min. Reduced values only (PyTorch's `amax`/`amin`); the gradient is shared equally
 * among tied maxima. Use `argmax`/`argmin` for indices.
 */
function extremum(op: 'max' | 'min') {
  return (x: Tensor, dim?: number | number[], keepdim = false): Tensor => {
    const axes = reductionAxes(op, x.rank, dim);
    // An empty tensor reduces along its non-empty dims (to an empty result), as in PyTorch.
    if (x.size === 0 && axes.length === x.rank) throw new Error(`${op}: cannot reduce an empty tensor (shape [${x.shape.join(',')}])`);
    for (const a of axes) {
      if (x.shape[a] === 0) throw new Error(`${op}: cannot reduce dim ${a} of size 0`);
    }
    const out = reduceKernel(op, x, axes, keepdim);
    const shape = x.shape;
    return recordOp(op, [x], out, [x, out], (g, [sx, so]) => owned((own) => {
      const winners = own(withinOp(() => {
        const hit = own(own(sx.eq(own(expandBack(so, shape, axes, keepdim)))).cast(sx.dtype));
        return hit.div(own(sum(hit, axes, true)));
      }));
      return [own(expandBack(g, shape, axes, keepdim)).mul(winners)];
    }), { attrs: { axes, keepdim } });
  };
}

/** Largest value over `dim` (all dims when omitted). @example `x.max(1)` */
export const max = extremum('max');
/** Smallest value over `dim` (all dims when omitted). @example `x.min()` */
export const min = extremum('min');

function argExtremum(op: ArgReduceOp) {
  return (x: Tensor, dim?: number, keepdim = false): Tensor => {
    if (x.size === 0) throw new Error(`${op}: cannot take ${op} of an empty tensor`);
    const flat = dim === undefined;
    return owned((own) => {
      const input = flat ? own(x.reshape([x.size])) : x;
      const axis = flat ? 0 : normalizeDim(dim, x.rank, op);
      const shapeKept = input.rank === 0 ? [] : input.shape.map((d, i) => (i === axis ? 1 : d));
      const kept = own(empty(x.backend, shapeKept, 'int32', op)); // returned when keepdim along a dim
      x.backend.argReduce(op, input.kernelView, input.rank === 0 ? 0 : axis, kept.kernelView);
      traceOp(op, [input], [kept], { axis }); // no gradient, but a trace follows the indices
      if (keepdim && !flat) return kept;
      return kept.reshape(flat ? (keepdim ? x.shape.map(() => 1) : []) : reducedShape(x.shape, [axis], false));
    });
  };
}

/** Index (int32) of the largest value along `dim`, or in the flattened tensor. */
export const argmax = argExtremum('argmax');
/** Index (int32) of the smallest value along `dim`, or in the flattened tensor. */
export const argmin = argExtremum('argmin');

/**
 * Variance over `dim`, unbiased by default (`correction` 1, as PyTorch). Takes
 * `(dim, keepdim, correction)` or PyTorch 2's `(dim, { correction, keepdim })`.
 *
 * @example
 * ```ts
 * tl.tensor([1, 2, 3, 4]).var(); // 1.6667
 * ```
 */
export function variance(
  x: Tensor, dim?: number | number[], keepdimOrOptions: boolean | { correction?: number; keepdim?: boolean } = false, correction = 1,
): Tensor {
  const options = typeof keepdimOrOptions === 'object' && keepdimOrOptions !== null ? keepdimOrOptions : null;
  const keepdim = options ? (options.keepdim ?? false) : Boolean(keepdimOrOptions);
  if (options) correction = options.correction ?? 1;
  if (typeof correction !== 'number' || Number.isNaN(correction)) throw new TypeError(`var: correction must be a number, got ${String(correction)}`);
  const axes = reductionAxes('var', x.rank, dim);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  return owned((own) => {
    const squared = own(own(x.sub(own(mean(x, axes, true)))).square());
    return own(sum(squared, axes, keepdim)).div(Math.max(0, count - correction));
  });
}

/** Standard deviation over `dim`, unbiased by default; takes `{ correction, keepdim }` as `var` does. */
export function std(
  x: Tensor, dim?: number | number[], keepdimOrOptions: boolean | { correction?: number; keepdim?: boolean } = false, correction = 1,
): Tensor {
  return owned((own) => own(variance(x, dim, keepdimOrOptions, correction)).sqrt());
}

/**
 * `log(sum(exp(x)))` over `dim`, computed stably.
 *
 * @example
 * ```ts
 * x.logsumexp(-1);
 * ```
 */
export function logsumexp(x: Tensor, dim: number | number[], keepdim = false): Tensor {
  if (autocastActive()) return autocasting('logsumexp', [x, dim, keepdim], logsumexp);
  const axes = reductionAxes('logsumexp', x.rank, dim);
  return tidy(() => {
    // Shifted by the max (no gradient); an all -inf slice would give inf - inf, so it is shifted by 0.
    const shift = withinOp(() => {
      const m = max(x, axes, true);
      return m.where(m.abs().lt(Infinity), 0);
    });
    const withShift = sum(x.sub(shift).exp(), axes, true).log().add(shift);
    return keepdim ? withShift : withShift.reshape(reducedShape(x.shape, axes, false));
  });
}
