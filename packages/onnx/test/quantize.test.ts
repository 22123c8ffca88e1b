// Quantization operators against onnxruntime-node, in the chains its quantizer writes:
// QuantizeLinear/DequantizeLinear (per tensor, per axis and, from opset 21, per block, in every
// integer and float8 type through opset 25), DynamicQuantizeLinear feeding MatMulInteger and
// ConvInteger, and the QLinear products with their requantized outputs; the element types of
// opsets 19 to 25 through Cast; and, against the formats' definitions, what onnxruntime 1.30
// does not run (float4e2m1, float8e8m0 scales).
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { loadOnnx } from '../src/index.js';
import { onnx } from '../src/proto.js';
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

describe('the element types and blocked quantization of opsets 19 to 25 match onnxruntime', () => {
  const fields = (t: ReturnType<typeof init>) => ({ ...t, fields: true });

  it('DequantizeLinear-21 of int4 weights in blocks along K into a MatMul, as the 4-bit QDQ quantizer writes it', async () => {
    // K 20 in blocks of 8 (the last block is 4 long), N 3: an odd count of int4 values in each form of storage.
    const w = spread(60, -8, 7);
    const zp = [1, -2, 0, 3, -1, 2, -3, 0, 1];
    const scales = Array.from({ length: 9 }, (_, i) => 0.01 + 0.005 * i);
    for (const store of [(t: ReturnType<typeof init>) => t, fields]) {
      await matchesOnnxruntime({
        inputs: [{ name: 'x', shape: [2, 20] }], outputs: ['y'], opset: 21,
        initializers: [store(init('w', 'int4', [20, 3], w)), init('s', 'float', [3, 3], scales), store(init('z', 'int4', [3, 3], zp))],
        nodes: [
          { op: 'DequantizeLinear', inputs: ['w', 's', 'z'], outputs: ['wf'], attrs: { axis: 0, block_size: 8 } },
          { op: 'MatMul', inputs: ['x', 'wf'], outputs: ['y'] },
        ],
      }, [[2, 20]]);
    }
  });

  it('uint4 blocks along the last axis without a zero point, and int16 and uint16 per axis', async () => {
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [3, 5] }], outputs: ['a', 'b', 'c'], opset: 21,
      initializers: [
        init('w4', 'uint4', [3, 7], spread(21, 0, 15)), init('s4', 'float', [3, 2], [0.1, 0.2, 0.3, 0.15, 0.25, 0.05]),
        init('w16', 'int16', [3, 5], spread(15, -32768, 32767)), init('s16', 'float', [3], [1e-4, 2e-4, 3e-5]), init('z16', 'int16', [3], [-300, 0, 1200]),
        init('wu16', 'uint16', [3, 5], spread(15, 0, 65535)), init('su16', 'float', [5], [1e-4, 2e-4, 3e-5, 5e-5, 1e-5]), fields(init('zu16', 'uint16', [5], [32768, 0, 65535, 100, 4000])),
      ],
      nodes: [
        { op: 'DequantizeLinear', inputs: ['w4', 's4'], outputs: ['a'], attrs: { axis: 1, block_size: 4 } },
        { op: 'DequantizeLinear', inputs: ['w16', 's16', 'z16'], outputs: ['d16'], attrs: { axis: 0 } },
        { op: 'Add', inputs: ['x', 'd16'], outputs: ['b'] },
        { op: 'DequantizeLinear', inputs: ['wu16', 'su16', 'zu16'], outputs: ['du16'], attrs: { axis: 1 } },
        { op: 'Mul', inputs: ['x', 'du16'], outputs: ['c'] },
      ],
    }, [[3, 5]]);
  });

  it('QuantizeLinear-21 to int4, uint4, int16 and uint16 (blocked, output_dtype, saturating), then back', async () => {
    const roundTrip = (name: string, zp: ReturnType<typeof init> | null, attrs: Record<string, number>, scale: ReturnType<typeof init>) => [
      { op: 'QuantizeLinear', inputs: ['x', scale.name, ...(zp ? [zp.name] : [])], outputs: [`q_${name}`], attrs },
      { op: 'DequantizeLinear', inputs: [`q_${name}`, scale.name, ...(zp ? [zp.name] : [])], outputs: [name], attrs: Object.fromEntries(Object.entries(attrs).filter(([k]) => k !== 'output_dtype')) },
    ];
    const blockScale = init('sb', 'float', [4, 2], [0.1, 0.3, 0.2, 0.05, 0.4, 0.15, 0.25, 0.12]);
    const z4 = init('z4', 'int4', [4, 2], [0, -3, 2, 7, -8, 1, 0, 4]);
    const zu4 = init('zu4', 'uint4', [], [8]);
    const z16 = init('z16', 'int16', [6], [0, 100, -100, 32000, -32000, 7]);
    const s16 = init('s16', 'float', [6], [1e-4, 1e-3, 2e-4, 1e-5, 3e-5, 1e-2]);
    const zu16 = init('zu16', 'uint16', [], [30000]);
    const s = init('s', 'float', [], [0.07]);
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [4, 6] }], outputs: ['int4', 'int4_default', 'uint4', 'int16', 'uint16'], opset: 21,
      initializers: [blockScale, z4, zu4, z16, s16, zu16, s],
      nodes: [
        ...roundTrip('int4', z4, { axis: 1, block_size: 3 }, blockScale),
        ...roundTrip('int4_default', null, { axis: 1, block_size: 3, output_dtype: 22 }, blockScale),
        ...roundTrip('uint4', zu4, {}, s),
        ...roundTrip('int16', z16, { axis: 1 }, s16),
        ...roundTrip('uint16', zu16, {}, init('s', 'float', [], [0.07])),
      ],
    }, [[4, 6]]);
  });

  it('QuantizeLinear-19 to each float8 format, saturating and not, and DequantizeLinear of float8 initializers', async () => {
    // Magnitudes past each format's largest value (448, 240, 57344), ties between neighbours, subnormals, zero.
    const values = [0, 0.3, -0.3, 1.0625, 1.1875, -17, 300, 460, 464, 470, -500, 1e5, 6e4, 0.001, -0.0009, 2 ** -9, 3 * 2 ** -10, 250, 245, 0.015625];
    const types = ['float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz'] as const;
    const zeros = types.map((t) => init(`z_${t}`, t, [], [0]));
    const nodes = types.flatMap((t) => [0, 1].flatMap((sat) => [
      { op: 'QuantizeLinear', inputs: ['x', 'one', `z_${t}`], outputs: [`q_${t}_${sat}`], attrs: { saturate: sat } },
      { op: 'DequantizeLinear', inputs: [`q_${t}_${sat}`, 'one', `z_${t}`], outputs: [`${t}_${sat}`] },
    ]));
    const stored = init('w8', 'float8e4m3fn', [2, 3], [0.5, -1.75, 448, 2 ** -9, -0, 96]);
    await matchesOnnxruntime({
      inputs: [], outputs: [...types.flatMap((t) => [`${t}_0`, `${t}_1`]), 'w'], opset: 19,
      initializers: [init('x', 'float', [values.length], values), init('one', 'float', [], [1]), ...zeros, stored, init('ws', 'float', [3], [2, 0.5, 0.25])],
      nodes: [...nodes, { op: 'DequantizeLinear', inputs: ['w8', 'ws'], outputs: ['w'], attrs: { axis: 1 } }],
    }, []);
  });

  it('Cast-19 to each float8 format, saturating and not, and back to float (onnxruntime casts at opset 21)', async () => {
    const values = [0, 0.3, -0.3, 1.0625, 1.1875, -17, 300, 460, 470, -500, 1e5, 6e4, 0.001, 2.5, -0.2, 0.75, Infinity, -Infinity, NaN];
    const codes = { float8e4m3fn: 17, float8e4m3fnuz: 18, float8e5m2: 19, float8e5m2fnuz: 20 };
    const nodes = Object.entries(codes).flatMap(([t, to]) => [0, 1].flatMap((saturate): ModelSpec['nodes'] => [
      { op: 'Cast', inputs: ['x'], outputs: [`c_${t}_${saturate}`], attrs: { to, saturate } },
      { op: 'Cast', inputs: [`c_${t}_${saturate}`], outputs: [`${t}_${saturate}`], attrs: { to: 1 } },
    ]));
    await matchesOnnxruntime({
      inputs: [], outputs: Object.keys(codes).flatMap((t) => [`${t}_0`, `${t}_1`]), opset: 21,
      initializers: [init('x', 'float', [values.length], values)], nodes,
    }, []);
  });

  it('int2 and uint2 (opset 25)', async () => {
    await matchesOnnxruntime({
      inputs: [], outputs: ['i2', 'u2'], opset: 25,
      initializers: [
        init('w', 'int2', [2, 3], [-2, -1, 0, 1, 1, -2]), init('s', 'float', [2], [0.5, 0.25]),
        init('x', 'float', [5], [-1, 0.6, 1.5, 9, 0.26]), init('half', 'float', [], [0.5]), init('z', 'uint2', [], [1]),
      ],
      nodes: [
        { op: 'DequantizeLinear', inputs: ['w', 's'], outputs: ['i2'], attrs: { axis: 0 } },
        { op: 'QuantizeLinear', inputs: ['x', 'half', 'z'], outputs: ['q'] },
        { op: 'DequantizeLinear', inputs: ['q', 'half', 'z'], outputs: ['u2'] },
      ],
    }, []);
  });

  it("com.microsoft's QuantizeLinear and DequantizeLinear with int16 and int4 at opset 17, as the QDQ quantizer's contrib ops write them", async () => {
    const MS = 'com.microsoft';
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [2, 3] }], outputs: ['y16', 'w4'], opset: 17,
      initializers: [
        init('s', 'float', [], [0.0025]), init('z', 'int16', [], [5]),
        init('w', 'int4', [2, 3], [1, -2, 3, -8, 7, 0]), init('ws', 'float', [3], [0.25, 0.5, 0.125]), init('wz', 'int4', [3], [0, 1, -1]),
      ],
      nodes: [
        { op: 'QuantizeLinear', domain: MS, inputs: ['x', 's', 'z'], outputs: ['q'] },
        { op: 'DequantizeLinear', domain: MS, inputs: ['q', 's', 'z'], outputs: ['y16'] },
        { op: 'DequantizeLinear', domain: MS, inputs: ['w', 'ws', 'wz'], outputs: ['w4'], attrs: { axis: 1 } },
      ],
    }, [[2, 3]]);
  });

  it('Cast-21 of integers to int4, uint4, int16 and uint16 wraps their bits; uint32 and uint64 initializers read', async () => {
    const ints = [-9, -8, 7, 8, 15, 16, 300, -300, 40000, -40000, 70000, 0];
    const codes = { int4: 22, uint4: 21, int16: 5, uint16: 4, int8: 3, uint8: 2 } as const;
    const nodes = Object.entries(codes).flatMap(([t, to]) => [
      { op: 'Cast', inputs: ['i'], outputs: [`c_${t}`], attrs: { to } },
      { op: 'Cast', inputs: [`c_${t}`], outputs: [t], attrs: { to: 1 } },
    ]);
    await matchesOnnxruntime({
      inputs: [], outputs: [...Object.keys(codes), 'u32', 'u64'], opset: 21,
      initializers: [init('i', 'int32', [ints.length], ints), init('a', 'uint32', [3], [0, 4000000000, 7]), fields(init('b', 'uint64', [2], [2 ** 40, 3]))],
      nodes: [...nodes, { op: 'Cast', inputs: ['a'], outputs: ['u32'], attrs: { to: 1 } }, { op: 'Cast', inputs: ['b'], outputs: ['u64'], attrs: { to: 1 } }],
    }, []);
  });
});

describe('float4e2m1 and float8e8m0 scales, which onnxruntime 1.30 does not run: against the formats', () => {
  // E2M1 (opset 23): a sign, two exponent bits with bias 1 and one mantissa bit, no infinity or NaN.
  const run = async (nodes: ModelSpec['nodes'], initializers: ModelSpec['initializers']) =>
    Array.from((await loadOnnx(buildModel({ inputs: [], outputs: ['y'], opset: 23, initializers, nodes }))).forward().dataSync() as Float32Array);

  it('DequantizeLinear reads all sixteen patterns', async () => {
    const patterns = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6];
    expect(await run([{ op: 'DequantizeLinear', inputs: ['w', 's'], outputs: ['y'] }], [init('w', 'float4e2m1', [16], patterns), init('s', 'float', [], [2])]))
      .toEqual(patterns.map((v) => v * 2));
  });

  it('QuantizeLinear rounds to nearest, ties to the even mantissa, and saturates', async () => {
    // Ties: 0.25 between 0 and 0.5 goes to 0, 0.75 to 1, 1.25 to 1, 1.75 to 2, 2.5 to 2, 3.5 to 4, 5 to 4.
    const x = [0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5, 0.3, -2.9, 7, -100];
    const y = await run([
      { op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['q'] },
      { op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['y'] },
    ], [init('x', 'float', [x.length], x), init('s', 'float', [], [1]), init('z', 'float4e2m1', [], [0])]);
    expect(y).toEqual([0, 1, 1, 2, 2, 4, 4, 0.5, -3, 6, -6]);
  });

  it('DequantizeLinear-25 with float8e8m0 scales (2^(bits - 127)), to the float32 output_dtype', async () => {
    const y = await run([{ op: 'DequantizeLinear', inputs: ['w', 's'], outputs: ['y'], attrs: { axis: 0, output_dtype: 1 } }], [init('w', 'int8', [2, 3], [1, -2, 3, 127, -128, 0]), init('s', 'float8e8m0', [2], [0.25, 2 ** 20])]);
    expect(y).toEqual([0.25, -0.5, 0.75, 127 * 2 ** 20, -128 * 2 ** 20, 0]);
  });
});

describe('quantization errors', () => {
  const one = (initializers: ModelSpec['initializers'], node: ModelSpec['nodes'][number], opset = 21) =>
    loadOnnx(buildModel({ inputs: [{ name: 'x', shape: [4, 6] }], outputs: ['y'], opset, initializers, nodes: [{ ...node, name: 'q', outputs: ['y'] }] }));

  it('refuses blocked scales that do not fit the block size, and an output_dtype that differs from the zero point', async () => {
    const blocked = await one([init('s', 'float', [4, 2], new Array(8).fill(0.1))], { op: 'DequantizeLinear', inputs: ['x', 's'], outputs: [], attrs: { axis: 1, block_size: 2 } });
    expect(() => blocked.forward(tl.zeros([4, 6]))).toThrow("DequantizeLinear 'q': x_scale has shape [4,2]; blocks of 2 along axis 1 of x [4,6] need [4,3]");
    const mismatch = await one([init('s', 'float', [], [0.1]), init('z', 'int4', [], [0])], { op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: [], attrs: { output_dtype: 21 } });
    expect(() => mismatch.forward(tl.zeros([4, 6]))).toThrow("QuantizeLinear 'q': output_dtype uint4 differs from y_zero_point's type int4");
  });

  it('refuses at load time attributes newer than the model, other precisions, and casts to float8e8m0', async () => {
    await expect(one([init('s', 'float', [], [0.1])], { op: 'QuantizeLinear', inputs: ['x', 's'], outputs: [], attrs: { block_size: 2 } }, 19))
      .rejects.toThrow("QuantizeLinear 'q': attribute block_size is QuantizeLinear-21's (the model's opset is 19)");
    await expect(one([init('s', 'float', [], [0.1])], { op: 'QuantizeLinear', inputs: ['x', 's'], outputs: [], attrs: { precision: 10 } }, 23))
      .rejects.toThrow("QuantizeLinear 'q': precision 10 is not supported (x / y_scale is computed in float32)");
    await expect(one([init('s', 'float', [], [0.1])], { op: 'QuantizeLinear', inputs: ['x', 's'], outputs: [], attrs: { output_dtype: 1 } }))
      .rejects.toThrow("QuantizeLinear 'q': output_dtype 1 (float32) is not one of uint8, int8");
    await expect(one([], { op: 'Cast', inputs: ['x'], outputs: [], attrs: { to: 24 } }, 24)).rejects.toThrow("Cast 'q': cast to float8e8m0 is not supported");
  });

  it('names the element types it reads when a file has another (complex64)', async () => {
    const bytes = buildModel({ inputs: [], outputs: ['y'], initializers: [init('c', 'float', [1], [1])], nodes: [{ op: 'Identity', inputs: ['c'], outputs: ['y'] }] });
    const model = onnx.ModelProto.decode(bytes);
    model.graph!.initializer![0]!.dataType = 14;
    await expect(loadOnnx(onnx.ModelProto.encode(model).finish())).rejects.toThrow("initializer 'c': element type COMPLEX64 is not supported (float32, uint8, int8, uint16, int16, int32, int64, bool, float16, float64, uint32, uint64, bfloat16, float8e4m3fn, float8e4m3fnuz, float8e5m2, float8e5m2fnuz, uint4, int4, float4e2m1, float8e8m0, uint2, int2 are)");
  });

  it('refuses a zero point that is not uint8 or int8, and a per-axis scale of the wrong length', async () => {
    const model = (initializers: ModelSpec['initializers'], attrs = {}) =>
      loadOnnx(buildModel({ inputs: [{ name: 'x', shape: [2, 3] }], outputs: ['y'], initializers, nodes: [{ op: 'QuantizeLinear', name: 'q', inputs: ['x', 's', 'z'], outputs: ['y'], attrs }] }));
    const int32 = await model([init('s', 'float', [], [0.1]), init('z', 'int32', [], [0])]);
    expect(() => int32.forward(tl.zeros([2, 3]))).toThrow("QuantizeLinear 'q': y_zero_point must be one of uint8, int8, uint16, int16, uint4, int4, uint2, int2, float8e4m3fn, float8e4m3fnuz, float8e5m2, float8e5m2fnuz, float4e2m1 (an initializer, or the output of a quantizing node), got int32");
    const axis = await model([init('s', 'float', [2], [0.1, 0.2]), init('z', 'uint8', [2], [0, 0])]);
    expect(() => axis.forward(tl.zeros([2, 3]))).toThrow("QuantizeLinear 'q': y_scale has shape [2]; a scalar or one value per index of axis 1 (3) is needed");
  });
});
