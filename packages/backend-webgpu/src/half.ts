/**
 * Bulk float16 conversion on the host, for writes and reads of float16 buffers (the GPU
 * stores them as f16; the host holds their values in a Float32Array). The per-value rounding
 * is core's `float16Bits` (nearest, ties to even, as IEEE 754 and PyTorch).
 */
import { float16Bits, float16FromBits } from '@tensile/core';

/**
 * Float16 bits of `data`, padded with a zero to an even length: buffer writes move whole
 * 4-byte words.
 */
export function toHalfBits(data: Float32Array): Uint16Array<ArrayBuffer> {
  const bits = new Uint16Array(data.length + (data.length % 2));
  for (let i = 0; i < data.length; i++) bits[i] = float16Bits(data[i]);
  return bits;
}

/** The value of every float16 bit pattern (256 KiB, made on the first read): reads are table lookups. */
let values: Float32Array | null = null;

/** Values of the float16 bits in `bits` into `out` (as many as `out` holds). */
export function fromHalfBits(bits: Uint16Array, out: Float32Array): void {
  const table = (values ??= Float32Array.from({ length: 0x10000 }, (_, h) => float16FromBits(h)));
  for (let i = 0; i < out.length; i++) out[i] = table[bits[i]];
}
