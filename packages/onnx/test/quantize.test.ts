// Quantization operators against onnxruntime-node, in the chains its quantizer writes:
// QuantizeLinear/DequantizeLinear (per tensor and per axis), DynamicQuantizeLinear feeding
// MatMulInteger and ConvInteger, and the QLinear products with their requantized outputs.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { loadOnnx } from '../src/index.js';
import { buildModel, type InitializerType, type ModelSpec } from './build-model.js';
import { matchesOnnxruntime } from './onnxruntime.js';

const init = (name: string, type: InitializerType, dims: number[], values: number[]) => ({ name, type, dims, values });
/** n integers spread over [lo, hi], the same on every run. */
const spread = (n: number, lo: number, hi: number) => Array.from({ length: n }, (_, i) => lo + ((i * 37 + 11) % (hi - lo + 1)));

describe('quantization matches onnxruntime', () => {
  it('QuantizeLinear and DequantizeLinear: uint8 without a zero point, int8 from it, per-axis scales', async () => {
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [2, 3, 4] }], opset: 13,
      outputs: ['q', 'dq', 'q8', 'dq8', 'qa', 'dqa'], outputTypes: { q: 'uint8', q8: 'int8', qa: 'int8' },
      initializers: [init('s', 'float', [], [0.02]), init('s8', 'float', [], [0.013]), init('z8', 'int8', [], [-3]), init('sa', 'float', [3], [0.01, 0.02, 0.05]), init('za', 'int8', [3], [0, 4, -7])],
      nodes: [
        { op: 'QuantizeLinear', inputs: ['x', 's'], outputs: ['q'] },
        { op: 'DequantizeLinear', inputs: ['q', 's'], outputs: ['dq'] },
        { op: 'QuantizeLinear', inputs: ['x', 's8', 'z8'], outputs: ['q8'] },
        { op: 'DequantizeLinear', inputs: ['q8', 's8', 'z8'], outputs: ['dq8'] },
        { op: 'QuantizeLinear', inputs: ['x', 'sa', 'za'], outputs: ['qa'], attrs: { axis: 1 } },
        { op: 'DequantizeLinear', inputs: ['qa', 'sa', 'za'], outputs: ['dqa'], attrs: { axis: -2 } },
      ],
    }, [[2, 3, 4]]);
  });

  it('DynamicQuantizeLinear into MatMulInteger with int8 weights and per-column zero points, rescaled as the quantizer writes it', async () => {
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [3, 8] }],
      outputs: ['y', 'scale', 'zp', 'product', 'out'], outputTypes: { y: 'uint8', zp: 'uint8', product: 'int32' },
      initializers: [init('w', 'int8', [8, 5], spread(40, -128, 127)), init('wz', 'int8', [5], [0, 3, -2, 1, -5]), init('ws', 'float', [], [0.004])],
      nodes: [
        { op: 'DynamicQuantizeLinear', inputs: ['x'], outputs: ['y', 'scale', 'zp'] },
        { op: 'MatMulInteger', inputs: ['y', 'w', 'zp', 'wz'], outputs: ['product'] },
        { op: 'Cast', inputs: ['product'], outputs: ['productf'], attrs: { to: 1 } },
        { op: 'Mul', inputs: ['scale', 'ws'], outputs: ['rescale'] },
        { op: 'Mul', inputs: ['productf', 'rescale'], outputs: ['out'] },
      ],
    }, [[3, 8]]);
  });

  it('ConvInteger with pads and strides on a dynamically quantized input', async () => {
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [1, 2, 5, 6] }],
      outputs: ['out'], outputTypes: { out: 'int32' },
      initializers: [init('w', 'uint8', [3, 2, 3, 3], spread(54, 0, 255)), init('wz', 'uint8', [], [120])],
      nodes: [
        { op: 'DynamicQuantizeLinear', inputs: ['x'], outputs: ['y', 'scale', 'zp'] },
        { op: 'ConvInteger', inputs: ['y', 'w', 'zp', 'wz'], outputs: ['out'], attrs: { pads: [1, 1, 1, 0], strides: [2, 1] } },
      ],
    }, [[1, 2, 5, 6]]);
  });

  it('QLinearMatMul and QLinearConv (int8 weights, per-channel scales, int32 bias) requantize to their outputs', async () => {
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }, { name: 'v', shape: [3, 6] }],
      outputs: ['conv', 'mm'], outputTypes: { conv: 'uint8', mm: 'uint8' },
      initializers: [
        init('xs', 'float', [], [0.015]), init('xz', 'uint8', [], [127]),
        init('w', 'int8', [3, 2, 3, 3], spread(54, -100, 100)), init('ws', 'float', [3], [0.01, 0.004, 0.02]), init('wz', 'int8', [3], [0, 0, 0]),
        init('ys', 'float', [], [0.05]), init('yz', 'uint8', [], [100]), init('bias', 'int32', [3], [40, -300, 7]),
        init('b', 'uint8', [6, 4], spread(24, 0, 255)), init('bs', 'float', [], [0.003]), init('bz', 'uint8', [], [130]),
        init('ms', 'float', [], [0.02]), init('mz', 'uint8', [], [90]),
      ],
      nodes: [
        { op: 'QuantizeLinear', inputs: ['x', 'xs', 'xz'], outputs: ['xq'] },
        { op: 'QLinearConv', inputs: ['xq', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'bias'], outputs: ['conv'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'QuantizeLinear', inputs: ['v', 'xs', 'xz'], outputs: ['vq'] },
        { op: 'QLinearMatMul', inputs: ['vq', 'xs', 'xz', 'b', 'bs', 'bz', 'ms', 'mz'], outputs: ['mm'] },
      ],
    }, [[1, 2, 4, 4], [3, 6]]);
  });
});

describe('quantization errors', () => {
  it('refuses a zero point that is not uint8 or int8, and a per-axis scale of the wrong length', async () => {
    const model = (initializers: ModelSpec['initializers'], attrs = {}) =>
      loadOnnx(buildModel({ inputs: [{ name: 'x', shape: [2, 3] }], outputs: ['y'], initializers, nodes: [{ op: 'QuantizeLinear', name: 'q', inputs: ['x', 's', 'z'], outputs: ['y'], attrs }] }));
    const int32 = await model([init('s', 'float', [], [0.1]), init('z', 'int32', [], [0])]);
    expect(() => int32.forward(tl.zeros([2, 3]))).toThrow("QuantizeLinear 'q': y_zero_point must be uint8 or int8 (an initializer, or the output of a quantizing node), got int32");
    const axis = await model([init('s', 'float', [2], [0.1, 0.2]), init('z', 'uint8', [2], [0, 0])]);
    expect(() => axis.forward(tl.zeros([2, 3]))).toThrow("QuantizeLinear 'q': y_scale has shape [2]; a scalar or one value per index of axis 1 (3) is needed");
  });
});
