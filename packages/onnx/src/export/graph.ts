// Building an ONNX graph: nodes, initializers, fresh value names, constants, and shape
// vectors whose dims may be products of the graph's dynamic axes.
import { onnx, type NodeProto, type TensorProto } from '../proto.js';

const DataType = onnx.TensorProto.DataType;

/** Tensile dtypes an exported graph holds, as ONNX element types. */
export const ONNX_TYPES: Readonly<Record<string, number>> = {
  float32: DataType.FLOAT,
  int32: DataType.INT32,
  bool: DataType.BOOL,
};

/**
 * A dim as a product: `factor` times each dynamic axis to its power. A static dim has no
 * axes. Found by tracing with each axis at two sizes.
 */
export interface Dim {
  readonly factor: number;
  readonly axes: Readonly<Record<string, number>>;
}

export const isStatic = (d: Dim): boolean => Object.keys(d.axes).length === 0;

/** An attribute: an integer, a list of integers, a float (`{ float }`), a string or a tensor. */
export type Attribute = number | readonly number[] | { float: number } | string | { tensor: TensorProto };

/** Where a dynamic axis can be read at run time: a graph input and one of its dims. */
export interface AxisSource {
  input: string;
  dim: number;
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly taken = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly shapeParts = new Map<string, string>();

  constructor(private readonly axisSources: ReadonlyMap<string, AxisSource>) {}

  /** A value name not used before, from `base`. */
  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'value';
    let name = clean;
    for (let i = 1; this.taken.has(name); i++) name = `${clean}_${i}`;
    this.taken.add(name);
    return name;
  }

  /** Claim `name` exactly (graph inputs and parameters keep theirs). */
  claim(name: string): string {
    if (this.taken.has(name)) throw new Error(`exportOnnx: the name '${name}' is used twice (a parameter and an input, or two inputs)`);
    this.taken.add(name);
    return name;
  }

  /** Add a node; returns its output names (fresh ones unless given). */
  node(opType: string, inputs: readonly string[], outputs: readonly string[] | number = 1, attrs: Record<string, Attribute> = {}): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase())) : [...outputs];
    const attribute = Object.entries(attrs).map(([name, v]) => encodeAttribute(name, v));
    this.nodes.push({ opType, input: [...inputs], output: outs, name: this.fresh(`${opType}_${this.nodes.length}`), attribute });
    return outs;
  }

  /** An initializer holding `data`: module state, which an importer makes parameters and buffers. */
  initializer(name: string, dtype: ElementType, shape: readonly number[], data: ArrayLike<number>): string {
    this.initializers.push(tensorProto(name, dtype, shape, data));
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, pads), shared between the nodes that use it. */
  int64s(values: readonly number[]): string {
    return this.constant('int64', [values.length], values);
  }

  /** A 0-d constant of `dtype`. */
  scalar(value: number, dtype: ElementType): string {
    return this.constant(dtype, [], [value]);
  }

  /**
   * A `Constant` node, shared between the nodes that use it. Not an initializer: importers
   * make float initializers trainable parameters, and keep constants on the host for folding.
   */
  constant(dtype: ElementType, shape: readonly number[], values: ArrayLike<number>, base = 'const'): string {
    const key = `${dtype}|${shape}|${Array.from(values).join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.fresh(base);
      this.node('Constant', [], [name], { value: { tensor: tensorProto(name, dtype, shape, values) } });
      this.constants.set(key, name);
    }
    return name;
  }

  /**
   * A 1-D int64 shape vector for `dims`: a constant when every dim is static, else read
   * from the graph inputs' shapes (`Shape`, `Gather`, `Mul`, `Concat`).
   */
  shape(dims: readonly Dim[]): string {
    if (dims.every(isStatic)) return this.int64s(dims.map((d) => d.factor));
    const parts = dims.map((d) => (isStatic(d) ? this.int64s([d.factor]) : this.dimValue(d)));
    return this.node('Concat', parts, 1, { axis: 0 })[0];
  }

  /** A 0-d `dtype` tensor holding dim `d` (a constant when static). */
  dimScalar(d: Dim, dtype: ElementType): string {
    if (isStatic(d)) return this.scalar(d.factor, dtype);
    const value = this.node('Reshape', [this.dimValue(d), this.int64s([])])[0];
    return dtype === 'int64' ? value : this.node('Cast', [value], 1, { to: ONNX_TYPES[dtype] })[0];
  }

  /** A [1] int64 tensor holding dim `d` at run time. */
  private dimValue(d: Dim): string {
    const key = `${d.factor}|${Object.entries(d.axes).sort().map(([a, p]) => `${a}^${p}`).join('*')}`;
    const cached = this.shapeParts.get(key);
    if (cached) return cached;
    let value: string | null = d.factor === 1 ? null : this.int64s([d.factor]);
    for (const [axis, power] of Object.entries(d.axes)) {
      const source = this.axisSources.get(axis);
      if (!source) throw new Error(`exportOnnx: no graph input carries the dynamic axis '${axis}'`);
      const shape = this.node('Shape', [source.input])[0];
      const size = this.node('Gather', [shape, this.int64s([source.dim])], 1, { axis: 0 })[0];
      for (let i = 0; i < power; i++) value = value === null ? size : this.node('Mul', [value, size])[0];
    }
    this.shapeParts.set(key, value!);
    return value!;
  }
}

export type ElementType = 'float32' | 'int32' | 'int64' | 'bool';

function tensorProto(name: string, dtype: ElementType, shape: readonly number[], data: ArrayLike<number>): TensorProto {
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new Error(`exportOnnx: ${data.length} values for '${name}' of shape [${shape}]`);
  const size = dtype === 'int64' ? 8 : dtype === 'bool' ? 1 : 4;
  const raw = new Uint8Array(count * size);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < count; i++) {
    const v = data[i];
    if (dtype === 'float32') view.setFloat32(4 * i, v, true);
    else if (dtype === 'int32') view.setInt32(4 * i, v, true);
    else if (dtype === 'int64') view.setBigInt64(8 * i, BigInt(v), true);
    else raw[i] = v ? 1 : 0;
  }
  return { name, dataType: dtype === 'int64' ? DataType.INT64 : ONNX_TYPES[dtype], dims: [...shape], rawData: raw };
}

function encodeAttribute(name: string, v: Attribute) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: [...v] };
  if ('tensor' in (v as object)) return { name, type: T.TENSOR, t: (v as { tensor: TensorProto }).tensor };
  return { name, type: T.FLOAT, f: (v as { float: number }).float };
}
