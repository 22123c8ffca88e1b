/**
 * Raw tensor elements of each safetensors dtype, decoded into the host arrays Tensile's
 * dtypes hold. The PyTorch checkpoint reader decodes its storages through the same codes.
 */
import { float16Bits, float16FromBits, isDTypeSupported, type DType } from '@tensile/core';

/** Dtype names the safetensors format uses. Tensile writes F32, F16, I32 and BOOL. */
export type SafetensorsDType =
  | 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'F64' | 'I64' | 'U64';

/** Bytes per element of each dtype this reader understands. */
export const DTYPE_BYTES: Record<SafetensorsDType, number> = {
  BOOL: 1, U8: 1, I8: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/** The Tensile dtype each stored dtype loads as (before `float16` is chosen for F16). */
export const LOADS_AS: Record<SafetensorsDType, DType> = {
  BOOL: 'bool', U8: 'int32', I8: 'int32', I16: 'int32', U16: 'int32', I32: 'int32', U32: 'int32', I64: 'int32', U64: 'int32',
  F16: 'float32', BF16: 'float32', F32: 'float32', F64: 'float32',
};

export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The dtype a stored floating tensor becomes: `floatDType` when given, else float16 for F16
 * where the device holds it, else float32. Non-floating dtypes load as `LOADS_AS` says.
 */
export function loadedDType(stored: SafetensorsDType, floatDType: 'float32' | 'float16' | undefined, device: string | undefined): DType {
  if (LOADS_AS[stored] !== 'float32') return LOADS_AS[stored];
  if (floatDType) return floatDType;
  return stored === 'F16' && isDTypeSupported('float16', device) ? 'float16' : 'float32';
}

/**
 * Decode `raw` (whole elements of `dtype`, little-endian unless told otherwise) into a fresh
 * Float32Array, Int32Array or Uint8Array (bool). A value that does not fit int32, or a bool
 * byte other than 0 and 1, is an error naming `what`, thrown through `fail`.
 */
export function decodeElements(
  dtype: SafetensorsDType,
  raw: Uint8Array,
  what: string,
  fail: (message: string) => never,
  littleEndian = true,
): Float32Array | Int32Array | Uint8Array {
  const count = raw.length / DTYPE_BYTES[dtype];
  // Copy to a fresh, aligned buffer (the source offset may be unaligned). Not `raw.slice()`:
  // on a Node Buffer that is a view into a shared pool.
  const aligned = new Uint8Array(raw);
  const dv = new DataView(aligned.buffer);
  const le = littleEndian;
  const native = le === LITTLE_ENDIAN;
  switch (dtype) {
    case 'F32':
      if (native) return new Float32Array(aligned.buffer);
      return Float32Array.from({ length: count }, (_, i) => dv.getFloat32(i * 4, le));
    case 'I32':
      if (native) return new Int32Array(aligned.buffer);
      return Int32Array.from({ length: count }, (_, i) => dv.getInt32(i * 4, le));
    case 'BOOL': {
      for (let i = 0; i < count; i++) if (aligned[i] > 1) fail(`${what}: BOOL byte ${aligned[i]} at element ${i} is neither 0 nor 1`);
      return aligned;
    }
    case 'U8':
      return Int32Array.from(aligned);
    case 'I8':
      return Int32Array.from(new Int8Array(aligned.buffer));
    case 'I16':
      return Int32Array.from({ length: count }, (_, i) => dv.getInt16(i * 2, le));
    case 'U16':
      return Int32Array.from({ length: count }, (_, i) => dv.getUint16(i * 2, le));
    case 'U32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = dv.getUint32(i * 4, le);
        if (v > 0x7fffffff) fail(`${what}: U32 value ${v} at element ${i} does not fit in int32`);
        out[i] = v;
      }
      return out;
    }
    case 'I64':
    case 'U64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = dtype === 'I64' ? dv.getBigInt64(i * 8, le) : dv.getBigUint64(i * 8, le);
        if (v > 2147483647n || v < -2147483648n) fail(`${what}: ${dtype} value ${v} at element ${i} does not fit in int32`);
        out[i] = Number(v);
      }
      return out;
    }
    case 'F64':
      return Float32Array.from({ length: count }, (_, i) => dv.getFloat64(i * 8, le));
    case 'F16':
      return Float32Array.from({ length: count }, (_, i) => float16FromBits(dv.getUint16(i * 2, le)));
    case 'BF16': {
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = dv.getUint16(i * 2, le) << 16;
      return out;
    }
  }
}

/**
 * A tensor's host values (`data()`) as little-endian bytes of its own dtype: float16 values,
 * which arrive as float32 numbers that are each exactly a half, are written as their bits.
 */
export function encodeElements(dtype: DType, data: Float32Array | Int32Array | Uint8Array): Uint8Array {
  const values = dtype === 'float16' ? Uint16Array.from(data, float16Bits) : data;
  const out = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (LITTLE_ENDIAN || values.BYTES_PER_ELEMENT === 1) return out;
  const copy = new Uint8Array(out); // big-endian host: swap each element
  const w = values.BYTES_PER_ELEMENT;
  for (let i = 0; i < copy.length; i += w) copy.subarray(i, i + w).reverse();
  return copy;
}
