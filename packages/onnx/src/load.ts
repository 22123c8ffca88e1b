// loadOnnx: decode a model, check every node against the operator table (all problems at
// once, before anything is allocated), and build an OnnxModule over its initializers.
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Buffer, Module, Parameter, type ModuleMember } from '@tensile/nn';
import { computedAs, type ElementName, ELEMENT_TYPES, type HostArray, isMiniFloat, STRING_TYPE } from './element-types.js';
import { type AttributeProto, type TypeProto, type ValueInfoProto, type GraphProto, type NodeProto, dataTypeName, decodeModel, onnx, stringData, type TensorProto, tensorData, toNumber, type ExternalReader } from './proto.js';
import { releaseConstants, runNodes, Scope } from './graph.js';
import type { PlannedNode, Subgraph } from './ops/context.js';
import { MAX_OPSET, opSpec, type Attributes } from './ops/index.js';
import { deviceDType, Host, hostCopy, type Item, Optional, Sequence, StringTensor, type Value } from './value.js';

export interface LoadOnnxOptions {
  /** Whether float initializers require gradients (default true). */
  trainable?: boolean;
  /** Backend for the module's state; the current default backend when omitted. */
  device?: string;
  /** `forward` returns `{ [outputName]: Tensor }` instead of a tensor or an array (default false). */
  namedOutputs?: boolean;
}

interface InputSpec {
  name: string;
  dtype: ElementName | 'string' | null;
  /** Static dims as numbers, symbolic or unknown ones as null. */
  dims: (number | null)[] | null;
}

const AttrType = onnx.AttributeProto.AttributeType;

function attributeValue(a: AttributeProto, what: string): Attributes[string] {
  switch (a.type) {
    case AttrType.FLOAT: return a.f ?? 0;
    case AttrType.INT: return toNumber(a.i);
    case AttrType.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
    case AttrType.FLOATS: return [...(a.floats ?? [])];
    case AttrType.INTS: return (a.ints ?? []).map(toNumber);
    case AttrType.STRINGS: return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
    case AttrType.TENSOR: return constantOf(a.t!, what, null);
    case AttrType.TYPE_PROTO: return typeName(a.tp ?? {});
    default: throw new Error(`${what}: attributes of type ${onnx.AttributeProto.AttributeType[a.type ?? 0]} are not supported`);
  }
}

/** A TypeProto as ONNX writes types: `tensor(float)`, `seq(tensor(int64))`, `optional(...)`. */
function typeName(t: TypeProto): string {
  if (t.tensorType) return `tensor(${dataTypeName(t.tensorType.elemType).toLowerCase()})`;
  if (t.sequenceType) return `seq(${typeName(t.sequenceType.elemType ?? {})})`;
  if (t.optionalType) return `optional(${typeName(t.optionalType.elemType ?? {})})`;
  return 'unknown';
}

/** An initializer or tensor attribute: a persistent host value, or a string tensor. */
function constantOf(t: TensorProto, what: string, reader: ExternalReader | null): Host | StringTensor {
  if (t.dataType === STRING_TYPE) {
    const { data, shape } = stringData(t, what);
    return new StringTensor(data, shape);
  }
  return Host.fromArray(tensorData(t, what, reader)).persist();
}

/** A `StringTensor`, or a plain `{ data, shape }` object of strings, as a StringTensor; null for anything else. */
function asStrings(v: unknown): StringTensor | null {
  if (v instanceof StringTensor) return v;
  if (typeof v !== 'object' || v === null || v instanceof tl.Tensor || !('data' in v) || !('shape' in v)) return null;
  const { data, shape } = v as { data: unknown; shape: unknown };
  if (!Array.isArray(data) || !data.every((s) => typeof s === 'string')) return null;
  return new StringTensor(data, shape as number[]);
}

function nodeName(node: NodeProto, index: number): string {
  return `${node.opType} '${node.name || `#${index}`}'`;
}

/**
 * A model imported from ONNX: the graph's float initializers are parameters (named as in the
 * file), its other initializers buffers, and `forward` runs the graph with Tensile ops.
 */
export class OnnxModule extends Module {
  /** The graph inputs' names, in `forward`'s argument order. */
  readonly inputNames: readonly string[];
  /** The graph outputs' names, in the order `forward` returns them. */
  readonly outputNames: readonly string[];
  readonly opset: number;
  private readonly state: Map<string, Parameter | Buffer>;
  private readonly hostState: Map<string, Host>;
  /** Integer initializers outside int32's range: constants of the graph, not module state. */
  private readonly hostOnly: Map<string, Host>;
  /** String initializers: constants of the graph, host only. */
  private readonly strings: Map<string, StringTensor>;
  private readonly nodes: PlannedNode[];
  private readonly inputSpecs: InputSpec[];
  private readonly named: boolean;

  /** @internal Use `loadOnnx`. */
  constructor(plan: { state: Map<string, Parameter | Buffer>; hostState: Map<string, Host>; hostOnly: Map<string, Host>; strings: Map<string, StringTensor>; nodes: PlannedNode[]; inputs: InputSpec[]; outputs: string[]; opset: number; named: boolean }) {
    super();
    this.state = plan.state;
    this.hostState = plan.hostState;
    this.hostOnly = plan.hostOnly;
    this.strings = plan.strings;
    this.nodes = plan.nodes;
    this.inputSpecs = plan.inputs;
    this.inputNames = plan.inputs.map((i) => i.name);
    this.outputNames = plan.outputs;
    this.opset = plan.opset;
    this.named = plan.named;
  }

  protected override members(): ModuleMember[] {
    return [...this.state.keys()].map((name) => ({
      name,
      value: this.state.get(name),
      set: (value: unknown) => {
        this.state.set(name, value as Parameter | Buffer);
        this.hostState.delete(name);
      },
    }));
  }

  /** Free the parameters and buffers, and the device copies of the graph's constants. */
  override dispose(): void {
    super.dispose();
    for (const host of [...this.hostState.values(), ...this.hostOnly.values()]) host.release();
    releaseConstants(this.nodes);
  }

  /**
   * Run the graph on its inputs (graph order; int64 inputs as int32 tensors, string inputs as
   * `StringTensor`s or `{ data, shape }` objects). Integer and bool inputs on the cpu backend,
   * for a model whose state is on another device, are read on the host: index arithmetic on them
   * (EmbeddingBag's offsets, a Loop's bounds) then needs no synchronous read of a GPU tensor.
   * A string output comes back as a `StringTensor`.
   */
  forward(...inputs: (Tensor | StringTensor | { data: readonly string[]; shape: readonly number[] })[]): any {
    if (inputs.length !== this.inputSpecs.length) {
      throw new Error(`OnnxModule.forward: the graph takes ${this.inputSpecs.length} inputs (${this.inputNames.join(', ')}), got ${inputs.length}`);
    }
    const checked = this.inputSpecs.map((spec, i) => checkInput(spec, inputs[i]));
    const stateDevice = this.state.values().next().value?.device;
    const onHost = (t: Tensor) => t.dtype !== 'float32' && t.device === 'cpu' && stateDevice !== undefined && stateDevice !== 'cpu';
    const scope = new Scope();
    for (const [name, h] of this.hostOnly) scope.set(name, h);
    for (const [name, v] of this.strings) scope.set(name, v);
    for (const [name, t] of this.state) scope.set(name, this.hostState.get(name) ?? t);
    this.inputSpecs.forEach((spec, i) => {
      const t = checked[i]!;
      scope.set(spec.name, t instanceof StringTensor ? t : onHost(t) ? hostCopy(t) : t);
    });
    const device = checked.find((t): t is Tensor => t instanceof tl.Tensor && !onHost(t))?.device ?? stateDevice ?? tl.getBackend().name;
    // One scope for the whole graph: every intermediate is freed now (also when a node throws),
    // so an inference loop without tidy stays flat; only the outputs are kept.
    return tl.tidy(() => {
      runNodes(this.nodes, scope, { device, opset: this.opset });
      // A sequence output comes back as an array of tensors, an optional one as its value or null.
      const tensor = (v: Value, n: string) => (v instanceof Host ? v.upload(device, `output '${n}'`) : v);
      const output = (v: Item, n: string): Tensor | Tensor[] | StringTensor | null => {
        if (v instanceof Optional) return v.value === null ? null : output(v.value, n);
        if (v instanceof StringTensor) return v;
        return v instanceof Sequence ? v.items.map((e) => tensor(e, n)) : tensor(v, n);
      };
      const outs = this.outputNames.map((n) => output(scope.get(n)!, n));
      if (this.named) return Object.fromEntries(this.outputNames.map((n, i) => [n, outs[i]]));
      return outs.length === 1 ? outs[0] : outs;
    });
  }
}

function checkInput(spec: InputSpec, given: unknown): Tensor | StringTensor {
  const where = `OnnxModule.forward: input '${spec.name}'`;
  let strings: StringTensor | null;
  try {
    strings = asStrings(given);
  } catch (e) {
    throw new TypeError(`${where}: ${(e as Error).message}`);
  }
  if (spec.dtype === 'string' && !strings) throw new TypeError(`${where} is a string tensor: give a StringTensor or { data: string[], shape: number[] }, got ${given instanceof tl.Tensor ? `a ${given.dtype} Tensor` : given === null ? 'null' : typeof given}`);
  if (strings && spec.dtype !== null && spec.dtype !== 'string') throw new TypeError(`${where} must be a Tensor (the graph's ${spec.dtype}), got a string tensor`);
  const t = strings ?? given;
  if (!(t instanceof tl.Tensor) && !(t instanceof StringTensor)) throw new TypeError(`${where} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  const want = t instanceof tl.Tensor && spec.dtype && spec.dtype !== 'string' && deviceDType(computedAs(spec.dtype));
  if (want && t.dtype !== want) throw new TypeError(`${where} must be ${want}${want !== spec.dtype ? ` (for the graph's ${spec.dtype})` : ''}, got ${t.dtype}`);
  if (spec.dims) {
    const bad = spec.dims.length !== t.rank || spec.dims.some((d, i) => d !== null && d !== t.shape[i]);
    if (bad) throw new Error(`${where} must have shape [${spec.dims.map((d) => d ?? '?')}], got [${t.shape}]`);
  }
  return t;
}

function inputSpec(v: ValueInfoProto): InputSpec {
  const tt = v.type?.tensorType;
  const shape = tt?.shape?.dim;
  return {
    name: v.name ?? '',
    dtype: tt?.elemType === STRING_TYPE ? 'string' : tt?.elemType ? (ELEMENT_TYPES[tt.elemType] ?? null) : null,
    dims: shape ? shape.map((d) => (d.dimValue !== undefined && d.dimValue !== null && !d.dimParam ? toNumber(d.dimValue) : null)) : null,
  };
}

/**
 * Check every node of `graph`, adding what is wrong to `problems` (so one error can list them
 * all); `known` holds the names in scope, and grows by each node's outputs.
 */
function planNodes(graph: GraphProto, known: Set<string>, opset: number, reader: ExternalReader | null, problems: string[], where: string): PlannedNode[] {
  const nodes: PlannedNode[] = [];
  (graph.node ?? []).forEach((node, index) => {
    const name = nodeName(node, index);
    const report = (p: string) => problems.push(`${where}${p}`);
    const domain = node.domain ?? '';
    const spec = opSpec(domain, node.opType ?? '');
    if (!spec) report(`${name}: operator ${domain ? `${domain}.` : ''}${node.opType} is not supported`);
    const attrs: Attributes = {};
    for (const a of node.attribute ?? []) {
      if (spec && !spec.attributes.includes(a.name ?? '')) {
        report(`${name}: attribute '${a.name}' is not supported`);
        continue;
      }
      if (a.type === AttrType.GRAPH) {
        // A body sees the names in scope where its node stands.
        attrs[a.name!] = planSubgraph(a.g ?? {}, `${where}${name} ${a.name}`, known, opset, reader, problems);
        continue;
      }
      try {
        attrs[a.name!] = attributeValue(a, `${name} attribute '${a.name}'`);
        if (attrs[a.name!] instanceof StringTensor && spec && !('strings' in spec)) report(`${name}: attribute '${a.name}' is a string tensor; ${node.opType} takes numeric ones`);
      } catch (e) {
        report((e as Error).message);
      }
    }
    if (spec?.check) for (const p of spec.check(attrs, opset)) report(`${name}: ${p}`);
    (node.output ?? []).forEach((o, k) => {
      const most = spec?.outputs ?? 1;
      if (spec && o !== '' && k >= most) report(`${name}: output ${k} ('${o}') is not produced (this implementation produces ${most === 1 ? 'one output' : `the first ${most} outputs`})`);
    });
    const inputs = node.input ?? [];
    for (const i of inputs) if (i !== '' && !known.has(i)) report(`${name}: input '${i}' is neither a graph input, an initializer nor an earlier node's output`);
    for (const o of node.output ?? []) known.add(o);
    nodes.push({ name, domain: domain === 'ai.onnx' ? '' : domain, opType: node.opType ?? '', inputs, outputs: node.output ?? [], attrs, memo: new Map() });
  });
  return nodes;
}

/** Plan a graph-valued attribute: its initializers become constants, its inputs are bound when it runs. */
function planSubgraph(graph: GraphProto, name: string, outer: Set<string>, opset: number, reader: ExternalReader | null, problems: string[]): Subgraph {
  const constants = new Map<string, Host | StringTensor>();
  for (const init of graph.initializer ?? []) {
    try {
      constants.set(init.name ?? '', constantOf(init, `${name} initializer '${init.name}'`, reader));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const inputs = (graph.input ?? []).map((i) => i.name ?? '').filter((n) => !constants.has(n));
  const known = new Set([...outer, ...constants.keys(), ...inputs]);
  const nodes = planNodes(graph, known, opset, reader, problems, `${name}: `);
  const outputs = (graph.output ?? []).map((o) => o.name ?? '');
  for (const o of outputs) if (!known.has(o)) problems.push(`${name}: output '${o}' is never computed`);
  return { name, inputs, outputs, nodes, constants };
}

function refuse(problems: string[]): void {
  if (problems.length) throw new Error(`loadOnnx: the model cannot be imported (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${problems.join('\n  ')}`);
}

/** Initializers used only as BatchNormalization's running statistics are buffers, as in PyTorch. */
function runningStatistics(graph: GraphProto): Set<string> {
  const stats = new Set<string>();
  const other = new Set<string>();
  for (const node of graph.node ?? []) {
    (node.input ?? []).forEach((i, k) => (node.opType === 'BatchNormalization' && (k === 3 || k === 4) ? stats : other).add(i));
  }
  return new Set([...stats].filter((s) => !other.has(s)));
}

// Reading a path or a file: URL is Node only. The specifiers are variables so that bundlers
// (esbuild, Vite) do not try to resolve Node's builtins for a browser build, where models come
// as bytes or http(s) URLs.
const FS = 'node:fs/promises';
const PATH = 'node:path';
const URL_MODULE = 'node:url';

async function nodeModules(): Promise<{ fs: typeof import('node:fs/promises'); path: typeof import('node:path'); url: typeof import('node:url') }> {
  const [fs, path, url] = await Promise.all([import(/* @vite-ignore */ FS), import(/* @vite-ignore */ PATH), import(/* @vite-ignore */ URL_MODULE)]);
  return { fs, path, url };
}

async function readSource(source: Uint8Array | string | URL): Promise<{ bytes: Uint8Array; base: string | URL | null }> {
  if (source instanceof Uint8Array) return { bytes: source, base: null };
  const url = source instanceof URL ? source : /^(https?|file|data|blob):/.test(source) ? new URL(source) : null;
  if (url && url.protocol !== 'file:') {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`loadOnnx: fetching ${url} failed: ${res.status} ${res.statusText}`);
    return { bytes: new Uint8Array(await res.arrayBuffer()), base: url };
  }
  const { fs, url: nodeUrl } = await nodeModules();
  const path = url ? nodeUrl.fileURLToPath(url) : (source as string);
  try {
    return { bytes: new Uint8Array(await fs.readFile(path)), base: path };
  } catch (e) {
    throw new Error(`loadOnnx: cannot read '${path}': ${(e as Error).message}`);
  }
}

/** A graph and, recursively, the graphs in its nodes' attributes (If's branches, Loop's body). */
function withBodies(graph: GraphProto): GraphProto[] {
  const bodies = (graph.node ?? []).flatMap((n) => (n.attribute ?? []).filter((a) => a.type === AttrType.GRAPH && a.g).map((a) => a.g!));
  return [graph, ...bodies.flatMap(withBodies)];
}

/** Load every external-data file the initializers name, relative to the model. */
async function externalFiles(graph: GraphProto, base: string | URL | null): Promise<ExternalReader | null> {
  const locations = new Set<string>();
  for (const t of withBodies(graph).flatMap((g) => g.initializer ?? [])) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const loc = (t.externalData ?? []).find((e) => e.key === 'location')?.value;
    if (loc) locations.add(loc);
  }
  if (locations.size === 0 || base === null) return null;
  const files = new Map<string, Uint8Array>();
  for (const loc of locations) {
    if (loc.startsWith('/') || loc.split(/[\\/]/).includes('..')) {
      throw new Error(`loadOnnx: external data location '${loc}' must be a relative path inside the model's folder`);
    }
    if (base instanceof URL) {
      const url = new URL(loc, base);
      const res = await fetch(url);
      if (!res.ok) throw new Error(`loadOnnx: fetching external data ${url} failed: ${res.status}`);
      files.set(loc, new Uint8Array(await res.arrayBuffer()));
    } else {
      const { fs, path } = await nodeModules();
      const file = path.join(path.dirname(base), loc);
      try {
        files.set(loc, new Uint8Array(await fs.readFile(file)));
      } catch (e) {
        throw new Error(`loadOnnx: cannot read external data '${file}': ${(e as Error).message}`);
      }
    }
  }
  return (location, offset, length) => {
    const bytes = files.get(location)!;
    const end = length === null ? bytes.length : offset + length;
    if (end > bytes.length) throw new Error(`external data '${location}' has ${bytes.length} bytes, fewer than offset ${offset} + length ${length}`);
    return bytes.subarray(offset, end);
  };
}

/**
 * Import an ONNX model as a trainable module.
 *
 * @example
 * ```ts
 * import * as tl from '@tensile/core';
 * import '@tensile/backend-wasm';
 * import { loadOnnx } from '@tensile/onnx';
 *
 * const model = await loadOnnx('model.onnx');
 * const y = model.forward(tl.randn([1, 3, 224, 224]));
 * y.square().mean().backward(); // gradients for every float initializer
 * ```
 */
export async function loadOnnx(source: Uint8Array | string | URL, options: LoadOnnxOptions = {}): Promise<OnnxModule> {
  for (const key of Object.keys(options)) {
    if (!['trainable', 'device', 'namedOutputs'].includes(key)) throw new Error(`loadOnnx: unknown option '${key}' (options: trainable, device, namedOutputs)`);
  }
  const { bytes, base } = await readSource(source);
  const model = decodeModel(bytes);
  const graph = model.graph!;
  const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = opsetEntry ? toNumber(opsetEntry.version) : 0;
  if (opset < 7 || opset > MAX_OPSET) throw new Error(`loadOnnx: opset ${opset} is not supported (7 to ${MAX_OPSET} are)`);
  const reader = await externalFiles(graph, base);

  // Decode every initializer before allocating any tensor, so a bad file loads nothing.
  const problems: string[] = [];
  const arrays = new Map<string, HostArray>();
  const strings = new Map<string, StringTensor>();
  for (const init of graph.initializer ?? []) {
    try {
      const what = `initializer '${init.name}'`;
      if (init.dataType === STRING_TYPE) strings.set(init.name ?? '', constantOf(init, what, reader) as StringTensor);
      else arrays.set(init.name ?? '', tensorData(init, what, reader));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const initialized = (name: string | null | undefined) => arrays.has(name ?? '') || strings.has(name ?? '');
  const inputs = (graph.input ?? []).filter((i) => !initialized(i.name)).map(inputSpec);
  for (const i of graph.input ?? []) {
    const elem = i.type?.tensorType?.elemType;
    if (!initialized(i.name) && elem && !ELEMENT_TYPES[elem] && elem !== STRING_TYPE) problems.push(`graph input '${i.name}': element type ${dataTypeName(elem)} is not supported`);
  }
  refuse(problems);
  const known = new Set([...arrays.keys(), ...strings.keys(), ...inputs.map((i) => i.name)]);
  const nodes = planNodes(graph, known, opset, reader, problems, '');
  for (const o of graph.output ?? []) if (!known.has(o.name ?? '')) problems.push(`graph output '${o.name}' is never computed`);
  refuse(problems);

  const stats = runningStatistics(graph);
  const trainable = options.trainable ?? true;
  const state = new Map<string, Parameter | Buffer>();
  const hostState = new Map<string, Host>();
  const hostOnly = new Map<string, Host>();
  // Parameter and Buffer take their own handle on a tensor's storage: the tensors they are made
  // from are disposed here, so the loaded model holds one live handle per state entry (none is
  // left for the garbage collector to release later, and tl.memory() counts only the state).
  for (const [name, a] of arrays) {
    // float8 and float4 initializers are quantized values (weights, zero points) like the integer ones.
    if (a.dtype === 'float32' && !(a.element && isMiniFloat(a.element))) {
      const t = tl.tidy(() => tl.tensor(a.data as Float32Array, { device: options.device }).reshape(a.shape));
      state.set(name, stats.has(name) ? new Buffer(t) : new Parameter(t, trainable));
      t.dispose();
    } else {
      // Integer and bool initializers stay readable on the host (shape constants), mirrored by a
      // buffer; int64 values beyond int32 (Slice's "to the end") can only live on the host.
      const host = Host.fromArray(a).persist();
      if (!host.fitsInt32()) {
        hostOnly.set(name, host);
        continue;
      }
      const uploaded = tl.tidy(() => host.upload(options.device ?? tl.getBackend().name, `initializer '${name}'`));
      const buffer = new Buffer(uploaded);
      uploaded.dispose();
      state.set(name, buffer);
      hostState.set(name, Host.fromArray(a, buffer).persist());
    }
  }
  return new OnnxModule({ state, hostState, hostOnly, strings, nodes, inputs, outputs: (graph.output ?? []).map((o) => o.name ?? ''), opset, named: options.namedOutputs ?? false });
}
