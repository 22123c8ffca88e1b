// onnxruntime's quantized com.microsoft operators in the chains its quantizers write, where
// the quantized values are tensors computed in the graph (test/ops.test.ts runs each alone
// on uint8/int8 initializers).
import { describe, it } from 'vitest';
import { type InitializerType } from './build-model.js';
import { matchesOnnxruntime } from './onnxruntime.js';

const init = (name: string, type: InitializerType, dims: number[], values: number[]) => ({ name, type, dims, values });
const spread = (n: number, lo: number, hi: number) => Array.from({ length: n }, (_, i) => lo + ((i * 37 + 11) % (hi - lo + 1)));
const MS = 'com.microsoft';

describe('quantized com.microsoft operators on computed tensors match onnxruntime', () => {
  it('DynamicQuantizeLinear into MatMulIntegerToFloat, as the dynamic quantizer writes it', async () => {
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [2, 3, 8] }],
      outputs: ['out'],
      initializers: [init('w', 'int8', [8, 5], spread(40, -128, 127)), init('wz', 'int8', [5], [0, 3, -2, 1, -5]), init('ws', 'float', [5], [0.004, 0.01, 0.002, 0.02, 0.007]), init('bias', 'float', [5], [0.1, -0.2, 0.3, 0, 0.5])],
      nodes: [
        { op: 'DynamicQuantizeLinear', inputs: ['x'], outputs: ['y', 'scale', 'zp'] },
        { op: 'MatMulIntegerToFloat', domain: MS, inputs: ['y', 'w', 'scale', 'ws', 'zp', 'wz', 'bias'], outputs: ['out'] },
      ],
    }, [[2, 3, 8]]);
  });

  it('GatherBlockQuantized embeddings tied to a MatMulNBits head, as onnxruntime-genai writes int4 models', async () => {
    // One 4-bit table (vocab 4, hidden 32, blocks of 16) read by both: the rows gathered for the ids, and the head's weights.
    const table = spread(64, 0, 255);
    const scales = Array.from({ length: 8 }, (_, i) => 0.02 + 0.01 * i);
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [2, 3] }],
      outputs: ['embedded', 'logits'],
      initializers: [init('table', 'uint8', [4, 16], table), init('head', 'uint8', [4, 2, 8], table), init('scales', 'float', [4, 2], scales), init('zp', 'uint8', [4, 1], [0x87, 0x78, 0x99, 0x66])],
      nodes: [
        { op: 'Cast', inputs: ['x'], outputs: ['ids'], attrs: { to: 7 } },
        { op: 'GatherBlockQuantized', domain: MS, inputs: ['table', 'ids', 'scales', 'zp'], outputs: ['embedded'], attrs: { block_size: 16, bits: 4, quantize_axis: 1 } },
        { op: 'MatMulNBits', domain: MS, inputs: ['embedded', 'head', 'scales', 'zp'], outputs: ['logits'], attrs: { K: 32, N: 4, bits: 4, block_size: 16 } },
      ],
    }, [[2, 3]]);
  });

  it('QuantizeLinear into QLinearAdd, QLinearMul, QLinearLeakyRelu, QLinearConcat and QLinearGlobalAveragePool, then DequantizeLinear', async () => {
    await matchesOnnxruntime({
      inputs: [{ name: 'a', shape: [1, 2, 3, 4] }, { name: 'b', shape: [1, 2, 3, 4] }],
      outputs: ['sum', 'product', 'leaky', 'joined', 'pooled', 'real'],
      outputTypes: { sum: 'uint8', product: 'uint8', leaky: 'uint8', joined: 'uint8', pooled: 'uint8' },
      initializers: [
        init('sa', 'float', [], [0.02]), init('za', 'uint8', [], [128]), init('sb', 'float', [], [0.015]), init('zb', 'uint8', [], [120]),
        init('sc', 'float', [], [0.03]), init('zc', 'uint8', [], [125]), init('sm', 'float', [], [0.01]), init('zm', 'uint8', [], [128]),
      ],
      nodes: [
        { op: 'QuantizeLinear', inputs: ['a', 'sa', 'za'], outputs: ['qa'] },
        { op: 'QuantizeLinear', inputs: ['b', 'sb', 'zb'], outputs: ['qb'] },
        { op: 'QLinearAdd', domain: MS, inputs: ['qa', 'sa', 'za', 'qb', 'sb', 'zb', 'sc', 'zc'], outputs: ['sum'] },
        { op: 'QLinearMul', domain: MS, inputs: ['qa', 'sa', 'za', 'sum', 'sc', 'zc', 'sm', 'zm'], outputs: ['product'] },
        { op: 'QLinearLeakyRelu', domain: MS, inputs: ['product', 'sm', 'zm', 'sc', 'zc'], outputs: ['leaky'], attrs: { alpha: 0.2 } },
        { op: 'QLinearConcat', domain: MS, inputs: ['sc', 'zc', 'leaky', 'sc', 'zc', 'qa', 'sa', 'za'], outputs: ['joined'], attrs: { axis: 1 } },
        { op: 'QLinearGlobalAveragePool', domain: MS, inputs: ['joined', 'sc', 'zc', 'sa', 'za'], outputs: ['pooled'] },
        { op: 'DequantizeLinear', inputs: ['pooled', 'sa', 'za'], outputs: ['real'] },
      ],
    }, [[1, 2, 3, 4], [1, 2, 3, 4]]);
  });
});

describe('more com.microsoft operators in graphs match onnxruntime', () => {
  it('DecoderMaskedMultiHeadAttention: two decoding steps through the shared buffer, and cross attention with its qk scores', async () => {
    const length = (name: string, p: number) => init(name, 'int32', [1], [p]);
    await matchesOnnxruntime({
      inputs: [{ name: 'q', shape: [2, 1, 8] }, { name: 'k', shape: [2, 1, 8] }, { name: 'v', shape: [2, 1, 8] }, { name: 'pk', shape: [2, 2, 6, 4] }, { name: 'pv', shape: [2, 2, 6, 4] }, { name: 'ek', shape: [2, 2, 5, 4] }, { name: 'ev', shape: [2, 2, 5, 4] }],
      outputs: ['y2', 'pk2', 'pv2', 'cross', 'qk'],
      initializers: [length('l1', 2), length('l2', 3), init('mask', 'int32', [2, 5], [1, 1, 1, 0, 1, 1, 0, 1, 1, 1])],
      nodes: [
        { op: 'DecoderMaskedMultiHeadAttention', domain: MS, inputs: ['q', 'k', 'v', '', '', 'pk', 'pv', 'l1'], outputs: ['y1', 'pk1', 'pv1'], attrs: { num_heads: 2, past_present_share_buffer: 1 } },
        // The next step's query, key and value from this step's output.
        { op: 'DecoderMaskedMultiHeadAttention', domain: MS, inputs: ['y1', 'k', 'y1', '', '', 'pk1', 'pv1', 'l2'], outputs: ['y2', 'pk2', 'pv2'], attrs: { num_heads: 2, past_present_share_buffer: 1 } },
        { op: 'DecoderMaskedMultiHeadAttention', domain: MS, inputs: ['y2', 'ek', 'ev', 'mask'], outputs: ['cross', '', '', 'qk'], attrs: { num_heads: 2, output_qk: 1 } },
      ],
    }, [[2, 1, 8], [2, 1, 8], [2, 1, 8], [2, 2, 6, 4], [2, 2, 6, 4], [2, 2, 5, 4], [2, 2, 5, 4]]);
  });

  it('NhwcMaxPool of a QuantizeLinear output, dequantized', async () => {
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [1, 5, 5, 3] }],
      outputs: ['y'],
      initializers: [init('s', 'float', [], [0.02]), init('z', 'int8', [], [-3])],
      nodes: [
        { op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['q'] },
        { op: 'NhwcMaxPool', domain: MS, inputs: ['q'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1] } },
        { op: 'DequantizeLinear', inputs: ['p', 's', 'z'], outputs: ['y'] },
      ],
    }, [[1, 5, 5, 3]]);
  });
});
