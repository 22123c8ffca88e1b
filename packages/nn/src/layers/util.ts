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
