/**
 * Element types. `float32` is the default; `bool` is stored as 0/1 bytes. `float16` exists
 * only on backends that support it ({@link Backend.supportsDType}); on the host its values
 * travel in a Float32Array (JavaScript has no half-precision array before Float16Array), each
 * one exactly representable in half precision.
 */
export type DType = 'float32' | 'float16' | 'int32' | 'bool';

export const DTYPES: readonly DType[] = ['float32', 'float16', 'int32', 'bool'];

/** The dtypes every backend must support. */
export type CoreDType = Exclude<DType, 'float16'>;
export const CORE_DTYPES: readonly CoreDType[] = ['float32', 'int32', 'bool'];

export interface TypedArrayMap {
  float32: Float32Array;
  float16: Float32Array;
  int32: Int32Array;
  bool: Uint8Array;
}
export type TypedArrayFor<D extends DType> = TypedArrayMap[D];
export type AnyTypedArray = Float32Array | Int32Array | Uint8Array;

export const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, float16: 2, int32: 4, bool: 1 };

/** A new zeroed host array for `size` elements of `dtype`. */
export function typedArrayFor<D extends DType>(dtype: D, size: number): TypedArrayFor<D> {
  switch (dtype) {
    case 'float32':
    case 'float16':
      return new Float32Array(size) as TypedArrayFor<D>;
    case 'int32':
      return new Int32Array(size) as TypedArrayFor<D>;
    case 'bool':
      return new Uint8Array(size) as TypedArrayFor<D>;
  }
  throw new Error(`unknown dtype '${String(dtype)}'; expected one of ${DTYPES.join(', ')}`);
}

/** Whether `value` names a dtype. */
export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float16: 2, float32: 3 };

/** The dtype two operands promote to, as PyTorch: bool < int32 < float16 < float32. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

export function isFloating(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float16';
}

/**
 * Round to the nearest half-precision value (ties to even), as a number: what a float16
 * tensor stores. Overflow gives ±Infinity; NaN stays NaN.
 */
export function roundToFloat16(value: number): number {
  const x = Math.fround(value);
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a >= 65520) return x > 0 ? Infinity : -Infinity; // 65520 rounds up past the largest half, 65504
  // Spacing of halves near a: 2^(exponent - 10), but never below the subnormal step 2^-24.
  const exponent = Math.max(Math.floor(Math.log2(a)), -14);
  const step = 2 ** (exponent - 10);
  const q = a / step;
  let r = Math.round(q);
  if (r - q === 0.5 && r % 2 === 1) r -= 1; // Math.round sends ties up; halves tie to even
  return Math.sign(x) * r * step;
}

const float32Scratch = new Float32Array(1);
const float32Bits = new Uint32Array(float32Scratch.buffer);

/**
 * The IEEE half-precision bits of `value` (first rounded to float32, as a Float32Array
 * holds it), rounded to nearest even; overflow gives ±Infinity. Integer operations on the
 * float32 bits, so bulk conversions (uploads, safetensors) stay fast.
 */
export function float16Bits(value: number): number {
  float32Scratch[0] = value;
  const x = float32Bits[0];
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00; // NaN (quiet)
  if (a >= 0x477ff000) return sign | 0x7c00; // 65520 and up (and Infinity) round past 65504
  if (a >= 0x38800000) {
    // A normal half (2^-14 and up): drop 13 mantissa bits, ties to even; a carry into the
    // exponent is the correct result. 0x38000000 rebiases the exponent from 127 to 15.
    return sign | ((a + 0x0fff + ((a >>> 13) & 1) - 0x38000000) >>> 13);
  }
  // A subnormal half: a multiple of 2^-24, the float's full mantissa shifted right.
  const shift = 126 - (a >>> 23);
  if (shift > 24) return sign; // below 2^-25 (half the smallest subnormal): zero
  const mantissa = (a & 0x7fffff) | 0x800000;
  let r = mantissa >>> shift;
  const rest = mantissa & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (r & 1) === 1)) r++;
  return sign | r;
}

/** The value of IEEE half-precision bits. */
export function float16FromBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
