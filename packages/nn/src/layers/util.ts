/** Helpers shared by the layers (internal). */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Buffer, Parameter } from '../module.js';
import { parameterDType } from '../init.js';

/** A zero-filled parameter of `shape`, to be initialised in place. */
export function emptyParameter(shape: readonly number[]): Parameter {
  const data = tl.zeros(shape, { dtype: parameterDType() });
  const p = new Parameter(data);
  data.dispose();
  return p;
}

/** A buffer holding `data`, which is disposed (the buffer keeps its storage). */
export function ownBuffer(data: Tensor): Buffer {
  const b = new Buffer(data);
  data.dispose();
  return b;
}

/** Python's repr of a float: `1e-05`, `0.1`, `1.0`. */
export function pyFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  if (x !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e16)) {
    return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2').replace('e+', 'e+');
  }
  return String(x);
}

/** Python's repr of a bool. */
export function pyBool(x: boolean): string {
  return x ? 'True' : 'False';
}

/** Python's repr of a tuple of numbers: `(3, 3)`, `(3,)`. */
export function pyTuple(values: readonly number[]): string {
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`;
}

/** A number or pair as a pair. */
export function toPair(name: string, value: number | readonly number[]): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (value.length !== 2) throw new Error(`${name} must be a number or a pair, got ${JSON.stringify(value)}`);
  return [value[0], value[1]];
}

/**
 * The dtype a recurrent layer or cell computes in: under `tl.autocast` on the input's device
 * the autocast dtype (PyTorch autocasts its RNN cells to float16, weights included), else
 * the parameters' dtype, which the input must then have.
 */
export function recurrentDType(name: string, input: Tensor, weight: Tensor): tl.DType {
  const autocast = tl.isFloating(input.dtype) ? tl.getAutocastDtype(input.device) : null;
  if (autocast) return autocast;
  if (input.dtype !== weight.dtype) {
    throw new TypeError(`${name}: input must have the layer's dtype ${weight.dtype}, got ${input.dtype} (cast the input, or the layer with .half() / .float())`);
  }
  return weight.dtype;
}

/** A hidden state in the layer's compute dtype: cast under autocast, else it must match. */
export function hiddenIn(name: string, what: string, h: Tensor, dtype: tl.DType): Tensor {
  if (h.dtype === dtype) return h;
  if (tl.isFloating(h.dtype) && tl.isAutocastEnabled(h.device)) return h.cast(dtype);
  throw new TypeError(`${name}: ${what} must have the input's dtype ${dtype}, got ${h.dtype}`);
}

/** `w` (a weight or bias, or null) in `dtype`: a differentiable cast under autocast, else `w` itself. */
export function weightIn<T extends Tensor | null>(w: T, dtype: tl.DType): T {
  return (w && w.dtype !== dtype ? w.cast(dtype) : w) as T;
}
