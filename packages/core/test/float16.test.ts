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
