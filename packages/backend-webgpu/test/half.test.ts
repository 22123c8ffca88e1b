// The bulk float16 conversions of uploads and reads (src/half.ts); core tests the rounding itself.
import { roundToFloat16 } from '@tensile/core';
import { describe, expect, it } from 'vitest';
import { fromHalfBits, toHalfBits } from '../src/half.js';

describe('half.ts', () => {
  it('converts arrays, padded to whole 4-byte words, and reads them back', () => {
    const values = Float32Array.from([1, 0.1, -65504]);
    const bits = toHalfBits(values);
    expect(bits.length).toBe(4);
    expect(Array.from(bits)).toEqual([0x3c00, 0x2e66, 0xfbff, 0]);
    const back = new Float32Array(3);
    fromHalfBits(bits, back);
    expect(Array.from(back)).toEqual([1, roundToFloat16(0.1), -65504]);
  });

  it('reads every bit pattern through the lookup table', () => {
    const bits = Uint16Array.from({ length: 0x10000 }, (_, h) => h);
    const back = new Float32Array(0x10000);
    fromHalfBits(bits, back);
    expect(Array.from(toHalfBits(back).subarray(0, 0x7c01))).toEqual(Array.from(bits.subarray(0, 0x7c01)));
  });
});
