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

const DataType = onnx.TensorProto.DataType;

/** ONNX element types this importer reads, by their TensorProto.DataType code. */
export const ELEMENT_TYPES: Record<number, 'float32' | 'int64' | 'int32' | 'bool' | 'float64'> = {
  [DataType.FLOAT]: 'float32',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.BOOL]: 'bool',
  [DataType.DOUBLE]: 'float64',
};

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
  dtype: 'float32' | 'int64' | 'int32' | 'bool' | 'float64';
  shape: number[];
  /** float32 as Float32Array; integers and bools as plain numbers (int64 through Number). */
  data: Float32Array | number[];
}

/** Reads the bytes of an external-data file, given its `location` relative to the model. */
export type ExternalReader = (location: string, offset: number, length: number | null) => Uint8Array;

/** A TensorProto's values, from raw_data, the typed repeated fields or an external file. */
export function tensorData(t: TensorProto, what: string, external: ExternalReader | null): HostArray {
  const dtype = ELEMENT_TYPES[t.dataType ?? 0];
  if (!dtype) throw new Error(`${what}: element type ${dataTypeName(t.dataType)} is not supported (float, double, int64, int32, bool are)`);
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
  const size = { float32: 4, int64: 8, int32: 4, bool: 1, float64: 8 }[dtype];
  let data: Float32Array | number[];
  if (raw) {
    if (raw.length !== count * size) {
      throw new Error(`${what}: ${raw.length} bytes of data for shape [${shape}] of ${dtype} (expected ${count * size}); the file is truncated or corrupt`);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (dtype === 'float32') data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
    else if (dtype === 'float64') data = Float32Array.from({ length: count }, (_, i) => view.getFloat64(8 * i, true));
    else if (dtype === 'int64') data = Array.from({ length: count }, (_, i) => Number(view.getBigInt64(8 * i, true)));
    else if (dtype === 'int32') data = Array.from({ length: count }, (_, i) => view.getInt32(4 * i, true));
    else data = Array.from(raw, (b) => (b ? 1 : 0));
  } else {
    const fields: unknown[] =
      dtype === 'float32' ? (t.floatData ?? []) : dtype === 'float64' ? (t.doubleData ?? []) : dtype === 'int64' ? (t.int64Data ?? []) : (t.int32Data ?? []);
    if (fields.length !== count) {
      throw new Error(`${what}: ${fields.length} values for shape [${shape}] (expected ${count}); the file is truncated or corrupt`);
    }
    data = dtype === 'float32' || dtype === 'float64' ? Float32Array.from(fields as number[]) : fields.map(toNumber);
  }
  // Doubles are computed in float32, Tensile's float type.
  return { dtype: dtype === 'float64' ? 'float32' : dtype, shape, data };
}
