/** Helpers shared by the `functional` modules (internal). */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { checkChoice, REDUCTIONS } from '../options.js';

/** How a loss reduces its per-element values. */
export type Reduction = 'mean' | 'sum' | 'none';

export const shape = tl.formatShape;

/** A new handle on `x` (same storage, same graph position). */
export function alias(x: Tensor): Tensor {
  return tl.cast(x, x.dtype);
}

export function reduce(op: string, loss: Tensor, reduction: Reduction | 'batchmean'): Tensor {
  switch (reduction) {
    case 'none':
      return loss;
    case 'sum':
      return loss.sum();
    case 'mean':
      return loss.mean();
    default:
      throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  }
}

/** The reduction option, checked (default 'mean'). */
export function reductionOf(op: string, reduction: unknown): Reduction {
  const r = reduction ?? 'mean';
  checkChoice(op, 'reduction', r, REDUCTIONS);
  return r;
}

/** The guard for a tensor argument that plain JavaScript may omit or pass as something else. */
export function checkTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof tl.Tensor)) throw new TypeError(`${op}: ${name} must be a tensor, got ${t === null ? 'null' : typeof t}`);
}

export function checkFloat(op: string, name: string, t: Tensor): void {
  checkTensor(op, name, t);
  if (t.dtype !== 'float32') throw new TypeError(`${op}: ${name} must be float32, got ${t.dtype} ${shape(t.shape)}`);
}

/** `checkFloat` for functions that also take float16 (computing in float32, as PyTorch's half kernels do). */
export function checkFloating(op: string, name: string, t: Tensor): void {
  checkTensor(op, name, t);
  if (!tl.isFloating(t.dtype)) throw new TypeError(`${op}: ${name} must be float32 or float16, got ${t.dtype} ${shape(t.shape)}`);
}

export function checkSameShape(op: string, input: Tensor, target: Tensor, what = 'target'): void {
  if (!tl.shapesEqual(input.shape, target.shape)) {
    throw new Error(
      `${op}: ${what} ${shape(target.shape)} must have the same shape as input ${shape(input.shape)}` +
        ` (reshape one of them; implicit broadcasting here is usually a bug)`,
    );
  }
}

/** `[1, C, 1, ...]`: a per-channel vector shaped to broadcast against `[N, C, ...]`. */
export function channelShape(rank: number, channels: number, channelDim = 1): number[] {
  return Array.from({ length: rank }, (_, i) => (i === channelDim ? channels : 1));
}

/**
 * `x` scaled by `weight` and shifted by `bias`, per channel (either may be null), each
 * reshaped to `bshape` to broadcast: the affine step that ends every normalisation.
 */
export function channelAffine(x: Tensor, weight: Tensor | null | undefined, bias: Tensor | null | undefined, bshape: number[]): Tensor {
  let y = x;
  if (weight) y = y.mul(weight.reshape(bshape));
  if (bias) y = y.add(bias.reshape(bshape));
  return y;
}

/** A constant int32 tensor on `device` (no gradient). */
export function int32(values: ArrayLike<number>, device: string): Tensor {
  return tl.tensor(Int32Array.from(values), { dtype: 'int32', device });
}

/** A constant float32 tensor on `device` (no gradient). */
export function float32(values: ArrayLike<number>, device: string): Tensor {
  return tl.tensor(Float32Array.from(values), { device });
}

/** A number or a tuple of `n` numbers as `n` numbers. */
export function tuple(op: string, name: string, value: number | readonly number[], n: number): number[] {
  const v = typeof value === 'number' ? new Array<number>(n).fill(value) : [...value];
  if (v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`${op}: ${name} must be a number or ${n} numbers, got ${JSON.stringify(value)}`);
  }
  return v;
}

/** Normalise a possibly negative dim. */
export function normDim(op: string, dim: number, rank: number): number {
  if (!Number.isInteger(dim) || dim < -Math.max(rank, 1) || dim >= Math.max(rank, 1)) {
    throw new RangeError(`${op}: dim ${dim} is out of range for a tensor of rank ${rank}`);
  }
  return dim < 0 ? dim + Math.max(rank, 1) : dim;
}

/** The p-norm of `x` along `dim` (p = Infinity: max |x|). */
export function pNorm(x: Tensor, p: number, dim: number | number[], keepdim = false): Tensor {
  if (p === 2) return x.square().sum(dim, keepdim).sqrt();
  if (p === 1) return x.abs().sum(dim, keepdim);
  if (p === Infinity) return x.abs().max(dim, keepdim);
  if (p === -Infinity) return x.abs().min(dim, keepdim);
  if (p === 0) return x.ne(0).cast('float32').sum(dim, keepdim);
  return x.abs().pow(p).sum(dim, keepdim).pow(1 / p);
}
