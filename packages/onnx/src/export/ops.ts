// How each traced Tensile op is written as ONNX nodes. An op missing here is refused
// before anything is written, with every missing op named.
import type { autograd } from '@tensile/core';
import { type Dim, GraphBuilder, ONNX_TYPES, isStatic } from './graph.js';
import { MATH_WRITERS } from './math.js';
import { SELECTION_WRITERS } from './selection.js';
import { type EmitContext, type Writer, element, ints, one, promoted } from './writer.js';

/** `Op(x, scalar)`: a composite ending in a binary node with a constant. */
const withScalar = (first: string | null, opType: string, value: number): Writer => (c) => {
  const x = first ? c.graph.node(first, c.inputs)[0] : c.inputs[0];
  c.graph.node(opType, [x, c.graph.scalar(value, 'float32')], c.outputs);
};

const reshape: Writer = (c) => void c.graph.node('Reshape', [c.inputs[0], c.graph.shape(c.outDims)], c.outputs);
const expand: Writer = (c) => void c.graph.node('Expand', [c.inputs[0], c.graph.shape(c.outDims)], c.outputs);

/** Reduce nodes take their axes as an input from opset 18 (ReduceSum from 13). */
function reduce(opType: string, axesInputSince: number): Writer {
  return (c, op) => {
    const axes = ints(op.attrs.axes);
    const keepdims = op.attrs.keepdim ? 1 : 0;
    const [x] = promoted(c); // bools sum and multiply as int32
    if (c.opset >= axesInputSince) c.graph.node(opType, [x, c.graph.int64s(axes)], c.outputs, { keepdims });
    else c.graph.node(opType, [x], c.outputs, { axes, keepdims });
  };
}

/** MaxPool's or AveragePool's attributes for a traced 2-D pooling of input 0 into output 0. */
function poolAttributes(c: EmitContext, op: autograd.TracedOp, opType: 'MaxPool' | 'AveragePool'): Record<string, number | number[]> {
  const kernel = ints(op.attrs.kernelSize);
  const stride = ints(op.attrs.stride);
  const padding = ints(op.attrs.padding);
  const dilation = ints(op.attrs.dilation);
  const [h, w] = c.shape(0).slice(-2);
  const out = c.outDims.slice(-2).map((d) => d.factor);
  // Tensile's plan folds ceilMode into the output size; ONNX asks for the flag.
  const floor = [h, w].map((len, i) => Math.floor((len + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) / stride[i]) + 1);
  const attrs: Record<string, number | number[]> = {
    kernel_shape: kernel, strides: stride, pads: [...padding, ...padding], ceil_mode: out[0] !== floor[0] || out[1] !== floor[1] ? 1 : 0,
  };
  if (opType === 'MaxPool') attrs.dilations = dilation;
  else {
    if (dilation.some((d) => d !== 1)) throw new Error(`${c.where}: average pooling with dilation has no ONNX form before opset 19`);
    attrs.count_include_pad = op.attrs.countIncludePad ? 1 : 0;
  }
  return attrs;
}

const pool = (opType: 'MaxPool' | 'AveragePool'): Writer => (c, op) => void c.graph.node(opType, [c.inputs[0]], c.outputs, poolAttributes(c, op, opType));

/**
 * maxPool2d's indices: MaxPool's Indices output, positions in the whole NCHW tensor, taken
 * modulo H·W to Tensile's (and PyTorch's) positions within each plane.
 */
const maxPoolIndices: Writer = (c, op) => {
  const g = c.graph;
  if (!c.dims(0).slice(2).every(isStatic)) throw new Error(`${c.where}: max pooling indices over a dynamic spatial axis are not exported`);
  const [h, w] = c.shape(0).slice(2);
  const [, whole] = g.node('MaxPool', [c.inputs[0]], 2, poolAttributes(c, op, 'MaxPool'));
  const plane = g.node('Mod', [whole, g.scalar(h * w, 'int64')])[0];
  g.node('Cast', [plane], c.outputs, { to: ONNX_TYPES.int32 });
};

/** 0, 1, ..., `n` - 1 as a 1-D int32 Range (`n` static or dynamic). */
function range(g: GraphBuilder, n: Dim): string {
  return g.node('Range', [g.scalar(0, 'int32'), g.dimScalar(n, 'int32'), g.scalar(1, 'int32')])[0];
}

/** softmax(q kᵀ · scale + mask) v, written out: ONNX has no attention op before opset 23. */
const attention: Writer = (c, op) => {
  const g = c.graph;
  const [q, k, v, mask] = c.inputs;
  const rank = c.shape(1).length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  const kt = g.node('Transpose', [k], 1, { perm })[0];
  let scores = g.node('Mul', [g.node('MatMul', [q, kt])[0], g.scalar(Number(op.attrs.scale), 'float32')])[0];
  if (op.attrs.causal) {
    // Key j is in query i's future when j > i (top-left aligned, as PyTorch's is_causal).
    const rows = g.node('Unsqueeze', [range(g, c.dims(0)[c.shape(0).length - 2]), g.int64s([1])])[0];
    const future = g.node('Greater', [range(g, c.dims(1)[rank - 2]), rows])[0];
    scores = g.node('Where', [future, g.scalar(-Infinity, 'float32'), scores])[0];
  } else if (mask) {
    scores = c.dtype(3) === 'bool' ? g.node('Where', [mask, scores, g.scalar(-Infinity, 'float32')])[0] : g.node('Add', [scores, mask])[0];
  }
  g.node('MatMul', [g.node('Softmax', [scores], 1, { axis: -1 })[0], v], c.outputs);
};

const UNARY: Record<string, string> = {
  neg: 'Neg', abs: 'Abs', exp: 'Exp', log: 'Log', sqrt: 'Sqrt', reciprocal: 'Reciprocal', sin: 'Sin', cos: 'Cos',
  tanh: 'Tanh', sigmoid: 'Sigmoid', relu: 'Relu', erf: 'Erf', floor: 'Floor', ceil: 'Ceil', logicalNot: 'Not',
};
const BINARY: Record<string, string> = {
  add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', pow: 'Pow', maximum: 'Max', minimum: 'Min', eq: 'Equal',
  lt: 'Less', le: 'LessOrEqual', gt: 'Greater', ge: 'GreaterOrEqual', logicalAnd: 'And', logicalOr: 'Or',
};

export const WRITERS: Readonly<Record<string, Writer>> = {
  ...MATH_WRITERS,
  ...SELECTION_WRITERS,
  ...Object.fromEntries(Object.entries(UNARY).map(([op, t]) => [op, one(t)])),
  ...Object.fromEntries(Object.entries(BINARY).map(([op, t]) => [op, one(t)])),
  rsqrt: (c) => void c.graph.node('Reciprocal', c.graph.node('Sqrt', c.inputs), c.outputs),
  log1p: (c) => void c.graph.node('Log', [c.graph.node('Add', [c.inputs[0], c.graph.scalar(1, 'float32')])[0]], c.outputs),
  expm1: withScalar('Exp', 'Sub', 1),
  ne: (c) => void c.graph.node('Not', c.graph.node('Equal', c.inputs), c.outputs),
  clamp: (c, op) => {
    const bound = (v: unknown) => (v === null || v === undefined ? '' : c.graph.scalar(Number(v), 'float32'));
    if (c.outDtype !== 'float32') throw new Error(`${c.where}: clamp of ${c.outDtype} values is not exported (float32 only)`);
    c.graph.node('Clip', [c.inputs[0], bound(op.attrs.min), bound(op.attrs.max)], c.outputs);
  },
  matmul: one('MatMul'),
  softmax: (c, op) => void c.graph.node('Softmax', c.inputs, c.outputs, { axis: Number(op.attrs.dim) }),
  logSoftmax: (c, op) => void c.graph.node('LogSoftmax', c.inputs, c.outputs, { axis: Number(op.attrs.dim) }),
  reshape,
  view: reshape,
  repeat: reshape, // repeat's first step: a view adding size-1 dims

  permute: (c, op) => void c.graph.node('Transpose', c.inputs, c.outputs, { perm: ints(op.attrs.perm) }),
  squeeze: (c, op) => void c.graph.node('Squeeze', [c.inputs[0], c.graph.int64s(ints(op.attrs.dims))], c.outputs),
  unsqueeze: (c, op) => void c.graph.node('Unsqueeze', [c.inputs[0], c.graph.int64s([Number(op.attrs.dim)])], c.outputs),
  slice: (c, op) => {
    const axis = Number(op.attrs.axis);
    const [start, end, step] = [Number(op.attrs.start), Number(op.attrs.end), Number(op.attrs.step)];
    let stop = end;
    if (!isStatic(c.dims(0)[axis])) {
      // Along a dynamic axis only a slice to the end keeps its meaning at other sizes.
      if (end !== c.shape(0)[axis]) throw new Error(`${c.where}: a slice that stops before the end of a dynamic axis cannot be exported (dim ${axis}, ${start}:${end})`);
      stop = Number.MAX_SAFE_INTEGER;
    }
    c.graph.node('Slice', [c.inputs[0], c.graph.int64s([start]), c.graph.int64s([stop]), c.graph.int64s([axis]), c.graph.int64s([step])], c.outputs);
  },
  expand,
  broadcastTo: expand,
  cat: (c, op) => void c.graph.node('Concat', promoted(c), c.outputs, { axis: Number(op.attrs.dim) }),
  pad: (c, op) => {
    const pads = [...ints(op.attrs.before), ...ints(op.attrs.after)];
    const value = c.graph.scalar(Number(op.attrs.value), c.outDtype === 'int32' ? 'int32' : c.outDtype === 'bool' ? 'bool' : 'float32');
    c.graph.node('Pad', [c.inputs[0], c.graph.int64s(pads), value], c.outputs, { mode: 'constant' });
  },
  sum: reduce('ReduceSum', 13),
  mean: reduce('ReduceMean', 18),
  max: reduce('ReduceMax', 18),
  min: reduce('ReduceMin', 18),
  prod: reduce('ReduceProd', 18),
  conv2d: (c, op) => {
    const padding = ints(op.attrs.padding);
    c.graph.node('Conv', c.inputs, c.outputs, {
      kernel_shape: c.shape(1).slice(2) as number[], strides: ints(op.attrs.stride), pads: [...padding, ...padding],
      dilations: ints(op.attrs.dilation), group: Number(op.attrs.groups),
    });
  },
  // convTranspose2d's kernel: the input gradient of a conv2d whose weight [Cin, Cout/groups, kH, kW] is ConvTranspose's.
  conv2dBackwardInput: (c, op) => {
    const [stride, padding, dilation] = [ints(op.attrs.stride), ints(op.attrs.padding), ints(op.attrs.dilation)];
    const kernel = c.shape(1).slice(2) as number[];
    const input = c.shape(0).slice(2);
    if (!c.outDims.slice(2).every(isStatic)) throw new Error(`${c.where}: a transposed convolution over a dynamic spatial axis is not exported (its output_padding is read off the traced sizes)`);
    const output = c.outDims.slice(2).map((d) => d.factor);
    // The rows and columns the traced output has beyond what stride, kernel and padding give.
    const outputPadding = output.map((o, i) => o - ((input[i]! - 1) * stride[i]! + dilation[i]! * (kernel[i]! - 1) + 1 - 2 * padding[i]!));
    c.graph.node('ConvTranspose', c.inputs, c.outputs, {
      kernel_shape: kernel, strides: stride, pads: [...padding, ...padding], dilations: dilation, group: Number(op.attrs.groups), output_padding: outputPadding,
    });
  },
  maxPool2d: pool('MaxPool'),
  maxPool2dIndices: maxPoolIndices,
  avgPool2d: pool('AveragePool'),
  gather: (c, op) => void c.graph.node('GatherElements', c.inputs, c.outputs, { axis: Number(op.attrs.dim) }),
  where: (c) => {
    if (c.outDtype !== 'bool') return void c.graph.node('Where', c.inputs, c.outputs);
    // onnxruntime has no bool Where: (c and a) or (not c and b).
    const [cond, a, b] = c.inputs;
    const g = c.graph;
    g.node('Or', [g.node('And', [cond, a])[0], g.node('And', [g.node('Not', [cond])[0], b])[0]], c.outputs);
  },
  cast: (c) => void c.graph.node('Cast', c.inputs, c.outputs, { to: ONNX_TYPES[c.outDtype] }),
  clone: one('Identity'),
  contiguous: one('Identity'),
  to: one('Identity'),
  scaledDotProductAttention: attention,
  full: (c, op) => void c.graph.node('Expand', [c.graph.scalar(Number(op.attrs.value), element(c.outDtype)), c.graph.shape(c.outDims)], c.outputs),
  arange: (c, op) => {
    const g = c.graph;
    const dtype = element(c.outDtype);
    const [start, step] = [Number(op.attrs.start), Number(op.attrs.step)];
    const n = c.outDims[0];
    // Range's length is ceil((limit - start) / step): a float limit half a step short of the
    // last value cannot round into one element more.
    const count = g.dimScalar(n, dtype);
    const steps = dtype === 'int32' ? count : g.node('Sub', [count, g.scalar(0.5, dtype)])[0];
    const limit = g.node('Add', [g.node('Mul', [steps, g.scalar(step, dtype)])[0], g.scalar(start, dtype)])[0];
    g.node('Range', [g.scalar(start, dtype), limit, g.scalar(step, dtype)], c.outputs);
  },
};
