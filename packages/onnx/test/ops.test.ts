// Each operator alone against onnxruntime-node (CPU) on seeded random inputs: one-node
// models built here, run by both; outputs within |a - b| <= 1e-5 + 1e-5 |b|.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadOnnx, supportedContribOps, supportedOps } from '../src/index.js';
import { type AttrSpec, buildModel, type GraphSpec, type ModelSpec } from './build-model.js';

const TOL = 1e-5;

type Attr = AttrSpec;
type Input = number[] | { shape: number[]; values: number[] } | { int64: number[]; shape?: number[] } | { int32: number[]; shape?: number[] }
  | { uint8: number[]; shape?: number[] } | { int8: number[]; shape?: number[] } | { int16: number[]; shape?: number[] };
interface Case {
  op: string;
  /** Float inputs: a shape (random values), or fixed values with a shape. */
  inputs: (Input | null)[];
  /** Graph inputs the node does not take, named outer0, outer1, ...: what If's and Loop's bodies read from the enclosing scope. */
  outer?: Input[];
  attrs?: Record<string, Attr>;
  outputs?: number;
  opset?: number;
  /** Value range of random inputs (default [-2, 2]). */
  range?: [number, number];
  outputTypes?: ('float' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8')[];
  label?: string;
  /** The node's domain: 'com.microsoft' for onnxruntime's contrib operators (default: ONNX's). */
  domain?: string;
  /** Inputs that go through a Cast first (graph inputs are float): bool for logical ops, int64 for integer ones. */
  casts?: Record<number, 'bool' | 'int64'>;
  /** A node the first input goes through first; its outputs take the first input's place (MaxUnpool's X and I from a MaxPool). */
  before?: { op: string; attrs: Record<string, Attr>; outputs: number };
}

function random(n: number, seed: number, [lo, hi]: [number, number]): number[] {
  // A small LCG: the same inputs on every run.
  let s = seed * 7919 + 17;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return lo + (hi - lo) * (s / 2147483648);
  });
}

const MS = 'com.microsoft';

/** n integers spread over [lo, hi], the same on every run (quantized initializers). */
function bytes(n: number, lo: number, hi: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((i * 37 + seed * 101 + 11) % (hi - lo + 1)));
}

const CASES: Case[] = [
  ...['Add', 'Sub', 'Mul', 'Div'].map((op) => ({ op, inputs: [[2, 3, 4], [3, 1]] })),
  { op: 'Pow', inputs: [[3, 4], [4]], range: [0.5, 2] },
  ...['Sqrt', 'Log', 'Reciprocal'].map((op) => ({ op, inputs: [[3, 5]], range: [0.2, 3] as [number, number] })),
  ...['Exp', 'Neg', 'Abs', 'Erf', 'Tanh', 'Sigmoid', 'Relu', 'Floor', 'Ceil', 'Sin', 'Cos', 'Softplus', 'Softsign', 'HardSwish', 'Identity'].map((op) => ({ op, inputs: [[4, 5]] })),
  { op: 'LeakyRelu', inputs: [[4, 5]], attrs: { alpha: 0.2 } },
  { op: 'Elu', inputs: [[4, 5]], attrs: { alpha: 0.7 } },
  { op: 'HardSigmoid', inputs: [[4, 5]], attrs: { alpha: 0.3, beta: 0.4 } },
  { op: 'Clip', inputs: [[4, 5], { shape: [], values: [-0.5] }, { shape: [], values: [1.2] }] },
  { op: 'Clip', inputs: [[4, 5], null, { shape: [], values: [0.3] }], label: 'max only' },
  ...['Max', 'Min', 'Sum', 'Mean'].map((op) => ({ op, inputs: [[2, 3], [3], [1, 3]] })),
  ...['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual'].map((op) => ({
    op, inputs: [{ shape: [2, 3], values: [1, 2, 3, 4, 5, 6] }, { shape: [3], values: [2, 2, 5] }], outputTypes: ['bool' as const],
  })),
  { op: 'Softmax', inputs: [[2, 3, 4]], attrs: { axis: 1 }, opset: 11, label: 'opset 11 (2-D coercion)' },
  { op: 'Softmax', inputs: [[2, 3, 4]], attrs: { axis: 1 } },
  { op: 'LogSoftmax', inputs: [[2, 3, 4]] },
  { op: 'LogSoftmax', inputs: [[2, 3, 4]], attrs: { axis: 1 }, opset: 12, label: 'opset 12' },
  { op: 'MatMul', inputs: [[2, 1, 3, 4], [3, 4, 5]] },
  { op: 'MatMul', inputs: [[4], [4, 5]], label: 'vector' },
  { op: 'Gemm', inputs: [[4, 3], [5, 4], [5]], attrs: { transA: 1, transB: 1, alpha: 0.5, beta: 1.5 } },
  { op: 'Gemm', inputs: [[3, 4], [4, 5]], label: 'no C' },
  { op: 'Einsum', inputs: [[2, 3, 4], [2, 4, 5]], attrs: { equation: 'bij,bjk->bik' } },
  { op: 'Conv', inputs: [[1, 4, 7, 6], [6, 2, 3, 3], [6]], attrs: { group: 2, pads: [1, 0, 2, 1], strides: [2, 1], dilations: [1, 2] } },
  { op: 'Conv', inputs: [[2, 3, 7, 7], [4, 3, 3, 3]], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] }, label: 'SAME_UPPER' },
  { op: 'Conv', inputs: [[2, 3, 7, 7], [4, 3, 2, 2]], attrs: { auto_pad: 'SAME_LOWER' }, label: 'SAME_LOWER' },
  { op: 'Conv', inputs: [[2, 3, 9], [4, 3, 3], [4]], attrs: { pads: [2, 1], strides: [2] }, label: '1-D' },
  { op: 'ConvTranspose', inputs: [[1, 4, 4, 5], [4, 3, 3, 3], [6]], attrs: { group: 2, strides: [2, 2], pads: [1, 0, 0, 1], output_padding: [1, 0] } },
  { op: 'ConvTranspose', inputs: [[2, 3, 6], [3, 2, 4]], attrs: { strides: [3], dilations: [2] }, label: '1-D' },
  { op: 'MaxPool', inputs: [[2, 3, 7, 8]], attrs: { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1] } },
  { op: 'MaxPool', inputs: [[1, 2, 7, 7]], attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1, dilations: [1, 1] }, label: 'ceil_mode' },
  { op: 'MaxPool', inputs: [[1, 2, 7, 7]], attrs: { kernel_shape: [2, 2], dilations: [2, 2] }, label: 'dilations' },
  { op: 'MaxPool', inputs: [[1, 2, 7, 7]], attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, label: 'SAME_UPPER' },
  { op: 'MaxPool', inputs: [[1, 2, 9]], attrs: { kernel_shape: [3], strides: [2] }, label: '1-D' },
  { op: 'MaxPool', inputs: [[1, 2, 5, 6, 5]], attrs: { kernel_shape: [2, 3, 2], strides: [2, 1, 2], pads: [1, 1, 0, 0, 1, 1] }, label: '3-D, asymmetric pads' },
  { op: 'MaxPool', inputs: [[2, 3, 7, 8]], attrs: { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 1, 1, 1] }, outputs: 2, outputTypes: ['float', 'int64'], label: 'Indices' },
  { op: 'MaxPool', inputs: [[2, 3, 7, 8]], attrs: { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1] }, outputs: 2, outputTypes: ['float', 'int64'], label: 'Indices, asymmetric pads' },
  { op: 'MaxPool', inputs: [[2, 2, 9]], attrs: { kernel_shape: [3], strides: [2], pads: [0, 1] }, outputs: 2, outputTypes: ['float', 'int64'], label: 'Indices, 1-D' },
  { op: 'MaxPool', inputs: [[2, 2, 5, 6, 5]], attrs: { kernel_shape: [2, 3, 2], strides: [2, 1, 2], pads: [1, 1, 0, 0, 1, 1] }, outputs: 2, outputTypes: ['float', 'int64'], label: 'Indices, 3-D, asymmetric pads' },
  { op: 'MaxUnpool', inputs: [[2, 3, 6, 8]], before: { op: 'MaxPool', attrs: { kernel_shape: [2, 2], strides: [2, 2] }, outputs: 2 }, attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
  {
    op: 'MaxUnpool', inputs: [[2, 3, 7, 9], { int64: [2, 3, 7, 9] }], before: { op: 'MaxPool', attrs: { kernel_shape: [3, 3], strides: [2, 2] }, outputs: 2 },
    attrs: { kernel_shape: [3, 3], strides: [2, 2] }, label: 'output_shape',
  },
  { op: 'MaxUnpool', inputs: [[1, 2, 4, 6, 4]], before: { op: 'MaxPool', attrs: { kernel_shape: [2, 3, 2], strides: [2, 3, 2] }, outputs: 2 }, attrs: { kernel_shape: [2, 3, 2], strides: [2, 3, 2] }, label: '3-D' },
  { op: 'Conv', inputs: [[1, 4, 5, 6, 5], [2, 2, 3, 2, 3], [2]], attrs: { group: 2, pads: [1, 0, 1, 1, 1, 1], strides: [1, 2, 1], dilations: [1, 1, 2] }, label: '3-D' },
  { op: 'AveragePool', inputs: [[1, 2, 6, 5, 6]], attrs: { kernel_shape: [3, 3, 3], strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1] }, label: '3-D excluding pads' },
  { op: 'ConvTranspose', inputs: [[1, 4, 3, 4, 3], [4, 1, 2, 3, 2], [2]], attrs: { group: 2, strides: [2, 1, 2], pads: [1, 0, 0, 0, 1, 1], output_padding: [1, 0, 1], dilations: [1, 2, 1] }, label: '3-D' },
  { op: 'AveragePool', inputs: [[2, 3, 7, 8]], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 } },
  { op: 'AveragePool', inputs: [[2, 3, 7, 8]], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, label: 'excluding pads' },
  { op: 'AveragePool', inputs: [[1, 2, 7, 7]], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, label: 'ceil_mode' },
  { op: 'GlobalAveragePool', inputs: [[2, 3, 5, 4]] },
  { op: 'GlobalMaxPool', inputs: [[2, 3, 5, 4]] },
  { op: 'BatchNormalization', inputs: [[2, 3, 4, 5], [3], [3], [3], { shape: [3], values: [0.5, 1, 2] }], attrs: { epsilon: 1e-3 } },
  { op: 'LayerNormalization', inputs: [[2, 3, 4], [3, 4], [3, 4]], attrs: { axis: -2, epsilon: 1e-4 } },
  { op: 'Flatten', inputs: [[2, 3, 4, 5]], attrs: { axis: 2 } },
  { op: 'Reshape', inputs: [[2, 3, 4], { int64: [0, -1, 2] }] },
  { op: 'Transpose', inputs: [[2, 3, 4]], attrs: { perm: [2, 0, 1] } },
  { op: 'Transpose', inputs: [[2, 3, 4]], label: 'default perm' },
  // On the host, as shape arithmetic needs (Swin's pads come through one).
  { op: 'Transpose', inputs: [{ int64: Array.from({ length: 24 }, (_, i) => i * 7 - 50), shape: [2, 3, 4] }], attrs: { perm: [2, 0, 1] }, outputTypes: ['int64'], label: 'host int64' },
  { op: 'Transpose', inputs: [{ int64: [1, 2, 3, 4, 5, 6], shape: [2, 3] }], outputTypes: ['int64'], label: 'host int64, default perm' },
  { op: 'Concat', inputs: [[2, 3], [2, 1], [2, 2]], attrs: { axis: -1 } },
  { op: 'Split', inputs: [[2, 7], { int64: [2, 5] }], attrs: { axis: 1 }, outputs: 2 },
  { op: 'Split', inputs: [[6, 2]], outputs: 3, label: 'equal parts' },
  { op: 'Split', inputs: [[6, 2]], attrs: { split: [1, 5] }, outputs: 2, opset: 11, label: 'opset 11 attribute' },
  { op: 'Slice', inputs: [[5, 6, 4], { int64: [1, -1] }, { int64: [4, -100] }, { int64: [0, 1] }, { int64: [2, -2] }] },
  { op: 'Slice', inputs: [[5, 6], { int64: [2] }, { int64: [9223372036854775807] }], label: 'to INT64_MAX' },
  { op: 'Squeeze', inputs: [[2, 1, 3, 1], { int64: [1, -1] }] },
  { op: 'Squeeze', inputs: [[2, 1, 3, 1]], attrs: { axes: [1] }, opset: 11, label: 'opset 11 attribute' },
  { op: 'Unsqueeze', inputs: [[2, 3], { int64: [0, -1] }] },
  { op: 'Gather', inputs: [[3, 4, 2], { int64: [2, -1, 0, 1], shape: [2, 2] }], attrs: { axis: 1 } },
  { op: 'GatherElements', inputs: [[3, 4], { int64: [2, -1, 0, 1, 3, -4], shape: [3, 2] }], attrs: { axis: 1 } },
  { op: 'GatherElements', inputs: [[3, 4], { int64: [2, 0, 1, 0], shape: [2, 2] }], attrs: { axis: 0 }, label: 'axis 0' },
  { op: 'Expand', inputs: [[3, 1], { int64: [2, 1, 4] }] },
  { op: 'Tile', inputs: [[2, 3], { int64: [2, 1] }] },
  { op: 'Pad', inputs: [[2, 3, 4], { int64: [0, 1, 2, 1, 0, 1] }, { shape: [], values: [0.5] }] },
  { op: 'Where', inputs: [{ shape: [2, 3], values: [1, 0, 1, 0, 0, 1] }, [2, 3], [3]], casts: { 0: 'bool' }, label: 'via Cast to bool' },
  { op: 'Resize', inputs: [[1, 2, 3, 4], null, { shape: [4], values: [1, 1, 2, 2] }], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } },
  { op: 'Resize', inputs: [[1, 2, 3, 4], null, { shape: [4], values: [1, 1, 2, 1.5] }], attrs: { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }, label: 'linear' },
  { op: 'Resize', inputs: [[1, 2, 3, 4], null, null, { int64: [1, 2, 5, 7] }], attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, label: 'linear align_corners sizes' },
  { op: 'Resize', inputs: [[1, 2, 3, 4], null, { shape: [4], values: [1, 1, 2, 2] }], attrs: { mode: 'cubic', coordinate_transformation_mode: 'pytorch_half_pixel', cubic_coeff_a: -0.75 }, label: 'cubic (PyTorch bicubic)' },
  { op: 'Resize', inputs: [[2, 1, 4, 3], null, null, { int64: [2, 1, 7, 5] }], attrs: { mode: 'cubic', coordinate_transformation_mode: 'align_corners', cubic_coeff_a: -0.75 }, label: 'cubic align_corners sizes' },
  { op: 'Resize', inputs: [[1, 2, 6, 8], null, null, { int64: [1, 2, 4, 5] }], attrs: { mode: 'cubic', coordinate_transformation_mode: 'half_pixel', cubic_coeff_a: -0.75 }, label: 'cubic downscaling' },
  ...['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceSumSquare', 'ReduceL2'].map((op) => ({ op, inputs: [[2, 3, 4]], attrs: { axes: [0, 2], keepdims: 0 } })),
  { op: 'ReduceSum', inputs: [[2, 3, 4], { int64: [-1] }] },
  { op: 'ReduceMean', inputs: [[2, 3, 4]], label: 'all axes' },
  { op: 'Cast', inputs: [[3, 4]], attrs: { to: 7 }, range: [-5, 5], outputTypes: ['int64'] },
  { op: 'Shape', inputs: [[2, 3, 4]], attrs: { start: 1 }, outputTypes: ['int64'] },
  { op: 'Size', inputs: [[2, 3, 4]], outputTypes: ['int64'] },
  { op: 'ConstantOfShape', inputs: [{ int64: [2, 3] }] },
  { op: 'Range', inputs: [{ shape: [], values: [1] }, { shape: [], values: [7] }, { shape: [], values: [1.5] }] },
  { op: 'Dropout', inputs: [[3, 4]] },
  ...['ArgMax', 'ArgMin'].map((op) => ({ op, inputs: [[3, 5]], attrs: { axis: 1, keepdims: 0 }, outputTypes: ['int64' as const] })),
  ...['Sign', 'Round', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Selu', 'Celu', 'ThresholdedRelu'].map((op) => ({ op, inputs: [[4, 5]], range: [-3, 3] as [number, number] })),
  { op: 'Tan', inputs: [[4, 5]], range: [-1.3, 1.3] },
  ...['Asin', 'Acos', 'Atanh'].map((op) => ({ op, inputs: [[4, 5]], range: [-0.95, 0.95] as [number, number] })),
  { op: 'Acosh', inputs: [[4, 5]], range: [1, 4] },
  { op: 'Round', inputs: [{ shape: [10], values: [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997, -0.50000006, 2.4] }], label: 'half to even' },
  { op: 'Sign', inputs: [{ shape: [5], values: [-2, 0, 3, -0.25, -0] }], label: 'zeros' },
  { op: 'Sign', inputs: [{ shape: [5], values: [-2, 0, 3, -7, 1] }], casts: { 0: 'int64' }, outputTypes: ['int64'], label: 'int64' },
  { op: 'Sign', inputs: [{ int64: [-2, 0, 3, -7, 1] }], outputTypes: ['int64'], label: 'host int64' },
  { op: 'IsNaN', inputs: [{ shape: [6], values: [NaN, 1, Infinity, -Infinity, 0, -NaN] }], outputTypes: ['bool'] },
  ...([{}, { detect_negative: 0 }, { detect_positive: 0 }, { detect_negative: 0, detect_positive: 0 }] as Record<string, number>[]).map((attrs) => ({
    op: 'IsInf', inputs: [{ shape: [6], values: [NaN, 1, Infinity, -Infinity, 0, -3e38] }], attrs, outputTypes: ['bool' as const], label: JSON.stringify(attrs),
  })),
  ...['And', 'Or', 'Xor'].map((op) => ({
    op, inputs: [{ shape: [2, 4], values: [0, 0, 1, 1, 1, 0, 1, 0] }, { shape: [4], values: [0, 1, 0, 1] }], casts: { 0: 'bool' as const, 1: 'bool' as const }, outputTypes: ['bool' as const],
  })),
  { op: 'Mod', inputs: [[3, 4], [4]], attrs: { fmod: 1 }, label: 'fmod 1' },
  { op: 'Mod', inputs: [{ shape: [5], values: [5.5, -5.5, 7.25, -0.75, 3] }, { shape: [5], values: [2, 2, -1.5, 0.5, -4] }], attrs: { fmod: 1 }, label: 'fmod 1, signs' },
  ...[0, 1].map((fmod) => ({
    op: 'Mod', inputs: [{ shape: [2, 4], values: [5, -5, 7, -7, 0, 3, -6, 9] }, { shape: [4], values: [3, -3, 2, -4] }], attrs: { fmod },
    casts: { 0: 'int64' as const, 1: 'int64' as const }, outputTypes: ['int64' as const], label: `fmod ${fmod}, int64`,
  })),
  ...[0, 1].map((fmod) => ({
    op: 'Mod', inputs: [{ int64: [5, -5, 7, -7, 0, 3, -6, 9], shape: [2, 4] }, { int64: [3, -3, 2, -4] }], attrs: { fmod }, outputTypes: ['int64' as const], label: `fmod ${fmod}, host int64`,
  })),
  { op: 'PRelu', inputs: [[2, 3, 4, 5], [3, 1, 1]], label: 'per channel' },
  { op: 'PRelu', inputs: [[2, 3, 4], [4]], label: 'trailing' },
  { op: 'PRelu', inputs: [[2, 3], [1]], label: 'shared' },
  { op: 'Selu', inputs: [[4, 5]], attrs: { alpha: 1.5, gamma: 0.8 }, label: 'alpha, gamma' },
  { op: 'Celu', inputs: [[4, 5]], attrs: { alpha: 0.4 }, range: [-3, 3], label: 'alpha' },
  { op: 'ThresholdedRelu', inputs: [[4, 5]], attrs: { alpha: -0.5 }, label: 'alpha' },
  { op: 'Trilu', inputs: [[2, 4, 5]] },
  { op: 'Trilu', inputs: [[2, 4, 5], { int64: [1], shape: [] }], label: 'k 1' },
  { op: 'Trilu', inputs: [[4, 5], { int64: [-2], shape: [] }], attrs: { upper: 0 }, label: 'lower, k -2' },
  { op: 'Trilu', inputs: [[3, 5, 4]], attrs: { upper: 0 }, label: 'lower' },
  { op: 'Trilu', inputs: [[5, 4], { int64: [9], shape: [] }], attrs: { upper: 0 }, label: 'lower, k past the end' },
  { op: 'ScatterElements', inputs: [[3, 4], { int64: [1, 0, 2, -1, -1, 2, 0, 1], shape: [2, 4] }, [2, 4]] },
  { op: 'ScatterElements', inputs: [[3, 4], { int64: [1, -1, 0, 2, 3, 0], shape: [3, 2] }, [3, 2]], attrs: { axis: -1 }, label: 'axis -1' },
  ...(['add', 'mul', 'max', 'min'] as const).map((reduction) => ({
    op: 'ScatterElements', inputs: [[3, 4], { int64: [1, 0, 2, 0, 1, 0, -1, 0, 1, 1, 2, 0], shape: [3, 4] }, [3, 4]], attrs: { reduction },
    opset: reduction === 'max' || reduction === 'min' ? 18 : 16, label: `${reduction}, repeated indices`,
  })),
  { op: 'ScatterND', inputs: [[4, 3, 2], { int64: [1, 3], shape: [2, 1] }, [2, 3, 2]], label: 'whole slices' },
  { op: 'ScatterND', inputs: [[4, 3, 2], { int64: [0, 1, 3, 2, 2, 0], shape: [3, 2] }, [3, 2]], label: 'rows of the last dim' },
  { op: 'ScatterND', inputs: [[3, 4], { int64: [2, 3, 0, 0], shape: [2, 1, 2] }, [2, 1]], label: 'single elements, batched indices' },
  ...(['add', 'mul', 'max', 'min'] as const).map((reduction) => ({
    op: 'ScatterND', inputs: [[4, 3], { int64: [1, 1, 3, 0, 1], shape: [5, 1] }, [5, 3]], attrs: { reduction },
    opset: reduction === 'max' || reduction === 'min' ? 18 : 16, label: `${reduction}, repeated indices`,
  })),
  { op: 'GatherND', inputs: [[2, 3, 4], { int64: [1, 2, 0, -1], shape: [2, 2] }] },
  { op: 'GatherND', inputs: [[3, 4], { int64: [2, 3, 0, 1, 1, 1], shape: [3, 2] }], label: 'elements' },
  { op: 'GatherND', inputs: [[2, 3, 4], { int64: [1, 2, 0, 0], shape: [2, 2, 1] }], attrs: { batch_dims: 1 }, label: 'batch_dims 1' },
  { op: 'GatherND', inputs: [[2, 3, 4, 2], { int64: [1, 3, 0, 0, 2, 1], shape: [2, 3, 1] }], attrs: { batch_dims: 2 }, label: 'batch_dims 2' },
  { op: 'TopK', inputs: [[3, 6], { int64: [3] }], outputs: 2, outputTypes: ['float', 'int64'] },
  { op: 'TopK', inputs: [[5, 3, 2], { int64: [2] }], attrs: { axis: 0, largest: 0 }, outputs: 2, outputTypes: ['float', 'int64'], label: 'smallest, axis 0' },
  ...[1, 0].map((largest) => ({
    op: 'TopK', inputs: [{ shape: [2, 6], values: [1, 3, 3, 2, 3, 1, 0, 0, 5, 0, 5, 0] }, { int64: [4] }], attrs: { largest }, outputs: 2,
    outputTypes: ['float' as const, 'int64' as const], label: `ties, largest ${largest}`,
  })),
  { op: 'TopK', inputs: [[4, 5], { int64: [5] }], attrs: { axis: 1 }, outputs: 2, outputTypes: ['float', 'int64'], opset: 10, label: 'opset 10' },
  { op: 'TopK', inputs: [[4, 5]], attrs: { k: 2, axis: 0 }, outputs: 2, outputTypes: ['float', 'int64'], opset: 9, label: 'opset 9 attribute' },
  { op: 'CumSum', inputs: [[3, 4], { int64: [1], shape: [] }] },
  ...([{ exclusive: 1 }, { reverse: 1 }, { exclusive: 1, reverse: 1 }] as Record<string, number>[]).map((attrs) => ({ op: 'CumSum', inputs: [[3, 4, 2], { int64: [-2], shape: [] }], attrs, label: JSON.stringify(attrs) })),
  { op: 'CumSum', inputs: [{ shape: [2, 3], values: [1, -2, 3, 4, 5, -6] }, { int64: [0] }], attrs: { exclusive: 1 }, casts: { 0: 'int64' }, outputTypes: ['int64'], label: 'int64, 1-D axis' },
  { op: 'CumSum', inputs: [[3, 1], { int64: [1], shape: [] }], attrs: { exclusive: 1, reverse: 1 }, label: 'length 1' },
  ...['reflect', 'edge'].flatMap((mode) => [
    { op: 'Pad', inputs: [[2, 3, 4, 5], { int64: [0, 0, 1, 2, 0, 0, 3, 1] }], attrs: { mode }, label: `${mode}, 2-D` },
    { op: 'Pad', inputs: [[2, 3, 5], { int64: [0, 0, 2, 0, 0, 1] }], attrs: { mode }, label: `${mode}, 1-D` },
  ]),
  ...(['bilinear', 'nearest', 'bicubic'] as const).flatMap((mode) => (['zeros', 'border', 'reflection'] as const).map((padding_mode) => ({
    // Grid points reach past [-1, 1], so every padding mode matters.
    op: 'GridSample', inputs: [[2, 3, 4, 5], [2, 3, 6, 2]], attrs: { mode, padding_mode, align_corners: mode === 'bicubic' ? 1 : 0 }, range: [-1.3, 1.3] as [number, number],
    opset: 16, label: `${mode}, ${padding_mode}`,
  }))),
  { op: 'InstanceNormalization', inputs: [[2, 3, 4, 5], [3], [3]], attrs: { epsilon: 0.001 } },
  { op: 'InstanceNormalization', inputs: [[2, 3, 7], [3], [3]], label: '1-D' },
  ...['DCR', 'CRD'].map((mode) => ({ op: 'DepthToSpace', inputs: [[1, 8, 2, 3]], attrs: { blocksize: 2, mode }, label: mode })),
  { op: 'SpaceToDepth', inputs: [[2, 2, 4, 6]], attrs: { blocksize: 2 } },
  ...[-1, 0].map((axis) => ({
    op: 'OneHot', inputs: [{ int64: [0, 3, -1, 5, 2, -4], shape: [2, 3] }, { int64: [4], shape: [] }, { shape: [2], values: [-1, 2] }], attrs: { axis }, label: `axis ${axis}, negative and out-of-range indices`,
  })),
  { op: 'ReduceL1', inputs: [[2, 3, 4]], attrs: { axes: [1], keepdims: 0 } },
  { op: 'ReduceLogSum', inputs: [[2, 3, 4]], attrs: { axes: [0, 2] }, range: [0.1, 2] },
  { op: 'ReduceLogSumExp', inputs: [[2, 3, 4]], attrs: { axes: [-1] }, range: [-20, 20] },
  { op: 'ReduceLogSumExp', inputs: [[2, 3, 4], { int64: [1] }], opset: 18, label: 'opset 18 axes input' },
  // Recurrent layers (hidden 4, input 3, sequence 5, batch 2); weights in [-1, 1].
  ...(['forward', 'reverse', 'bidirectional'] as const).map((direction) => {
    const d = direction === 'bidirectional' ? 2 : 1;
    return { op: 'LSTM', inputs: [[5, 2, 3], [d, 16, 3], [d, 16, 4], [d, 32]], attrs: { hidden_size: 4, direction }, outputs: 3, range: [-1, 1] as [number, number], label: direction };
  }),
  {
    op: 'LSTM', inputs: [[5, 2, 3], [2, 16, 3], [2, 16, 4], [2, 32], null, [2, 2, 4], [2, 2, 4], [2, 12]], attrs: { hidden_size: 4, direction: 'bidirectional' },
    outputs: 3, range: [-1, 1], label: 'initial state, peepholes',
  },
  { op: 'LSTM', inputs: [[5, 2, 3], [1, 16, 3], [1, 16, 4], null, null, [1, 2, 4]], attrs: { hidden_size: 4 }, outputs: 3, range: [-1, 1], label: 'no bias, initial h' },
  // A padded batch: sequences of 5, 2 and 4 steps.
  ...(['forward', 'bidirectional'] as const).map((direction) => {
    const d = direction === 'bidirectional' ? 2 : 1;
    return {
      op: 'LSTM', inputs: [[5, 3, 3], [d, 16, 3], [d, 16, 4], [d, 32], { int32: [5, 2, 4] }, [d, 3, 4], [d, 3, 4]], attrs: { hidden_size: 4, direction },
      outputs: 3, range: [-1, 1] as [number, number], label: `sequence_lens, ${direction}`,
    };
  }),
  { op: 'GRU', inputs: [[5, 3, 3], [2, 12, 3], [2, 12, 4], [2, 24], { int32: [1, 5, 3] }], attrs: { hidden_size: 4, direction: 'bidirectional', linear_before_reset: 1 }, outputs: 2, range: [-1, 1], label: 'sequence_lens' },
  { op: 'RNN', inputs: [[5, 3, 3], [1, 4, 3], [1, 4, 4], null, { int32: [3, 0, 5] }], attrs: { hidden_size: 4, direction: 'reverse' }, outputs: 2, range: [-1, 1], label: 'sequence_lens (one empty), reverse' },
  ...[0, 1].map((linear_before_reset) => ({
    op: 'GRU', inputs: [[5, 2, 3], [2, 12, 3], [2, 12, 4], [2, 24], null, [2, 2, 4]], attrs: { hidden_size: 4, direction: 'bidirectional', linear_before_reset },
    outputs: 2, range: [-1, 1] as [number, number], label: `bidirectional, linear_before_reset ${linear_before_reset}`,
  })),
  { op: 'GRU', inputs: [[5, 2, 3], [1, 12, 3], [1, 12, 4]], attrs: { hidden_size: 4, direction: 'reverse' }, outputs: 2, range: [-1, 1], label: 'reverse, no bias' },
  { op: 'RNN', inputs: [[5, 2, 3], [1, 4, 3], [1, 4, 4], [1, 8]], attrs: { hidden_size: 4 }, outputs: 2, range: [-1, 1] },
  {
    op: 'RNN', inputs: [[5, 2, 3], [2, 4, 3], [2, 4, 4], [2, 8], null, [2, 2, 4]], attrs: { hidden_size: 4, direction: 'bidirectional', activations: ['Relu', 'Tanh'] },
    outputs: 2, range: [-1, 1], label: 'bidirectional, Relu and Tanh',
  },
  // More operators: casts, linear algebra, pooling and normalisation, data-dependent shapes, losses, windows.
  { op: 'CastLike', inputs: [[3, 4], { int64: [1], shape: [] }], range: [-5, 5], outputTypes: ['int64'] },
  { op: 'CastLike', inputs: [{ shape: [4], values: [0, 1.5, -2, 0] }, { shape: [1], values: [1] }], casts: { 1: 'bool' }, outputTypes: ['bool'], label: 'to bool' },
  { op: 'CastLike', inputs: [{ int64: [3, -1, 0] }, [2]], label: 'host int64 to float' },
  { op: 'Det', inputs: [[3, 3]] },
  { op: 'Det', inputs: [[2, 4, 4]], label: 'batched' },
  { op: 'EyeLike', inputs: [[3, 4]] },
  { op: 'EyeLike', inputs: [[4, 3]], attrs: { k: -1, dtype: 7 }, outputTypes: ['int64'], label: 'k -1, int64' },
  { op: 'EyeLike', inputs: [[3, 5]], attrs: { k: 2 }, label: 'k 2' },
  { op: 'Shrink', inputs: [[4, 5]], attrs: { lambd: 0.7, bias: 0.3 } },
  { op: 'Shrink', inputs: [[4, 5]], label: 'defaults' },
  { op: 'GlobalLpPool', inputs: [[2, 3, 4, 5]] },
  { op: 'GlobalLpPool', inputs: [[2, 3, 7]], attrs: { p: 3 }, label: 'p 3, 1-D' },
  { op: 'LpPool', inputs: [[2, 3, 7, 8]], attrs: { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1], p: 3 } },
  { op: 'LpPool', inputs: [[2, 3, 7, 7]], attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, label: 'SAME_UPPER' },
  { op: 'LpPool', inputs: [[1, 2, 9]], attrs: { kernel_shape: [3], strides: [2], p: 1 }, label: '1-D, p 1' },
  { op: 'LpPool', inputs: [[1, 2, 7, 7]], attrs: { kernel_shape: [2, 2], dilations: [2, 1] }, opset: 18, label: 'opset 18 dilations' },
  { op: 'Hardmax', inputs: [[2, 3, 4]] },
  { op: 'Hardmax', inputs: [[2, 3, 4]], attrs: { axis: 1 }, opset: 11, label: 'opset 11 (2-D coercion)' },
  { op: 'Hardmax', inputs: [{ shape: [2, 4], values: [1, 3, 3, 0, 2, 2, 2, 2] }], label: 'ties' },
  // An even size is checked in 'what the spec leaves open': onnxruntime refuses it.
  { op: 'LRN', inputs: [[2, 6, 3, 3]], attrs: { size: 3, alpha: 0.002, beta: 0.6, bias: 1.5 } },
  { op: 'LpNormalization', inputs: [[3, 4]] },
  { op: 'LpNormalization', inputs: [[3, 4, 2]], attrs: { axis: 1, p: 1 }, label: 'p 1, axis 1' },
  { op: 'LpNormalization', inputs: [{ shape: [2, 3], values: [0, 0, 0, 1, -2, 3] }], label: 'zero row' },
  { op: 'MeanVarianceNormalization', inputs: [[2, 3, 4, 5]] },
  { op: 'MeanVarianceNormalization', inputs: [[2, 3, 4]], attrs: { axes: [1, -1] }, label: 'axes' },
  { op: 'ReverseSequence', inputs: [[4, 4], { int64: [4, 3, 2, 1] }], attrs: { time_axis: 0, batch_axis: 1 } },
  { op: 'ReverseSequence', inputs: [[3, 5, 2], { int64: [1, 5, 3] }], attrs: { time_axis: 1, batch_axis: 0 }, label: 'time axis 1' },
  { op: 'Upsample', inputs: [[1, 2, 3, 4]], attrs: { scales: [1, 1, 2, 1.5] }, opset: 7, label: 'opset 7 nearest' },
  { op: 'Upsample', inputs: [[1, 2, 3, 4]], attrs: { scales: [1, 1, 2.5, 1.5], mode: 'linear' }, opset: 7, label: 'opset 7 linear' },
  { op: 'Upsample', inputs: [[2, 3, 4], { shape: [3], values: [1, 3, 2] }], opset: 9, label: 'opset 9 nearest' },
  { op: 'Upsample', inputs: [[1, 2, 3, 4], { shape: [4], values: [1, 1, 2, 3] }], attrs: { mode: 'linear' }, opset: 9, label: 'opset 9 linear' },
  { op: 'Scatter', inputs: [[3, 4], { int64: [1, -1, 0, 2, 3, 0], shape: [3, 2] }, [3, 2]], attrs: { axis: 1 }, opset: 10 },
  { op: 'Compress', inputs: [[3, 4], { shape: [3], values: [0, 1, 1] }], attrs: { axis: 1 }, casts: { 1: 'bool' }, label: 'condition shorter than the axis' },
  { op: 'Compress', inputs: [[3, 4], { shape: [5], values: [1, 0, 0, 1, 1] }], casts: { 1: 'bool' }, label: 'flattened' },
  { op: 'NonZero', inputs: [{ shape: [2, 3], values: [0, 1.5, 0, -2, 0, 3] }], outputTypes: ['int64'] },
  { op: 'Compress', inputs: [[3, 4], { shape: [3], values: [0, 0, 0] }], attrs: { axis: 0 }, casts: { 1: 'bool' }, label: 'nothing selected' },
  { op: 'NonZero', inputs: [{ shape: [2, 3], values: [0, 0, 0, 0, 0, 0] }], outputTypes: ['int64'], label: 'all zero' },
  { op: 'Upsample', inputs: [[1, 2, 3, 5], { shape: [4], values: [1, 1, 1.7, 2.3] }], attrs: { mode: 'linear' }, opset: 9, label: 'opset 9 linear, fractional scales' },
  { op: 'Upsample', inputs: [[1, 2, 3, 5], { shape: [4], values: [1, 1, 1.7, 2.3] }], opset: 9, label: 'opset 9 nearest, fractional scales' },
  { op: 'MeanVarianceNormalization', inputs: [[2, 3, 4, 5]], opset: 9, label: 'opset 9' },
  ...([{ across_channels: 0 }, { across_channels: 1 }, { normalize_variance: 0 }] as Record<string, number>[]).map((attrs): Case => ({ op: 'MeanVarianceNormalization', inputs: [[2, 3, 4, 5]], attrs, opset: 8, label: `opset 8, ${Object.keys(attrs)[0]} ${Object.values(attrs)[0]}` })),
  // The experimental operators of opsets 1 to 9.
  { op: 'Affine', inputs: [[2, 3, 4]], attrs: { alpha: 2.5, beta: -0.5 }, opset: 9 },
  { op: 'Affine', inputs: [[2, 3, 4]], opset: 9, label: 'defaults' },
  { op: 'ScaledTanh', inputs: [[2, 3, 4]], attrs: { alpha: 1.5, beta: 0.7 }, opset: 9 },
  { op: 'ParametricSoftplus', inputs: [[2, 3, 4]], attrs: { alpha: 1.5, beta: 0.7 }, opset: 9 },
  { op: 'Scale', inputs: [[2, 3, 4]], attrs: { scale: -1.5 }, opset: 8 },
  { op: 'Scale', inputs: [[2, 3, 4]], opset: 8, label: 'default' },
  { op: 'ImageScaler', inputs: [[2, 3, 4, 5]], attrs: { scale: 0.5, bias: [1, -2, 0.25] }, opset: 7 },
  { op: 'Crop', inputs: [[2, 3, 6, 7]], attrs: { border: [1, 2, 0, 1] }, opset: 9 },
  { op: 'Crop', inputs: [[2, 3, 6, 7]], attrs: { border: [2, 1, 0, 0], scale: [3, 4] }, opset: 9, label: 'scale' },
  { op: 'DynamicSlice', inputs: [[4, 5, 6], { int64: [1, -4] }, { int64: [3, 100] }], opset: 9 },
  { op: 'DynamicSlice', inputs: [[4, 5, 6], { int64: [1, 0] }, { int64: [3, 2] }, { int64: [2, 0] }], opset: 9, label: 'axes' },
  { op: 'Unique', inputs: [{ shape: [6], values: [-0.5, 2, -0, 0, 2, -3] }], outputs: 4, outputTypes: ['float', 'int64', 'int64', 'int64'], label: 'signed zeros' },
  { op: 'ReverseSequence', inputs: [[4, 3], { int64: [1, 4, 0] }], label: 'a zero length' },
  { op: 'NonZero', inputs: [{ shape: [2, 2, 2], values: [1, 0, 0, 1, 0, 0, 0, 1] }], casts: { 0: 'bool' }, outputTypes: ['int64'], label: 'bool, 3-D' },
  ...[1, 0].map((sorted) => ({
    op: 'Unique', inputs: [{ shape: [2, 4], values: [2, 1, 1, 3, 4, 3, 2, 0] }], attrs: { sorted }, outputs: 4,
    outputTypes: ['float' as const, 'int64' as const, 'int64' as const, 'int64' as const], label: `sorted ${sorted}`,
  })),
  {
    op: 'Unique', inputs: [{ shape: [2, 4, 2], values: [1, 1, 0, 1, 2, 1, 0, 1, 1, 1, 0, 1, 2, 1, 0, 1] }], attrs: { axis: 1 }, outputs: 4,
    outputTypes: ['float', 'int64', 'int64', 'int64'], label: 'axis 1',
  },
  { op: 'Unique', inputs: [{ int64: [5, -1, 5, 2, -1, 0], shape: [3, 2] }], attrs: { axis: 0, sorted: 0 }, outputs: 2, outputTypes: ['int64', 'int64'], label: 'host int64, axis 0' },
  ...(['none', 'sum', 'mean'] as const).flatMap((reduction): Case[] => [
    { op: 'NegativeLogLikelihoodLoss', inputs: [[4, 5], { int64: [1, 0, 4, 2] }], attrs: { reduction }, label: reduction },
    { op: 'NegativeLogLikelihoodLoss', inputs: [[2, 3, 4], { int64: [0, 2, 1, 1, 2, 0, -1, 1], shape: [2, 4] }, [3]], attrs: { reduction, ignore_index: -1 }, label: `${reduction}, weights, ignore_index` },
    { op: 'SoftmaxCrossEntropyLoss', inputs: [[4, 5], { int64: [1, 0, 4, 2] }], attrs: { reduction }, label: reduction },
    {
      op: 'SoftmaxCrossEntropyLoss', inputs: [[2, 3, 4], { int64: [0, 2, 1, 1, 2, 0, 5, 1], shape: [2, 4] }, [3]], attrs: { reduction, ignore_index: 5 }, outputs: 2,
      label: `${reduction}, weights, ignore_index, log_prob`,
    },
  ]),
  ...['HannWindow', 'HammingWindow', 'BlackmanWindow'].flatMap((op) => [1, 0].map((periodic) => ({ op, inputs: [{ int64: [10], shape: [] }], attrs: { periodic }, label: `periodic ${periodic}` }))),
  // Opset 18's operators, detection and spectral operators.
  { op: 'Mish', inputs: [[4, 5]], range: [-4, 4], opset: 18 },
  { op: 'GroupNormalization', inputs: [[2, 6, 3, 4], [3], [3]], attrs: { num_groups: 3, epsilon: 1e-3 }, opset: 18 },
  { op: 'GroupNormalization', inputs: [[2, 4, 5], [1], [1]], attrs: { num_groups: 1 }, opset: 18, label: '1-D, one group' },
  ...['BitwiseAnd', 'BitwiseOr', 'BitwiseXor'].flatMap((op): Case[] => [
    { op, inputs: [{ int64: [5, -6, 12, 0, 7, -1, 2147483647, -2147483648], shape: [2, 4] }, { int64: [3, -3, 10, 9] }], outputTypes: ['int64'], opset: 18, label: 'host int64' },
    { op, inputs: [{ shape: [2, 4], values: [5, -6, 12, 0, 7, -1, 100, -77] }, { shape: [4], values: [3, -3, 10, 9] }], casts: { 0: 'int64', 1: 'int64' }, outputTypes: ['int64'], opset: 18, label: 'int64 tensors' },
  ]),
  { op: 'BitwiseNot', inputs: [{ int64: [5, -6, 0, -1, 2147483647, -2147483648] }], outputTypes: ['int64'], opset: 18, label: 'host int64' },
  { op: 'BitwiseNot', inputs: [{ shape: [5], values: [5, -6, 0, -1, 1000] }], casts: { 0: 'int64' }, outputTypes: ['int64'], opset: 18, label: 'int64 tensor' },
  { op: 'CenterCropPad', inputs: [[7, 4, 3], { int64: [4, 7, 3] }], opset: 18 },
  { op: 'CenterCropPad', inputs: [[3, 6, 5], { int64: [3, 8] }], attrs: { axes: [1, 2] }, opset: 18, label: 'axes' },
  { op: 'Col2Im', inputs: [[2, 12, 20], { int64: [5, 6] }, { int64: [2, 2] }], opset: 18 },
  { op: 'Col2Im', inputs: [[1, 12, 15], { int64: [5, 6] }, { int64: [2, 2] }], attrs: { pads: [1, 0, 0, 1], strides: [2, 1], dilations: [1, 2] }, opset: 18, label: 'asymmetric pads, strides, dilations' },
  ...[0, 1].map((center_point_box) => ({
    op: 'NonMaxSuppression', inputs: [[2, 10, 4], [2, 3, 10], { int64: [4] }, { shape: [], values: [0.2] }, { shape: [], values: [0.15] }], attrs: { center_point_box },
    range: (center_point_box ? [0.05, 1] : [-1, 1]) as [number, number], outputTypes: ['int64' as const], label: `center_point_box ${center_point_box}`,
  })),
  {
    op: 'NonMaxSuppression', outputTypes: ['int64'], label: "the spec's example, no score threshold",
    inputs: [{ shape: [1, 6, 4], values: [0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, -0.1, 1, 0.9, 0, 10, 1, 11, 0, 10.1, 1, 11.1, 0, 100, 1, 101] }, { shape: [1, 1, 6], values: [0.9, 0.75, 0.6, 0.95, 0.5, 0.3] }, { int64: [3] }, { shape: [], values: [0.5] }],
  },
  { op: 'NonMaxSuppression', inputs: [[1, 5, 4], [1, 2, 5]], outputTypes: ['int64'], label: 'no max_output_boxes_per_class: nothing selected' },
  ...(['avg', 'max'] as const).flatMap((mode) => (['half_pixel', 'output_half_pixel'] as const).flatMap((coordinate_transformation_mode) => [2, 0].map((sampling_ratio) => ({
    op: 'RoiAlign', opset: 16, label: `${mode}, ${coordinate_transformation_mode}, sampling_ratio ${sampling_ratio}`,
    inputs: [[2, 3, 6, 7], { shape: [4, 4], values: [2, 3, 9, 10, 0, 0, 13, 11, 4.5, 3.2, 6.1, 12.9, -3, -2, 4, 20] }, { int64: [0, 1, 0, 1] }],
    attrs: { mode, coordinate_transformation_mode, sampling_ratio, output_height: 3, output_width: 2, spatial_scale: 0.5 },
  })))),
  { op: 'RoiAlign', inputs: [[1, 2, 5, 5], { shape: [2, 4], values: [0.5, 0.5, 3, 4, 1, 0, 1.5, 0.5] }, { int64: [0, 0] }], attrs: { output_height: 2, output_width: 2 }, opset: 10, label: 'opset 10 (output_half_pixel)' },
  {
    op: 'MaxRoiPool', inputs: [[2, 3, 6, 7], { shape: [4, 5], values: [0, 1, 1, 5, 4, 1, 0, 2, 6, 5, 0, 2.5, 0.5, 3.5, 5.5, 1, -2, -1, 20, 3] }],
    attrs: { pooled_shape: [2, 3] },
  },
  { op: 'MaxRoiPool', inputs: [[1, 2, 6, 7], { shape: [2, 5], values: [0, 2, 2, 10, 8, 0, 0, 4, 12, 9] }], attrs: { pooled_shape: [3, 2], spatial_scale: 0.5 }, label: 'spatial_scale' },
  { op: 'DFT', inputs: [[2, 8, 1]] },
  { op: 'DFT', inputs: [[2, 5, 3, 2]], attrs: { inverse: 1 }, label: 'complex, inverse' },
  { op: 'DFT', inputs: [[2, 7, 1]], attrs: { onesided: 1 }, label: 'onesided' },
  { op: 'DFT', inputs: [[2, 3, 6, 1], { int64: [10], shape: [] }], attrs: { axis: 2 }, label: 'axis 2, dft_length padding' },
  { op: 'DFT', inputs: [[2, 6, 3, 2], { int64: [4], shape: [] }], attrs: { onesided: 0 }, label: 'complex, dft_length cutting' },
  { op: 'DFT', inputs: [[3, 9, 1], { int64: [12], shape: [] }], attrs: { onesided: 1 }, label: 'onesided, dft_length' },
  { op: 'STFT', inputs: [[2, 16, 1], { int64: [3], shape: [] }, { shape: [5], values: [0, 0.5, 1, 0.5, 0] }] },
  { op: 'STFT', inputs: [[2, 16, 2], { int64: [4], shape: [] }, null, { int64: [6], shape: [] }], attrs: { onesided: 0 }, label: 'complex, frame_length, two-sided' },
  { op: 'STFT', inputs: [[1, 20, 1], { int64: [5], shape: [] }, [8], { int64: [8], shape: [] }], label: 'window and frame_length' },
  {
    op: 'MelWeightMatrix', label: '0 to Nyquist',
    inputs: [{ int64: [8], shape: [] }, { int64: [64], shape: [] }, { int64: [16000], shape: [] }, { shape: [], values: [0] }, { shape: [], values: [8000] }],
  },
  {
    op: 'MelWeightMatrix', label: '100 Hz to 4 kHz',
    inputs: [{ int64: [10], shape: [] }, { int64: [128], shape: [] }, { int64: [22050], shape: [] }, { shape: [], values: [100] }, { shape: [], values: [4000] }],
  },
  // onnxruntime's com.microsoft operators (contrib ops): fused activations, products and norms.
  ...(['Gelu', 'QuickGelu', 'FastGelu'] as const).map((op): Case => ({ op, domain: MS, inputs: [[4, 5]], range: [-4, 4] })),
  { op: 'QuickGelu', domain: MS, inputs: [[4, 5]], attrs: { alpha: 1.5 }, range: [-4, 4], label: 'alpha' },
  { op: 'FastGelu', domain: MS, inputs: [[2, 3, 4], [4]], range: [-4, 4], label: 'bias' },
  { op: 'BiasGelu', domain: MS, inputs: [[2, 3, 4], [4]], range: [-4, 4] },
  { op: 'FusedMatMul', domain: MS, inputs: [[2, 3, 4], [2, 4, 5]], attrs: { alpha: 0.5 } },
  { op: 'FusedMatMul', domain: MS, inputs: [[2, 4, 3], [5, 4]], attrs: { transA: 1, transB: 1 }, label: 'transA, transB, broadcast' },
  { op: 'FusedMatMul', domain: MS, inputs: [[3, 2, 4], [2, 4, 5]], attrs: { transBatchA: 1 }, label: 'transBatchA' },
  // com.microsoft's forms of standard operators.
  { op: 'Trilu', domain: MS, inputs: [[2, 4, 5], { int64: [1], shape: [] }], attrs: { upper: 0 } },
  { op: 'GridSample', domain: MS, inputs: [[1, 2, 4, 5], [1, 3, 3, 2]], attrs: { mode: 'bilinear', padding_mode: 'border', align_corners: 1 }, range: [-1.2, 1.2] },
  { op: 'GatherND', domain: MS, inputs: [[3, 4, 2], { int64: [0, 1, 2, 3, 1, 0], shape: [3, 2] }] },
  { op: 'Range', domain: MS, inputs: [{ shape: [], values: [1.5] }, { shape: [], values: [7] }, { shape: [], values: [1.25] }] },
  { op: 'Range', domain: MS, inputs: [{ int32: [2], shape: [] }, { int32: [9], shape: [] }], outputTypes: ['int32'], label: 'no delta' },
  { op: 'Pad', domain: MS, inputs: [[2, 3, 4], { int64: [0, 1, 2, 0, 2, 1], shape: [6] }, { shape: [1], values: [0.5] }] },
  { op: 'Pad', domain: MS, inputs: [[2, 3, 4], { int64: [0, 0, 2, 0, 1, 1], shape: [1, 6] }], attrs: { mode: 'reflect' }, label: 'reflect, pads [1, 2r]' },
  { op: 'Unique', domain: MS, inputs: [{ shape: [8], values: [2, 1, 2, 3, 1, 1, 5, 3] }], outputs: 3, outputTypes: ['float', 'int64', 'int64'] },
  { op: 'ExpandDims', domain: MS, inputs: [[2, 3], { int32: [-1], shape: [] }] },
  { op: 'Inverse', domain: MS, inputs: [{ shape: [2, 3, 3], values: [2, 1, 0, 1, 3, 1, 0, 1, 4, 1, 2, 3, 0, 1, 4, 5, 6, 0] }] },
  { op: 'CDist', domain: MS, inputs: [[3, 4], [5, 4]] },
  { op: 'CDist', domain: MS, inputs: [[3, 4], [5, 4]], attrs: { metric: 'euclidean' }, label: 'euclidean' },
  { op: 'TransposeMatMul', domain: MS, inputs: [[2, 4, 3], [5, 4]], attrs: { transA: 1, transB: 1, alpha: 2.5 }, label: "FusedMatMul's old name" },
  // Conv and Gemm with onnxruntime's fused activations; FusedConv's Z is added before the activation.
  ...([['Relu', []], ['Tanh', []], ['Sigmoid', []], ['LeakyRelu', [0.2]], ['Clip', [-0.4, 0.9]], ['HardSigmoid', [0.3, 0.4]]] as const).map(([activation, params]): Case => ({
    op: 'FusedConv', domain: MS, inputs: [[1, 4, 7, 6], [6, 2, 3, 3], [6]], label: activation,
    attrs: { group: 2, pads: [1, 0, 2, 1], strides: [2, 1], activation, ...(params.length ? { activation_params: [...params] } : {}) },
  })),
  { op: 'FusedConv', domain: MS, inputs: [[2, 3, 9], [4, 3, 3], [4], [2, 4, 7]], attrs: { activation: 'Relu', dilations: [1] }, label: '1-D, Z' },
  { op: 'FusedConv', domain: MS, inputs: [[1, 2, 5, 5], [3, 2, 3, 3], null, [1, 3, 5, 5]], attrs: { activation: 'Sigmoid', auto_pad: 'SAME_UPPER' }, label: 'no B, Z, SAME_UPPER' },
  ...([
    ['Relu', {}], ['Tanh', {}], ['Sigmoid', {}], ['Softsign', {}], ['Softplus', {}], ['LeakyRelu', { activation_alpha: 0.3 }],
    ['Elu', { activation_alpha: 0.7 }], ['Selu', { activation_alpha: 1.5, activation_gamma: 1.1 }], ['HardSigmoid', { activation_alpha: 0.3, activation_beta: 0.4 }], ['ThresholdedRelu', { activation_alpha: 0.5 }],
  ] as const).map(([activation, params]): Case => ({
    op: 'FusedGemm', domain: MS, inputs: [[4, 3], [5, 4], [5]], label: activation,
    attrs: { transA: 1, transB: 1, alpha: 0.5, beta: 1.5, activation, ...params },
  })),
  { op: 'FusedMatMul', domain: MS, inputs: [[2, 3, 4], [4, 2, 5]], attrs: { transBatchB: 1, alpha: 2.5 }, label: 'transBatchB' },
  { op: 'FusedMatMul', domain: MS, inputs: [[4, 2, 3, 5], [6, 2, 3, 4]], attrs: { transBatchA: 1, transA: 1, transBatchB: 1, transB: 1 }, label: 'all four, rank 4' },
  { op: 'SkipLayerNormalization', domain: MS, inputs: [[2, 3, 4], [2, 3, 4], [4], [4], [4]], attrs: { epsilon: 1e-5 }, outputs: 4, label: 'beta, bias, every output' },
  { op: 'SkipLayerNormalization', domain: MS, inputs: [[2, 3, 4], [3, 4], [4]], attrs: { epsilon: 1e-3 }, label: '2-D skip' },
  { op: 'SkipLayerNormalization', domain: MS, inputs: [[2, 3, 4], [1, 3, 4], [4], null, [4]], attrs: { epsilon: 1e-5 }, outputs: 4, label: 'bias without beta' },
  { op: 'SkipSimplifiedLayerNormalization', domain: MS, inputs: [[2, 3, 4], [2, 3, 4], [4], [4]], attrs: { epsilon: 1e-5 }, outputs: 4, label: 'bias, every output' },
  { op: 'SkipSimplifiedLayerNormalization', domain: MS, inputs: [[6, 4], [6, 4], [4]], attrs: { epsilon: 1e-6 }, label: '2-D' },
  { op: 'SimplifiedLayerNormalization', inputs: [[2, 3, 4], [4]], attrs: { epsilon: 1e-6 }, outputs: 2 },
  { op: 'SimplifiedLayerNormalization', inputs: [[2, 3, 4], [3, 4]], attrs: { axis: 1 }, outputs: 2, label: 'axis 1' },
  // Attention: input [2, 3, 8], two heads; mask_index in each form onnxruntime's CPU kernel takes.
  { op: 'Attention', domain: MS, inputs: [[2, 3, 8], [8, 24], [24]], attrs: { num_heads: 2 }, range: [-1, 1] },
  ...([
    ['key lengths', { int32: [3, 2] }],
    ['ends and starts', { int32: [3, 2, 0, 1] }],
    ['0/1 mask', { int32: [1, 1, 0, 0, 1, 1], shape: [2, 3] }],
    ['3-D mask', { int32: [1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1], shape: [2, 3, 3] }],
  ] as [string, Input][]).map(([label, mask]): Case => ({ op: 'Attention', domain: MS, inputs: [[2, 3, 8], [8, 24], [24], mask], attrs: { num_heads: 2 }, range: [-1, 1], label })),
  { op: 'Attention', domain: MS, inputs: [[2, 3, 8], [8, 24], [24], { int32: [2, 3] }], attrs: { num_heads: 2, unidirectional: 1 }, range: [-1, 1], label: 'unidirectional, key lengths' },
  { op: 'Attention', domain: MS, inputs: [[2, 3, 8], [8, 20], [20]], attrs: { num_heads: 2, qkv_hidden_sizes: [8, 8, 4], scale: 0.3 }, range: [-1, 1], label: 'qkv_hidden_sizes, scale' },
  { op: 'Attention', domain: MS, inputs: [[2, 3, 8], [8, 24], [24], { int32: [1, 1, 1, 1, 0, 1], shape: [2, 3] }, null, [1, 2, 3, 3]], attrs: { num_heads: 2, mask_filter_value: -500.5 }, range: [-1, 1], label: 'attention_bias, mask_filter_value' },
  // MultiHeadAttention: query [2, 3, 8], key and value of 4 steps, two heads.
  { op: 'MultiHeadAttention', domain: MS, inputs: [[2, 3, 8], [2, 4, 8], [2, 4, 6]], attrs: { num_heads: 2 }, range: [-1, 1] },
  { op: 'MultiHeadAttention', domain: MS, inputs: [[2, 3, 8], [2, 4, 8], [2, 4, 6], [22], { int32: [1, 1, 0, 1, 1, 1, 1, 0], shape: [2, 4] }], attrs: { num_heads: 2, scale: 0.7 }, range: [-1, 1], label: 'bias, 0/1 key_padding_mask, scale' },
  { op: 'MultiHeadAttention', domain: MS, inputs: [[2, 3, 8], [2, 4, 8], [2, 4, 8], null, { int32: [4, 2] }, [2, 1, 3, 4]], attrs: { num_heads: 2 }, range: [-1, 1], label: 'key lengths, attention_bias' },
  { op: 'MultiHeadAttention', domain: MS, inputs: [[2, 3, 8], [2, 3, 8], [2, 3, 8], [24]], attrs: { num_heads: 2, unidirectional: 1 }, range: [-1, 1], label: 'unidirectional' },
  // The key-value cache: past [2, B, N, P, H] (Attention), past_key and past_value [B, N, P, H]
  // (MultiHeadAttention) come before this step's keys; present is the concatenation.
  { op: 'Attention', domain: MS, inputs: [[2, 3, 8], [8, 24], [24], null, [2, 2, 2, 4, 4]], attrs: { num_heads: 2 }, outputs: 2, range: [-1, 1], label: 'past, present' },
  { op: 'Attention', domain: MS, inputs: [[2, 3, 8], [8, 24], [24], { int32: [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1], shape: [2, 7] }, [2, 2, 2, 4, 4]], attrs: { num_heads: 2, unidirectional: 1 }, outputs: 2, range: [-1, 1], label: 'past, unidirectional, 0/1 mask' },
  { op: 'Attention', domain: MS, inputs: [[2, 1, 8], [8, 24], [24], { int32: [5, 3] }, [2, 2, 2, 4, 4]], attrs: { num_heads: 2, unidirectional: 1 }, outputs: 2, range: [-1, 1], label: 'one decoding step, key lengths' },
  { op: 'MultiHeadAttention', domain: MS, inputs: [[2, 3, 8], [2, 3, 8], [2, 3, 8], null, null, null, [2, 2, 4, 4], [2, 2, 4, 4]], attrs: { num_heads: 2 }, outputs: 3, range: [-1, 1], label: 'past_key, past_value, present' },
  { op: 'MultiHeadAttention', domain: MS, inputs: [[2, 1, 8], [2, 1, 8], [2, 1, 8], [24], { int32: [1, 1, 1, 1, 1, 0, 1, 1, 1, 1], shape: [2, 5] }, null, [2, 2, 4, 4], [2, 2, 4, 4]], attrs: { num_heads: 2, unidirectional: 1 }, outputs: 3, range: [-1, 1], label: 'one decoding step, bias, unidirectional, mask' },
  { op: 'MultiHeadAttention', domain: MS, inputs: [[2, 3, 8], [2, 5, 8], [2, 5, 8], null, { int32: [1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 0, 1], shape: [2, 3, 5] }], attrs: { num_heads: 2 }, range: [-1, 1], label: 'cross, 3-D mask' },
  { op: 'MultiHeadAttention', domain: MS, inputs: [[2, 3, 8], [2, 2, 4, 4], [2, 2, 4, 4]], attrs: { num_heads: 2 }, range: [-1, 1], label: 'key and value per head' },
  // RotaryEmbedding: caches of 6 positions.
  ...[0, 1].flatMap((interleaved): Case[] => [
    { op: 'RotaryEmbedding', domain: MS, inputs: [[2, 3, 8], { int64: [1] }, [6, 2], [6, 2]], attrs: { interleaved, num_heads: 2 }, label: `interleaved ${interleaved}, 3-D, start position` },
    { op: 'RotaryEmbedding', domain: MS, inputs: [[2, 2, 3, 4], { int64: [0, 2, 1, 5, 4, 3], shape: [2, 3] }, [6, 2], [6, 2]], attrs: { interleaved }, label: `interleaved ${interleaved}, 4-D, position_ids` },
    { op: 'RotaryEmbedding', domain: MS, inputs: [[2, 3, 16], { int64: [3, 1, 0, 2, 2, 5], shape: [2, 3] }, [6, 2], [6, 2]], attrs: { interleaved, num_heads: 2, rotary_embedding_dim: 4 }, label: `interleaved ${interleaved}, partial rotary` },
  ]),
  { op: 'RotaryEmbedding', domain: MS, inputs: [[1, 4, 6], { int64: [0] }, [4, 3], [4, 3]], label: 'one head from the caches' },
  // GroupQueryAttention: head size 8 (16 with rotary: onnxruntime's CPU kernel needs multiples of 8 and 16), every output.
  ...((): Case[] => {
    const gqa = (label: string, [B, S, N, Nkv, H]: number[], past: number, seqlens: number[], total: number, attrs: Record<string, Attr> = {}, rotary?: number[]): Case => ({
      op: 'GroupQueryAttention', domain: MS, outputs: 3, range: [-1, 1], label, attrs: { num_heads: N!, kv_num_heads: Nkv!, ...attrs },
      inputs: [[B!, S!, N! * H!], [B!, S!, Nkv! * H!], [B!, S!, Nkv! * H!], past ? [B!, Nkv!, past, H!] : null, past ? [B!, Nkv!, past, H!] : null, { int32: seqlens }, { int32: [total], shape: [] }, ...(rotary ? [rotary, rotary] : [])],
    });
    return [
      gqa('prompt, grouped heads', [2, 3, 4, 2, 8], 0, [2, 2], 3),
      gqa('prompt, right padding', [2, 3, 4, 2, 8], 0, [2, 0], 3),
      gqa('decode, per-batch lengths', [2, 1, 4, 2, 8], 3, [3, 1], 4),
      gqa('decode, past buffer longer than the total', [2, 1, 4, 1, 8], 5, [3, 2], 4),
      gqa('two new tokens after a past', [1, 2, 2, 2, 8], 3, [4], 5),
      // (Under a local window onnxruntime's output for a prompt's padding varies between processes: no padding here.)
      gqa('prompt, local_window_size', [2, 5, 2, 1, 8], 0, [4, 4], 5, { local_window_size: 3 }),
      gqa('prompt, local_window_size, smooth_softmax, softcap', [2, 5, 2, 1, 8], 0, [4, 4], 5, { local_window_size: 2, smooth_softmax: 1, softcap: 2.5 }),
      gqa('decode, local_window_size, softcap', [2, 1, 2, 1, 8], 4, [4, 2], 5, { local_window_size: 2, softcap: 1.5 }),
      gqa('softcap, scale', [1, 3, 2, 1, 8], 2, [4], 5, { softcap: 0.8, scale: 0.3 }),
      gqa('smooth_softmax', [2, 3, 2, 2, 8], 0, [2, 1], 3, { smooth_softmax: 1 }),
      gqa('smooth_softmax, decode', [2, 1, 2, 2, 8], 2, [2, 1], 3, { smooth_softmax: 1, scale: 0.45 }),
      gqa('do_rotary, prompt, right padding', [2, 3, 4, 2, 16], 0, [2, 0], 3, { do_rotary: 1 }, [8, 8]),
      gqa('do_rotary, rotary_interleaved, decode', [2, 1, 4, 2, 16], 3, [3, 2], 4, { do_rotary: 1, rotary_interleaved: 1 }, [8, 8]),
      gqa('do_rotary, partial rotary, two new tokens', [1, 2, 2, 1, 32], 3, [4], 5, { do_rotary: 1 }, [8, 8]),
      // Packed QKV: query [B, S, (N + 2 Nkv) H], no key or value.
      { ...gqa('packed QKV, prompt, right padding', [2, 3, 4, 2, 8], 0, [2, 1], 3), inputs: [[2, 3, 64], null, null, null, null, { int32: [2, 1] }, { int32: [3], shape: [] }] },
      { ...gqa('packed QKV, do_rotary, decode', [2, 1, 4, 2, 16], 3, [3, 2], 4, { do_rotary: 1 }), inputs: [[2, 1, 128], null, null, [2, 2, 3, 16], [2, 2, 3, 16], { int32: [3, 2] }, { int32: [4], shape: [] }, [8, 8], [8, 8]] },
      // The optional tail: position_ids (rotary positions), attention_bias [B or 1, N or 1, S, T], head_sink [N].
      ...([
        ['position_ids, do_rotary, decode', [2, 1, 4, 2, 16], 3, [3, 2], 4, { do_rotary: 1 }, [8, 8], [{ int64: [5, 2], shape: [2, 1] }]],
        ['position_ids, do_rotary, prompt', [2, 3, 4, 2, 16], 0, [2, 1], 3, { do_rotary: 1 }, [8, 8], [{ int64: [0, 1, 2, 0, 1, 2], shape: [2, 3] }]],
        ['attention_bias, decode', [2, 1, 4, 2, 8], 3, [3, 1], 4, {}, undefined, [null, [2, 1, 1, 4]]],
        ['attention_bias per head, softcap, prompt', [1, 3, 2, 1, 8], 0, [2], 3, { softcap: 1.5 }, undefined, [null, [1, 2, 3, 3]]],
        ['head_sink, prompt', [2, 3, 4, 2, 8], 0, [2, 1], 3, {}, undefined, [null, null, [4]]],
        ['head_sink, smooth_softmax, local_window_size, decode', [2, 1, 2, 1, 8], 4, [4, 2], 5, { smooth_softmax: 1, local_window_size: 2 }, undefined, [null, null, [2]]],
      ] as [string, number[], number, number[], number, Record<string, Attr>, number[] | undefined, (Input | null)[]][]).map(([label, dims, past, seqlens, total, attrs, rotary, tail]) => {
        const c = gqa(label, dims, past, seqlens, total, attrs, rotary);
        return { ...c, inputs: [...c.inputs, ...(rotary ? [] : [null, null]), ...tail] };
      }),
    ];
  })(),
  // Quantized: MatMulNBits (N 5, K 32 or 20, blocks of 16), packed uint8 weights and zero points.
  { op: 'MatMulNBits', domain: MS, inputs: [[2, 3, 32], { uint8: bytes(80, 0, 255, 1), shape: [5, 2, 8] }, [5, 2]], attrs: { K: 32, N: 5, bits: 4, block_size: 16 }, range: [-1, 1], label: 'default zero points' },
  {
    op: 'MatMulNBits', domain: MS, inputs: [[3, 20], { uint8: bytes(80, 0, 255, 2), shape: [5, 2, 8] }, [5, 2], { uint8: bytes(5, 0, 255, 3), shape: [5, 1] }, null, [5]],
    attrs: { K: 20, N: 5, bits: 4, block_size: 16 }, range: [-1, 1], label: 'zero points, bias, K not a multiple of the block',
  },
  { op: 'MatMulNBits', domain: MS, inputs: [[3, 32], { uint8: bytes(80, 0, 255, 4), shape: [5, 2, 8] }, [5, 2], [5, 2]], attrs: { K: 32, N: 5, bits: 4, block_size: 16 }, range: [-1, 1], label: 'float zero points' },
  { op: 'MatMulNBits', domain: MS, inputs: [[3, 32], { uint8: bytes(160, 0, 255, 5), shape: [5, 2, 16] }, [5, 2], { uint8: bytes(10, 100, 150, 6), shape: [5, 2] }], attrs: { K: 32, N: 5, bits: 8, block_size: 16 }, range: [-1, 1], label: '8 bits' },
  { op: 'MatMulNBits', domain: MS, inputs: [[3, 32], { uint8: bytes(40, 0, 255, 7), shape: [5, 2, 4] }, [5, 2], { uint8: bytes(5, 0, 255, 8), shape: [5, 1] }], attrs: { K: 32, N: 5, bits: 2, block_size: 16 }, range: [-1, 1], label: '2 bits' },
  // GatherBlockQuantized: uint8 tables packed 2, 4 or 8 bits, indices wrapping negative and zeroing out-of-range rows.
  { op: 'GatherBlockQuantized', domain: MS, inputs: [{ uint8: bytes(96, 0, 255, 30), shape: [6, 16] }, { int64: [0, 5, -1, 2, 3, -6], shape: [2, 3] }, [6, 2]], attrs: { block_size: 16 }, range: [0.01, 0.5], label: '4 bits, default zero points' },
  { op: 'GatherBlockQuantized', domain: MS, inputs: [{ uint8: bytes(96, 0, 255, 31), shape: [6, 16] }, { int32: [4, 1, 1], shape: [3] }, [6, 2], { uint8: bytes(6, 0, 255, 32), shape: [6, 1] }], attrs: { block_size: 16, bits: 4, quantize_axis: -1 }, range: [0.01, 0.5], label: 'packed zero points, int32 indices' },
  { op: 'GatherBlockQuantized', domain: MS, inputs: [{ uint8: bytes(160, 0, 255, 33), shape: [5, 32] }, { int64: [3, 0], shape: [2] }, [5, 2], { uint8: bytes(10, 100, 150, 34), shape: [5, 2] }], attrs: { block_size: 16, bits: 8 }, range: [0.01, 0.5], label: '8 bits' },
  { op: 'GatherBlockQuantized', domain: MS, inputs: [{ uint8: bytes(40, 0, 255, 35), shape: [4, 10] }, { int64: [2, 3, 0], shape: [3, 1] }, [4, 3], { uint8: bytes(4, 0, 255, 36), shape: [4, 1] }], attrs: { block_size: 16, bits: 2 }, range: [0.01, 0.5], label: '2 bits, a last block cut short' },
  { op: 'GatherBlockQuantized', domain: MS, inputs: [{ uint8: bytes(48, 0, 255, 37), shape: [2, 3, 8] }, { int64: [1] , shape: [1] }, [2, 3, 1]], attrs: { block_size: 16, quantize_axis: 2 }, range: [0.01, 0.5], label: '3-D' },
  // QGemm: float out, or requantized with y_scale; per-column b_scale and b_zero_point with transB; an int32 bias.
  {
    op: 'QGemm', domain: MS, label: 'float output, int32 C',
    inputs: [{ uint8: bytes(12, 0, 255, 40), shape: [3, 4] }, { shape: [], values: [0.02] }, { uint8: [120], shape: [] }, { int8: bytes(20, -128, 127, 41), shape: [4, 5] }, { shape: [], values: [0.01] }, { int8: [3], shape: [] }, { int32: [100, -50, 0, 7, 2000] }],
    attrs: { alpha: 0.5 },
  },
  {
    op: 'QGemm', domain: MS, label: 'transA, transB, per-column B, requantized', outputTypes: ['uint8'],
    inputs: [{ uint8: bytes(12, 0, 255, 42), shape: [4, 3] }, { shape: [], values: [0.02] }, { uint8: [128], shape: [] }, { uint8: bytes(20, 0, 255, 43), shape: [5, 4] }, { shape: [5], values: [0.01, 0.02, 0.005, 0.03, 0.015] }, { uint8: [128, 120, 130, 125, 135] }, { int32: [10, -20, 30, 0, 5] }, { shape: [], values: [0.05] }, { uint8: [100], shape: [] }],
    attrs: { transA: 1, transB: 1 },
  },
  {
    op: 'QGemm', domain: MS, label: 'int8 A, no C, requantized to int8', outputTypes: ['int8'],
    inputs: [{ int8: bytes(8, -128, 127, 44), shape: [2, 4] }, { shape: [], values: [0.03] }, { int8: [-2], shape: [] }, { int8: bytes(12, -128, 127, 45), shape: [4, 3] }, { shape: [], values: [0.02] }, { int8: [0], shape: [] }, null, { shape: [], values: [0.2] }, { int8: [1], shape: [] }],
  },
  {
    op: 'QLinearWhere', domain: MS, outputTypes: ['uint8'], casts: { 0: 'bool' },
    inputs: [{ shape: [2, 3], values: [1, 0, 1, 0, 0, 1] }, { uint8: bytes(6, 0, 255, 46), shape: [2, 3] }, { shape: [], values: [0.02] }, { uint8: [120], shape: [] }, { uint8: bytes(3, 0, 255, 47), shape: [3] }, { shape: [], values: [0.05] }, { uint8: [100], shape: [] }, { shape: [], values: [0.03] }, { uint8: [128], shape: [] }],
  },
  ...[0, 1].map((channels_last): Case => ({
    op: 'QLinearAveragePool', domain: MS, outputTypes: ['uint8'], label: `channels_last ${channels_last}`,
    inputs: [{ uint8: bytes(72, 0, 255, 48), shape: channels_last ? [2, 4, 3, 3] : [2, 3, 4, 3] }, { shape: [], values: [0.05] }, { uint8: [100], shape: [] }, { shape: [], values: [0.03] }, { uint8: [110], shape: [] }],
    attrs: { kernel_shape: [2, 2], pads: [1, 0, 1, 0], strides: [1, 2], channels_last, count_include_pad: 1 },
  })),
  ...([[13, -1], [11, 1]] as const).map(([opset, axis]): Case => ({
    op: 'QLinearSoftmax', domain: MS, outputTypes: ['uint8'], label: `opset ${opset}`,
    inputs: [{ uint8: bytes(24, 0, 255, 49), shape: [2, 3, 4] }, { shape: [], values: [0.1] }, { uint8: [128], shape: [] }, { shape: [], values: [1 / 256] }, { uint8: [0], shape: [] }],
    attrs: { opset, axis },
  })),
  // QAttention: Attention on the dequantized input and weights.
  {
    op: 'QAttention', domain: MS, attrs: { num_heads: 2 }, label: 'mask_index lengths, per-column weights',
    inputs: [{ uint8: bytes(24, 0, 255, 50), shape: [2, 3, 4] }, { int8: bytes(48, -128, 127, 51), shape: [4, 12] }, [12], { shape: [], values: [0.02] }, { shape: [12], values: Array.from({ length: 12 }, (_, i) => 0.01 + 0.002 * i) }, { int32: [3, 2] }, { uint8: [128], shape: [] }, { int8: Array.from({ length: 12 }, (_, i) => (i % 5) - 2) }],
  },
  {
    op: 'QAttention', domain: MS, attrs: { num_heads: 2, unidirectional: 1 }, outputs: 2, label: 'unidirectional, past and present',
    inputs: [{ uint8: bytes(8, 0, 255, 52), shape: [1, 2, 4] }, { uint8: bytes(48, 0, 255, 53), shape: [4, 12] }, [12], { shape: [], values: [0.03] }, { shape: [], values: [0.01] }, null, { uint8: [120], shape: [] }, { uint8: [128], shape: [] }, [2, 1, 2, 3, 2]],
  },
  ...[0, 1].map((channels_last): Case => ({
    op: 'QLinearConv', domain: MS, outputTypes: ['uint8'], label: `channels_last ${channels_last}`,
    inputs: [{ uint8: bytes(50, 0, 255, 54), shape: channels_last ? [1, 5, 5, 2] : [1, 2, 5, 5] }, { shape: [], values: [0.02] }, { uint8: [128], shape: [] }, { int8: bytes(54, -128, 127, 55), shape: [3, 2, 3, 3] }, { shape: [], values: [0.01] }, { int8: [0], shape: [] }, { shape: [], values: [0.05] }, { uint8: [100], shape: [] }, { int32: [10, -20, 30] }],
    attrs: { pads: [1, 1, 1, 1], strides: [2, 1], channels_last },
  })),
  { op: 'DynamicQuantizeMatMul', domain: MS, inputs: [[3, 8], { int8: bytes(40, -128, 127, 9), shape: [8, 5] }, { shape: [], values: [0.004] }] },
  { op: 'DynamicQuantizeMatMul', domain: MS, inputs: [[2, 3, 8], { uint8: bytes(40, 0, 255, 10), shape: [8, 5] }, { shape: [5], values: [0.004, 0.01, 0.002, 0.02, 0.007] }, { uint8: [120, 128, 130, 0, 255] }, [5]], label: 'per-column scales and zero points, bias' },
  {
    op: 'MatMulIntegerToFloat', domain: MS, label: 'zero points, per-column b_scale, bias',
    inputs: [{ uint8: bytes(24, 0, 255, 11), shape: [3, 8] }, { int8: bytes(40, -128, 127, 12), shape: [8, 5] }, { shape: [], values: [0.02] }, { shape: [5], values: [0.004, 0.01, 0.002, 0.02, 0.007] }, { uint8: [130], shape: [] }, { int8: [0, 3, -2, 1, -5] }, [5]],
  },
  { op: 'MatMulIntegerToFloat', domain: MS, inputs: [{ int8: bytes(24, -128, 127, 13), shape: [2, 3, 4] }, { int8: bytes(20, -128, 127, 14), shape: [4, 5] }, { shape: [], values: [0.02] }, { shape: [], values: [0.003] }], label: 'int8, no zero points' },
  ...(['QLinearAdd', 'QLinearMul'] as const).flatMap((op): Case[] => [
    {
      op, domain: MS, outputTypes: ['uint8'],
      inputs: [{ uint8: bytes(12, 0, 255, 15), shape: [3, 4] }, { shape: [], values: [0.02] }, { uint8: [120], shape: [] }, { uint8: bytes(4, 0, 255, 16) }, { shape: [], values: [0.013] }, { uint8: [100], shape: [] }, { shape: [], values: [op === 'QLinearAdd' ? 0.03 : 0.2] }, { uint8: [128], shape: [] }],
    },
    {
      op, domain: MS, outputTypes: ['int8'], label: 'int8',
      inputs: [{ int8: bytes(12, -128, 127, 17), shape: [2, 3, 2] }, { shape: [], values: [0.02] }, { int8: [-3], shape: [] }, { int8: bytes(2, -128, 127, 18), shape: [1, 2] }, { shape: [], values: [0.013] }, { int8: [5], shape: [] }, { shape: [], values: [op === 'QLinearAdd' ? 0.03 : 0.2] }, { int8: [-1], shape: [] }],
    },
  ]),
  ...([['QLinearSigmoid', {}], ['QLinearLeakyRelu', { alpha: 0.1 }]] as const).flatMap(([op, attrs]): Case[] => [
    { op, domain: MS, attrs, outputTypes: ['uint8'], inputs: [{ uint8: bytes(256, 0, 255, 19), shape: [2, 128] }, { shape: [], values: [0.05] }, { uint8: [128], shape: [] }, { shape: [], values: [op === 'QLinearSigmoid' ? 1 / 256 : 0.04] }, { uint8: [op === 'QLinearSigmoid' ? 0 : 100], shape: [] }] },
    { op, domain: MS, attrs, outputTypes: ['int8'], label: 'int8', inputs: [{ int8: bytes(256, -128, 127, 20), shape: [256] }, { shape: [], values: [0.03] }, { int8: [4], shape: [] }, { shape: [], values: [op === 'QLinearSigmoid' ? 1 / 256 : 0.03] }, { int8: [op === 'QLinearSigmoid' ? -128 : -2], shape: [] }] },
  ]),
  ...[0, 1].map((channels_last): Case => ({
    op: 'QLinearGlobalAveragePool', domain: MS, attrs: { channels_last }, outputTypes: ['uint8'], label: `channels_last ${channels_last}`,
    inputs: [{ uint8: bytes(60, 0, 255, 21), shape: channels_last ? [2, 3, 5, 2] : [2, 2, 3, 5] }, { shape: [], values: [0.05] }, { uint8: [100], shape: [] }, { shape: [], values: [0.02] }, { uint8: [110], shape: [] }],
  })),
  {
    op: 'QLinearConcat', domain: MS, attrs: { axis: 1 }, outputTypes: ['uint8'],
    inputs: [
      { shape: [], values: [0.03] }, { uint8: [120], shape: [] },
      { uint8: bytes(6, 0, 255, 22), shape: [2, 3] }, { shape: [], values: [0.03] }, { uint8: [120], shape: [] },
      { uint8: bytes(4, 0, 255, 23), shape: [2, 2] }, { shape: [], values: [0.05] }, { uint8: [90], shape: [] },
    ],
  },
  { op: 'QLinearConcat', domain: MS, attrs: { axis: -1 }, outputTypes: ['int8'], label: 'int8', inputs: [{ shape: [], values: [0.04] }, { int8: [3], shape: [] }, { int8: bytes(6, -128, 127, 24), shape: [3, 2] }, { shape: [], values: [0.02] }, { int8: [-5], shape: [] }] },
  // BERT's fused embeddings: ids, segments and a padding mask; then positions given, no segments or mask.
  {
    op: 'EmbedLayerNormalization', domain: MS, outputs: 3, outputTypes: ['float', 'int32', 'float'], label: 'segments and mask',
    inputs: [{ int32: [1, 5, 9, 0, 3, 3, 7, 2], shape: [2, 4] }, { int32: [0, 0, 1, 1, 0, 1, 1, 1], shape: [2, 4] }, [10, 6], [8, 6], [2, 6], [6], [6], { int32: [1, 1, 1, 1, 1, 1, 0, 0], shape: [2, 4] }],
    attrs: { epsilon: 1e-5 },
  },
  {
    op: 'EmbedLayerNormalization', domain: MS, outputs: 2, outputTypes: ['float', 'int32'], label: 'position_ids, no segments or mask',
    inputs: [{ int32: [4, 2, 8, 1], shape: [1, 4] }, null, [10, 6], [8, 6], null, [6], [6], null, { int32: [3, 2, 1, 0], shape: [1, 4] }],
  },
  // Control flow. Bodies read outer0, outer1 ... from the enclosing scope by name, as
  // PyTorch's exports do, and the loops' scan outputs stack one value per iteration.
  ...[1, 0].map((flag) => ({
    op: 'If', inputs: [{ shape: [], values: [flag] }], casts: { 0: 'bool' as const }, outer: [[2, 3]], outputs: 2, label: flag ? 'then' : 'else',
    attrs: {
      then_branch: branch(['t0', 't1'], [{ op: 'Mul', inputs: ['outer0', 'outer0'], outputs: ['t0'] }, { op: 'Identity', inputs: ['outer0'], outputs: ['t1'] }]),
      else_branch: branch(['e0', 'e1'], [{ op: 'Neg', inputs: ['outer0'], outputs: ['e0'] }, { op: 'Tanh', inputs: ['outer0'], outputs: ['e1'] }]),
    },
  })),
  { op: 'Loop', inputs: [{ int64: [4], shape: [] }, null, [2, 3]], outer: [[3, 3]], attrs: { body: loopBody('Identity') }, outputs: 2, label: 'trip count, a scan output' },
  // While 2.5 > i: four iterations, or fewer when M is smaller.
  { op: 'Loop', inputs: [null, { shape: [], values: [1] }, [2, 3]], casts: { 1: 'bool' }, outer: [[3, 3], { shape: [], values: [2.5] }], attrs: { body: loopBody('Greater') }, outputs: 2, label: 'condition' },
  { op: 'Loop', inputs: [{ int64: [2], shape: [] }, { shape: [], values: [1] }, [2, 3]], casts: { 1: 'bool' }, outer: [[3, 3], { shape: [], values: [2.5] }], attrs: { body: loopBody('Greater') }, outputs: 2, label: 'trip count and condition' },
  { op: 'Loop', inputs: [{ int64: [0], shape: [] }, null, [2, 3]], outer: [[3, 3]], attrs: { body: loopBody('Identity', false) }, label: 'no iteration' },
  {
    op: 'Loop', inputs: [{ int64: [3], shape: [] }, null, { int64: [5, 7], shape: [2] }], outputs: 2, outputTypes: ['int64', 'int64'], label: 'host int64 values',
    attrs: {
      body: { graph: {
        inputs: [{ name: 'i', type: 'int64', shape: [] }, { name: 'c', type: 'bool', shape: [] }, { name: 'k', type: 'int64' }], outputs: ['c_out', 'k1', 'k2'], outputTypes: { c_out: 'bool', k1: 'int64', k2: 'int64' },
        nodes: [{ op: 'Identity', inputs: ['c'], outputs: ['c_out'] }, { op: 'Add', inputs: ['k', 'i'], outputs: ['k1'] }, { op: 'Mul', inputs: ['k1', 'k1'], outputs: ['k2'] }],
      } },
    },
  },
  ...[[0, 1, 0, 1], [-2, -1, -2, -1]].map(([a0, a1, o0, o1]) => ({
    op: 'Scan', inputs: [[2], [5, 2], [2, 5]], outputs: 3, label: `axes ${a0}, ${a1}; outputs ${o0}, ${o1}; second input and output reversed`,
    attrs: {
      num_scan_inputs: 2, scan_input_axes: [a0!, a1!], scan_input_directions: [0, 1], scan_output_axes: [o0!, o1!], scan_output_directions: [0, 1],
      body: { graph: {
        inputs: [{ name: 's', shape: [2] }, { name: 'x', shape: [2] }, { name: 'y', shape: [2] }], outputs: ['s1', 'p', 'd'],
        nodes: [{ op: 'Mul', inputs: ['x', 'y'], outputs: ['p'] }, { op: 'Add', inputs: ['s', 'p'], outputs: ['s1'] }, { op: 'Sub', inputs: ['x', 'y'], outputs: ['d'] }],
      } },
    },
  })),
  // Operators new or changed in opsets 19 and 20.
  { op: 'DFT', inputs: [[2, 3, 6, 1]], attrs: { axis: 2 }, opset: 19, label: 'opset 19, axis attribute' },
  { op: 'DFT', inputs: [[2, 8, 1]], opset: 20, label: 'opset 20, default axis -2' },
  { op: 'DFT', inputs: [[2, 6, 3, 2], null, { int64: [1], shape: [] }], attrs: { inverse: 1 }, opset: 20, label: 'opset 20, axis input, complex inverse' },
  { op: 'DFT', inputs: [[3, 5, 4, 1], { int64: [6], shape: [] }, { int64: [-3], shape: [] }], attrs: { onesided: 1 }, opset: 20, label: 'opset 20, negative axis, dft_length, onesided' },
  { op: 'DFT', inputs: [[2, 7, 3, 2], { int64: [5], shape: [] }, { int64: [0], shape: [] }], opset: 20, label: 'opset 20, axis 0, dft_length cutting' },
  { op: 'DFT', inputs: [[2, 5, 3, 2]], attrs: { onesided: 1, inverse: 1 }, opset: 20, label: 'opset 20, onesided inverse (irfft), axis -2' },
  { op: 'DFT', inputs: [[2, 4, 3, 2], { int64: [7], shape: [] }, { int64: [1], shape: [] }], attrs: { onesided: 1, inverse: 1 }, opset: 20, label: 'opset 20, irfft, odd dft_length' },
  { op: 'DFT', inputs: [[2, 4, 3, 2], { int64: [5], shape: [] }], attrs: { onesided: 1, inverse: 1, axis: 2 }, opset: 19, label: 'opset 19, irfft, axis attribute' },
  { op: 'DFT', inputs: [[2, 6, 2]], attrs: { onesided: 1, inverse: 1 }, opset: 17, label: 'opset 17, irfft' },
  { op: 'Pad', inputs: [[2, 3, 4], { int64: [0, 2, 1, 1, 0, 3] }], attrs: { mode: 'wrap' }, opset: 19, label: 'wrap' },
  { op: 'Pad', inputs: [[2, 3, 4], { int64: [1, -1, 2, 1] }, null, { int64: [-1, 1] }], attrs: { mode: 'wrap' }, opset: 19, label: 'wrap, axes, a negative pad (cropping first)' },
  { op: 'Pad', inputs: [[2, 5], { int64: [0, 5, 0, 4] }], attrs: { mode: 'wrap' }, opset: 19, label: 'wrap by the whole dim' },
  { op: 'Pad', inputs: [[2, 3, 4], { int64: [0, 0, 2, 0, 1, 1] }], attrs: { mode: 'reflect' }, opset: 19, label: 'reflect at opset 19' },
  { op: 'Resize', inputs: [[1, 2, 4, 5], null, { shape: [4], values: [1, 1, 1.7, 0.6] }], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' }, opset: 19, label: 'linear half_pixel_symmetric scales' },
  { op: 'Resize', inputs: [[2, 3, 5], null, { shape: [3], values: [1, 1, 2.3] }], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' }, opset: 19, label: 'linear half_pixel_symmetric 1-D' },
  { op: 'Resize', inputs: [[1, 2, 6, 4], null, { shape: [4], values: [1, 1, 0.55, 1.9] }], attrs: { mode: 'cubic', coordinate_transformation_mode: 'half_pixel_symmetric' }, opset: 19, label: 'cubic half_pixel_symmetric scales' },
  { op: 'Resize', inputs: [[1, 2, 4, 5], null, null, { int64: [7, 3] }], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric', axes: [2, 3] }, opset: 19, label: 'linear half_pixel_symmetric sizes, axes' },
  { op: 'Resize', inputs: [[1, 2, 4, 5], null, null, { int64: [6, 9] }], attrs: { mode: 'linear', axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' }, opset: 19, label: 'linear not_larger' },
  { op: 'Resize', inputs: [[1, 2, 4, 5], null, null, { int64: [6, 9] }], attrs: { mode: 'cubic', axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' }, opset: 19, label: 'cubic not_smaller' },
  { op: 'Resize', inputs: [[1, 2, 4, 5], null, null, { int64: [3, 7] }], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor', axes: [3, 2], keep_aspect_ratio_policy: 'not_larger' }, opset: 19, label: 'nearest not_larger' },
  { op: 'Resize', inputs: [[1, 2, 3, 4], null, { shape: [2], values: [2, 1.5] }], attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners', axes: [2, 3] }, opset: 19, label: 'linear scales, axes' },
  { op: 'Resize', inputs: [[2, 3, 4], null, { shape: [3], values: [1, 2, 1.5] }], attrs: { mode: 'linear' }, opset: 19, label: 'linear, the channel dim too' },
  { op: 'Resize', inputs: [[1, 2, 4, 5], null, { shape: [4], values: [1, 1, 1.7, 0.7] }], attrs: { mode: 'linear' }, opset: 19, label: 'linear, scales other than out / in' },
  { op: 'Resize', inputs: [[1, 2, 9, 11], null, null, { int64: [1, 2, 4, 3] }], attrs: { mode: 'linear', antialias: 1 }, opset: 19, label: 'linear antialias, shrinking' },
  { op: 'Resize', inputs: [[1, 2, 9, 11], null, { shape: [4], values: [1, 1, 0.45, 1.6] }], attrs: { mode: 'linear', antialias: 1, coordinate_transformation_mode: 'pytorch_half_pixel' }, opset: 19, label: 'linear antialias, one dim growing' },
  { op: 'Resize', inputs: [[1, 2, 9, 11], null, null, { int64: [1, 2, 5, 4] }], attrs: { mode: 'cubic', antialias: 1 }, opset: 19, label: 'cubic antialias' },
  { op: 'Resize', inputs: [[1, 2, 9, 11], null, null, { int64: [1, 2, 5, 4] }], attrs: { mode: 'cubic', antialias: 1, coordinate_transformation_mode: 'align_corners' }, opset: 19, label: 'cubic antialias, align_corners' },
  { op: 'Resize', inputs: [[1, 2, 5, 6], null, { shape: [4], values: [1, 1, 1.8, 0.3] }], attrs: { mode: 'cubic', antialias: 1, coordinate_transformation_mode: 'half_pixel_symmetric' }, opset: 19, label: 'cubic antialias, half_pixel_symmetric, growing and shrinking' },
  { op: 'Resize', inputs: [[1, 1, 6, 7, 8], null, null, { int64: [3, 5, 2] }], attrs: { mode: 'linear', antialias: 1, axes: [2, 3, 4] }, opset: 19, label: 'linear antialias, 3-D' },
  { op: 'Resize', inputs: [[1, 2, 5, 6], null, { shape: [4], values: [1, 1, 1.6, 1.5] }], attrs: { mode: 'cubic', cubic_coeff_a: -0.5 }, opset: 19, label: 'cubic, cubic_coeff_a -0.5' },
  { op: 'Resize', inputs: [[1, 2, 5, 6], null, { shape: [4], values: [1, 1, 1.6, 0.5] }], attrs: { mode: 'cubic', exclude_outside: 1, coordinate_transformation_mode: 'align_corners' }, opset: 19, label: 'cubic, exclude_outside' },
  { op: 'Resize', inputs: [[1, 2, 9, 11], null, null, { int64: [1, 2, 5, 4] }], attrs: { mode: 'cubic', antialias: 1, exclude_outside: 1, cubic_coeff_a: -0.5 }, opset: 19, label: 'cubic antialias, exclude_outside, a -0.5 (Pillow)' },
  { op: 'Resize', inputs: [[1, 2, 9, 11], null, null, { int64: [1, 2, 5, 4] }], attrs: { mode: 'linear', antialias: 1, exclude_outside: 1 }, opset: 19, label: 'linear antialias, exclude_outside' },
  { op: 'Resize', inputs: [[1, 2, 4, 5], null, { shape: [4], values: [1, 1, 1.3, 2.5] }], attrs: { mode: 'cubic', coordinate_transformation_mode: 'pytorch_half_pixel' }, opset: 19, label: 'cubic, scales other than out / in' },
  ...(['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const).flatMap((nearest_mode) => (['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric'] as const).map((coordinate_transformation_mode) => ({
    op: 'Resize', inputs: [[1, 2, 5, 6], null, { shape: [4], values: [1, 1, 1.7, 0.5] }], attrs: { mode: 'nearest', nearest_mode, coordinate_transformation_mode }, opset: 19,
    label: `nearest ${nearest_mode}, ${coordinate_transformation_mode}`,
  }))),
  { op: 'Resize', inputs: [[1, 2, 3, 4], null, { shape: [4], values: [1, 1, 2, 3] }], opset: 19, label: 'the defaults: nearest, half_pixel, round_prefer_floor' },
  { op: 'Resize', inputs: [[3, 4], null, null, { int64: [5, 7] }], attrs: { mode: 'cubic', coordinate_transformation_mode: 'half_pixel_symmetric' }, opset: 19, label: 'cubic half_pixel_symmetric, a 2-D tensor' },
  { op: 'AveragePool', inputs: [[1, 2, 8, 9]], attrs: { kernel_shape: [2, 3], strides: [1, 2], dilations: [2, 2] }, opset: 19, label: 'dilations' },
  { op: 'AveragePool', inputs: [[2, 2, 7, 8]], attrs: { kernel_shape: [3, 2], strides: [2, 1], dilations: [2, 3], pads: [1, 1, 2, 0] }, opset: 19, label: 'dilations, pads excluded' },
  { op: 'AveragePool', inputs: [[2, 2, 7, 8]], attrs: { kernel_shape: [3, 2], strides: [2, 2], dilations: [1, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }, opset: 19, label: 'dilations, pads included' },
  { op: 'AveragePool', inputs: [[1, 2, 8, 7]], attrs: { kernel_shape: [2, 2], strides: [2, 2], dilations: [2, 2], ceil_mode: 1 }, opset: 19, label: 'dilations, ceil_mode' },
  { op: 'AveragePool', inputs: [[2, 3, 11]], attrs: { kernel_shape: [3], strides: [2], dilations: [3], pads: [1, 2] }, opset: 19, label: 'dilations, 1-D' },
  { op: 'AveragePool', inputs: [[1, 2, 5, 6, 7]], attrs: { kernel_shape: [2, 2, 3], strides: [1, 2, 1], dilations: [2, 1, 2] }, opset: 19, label: 'dilations, 3-D' },
  ...(['linear', 'nearest', 'cubic'] as const).flatMap((mode) => (['zeros', 'border', 'reflection'] as const).map((padding_mode) => ({
    op: 'GridSample', inputs: [[2, 3, 4, 5], [2, 3, 6, 2]], attrs: { mode, padding_mode, align_corners: mode === 'linear' ? 1 : 0 }, opset: 20, range: [-1.3, 1.3] as [number, number],
    label: `opset 20, ${mode}, ${padding_mode}`,
  }))),
  { op: 'GridSample', inputs: [[1, 2, 4, 5], [1, 3, 3, 2]], opset: 20, range: [-1.2, 1.2], label: 'opset 20, default mode (linear)' },
  ...(['linear', 'nearest'] as const).flatMap((mode) => (['zeros', 'border', 'reflection'] as const).flatMap((padding_mode) => [0, 1].map((align_corners) => ({
    op: 'GridSample', inputs: [[2, 2, 3, 4, 5], [2, 2, 3, 2, 3]], attrs: { mode, padding_mode, align_corners }, opset: 20, range: [-1.4, 1.4] as [number, number],
    label: `opset 20, 3-D ${mode}, ${padding_mode}, align_corners ${align_corners}`,
  })))),
  { op: 'AffineGrid', inputs: [[2, 2, 3], { int64: [2, 3, 4, 5] }], opset: 20 },
  { op: 'AffineGrid', inputs: [[2, 2, 3], { int64: [2, 1, 3, 4] }], attrs: { align_corners: 1 }, opset: 20, label: 'align_corners' },
  { op: 'AffineGrid', inputs: [[2, 2, 3], { int64: [2, 1, 1, 3] }], opset: 20, label: 'a dim of 1' },
  { op: 'AffineGrid', inputs: [[1, 3, 4], { int64: [1, 2, 3, 4, 5] }], opset: 20, label: '3-D' },
  { op: 'AffineGrid', inputs: [[2, 3, 4], { int64: [2, 2, 2, 3, 4] }], attrs: { align_corners: 1 }, opset: 20, label: '3-D, align_corners' },
  { op: 'DeformConv', inputs: [[1, 2, 5, 5], [3, 2, 3, 3], [1, 18, 3, 3]], opset: 19 },
  {
    op: 'DeformConv', inputs: [[2, 4, 6, 5], [4, 2, 2, 3], [2, 24, 4, 3], [4], [2, 12, 4, 3]], opset: 19,
    attrs: { group: 2, offset_group: 2, pads: [1, 0, 1, 2], strides: [2, 1], dilations: [1, 2], kernel_shape: [2, 3] }, label: 'groups, offset groups, pads, strides, dilations, bias, mask',
  },
  { op: 'DeformConv', inputs: [[1, 3, 4, 6], [2, 3, 2, 2], [1, 8, 4, 5], null, [1, 4, 4, 5]], attrs: { pads: [1, 0, 0, 0] }, opset: 19, range: [-3, 3], label: 'mask without bias, offsets far outside' },
  ...['ReduceMax', 'ReduceMin'].flatMap((op) => [
    { op, inputs: [{ shape: [2, 3, 4], values: Array.from({ length: 24 }, (_, i) => (i % 5 === 0 || i % 7 === 3 ? 1 : 0)) }, { int64: [1] }], casts: { 0: 'bool' as const }, outputTypes: ['bool' as const], opset: 20, label: 'bool, axis 1' },
    { op, inputs: [{ shape: [2, 3, 4], values: Array.from({ length: 24 }, (_, i) => (i % 4 === 1 ? 0 : 1)) }], attrs: { keepdims: 0 }, casts: { 0: 'bool' as const }, outputTypes: ['bool' as const], opset: 20, label: 'bool, all axes' },
  ]),
  // Operators new or changed in opsets 23 to 26.
  // RMSNormalization (23): SimplifiedLayerNormalization's first output; a scale broadcasting to the normalized dims.
  { op: 'RMSNormalization', inputs: [[2, 3, 4], [4]], attrs: { epsilon: 1e-6 }, opset: 23 },
  { op: 'RMSNormalization', inputs: [[2, 3, 4], [3, 1]], attrs: { axis: -2 }, opset: 23, label: 'axis -2, broadcast scale' },
  // RotaryEmbedding (23): X, the caches, then position_ids (or caches per token without them).
  ...[0, 1].flatMap((interleaved): Case[] => [
    { op: 'RotaryEmbedding', inputs: [[2, 2, 3, 4], [6, 2], [6, 2], { int64: [0, 2, 1, 5, 4, 3], shape: [2, 3] }], attrs: { interleaved }, opset: 23, label: `interleaved ${interleaved}, 4-D, position_ids` },
    { op: 'RotaryEmbedding', inputs: [[2, 3, 8], [2, 3, 2], [2, 3, 2]], attrs: { interleaved, num_heads: 2 }, opset: 23, label: `interleaved ${interleaved}, 3-D, caches per token` },
    { op: 'RotaryEmbedding', inputs: [[2, 3, 16], [6, 2], [6, 2], { int64: [3, 1, 0, 2, 2, 5], shape: [2, 3] }], attrs: { interleaved, num_heads: 2, rotary_embedding_dim: 4 }, opset: 23, label: `interleaved ${interleaved}, partial rotary` },
  ]),
  { op: 'RotaryEmbedding', inputs: [[1, 2, 4, 6], [1, 4, 3], [1, 4, 3]], opset: 23, label: '4-D, caches per token' },
  // Attention (23 to 25): 4-D and 3-D inputs, grouped heads, the key-value cache, masks, softcap and every qk_matmul_output stage.
  { op: 'Attention', inputs: [[2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 6]], opset: 23, range: [-1, 1], label: '4-D, cross' },
  { op: 'Attention', inputs: [[2, 3, 16], [2, 5, 8], [2, 5, 6]], attrs: { q_num_heads: 4, kv_num_heads: 2 }, opset: 23, range: [-1, 1], label: '3-D, grouped heads' },
  { op: 'Attention', inputs: [[2, 4, 3, 4], [2, 1, 3, 4], [2, 1, 3, 4]], attrs: { is_causal: 1, scale: 0.3 }, opset: 23, range: [-1, 1], label: '4-D, one kv head, causal, scale' },
  ...[23, 24].map((opset): Case => ({
    op: 'Attention', inputs: [[2, 4, 3, 4], [2, 2, 3, 4], [2, 2, 3, 4], null, [2, 2, 4, 4], [2, 2, 4, 4]], attrs: { is_causal: 1 }, outputs: 3, opset, range: [-1, 1], label: `opset ${opset}, past, causal after the past, present`,
  })),
  { op: 'Attention', inputs: [[2, 3, 8], [2, 3, 4], [2, 3, 4], null, [2, 1, 2, 4], [2, 1, 2, 4]], attrs: { q_num_heads: 2, kv_num_heads: 1, is_causal: 1 }, outputs: 3, opset: 24, range: [-1, 1], label: '3-D, grouped heads, past, causal' },
  {
    op: 'Attention', inputs: [[2, 2, 3, 4], [2, 2, 4, 4], [2, 2, 4, 4], { shape: [2, 1, 3, 4], values: [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1] }],
    casts: { 3: 'bool' }, opset: 23, range: [-1, 1], label: 'bool mask per batch entry',
  },
  { op: 'Attention', inputs: [[2, 2, 3, 4], [2, 2, 4, 4], [2, 2, 4, 4], [3, 4]], attrs: { is_causal: 1 }, opset: 23, range: [-1, 1], label: 'float mask, causal' },
  {
    op: 'Attention', inputs: [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4], { shape: [3, 3], values: [0, 0, 0, 1, 1, 0, 1, 1, 1] }], casts: { 3: 'bool' }, outputs: 4, attrs: { qk_matmul_output_mode: 3 },
    opset: 23, range: [-1, 1], label: 'a fully masked row gives zeros',
  },
  ...[0, 1, 2, 3].map((mode): Case => ({
    op: 'Attention', inputs: [[2, 2, 3, 4], [2, 2, 2, 4], [2, 2, 2, 4], [2, 1, 3, 5], [2, 2, 3, 4], [2, 2, 3, 4]], attrs: { qk_matmul_output_mode: mode, softcap: 0.8, is_causal: 1 }, outputs: 4,
    opset: 23, range: [-1, 1], label: `qk_matmul_output_mode ${mode}, softcap, float mask, past`,
  })),
  { op: 'Attention', inputs: [[2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 4], null, null, null, { int64: [4, 2] }], opset: 24, range: [-1, 1], label: 'nonpad_kv_seqlen' },
  { op: 'Attention', inputs: [[2, 2, 3, 4], [2, 2, 6, 4], [2, 2, 6, 4], null, null, null, { int64: [5, 3] }], attrs: { is_causal: 1 }, opset: 24, range: [-1, 1], label: 'nonpad_kv_seqlen, causal' },
  { op: 'Attention', inputs: [[2, 3, 8], [2, 4, 4], [2, 4, 4], [2, 3, 4]], attrs: { q_num_heads: 2, kv_num_heads: 1 }, opset: 23, range: [-1, 1], label: '3-D, float mask per head' },
  { op: 'Attention', inputs: [[2, 2, 3, 4], [2, 1, 6, 4], [2, 1, 6, 4], null, null, null, { int64: [6, 4] }], attrs: { is_causal: 1, softcap: 2.5 }, outputs: 4, opset: 26, range: [-1, 1], label: 'opset 26, nonpad_kv_seqlen, causal, softcap' },
  { op: 'Attention', inputs: [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4], { shape: [3, 3], values: [0, -Infinity, 0.5, -Infinity, -Infinity, -Infinity, 1, -2, 0] }], outputs: 4, attrs: { qk_matmul_output_mode: 3 }, opset: 23, range: [-1, 1], label: 'a float mask of -inf across a row gives zeros' },
  // is_causal without a cache is top-left (offset 0); with nonpad_kv_seqlen shorter than the queries the leading rows see no key, and give zeros.
  { op: 'Attention', inputs: [[2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 4]], attrs: { is_causal: 1 }, opset: 23, range: [-1, 1], label: 'causal cross attention' },
  { op: 'Attention', inputs: [[2, 2, 3, 4], [2, 2, 6, 4], [2, 2, 6, 4], null, null, null, { int64: [2, 0] }], attrs: { is_causal: 1 }, opset: 24, range: [-1, 1], label: 'nonpad_kv_seqlen shorter than the queries, causal' },
  // Swish (24): x sigmoid(alpha x).
  { op: 'Swish', inputs: [[4, 5]], opset: 24, range: [-4, 4] },
  { op: 'Swish', inputs: [[4, 5]], attrs: { alpha: 0.6 }, opset: 24, range: [-4, 4], label: 'alpha' },
  // TensorScatter (24): the cache update, along the sequence axis.
  { op: 'TensorScatter', inputs: [[2, 2, 5, 3], [2, 2, 2, 3]], opset: 24, label: 'no write_indices' },
  { op: 'TensorScatter', inputs: [[2, 2, 5, 3], [2, 2, 2, 3], { int64: [3, 1] }], opset: 24, label: 'linear' },
  { op: 'TensorScatter', inputs: [[2, 5, 3], [2, 3, 3], { int64: [4, 1] }], attrs: { axis: 1, mode: 'circular' }, opset: 24, label: 'circular, axis 1' },
  // CumProd (26), as CumSum.
  { op: 'CumProd', inputs: [[3, 4], { int64: [1], shape: [] }], opset: 26 },
  ...([{ exclusive: 1 }, { reverse: 1 }, { exclusive: 1, reverse: 1 }] as Record<string, number>[]).map((attrs) => ({ op: 'CumProd', inputs: [[3, 4, 2], { int64: [-2], shape: [] }], attrs, opset: 26, label: JSON.stringify(attrs) })),
  { op: 'CumProd', inputs: [{ shape: [2, 3], values: [1, -2, 3, 4, 5, -6] }, { int64: [0] }], attrs: { exclusive: 1 }, casts: { 0: 'int64' }, outputTypes: ['int64'], opset: 26, label: 'int64, 1-D axis' },
  { op: 'CumProd', inputs: [{ shape: [2, 4], values: [2, 0, 3, -1, 0.5, 4, 0, 2] }, { int64: [1], shape: [] }], opset: 26, label: 'zeros' },
  // More of onnxruntime's com.microsoft operators.
  // MatMulInteger16: int16 products, exact in int32 (some past 2^24).
  { op: 'MatMulInteger16', domain: MS, inputs: [{ int16: bytes(12, -32768, 32767, 1), shape: [3, 4] }, { int16: bytes(8, -32768, 32767, 2), shape: [4, 2] }], outputTypes: ['int32'] },
  { op: 'MatMulInteger16', domain: MS, inputs: [{ int16: bytes(24, -300, 300, 3), shape: [2, 3, 4] }, { int16: bytes(20, -300, 300, 4), shape: [4, 5] }], outputTypes: ['int32'], label: 'batched' },
  // NhwcMaxPool: uint8 and int8 NHWC.
  { op: 'NhwcMaxPool', domain: MS, inputs: [{ uint8: bytes(2 * 5 * 6 * 3, 0, 255, 5), shape: [2, 5, 6, 3] }], attrs: { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1] }, outputTypes: ['uint8'] },
  { op: 'NhwcMaxPool', domain: MS, inputs: [{ int8: bytes(7 * 7 * 2, -128, 127, 6), shape: [1, 7, 7, 2] }], attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1, dilations: [1, 2] }, outputTypes: ['int8'], label: 'int8, ceil_mode, dilations' },
  { op: 'NhwcMaxPool', domain: MS, inputs: [{ uint8: bytes(9 * 4, 0, 255, 7), shape: [2, 9, 2] }], attrs: { kernel_shape: [3], strides: [2], auto_pad: 'SAME_UPPER' }, outputTypes: ['uint8'], label: '1-D, SAME_UPPER' },
  // MaxpoolWithMask, as onnxruntime's CPU kernel reads the mask (see contrib-pooling.ts).
  { op: 'MaxpoolWithMask', domain: MS, inputs: [[2, 3, 6, 7], { int32: bytes(42, 0, 2, 8).map((v) => (v === 0 ? 0 : 1)), shape: [1, 1, 6, 7] }], attrs: { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1] } },
  { op: 'MaxpoolWithMask', domain: MS, inputs: [[2, 2, 5, 4], { int32: bytes(80, 0, 3, 9).map((v) => (v === 0 ? 0 : 1)), shape: [2, 2, 5, 4] }], attrs: { kernel_shape: [2, 2] }, label: 'a mask per channel' },
  { op: 'MaxpoolWithMask', domain: MS, inputs: [[2, 2, 9], { int32: [1, 1, 0, 1, 1, 1, 1, 0, 1], shape: [1, 1, 9] }], attrs: { kernel_shape: [3], strides: [2], pads: [1, 1] }, label: '1-D' },
  { op: 'MaxpoolWithMask', domain: MS, inputs: [[1, 2, 4, 5, 4], { int32: bytes(80, 0, 3, 10).map((v) => (v === 0 ? 0 : 1)), shape: [1, 1, 4, 5, 4] }], attrs: { kernel_shape: [2, 3, 2], strides: [2, 1, 2] }, label: '3-D' },
  // CropAndResize: boxes inside, across and outside the image.
  {
    op: 'CropAndResize', domain: MS, inputs: [[2, 3, 5, 6], { shape: [3, 4], values: [0.1, 0.2, 0.8, 0.9, -0.2, 0.3, 0.6, 1.3, 0.5, 0.5, 0.2, 0.1] }, { int32: [1, 0, 1] }, { int32: [4, 3] }],
    attrs: { extrapolation_value: 0.25 },
  },
  { op: 'CropAndResize', domain: MS, inputs: [[2, 3, 5, 6], { shape: [2, 4], values: [0.1, 0.2, 0.8, 0.9, -0.2, 0.3, 0.6, 1.3] }, { int32: [1, 0] }, { int32: [3, 5] }], attrs: { mode: 'nearest' }, label: 'nearest' },
  { op: 'CropAndResize', domain: MS, inputs: [[1, 2, 4, 4], { shape: [1, 4], values: [0.2, 0.1, 0.7, 0.9] }, { int32: [0] }, { int32: [1, 1] }], label: 'one sample' },
  // UnfoldTensor: windows along dim in a new last dim.
  { op: 'UnfoldTensor', domain: MS, inputs: [[2, 9, 3]], attrs: { dim: 1, size: 4, step: 2 } },
  { op: 'UnfoldTensor', domain: MS, inputs: [[3, 5]], attrs: { size: 2 }, label: 'last dim, step 1' },
  // DynamicTimeWarping: the path through a cost matrix.
  { op: 'DynamicTimeWarping', domain: MS, inputs: [[6, 9]], outputTypes: ['int32'] },
  { op: 'DynamicTimeWarping', domain: MS, inputs: [{ shape: [3, 4], values: [0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0] }], outputTypes: ['int32'], label: 'ties' },
  { op: 'DynamicTimeWarping', domain: MS, inputs: [[8, 3]], outputTypes: ['int32'], label: 'more rows than columns' },
  { op: 'DynamicTimeWarping', domain: MS, inputs: [[1, 4, 6]], outputTypes: ['int32'], label: '[1, rows, columns]' },
  // MurmurHash3 of int32 keys; positive 0 gives int32 (positive 1's uint32 is checked in 'what the spec leaves open').
  { op: 'MurmurHash3', domain: MS, inputs: [{ int32: [0, 1, -2, 3, 2147483647, -2147483648, 123456789], shape: [7] }], attrs: { positive: 0 }, outputTypes: ['int32'] },
  { op: 'MurmurHash3', domain: MS, inputs: [{ int32: [7, -7, 42, 99, 1000, -1000], shape: [2, 3] }], attrs: { positive: 0, seed: 42 }, outputTypes: ['int32'], label: 'seed' },
  // QEmbedLayerNormalization: uint8 tables, per-tensor scales and zero points.
  ...[false, true].map((segments): Case => ({
    op: 'QEmbedLayerNormalization', domain: MS, outputs: 2, outputTypes: ['float', 'int32'], attrs: { epsilon: 1e-5 }, label: segments ? 'segments, mask' : 'words and positions',
    inputs: [
      { int32: [1, 4, 2, 0, 3, 3], shape: [2, 3] }, segments ? { int32: [0, 1, 1, 0, 0, 1], shape: [2, 3] } : null,
      { uint8: bytes(5 * 4, 0, 255, 11), shape: [5, 4] }, { uint8: bytes(3 * 4, 0, 255, 12), shape: [3, 4] }, segments ? { uint8: bytes(2 * 4, 0, 255, 13), shape: [2, 4] } : null,
      { uint8: bytes(4, 100, 200, 14) }, { uint8: bytes(4, 0, 255, 15) }, segments ? { int32: [1, 1, 0, 1, 1, 1], shape: [2, 3] } : null,
      { shape: [], values: [0.02] }, { shape: [], values: [0.03] }, segments ? { shape: [], values: [0.05] } : null, { shape: [], values: [0.01] }, { shape: [], values: [0.004] },
      { uint8: [128], shape: [] }, { uint8: [120], shape: [] }, segments ? { uint8: [131], shape: [] } : null, { uint8: [100], shape: [] }, { uint8: [128], shape: [] },
    ],
  })),
  {
    op: 'QEmbedLayerNormalization', domain: MS, outputs: 2, outputTypes: ['float', 'int32'], label: 'int8 tables',
    inputs: [
      { int32: [1, 4, 2, 0, 3, 3], shape: [2, 3] }, null, { int8: bytes(5 * 4, -128, 127, 11), shape: [5, 4] }, { int8: bytes(3 * 4, -128, 127, 12), shape: [3, 4] }, null,
      { int8: bytes(4, 20, 100, 14) }, { int8: bytes(4, -128, 127, 15) }, null, { shape: [], values: [0.02] }, { shape: [], values: [0.03] }, null, { shape: [], values: [0.01] }, { shape: [], values: [0.004] },
      { int8: [-3], shape: [] }, { int8: [5], shape: [] }, null, { int8: [-10], shape: [] }, { int8: [0], shape: [] },
    ],
  },
  // WordConvEmbedding: words of 6 characters (0 pads), a window of 3 (a 2-character word spans it), 5 filters.
  {
    op: 'WordConvEmbedding', domain: MS, inputs: [{ int32: [3, 1, 4, 0, 0, 0, 2, 2, 0, 0, 0, 0, 5, 1, 2, 3, 4, 1, 1, 0, 3, 0, 0, 0], shape: [4, 6] }, [5, 1, 3, 4], [5], [6, 4]],
    attrs: { embedding_size: 5, conv_window_size: 3, char_embedding_size: 4 },
  },
  // ConvTransposeWithDynamicPads: the pads from an input.
  { op: 'ConvTransposeWithDynamicPads', domain: MS, inputs: [[1, 4, 4, 5], [4, 3, 3, 3], { int64: [1, 0, 0, 1] }, [6]], attrs: { group: 2, strides: [2, 2], output_padding: [1, 0] } },
  { op: 'ConvTransposeWithDynamicPads', domain: MS, inputs: [[2, 3, 6], [3, 2, 4], { int64: [2, 1] }], attrs: { strides: [3], dilations: [2] }, label: '1-D, no B' },
  // DecoderMaskedMultiHeadAttention: one step, two heads of 4; a shared buffer of 5 positions whose first past_sequence_length are the cache.
  { op: 'DecoderMaskedMultiHeadAttention', domain: MS, inputs: [[2, 1, 8], [2, 1, 8], [2, 1, 8], null, null, [2, 2, 5, 4], [2, 2, 5, 4], { int32: [2], shape: [] }], attrs: { num_heads: 2, past_present_share_buffer: 1 }, outputs: 3, range: [-1, 1], label: 'shared buffer, present' },
  { op: 'DecoderMaskedMultiHeadAttention', domain: MS, inputs: [[1, 1, 8], [1, 1, 8], [1, 1, 8], null, null, [1, 2, 3, 4], [1, 2, 3, 4], { int32: [2], shape: [] }], attrs: { num_heads: 2, past_present_share_buffer: 1 }, outputs: 3, range: [-1, 1], label: 'the last position of the buffer' },
  {
    op: 'DecoderMaskedMultiHeadAttention', domain: MS, range: [-1, 1], label: 'bias, mask, attention_bias, scale, beam_width 1, output_qk', outputs: 4,
    inputs: [[2, 1, 8], [2, 1, 8], [2, 1, 8], { int32: [1, 0, 1, 1, 1, 1, 0, 1], shape: [2, 4] }, [2, 1, 1, 4], [2, 2, 6, 4], [2, 2, 6, 4], { int32: [3], shape: [1] }, { int32: [1], shape: [1] }, null, [24]],
    attrs: { num_heads: 2, past_present_share_buffer: 1, scale: 0.4, mask_filter_value: -300.5, output_qk: 1 },
  },
  {
    op: 'DecoderMaskedMultiHeadAttention', domain: MS, inputs: [[1, 1, 64], [1, 1, 64], [1, 1, 64], { int32: [0, 1, 1, 1, 1, 1], shape: [1, 6] }, null, [1, 4, 8, 16], [1, 4, 8, 16], { int32: [5], shape: [] }],
    attrs: { num_heads: 4, past_present_share_buffer: 1 }, outputs: 3, range: [-1, 1], label: 'four heads of 16, left padding',
  },
  { op: 'DecoderMaskedMultiHeadAttention', domain: MS, inputs: [[2, 1, 8], [2, 1, 8], [2, 1, 8], null, [1, 2, 1, 3], [2, 2, 4, 4], [2, 2, 4, 4], { int32: [2], shape: [] }], attrs: { num_heads: 2, past_present_share_buffer: 1 }, outputs: 3, range: [-1, 1], label: 'attention_bias per head' },
  { op: 'DecoderMaskedMultiHeadAttention', domain: MS, inputs: [[2, 1, 8], [2, 2, 5, 4], [2, 2, 5, 4], { int32: [1, 1, 1, 0, 0, 1, 0, 1, 1, 1], shape: [2, 5] }, null, null, null, null, null, null, [24]], attrs: { num_heads: 2 }, range: [-1, 1], label: 'cross attention, mask, bias (the query\'s only)' },
  // com.microsoft's QuantizeLinear and DequantizeLinear (int16 and int4 chains are in test/quantize.test.ts).
  { op: 'QuantizeLinear', domain: MS, inputs: [[3, 4], { shape: [4], values: [0.01, 0.02, 0.05, 0.1] }, { int8: [0, -3, 5, 1], shape: [4] }], attrs: { axis: 1 }, outputTypes: ['int8'] },
  { op: 'DequantizeLinear', domain: MS, inputs: [{ uint8: [0, 17, 128, 255, 3, 90], shape: [2, 3] }, { shape: [], values: [0.04] }, { uint8: [128], shape: [] }] },
  // Opset 21's GroupNormalization: scale and bias per channel (element types and quantization are in test/quantize.test.ts).
  { op: 'GroupNormalization', inputs: [[2, 6, 3, 4], [6], [6]], attrs: { num_groups: 3, epsilon: 1e-3 }, opset: 21, label: 'opset 21, per channel' },
  { op: 'GroupNormalization', inputs: [[2, 4, 5], [4], [4]], attrs: { num_groups: 1, stash_type: 1 }, opset: 21, label: 'opset 21, one group, stash_type' },
];

function branch(outputs: string[], nodes: GraphSpec['nodes']): { graph: GraphSpec } {
  return { graph: { inputs: [], outputs, nodes } };
}

/** h <- tanh((h + i) @ outer0), scanning h; the condition is the incoming one or outer1 > i. */
function loopBody(condition: 'Identity' | 'Greater', scan = true): { graph: GraphSpec } {
  return {
    graph: {
      inputs: [{ name: 'i', type: 'int64', shape: [] }, { name: 'c', type: 'bool', shape: [] }, { name: 'h' }],
      outputs: ['c_out', 'h_out', ...(scan ? ['h_scan'] : [])],
      outputTypes: { c_out: 'bool' },
      nodes: [
        { op: 'Cast', inputs: ['i'], outputs: ['fi'], attrs: { to: 1 } },
        { op: 'Add', inputs: ['h', 'fi'], outputs: ['h1'] },
        { op: 'MatMul', inputs: ['h1', 'outer0'], outputs: ['h2'] },
        { op: 'Tanh', inputs: ['h2'], outputs: ['h_out'] },
        { op: 'Mul', inputs: ['h_out', 'h1'], outputs: ['h_scan'] },
        condition === 'Identity' ? { op: 'Identity', inputs: ['c'], outputs: ['c_out'] } : { op: 'Greater', inputs: ['outer1', 'fi'], outputs: ['c_out'] },
      ],
    },
  };
}

/** Cases whose graph needs more than one node (a bool input made by Cast). */
function spec(c: Case): { model: ModelSpec; feeds: { name: string; shape: number[]; values: number[] }[] } {
  const feeds: { name: string; shape: number[]; values: number[] }[] = [];
  const initializers: NonNullable<ModelSpec['initializers']> = [];
  const all = [...c.inputs, ...(c.outer ?? [])].map((input, i) => {
    const name = i < c.inputs.length ? `in${i}` : `outer${i - c.inputs.length}`;
    if (input === null) return '';
    if ('int64' in input) initializers.push({ name, type: 'int64', dims: input.shape ?? [input.int64.length], values: input.int64 });
    else if ('int32' in input) initializers.push({ name, type: 'int32', dims: input.shape ?? [input.int32.length], values: input.int32 });
    else if ('uint8' in input) initializers.push({ name, type: 'uint8', dims: input.shape ?? [input.uint8.length], values: input.uint8 });
    else if ('int8' in input) initializers.push({ name, type: 'int8', dims: input.shape ?? [input.int8.length], values: input.int8 });
    else if ('int16' in input) initializers.push({ name, type: 'int16', dims: input.shape ?? [input.int16.length], values: input.int16 });
    else {
      const shape = Array.isArray(input) ? input : input.shape;
      const values = Array.isArray(input) ? random(shape.reduce((a, b) => a * b, 1), feeds.length + c.op.length, c.range ?? [-2, 2]) : input.values;
      feeds.push({ name, shape, values });
    }
    return name;
  });
  const names = all.slice(0, c.inputs.length);
  const outputs = Array.from({ length: c.outputs ?? 1 }, (_, i) => `out${i}`);
  const nodes: ModelSpec['nodes'] = [];
  for (const [i, type] of Object.entries(c.casts ?? {})) {
    const k = Number(i);
    nodes.push({ op: 'Cast', inputs: [names[k]!], outputs: [`cast${k}`], attrs: { to: type === 'bool' ? 9 : 7 } });
    names[k] = `cast${k}`;
  }
  if (c.before) {
    const made = Array.from({ length: c.before.outputs }, (_, i) => `before${i}`);
    nodes.push({ op: c.before.op, inputs: [names[0]!], outputs: made, attrs: c.before.attrs });
    names.splice(0, 1, ...made);
  }
  nodes.push({ op: c.op, domain: c.domain, inputs: names.slice(0, names.length - [...names].reverse().findIndex((n) => n !== '')), outputs, attrs: c.attrs });
  return {
    model: {
      inputs: feeds.map((f) => ({ name: f.name, shape: f.shape })), outputs, nodes, initializers, opset: c.opset ?? 17,
      outputTypes: Object.fromEntries(outputs.map((o, i) => [o, c.outputTypes?.[i] ?? 'float'])),
    },
    feeds,
  };
}

describe('each operator matches onnxruntime', () => {
  for (const c of CASES) {
    it(`${c.op}${c.label ? ` (${c.label})` : ''}`, async () => {
      const { model, feeds } = spec(c);
      const bytes = buildModel(model);
      const session = await ort.InferenceSession.create(bytes);
      const results = await session.run(Object.fromEntries(feeds.map((f) => [f.name, new ort.Tensor('float32', Float32Array.from(f.values), f.shape)])));
      const imported = await loadOnnx(bytes);
      const out = imported.forward(...feeds.map((f) => tl.tensor(f.values).reshape(f.shape)));
      const outs: tl.Tensor[] = Array.isArray(out) ? out : [out];
      model.outputs.forEach((name, i) => {
        const want = results[name]!;
        const got = outs[i]!;
        expect(got.shape, `${name} shape`).toEqual([...want.dims]);
        const a = Array.from(got.dataSync() as ArrayLike<number>, Number);
        const b = Array.from(want.data as ArrayLike<number | bigint | boolean>, Number);
        const bad = a.map((v, k) => [k, v, b[k]!] as const).filter(([, v, w]) => !(Math.abs(v - w) <= TOL + TOL * Math.abs(w)));
        expect(bad.slice(0, 5), `${name}: ${bad.length} of ${a.length} elements differ`).toEqual([]);
      });
    });
  }

  it('covers every supported operator except those checked through the model fixtures', () => {
    const tested = new Set(CASES.map((c) => c.op));
    // Constant and Not are checked by the model fixtures, the Sequence and Optional operators
    // by test/sequences.test.ts; Gelu is an opset-20 op.
    const sequenceOps = ['SequenceEmpty', 'SequenceConstruct', 'SequenceInsert', 'SequenceAt', 'SequenceErase', 'SequenceLength', 'ConcatFromSequence', 'SplitToSequence', 'SequenceMap', 'Optional', 'OptionalHasElement', 'OptionalGetElement'];
    // The random operators are checked in 'what the spec leaves open'.
    const randomOps = ['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli'];
    // The quantization operators are checked in their chains by test/quantize.test.ts.
    const quantizeOps = ['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'QLinearMatMul', 'QLinearConv'];
    // BitShift's types (uint8, uint32, uint64) and Multinomial's draws are checked there too.
    // The string operators are checked with string tensors by test/strings.test.ts.
    const stringOps = ['StringNormalizer', 'TfIdfVectorizer', 'StringConcat', 'StringSplit', 'RegexFullMatch'];
    const elsewhere = ['Constant', 'Not', 'Gelu', 'BitShift', 'Multinomial', ...sequenceOps, ...randomOps, ...quantizeOps, ...stringOps];
    expect(supportedOps.filter((op) => !tested.has(op) && !elsewhere.includes(op))).toEqual([]);
    const contrib = new Set(CASES.filter((c) => c.domain === 'com.microsoft').map((c) => c.op));
    expect(supportedContribOps.filter((op) => !contrib.has(op))).toEqual([]);
  });
});

describe('what the spec leaves open or rules out', () => {
  const model = (op: string, inputs: { name: string; shape: number[] }[], attrs: Record<string, Attr>, opset = 17, outputs = ['out0'], initializers: ModelSpec['initializers'] = []) =>
    buildModel({ inputs, outputs, initializers, opset, outputTypes: { out1: 'int64' }, nodes: [{ op, name: 'n', inputs: [...inputs.map((i) => i.name), ...initializers.map((i) => i.name)], outputs, attrs }] });

  it('TopK with sorted 0: the elements onnxruntime picks, in sorted order', async () => {
    const values = random(40, 3, [-2, 2]);
    const bytes = model('TopK', [{ name: 'x', shape: [2, 20] }], { sorted: 0 }, 17, ['out0', 'out1'], [{ name: 'k', type: 'int64', dims: [1], values: [5] }]);
    const session = await ort.InferenceSession.create(bytes);
    const want = await session.run({ x: new ort.Tensor('float32', Float32Array.from(values), [2, 20]) });
    const [v, i] = (await loadOnnx(bytes)).forward(tl.tensor(values).reshape([2, 20])) as tl.Tensor[];
    const rows = (d: ArrayLike<number | bigint>) => [0, 1].map((r) => Array.from(d, Number).slice(r * 5, r * 5 + 5).sort((a, b) => a - b));
    expect(rows(i!.dataSync() as ArrayLike<number>)).toEqual(rows(want.out1!.data as BigInt64Array));
    const got = Array.from(v!.dataSync() as ArrayLike<number>);
    for (let r = 0; r < 2; r++) expect(got.slice(r * 5, r * 5 + 5)).toEqual([...got.slice(r * 5, r * 5 + 5)].sort((a, b) => b - a));
  });

  it('Mod with fmod 0 on floats is refused, as onnxruntime does', async () => {
    const m = await loadOnnx(model('Mod', [{ name: 'a', shape: [3] }, { name: 'b', shape: [3] }], {}));
    expect(() => m.forward(tl.tensor([1, 2, 3]), tl.tensor([2, 2, 2]))).toThrow("Mod 'n': attribute fmod=0 (integer mod) needs integer inputs");
  });

  it('refuses attributes outside the opset that defines them', async () => {
    const scatter = (reduction: string, opset: number) => model('ScatterElements', [{ name: 'x', shape: [3] }, { name: 'u', shape: [2] }], { reduction }, opset, ['out0'], [{ name: 'i', type: 'int64', dims: [2], values: [0, 1] }]);
    await expect(loadOnnx(scatter('max', 16))).rejects.toThrow("ScatterElements 'n': attribute reduction='max' needs opset 18 or later");
    await expect(loadOnnx(scatter('add', 13))).rejects.toThrow("attribute reduction='add' needs opset 16 or later");
    await expect(loadOnnx(scatter('avg', 18))).rejects.toThrow('attribute reduction="avg" is not supported');
    await expect(loadOnnx(model('TopK', [{ name: 'x', shape: [4] }], { k: 2 }, 11, ['out0', 'out1']))).rejects.toThrow("TopK 'n': attribute 'k' is not part of TopK at opset 11");
    await expect(loadOnnx(model('TopK', [{ name: 'x', shape: [4] }], { largest: 0, k: 2 }, 9, ['out0', 'out1']))).rejects.toThrow("attribute 'largest' is not part of TopK at opset 9");
  });

  it('recurrent layers refuse what they do not compute, naming it', async () => {
    const lstm = (attrs: Record<string, Attr>) => model('LSTM', [{ name: 'x', shape: [5, 2, 3] }, { name: 'w', shape: [1, 16, 3] }, { name: 'r', shape: [1, 16, 4] }], { hidden_size: 4, ...attrs }, 17, ['out0']);
    await expect(loadOnnx(lstm({ layout: 1 }))).rejects.toThrow("LSTM 'n': attribute layout=1 is not supported");
    await expect(loadOnnx(lstm({ clip: 3 }))).rejects.toThrow('attribute clip is not supported');
    await expect(loadOnnx(lstm({ input_forget: 1 }))).rejects.toThrow('attribute input_forget=1 is not supported');
    await expect(loadOnnx(lstm({ activations: ['Relu', 'Tanh', 'Tanh'] }))).rejects.toThrow('attribute activations [Relu,Tanh,Tanh] is not supported (supported: [Sigmoid,Tanh,Tanh] per direction)');
    const m = await loadOnnx(lstm({ hidden_size: 5 }));
    expect(() => m.forward(tl.zeros([5, 2, 3]), tl.zeros([1, 16, 3]), tl.zeros([1, 16, 4]))).toThrow("LSTM 'n': hidden_size 5 disagrees with R of shape [1,16,4]");
    m.dispose();
    // sequence_lens must give one length per batch entry.
    const lens = await loadOnnx(model('LSTM', [{ name: 'x', shape: [5, 2, 3] }, { name: 'w', shape: [1, 16, 3] }, { name: 'r', shape: [1, 16, 4] }, { name: 'b', shape: [1, 32] }], { hidden_size: 4 }, 17, ['out0'], [{ name: 'lens', type: 'int32', dims: [3], values: [5, 2, 4] }]));
    expect(() => lens.forward(tl.zeros([5, 2, 3]), tl.zeros([1, 16, 3]), tl.zeros([1, 16, 4]), tl.zeros([1, 32]))).toThrow("LSTM 'n': sequence_lens must be [2], got [3]");
    lens.dispose();
  });

  it('LSTM, GRU and RNN train: their gradients for the input, weights, biases and initial state match finite differences', async () => {
    for (const [op, gates, outputs] of [['LSTM', 4, 3], ['GRU', 3, 2], ['RNN', 1, 2]] as const) {
      const shapes = { x: [3, 2, 3], w: [2, 4 * gates, 3], r: [2, 4 * gates, 4], b: [2, 8 * gates] };
      const inputs = Object.entries(shapes).map(([name, shape]) => ({ name, shape }));
      const names = Array.from({ length: outputs }, (_, i) => `out${i}`);
      // initial_h as a graph input too (sequence_lens left out).
      const bytes = buildModel({
        inputs: [...inputs, { name: 'h', shape: [2, 2, 4] }], outputs: names, opset: 17,
        nodes: [{ op, name: 'n', inputs: ['x', 'w', 'r', 'b', '', 'h'], outputs: names, attrs: { hidden_size: 4, direction: 'bidirectional', ...(op === 'GRU' ? { linear_before_reset: 1 } : {}) } }],
      });
      const m = await loadOnnx(bytes);
      const values = [...Object.values(shapes), [2, 2, 4]].map((shape, i) => tl.tensor(random(shape.reduce((a, b) => a * b, 1), 40 + i, [-0.8, 0.8])).reshape(shape).requiresGrad_());
      expect(tl.autograd.gradcheck((...xs) => m.forward(...xs) as tl.Tensor[], values), op).toBe(true);
      m.dispose();
    }
  });

  it('Resize and Pad refuse the modes PyTorch does not compute', async () => {
    const resize = (attrs: Record<string, Attr>) => model('Resize', [{ name: 'x', shape: [1, 1, 2, 2] }], attrs, 17, ['out0'], [{ name: 'roi', type: 'float', dims: [0], values: [] }, { name: 's', type: 'float', dims: [4], values: [1, 1, 2, 2] }]);
    await expect(loadOnnx(resize({ mode: 'cubic', coordinate_transformation_mode: 'asymmetric' }))).rejects.toThrow("coordinate_transformation_mode='asymmetric' with cubic is not supported");
    await expect(loadOnnx(model('Pad', [{ name: 'x', shape: [3] }], { mode: 'wrap' }, 17, ['out0'], [{ name: 'p', type: 'int64', dims: [2], values: [1, 1] }]))).rejects.toThrow('Pad \'n\': attribute mode="wrap" needs opset 19 or later (the model imports opset 17)');
  });

  it('the operators of opsets 19 and 20 refuse what they do not compute, and what their opset does not define, naming it', async () => {
    const image = [{ name: 'x', shape: [1, 1, 4, 4] }];
    const grid = [...image, { name: 'g', shape: [1, 2, 2, 2] }];
    const scales = [{ name: 'roi', type: 'float' as const, dims: [0], values: [] }, { name: 's', type: 'float' as const, dims: [4], values: [1, 1, 2, 2] }];
    const sizes = [{ name: 'roi', type: 'float' as const, dims: [0], values: [] }, { name: 's', type: 'float' as const, dims: [0], values: [] }, { name: 'z', type: 'int64' as const, dims: [2], values: [6, 6] }];
    const msPad = buildModel({
      inputs: [{ name: 'x', shape: [3] }], outputs: ['out0'], opset: 19, initializers: [{ name: 'p', type: 'int64', dims: [2], values: [1, 1] }],
      nodes: [{ op: 'Pad', domain: MS, name: 'n', inputs: ['x', 'p'], outputs: ['out0'], attrs: { mode: 'wrap' } }],
    });
    const refused: [Uint8Array, string][] = [
      [model('DFT', [{ name: 'x', shape: [1, 8, 1] }], { axis: 1 }, 20), "DFT 'n': attribute 'axis' is not part of DFT at opset 20 (axis is an input)"],
      [msPad, 'Pad \'n\': attribute mode="wrap" is not supported (supported: "constant", "reflect", "edge")'],
      [model('Resize', image, { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' }, 18, ['out0'], scales), "Resize 'n': coordinate_transformation_mode='half_pixel_symmetric' needs opset 19 or later (the model imports opset 18)"],
      [model('Resize', image, { mode: 'nearest', coordinate_transformation_mode: 'tf_half_pixel_for_nn' }, 19, ['out0'], scales), "Resize 'n': coordinate_transformation_mode='tf_half_pixel_for_nn' with nearest is not supported"],
      [model('Resize', image, { mode: 'linear', coordinate_transformation_mode: 'asymmetric' }, 19, ['out0'], scales), "Resize 'n': coordinate_transformation_mode='asymmetric' with linear is not supported"],
      [model('Resize', image, { mode: 'linear', axes: [2, 3], keep_aspect_ratio_policy: 'fit' }, 19, ['out0'], sizes), 'Resize \'n\': attribute keep_aspect_ratio_policy="fit" is not supported'],
      [model('AveragePool', image, { kernel_shape: [2, 2], dilations: [2, 2] }, 18), "AveragePool 'n': attribute dilations other than 1 needs opset 19 or later (the model imports opset 18)"],
      [model('GridSample', grid, { mode: 'bilinear' }, 20), 'GridSample \'n\': attribute mode="bilinear" is not supported (supported: "linear", "nearest", "cubic")'],
      [model('GridSample', grid, { mode: 'cubic' }, 19), 'GridSample \'n\': attribute mode="cubic" is not supported (supported: "bilinear", "nearest", "bicubic")'],
      [model('AffineGrid', [{ name: 't', shape: [1, 2, 3] }], { align_corners: 2 }, 20, ['out0'], [{ name: 's', type: 'int64', dims: [4], values: [1, 1, 2, 2] }]), "AffineGrid 'n': attribute align_corners=2 is not supported (supported: 0, 1)"],
      [model('DeformConv', [{ name: 'x', shape: [1, 1, 3, 3, 3] }, { name: 'w', shape: [1, 1, 2, 2, 2] }, { name: 'o', shape: [1, 24, 2, 2, 2] }], { kernel_shape: [2, 2, 2] }, 19), "DeformConv 'n': 3-D windows are not supported (1-D and 2-D are)"],
      // Decoding images is left to the application: the operator is refused.
      [model('ImageDecoder', [{ name: 'x', shape: [16] }], {}, 20), "ImageDecoder 'n': operator ImageDecoder is not supported"],
    ];
    for (const [bytes, message] of refused) await expect(loadOnnx(bytes)).rejects.toThrow(message);
    // com.microsoft's GridSample keeps opset 16's names in an opset-20 model.
    const msGrid = buildModel({ inputs: grid, outputs: ['out0'], opset: 20, nodes: [{ op: 'GridSample', domain: MS, name: 'n', inputs: ['x', 'g'], outputs: ['out0'], attrs: { mode: 'bilinear' } }] });
    expect(((await loadOnnx(msGrid)).forward(tl.ones([1, 1, 4, 4]), tl.zeros([1, 2, 2, 2])) as tl.Tensor).shape).toEqual([1, 1, 2, 2]);
    const volume = await loadOnnx(model('GridSample', [{ name: 'x', shape: [1, 1, 2, 2, 2] }, { name: 'g', shape: [1, 1, 1, 1, 3] }], { mode: 'cubic' }, 20));
    expect(() => volume.forward(tl.ones([1, 1, 2, 2, 2]), tl.zeros([1, 1, 1, 1, 3]))).toThrow("GridSample 'n': cubic sampling of 3 spatial dims is not supported (1-D and 2-D are)");
    const hyper = await loadOnnx(model('GridSample', [{ name: 'x', shape: [1, 1, 2, 2, 2, 2] }, { name: 'g', shape: [1, 1, 1, 1, 1, 4] }], {}, 20));
    expect(() => hyper.forward(tl.ones([1, 1, 2, 2, 2, 2]), tl.zeros([1, 1, 1, 1, 1, 4]))).toThrow("GridSample 'n': GridSample of 4 spatial dims is not supported (1 to 3 are)");
    const old = await loadOnnx(model('GridSample', [{ name: 'x', shape: [1, 1, 2, 2, 2] }, { name: 'g', shape: [1, 1, 1, 1, 3] }], {}, 19));
    expect(() => old.forward(tl.ones([1, 1, 2, 2, 2]), tl.zeros([1, 1, 1, 1, 3]))).toThrow("GridSample 'n': X of shape [1,1,2,2,2] must be [N, C, H, W] at opset 19");
    const axisInput = await loadOnnx(model('DFT', [{ name: 'x', shape: [1, 8, 1] }], {}, 20, ['out0'], [{ name: 'l', type: 'int64', dims: [], values: [8] }, { name: 'a', type: 'int64', dims: [], values: [-1] }]));
    expect(() => axisInput.forward(tl.ones([1, 8, 1]))).toThrow("DFT 'n': axis -1 is the real/imaginary dim of input [1,8,1]");
    const irfft = await loadOnnx(model('DFT', [{ name: 'x', shape: [1, 3, 2] }], { onesided: 1, inverse: 1 }, 20, ['out0'], [{ name: 'l', type: 'int64', dims: [], values: [8] }]));
    expect(() => irfft.forward(tl.ones([1, 3, 2]))).toThrow("DFT 'n': dft_length 8 for 3 one-sided bins is not supported (it must be 4 or 5)");
    const deform = await loadOnnx(model('DeformConv', [{ name: 'x', shape: [1, 2, 4, 4] }, { name: 'w', shape: [1, 2, 2, 2] }, { name: 'o', shape: [1, 4, 3, 3] }], {}, 19));
    expect(() => deform.forward(tl.ones([1, 2, 4, 4]), tl.ones([1, 2, 2, 2]), tl.ones([1, 4, 3, 3]))).toThrow("DeformConv 'n': offset of shape [1,4,3,3] must be [1,8,3,3]");
    const theta = await loadOnnx(model('AffineGrid', [{ name: 't', shape: [1, 2, 3] }], {}, 20, ['out0'], [{ name: 's', type: 'int64', dims: [5], values: [1, 1, 2, 2, 2] }]));
    expect(() => theta.forward(tl.ones([1, 2, 3]))).toThrow("AffineGrid 'n': theta of shape [1,2,3] must be [1, 3, 4] for size [1,1,2,2,2]");
  });

  it('where onnxruntime departs from the spec: Pad wrap by more than a dim, and AffineGrid on a dim of 1 with align_corners', async () => {
    // numpy.pad([0, 1, 2], (4, 5), 'wrap') (ONNX's reference): onnxruntime 1.30 gives 0 0 1 2 ... here.
    const wrap = await loadOnnx(model('Pad', [{ name: 'x', shape: [3] }], { mode: 'wrap' }, 19, ['out0'], [{ name: 'p', type: 'int64', dims: [2], values: [4, 5] }]));
    expect(Array.from((wrap.forward(tl.tensor([0, 1, 2])) as tl.Tensor).dataSync())).toEqual([2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1]);
    // PyTorch's affine_grid puts a single column at 0 (onnxruntime: +1, ONNX's reference: -1).
    const grid = await loadOnnx(model('AffineGrid', [{ name: 't', shape: [1, 2, 3] }], { align_corners: 1 }, 20, ['out0'], [{ name: 's', type: 'int64', dims: [4], values: [1, 1, 3, 1] }]));
    expect(Array.from((grid.forward(tl.tensor([[[1, 0, 0], [0, 1, 0]]])) as tl.Tensor).dataSync())).toEqual([0, -1, 0, 0, 0, 1]);
  });

  it('GridSample of one spatial dim (onnxruntime 1.30 takes 2 or 3) samples as the 2-D form does a row', async () => {
    // Cubic too: the row's cubic weights in y are [0, 1, 0, 0] at y = 0.
    const x = tl.tensor(random(42, 5, [-2, 2])).reshape([2, 3, 7]);
    const g = tl.tensor(random(10, 6, [-2.5, 2.5])).reshape([2, 5, 1]);
    for (const mode of ['linear', 'nearest', 'cubic']) {
      for (const padding_mode of ['zeros', 'border', 'reflection']) {
        const attrs = { mode, padding_mode };
        const one = (await loadOnnx(model('GridSample', [{ name: 'x', shape: [2, 3, 7] }, { name: 'g', shape: [2, 5, 1] }], attrs, 20))).forward(x, g) as tl.Tensor;
        // A row of height 1 at y = 0, which align_corners 0 puts on the row's centre.
        const two = (await loadOnnx(model('GridSample', [{ name: 'x', shape: [2, 3, 1, 7] }, { name: 'g', shape: [2, 1, 5, 2] }], attrs, 20))).forward(x.unsqueeze(2), tl.stack([g.reshape([2, 1, 5]), tl.zeros([2, 1, 5])], -1)) as tl.Tensor;
        expect(one.shape).toEqual([2, 3, 5]);
        const [a, b] = [one, two.squeeze(2)].map((t) => Array.from(t.dataSync() as Float32Array));
        expect(a.map((v, i) => Math.abs(v - b![i]!) < 1e-6).every(Boolean), `${mode} ${padding_mode}`).toBe(true);
      }
    }
  });

  it('DFT-20, AffineGrid, dilated AveragePool, Resize half_pixel_symmetric and antialias, Pad wrap, DeformConv and 3-D GridSample train: their gradients match finite differences', async () => {
    const int64 = (name: string, values: number[], dims = [values.length]) => ({ name, type: 'int64' as const, dims, values });
    const cases: [string, number[][], Record<string, Attr>, number, ModelSpec['initializers']][] = [
      ['DFT', [[2, 5, 3, 2]], { inverse: 1 }, 20, [int64('l', [6], []), int64('a', [1], [])]],
      ['DFT', [[2, 4, 2]], { inverse: 1, onesided: 1 }, 20, []],
      ['AffineGrid', [[2, 2, 3]], {}, 20, [int64('s', [2, 1, 3, 4])]],
      ['AffineGrid', [[1, 3, 4]], { align_corners: 1 }, 20, [int64('s', [1, 1, 2, 3, 2])]],
      ['AveragePool', [[1, 2, 6, 7]], { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 0, 1, 1] }, 19, []],
      ['Resize', [[1, 1, 3, 4]], { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric' }, 19, [{ name: 'roi', dims: [0], values: [] }, { name: 'sc', dims: [4], values: [1, 1, 1.6, 0.7] }]],
      ['Resize', [[1, 1, 5, 6]], { mode: 'cubic', antialias: 1 }, 19, [{ name: 'roi', dims: [0], values: [] }, { name: 'sc', dims: [4], values: [1, 1, 0.5, 1.4] }]],
      ['Pad', [[2, 3]], { mode: 'wrap' }, 19, [int64('p', [1, -1, 0, 2])]],
      ['DeformConv', [[1, 4, 4, 4], [2, 2, 2, 2], [1, 16, 3, 3], [2], [1, 8, 3, 3]], { group: 2, offset_group: 2 }, 19, []],
      ['GridSample', [[1, 2, 3, 3, 4], [1, 2, 2, 2, 3]], { padding_mode: 'reflection' }, 20, []],
    ];
    for (const [op, shapes, attrs, opset, initializers] of cases) {
      const m = await loadOnnx(model(op, shapes.map((shape, i) => ({ name: `x${i}`, shape })), attrs, opset, ['out0'], initializers));
      const values = shapes.map((shape, i) => tl.tensor(random(shape.reduce((a, b) => a * b, 1), 90 + i, [-0.8, 0.8])).reshape(shape).requiresGrad_());
      expect(tl.autograd.gradcheck((...xs) => m.forward(...xs) as tl.Tensor, values), `${op} ${JSON.stringify(attrs)}`).toBe(true);
      m.dispose();
    }
  });

  const stats = (t: tl.Tensor) => {
    const v = Array.from(t.dataSync() as Float32Array);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { v, mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) };
  };

  it('RandomNormal and RandomUniform: float32 of the shape asked, with the mean and spread asked', async () => {
    const normal = (await loadOnnx(model('RandomNormal', [], { shape: [100, 50], mean: 3, scale: 0.5 }))).forward() as tl.Tensor;
    expect([normal.shape, normal.dtype]).toEqual([[100, 50], 'float32']);
    const n = stats(normal);
    expect(Math.abs(n.mean - 3)).toBeLessThan(0.05);
    expect(Math.abs(n.std - 0.5)).toBeLessThan(0.03);
    const uniform = (await loadOnnx(model('RandomUniform', [], { shape: [5000], low: -2, high: 5 }))).forward() as tl.Tensor;
    const u = stats(uniform);
    expect([uniform.shape, uniform.dtype]).toEqual([[5000], 'float32']);
    expect(u.v.every((x) => x >= -2 && x < 5)).toBe(true);
    expect(Math.abs(u.mean - 1.5)).toBeLessThan(0.15);
    expect(Math.abs(u.std - 7 / Math.sqrt(12))).toBeLessThan(0.1);
  });

  it('RandomNormalLike, RandomUniformLike and Bernoulli take the input\'s shape; a non-float type needs dtype 1', async () => {
    const x = tl.zeros([30, 40]);
    const normal = (await loadOnnx(model('RandomNormalLike', [{ name: 'x', shape: [30, 40] }], { scale: 2.5 }))).forward(x) as tl.Tensor;
    expect([normal.shape, Math.abs(stats(normal).std - 2.5) < 0.15]).toEqual([[30, 40], true]);
    const uniform = (await loadOnnx(model('RandomUniformLike', [{ name: 'x', shape: [30, 40] }], { low: 1, high: 1.5 }))).forward(x) as tl.Tensor;
    expect([uniform.shape, stats(uniform).v.every((v) => v >= 1 && v < 1.5)]).toEqual([[30, 40], true]);
    const ints = [{ name: 'i', type: 'int64' as const, dims: [2, 3], values: [1, 2, 3, 4, 5, 6] }];
    const m = await loadOnnx(model('RandomUniformLike', [], {}, 17, ['out0'], ints));
    expect(() => m.forward()).toThrow("RandomUniformLike 'n': the output takes the input's type, int64; only float is supported (set dtype=1)");
    expect(((await loadOnnx(model('RandomUniformLike', [], { dtype: 1 }, 17, ['out0'], ints))).forward() as tl.Tensor).shape).toEqual([2, 3]);
    // Probabilities 0, 1 and 0.3, 1000 of each.
    const p = tl.tensor([...new Array<number>(1000).fill(0), ...new Array<number>(1000).fill(1), ...new Array<number>(1000).fill(0.3)]);
    const draws = stats((await loadOnnx(model('Bernoulli', [{ name: 'p', shape: [3000] }], {}))).forward(p) as tl.Tensor).v;
    expect([draws.slice(0, 2000).join(), draws.every((v) => v === 0 || v === 1)]).toEqual([[...new Array<number>(1000).fill(0), ...new Array<number>(1000).fill(1)].join(), true]);
    expect(Math.abs(draws.slice(2000).reduce((a, b) => a + b, 0) / 1000 - 0.3)).toBeLessThan(0.06);
  });

  it('a seed makes the random operators reproducible: each load gives the same numbers, each run new ones', async () => {
    const specs: [string, { name: string; shape: number[] }[], Record<string, Attr>][] = [
      ['RandomNormal', [], { shape: [4, 5] }], ['RandomUniform', [], { shape: [4, 5] }],
      ['RandomNormalLike', [{ name: 'x', shape: [4, 5] }], {}], ['RandomUniformLike', [{ name: 'x', shape: [4, 5] }], {}], ['Bernoulli', [{ name: 'x', shape: [4, 5] }], {}],
    ];
    for (const [op, inputs, attrs] of specs) {
      const args = inputs.map(() => tl.full([4, 5], 0.5));
      const run = async (seed?: number) => {
        const m = await loadOnnx(model(op, inputs, { ...attrs, ...(seed === undefined ? {} : { seed }) }));
        return [0, 1].map(() => Array.from((m.forward(...args) as tl.Tensor).dataSync() as Float32Array).join());
      };
      const [first, second] = await run(1.5);
      expect(await run(1.5), op).toEqual([first, second]);
      expect(second, op).not.toEqual(first);
      expect((await run(2.5))[0], op).not.toEqual(first);
      expect((await run())[0], op).not.toEqual((await run())[0]);
    }
  });

  it('LRN with an even size sums the channels the spec names (onnxruntime refuses an even size)', async () => {
    const [size, alpha, beta, bias] = [4, 0.3, 0.75, 1.5];
    const values = random(12, 5, [-2, 2]);
    const got = Array.from(((await loadOnnx(model('LRN', [{ name: 'x', shape: [1, 6, 2] }], { size, alpha, beta, bias }))).forward(tl.tensor(values).reshape([1, 6, 2])) as tl.Tensor).dataSync() as Float32Array);
    // Channels c - floor((size - 1) / 2) to c + ceil((size - 1) / 2).
    const want = values.map((v, i) => {
      const [c, w] = [Math.floor(i / 2), i % 2];
      let sum = 0;
      for (let k = Math.max(0, c - 1); k <= Math.min(5, c + 2); k++) sum += values[k * 2 + w]! ** 2;
      return v / (bias + (alpha / size) * sum) ** beta;
    });
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 5));
  });

  it('the composed operators train: their gradients match finite differences', async () => {
    const lens = [{ name: 'l', type: 'int64' as const, dims: [3], values: [2, 4, 1] }];
    const targets = [{ name: 't', type: 'int64' as const, dims: [2, 3], values: [0, 2, 1, 1, 2, 0] }, { name: 'w', dims: [3], values: [0.5, 2, 1.5] }];
    const cases: [string, number[][], Record<string, Attr>, number?, ModelSpec['initializers']?, number?][] = [
      ['LpPool', [[1, 2, 5, 5]], { kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 0, 1], p: 3 }],
      ['GlobalLpPool', [[2, 2, 3, 3]], {}],
      ['LRN', [[1, 5, 2, 2]], { size: 2, alpha: 0.5, bias: 1.5 }],
      ['LpNormalization', [[3, 4]], {}],
      ['MeanVarianceNormalization', [[2, 3, 2, 2]], {}],
      ['Upsample', [[1, 1, 3, 2]], { mode: 'linear', scales: [1, 1, 2.5, 1.5] }, 7],
      ['ReverseSequence', [[4, 3, 2]], {}, 17, lens],
      ['Unique', [[2, 3]], { axis: 1 }],
      ['Det', [[2, 3, 3]], {}],
      ['SoftmaxCrossEntropyLoss', [[2, 3, 3]], { reduction: 'mean' }, 17, targets, 2],
      ['NegativeLogLikelihoodLoss', [[2, 3, 3]], { reduction: 'sum' }, 17, targets],
    ];
    for (const [op, shapes, attrs, opset, initializers, outputs] of cases) {
      const names = Array.from({ length: outputs ?? 1 }, (_, i) => `out${i}`);
      const m = await loadOnnx(model(op, shapes.map((shape, i) => ({ name: `x${i}`, shape })), attrs, opset, names, initializers ?? []));
      const values = shapes.map((shape, i) => tl.tensor(random(shape.reduce((a, b) => a * b, 1), 60 + i, [-0.8, 0.8])).reshape(shape).requiresGrad_());
      expect(tl.autograd.gradcheck((...xs) => m.forward(...xs) as tl.Tensor | tl.Tensor[], values), op).toBe(true);
      m.dispose();
    }
  });

  it('GatherBlockQuantized gives zero rows for indices out of range, as its spec says (onnxruntime 1.30 refuses them)', async () => {
    // A 3 x 16 table of 4-bit values, one block per row, scale 0.5, default zero point 8: row r holds (r + 1 - 8) / 2.
    const data = [0, 1, 2].flatMap((r) => new Array<number>(8).fill((r + 1) * 17));
    const bytes = buildModel({
      inputs: [{ name: 'scales', shape: [3, 1] }], outputs: ['y'],
      initializers: [{ name: 'data', type: 'uint8', dims: [3, 8], values: data }, { name: 'ids', type: 'int64', dims: [5], values: [2, 3, -1, -4, 0] }],
      nodes: [{ op: 'GatherBlockQuantized', domain: MS, inputs: ['data', 'ids', 'scales'], outputs: ['y'], attrs: { block_size: 16 } }],
    });
    const m = await loadOnnx(bytes);
    const y = m.forward(tl.full([3, 1], 0.5)) as tl.Tensor;
    expect(y.shape).toEqual([5, 16]);
    expect(Array.from(y.dataSync() as Float32Array).filter((_, i) => i % 16 === 0)).toEqual([-2.5, 0, -2.5, 0, -3.5]);
    m.dispose();
  });

  it('NonZero of a scalar is [0, n], as the spec says (onnxruntime gives [1, n])', async () => {
    const m = await loadOnnx(model('NonZero', [{ name: 'x', shape: [] }], {}, 17, ['out0']));
    expect((m.forward(tl.tensor(3)) as tl.Tensor).shape).toEqual([0, 1]);
  });

  // One com.microsoft node; `names` are its inputs in order ('' for one left out), graph inputs first, then initializers.
  const contribModel = (op: string, inputs: { name: string; shape: number[] }[], attrs: Record<string, Attr>, outputs = ['out0'], initializers: ModelSpec['initializers'] = [], names?: string[]) =>
    buildModel({ inputs, outputs, initializers, nodes: [{ op, domain: MS, name: 'n', inputs: names ?? [...inputs.map((i) => i.name), ...initializers.map((i) => i.name)], outputs, attrs }] });

  it('the com.microsoft operators train: Attention, MultiHeadAttention, GroupQueryAttention, the skip norms, RotaryEmbedding and more match finite differences', async () => {
    const int32 = (name: string, values: number[], dims = [values.length]) => ({ name, type: 'int32' as const, dims, values });
    const int64 = (name: string, values: number[], dims = [values.length]) => ({ name, type: 'int64' as const, dims, values });
    const cases: [string, number[][], Record<string, Attr>, ModelSpec['initializers'], string[] | undefined, number?][] = [
      ['Attention', [[2, 3, 4], [4, 12], [12]], { num_heads: 2, unidirectional: 1 }, [int32('m', [3, 2])], undefined],
      ['Attention', [[2, 3, 4], [4, 10], [10], [1, 2, 3, 3]], { num_heads: 2, qkv_hidden_sizes: [4, 4, 2] }, [int32('m', [1, 1, 0, 1, 0, 1], [2, 3])], ['x0', 'x1', 'x2', 'm', '', 'x3']],
      ['MultiHeadAttention', [[2, 3, 4], [2, 4, 4], [2, 4, 6], [14], [2, 2, 3, 4]], { num_heads: 2 }, [int32('m', [4, 3])], ['x0', 'x1', 'x2', 'x3', 'm', 'x4']],
      // A decoding step after a past of 3 keys: the gradient reaches the cache too.
      ['Attention', [[2, 1, 4], [4, 12], [12], [2, 2, 2, 3, 2]], { num_heads: 2, unidirectional: 1 }, [int32('m', [4, 3])], ['x0', 'x1', 'x2', 'm', 'x3']],
      ['MultiHeadAttention', [[2, 1, 4], [2, 1, 4], [2, 1, 4], [2, 2, 3, 2], [2, 2, 3, 2]], { num_heads: 2, unidirectional: 1 }, [], ['x0', 'x1', 'x2', '', '', '', 'x3', 'x4']],
      ['SkipLayerNormalization', [[2, 3, 4], [2, 3, 4], [4], [4], [4]], { epsilon: 1e-5 }, [], undefined, 4],
      ['SkipSimplifiedLayerNormalization', [[2, 3, 4], [3, 4], [4], [4]], { epsilon: 1e-5 }, [], undefined, 4],
      ['RotaryEmbedding', [[2, 3, 8], [6, 2], [6, 2]], { num_heads: 2, interleaved: 1 }, [int64('p', [2, 0, 1, 3, 5, 4], [2, 3])], ['x0', 'p', 'x1', 'x2']],
      ['RotaryEmbedding', [[2, 2, 3, 6], [6, 2], [6, 2]], { rotary_embedding_dim: 4 }, [int64('p', [1])], ['x0', 'p', 'x1', 'x2']],
      ['FusedMatMul', [[3, 2, 4], [2, 5, 4]], { transBatchA: 1, transB: 1, alpha: 0.5 }, [], undefined],
      ['FastGelu', [[2, 5], [5]], {}, [], undefined],
      ['QuickGelu', [[2, 5]], { alpha: 1.5 }, [], undefined],
      // The scales of 4-bit weights train with the input.
      // GroupQueryAttention's prompt phase: grouped heads, right padding, and rotary with the window, softcap and smooth softmax; a decode step; packed QKV; attention_bias and head_sink.
      ['GroupQueryAttention', [[2, 3, 8], [2, 3, 4], [2, 3, 4]], { num_heads: 2, kv_num_heads: 1 }, [int32('s', [2, 1]), int32('t', [3], [])], ['x0', 'x1', 'x2', '', '', 's', 't'], 3],
      ['GroupQueryAttention', [[1, 4, 8], [1, 4, 8], [1, 4, 8], [6, 2], [6, 2]], { num_heads: 2, kv_num_heads: 2, do_rotary: 1, local_window_size: 2, softcap: 1.2, smooth_softmax: 1 }, [int32('s', [3]), int32('t', [4], [])], ['x0', 'x1', 'x2', '', '', 's', 't', 'x3', 'x4'], 3],
      ['GroupQueryAttention', [[2, 1, 8], [2, 1, 4], [2, 1, 4], [2, 1, 3, 4], [2, 1, 3, 4]], { num_heads: 2, kv_num_heads: 1, rotary_interleaved: 1 }, [int32('s', [3, 1]), int32('t', [4], [])], ['x0', 'x1', 'x2', 'x3', 'x4', 's', 't'], 3],
      ['GroupQueryAttention', [[1, 3, 16]], { num_heads: 2, kv_num_heads: 1 }, [int32('s', [2]), int32('t', [3], [])], ['x0', '', '', '', '', 's', 't'], 3],
      ['GroupQueryAttention', [[2, 3, 8], [2, 3, 4], [2, 3, 4], [2, 2, 3, 3], [2]], { num_heads: 2, kv_num_heads: 1 }, [int32('s', [2, 1]), int32('t', [3], [])], ['x0', 'x1', 'x2', '', '', 's', 't', '', '', '', 'x3', 'x4'], 3],
      ['FusedGemm', [[3, 4], [4, 5], [5]], { activation: 'Tanh', alpha: 0.5 }, [], undefined],
      ['FusedConv', [[1, 2, 5, 5], [3, 2, 3, 3], [3], [1, 3, 3, 3]], { activation: 'Sigmoid' }, [], undefined],
      ['MatMulNBits', [[2, 16], [3, 1]], { K: 16, N: 3, bits: 4, block_size: 16 }, [{ name: 'b', type: 'uint8', dims: [3, 1, 8], values: Array.from({ length: 24 }, (_, i) => (i * 53) % 256) }], ['x0', 'b', 'x1']],
    ];
    for (const [op, shapes, attrs, initializers, names, outputs] of cases) {
      const outs = Array.from({ length: outputs ?? 1 }, (_, i) => `out${i}`);
      const m = await loadOnnx(contribModel(op, shapes.map((shape, i) => ({ name: `x${i}`, shape })), attrs, outs, initializers, names));
      const values = shapes.map((shape, i) => tl.tensor(random(shape.reduce((a, b) => a * b, 1), 90 + i, [-0.8, 0.8])).reshape(shape).requiresGrad_());
      expect(tl.autograd.gradcheck((...xs) => m.forward(...xs) as tl.Tensor | tl.Tensor[], values), `${op} ${JSON.stringify(attrs)}`).toBe(true);
      m.dispose();
    }
  });

  it('Attention and MultiHeadAttention give the unfused composition, and their gradients', async () => {
    // MultiHeadAttention with a bias is softmax(q kᵀ / sqrt(h)) v per head of the biased projections.
    const m = await loadOnnx(contribModel('MultiHeadAttention', [{ name: 'q', shape: [1, 3, 4] }, { name: 'k', shape: [1, 2, 4] }, { name: 'v', shape: [1, 2, 4] }, { name: 'b', shape: [12] }], { num_heads: 2 }));
    const [q, k, v, b] = [[1, 3, 4], [1, 2, 4], [1, 2, 4], [12]].map((shape, i) => tl.tensor(random(shape.reduce((p, n) => p * n, 1), 100 + i, [-1, 1])).reshape(shape).requiresGrad_()) as tl.Tensor[];
    const unfused = () => {
      const [bq, bk, bv] = tl.split(b!, 4, 0);
      const split = (t: tl.Tensor, bias: tl.Tensor) => t.add(bias).reshape([1, -1, 2, 2]).permute([0, 2, 1, 3]);
      const weights = tl.softmax(tl.matmul(split(q!, bq!), split(k!, bk!).transpose(-2, -1)).div(Math.sqrt(2)), -1);
      return tl.matmul(weights, split(v!, bv!)).permute([0, 2, 1, 3]).reshape([1, 3, 4]);
    };
    const fused = m.forward(q!, k!, v!, b!) as tl.Tensor;
    const want = unfused();
    expect(Array.from(fused.dataSync() as Float32Array).map((x, i) => Math.abs(x - (want.dataSync() as Float32Array)[i]!) < 1e-5).every(Boolean)).toBe(true);
    const grads = (y: tl.Tensor) => {
      const gs = tl.autograd.grad(y.square().sum(), [q!, k!, v!, b!]);
      return gs.map((g) => Array.from(g!.dataSync() as Float32Array));
    };
    const [g1, g2] = [grads(m.forward(q!, k!, v!, b!) as tl.Tensor), grads(unfused())];
    g1.forEach((g, i) => g.forEach((x, j) => expect(x).toBeCloseTo(g2[i]![j]!, 5)));
    m.dispose();
  });

  it('the com.microsoft operators refuse what they do not compute, naming it', async () => {
    const x = [{ name: 'x', shape: [2, 3, 4] }, { name: 'w', shape: [4, 12] }, { name: 'b', shape: [12] }];
    const qkv = [{ name: 'q', shape: [2, 3, 4] }, { name: 'k', shape: [2, 5, 4] }, { name: 'v', shape: [2, 5, 4] }];
    const packed = [{ name: 'b', type: 'uint8' as const, dims: [2, 1, 8], values: new Array<number>(16).fill(0) }];
    const refused: [Uint8Array, string][] = [
      [contribModel('Attention', x, {}), "Attention 'n': attribute num_heads is missing"],
      [contribModel('EmbedLayerNormalization', x, { mask_index_type: 0 }), "EmbedLayerNormalization 'n': attribute mask_index_type=0 is not supported (supported: 1)"],
      [contribModel('Attention', x, { num_heads: 2, do_rotary: 1 }), "Attention 'n': attribute do_rotary=1 is not supported (supported: 0)"],
      [contribModel('Attention', x, { num_heads: 2 }, ['out0', 'present', 'extra']), "Attention 'n': output 2 ('extra') is not produced (this implementation produces the first 2 outputs)"],
      [contribModel('MultiHeadAttention', qkv, { num_heads: 2 }, ['out0', 'present_key', 'present_value', 'qk']), "MultiHeadAttention 'n': output 3 ('qk') is not produced"],
      [contribModel('RotaryEmbedding', [{ name: 'x', shape: [1, 2, 4] }, { name: 'p', shape: [1] }, { name: 'c', shape: [4, 2] }, { name: 's', shape: [4, 2] }], { is_packed_batching: 1 }), "RotaryEmbedding 'n': attribute is_packed_batching=1 is not supported (supported: 0)"],
      [contribModel('RotaryEmbedding', [{ name: 'x', shape: [1, 2, 4] }, { name: 'p', shape: [1] }, { name: 'c', shape: [4, 2] }, { name: 's', shape: [4, 2] }], { scale: 0.5 }), "RotaryEmbedding 'n': attribute scale=0.5 is not supported (supported: 1)"],
      [contribModel('MatMulNBits', [{ name: 'a', shape: [1, 16] }, { name: 's', shape: [2, 1] }], { K: 16, N: 2, bits: 3, block_size: 16 }, ['out0'], packed, ['a', 'b', 's']), "MatMulNBits 'n': attribute bits=3 is not supported (supported: 2, 4, 8)"],
      [contribModel('MatMulNBits', [{ name: 'a', shape: [1, 16] }, { name: 's', shape: [2, 1] }], { K: 16, N: 2, block_size: 24 }, ['out0'], packed, ['a', 'b', 's']), "MatMulNBits 'n': attribute block_size=24 must be a power of 2, 16 or more"],
      [contribModel('MatMulNBits', [{ name: 'a', shape: [1, 16] }, { name: 's', shape: [2, 1] }], { N: 2, block_size: 16 }, ['out0'], packed, ['a', 'b', 's']), "MatMulNBits 'n': attribute K is missing"],
      [contribModel('SkipLayerNormalization', [{ name: 'x', shape: [1, 4] }, { name: 's', shape: [1, 4] }, { name: 'g', shape: [4] }], {}, ['y', 'm', 'i', 's', 'extra']), "SkipLayerNormalization 'n': output 4 ('extra') is not produced"],
      [contribModel('GroupQueryAttention', qkv, { num_heads: 2 }), "GroupQueryAttention 'n': attribute kv_num_heads is missing"],
      [contribModel('FusedConv', [{ name: 'x', shape: [1, 2, 5, 5] }, { name: 'w', shape: [3, 2, 3, 3] }], {}), "FusedConv 'n': attribute activation is missing"],
      [contribModel('GatherBlockQuantized', [{ name: 'i', shape: [2] }, { name: 's', shape: [2, 1] }], { bits: 3 }, ['out0'], packed, ['b', 'i', 's']), "GatherBlockQuantized 'n': attribute bits=3 is not supported (supported: 2, 4, 8)"],
      [contribModel('GatherBlockQuantized', [{ name: 'i', shape: [2] }, { name: 's', shape: [2, 1] }], { block_size: 24 }, ['out0'], packed, ['b', 'i', 's']), "GatherBlockQuantized 'n': attribute block_size=24 must be a power of 2, 16 or more"],
      [contribModel('FusedConv', [{ name: 'x', shape: [1, 2, 5, 5] }, { name: 'w', shape: [3, 2, 3, 3] }], { activation: 'Elu' }), "FusedConv 'n': activation 'Elu' is not supported (supported: Relu, Tanh, Sigmoid, LeakyRelu, Clip, HardSigmoid)"],
      [contribModel('FusedConv', [{ name: 'x', shape: [1, 2, 5, 5] }, { name: 'w', shape: [3, 2, 3, 3] }], { activation: 'Clip', activation_params: [0.5] }), "FusedConv 'n': activation Clip needs 2 activation_params, got 1"],
      [contribModel('FusedGemm', [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [3, 4] }], { activation: 'Gelu' }), "FusedGemm 'n': activation 'Gelu' is not supported"],
      [contribModel('FusedGemm', [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [3, 4] }], { activation: 'LeakyRelu' }), "FusedGemm 'n': activation LeakyRelu needs attribute activation_alpha"],
      [contribModel('FusedGemm', [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [3, 4] }], { activation: 'Relu', activation_alpha: 0.5 }), "FusedGemm 'n': activation Relu takes no attribute activation_alpha"],
      [contribModel('GroupQueryAttention', qkv, { num_heads: 3, kv_num_heads: 2 }), "GroupQueryAttention 'n': attribute num_heads=3 must be a multiple of kv_num_heads=2"],
      [contribModel('GroupQueryAttention', qkv, { num_heads: 2, kv_num_heads: 1, qk_output: 1 }), "GroupQueryAttention 'n': attribute qk_output=1 is not supported (supported: 0)"],
      [contribModel('GroupQueryAttention', qkv, { num_heads: 2, kv_num_heads: 1, mask_filter_value: -1.5 }), "GroupQueryAttention 'n': attribute 'mask_filter_value'"],
      [contribModel('GroupQueryAttention', qkv, { num_heads: 2, kv_num_heads: 1 }, ['y', 'pk', 'pv', 'qk']), "GroupQueryAttention 'n': output 3 ('qk') is not produced"],
      [contribModel('GroupQueryAttention', qkv, { num_heads: 2, kv_num_heads: 1, local_window_size: 0 }), "GroupQueryAttention 'n': attribute local_window_size=0 is not supported (supported: -1, none, or a positive window)"],
      [contribModel('GroupQueryAttention', qkv, { num_heads: 2, kv_num_heads: 1, softcap: -1.5 }), "GroupQueryAttention 'n': attribute softcap=-1.5 must be 0 (none) or positive"],
      [buildModel({ inputs: [{ name: 'x', shape: [2, 4] }, { name: 's', shape: [4] }], outputs: ['y'], nodes: [{ op: 'SimplifiedLayerNormalization', name: 'n', inputs: ['x', 's'], outputs: ['y'], attrs: { stash_type: 0 } }] }), "SimplifiedLayerNormalization 'n': attribute stash_type=0 is not supported (supported: 1)"],
    ];
    for (const [bytes, message] of refused) await expect(loadOnnx(bytes)).rejects.toThrow(message);
    const run = async (op: string, inputs: { name: string; shape: number[] }[], attrs: Record<string, Attr>, initializers: ModelSpec['initializers'] = [], names?: string[]) => {
      const m = await loadOnnx(contribModel(op, inputs, attrs, ['out0'], initializers, names));
      return () => m.forward(...inputs.map((i) => tl.ones(i.shape)));
    };
    const past = [{ name: 'p', dims: [2, 2, 3, 1, 2], values: new Array<number>(24).fill(0) }];
    const rowIds = { name: 'i', type: 'int64' as const, dims: [2], values: [0, 1] };
    const table = { name: 'b', type: 'uint8' as const, dims: [2, 8], values: new Array<number>(16).fill(0) };
    const scale = [{ name: 's', shape: [2, 1] }];
    expect(await run('GatherBlockQuantized', scale, { gather_axis: 1 }, [table, rowIds], ['b', 'i', 's'])).toThrow("GatherBlockQuantized 'n': gather_axis must be 0 for uint8 data, got 1");
    expect(await run('GatherBlockQuantized', [{ name: 'd', shape: [2, 8] }, ...scale], {}, [rowIds], ['d', 'i', 's'])).toThrow("GatherBlockQuantized 'n': data must be a uint8 initializer (int4 and uint4 tensors are not supported), got a computed tensor");
    expect(await run('GatherBlockQuantized', [{ name: 's', shape: [2, 2] }], { block_size: 16 }, [table, rowIds], ['b', 'i', 's'])).toThrow("GatherBlockQuantized 'n': scales of shape [2,2] must be [2,1] (data's [2,16] in blocks of 16 along quantize_axis 1)");
    expect(await run('Attention', x, { num_heads: 2 }, past, ['x', 'w', 'b', '', 'p'])).toThrow("Attention 'n': past of shape [2,2,3,1,2] must be [2, 2, 2, past_sequence, ");
    const pastLength = [{ name: 'pl', type: 'int32' as const, dims: [1], values: [1] }];
    expect(await run('Attention', x, { num_heads: 2 }, pastLength, ['x', 'w', 'b', '', '', '', 'pl'])).toThrow("Attention 'n': input past_sequence_length is not supported");
    expect(await run('Attention', x, { num_heads: 2 }, [{ name: 'm', type: 'int32', dims: [2, 1, 3, 3], values: new Array<number>(18).fill(1) }])).toThrow("Attention 'n': mask_index of shape [2,1,3,3] is not supported");
    expect(await run('Attention', x, { num_heads: 2, qkv_hidden_sizes: [4, 2, 6] })).toThrow("Attention 'n': qkv_hidden_sizes [4,2,6] must be three multiples of num_heads 2");
    expect(await run('MultiHeadAttention', qkv, { num_heads: 2, unidirectional: 1 })).toThrow("MultiHeadAttention 'n': unidirectional with 3 queries and 5 keys is not supported");
    expect(await run('MultiHeadAttention', [...qkv, { name: 'pk', shape: [2, 2, 1, 2] }], { num_heads: 2 }, [], ['q', 'k', 'v', '', '', '', 'pk'])).toThrow("MultiHeadAttention 'n': past_key and past_value must be given together");
    expect(await run('MultiHeadAttention', [{ name: 'q', shape: [2, 3, 2, 3, 2] }], { num_heads: 2 })).toThrow("MultiHeadAttention 'n': query of shape [2,3,2,3,2] is not supported");
    const gIdx = [...packed, { name: 'g', type: 'int32' as const, dims: [16], values: new Array<number>(16).fill(0) }];
    expect(await run('MatMulNBits', [{ name: 'a', shape: [1, 16] }, { name: 's', shape: [2, 1] }], { K: 16, N: 2, block_size: 16 }, gIdx, ['a', 'b', 's', '', 'g'])).toThrow("MatMulNBits 'n': input g_idx (deprecated) is not supported");
    const lengths = [{ name: 'sl', type: 'int32' as const, dims: [2], values: [2, 2] }, { name: 'tot', type: 'int32' as const, dims: [], values: [3] }];
    const gqaInputs = [{ name: 'q', shape: [2, 3, 8] }, { name: 'k', shape: [2, 3, 4] }, { name: 'v', shape: [2, 3, 4] }];
    expect(await run('GroupQueryAttention', [{ name: 'q', shape: [2, 3, 14] }], { num_heads: 2, kv_num_heads: 1 }, lengths, ['q', '', '', '', '', 'sl', 'tot']))
      .toThrow("GroupQueryAttention 'n': query of shape [2,3,14] must be [batch, sequence, (num_heads + 2 kv_num_heads) * head_size] with num_heads 2 and kv_num_heads 1");
    expect(await run('GroupQueryAttention', [...gqaInputs.slice(0, 2)], { num_heads: 2, kv_num_heads: 1 }, lengths, ['q', 'k', '', '', '', 'sl', 'tot']))
      .toThrow("GroupQueryAttention 'n': key and value must be given together");
    expect(await run('GroupQueryAttention', [...gqaInputs, { name: 'ab', shape: [2, 2, 3, 4] }], { num_heads: 2, kv_num_heads: 1 }, lengths, ['q', 'k', 'v', '', '', 'sl', 'tot', '', '', '', 'ab']))
      .toThrow("GroupQueryAttention 'n': attention_bias of shape [2,2,3,4] must be [2 or 1, 2 or 1, 3, 3]");
    expect(await run('GroupQueryAttention', [...gqaInputs, { name: 'hs', shape: [1] }], { num_heads: 2, kv_num_heads: 1 }, lengths, ['q', 'k', 'v', '', '', 'sl', 'tot', '', '', '', '', 'hs']))
      .toThrow("GroupQueryAttention 'n': head_sink of shape [1] must be [2] (one per head)");
    const ids = (values: number[]) => ({ name: 'pid', type: 'int64' as const, dims: [2, 3], values });
    expect(await run('GroupQueryAttention', gqaInputs, { num_heads: 2, kv_num_heads: 1 }, [...lengths, ids([0, 1, 2, 0, 1, 2])], ['q', 'k', 'v', '', '', 'sl', 'tot', '', '', 'pid']))
      .toThrow("GroupQueryAttention 'n': input position_ids is only read by rotary embeddings, and do_rotary is 0");
    const caches = [{ name: 'c', shape: [4, 2] }, { name: 's', shape: [4, 2] }];
    expect(await run('GroupQueryAttention', [...gqaInputs, ...caches], { num_heads: 2, kv_num_heads: 1, do_rotary: 1 }, [...lengths, ids([1, 2, 3, 0, 1, 2])], ['q', 'k', 'v', '', '', 'sl', 'tot', 'c', 's', 'pid']))
      .toThrow("GroupQueryAttention 'n': position_ids other than 0, 1, ... in a first prompt are not supported");
    expect(await run('GroupQueryAttention', gqaInputs, { num_heads: 2, kv_num_heads: 1 }, [{ ...lengths[0]!, values: [4, 2] }, { ...lengths[1]!, values: [4] }], ['q', 'k', 'v', '', '', 'sl', 'tot']))
      .toThrow("GroupQueryAttention 'n': seqlens_k 4 of batch entry 0 does not fit 3 new tokens after a past of 0 in a total of 4");
    expect(await run('RotaryEmbedding', [{ name: 'x', shape: [1, 2, 8] }, { name: 'c', shape: [4, 3] }, { name: 's', shape: [4, 3] }], { num_heads: 2 }, [{ name: 'p', type: 'int64', dims: [1], values: [0] }], ['x', 'p', 'c', 's']))
      .toThrow("RotaryEmbedding 'n': a rotary dim of 6 (cos_cache [4,3]) does not fit heads of size 4");
  });

  it('more com.microsoft operators train: DecoderMaskedMultiHeadAttention, MaxpoolWithMask, CropAndResize, UnfoldTensor, ConvTransposeWithDynamicPads and WordConvEmbedding match finite differences', async () => {
    const int32 = (name: string, values: number[], dims = [values.length]) => ({ name, type: 'int32' as const, dims, values });
    const cases: [string, number[][], Record<string, Attr>, ModelSpec['initializers'], string[] | undefined, number?][] = [
      // A decoding step after 2 of 4 buffer positions: the gradient reaches the cache, and present's untouched positions pass it through.
      ['DecoderMaskedMultiHeadAttention', [[2, 1, 4], [2, 1, 4], [2, 1, 4], [2, 2, 4, 2], [2, 2, 4, 2], [12]], { num_heads: 2, past_present_share_buffer: 1 }, [int32('m', [1, 0, 1, 1, 1, 1], [2, 3]), int32('l', [2], [])], ['x0', 'x1', 'x2', 'm', '', 'x3', 'x4', 'l', '', '', 'x5'], 3],
      ['DecoderMaskedMultiHeadAttention', [[2, 1, 4], [2, 2, 3, 2], [2, 2, 3, 2]], { num_heads: 2, scale: 0.8 }, [], undefined],
      ['MaxpoolWithMask', [[1, 2, 5, 4]], { kernel_shape: [2, 2], strides: [1, 2], pads: [1, 0, 0, 0] }, [int32('m', [1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1], [1, 1, 5, 4])], undefined],
      ['CropAndResize', [[2, 2, 4, 5]], { extrapolation_value: 0.5 }, [{ name: 'r', dims: [2, 4], values: [0.1, 0.2, 0.8, 0.7, -0.1, 0.3, 0.6, 1.2] }, int32('b', [1, 0]), int32('c', [3, 4])], undefined],
      ['UnfoldTensor', [[2, 7]], { dim: 1, size: 3, step: 2 }, [], undefined],
      ['ConvTransposeWithDynamicPads', [[1, 2, 3, 3], [2, 2, 2, 2], [2]], { strides: [2, 2] }, [{ name: 'p', type: 'int64', dims: [4], values: [1, 0, 0, 1] }], ['x0', 'x1', 'p', 'x2']],
      ['WordConvEmbedding', [[3, 1, 2, 3], [3], [5, 3]], {}, [int32('s', [2, 1, 4, 0, 3, 3, 0, 0, 1, 0, 0, 0], [3, 4])], ['s', 'x0', 'x1', 'x2']],
    ];
    for (const [op, shapes, attrs, initializers, names, outputs] of cases) {
      const outs = Array.from({ length: outputs ?? 1 }, (_, i) => `out${i}`);
      const m = await loadOnnx(contribModel(op, shapes.map((shape, i) => ({ name: `x${i}`, shape })), attrs, outs, initializers, names));
      const values = shapes.map((shape, i) => tl.tensor(random(shape.reduce((a, b) => a * b, 1), 70 + i, [-0.8, 0.8])).reshape(shape).requiresGrad_());
      expect(tl.autograd.gradcheck((...xs) => m.forward(...xs) as tl.Tensor | tl.Tensor[], values), `${op} ${JSON.stringify(attrs)}`).toBe(true);
      m.dispose();
    }
  });

  it('MurmurHash3 with positive 1 (onnxruntime\'s uint32 hashes, as int32 of the same bits) and of strings', async () => {
    for (const [type, keys] of [['int32', [0, 1, -2, 3, 2147483647, -2147483648]], ['uint32', [0, 1, 4294967295, 3, 2147483648, 77]]] as const) {
      const bytes = buildModel({ inputs: [], outputs: ['h'], outputTypes: { h: 'uint32' }, initializers: [{ name: 'k', type, dims: [6], values: [...keys] }], nodes: [{ op: 'MurmurHash3', domain: MS, inputs: ['k'], outputs: ['h'], attrs: { seed: 3 } }] });
      const want = (await (await ort.InferenceSession.create(bytes)).run({})).h!.data as Uint32Array;
      const got = (await loadOnnx(bytes)).forward() as tl.Tensor;
      expect(Array.from(got.dataSync() as ArrayLike<number>, (v) => v >>> 0), type).toEqual(Array.from(want));
    }
    // String keys hash their UTF-8 bytes (every tail length, and a multi-byte character).
    for (const positive of [0, 1]) {
      const keys = ['', 'a', 'ab', 'abc', 'abcd', 'hello world', 'naïve café'];
      const bytes = buildModel({ inputs: [], outputs: ['h'], outputTypes: { h: positive ? 'uint32' : 'int32' }, initializers: [{ name: 'k', dims: [7], values: [], strings: keys }], nodes: [{ op: 'MurmurHash3', domain: MS, inputs: ['k'], outputs: ['h'], attrs: { seed: 11, positive } }] });
      const want = (await (await ort.InferenceSession.create(bytes)).run({})).h!.data as Int32Array | Uint32Array;
      const got = (await loadOnnx(bytes)).forward() as tl.Tensor;
      expect(Array.from(got.dataSync() as ArrayLike<number>, (v) => (positive ? v >>> 0 : v)), `strings, positive ${positive}`).toEqual(Array.from(want));
    }
  });

  it('more com.microsoft operators refuse what they do not compute, naming it (where onnxruntime\'s CPU kernel fails or differs from its doc)', async () => {
    const zeros = (shape: number[]) => tl.zeros(shape);
    const dmmha = async (shapes: number[][], attrs: Record<string, Attr>, initializers: ModelSpec['initializers'], names: string[], outputs = ['out0']) => {
      const m = await loadOnnx(contribModel('DecoderMaskedMultiHeadAttention', shapes.map((shape, i) => ({ name: `x${i}`, shape })), attrs, outputs, initializers, names));
      return () => m.forward(...shapes.map(zeros));
    };
    const length = (p: number) => [{ name: 'l', type: 'int32' as const, dims: [], values: [p] }];
    const step = [[2, 1, 8], [2, 1, 8], [2, 1, 8], [2, 2, 4, 4], [2, 2, 4, 4]];
    const shared = { num_heads: 2, past_present_share_buffer: 1 };
    expect(await dmmha(step, shared, length(0), ['x0', 'x1', 'x2', '', '', 'x3', 'x4', 'l'])).toThrow("DecoderMaskedMultiHeadAttention 'n': past_sequence_length 0 is not supported (onnxruntime's CPU kernel then reads all 4 buffer positions as the past)");
    expect(await dmmha(step, { num_heads: 2 }, length(1), ['x0', 'x1', 'x2', '', '', 'x3', 'x4', 'l'])).toThrow("DecoderMaskedMultiHeadAttention 'n': past_key and past_value need past_present_share_buffer=1");
    expect(await dmmha([[2, 1, 24], ...step.slice(3)], shared, length(1), ['x0', '', '', '', '', 'x1', 'x2', 'l'])).toThrow("DecoderMaskedMultiHeadAttention 'n': key and value are needed with past_key (packed QKV is not supported, nor by onnxruntime's CPU kernel)");
    expect(await dmmha(step, shared, [...length(1), { name: 'w', type: 'int32', dims: [1], values: [2] }], ['x0', 'x1', 'x2', '', '', 'x3', 'x4', 'l', 'w'])).toThrow("DecoderMaskedMultiHeadAttention 'n': beam_width above 1 (with cache_indirection) is not supported (onnxruntime's CPU kernel ignores cache_indirection)");
    expect(await dmmha(step, shared, [...length(1), { name: 'm', type: 'int32', dims: [2], values: [2, 2] }], ['x0', 'x1', 'x2', 'm', '', 'x3', 'x4', 'l'])).toThrow("DecoderMaskedMultiHeadAttention 'n': mask_index of shape [2] must be [2, 2]");
    expect(await dmmha([[2, 1, 8], [2, 2, 3, 4], [2, 2, 3, 4], [2, 2, 1, 3]], { num_heads: 2 }, [], ['x0', 'x1', 'x2', '', 'x3'])).toThrow("DecoderMaskedMultiHeadAttention 'n': attention_bias with cross attention is not supported (nor by onnxruntime's CPU kernel)");
    expect(await dmmha([[2, 1, 8], [2, 1, 8], [2, 1, 8]], { num_heads: 2 }, [], ['x0', 'x1', 'x2'])).toThrow("DecoderMaskedMultiHeadAttention 'n': without past_key, key [2,1,8] and value [2,1,8] must both be [2, 2, kv_sequence, 4]");
    const refused: [Uint8Array, string][] = [
      [contribModel('DecoderMaskedMultiHeadAttention', [{ name: 'q', shape: [1, 1, 4] }], { num_heads: 2, output_qk: 2 }), "DecoderMaskedMultiHeadAttention 'n': attribute output_qk=2 is not supported (supported: 0, 1)"],
      [contribModel('MaxpoolWithMask', [{ name: 'x', shape: [1, 1, 4, 4] }, { name: 'm', shape: [1, 1, 4, 4] }], { kernel_shape: [2, 2], storage_order: 1 }), "MaxpoolWithMask 'n': attribute storage_order=1 is not supported (supported: 0)"],
      [contribModel('MaxpoolWithMask', [{ name: 'x', shape: [1, 1, 4, 4] }, { name: 'm', shape: [1, 1, 4, 4] }], { kernel_shape: [2, 2], auto_pad: 'SAME_UPPER' }), "MaxpoolWithMask 'n': attribute auto_pad=\"SAME_UPPER\" is not supported"],
      [contribModel('CropAndResize', [{ name: 'x', shape: [1, 1, 4, 4] }], { mode: 'cubic' }), "CropAndResize 'n': attribute mode=\"cubic\" is not supported"],
      [contribModel('UnfoldTensor', [{ name: 'x', shape: [4] }], {}), "UnfoldTensor 'n': attribute size is missing"],
      [contribModel('ConvTransposeWithDynamicPads', [{ name: 'x', shape: [1, 1, 3, 3] }, { name: 'w', shape: [1, 1, 2, 2] }], { pads: [0, 0, 0, 0] }), "ConvTransposeWithDynamicPads 'n': attribute 'pads'"],
    ];
    for (const [bytes, message] of refused) await expect(loadOnnx(bytes)).rejects.toThrow(message);
    const conv = await loadOnnx(contribModel('ConvTransposeWithDynamicPads', [{ name: 'x', shape: [1, 1, 3, 3] }, { name: 'w', shape: [1, 1, 2, 2] }], {}));
    expect(() => conv.forward(zeros([1, 1, 3, 3]), zeros([1, 1, 2, 2]))).toThrow("ConvTransposeWithDynamicPads 'n': input Pads is missing (onnxruntime's CPU kernel needs it too)");
    const wide = await loadOnnx(contribModel('MatMulInteger16', [], {}, ['out0'], [{ name: 'a', type: 'uint16', dims: [1, 2], values: [1, 2] }, { name: 'b', type: 'int16', dims: [2, 1], values: [3, 4] }]));
    expect(() => wide.forward()).toThrow("MatMulInteger16 'n': A must be int16 (onnxruntime's CPU kernel takes int16 A and B only), got uint16");
    const pool = await loadOnnx(contribModel('NhwcMaxPool', [{ name: 'x', shape: [1, 4, 4, 2] }], { kernel_shape: [2, 2] }));
    expect(() => pool.forward(zeros([1, 4, 4, 2]))).toThrow("NhwcMaxPool 'n': x must be uint8 or int8");
  });

  it('the newer operators refuse what they do not compute, naming it', async () => {
    const x = [{ name: 'x', shape: [1, 1, 4, 4] }];
    const refused: [Uint8Array, string][] = [
      [model('RandomNormal', [], { shape: [2], dtype: 7 }), "RandomNormal 'n': attribute dtype=7 is not supported (supported: 1)"],
      [model('RandomUniform', [], {}), "RandomUniform 'n': attribute shape is missing"],
      [model('Bernoulli', [{ name: 'p', shape: [3] }], { dtype: 9 }), "Bernoulli 'n': attribute dtype=9 is not supported"],
      [model('HannWindow', [], { output_datatype: 7 }, 17, ['out0'], [{ name: 's', type: 'int64', dims: [], values: [4] }]), "HannWindow 'n': attribute output_datatype=7 is not supported (supported: 1)"],
      [model('LpPool', x, { kernel_shape: [2, 2], ceil_mode: 1 }, 18), "LpPool 'n': attribute ceil_mode=1 is not supported"],
      [model('LpNormalization', x, { p: 3 }), "LpNormalization 'n': attribute p=3 is not supported (supported: 1, 2)"],
      [model('Upsample', x, { mode: 'cubic', scales: [1, 1, 2, 2.5] }, 7), 'Upsample \'n\': attribute mode="cubic" is not supported'],
      [model('Upsample', x, { scales: [1, 1, 2, 2.5] }, 9, ['out0'], [{ name: 's', dims: [4], values: [1, 1, 2, 2] }]), "Upsample 'n': attribute 'scales' is not part of Upsample at opset 9 (scales is an input)"],
      [model('Upsample', x, {}, 7), "Upsample 'n': attribute scales is missing"],
      [model('EyeLike', [{ name: 'x', shape: [2, 2] }], { dtype: 8 }), "EyeLike 'n': attribute dtype=8 is not supported"],
      [model('SoftmaxCrossEntropyLoss', x, { reduction: 'avg' }), 'SoftmaxCrossEntropyLoss \'n\': attribute reduction="avg" is not supported'],
      [model('Affine', x, { alpha: 2 }, 10), "Affine 'n': is an experimental operator of opsets 1 to 9, removed at opset 10 (this file is opset 10)"],
      [model('ScaledTanh', x, { alpha: 2 }, 9), "ScaledTanh 'n': attribute beta is missing"],
      [model('ImageScaler', x, { scale: 2 }, 9), "ImageScaler 'n': attribute bias is missing"],
      [model('Crop', x, { border: [1, 1] }, 9), "Crop 'n': attribute border must have four values (left, top, right, bottom)"],
      [model('MeanVarianceNormalization', x, { across_channels: 1 }, 9), "MeanVarianceNormalization 'n': attribute across_channels is not in opset 9's MeanVarianceNormalization"],
      [model('MeanVarianceNormalization', x, { axes: [2, 3] }, 8), "MeanVarianceNormalization 'n': attribute axes is not in opset 8's MeanVarianceNormalization"],
    ];
    for (const [bytes, message] of refused) await expect(loadOnnx(bytes)).rejects.toThrow(message);
    const shrinking = await loadOnnx(model('Upsample', x, { scales: [1, 1, 0.5, 2.5] }, 7));
    expect(() => shrinking.forward(tl.zeros([1, 1, 4, 4]))).toThrow("Upsample 'n': scales [1,1,0.5,2.5] must hold one value >= 1 per dim of X [1,1,4,4]");
    const crop = await loadOnnx(model('Crop', x, { border: [1, 1, 1, 1], scale: [4, 2] }, 9));
    expect(() => crop.forward(tl.zeros([1, 1, 4, 4]))).toThrow("Crop 'n': border [1,1,1,1] and scale [4,2] do not fit an NCHW input of shape [1,1,4,4]");
    const scaler = await loadOnnx(model('ImageScaler', x, { scale: 2, bias: [1, 2] }, 9));
    expect(() => scaler.forward(tl.zeros([1, 1, 4, 4]))).toThrow("ImageScaler 'n': input of shape [1,1,4,4] must be NCHW with 2 channels (one per bias)");
    const compress = await loadOnnx(model('Compress', [{ name: 'x', shape: [3] }, { name: 'c', shape: [5] }], {}));
    expect(() => compress.forward(tl.zeros([3]), tl.tensor([0, 1, 0, 1, 0]))).toThrow("Compress 'n': condition selects index 3 of an axis of 3");
  });

  it('PRelu refuses a slope X would have to broadcast to', async () => {
    const m = await loadOnnx(model('PRelu', [{ name: 'x', shape: [3] }, { name: 's', shape: [2, 3] }], {}));
    expect(() => m.forward(tl.tensor([1, -2, 3]), tl.ones([2, 3]))).toThrow("PRelu 'n': slope of shape [2,3] does not broadcast to X's shape [3]");
  });

  it('BitShift gives onnxruntime\'s uint8, uint32 and uint64 results (uint8 wrapping as there) from integers', async () => {
    const x = [0, 1, 5, 31, 12, 7, 200, 255];
    const y = [0, 3, 2, 1, 4, 5, 1, 7];
    // X and Y through a Cast to `type` (none: int64 as they are), the result back to int64.
    const shift = (direction: string, type?: number, feeds = false) => buildModel({
      inputs: feeds ? [{ name: 'x', shape: [8] }, { name: 'y', shape: [8] }] : [], outputs: ['out'], outputTypes: { out: 'int64' }, opset: 18,
      initializers: feeds ? [] : [{ name: 'x', type: 'int64', dims: [8], values: x }, { name: 'y', type: 'int64', dims: [8], values: y }],
      nodes: [
        ...(type === undefined ? [] : ['x', 'y'].map((v) => ({ op: 'Cast', inputs: [v], outputs: [`${v}t`], attrs: { to: type } }))),
        { op: 'BitShift', inputs: type === undefined ? ['x', 'y'] : ['xt', 'yt'], outputs: ['s'], attrs: { direction } },
        { op: 'Cast', inputs: ['s'], outputs: ['out'], attrs: { to: 7 } },
      ],
    });
    const feeds = { x: new ort.Tensor('float32', Float32Array.from(x), [8]), y: new ort.Tensor('float32', Float32Array.from(y), [8]) };
    const ortRun = async (bytes: Uint8Array, withFeeds = false) => Array.from((await (await ort.InferenceSession.create(bytes)).run(withFeeds ? feeds : {})).out!.data as BigInt64Array, Number);
    const ours = async (bytes: Uint8Array, ...inputs: tl.Tensor[]) => Array.from(((await loadOnnx(bytes)).forward(...inputs) as tl.Tensor).dataSync() as Int32Array);
    for (const direction of ['LEFT', 'RIGHT']) {
      expect(await ours(shift(direction, 2)), direction).toEqual(await ortRun(shift(direction, 2)));
      for (const type of [12, 13]) expect(await ours(shift(direction)), `${direction}, type ${type}`).toEqual(await ortRun(shift(direction, type)));
      // Tensors shift as int32: the results that fit uint8 here.
      const fit = (v: number[]) => v.slice(0, 6);
      expect(fit(await ours(shift(direction, 2, true), tl.tensor(x), tl.tensor(y))), `${direction}, tensors`).toEqual(fit(await ortRun(shift(direction, 2, true), true)));
    }
  });

  it('Multinomial draws softmax(input)\'s categories with replacement, [batch, sample_size]; a seed makes it reproducible', async () => {
    const probs = [[0.1, 0.6, 0.3], [1 / 3, 1 / 3, 1 / 3], [0, 0.25, 0.75]];
    const x = tl.tensor(probs.flat().map((p) => (p === 0 ? -Infinity : Math.log(p)))).reshape([3, 3]);
    const draw = async (attrs: Record<string, Attr>) => (await loadOnnx(model('Multinomial', [{ name: 'x', shape: [3, 3] }], attrs, 17))).forward(x) as tl.Tensor;
    const out = await draw({ sample_size: 4000, dtype: 7 });
    expect(out.shape).toEqual([3, 4000]);
    const v = Array.from(out.dataSync() as Int32Array);
    probs.forEach((row, r) => row.forEach((p, k) => {
      const share = v.slice(r * 4000, (r + 1) * 4000).filter((c) => c === k).length / 4000;
      expect(Math.abs(share - p), `row ${r}, category ${k}`).toBeLessThan(0.03);
    }));
    expect((await draw({})).shape).toEqual([3, 1]);
    const seeded = async () => {
      const m = await loadOnnx(model('Multinomial', [{ name: 'x', shape: [3, 3] }], { sample_size: 50, seed: 2.5 }, 17));
      return [0, 1].map(() => Array.from((m.forward(x) as tl.Tensor).dataSync() as Int32Array).join());
    };
    const [first, second] = await seeded();
    expect(await seeded()).toEqual([first, second]);
    expect(second).not.toEqual(first);
  });

  it('the opset 18, detection and spectral operators refuse what they do not compute, naming it', async () => {
    const x = [{ name: 'x', shape: [1, 4, 3] }];
    const boxes = [{ name: 'b', shape: [1, 2, 4] }, { name: 's', shape: [1, 1, 2] }];
    const rois = [{ name: 'r', type: 'float' as const, dims: [1, 4], values: [0, 0, 2, 2] }, { name: 'i', type: 'int64' as const, dims: [1], values: [0] }];
    const refused: [Uint8Array, string][] = [
      [model('GroupNormalization', [...x, { name: 's', shape: [2] }, { name: 'b', shape: [2] }], {}, 18), "GroupNormalization 'n': attribute num_groups is missing"],
      [model('BitShift', [{ name: 'a', shape: [2] }, { name: 'b', shape: [2] }], {}), "BitShift 'n': attribute direction is missing"],
      [model('BitShift', [{ name: 'a', shape: [2] }, { name: 'b', shape: [2] }], { direction: 'UP' }), 'BitShift \'n\': attribute direction="UP" is not supported (supported: "LEFT", "RIGHT")'],
      [model('NonMaxSuppression', boxes, { center_point_box: 2 }), "NonMaxSuppression 'n': attribute center_point_box=2 is not supported (supported: 0, 1)"],
      [model('RoiAlign', [{ name: 'x', shape: [1, 1, 4, 4] }], { mode: 'median' }, 16, ['out0'], rois), 'RoiAlign \'n\': attribute mode="median" is not supported'],
      [model('RoiAlign', [{ name: 'x', shape: [1, 1, 4, 4] }], { coordinate_transformation_mode: 'half_pixel' }, 10, ['out0'], rois), "RoiAlign 'n': attribute 'coordinate_transformation_mode' is not part of RoiAlign at opset 10"],
      [model('MaxRoiPool', [{ name: 'x', shape: [1, 1, 4, 4] }, { name: 'r', shape: [1, 5] }], {}), "MaxRoiPool 'n': attribute pooled_shape must hold 2 values [height, width]"],
      [model('Multinomial', [{ name: 'x', shape: [2, 3] }], { dtype: 1 }), "Multinomial 'n': attribute dtype=1 is not supported (supported: 6, 7)"],
      [model('MelWeightMatrix', [], { output_datatype: 7 }), "MelWeightMatrix 'n': attribute output_datatype=7 is not supported (supported: 1)"],
    ];
    for (const [bytes, message] of refused) await expect(loadOnnx(bytes)).rejects.toThrow(message);
    const run = async (op: string, inputs: { name: string; shape: number[] }[], attrs: Record<string, Attr>, opset = 17, initializers: ModelSpec['initializers'] = []) => {
      const m = await loadOnnx(model(op, inputs, attrs, opset, ['out0'], initializers));
      return () => m.forward(...inputs.map((i) => tl.ones(i.shape)));
    };
    expect(await run('GroupNormalization', [...x, { name: 's', shape: [4] }, { name: 'b', shape: [4] }], { num_groups: 2 }, 18)).toThrow("GroupNormalization 'n': scale of shape [4] must be [num_groups] ([2]), opset 18's form (per group before opset 21)");
    expect(await run('GroupNormalization', [...x, { name: 's', shape: [2] }, { name: 'b', shape: [2] }], { num_groups: 2 }, 21)).toThrow("GroupNormalization 'n': scale of shape [2] must be [C] ([4]), opset 21's form (per channel from opset 21)");
    expect(await run('DFT', [{ name: 'x', shape: [1, 8, 2] }], { onesided: 1 })).toThrow("DFT 'n': onesided=1 needs a real input ([..., 1]), got [1,8,2]");
    expect(await run('DFT', [{ name: 'x', shape: [1, 8, 1] }], { axis: 2 })).toThrow("DFT 'n': axis 2 is the real/imaginary dim of input [1,8,1]");
    expect(await run('STFT', [{ name: 'x', shape: [1, 16, 2] }], {}, 17, [{ name: 'f', type: 'int64', dims: [], values: [4] }, { name: 'w', dims: [4], values: [1, 1, 1, 1] }])).toThrow("STFT 'n': onesided=1 needs a real signal");
    const image = [{ name: 'i', type: 'int64' as const, dims: [3], values: [3, 3, 2] }, { name: 'k', type: 'int64' as const, dims: [3], values: [2, 2, 2] }];
    expect(await run('Col2Im', [{ name: 'x', shape: [1, 8, 4] }], {}, 18, image)).toThrow("Col2Im 'n': 3-D images are not supported (2-D are)");
    expect(await run('BitwiseAnd', [{ name: 'a', shape: [3] }, { name: 'b', shape: [3] }], {}, 18)).toThrow("BitwiseAnd 'n': input A is float32; bitwise operators take integers");
    const ints = (values: number[]) => [{ name: 'a', type: 'int64' as const, dims: [1], values: [values[0]!] }, { name: 'b', type: 'int64' as const, dims: [1], values: [values[1]!] }];
    expect(await run('BitShift', [], { direction: 'LEFT' }, 17, ints([-4, 1]))).toThrow("BitShift 'n': X holds -4; BitShift shifts unsigned values");
    expect(await run('BitShift', [], { direction: 'RIGHT' }, 17, ints([4, 64]))).toThrow("BitShift 'n': a shift of 64 is outside [0, 63]");
    const tensorShift = await loadOnnx(buildModel({
      inputs: [{ name: 'a', type: 'int64', shape: [2] }], outputs: ['out0'], outputTypes: { out0: 'int64' }, initializers: [{ name: 'b', type: 'int64', dims: [2], values: [1, 32] }],
      nodes: [{ op: 'BitShift', name: 'n', inputs: ['a', 'b'], outputs: ['out0'], attrs: { direction: 'LEFT' } }],
    }));
    expect(() => tensorShift.forward(tl.tensor([1, 2], { dtype: 'int32' }))).toThrow("BitShift 'n': a shift of 32 is outside [0, 31] for int32 tensors");
  });

  it('DFT, STFT, RoiAlign, MaxRoiPool, GroupNormalization and Col2Im train: their gradients match finite differences', async () => {
    const int64 = (name: string, values: number[], dims = [values.length]) => ({ name, type: 'int64' as const, dims, values });
    const rois = { name: 'r', dims: [2, 4], values: [0.3, 0.6, 3.2, 4.1, 1.5, 0.2, 2.5, 3.7] };
    const cases: [string, number[][], Record<string, Attr>, number, ModelSpec['initializers']][] = [
      ['DFT', [[2, 6, 2]], { inverse: 1 }, 17, []],
      ['DFT', [[2, 5, 1]], { onesided: 1 }, 17, [int64('l', [8], [])]],
      ['STFT', [[1, 12, 1]], {}, 17, [int64('f', [3], []), { name: 'w', dims: [4], values: [0.2, 1, 0.7, 0.4] }]],
      ['RoiAlign', [[1, 2, 5, 5]], { output_height: 2, output_width: 3, sampling_ratio: 2 }, 16, [rois, int64('i', [0, 0])]],
      ['RoiAlign', [[1, 2, 5, 5]], { mode: 'max', output_height: 2, output_width: 2 }, 16, [rois, int64('i', [0, 0])]],
      ['MaxRoiPool', [[1, 2, 5, 5]], { pooled_shape: [2, 2] }, 17, [{ name: 'r', dims: [1, 5], values: [0, 0, 1, 3, 4] }]],
      ['GroupNormalization', [[2, 4, 3], [2], [2]], { num_groups: 2 }, 18, []],
      ['Col2Im', [[1, 8, 4]], { strides: [1, 2] }, 18, [int64('s', [3, 4]), int64('k', [2, 2])]],
    ];
    for (const [op, shapes, attrs, opset, initializers] of cases) {
      const m = await loadOnnx(model(op, shapes.map((shape, i) => ({ name: `x${i}`, shape })), attrs, opset, ['out0'], initializers));
      const values = shapes.map((shape, i) => tl.tensor(random(shape.reduce((a, b) => a * b, 1), 80 + i, [-0.8, 0.8])).reshape(shape).requiresGrad_());
      expect(tl.autograd.gradcheck((...xs) => m.forward(...xs) as tl.Tensor, values), `${op} ${JSON.stringify(attrs)}`).toBe(true);
      m.dispose();
    }
  });

  it('Attention, TensorScatter and RotaryEmbedding of opsets 23 to 25 refuse what they do not compute, naming it', async () => {
    // One Attention node on graph inputs x0, x1, ... and initializers named after them.
    const attentionModel = (shapes: number[][], attrs: Record<string, Attr>, opset: number, outputs = 1, initializers: ModelSpec['initializers'] = [], names?: string[]) => {
      const outs = Array.from({ length: outputs }, (_, i) => `out${i}`);
      return buildModel({ inputs: shapes.map((shape, i) => ({ name: `x${i}`, shape })), outputs: outs, initializers, opset, nodes: [{ op: 'Attention', name: 'n', inputs: names ?? shapes.map((_, i) => `x${i}`), outputs: outs, attrs }] });
    };
    const qkv = [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]];
    const refused: [Uint8Array, string][] = [
      [attentionModel(qkv, { softmax_precision: 10 }, 23), "Attention 'n': attribute softmax_precision=10 is not supported (supported: 1, 11)"],
      [attentionModel(qkv, { left_window_size: 2 }, 24), "Attention 'n': attribute left_window_size is not part of Attention at opset 24 (it came in opset 25)"],
      [attentionModel(qkv, { qk_matmul_output_mode: 4 }, 23, 4), "Attention 'n': attribute qk_matmul_output_mode=4 is not supported"],
      [attentionModel(qkv, { q_num_heads: 3, kv_num_heads: 2 }, 23), "Attention 'n': attribute q_num_heads=3 must be a multiple of kv_num_heads=2"],
      [attentionModel(qkv, { scale: -1 }, 23), "Attention 'n': attribute scale=-1 must be positive"],
    ];
    for (const [bytes, message] of refused) await expect(loadOnnx(bytes)).rejects.toThrow(message);
    const zeros = (shape: number[]) => tl.zeros(shape);
    const threeD = await loadOnnx(attentionModel([[1, 3, 8], [1, 3, 8], [1, 3, 8]], {}, 23));
    expect(() => threeD.forward(zeros([1, 3, 8]), zeros([1, 3, 8]), zeros([1, 3, 8]))).toThrow("Attention 'n': 3-D Q, K and V need attributes q_num_heads and kv_num_heads");
    const nonpad = [{ name: 'l', type: 'int64' as const, dims: [1], values: [2] }];
    const early = await loadOnnx(attentionModel(qkv, {}, 23, 1, nonpad, ['x0', 'x1', 'x2', '', '', '', 'l']));
    expect(() => early.forward(...qkv.map(zeros))).toThrow("Attention 'n': input nonpad_kv_seqlen is not part of Attention at opset 23 (it came in opset 24)");
    const scatter = (attrs: Record<string, Attr>, w: number[]) => loadOnnx(buildModel({
      opset: 24, inputs: [{ name: 'c', shape: [2, 4, 3] }, { name: 'u', shape: [2, 2, 3] }], initializers: [{ name: 'w', type: 'int64', dims: [2], values: w }], outputs: ['y'],
      nodes: [{ op: 'TensorScatter', name: 'n', inputs: ['c', 'u', 'w'], outputs: ['y'], attrs }],
    }));
    await expect(scatter({ mode: 'ring' }, [0, 0])).rejects.toThrow("TensorScatter 'n': attribute mode=\"ring\" is not supported (supported: \"linear\", \"circular\")");
    const overflow = await scatter({ axis: 1 }, [3, 0]);
    expect(() => overflow.forward(zeros([2, 4, 3]), zeros([2, 2, 3]))).toThrow("TensorScatter 'n': write index 3 of batch entry 0 with 2 updates does not fit 4 cache entries (linear mode)");
    const batchAxis = await scatter({ axis: 0 }, [0, 0]);
    expect(() => batchAxis.forward(zeros([2, 4, 3]), zeros([2, 2, 3]))).toThrow("TensorScatter 'n': axis 0 is the batch dim");
    const rotary = await loadOnnx(buildModel({
      opset: 23, inputs: [{ name: 'x', shape: [1, 3, 8] }, { name: 'c', shape: [1, 3, 2] }, { name: 's', shape: [1, 3, 2] }], outputs: ['y'],
      nodes: [{ op: 'RotaryEmbedding', name: 'n', inputs: ['x', 'c', 's'], outputs: ['y'] }],
    }));
    expect(() => rotary.forward(zeros([1, 3, 8]), zeros([1, 3, 2]), zeros([1, 3, 2]))).toThrow("RotaryEmbedding 'n': a 3-D X needs attribute num_heads");
    // BitCast (26) is refused: tensors here are float32, int32 or bool whatever the file's element type (int64 and uint32 run as int32), so the bits to reinterpret are not known.
    await expect(loadOnnx(model('BitCast', [{ name: 'x', shape: [2] }], { to: 6 }, 26))).rejects.toThrow("BitCast 'n': operator BitCast is not supported");
  });
});
