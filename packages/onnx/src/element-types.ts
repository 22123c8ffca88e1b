// ONNX's element types as this importer computes them: their codes, names, ranges and the small
// float formats' values. Free of the protobuf schema, so the published types (value.d.ts,
// load.d.ts) do not pull in onnx-proto's declarations, which need protobufjs's global Long.

/**
 * TensorProto.DataType's codes, as onnx.proto numbers them. The generated schema (an older
 * onnx.proto) has no names for the types of ONNX 1.16 and later: float8 (opset 19), 4-bit
 * integers (21), float4 and float8e8m0 (23, 24) and 2-bit integers (25); their codes decode as
 * plain numbers.
 */
const CODES = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16,
  FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18, FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20, UINT4: 21, INT4: 22, FLOAT4E2M1: 23, FLOAT8E8M0: 24, UINT2: 25, INT2: 26,
} as const;

/** ONNX element types this importer reads, by their TensorProto.DataType code. */
export const ELEMENT_TYPES: Record<number, ElementName> = {
  [CODES.FLOAT]: 'float32',
  [CODES.INT64]: 'int64',
  [CODES.INT32]: 'int32',
  [CODES.BOOL]: 'bool',
  [CODES.DOUBLE]: 'float64',
  [CODES.FLOAT16]: 'float16',
  [CODES.BFLOAT16]: 'bfloat16',
  [CODES.UINT8]: 'uint8',
  [CODES.INT8]: 'int8',
  [CODES.UINT16]: 'uint16',
  [CODES.INT16]: 'int16',
  [CODES.UINT32]: 'uint32',
  [CODES.UINT64]: 'uint64',
  [CODES.FLOAT8E4M3FN]: 'float8e4m3fn',
  [CODES.FLOAT8E4M3FNUZ]: 'float8e4m3fnuz',
  [CODES.FLOAT8E5M2]: 'float8e5m2',
  [CODES.FLOAT8E5M2FNUZ]: 'float8e5m2fnuz',
  [CODES.UINT4]: 'uint4',
  [CODES.INT4]: 'int4',
  [CODES.FLOAT4E2M1]: 'float4e2m1',
  [CODES.FLOAT8E8M0]: 'float8e8m0',
  [CODES.UINT2]: 'uint2',
  [CODES.INT2]: 'int2',
};

/** The float8 and float4 formats, whose values are computed as the float32 numbers they stand for. */
export type MiniFloat = 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz' | 'float4e2m1';
/** The integer types narrower than 32 bits. */
export type NarrowInteger = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint4' | 'int4' | 'uint2' | 'int2';
/** The element types QuantizeLinear makes and DequantizeLinear reads (besides int32). */
export type QuantizedElement = NarrowInteger | MiniFloat;

export type ElementName = 'float32' | 'int64' | 'int32' | 'bool' | 'float64' | 'float16' | 'bfloat16' | 'uint32' | 'uint64' | 'float8e8m0' | QuantizedElement;

/** Each narrow integer type's range. */
export const INTEGER_RANGES: Record<NarrowInteger, readonly [number, number]> = {
  uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767], uint4: [0, 15], int4: [-8, 7], uint2: [0, 3], int2: [-2, 1],
};

export function isMiniFloat(name: string): name is MiniFloat {
  return Object.hasOwn(MINI_FLOATS, name);
}

/**
 * What an element type is computed as: every float type in float32 (Tensile's float type; no
 * rounding to half or bfloat16 precision; float8 and float4 values are exact in float32), the
 * integers narrower than 32 bits other than uint8 and int8 as int32, uint32, uint64 and int64
 * as int64 on the host (int32 on a device), and uint8 and int8 as themselves (quantization
 * needs their ranges), which devices hold as int32. A host value read from an initializer
 * remembers its file's element type (`Host.element`) where its dtype does not say it.
 */
export function computedAs(name: ElementName): HostArray['dtype'] {
  if (name === 'float64' || name === 'float16' || name === 'bfloat16' || name === 'float8e8m0' || isMiniFloat(name)) return 'float32';
  if (name === 'uint16' || name === 'int16' || name === 'uint4' || name === 'int4' || name === 'uint2' || name === 'int2') return 'int32';
  if (name === 'uint32' || name === 'uint64') return 'int64';
  return name;
}

/** Bits per element. */
export const BITS: Record<ElementName, number> = {
  float32: 32, int64: 64, int32: 32, bool: 8, float64: 64, float16: 16, bfloat16: 16, uint8: 8, int8: 8, uint16: 16, int16: 16, uint32: 32, uint64: 64,
  float8e4m3fn: 8, float8e4m3fnuz: 8, float8e5m2: 8, float8e5m2fnuz: 8, float8e8m0: 8, float4e2m1: 4, uint4: 4, int4: 4, uint2: 2, int2: 2,
};

/** The exponent and mantissa widths of the small float formats, and how each spends its special bit patterns. */
export const MINI_FLOATS: Record<MiniFloat, { exponent: number; mantissa: number; bias: number; special: 'ieee' | 'fn' | 'fnuz' | 'none' }> = {
  float8e4m3fn: { exponent: 4, mantissa: 3, bias: 7, special: 'fn' },
  float8e4m3fnuz: { exponent: 4, mantissa: 3, bias: 8, special: 'fnuz' },
  float8e5m2: { exponent: 5, mantissa: 2, bias: 15, special: 'ieee' },
  float8e5m2fnuz: { exponent: 5, mantissa: 2, bias: 16, special: 'fnuz' },
  float4e2m1: { exponent: 2, mantissa: 1, bias: 1, special: 'none' },
};

/**
 * A small float's bits as a number. `fn` formats have no infinities and one NaN pattern per
 * sign (all ones), `fnuz` ones spend negative zero (0x80) on their only NaN, `ieee` (E5M2) is
 * IEEE 754's layout, and float4 has neither infinities nor NaN.
 */
export function miniFloatValue(type: MiniFloat, bits: number): number {
  const f = MINI_FLOATS[type];
  const sign = (bits >> (f.exponent + f.mantissa)) & 1;
  const exponent = (bits >> f.mantissa) & ((1 << f.exponent) - 1);
  const mantissa = bits & ((1 << f.mantissa) - 1);
  const top = (1 << f.exponent) - 1;
  if (f.special === 'fnuz' && sign === 1 && exponent === 0 && mantissa === 0) return NaN;
  if (f.special === 'fn' && exponent === top && mantissa === (1 << f.mantissa) - 1) return NaN;
  if (f.special === 'ieee' && exponent === top) return mantissa ? NaN : sign ? -Infinity : Infinity;
  const magnitude = exponent === 0 ? mantissa * 2 ** (1 - f.bias - f.mantissa) : (1 + mantissa / 2 ** f.mantissa) * 2 ** (exponent - f.bias);
  return sign ? -magnitude : magnitude;
}

export interface HostArray {
  dtype: 'float32' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8';
  shape: number[];
  /** float32 as Float32Array; integers and bools as plain numbers (int64 through Number). */
  data: Float32Array | number[];
  /** The file's element type, where `dtype` (what it is computed as) does not say it: int4, float8e4m3fn, float16, ... */
  element?: ElementName;
}

/** ONNX's STRING element type: string tensors are host values of their own (`StringTensor`). */
export const STRING_TYPE: number = CODES.STRING;
