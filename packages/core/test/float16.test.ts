import { describe, expect, it } from 'vitest';
import { float16Bits, float16FromBits, isFloating, roundToFloat16 } from '../src/dtype.js';
import { scalarDType } from '../src/ops/util.js';

describe('float16 numbers', () => {
  it('every half bit pattern survives bits -> value -> bits', () => {
    let mismatches = 0;
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = float16FromBits(bits);
      const back = float16Bits(value);
      if (Number.isNaN(value) ? back !== 0x7e00 : back !== bits) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('the bit conversion rounds exactly as roundToFloat16, over every float32 magnitude', () => {
    let state = 12345;
    const random = new Uint32Array(1);
    const asFloat = new Float32Array(random.buffer);
    let mismatches = 0;
    for (let i = 0; i < 200_000; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      random[0] = state; // any float32 bit pattern: every exponent, subnormals, NaN, Infinity
      const v = asFloat[0];
      const viaBits = float16FromBits(float16Bits(v));
      const direct = roundToFloat16(v);
      if (!(Object.is(viaBits, direct) || (Number.isNaN(viaBits) && Number.isNaN(direct)))) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('the bit conversion handles the edges: ties, subnormals, overflow, signed zero, NaN', () => {
    const ulp = 2 ** -10;
    const tricky = [
      0, -0, 1, -1, 1 + ulp / 2, 1 + (3 * ulp) / 2, 1 + ulp / 2 + 2 ** -20, 2 ** -14, 2 ** -24, 2 ** -25, 3 * 2 ** -25,
      2 ** -25 + 2 ** -40, 5 * 2 ** -26, 1e-8, -1e-8, 1e-10, 65504, 65519, 65519.99, 65520, -65520, 1e6, Infinity, -Infinity,
      NaN, 0.1, -0.3, 3.14159, 2 ** -14 - 2 ** -25, 2 ** -14 - 2 ** -26, 2047.5, 2048.5, 2049, 4097,
    ];
    for (const x of tricky) expect(float16FromBits(float16Bits(x)), `x = ${x}`).toBe(roundToFloat16(x));
  });

  it('rounds to nearest, ties to even, with subnormals and overflow as IEEE (and torch.half)', () => {
    expect(roundToFloat16(0.1)).toBe(0.0999755859375);
    expect(roundToFloat16(2049)).toBe(2048); // tie between 2048 and 2050: even
    expect(roundToFloat16(2051)).toBe(2052); // tie between 2050 and 2052: even
    expect(roundToFloat16(65504)).toBe(65504);
    expect(roundToFloat16(65519.99)).toBe(65504);
    expect(roundToFloat16(65520)).toBe(Infinity);
    expect(roundToFloat16(-1e6)).toBe(-Infinity);
    expect(roundToFloat16(2 ** -24)).toBe(2 ** -24); // the smallest subnormal
    expect(roundToFloat16(2 ** -25)).toBe(0); // a tie with 0: even
    expect(roundToFloat16(1.5 * 2 ** -25)).toBe(2 ** -24);
    expect(Object.is(roundToFloat16(-0), -0)).toBe(true);
    expect(roundToFloat16(Number.NaN)).toBeNaN();
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(Infinity)).toBe(0x7c00);
  });

  it('is a floating dtype; a fractional number next to it stays float16, as in PyTorch', () => {
    expect(isFloating('float16')).toBe(true);
    expect(scalarDType(0.5, 'float16')).toBe('float16');
    expect(scalarDType(2, 'float16')).toBe('float16');
    expect(scalarDType(0.5, 'int32')).toBe('float32');
  });
});
