// Decoding ModelProto with the official onnx.proto schema, as compiled by onnx-proto
// (protobufjs static code), and turning TensorProtos into plain typed arrays.
import onnxProto from 'onnx-proto';
import { BITS, computedAs, ELEMENT_TYPES, type ElementName, type HostArray, isMiniFloat, miniFloatValue } from './element-types.js';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type TypeProto = onnxProto.onnx.ITypeProto;

const DataType = onnx.TensorProto.DataType;


/** A stored element's bits (a byte's, or int32_data's) as the value it stands for, for the types stored as bit patterns. */
function fromBits(name: ElementName, bits: number): number {
  if (name === 'float16') return halfToFloat(bits);
  if (name === 'bfloat16') return bfloat16ToFloat(bits);
  // float8e8m0 is a power of two (MX formats' scales), with 0xFF for NaN.
  if (name === 'float8e8m0') return bits === 0xff ? NaN : 2 ** (bits - 127);
  if (isMiniFloat(name)) return miniFloatValue(name, bits);
  return bits;
}

/** Element `i` of packed sub-byte values (the first element in the lowest bits), sign-extended if `signed`. */
function packedElement(byte: (k: number) => number, bits: number, i: number, signed: boolean): number {
  const perByte = 8 / bits;
  const v = (byte(Math.floor(i / perByte)) >> ((i % perByte) * bits)) & ((1 << bits) - 1);
  return signed && v >= 1 << (bits - 1) ? v - (1 << bits) : v;
}

/** An IEEE half's bits as a number. */
export function halfToFloat(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** A bfloat16's bits (the high half of a float32) as a number. */
function bfloat16ToFloat(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits << 16);
  return view.getFloat32(0);
}

/** The name of a DataType code, for messages (`FLOAT16`, `UINT8`, ...). */
export function dataTypeName(code: number | null | undefined): string {
  return (DataType as unknown as Record<number, string>)[code ?? 0] ?? `data type ${code}`;
}

/** Decode a .onnx file's bytes; a clear error for anything that is not a ModelProto. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new Error(`loadOnnx: not a valid ONNX file (${bytes.length} bytes; protobuf: ${(e as Error).message})`);
  }
  if (!model.graph || !model.graph.node) {
    throw new Error(`loadOnnx: not a valid ONNX file (${bytes.length} bytes decode to a message without a graph)`);
  }
  return model;
}

/** Numbers of a protobuf int64 field (protobufjs gives Long objects or numbers). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}



/** A STRING TensorProto's values (string_data, UTF-8) and shape. */
export function stringData(t: TensorProto, what: string): { shape: number[]; data: string[] } {
  const shape = (t.dims ?? []).map(toNumber);
  const count = shape.reduce((a, b) => a * b, 1);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.rawData && t.rawData.length > 0)) {
    throw new Error(`${what}: a string tensor keeps its values in string_data (not raw or external data)`);
  }
  const fields = t.stringData ?? [];
  if (fields.length !== count) throw new Error(`${what}: ${fields.length} strings for shape [${shape}] (expected ${count}); the file is truncated or corrupt`);
  const decoder = new TextDecoder();
  return { shape, data: fields.map((bytes) => decoder.decode(bytes)) };
}

/** Reads the bytes of an external-data file, given its `location` relative to the model. */
export type ExternalReader = (location: string, offset: number, length: number | null) => Uint8Array;

/** A TensorProto's values, from raw_data, the typed repeated fields or an external file. */
export function tensorData(t: TensorProto, what: string, external: ExternalReader | null): HostArray {
  const name = ELEMENT_TYPES[t.dataType ?? 0];
  if (!name) throw new Error(`${what}: element type ${dataTypeName(t.dataType)} is not supported (${[...new Set(Object.values(ELEMENT_TYPES))].join(', ')} are)`);
  const shape = (t.dims ?? []).map(toNumber);
  const count = shape.reduce((a, b) => a * b, 1);
  let raw: Uint8Array | null = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const entries = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
    if (!entries.location) throw new Error(`${what}: external data without a location`);
    if (!external) throw new Error(`${what}: stored in the external file '${entries.location}', which needs the model loaded from a path or URL`);
    const offset = entries.offset ? Number(entries.offset) : 0;
    const length = entries.length ? Number(entries.length) : null;
    raw = external(entries.location, offset, length);
  }
  const dtype = computedAs(name);
  const bits = BITS[name];
  // Sub-byte types pack two (4-bit) or four (2-bit) elements per byte, the first in the low bits.
  const signed = name === 'int4' || name === 'int2';
  let values: ArrayLike<number>;
  if (raw) {
    const expected = Math.ceil((count * bits) / 8);
    if (raw.length !== expected) {
      throw new Error(`${what}: ${raw.length} bytes of data for shape [${shape}] of ${name} (expected ${expected}); the file is truncated or corrupt`);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const read: Partial<Record<ElementName, (i: number) => number>> = {
      float32: (i) => view.getFloat32(4 * i, true),
      float64: (i) => view.getFloat64(8 * i, true),
      float16: (i) => halfToFloat(view.getUint16(2 * i, true)),
      bfloat16: (i) => bfloat16ToFloat(view.getUint16(2 * i, true)),
      int64: (i) => Number(view.getBigInt64(8 * i, true)),
      uint64: (i) => Number(view.getBigUint64(8 * i, true)),
      int32: (i) => view.getInt32(4 * i, true),
      uint32: (i) => view.getUint32(4 * i, true),
      int16: (i) => view.getInt16(2 * i, true),
      uint16: (i) => view.getUint16(2 * i, true),
      int8: (i) => view.getInt8(i),
      uint8: (i) => view.getUint8(i),
      bool: (i) => (raw![i] ? 1 : 0),
    };
    const byte = (k: number) => raw![k]!;
    const at = read[name] ?? (bits < 8 ? (i: number) => fromBits(name, packedElement(byte, bits, i, signed)) : (i: number) => fromBits(name, raw![i]!));
    values = Array.from({ length: count }, (_, i) => at(i));
  } else {
    // The typed fields: doubles, int64 and the unsigned 32- and 64-bit types have their own;
    // float16, bfloat16 and float8 keep their bits in int32_data, one element each, as do the
    // small integer types and bool their values; sub-byte types keep one packed byte each.
    const field: unknown[] = name === 'float32' ? (t.floatData ?? []) : name === 'float64' ? (t.doubleData ?? []) : name === 'int64' ? (t.int64Data ?? [])
      : name === 'uint32' || name === 'uint64' ? (t.uint64Data ?? []) : (t.int32Data ?? []);
    const stored = bits < 8 ? Math.ceil((count * bits) / 8) : count;
    if (field.length !== stored) {
      throw new Error(`${what}: ${field.length} values for shape [${shape}] (expected ${stored}${bits < 8 ? `, ${8 / bits} ${name} values packed in each` : ''}); the file is truncated or corrupt`);
    }
    const numbers = field.map(toNumber);
    values = bits < 8
      ? Array.from({ length: count }, (_, i) => fromBits(name, packedElement((k) => numbers[k]!, bits, i, signed)))
      : numbers.map((v) => fromBits(name, v));
  }
  const element = computedAs(name) === name || name === 'float32' ? undefined : name;
  return { dtype, shape, data: dtype === 'float32' ? Float32Array.from(values) : Array.from(values), ...(element ? { element } : {}) };
}
