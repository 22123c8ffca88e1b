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

/** A floating-point tensor argument: float32, or float16 (on the backends that hold it). */
export function checkFloat(op: string, name: string, t: unknown): asserts t is Tensor {
  checkTensor(op, name, t);
  if (!tl.isFloating(t.dtype)) throw new TypeError(`${op}: ${name} must be float32 or float16, got ${t.dtype} ${shape(t.shape)}`);
}

/**
 * Floating-point tensor arguments that share one dtype, as PyTorch's kernels require: the
 * first one named sets it. `required` must all be tensors; absent `optional` ones (null or
 * undefined) are passed over.
 */
export function checkFloats(
  op: string,
  required: Record<string, Tensor>,
  optional: Record<string, Tensor | null | undefined> = {},
): void {
  let first: [string, Tensor] | null = null;
  const all: [string, Tensor | null | undefined][] = [...Object.entries(required), ...Object.entries(optional)];
  for (const [name, t] of all) {
    if ((t === null || t === undefined) && name in optional) continue;
    checkFloat(op, name, t); // names a required one that is missing
    if (!first) first = [name, t];
    else if (t.dtype !== first[1].dtype) {
      throw new TypeError(`${op}: ${name} is ${t.dtype} but ${first[0]} is ${first[1].dtype}; give them one dtype (.half() or .float())`);
    }
  }
}

/**
 * The dtypes of a batch or instance norm: float16 input may come with float32 parameters and
 * statistics, as PyTorch's cuDNN kernels take them (what autocast relies on: a conv gives
 * float16, its norm layer keeps float32); otherwise one dtype, as `checkFloats`.
 */
export function checkNormFloats(op: string, x: Tensor, params: Record<string, Tensor | null | undefined>): void {
  checkFloat(op, 'input', x);
  checkFloats(op, {}, params);
  const given = Object.entries(params).find(([, t]) => t);
  if (!given || given[1]!.dtype === x.dtype || (x.dtype === 'float16' && given[1]!.dtype === 'float32')) return;
  throw new TypeError(`${op}: ${given[0]} is ${given[1]!.dtype} but input is ${x.dtype}; give them one dtype (.half() or .float()), or float32 parameters for float16 input`);
}

export function checkSameShape(op: string, input: Tensor, target: Tensor, what = 'target'): void {
  if (!tl.shapesEqual(input.shape, target.shape)) {
    throw new Error(
      `${op}: ${what} ${shape(target.shape)} must have the same shape as input ${shape(input.shape)}` +
        ` (reshape one of them; implicit broadcasting here is usually a bug)`,
    );
  }
}

/**
 * The in-place update of a running statistic: `running ← (1 - momentum) · running + weight ·
 * batch` (weight defaults to momentum), computed in the batch's dtype and kept in the
 * statistic's own (float16 in a half model, whose batch statistics come in float32).
 */
export function updateRunning(running: Tensor, batch: Tensor, momentum: number, weight = momentum): void {
  tl.tidy(() => {
    running.assign(running.cast(batch.dtype).mul(1 - momentum).add(batch.mul(weight)).cast(running.dtype));
  });
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

/** Constant values (rounded through float32) on `like`'s device in its dtype (no gradient). */
export function constantLike(values: ArrayLike<number>, like: Tensor): Tensor {
  return tl.tensor(Float32Array.from(values), { device: like.device, dtype: like.dtype });
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
