// Decoding ModelProto with the official onnx.proto schema, as compiled by onnx-proto
// (protobufjs static code), and turning TensorProtos into plain typed arrays.
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type TypeProto = onnxProto.onnx.ITypeProto;

const DataType = onnx.TensorProto.DataType;

/** ONNX element types this importer reads, by their TensorProto.DataType code. */
export const ELEMENT_TYPES: Record<number, ElementName> = {
  [DataType.FLOAT]: 'float32',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.BOOL]: 'bool',
  [DataType.DOUBLE]: 'float64',
  [DataType.FLOAT16]: 'float16',
  [DataType.BFLOAT16]: 'bfloat16',
  [DataType.UINT8]: 'uint8',
  [DataType.INT8]: 'int8',
  [DataType.UINT16]: 'uint16',
  [DataType.INT16]: 'int16',
};

export type ElementName = 'float32' | 'int64' | 'int32' | 'bool' | 'float64' | 'float16' | 'bfloat16' | 'uint8' | 'int8' | 'uint16' | 'int16';

/**
 * What an element type is computed as: every float type in float32 (Tensile's float type; no
 * rounding to half or bfloat16 precision), 16- and 32-bit integers as int32, int64 as int64 on
 * the host (int32 on a device), and uint8 and int8 as themselves (quantization needs their
 * ranges), which devices hold as int32.
 */
export function computedAs(name: ElementName): HostArray['dtype'] {
  if (name === 'float64' || name === 'float16' || name === 'bfloat16') return 'float32';
  if (name === 'uint16' || name === 'int16') return 'int32';
  return name;
}

const BYTES: Record<ElementName, number> = { float32: 4, int64: 8, int32: 4, bool: 1, float64: 8, float16: 2, bfloat16: 2, uint8: 1, int8: 1, uint16: 2, int16: 2 };

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

export interface HostArray {
  dtype: 'float32' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8';
  shape: number[];
  /** float32 as Float32Array; integers and bools as plain numbers (int64 through Number). */
  data: Float32Array | number[];
}

/** ONNX's STRING element type: string tensors are host values of their own (`StringTensor`). */
export const STRING_TYPE: number = DataType.STRING;

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
  if (!name) throw new Error(`${what}: element type ${dataTypeName(t.dataType)} is not supported (float, double, float16, bfloat16, int64, int32, int16, uint16, int8, uint8, bool are)`);
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
  const size = BYTES[name];
  let values: ArrayLike<number>;
  if (raw) {
    if (raw.length !== count * size) {
      throw new Error(`${what}: ${raw.length} bytes of data for shape [${shape}] of ${name} (expected ${count * size}); the file is truncated or corrupt`);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const read: Record<ElementName, (i: number) => number> = {
      float32: (i) => view.getFloat32(4 * i, true),
      float64: (i) => view.getFloat64(8 * i, true),
      float16: (i) => halfToFloat(view.getUint16(2 * i, true)),
      bfloat16: (i) => bfloat16ToFloat(view.getUint16(2 * i, true)),
      int64: (i) => Number(view.getBigInt64(8 * i, true)),
      int32: (i) => view.getInt32(4 * i, true),
      int16: (i) => view.getInt16(2 * i, true),
      uint16: (i) => view.getUint16(2 * i, true),
      int8: (i) => view.getInt8(i),
      uint8: (i) => view.getUint8(i),
      bool: (i) => (raw![i] ? 1 : 0),
    };
    values = Array.from({ length: count }, (_, i) => read[name](i));
  } else {
    // The typed fields: doubles and int64 have their own; float16 and bfloat16 keep their bits
    // in int32_data, as do the small integer types and bool their values.
    const fields: unknown[] = name === 'float32' ? (t.floatData ?? []) : name === 'float64' ? (t.doubleData ?? []) : name === 'int64' ? (t.int64Data ?? []) : (t.int32Data ?? []);
    if (fields.length !== count) {
      throw new Error(`${what}: ${fields.length} values for shape [${shape}] (expected ${count}); the file is truncated or corrupt`);
    }
    const numbers = fields.map(toNumber);
    values = name === 'float16' ? numbers.map(halfToFloat) : name === 'bfloat16' ? numbers.map(bfloat16ToFloat) : numbers;
  }
  return { dtype, shape, data: dtype === 'float32' ? Float32Array.from(values) : Array.from(values) };
}
