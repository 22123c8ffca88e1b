// Values of the element types narrower than Tensile's (float8, float4, 16-, 4- and 2-bit
// integers), computed in float32 and int32 tensors: rounding floats to a small float format,
// and wrapping integers to a narrow type's bits, as Cast and QuantizeLinear produce them.
import type { Tensor } from '@tensile/core';
import { INTEGER_RANGES, MINI_FLOATS, type MiniFloat, miniFloatValue, type NarrowInteger } from '../element-types.js';
import { tl } from './context.js';

interface Grid {
  /** Every finite non-negative value of the format, ascending (0 first, the largest finite last). */
  values: Float32Array;
  /** The midpoints between neighbours: a magnitude above midpoints[i] rounds past values[i]. */
  midpoints: Float32Array;
  /** The smallest magnitude that rounds past the largest finite value (to nearest, ties to even). */
  overflow: number;
  /** Whether a magnitude of exactly `overflow` rounds up (the largest value's mantissa is odd). */
  overflowTies: boolean;
}

const GRIDS = new Map<MiniFloat, Grid>();

function grid(type: MiniFloat): Grid {
  let g = GRIDS.get(type);
  if (g) return g;
  const f = MINI_FLOATS[type];
  const patterns = 1 << (f.exponent + f.mantissa);
  const finite = Array.from({ length: patterns }, (_, bits) => miniFloatValue(type, bits)).filter((v) => Number.isFinite(v) && v >= 0);
  const values = Float32Array.from(new Set(finite)).sort();
  const top = values.length - 1;
  const ulp = values[top]! - values[top - 1]!;
  // Consecutive values alternate their mantissa's last bit (0 is even), so index parity is mantissa parity.
  g = { values, midpoints: values.slice(1).map((v, i) => (v + values[i]!) / 2), overflow: values[top]! + ulp / 2, overflowTies: top % 2 === 1 };
  GRIDS.set(type, g);
  return g;
}

/**
 * `x` rounded to the nearest value of a float8 or float4 format, ties to even (ONNX's Cast and
 * QuantizeLinear). Out of range: the largest finite value when `saturate`, else NaN (E5M2: an
 * infinity); float4 always saturates. NaN stays NaN. The result is a float32 tensor.
 */
export function toMiniFloat(x: Tensor, type: MiniFloat, saturate: boolean): Tensor {
  const g = grid(type);
  return tl.tidy(() => {
    const device = x.device;
    const values = tl.tensor(g.values, { device });
    const midpoints = tl.tensor(g.midpoints, { device });
    const magnitude = x.abs();
    const below = tl.bucketize(magnitude, midpoints);
    // bucketize puts a tie with midpoints[i] at i (rounding down); ties go to the even neighbour.
    const tie = magnitude.eq(tl.indexSelect(midpoints, 0, tl.clamp(below, 0, g.midpoints.length - 1).reshape([-1])).reshape(x.shape));
    const odd = tl.indexSelect(tl.tensor(Float32Array.from(g.values, (_, i) => i % 2), { device }), 0, below.reshape([-1])).reshape(x.shape).eq(1);
    const index = tl.where(tie.logicalAnd(odd), below.add(1), below);
    let rounded = tl.indexSelect(values, 0, index.reshape([-1])).reshape(x.shape);
    if (!saturate && type !== 'float4e2m1') {
      const over = g.overflowTies ? magnitude.ge(g.overflow) : magnitude.gt(g.overflow);
      rounded = tl.where(over, MINI_FLOATS[type].special === 'ieee' ? Infinity : NaN, rounded);
    }
    const signed = tl.where(x.lt(0), rounded.neg(), rounded);
    return tl.where(tl.isnan(x), NaN, signed);
  });
}

/** An integer tensor's values wrapped to `type`'s bits (two's complement for signed types): int32 300 as int8 is 44. */
export function wrapInteger(x: Tensor, type: NarrowInteger): Tensor {
  const [lo, hi] = INTEGER_RANGES[type];
  return tl.tidy(() => tl.remainder(x.sub(lo), hi - lo + 1).add(lo));
}

/** A number wrapped to `type`'s bits. */
export function wrapNumber(v: number, type: NarrowInteger): number {
  const [lo, hi] = INTEGER_RANGES[type];
  const span = hi - lo + 1;
  return ((((v - lo) % span) + span) % span) + lo;
}
