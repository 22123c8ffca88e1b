// Small ONNX models built in the tests with the same generated schema the loader reads.
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
};
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
  return new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
}

/** The values in the typed repeated field ONNX keeps them in without raw_data. */
function typedFields(type: InitializerType, values: number[]): Record<string, number[]> {
  if (type === 'float') return { floatData: values };
  if (type === 'int64') return { int64Data: values };
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
