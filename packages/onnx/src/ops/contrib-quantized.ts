// com.microsoft's quantized operators, as onnxruntime's quantizers and Hugging Face Optimum
// write them: MatMulNBits (block-wise 2/4/8-bit weights, the `q4` files), the dynamically
// quantized products, and the QLinear elementwise, pooling and concatenation operators. The
// integer arithmetic follows onnxruntime's CPU kernels (MLAS), in float32 tensors as
// quantize.ts does; quantized values are int32 tensors tagged with their uint8/int8 type.
import type { Tensor } from '@tensile/core';
import type { QuantizedElement } from '../element-types.js';
import { Host, isHost, type Value } from '../value.js';
import { type Attributes, type OpContext, type OpSpec, attrNumber, axisOf, hostOf, one, only, tensorOf, tl } from './context.js';
import { contribAttentionOps } from './contrib-attention.js';
import { networkOps } from './network.js';
import { deviceOfAll, floats, integerMatmul, perAxis, quantizedType, quantizeOps, required, saturate, scalar } from './quantize.js';


/** Value `e` of a row packed `bits` to a byte, lowest bits first. */
function unpackedAt(data: ArrayLike<number>, offset: number, e: number, bits: number): number {
  const per = 8 / bits;
  return (data[offset + Math.floor(e / per)]! >> (bits * (e % per))) & ((1 << bits) - 1);
}

/** (q - zero point) per block, [N, k_blocks * block_size], from B [N, k_blocks, blob] and packed uint8 zero points (or the default, 2^(bits-1)). */
function unpack(ctx: OpContext, b: Host, zp: Host | null, n: number, blocks: number, blockSize: number, bits: number): Host {
  const blob = (blockSize * bits) / 8;
  if (b.dtype !== 'uint8' || b.size !== n * blocks * blob) throw new Error(`${ctx.node}: B must be uint8 [${n}, ${blocks}, ${blob}] (N, k_blocks, blob), got ${b.dtype} [${b.shape}]`);
  const zpRow = Math.ceil((blocks * bits) / 8);
  if (zp && zp.size !== n * zpRow) throw new Error(`${ctx.node}: packed zero_points must be uint8 [${n}, ${zpRow}], got [${zp.shape}]`);
  const out = new Float32Array(n * blocks * blockSize);
  const fallback = 2 ** (bits - 1);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < blocks; j++) {
      const z = zp ? unpackedAt(zp.data, r * zpRow, j, bits) : fallback;
      const from = (r * blocks + j) * blob;
      const to = (r * blocks + j) * blockSize;
      for (let e = 0; e < blockSize; e++) out[to + e] = unpackedAt(b.data, from, e, bits) - z;
    }
  }
  return new Host('float32', [n, blocks, blockSize], out);
}

const matMulNBits: OpSpec = {
  attributes: ['K', 'N', 'bits', 'block_size', 'accuracy_level'],
  check: (attrs) => {
    const problems = [...only(attrs, 'bits', [2, 4, 8])];
    for (const name of ['K', 'N', 'block_size']) if (typeof attrs[name] !== 'number') problems.push(`attribute ${name} is missing`);
    const bs = attrs.block_size;
    if (typeof bs === 'number' && (bs < 16 || (bs & (bs - 1)) !== 0)) problems.push(`attribute block_size=${bs} must be a power of 2, 16 or more`);
    return problems;
  },
  run(ctx, inputs, attrs) {
    const [a, b, s, zp, gIdx, bias] = inputs;
    if (gIdx !== undefined) throw new Error(`${ctx.node}: input g_idx (deprecated) is not supported`);
    const device = deviceOfAll(ctx, inputs);
    const [K, N, blockSize, bits] = [attrNumber(attrs, 'K', 0), attrNumber(attrs, 'N', 0), attrNumber(attrs, 'block_size', 0), attrNumber(attrs, 'bits', 4)];
    const blocks = Math.ceil(K / blockSize);
    const A = tensorOf(ctx, a, 'A', device);
    if (A.shape[A.rank - 1] !== K) throw new Error(`${ctx.node}: A of shape [${A.shape}] must end in K=${K}`);
    // Integer zero points are folded into the unpacked weights on the host; float ones (same type as A) apply on the device.
    const integerZero = zp !== undefined && isHost(zp) && zp.dtype === 'uint8';
    const source = required(ctx, b, 'B');
    // Initializers (B and integer zero points) are the same on every forward: unpack them once,
    // in the node's memo, which the model's dispose frees. Computed ones are unpacked each time.
    const constant = isHost(source) && (zp === undefined || isHost(zp));
    let weights = constant ? ctx.memo.get('unpacked B') : undefined;
    if (!weights) {
      weights = unpack(ctx, hostOf(ctx, source, 'B'), integerZero ? (zp as Host) : null, N, blocks, blockSize, bits);
      if (constant) ctx.memo.set('unpacked B', weights.persist());
    }
    let w = weights.upload(device, `${ctx.node} B`);
    if (zp !== undefined && !integerZero) {
      const z = floats(ctx, zp, 'zero_points', device);
      if (z.size !== N * blocks) throw new Error(`${ctx.node}: zero_points of shape [${z.shape}] must be [${N}, ${blocks}] (float) or packed uint8`);
      // Float zero points come with the default-zero-point-free unpacking: add back 2^(bits-1).
      w = w.add(2 ** (bits - 1)).sub(z.reshape([N, blocks, 1]));
    }
    const scales = floats(ctx, required(ctx, s, 'scales'), 'scales', device);
    if (scales.size !== N * blocks) throw new Error(`${ctx.node}: scales of shape [${scales.shape}] must be [${N}, ${blocks}] (N, k_blocks)`);
    let weight = w.mul(scales.reshape([N, blocks, 1])).reshape([N, blocks * blockSize]);
    if (blocks * blockSize !== K) weight = tl.slice(weight, 1, 0, K);
    let y = tl.matmul(A, weight.transpose(0, 1));
    if (bias !== undefined) y = y.add(tensorOf(ctx, bias, 'bias', device));
    return one(y);
  },
};

/**
 * The table of GatherBlockQuantized, on the host: (q - zero point) · scale per block, or
 * without the scales (`scales` null, `blockShape` theirs) when they are computed in the graph.
 */
function dequantizeBlocks(ctx: OpContext, data: Host, scales: Host | null, blockShape: number[], zp: Host | null, bits: number, blockSize: number, axis: number): Host {
  const per = 8 / bits;
  const shape = [...data.shape.slice(0, -1), data.shape.at(-1)! * per];
  // Zero points are packed like data, each row of the last dim padded to whole bytes.
  const zpRow = Math.ceil(blockShape.at(-1)! / per);
  const blocks = blockShape.reduce((a, b) => a * b, 1);
  if (zp && (zp.dtype !== 'uint8' || zp.size !== (blocks / blockShape.at(-1)!) * zpRow)) {
    throw new Error(`${ctx.node}: zero_points must be uint8 [${[...blockShape.slice(0, -1), zpRow]}] (packed like data), got ${zp.dtype} [${zp.shape}]`);
  }
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.size * per);
  const fallback = 2 ** (bits - 1);
  const last = shape.length - 1;
  for (let e = 0; e < out.length; e++) {
    // The block of element e: its coordinates, the quantized axis divided by the block size.
    let block = 0;
    let rest = e;
    for (let i = 0; i <= last; i++) {
      const c = Math.floor(rest / strides[i]!);
      rest -= c * strides[i]!;
      block = block * blockShape[i]! + (i === axis ? Math.floor(c / blockSize) : c);
    }
    const column = block % blockShape[last]!;
    const z = zp ? unpackedAt(zp.data, ((block - column) / blockShape[last]!) * zpRow, column, bits) : fallback;
    out[e] = (unpackedAt(data.data, 0, e, bits) - z) * (scales ? scales.data[block]! : 1);
  }
  return new Host('float32', shape, out);
}

/**
 * Gather from a block-quantized table (onnxruntime-genai's quantized embeddings, tied to the
 * MatMulNBits head): uint8 data, `bits` < 8 packed along the last dim low bits first, scales
 * and zero points per block along quantize_axis. The table is dequantized once into the node's
 * memo; an index out of range gives a row of zeros, as onnxruntime's kernel does.
 */
const gatherBlockQuantized: OpSpec = {
  attributes: ['bits', 'block_size', 'gather_axis', 'quantize_axis'],
  check(attrs) {
    const problems = only(attrs, 'bits', [2, 4, 8]);
    const bs = attrs.block_size;
    if (typeof bs === 'number' && (bs < 16 || (bs & (bs - 1)) !== 0)) problems.push(`attribute block_size=${bs} must be a power of 2, 16 or more`);
    return problems;
  },
  run(ctx, [d, idx, s, zp], attrs) {
    const bits = attrNumber(attrs, 'bits', 4);
    const source = required(ctx, d, 'data');
    if (!isHost(source) || source.dtype !== 'uint8') throw new Error(`${ctx.node}: data must be a uint8 initializer (int4 and uint4 tensors are not supported), got ${isHost(source) ? source.dtype : 'a computed tensor'}`);
    const rank = source.shape.length;
    if (axisOf(ctx, attrNumber(attrs, 'gather_axis', 0), rank) !== 0) throw new Error(`${ctx.node}: gather_axis must be 0 for uint8 data, got ${attrs.gather_axis}`);
    const axis = axisOf(ctx, attrNumber(attrs, 'quantize_axis', 1), rank);
    const blockSize = attrNumber(attrs, 'block_size', 128);
    const shape = [...source.shape.slice(0, -1), source.shape.at(-1)! * (8 / bits)];
    const blockShape = shape.map((n, i) => (i === axis ? Math.ceil(n / blockSize) : n));
    const scales = required(ctx, s, 'scales');
    const scaleShape = [...scales.shape];
    if (scaleShape.reduce((a, b) => a * b, 1) !== blockShape.reduce((a, b) => a * b, 1)) {
      throw new Error(`${ctx.node}: scales of shape [${scaleShape}] must be [${blockShape}] (data's [${shape}] in blocks of ${blockSize} along quantize_axis ${axis})`);
    }
    if (zp !== undefined && !isHost(zp)) throw new Error(`${ctx.node}: zero_points must be an initializer`);
    // Constant scales are folded into the table once; computed ones multiply it on each forward.
    const folded = isHost(scales);
    let table = ctx.memo.get('table');
    if (!table) {
      table = dequantizeBlocks(ctx, source, folded ? hostOf(ctx, scales, 'scales') : null, blockShape, zp === undefined ? null : hostOf(ctx, zp, 'zero_points'), bits, blockSize, axis);
      ctx.memo.set('table', table.persist());
    }
    const device = deviceOfAll(ctx, [idx, scales]);
    let values = table.upload(device, `${ctx.node} table`);
    if (!folded) {
      const perBlock = floats(ctx, scales, 'scales', device).reshape(blockShape);
      values = values.mul(tl.slice(tl.repeatInterleave(perBlock, blockSize, axis), axis, 0, shape[axis]!));
    }
    const rows = shape[0]!;
    const index = tensorOf(ctx, required(ctx, idx, 'indices'), 'indices', device);
    const wrapped = tl.where(index.lt(0), index.add(rows), index);
    const valid = wrapped.ge(0).logicalAnd(wrapped.lt(rows)).reshape([-1]);
    const picked = tl.indexSelect(values, 0, tl.where(valid, wrapped.reshape([-1]), 0));
    const masked = tl.where(valid.reshape([-1, ...shape.slice(1).map(() => 1)]), picked, 0);
    return one(masked.reshape([...index.shape, ...shape.slice(1)]));
  },
};

/** (A - a0) @ (B - b0) · a_scale · b_scale (+ bias), b's scale and zero point per column or scalars, as MLAS's scale-bias output processor computes it. */
function scaledProduct(ctx: OpContext, qa: Value, a0: Value | undefined, aScale: Tensor, b: Value | undefined, bScale: Value | undefined, b0: Value | undefined, bias: Value | undefined, device: string): Tensor {
  const B = required(ctx, b, 'B');
  if (isHost(B)) quantizedType(ctx, B, 'B', null);
  const acc = integerMatmul(ctx, qa, a0, B, b0, device);
  const shape = [...B.shape];
  const multiplier = aScale.mul(perAxis(ctx, required(ctx, bScale, 'b_scale'), 'b_scale', shape, shape.length - 1, device));
  const y = acc.mul(multiplier);
  return bias === undefined ? y : y.add(tensorOf(ctx, bias, 'bias', device));
}

/** y = f(dequantize(x)) quantized again, as onnxruntime's lookup tables compute it: round(f((x - x0) · sx) / sy) + y0. */
function qlinearUnary(f: (x: Tensor, attrs: Attributes) => Tensor, attributes: string[] = []): OpSpec {
  return {
    attributes,
    run(ctx, [x, xs, x0, ys, y0], attrs) {
      const device = deviceOfAll(ctx, [x, xs, x0, ys, y0]);
      const type = quantizedType(ctx, x0, 'X_zero_point', 'uint8');
      const t = floats(ctx, required(ctx, x, 'X'), 'X', device);
      const real = t.sub(x0 === undefined ? 0 : scalar(ctx, x0, 'X_zero_point', device)).mul(scalar(ctx, xs, 'X_scale', device));
      return one(saturate(f(real, attrs).div(scalar(ctx, ys, 'Y_scale', device)), y0 === undefined ? 0 : scalar(ctx, y0, 'Y_zero_point', device), quantizedType(ctx, y0, 'Y_zero_point', type)));
    },
  };
}

/** QLinearAdd and QLinearMul: per-tensor scales and zero points, numpy broadcasting. */
function qlinearBinary(kind: 'add' | 'mul'): OpSpec {
  return {
    attributes: [],
    run(ctx, inputs) {
      const [a, as, a0, b, bs, b0, cs, c0] = inputs;
      const device = deviceOfAll(ctx, inputs);
      const type = quantizedType(ctx, a0, 'A_zero_point', 'uint8');
      const zero = (v: Value | undefined, what: string) => (v === undefined ? 0 : scalar(ctx, v, what, device));
      const A = floats(ctx, required(ctx, a, 'A'), 'A', device).sub(zero(a0, 'A_zero_point'));
      const B = floats(ctx, required(ctx, b, 'B'), 'B', device).sub(zero(b0, 'B_zero_point'));
      const [sa, sb, sc] = [[as, 'A_scale'], [bs, 'B_scale'], [cs, 'C_scale']].map(([v, w]) => scalar(ctx, v as Value | undefined, w as string, device)) as [Tensor, Tensor, Tensor];
      // MLAS: A·(sa/sc) + B·(sb/sc), and A·B·(sa·sb/sc).
      const v = kind === 'add' ? A.mul(sa.div(sc)).add(B.mul(sb.div(sc))) : A.mul(B).mul(sa.mul(sb).div(sc));
      return one(saturate(v, zero(c0, 'C_zero_point'), quantizedType(ctx, c0, 'C_zero_point', type)));
    },
  };
}

/** (X - x0) · sx of a per-tensor quantized input. */
function dequantized(ctx: OpContext, x: Value | undefined, scale: Value | undefined, zero: Value | undefined, what: string, device: string): Tensor {
  const t = floats(ctx, required(ctx, x, what), what, device);
  return t.sub(zero === undefined ? 0 : scalar(ctx, zero, `${what}_zero_point`, device)).mul(scalar(ctx, scale, `${what}_scale`, device));
}

/** round(v / sy) + y0 in the zero point's type (`fallback` when it is left out). */
function requantized(ctx: OpContext, v: Tensor, scale: Value | undefined, zero: Value | undefined, what: string, fallback: QuantizedElement, device: string): Tensor {
  const type = quantizedType(ctx, zero, `${what}_zero_point`, fallback);
  return saturate(v.div(scalar(ctx, scale, `${what}_scale`, device)), zero === undefined ? 0 : scalar(ctx, zero, `${what}_zero_point`, device), type);
}

/**
 * QGemm: alpha · ((A - a0)(B - b0) + C) · sa · sb, C the int32 bias (onnxruntime scales it by alpha too),
 * B's scale and zero point per column or scalars; float out, or quantized with y_scale.
 */
const qGemm: OpSpec = {
  attributes: ['alpha', 'transA', 'transB'],
  run(ctx, inputs, attrs) {
    const [a, as, a0, b, bs, b0, c, ys, y0] = inputs;
    const device = deviceOfAll(ctx, inputs);
    const type = quantizedType(ctx, a0, 'a_zero_point', 'uint8');
    let A = floats(ctx, required(ctx, a, 'A'), 'A', device).sub(a0 === undefined ? 0 : scalar(ctx, a0, 'a_zero_point', device));
    let B = floats(ctx, required(ctx, b, 'B'), 'B', device);
    if (A.rank !== 2 || B.rank !== 2) throw new Error(`${ctx.node}: A [${A.shape}] and B [${B.shape}] must be matrices`);
    if (attrNumber(attrs, 'transA', 0)) A = A.transpose(0, 1);
    const transB = attrNumber(attrs, 'transB', 0) !== 0;
    // b's per-column values lie along B's columns: its dim 0 when B is transposed.
    const column = (v: Value | undefined, what: string) => perAxis(ctx, v, what, B.shape, transB ? 0 : 1, device);
    B = B.sub(column(b0, 'b_zero_point'));
    const bScale = column(required(ctx, bs, 'b_scale'), 'b_scale');
    B = B.mul(bScale);
    if (transB) B = B.transpose(0, 1);
    const aScale = scalar(ctx, as, 'a_scale', device).mul(attrNumber(attrs, 'alpha', 1));
    let y = tl.matmul(A, B).mul(aScale);
    if (c !== undefined) {
      const perColumn = typeof bScale === 'number' ? bScale : bScale.reshape([1, -1]);
      y = y.add(floats(ctx, c, 'C', device).mul(aScale).mul(perColumn));
    }
    return one(ys === undefined ? y : requantized(ctx, y, ys, y0, 'y', type, device));
  },
};

/**
 * QAttention: Attention on the dequantized input and weights, (x - x0) · sx and (w - w0) · sw
 * with w's scale and zero point per column or scalars; the rest (mask_index, past, present) as
 * Attention computes it.
 */
const qAttention: OpSpec = {
  attributes: ['num_heads', 'unidirectional', 'mask_filter_value', 'scale', 'do_rotary', 'past_present_share_buffer'],
  outputs: 2,
  check: (attrs, opset) => contribAttentionOps.Attention!.check!(attrs, opset),
  run(ctx, inputs, attrs) {
    const [x, w, bias, xs, ws, maskIndex, x0, w0, past] = inputs;
    const device = deviceOfAll(ctx, inputs);
    const input = dequantized(ctx, x, xs, x0, 'input', device);
    const weight = floats(ctx, required(ctx, w, 'weight'), 'weight', device);
    const column = (v: Value | undefined, what: string) => perAxis(ctx, v, what, weight.shape, weight.rank - 1, device);
    const real = weight.sub(column(w0, 'weight_zero_point')).mul(column(required(ctx, ws, 'weight_scale'), 'weight_scale'));
    return contribAttentionOps.Attention!.run(ctx, [input, real, required(ctx, bias, 'bias'), maskIndex, past], attrs);
  },
};

export const contribQuantizedOps: Record<string, OpSpec> = {
  // onnxruntime's own QuantizeLinear and DequantizeLinear, which its QDQ quantizer writes for
  // 16- and 4-bit types at opsets before 21 (use_qdq_contrib_ops): per tensor or per axis.
  QuantizeLinear: { ...quantizeOps.QuantizeLinear!, attributes: ['axis'], check: undefined },
  DequantizeLinear: { ...quantizeOps.DequantizeLinear!, attributes: ['axis'], check: undefined },
  MatMulNBits: matMulNBits,
  GatherBlockQuantized: gatherBlockQuantized,
  // A quantized to uint8 as DynamicQuantizeLinear does, then the integer product rescaled.
  DynamicQuantizeMatMul: {
    attributes: [],
    run(ctx, inputs, attrs) {
      const [a, b, bScale, b0, bias] = inputs;
      const device = deviceOfAll(ctx, inputs);
      const [qa, aScale, a0] = quantizeOps.DynamicQuantizeLinear!.run(ctx, [required(ctx, a, 'A')], attrs) as [Tensor, Tensor, Tensor];
      return one(scaledProduct(ctx, qa, a0, aScale, b, bScale, b0, bias, device));
    },
  },
  MatMulIntegerToFloat: {
    attributes: [],
    run(ctx, inputs) {
      const [a, b, aScale, bScale, a0, b0, bias] = inputs;
      const device = deviceOfAll(ctx, inputs);
      return one(scaledProduct(ctx, required(ctx, a, 'A'), a0, scalar(ctx, aScale, 'a_scale', device), b, bScale, b0, bias, device));
    },
  },
  QAttention: qAttention,
  // QLinearConv, on NHWC input and output when channels_last is 1.
  QLinearConv: {
    attributes: [...quantizeOps.QLinearConv!.attributes, 'channels_last'],
    check: (attrs, opset) => [...quantizeOps.QLinearConv!.check!(attrs, opset), ...only(attrs, 'channels_last', [0, 1])],
    run(ctx, inputs, attrs) {
      if (!attrNumber(attrs, 'channels_last', 0)) return quantizeOps.QLinearConv!.run(ctx, inputs, attrs);
      const device = deviceOfAll(ctx, inputs);
      const x = floats(ctx, required(ctx, inputs[0], 'x'), 'x', device);
      const last = x.rank - 1;
      const dims = x.shape.map((_, i) => i);
      const [y] = quantizeOps.QLinearConv!.run(ctx, [x.permute([0, last, ...dims.slice(1, -1)]), ...inputs.slice(1)], attrs) as [Tensor];
      // Saturating the permuted values again (a no-op on them) tags them with y's quantized type.
      return one(saturate(y.permute([0, ...dims.slice(2), 1]).float(), 0, quantizedType(ctx, inputs[7], 'y_zero_point', 'uint8')));
    },
  },
  QGemm: qGemm,
  // Where between two quantized tensors, requantized to Z's scale and zero point.
  QLinearWhere: {
    attributes: [],
    run(ctx, inputs) {
      const [cond, x, xs, x0, y, ys, y0, zs, z0] = inputs;
      const device = deviceOfAll(ctx, inputs);
      const pick = tl.where(tensorOf(ctx, required(ctx, cond, 'condition'), 'condition', device), dequantized(ctx, x, xs, x0, 'X', device), dequantized(ctx, y, ys, y0, 'Y', device));
      return one(requantized(ctx, pick, zs, z0, 'Z', quantizedType(ctx, x0, 'X_zero_point', 'uint8'), device));
    },
  },
  // AveragePool of the dequantized values (NCHW or channels_last), requantized.
  QLinearAveragePool: {
    attributes: [...networkOps.AveragePool!.attributes, 'channels_last'],
    check: (attrs, opset) => [...networkOps.AveragePool!.check!(attrs, opset), ...only(attrs, 'channels_last', [0, 1])],
    run(ctx, inputs, attrs) {
      const [x, xs, x0, ys, y0] = inputs;
      const device = deviceOfAll(ctx, inputs);
      const last = attrNumber(attrs, 'channels_last', 0) === 1;
      let real = dequantized(ctx, x, xs, x0, 'x', device);
      const dims = real.shape.map((_, i) => i);
      if (last) real = real.permute([0, real.rank - 1, ...dims.slice(1, -1)]);
      let pooled = networkOps.AveragePool!.run(ctx, [real], attrs)[0] as Tensor;
      if (last) pooled = pooled.permute([0, ...dims.slice(2), 1]);
      return one(requantized(ctx, pooled, ys, y0, 'y', quantizedType(ctx, x0, 'x_zero_point', 'uint8'), device));
    },
  },
  // Softmax of the dequantized values along axis (opset < 13: over the dims from axis on), requantized.
  QLinearSoftmax: {
    attributes: ['axis', 'opset'],
    check: (attrs) => (typeof attrs.opset === 'number' ? [] : ['attribute opset is missing']),
    run(ctx, inputs, attrs) {
      const [x, xs, x0, ys, y0] = inputs;
      const device = deviceOfAll(ctx, inputs);
      const real = dequantized(ctx, x, xs, x0, 'X', device);
      const softmax = networkOps.Softmax!.run({ ...ctx, opset: attrNumber(attrs, 'opset', 13) }, [real], attrs.axis === undefined ? {} : { axis: attrs.axis })[0] as Tensor;
      return one(requantized(ctx, softmax, ys, y0, 'y', quantizedType(ctx, x0, 'x_zero_point', 'uint8'), device));
    },
  },
  QLinearAdd: qlinearBinary('add'),
  QLinearMul: qlinearBinary('mul'),
  QLinearSigmoid: qlinearUnary((x) => tl.sigmoid(x)),
  QLinearLeakyRelu: qlinearUnary((x, attrs) => tl.where(x.ge(0), x, x.mul(attrNumber(attrs, 'alpha', 0.01))), ['alpha']),
  QLinearGlobalAveragePool: {
    attributes: ['channels_last'],
    check: (attrs) => only(attrs, 'channels_last', [0, 1]),
    run(ctx, inputs, attrs) {
      const [x, xs, x0, ys, y0] = inputs;
      const device = deviceOfAll(ctx, inputs);
      const type = quantizedType(ctx, x0, 'x_zero_point', 'uint8');
      const t = floats(ctx, required(ctx, x, 'X'), 'X', device);
      if (t.rank < 3) throw new Error(`${ctx.node}: X of shape [${t.shape}] must have a batch, a channel and spatial dims`);
      const last = attrNumber(attrs, 'channels_last', 0) === 1;
      const axes = last ? t.shape.slice(1, -1).map((_, i) => i + 1) : t.shape.slice(2).map((_, i) => i + 2);
      const size = axes.reduce((p, i) => p * t.shape[i]!, 1);
      // MLAS: the integer sum less x0 per element, times sx / (sy · size).
      const acc = t.sub(x0 === undefined ? 0 : scalar(ctx, x0, 'x_zero_point', device)).sum(axes, true);
      const multiplier = scalar(ctx, xs, 'x_scale', device).div(scalar(ctx, ys, 'y_scale', device).mul(size));
      return one(saturate(acc.mul(multiplier), y0 === undefined ? 0 : scalar(ctx, y0, 'y_zero_point', device), quantizedType(ctx, y0, 'y_zero_point', type)));
    },
  },
  // Inputs: Y_scale, Y_zero_point, then X, X_scale, X_zero_point per tensor joined.
  QLinearConcat: {
    attributes: ['axis'],
    check: (attrs) => (typeof attrs.axis === 'number' ? [] : ['attribute axis is missing']),
    run(ctx, inputs, attrs) {
      const [ys, y0, ...rest] = inputs;
      const device = deviceOfAll(ctx, inputs);
      if (rest.length === 0 || rest.length % 3 !== 0) throw new Error(`${ctx.node}: inputs must be Y_scale, Y_zero_point and (X, X_scale, X_zero_point) per tensor, got ${inputs.length} inputs`);
      const type = quantizedType(ctx, y0, 'Y_zero_point', null);
      const yScale = scalar(ctx, ys, 'Y_scale', device);
      const yZero = scalar(ctx, y0, 'Y_zero_point', device);
      const parts: Tensor[] = [];
      for (let i = 0; i < rest.length; i += 3) {
        const what = `X${i / 3}`;
        const t = floats(ctx, required(ctx, rest[i], what), what, device);
        const real = t.sub(scalar(ctx, rest[i + 2], `${what}_zero_point`, device)).mul(scalar(ctx, rest[i + 1], `${what}_scale`, device));
        parts.push(real.div(yScale));
      }
      const axis = axisOf(ctx, attrNumber(attrs, 'axis', 0), parts[0]!.rank);
      return one(saturate(tl.cat(parts, axis), yZero, type));
    },
  },
};
