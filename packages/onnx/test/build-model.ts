// Small ONNX models built in the tests with the same generated schema the loader reads.
import { MINI_FLOATS, miniFloatValue } from '../src/element-types.js';
import { onnx, type AttributeProto, type GraphProto } from '../src/proto.js';

type Dim = number | string;
type ElementType = keyof typeof TYPE;
export type AttrSpec = number | number[] | string | string[] | { graph: GraphSpec } | { tensorType: ElementType };
export interface GraphSpec {
  nodes: { op: string; inputs: string[]; outputs: string[]; name?: string; attrs?: Record<string, AttrSpec>; domain?: string }[];
  /** Graph inputs; a subgraph's may leave the shape unknown, and may be sequences (a Loop's list). */
  inputs: { name: string; type?: ElementType; shape?: Dim[]; sequence?: boolean }[];
  outputs: string[];
  /** Output element types other than float. */
  outputTypes?: Record<string, ElementType>;
  /** Outputs that are sequences of tensors of their element type. */
  sequenceOutputs?: string[];
  initializers?: {
    name: string; type?: InitializerType; dims: number[]; values: number[]; external?: { location: string; offset: number };
    /** Store the values in the typed repeated fields (int32_data for the small types) instead of raw_data. */
    fields?: boolean;
    /** A string initializer's values (type 'string'; `values` is then left empty). */
    strings?: string[];
  }[];
}
export interface ModelSpec extends GraphSpec {
  opset?: number;
}

const D = onnx.TensorProto.DataType;
const TYPE = {
  float: D.FLOAT, int64: D.INT64, int32: D.INT32, bool: D.BOOL, float16: D.FLOAT16, bfloat16: D.BFLOAT16, uint8: D.UINT8, int8: D.INT8, int16: D.INT16, string: D.STRING,
  uint16: D.UINT16, uint32: D.UINT32, uint64: D.UINT64,
  // The codes of ONNX 1.16 and later, which the generated schema has no names for.
  float8e4m3fn: 17, float8e4m3fnuz: 18, float8e5m2: 19, float8e5m2fnuz: 20, uint4: 21, int4: 22, float4e2m1: 23, float8e8m0: 24, uint2: 25, int2: 26,
};
type MiniFloatType = 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz' | 'float4e2m1';
const SUB_BYTE: Partial<Record<InitializerType, number>> = { uint4: 4, int4: 4, float4e2m1: 4, uint2: 2, int2: 2 };

/** The bit pattern of a small float that holds `v` exactly (the test values are chosen so); float8e8m0 is 2^(bits - 127). */
function miniFloatBits(type: MiniFloatType | 'float8e8m0', v: number): number {
  const patterns = type === 'float4e2m1' ? 16 : 256;
  for (let bits = 0; bits < patterns; bits++) {
    const value = type === 'float8e8m0' ? 2 ** (bits - 127) : miniFloatValue(type, bits);
    if (Object.is(value, v) || (Number.isNaN(v) && Number.isNaN(value))) return bits;
  }
  throw new Error(`test: ${v} is not a ${type} value`);
}

/** Each element's stored integer: its bits for the small floats, the value (two's complement within its width) for sub-byte integers. */
function storedBits(type: InitializerType, v: number): number {
  if (type in MINI_FLOATS || type === 'float8e8m0') return miniFloatBits(type as MiniFloatType, v);
  const width = SUB_BYTE[type];
  return width ? v & ((1 << width) - 1) : v;
}

/** Sub-byte values packed into bytes, the first element in the lowest bits. */
function packed(type: InitializerType, values: number[]): number[] {
  const width = SUB_BYTE[type]!;
  const out = new Array<number>(Math.ceil((values.length * width) / 8)).fill(0);
  values.forEach((v, i) => { out[Math.floor((i * width) / 8)]! |= storedBits(type, v) << ((i * width) % 8); });
  return out;
}
export type InitializerType = Exclude<ElementType, 'bool' | 'string'>;

/** The bits of a half that holds `v` exactly (the test values are chosen so). */
function halfBits(v: number): number {
  if (v === 0) return 0;
  const e = Math.floor(Math.log2(Math.abs(v)));
  return (v < 0 ? 0x8000 : 0) | ((e + 15) << 10) | Math.round((Math.abs(v) / 2 ** e - 1) * 1024);
}

/** The bits of a bfloat16 that holds `v` exactly: a float32's high half. */
function bfloat16Bits(v: number): number {
  return new Uint32Array(Float32Array.of(v).buffer)[0]! >>> 16;
}

function attribute(name: string, v: AttrSpec): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'object' && !Array.isArray(v)) {
    return 'graph' in v ? { name, type: T.GRAPH, g: buildGraph(v.graph, name) } : { name, type: T.TYPE_PROTO, tp: { tensorType: { elemType: TYPE[v.tensorType] } } };
  }
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v) && v.some((e) => typeof e === 'string')) return { name, type: T.STRINGS, strings: (v as string[]).map((e) => new TextEncoder().encode(e)) };
  if (Array.isArray(v)) return (v as number[]).every(Number.isInteger) ? { name, type: T.INTS, ints: v as number[] } : { name, type: T.FLOATS, floats: v as number[] };
  return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
}

/** The bytes of an initializer's values, little-endian. */
export function rawBytes(type: InitializerType, values: number[]): Uint8Array {
  if (type === 'float') return new Uint8Array(Float32Array.from(values).buffer);
  if (type === 'int32') return new Uint8Array(Int32Array.from(values).buffer);
  if (type === 'float16') return new Uint8Array(Uint16Array.from(values, halfBits).buffer);
  if (type === 'bfloat16') return new Uint8Array(Uint16Array.from(values, bfloat16Bits).buffer);
  if (type === 'int16') return new Uint8Array(Int16Array.from(values).buffer);
  if (type === 'uint8') return Uint8Array.from(values);
  if (type === 'int8') return new Uint8Array(Int8Array.from(values).buffer);
  if (type === 'uint16') return new Uint8Array(Uint16Array.from(values).buffer);
  if (type === 'uint32') return new Uint8Array(Uint32Array.from(values).buffer);
  if (type === 'uint64') return new Uint8Array(BigUint64Array.from(values.map(BigInt)).buffer);
  if (SUB_BYTE[type]) return Uint8Array.from(packed(type, values));
  if (type in MINI_FLOATS || type === 'float8e8m0') return Uint8Array.from(values, (v) => storedBits(type, v));
  return new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
}

/** The values in the typed repeated field ONNX keeps them in without raw_data. */
function typedFields(type: InitializerType, values: number[]): Record<string, number[]> {
  if (type === 'float') return { floatData: values };
  if (type === 'int64') return { int64Data: values };
  if (type === 'uint32' || type === 'uint64') return { uint64Data: values };
  // Sub-byte types keep one packed byte per int32, the small floats their bits.
  if (SUB_BYTE[type]) return { int32Data: packed(type, values) };
  if (type in MINI_FLOATS || type === 'float8e8m0') return { int32Data: values.map((v) => storedBits(type, v)) };
  return { int32Data: type === 'float16' ? values.map(halfBits) : type === 'bfloat16' ? values.map(bfloat16Bits) : values };
}

function buildGraph(spec: GraphSpec, name: string): GraphProto {
  return {
    name,
    node: spec.nodes.map((n, i) => ({
      opType: n.op, input: n.inputs, output: n.outputs, name: n.name ?? `${n.op.toLowerCase()}_${i}`, domain: n.domain ?? '',
      attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    })),
    input: spec.inputs.map((i) => {
      const tensorType = { elemType: TYPE[i.type ?? 'float'], ...(i.shape ? { shape: { dim: i.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}) };
      return { name: i.name, type: i.sequence ? { sequenceType: { elemType: { tensorType } } } : { tensorType } };
    }),
    output: spec.outputs.map((name) => {
      const tensorType = { elemType: TYPE[spec.outputTypes?.[name] ?? 'float'] };
      return { name, type: spec.sequenceOutputs?.includes(name) ? { sequenceType: { elemType: { tensorType } } } : { tensorType } };
    }),
    initializer: (spec.initializers ?? []).map((t) => {
      if (t.strings) return { name: t.name, dims: t.dims, dataType: D.STRING, stringData: t.strings.map((s) => new TextEncoder().encode(s)) };
      const type = t.type ?? 'float';
      const base = { name: t.name, dims: t.dims, dataType: TYPE[type] };
      if (t.external) {
        return {
          ...base, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [{ key: 'location', value: t.external.location }, { key: 'offset', value: String(t.external.offset) }, { key: 'length', value: String(rawBytes(type, t.values).length) }],
        };
      }
      return { ...base, ...(t.fields ? typedFields(type, t.values) : { rawData: rawBytes(type, t.values) }) };
    }),
  };
}

/** Whether a graph or one of its bodies has a node of `domain`. */
function usesDomain(spec: GraphSpec, domain: string): boolean {
  return spec.nodes.some((n) => n.domain === domain || Object.values(n.attrs ?? {}).some((a) => typeof a === 'object' && 'graph' in a && usesDomain(a.graph, domain)));
}

export function buildModel(spec: ModelSpec): Uint8Array {
  const opsetImport = [{ domain: '', version: spec.opset ?? 17 }, ...(usesDomain(spec, 'com.microsoft') ? [{ domain: 'com.microsoft', version: 1 }] : [])];
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport, graph: buildGraph(spec, 'test') }).finish();
}
