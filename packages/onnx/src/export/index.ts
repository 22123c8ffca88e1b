// exportOnnx: record one forward pass of a module with Tensile's trace, write each op as
// ONNX nodes (parameters and buffers as named initializers), and check the file by running
// it, with this package's importer, on other input values (and other sizes of the dynamic
// axes) against the module itself.
import * as tl from '@tensile/core';
import type { DType, Tensor, autograd } from '@tensile/core';
import type { Module } from '@tensile/nn';
import { loadOnnx } from '../load.js';
import { onnx } from '../proto.js';
import { type AxisSource, type Dim, GraphBuilder, ONNX_TYPES, isStatic } from './graph.js';
import { WRITERS } from './ops.js';
import type { EmitContext } from './writer.js';

export interface ExportOnnxOptions {
  /** The ONNX opset to write, 13 to 18 (default 17). */
  opset?: number;
  /** Names of the graph inputs, in `forward`'s order (default `input_0`, `input_1`, ...). */
  inputNames?: readonly string[];
  /** Names of the graph outputs (default `output_0`, ...). */
  outputNames?: readonly string[];
  /**
   * Dims that may take other sizes, by input or output name: a list of dims (named
   * `<name>_dim<d>`) or a map from dim to an axis name; one axis name may appear on several
   * inputs (`{ ids: { 0: 'batch' }, mask: { 0: 'batch' } }`), as in `torch.onnx.export`.
   */
  dynamicAxes?: Readonly<Record<string, readonly number[] | Readonly<Record<number, string>>>>;
  /** Run the written file on other inputs and compare it with the module (default true). */
  check?: boolean;
}

const OPTIONS = ['opset', 'inputNames', 'outputNames', 'dynamicAxes', 'check'];
// torch.onnx.export's names, pointed at ours.
const HINTS: Record<string, string> = { opset_version: 'opset', input_names: 'inputNames', output_names: 'outputNames', dynamic_axes: 'dynamicAxes' };

function checkOptions(options: unknown): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError('exportOnnx: options must be an object');
  for (const key of Object.keys(options)) {
    if (OPTIONS.includes(key)) continue;
    const hint = HINTS[key] ? `; did you mean ${HINTS[key]}?` : '';
    throw new Error(`exportOnnx: unknown option '${key}'${hint} (options: ${OPTIONS.join(', ')})`);
  }
}

/** One traced forward pass: the trace, its value ids, and what the module returned. */
interface Pass {
  trace: autograd.Trace;
  inputs: number[];
  outputs: number[];
  results: Tensor[];
}

/**
 * Write `module`'s computation on `inputs` as an ONNX model; resolves to the file's bytes.
 * The module runs once in eval mode (its mode is restored after) with gradients recorded;
 * every op it runs on its inputs, parameters and buffers becomes a node, and what it
 * computes from neither (or under `noGrad`) becomes a constant. The file is then run on
 * other input values, and at other sizes of each dynamic axis, and compared with the module.
 *
 * @example
 * ```ts
 * const bytes = await exportOnnx(model, [tl.randn([1, 784])], { dynamicAxes: { input_0: { 0: 'batch' } } });
 * writeFileSync('model.onnx', bytes);
 * ```
 */
export async function exportOnnx(module: Module, inputs: Tensor | readonly Tensor[], options: ExportOnnxOptions = {}): Promise<Uint8Array> {
  checkOptions(options);
  const { opset = 17, check = true } = options;
  if (!module || typeof (module as Module).namedParameters !== 'function' || typeof (module as Module).call !== 'function') {
    throw new TypeError(`exportOnnx: expected an nn.Module, got ${module === null ? 'null' : typeof module}`);
  }
  if (!Number.isInteger(opset) || opset < 13 || opset > 18) throw new Error(`exportOnnx: opset must be an integer from 13 to 18, got ${opset}`);
  const list = inputs instanceof tl.Tensor ? [inputs] : [...(inputs as readonly Tensor[])];
  list.forEach((t, i) => {
    if (!(t instanceof tl.Tensor)) throw new TypeError(`exportOnnx: input ${i} is not a tensor`);
    if (t.isDisposed) throw new Error(`exportOnnx: input ${i} has been disposed`);
    if (!(t.dtype in ONNX_TYPES)) throw new Error(`exportOnnx: input ${i} is ${t.dtype}; inputs may be float32, int32 or bool`);
  });
  const inputNames = names('inputNames', options.inputNames, list.length, 'input');
  const axes = dynamicAxes(options.dynamicAxes ?? {}, inputNames, list);

  const modes = module.modules().map((m) => [m, m.training] as const);
  module.eval();
  const passes: Pass[] = [];
  try {
    passes.push(tracePass(module, list));
    // One more pass per dynamic axis, that axis one larger: how each dim follows the axes.
    for (const axis of axes.names) {
      const inputs = resized(list, axes.bindings, axis);
      try {
        passes.push(tracePass(module, inputs));
      } catch (e) {
        throw new Error(`exportOnnx: forward fails with the dynamic axis '${axis}' one larger (inputs ${inputs.map((t) => `[${t.shape}]`).join(', ')}): ${(e as Error).message}; dims that must stay equal need one axis name`);
      } finally {
        inputs.forEach((t) => t.dispose());
      }
    }
    const outputNames = names('outputNames', options.outputNames, passes[0].outputs.length, 'output');
    for (const key of Object.keys(options.dynamicAxes ?? {})) {
      if (!inputNames.includes(key) && !outputNames.includes(key)) {
        throw new Error(`exportOnnx: dynamicAxes names '${key}', which is neither an input (${inputNames.join(', ')}) nor an output (${outputNames.join(', ')})`);
      }
    }
    const bytes = await writeModel(module, passes, axes, inputNames, outputNames, opset);
    if (check) await checkModel(bytes, module, list, passes, axes, outputNames);
    return bytes;
  } finally {
    for (const p of passes) {
      p.trace.dispose();
      p.results.forEach((t) => t.dispose());
    }
    for (const [m, training] of modes) m.training = training;
  }
}

function names(option: string, given: readonly string[] | undefined, count: number, prefix: string): string[] {
  if (given === undefined) return Array.from({ length: count }, (_, i) => `${prefix}_${i}`);
  if (!Array.isArray(given) || given.length !== count || !given.every((n) => typeof n === 'string' && n.length > 0)) {
    throw new Error(`exportOnnx: ${option} must be ${count} non-empty strings, got ${JSON.stringify(given)}`);
  }
  if (new Set(given).size !== given.length) throw new Error(`exportOnnx: ${option} repeats a name: ${JSON.stringify(given)}`);
  return [...given];
}

interface Axes {
  /** The dynamic axes' names, in order. */
  names: string[];
  /** Which input dims follow each axis. */
  bindings: Map<string, { input: number; dim: number }[]>;
  /** The axis names of output dims, by output name. */
  outputs: Map<string, Map<number, string>>;
}

function dynamicAxes(spec: NonNullable<ExportOnnxOptions['dynamicAxes']>, inputNames: readonly string[], inputs: readonly Tensor[]): Axes {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('exportOnnx: dynamicAxes must be an object');
  const axes: Axes = { names: [], bindings: new Map(), outputs: new Map() };
  for (const [name, dims] of Object.entries(spec)) {
    const byDim: [number, string][] = Array.isArray(dims)
      ? dims.map((d) => [Number(d), `${name}_dim${d}`])
      : Object.entries(dims as Record<string, string>).map(([d, axis]) => [Number(d), axis]);
    const index = inputNames.indexOf(name);
    for (const [dim, axis] of byDim) {
      if (!Number.isInteger(dim) || dim < 0) throw new Error(`exportOnnx: dynamicAxes['${name}'] names dim ${dim}; dims are integers >= 0`);
      if (typeof axis !== 'string' || !axis) throw new Error(`exportOnnx: dynamicAxes['${name}'][${dim}] must be an axis name`);
      if (index < 0) {
        if (!axes.outputs.has(name)) axes.outputs.set(name, new Map());
        axes.outputs.get(name)!.set(dim, axis);
        continue;
      }
      if (dim >= inputs[index].rank) throw new Error(`exportOnnx: dynamicAxes['${name}'] names dim ${dim} of an input of shape [${inputs[index].shape}]`);
      if (!axes.bindings.has(axis)) axes.names.push(axis), axes.bindings.set(axis, []);
      const bound = axes.bindings.get(axis)!;
      if (bound.length && inputs[bound[0].input].shape[bound[0].dim] !== inputs[index].shape[dim]) {
        throw new Error(`exportOnnx: dynamic axis '${axis}' has two sizes in the example inputs (${inputs[bound[0].input].shape[bound[0].dim]} and ${inputs[index].shape[dim]})`);
      }
      bound.push({ input: index, dim });
    }
  }
  return axes;
}

/** The inputs with every dim on `axis` one larger (the extra rows repeat the first ones). */
function resized(inputs: readonly Tensor[], bindings: Axes['bindings'], axis: string): Tensor[] {
  return tl.tidy(() =>
    tl.noGrad(() =>
      inputs.map((t, i) => {
        const dims = bindings.get(axis)!.filter((b) => b.input === i).map((b) => b.dim);
        return dims.reduce((x, d) => tl.cat([x, x.narrow(d, 0, 1)], d), t.clone());
      }),
    ),
  );
}

function tracePass(module: Module, inputs: readonly Tensor[]): Pass {
  const { result, trace } = tl.autograd.trace((tr) => {
    const ids = inputs.map((t) => tr.idOf(t));
    module.namedParameters().forEach(([, p]) => tr.idOf(p));
    module.namedBuffers().forEach(([, b]) => tr.idOf(b));
    // tidy: the forward's intermediates go at the end (the trace keeps its own handles).
    return { ids, out: tl.tidy(() => tl.enableGrad(() => module.call(...inputs))) as unknown };
  });
  const results = flatOutputs(result.out);
  if (!results) {
    trace.dispose();
    throw new TypeError('exportOnnx: forward must return a tensor, or arrays and plain objects of tensors');
  }
  return { trace, inputs: result.ids, outputs: results.map((t) => trace.idOf(t)), results };
}

/**
 * A forward's tensors in order, through nested arrays and plain objects (an LSTM's
 * `[output, [h, c]]`, a model's `{ logits }`), as `torch.onnx.export` flattens tuples and
 * dicts; null when it holds anything else, or no tensor.
 */
function flatOutputs(out: unknown): Tensor[] | null {
  const found: Tensor[] = [];
  const visit = (v: unknown): boolean => {
    if (v instanceof tl.Tensor) return found.push(v) > 0;
    if (Array.isArray(v)) return v.every(visit);
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v).every(visit);
    return false;
  };
  return visit(out) && found.length > 0 ? found : null;
}

/** Each value's dims in terms of the dynamic axes, from the base pass and one pass per axis. */
function symbolicDims(passes: Pass[], axes: Axes, inputs: readonly Tensor[]): (id: number) => Dim[] {
  const [base, ...others] = passes;
  others.forEach((p, k) => {
    if (p.trace.ops.length !== base.trace.ops.length || p.trace.ops.some((op, i) => op.op !== base.trace.ops[i].op)) {
      throw new Error(`exportOnnx: the module runs other ops when the dynamic axis '${axes.names[k]}' changes size; it cannot be exported with that axis dynamic`);
    }
  });
  const sizes = axes.names.map((a) => {
    const b = axes.bindings.get(a)![0];
    return inputs[b.input].shape[b.dim];
  });
  // The same value in each pass: the same position among the ops' values.
  const positions = new Map<number, [number, number]>();
  base.trace.ops.forEach((op, i) => op.outputs.forEach((id, j) => positions.set(id, [i, j])));
  return (id) => {
    const shape = base.trace.tensorOf(id).shape;
    const at = positions.get(id);
    const otherShapes = others.map((p, k) => {
      if (at) return p.trace.tensorOf(p.trace.ops[at[0]].outputs[at[1]]).shape;
      const input = base.inputs.indexOf(id);
      if (input >= 0) return p.trace.tensorOf(p.inputs[input]).shape;
      return shape; // state and constants keep their shape (a constant sized by an axis fails the check)
    });
    return shape.map((d, i) => {
      const powers: Record<string, number> = {};
      let factor = d;
      otherShapes.forEach((s, k) => {
        if (s[i] === d) return;
        const n = sizes[k];
        const power = Math.round(Math.log(s[i] / d) / Math.log((n + 1) / n));
        if (power < 1 || d % n ** power !== 0 || (d / n ** power) * (n + 1) ** power !== s[i]) {
          throw new Error(`exportOnnx: a dim of size ${d} becomes ${s[i]} when '${axes.names[k]}' grows from ${n} to ${n + 1}: only products of dynamic axes can be exported`);
        }
        powers[axes.names[k]] = power;
        factor /= n ** power;
      });
      return { factor, axes: powers };
    });
  };
}

async function writeModel(module: Module, passes: Pass[], axes: Axes, inputNames: string[], outputNames: string[], opset: number): Promise<Uint8Array> {
  const base = passes[0];
  const { trace } = base;
  const inputs = base.inputs.map((id) => trace.tensorOf(id));
  const dimsOf = symbolicDims(passes, axes, inputs);
  const sources = new Map<string, AxisSource>();
  for (const axis of axes.names) {
    const b = axes.bindings.get(axis)![0];
    sources.set(axis, { input: inputNames[b.input], dim: b.dim });
  }
  const graph = new GraphBuilder(sources);

  // The ops the outputs depend on, and the values they read that no op made.
  const producer = new Map<number, number>();
  trace.ops.forEach((op, i) => op.outputs.forEach((id) => producer.set(id, i)));
  const needed = new Set<number>();
  const stack = [...base.outputs];
  const leaves = new Set<number>();
  while (stack.length) {
    const id = stack.pop()!;
    const at = producer.get(id);
    if (at === undefined) {
      leaves.add(id);
      continue;
    }
    if (needed.has(at)) continue;
    needed.add(at);
    for (const input of trace.ops[at].inputs) if (input !== null) stack.push(input);
  }
  const ops = [...needed].sort((a, b) => a - b);
  const missing = [...new Set(ops.map((i) => trace.ops[i].op).filter((op) => !WRITERS[op]))];
  if (missing.length) {
    throw new Error(`exportOnnx: no ONNX form for the op${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} (exportable: ${Object.keys(WRITERS).sort().join(', ')})`);
  }

  const name = new Map<number, string>();
  const valueInfo = (n: string, t: Tensor, dims: readonly (number | string)[]) => ({
    name: n,
    type: { tensorType: { elemType: ONNX_TYPES[t.dtype], shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const graphInputs = inputs.map((t, i) => {
    name.set(base.inputs[i], graph.claim(inputNames[i]));
    const dims = t.shape.map((d, dim) => axes.names.find((a) => axes.bindings.get(a)!.some((b) => b.input === i && b.dim === dim)) ?? d);
    return valueInfo(inputNames[i], t, dims);
  });
  // Parameters and buffers keep their state-dict names; other leaves become constants.
  const state = new Map<number, string>();
  for (const [key, t] of [...module.namedParameters(), ...module.namedBuffers()]) {
    const id = trace.idOf(t);
    if (leaves.has(id) && !state.has(id) && !name.has(id)) state.set(id, key);
  }
  for (const id of leaves) {
    if (name.has(id)) continue;
    const t = trace.tensorOf(id);
    if (!(t.dtype in ONNX_TYPES)) throw new Error(`exportOnnx: the ${state.get(id) ?? 'constant'} of shape [${t.shape}] is ${t.dtype}; exported values may be float32, int32 or bool`);
    const values = (await t.data()) as ArrayLike<number>;
    const dtype = t.dtype as 'float32' | 'int32' | 'bool';
    name.set(id, state.has(id) ? graph.initializer(graph.claim(state.get(id)!), dtype, t.shape, values) : graph.constant(dtype, t.shape, values, 'constant'));
  }
  for (const i of ops) {
    const op = trace.ops[i];
    const outs = op.outputs.map((id, j) => {
      const out = base.outputs.indexOf(id);
      const n = out >= 0 && !name.has(id) ? graph.claim(outputNames[out]) : graph.fresh(`${op.op}_${i}${op.outputs.length > 1 ? `_${j}` : ''}`);
      name.set(id, n);
      return n;
    });
    const input = (k: number) => trace.tensorOf(op.inputs[k]!);
    const out0 = trace.tensorOf(op.outputs[0]);
    const inputDims = new Map<number, Dim[]>();
    const context: EmitContext = {
      graph,
      opset,
      inputs: op.inputs.map((id) => (id === null ? '' : name.get(id)!)),
      outputs: outs,
      shape: (k) => input(k).shape,
      dtype: (k) => input(k).dtype as DType,
      outDims: dimsOf(op.outputs[0]),
      outDtype: out0.dtype as DType,
      dims: (k) => {
        if (!inputDims.has(k)) inputDims.set(k, dimsOf(op.inputs[k]!));
        return inputDims.get(k)!;
      },
      where: `exportOnnx: op #${i} '${op.op}'`,
    };
    WRITERS[op.op](context, op);
  }

  // Outputs: an output no op made (an input, a parameter) or named twice gets an Identity.
  const graphOutputs = base.outputs.map((id, k) => {
    let n = name.get(id)!;
    if (n !== outputNames[k]) n = graph.node('Identity', [n], [graph.claim(outputNames[k])])[0];
    const named = axes.outputs.get(outputNames[k]);
    const dims = dimsOf(id).map((d, dim) => {
      const given = named?.get(dim);
      if (isStatic(d)) {
        if (given) throw new Error(`exportOnnx: dynamicAxes names dim ${dim} of output '${outputNames[k]}', but it does not follow any dynamic input axis (it is always ${d.factor})`);
        return d.factor;
      }
      const [axis, ...more] = Object.entries(d.axes);
      // A dim that is one axis keeps its name; a product gets the output's own.
      return given ?? (more.length === 0 && axis[1] === 1 && d.factor === 1 ? axis[0] : `${outputNames[k]}_dim${dim}`);
    });
    return valueInfo(n, trace.tensorOf(id), dims);
  });

  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: '@tensile/onnx',
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: module.constructor.name || 'tensile', node: graph.nodes, initializer: graph.initializers, input: graphInputs, output: graphOutputs },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Run the file on other inputs (and on each resized pass's inputs) and compare with the module. */
async function checkModel(bytes: Uint8Array, module: Module, inputs: readonly Tensor[], passes: Pass[], axes: Axes, outputNames: string[]): Promise<void> {
  const device = inputs[0]?.device;
  const exported = await loadOnnx(bytes, { trainable: false, device });
  try {
    // Other values of the same shapes: every input reversed, floats also rescaled.
    const other = tl.noGrad(() => inputs.map((t) => tl.tidy(() => {
      const flipped = t.rank ? t.flip([...Array(t.rank).keys()]) : t.clone();
      return t.dtype === 'float32' ? flipped.mul(0.75).add(0.125) : flipped;
    })));
    const expected = flatOutputs(tl.tidy(() => tl.noGrad(() => module.call(...other))))!;
    const cases: [string, Tensor[], Tensor[]][] = [['other input values', other, expected]];
    passes.slice(1).forEach((p, k) => cases.push([`'${axes.names[k]}' one larger`, p.inputs.map((id) => p.trace.tensorOf(id)), p.results]));
    try {
      for (const [what, xs, want] of cases) {
        const got = tl.noGrad(() => exported.forward(...xs) as Tensor | Tensor[]);
        const gotList = got instanceof tl.Tensor ? [got] : got;
        try {
          for (let k = 0; k < want.length; k++) {
            const [a, b] = await Promise.all([gotList[k].data(), want[k].data()]);
            const scale = Array.from(b as ArrayLike<number>).reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 1);
            let worst = 0;
            for (let i = 0; i < a.length; i++) {
              const [u, v] = [Number(a[i]), Number(b[i])];
              if (u === v || (Number.isNaN(u) && Number.isNaN(v))) continue; // a fully masked row is NaN in both
              worst = Math.max(worst, Math.abs(u - v) / scale);
            }
            if (a.length !== b.length || !(worst <= 1e-4)) {
              throw new Error(
                `exportOnnx: the written graph's output '${outputNames[k]}' differs from the module's on ${what} (by ${a.length !== b.length ? `shape [${gotList[k].shape}] vs [${want[k].shape}]` : worst.toExponential(2)}): ` +
                  'the module computes something the trace saw as a constant (a value read on the host, or from the inputs\' sizes), or its control flow depends on the data. ' +
                  'Pass check: false to write the file anyway.',
              );
            }
          }
        } finally {
          gotList.forEach((t) => t.dispose());
        }
      }
    } finally {
      other.forEach((t) => t.dispose());
      new Set(cases[0][2]).forEach((t) => t.dispose());
    }
  } finally {
    exported.dispose();
  }
}
