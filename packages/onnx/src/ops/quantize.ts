// Linear quantization, as onnxruntime's quantizer writes it: QuantizeLinear and
// DequantizeLinear, DynamicQuantizeLinear, and the integer products MatMulInteger, ConvInteger,
// QLinearMatMul and QLinearConv. Quantized values are integers held in int32 tensors (uint8 and
// int8 initializers stay on the host as such); the products accumulate in float32, which is
// exact while a sum stays below 2^24 in magnitude (so over at least 256 terms of shifted values
// of at most 255 in magnitude).
import type { Tensor } from '@tensile/core';
import { ELEMENT_TYPES, INTEGER_RANGES, isMiniFloat, type QuantizedElement } from '../element-types.js';
import { isHost, type Value } from '../value.js';
import { toMiniFloat } from './narrow-types.js';
import { conv, spatialCheck } from './network.js';
import { type Attributes, type OpContext, type OpSpec, attrNumber, axisOf, one, shapeOf, tensorOf, tl } from './context.js';

type Quantized = QuantizedElement;

/** The quantized types of onnxruntime's QLinear operators and integer products. */
const BYTE_TYPES: readonly Quantized[] = ['uint8', 'int8'];

/** Every type QuantizeLinear makes and DequantizeLinear reads (opset 21 added the 16- and 4-bit integers, 23 float4, 25 the 2-bit integers). */
const LINEAR_TYPES: readonly Quantized[] = ['uint8', 'int8', 'uint16', 'int16', 'uint4', 'int4', 'uint2', 'int2', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float4e2m1'];

/** The element type of quantized tensors made here, which int32 and float32 tensors do not carry. */
const QUANTIZED = new WeakMap<Tensor, Quantized>();

function tagged(t: Tensor, type: Quantized): Tensor {
  QUANTIZED.set(t, type);
  return t;
}

/**
 * The quantized type of a zero point: an initializer of one of the `accepted` types, or a
 * tensor made by a quantizing op here.
 */
export function quantizedType(ctx: OpContext, zp: Value | undefined, what: string, fallback: Quantized | null, accepted: readonly Quantized[] = BYTE_TYPES): Quantized {
  if (zp === undefined) {
    if (fallback) return fallback;
    throw new Error(`${ctx.node}: input ${what} is missing`);
  }
  const type = isHost(zp) ? (zp.element ?? zp.dtype) : QUANTIZED.get(zp);
  if (type && (accepted as readonly string[]).includes(type)) return type as Quantized;
  const names = accepted.length === 2 ? accepted.join(' or ') : `one of ${accepted.join(', ')}`;
  throw new Error(`${ctx.node}: ${what} must be ${names} (an initializer, or the output of a quantizing node), got ${isHost(zp) ? zp.element ?? zp.dtype : `an ${zp.dtype} tensor`}`);
}

/** A float tensor of `v` (an integer tensor's values as floats) on `device`. */
export function floats(ctx: OpContext, v: Value, what: string, device: string): Tensor {
  return tensorOf(ctx, v, what, device).float();
}

/** A scale or zero point: a scalar, or one value per slice of `x` along `axis` (shaped to broadcast). */
export function perAxis(ctx: OpContext, v: Value | undefined, what: string, x: readonly number[], axis: number, device: string): Tensor | number {
  if (v === undefined) return 0;
  const t = floats(ctx, v, what, device);
  if (t.size === 1 && t.rank <= 1) return t.reshape([]);
  if (t.rank !== 1 || t.size !== x[axis]) throw new Error(`${ctx.node}: ${what} has shape [${t.shape}]; a scalar or one value per index of axis ${axis} (${x[axis]}) is needed`);
  return t.reshape(x.map((d, i) => (i === axis ? d : 1)));
}

/**
 * v + zp in `type`: integers rounded (ties to even) and clamped to the type's range, as an
 * int32 tensor; float8 and float4 rounded to the format (saturating unless `saturateFloats` is
 * false), as a float32 tensor of the values it holds.
 */
export function saturate(v: Tensor, zp: Tensor | number, type: Quantized, saturateFloats = true): Tensor {
  if (isMiniFloat(type)) return tagged(toMiniFloat(v.add(zp), type, saturateFloats), type);
  const [lo, hi] = INTEGER_RANGES[type];
  return tagged(tl.clamp(tl.round(v).add(zp), lo, hi).int(), type);
}

export function deviceOfAll(ctx: OpContext, inputs: readonly (Value | undefined)[]): string {
  for (const v of inputs) if (v !== undefined && !isHost(v)) return v.device;
  return ctx.device;
}

export function required(ctx: OpContext, v: Value | undefined, what: string): Value {
  if (v === undefined) throw new Error(`${ctx.node}: input ${what} is missing`);
  return v;
}

/** Per-tensor scales and zero points (QLinearMatMul's a and y, QLinearConv's x and y). */
export function scalar(ctx: OpContext, v: Value | undefined, what: string, device: string): Tensor {
  const t = floats(ctx, required(ctx, v, what), what, device);
  if (t.size !== 1) throw new Error(`${ctx.node}: ${what} must be a scalar, got shape [${t.shape}]`);
  return t.reshape([]);
}

/** The product accumulated from integers, then requantized: round(acc * (sa * sb / sy)) + zy, saturated. */
function requantize(ctx: OpContext, acc: Tensor, multiplier: Tensor, yScale: Value | undefined, yZero: Value | undefined, device: string): Tensor {
  const type = quantizedType(ctx, yZero, 'y_zero_point', 'uint8');
  return saturate(acc.mul(multiplier.div(scalar(ctx, yScale, 'y_scale', device))), yZero === undefined ? 0 : scalar(ctx, yZero, 'y_zero_point', device), type);
}

/** MatMulInteger's and QLinearMatMul's accumulation: (A - a0) @ (B - b0), a0 per row, b0 per column or scalars. */
export function integerMatmul(ctx: OpContext, a: Value, a0: Value | undefined, b: Value, b0: Value | undefined, device: string): Tensor {
  const A = floats(ctx, a, 'A', device);
  const B = floats(ctx, b, 'B', device);
  const rowZero = a0 === undefined ? 0 : perAxis(ctx, a0, 'a_zero_point', A.shape, A.rank - 2, device);
  const columnZero = b0 === undefined ? 0 : perAxis(ctx, b0, 'b_zero_point', B.shape, B.rank - 1, device);
  return tl.round(tl.matmul(A.sub(rowZero), B.sub(columnZero)));
}

/** ConvInteger's and QLinearConv's accumulation: conv(x - x0, w - w0) (+ bias), w0 per output channel. */
function integerConv(ctx: OpContext, x: Value, x0: Value | undefined, w: Value, w0: Value | undefined, bias: Value | undefined, attrs: Parameters<OpSpec['run']>[2], device: string): Tensor {
  const input = floats(ctx, x, 'x', device);
  const weight = floats(ctx, w, 'w', device);
  const inputZero = x0 === undefined ? 0 : scalar(ctx, x0, 'x_zero_point', device);
  const weightZero = w0 === undefined ? 0 : perAxis(ctx, w0, 'w_zero_point', weight.shape, 0, device);
  // Padding with zeros after subtracting x0 is padding x with x0, as onnxruntime does.
  const [acc] = conv(ctx, [input.sub(inputZero), weight.sub(weightZero), bias === undefined ? undefined : floats(ctx, bias, 'B', device)], attrs);
  return tl.round(acc as Tensor);
}

const CONV_ATTRIBUTES = ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'];

/**
 * A blocked scale or zero point (opset 21): the shape of `x` but for `axis`, which holds one
 * value per block of `block` elements (the last block may be shorter), repeated over its block.
 */
function perBlock(ctx: OpContext, v: Value | undefined, what: string, x: readonly number[], axis: number, block: number, device: string): Tensor | number {
  if (v === undefined) return 0;
  const t = floats(ctx, v, what, device);
  const d = x[axis]!;
  const blocks = t.shape[axis] ?? 0;
  const fits = t.rank === x.length && t.shape.every((n, i) => i === axis || n === x[i]);
  // The spec's accepted range of block sizes for S blocks: [ceil(D / S), ceil(D / (S - 1)) - 1].
  if (!fits || blocks < 1 || block < Math.ceil(d / blocks) || (blocks > 1 && block > Math.ceil(d / (blocks - 1)) - 1)) {
    throw new Error(`${ctx.node}: ${what} has shape [${t.shape}]; blocks of ${block} along axis ${axis} of x [${x}] need [${x.map((n, i) => (i === axis ? Math.ceil(n / block) : n))}]`);
  }
  return tl.narrow(tl.repeatInterleave(t, block, axis), axis, 0, d);
}

/** QuantizeLinear's and DequantizeLinear's operands: x as floats, and its scale and zero point per tensor, per `axis` or per block. */
function linearOperands(ctx: OpContext, [x, scale, zp]: (Value | undefined)[], attrs: Attributes, prefix: 'x' | 'y'): { t: Tensor; scale: Tensor | number; zero: Tensor | number } {
  const device = deviceOfAll(ctx, [x, scale, zp]);
  const t = floats(ctx, required(ctx, x, 'x'), 'x', device);
  const block = attrNumber(attrs, 'block_size', 0);
  // A 1-D x is quantized per tensor unless blocked: its default axis 1 does not apply.
  const axis = t.rank <= 1 && block === 0 ? 0 : axisOf(ctx, attrNumber(attrs, 'axis', 1), Math.max(t.rank, 1));
  const per = (v: Value | undefined, what: string) => (block > 0 ? perBlock(ctx, v, what, t.shape, axis, block, device) : perAxis(ctx, v, what, t.shape, axis, device));
  return { t, scale: per(required(ctx, scale, `${prefix}_scale`), `${prefix}_scale`), zero: per(zp, `${prefix}_zero_point`) };
}

/** The opset that added each attribute of QuantizeLinear and DequantizeLinear: a file whose opset predates one is refused. */
const LINEAR_ATTRIBUTES_SINCE = {
  QuantizeLinear: { axis: 13, saturate: 19, block_size: 21, output_dtype: 21, precision: 23 } as Record<string, number>,
  DequantizeLinear: { axis: 13, block_size: 21, output_dtype: 23 } as Record<string, number>,
};

function linearCheck(op: 'QuantizeLinear' | 'DequantizeLinear') {
  const since = LINEAR_ATTRIBUTES_SINCE[op];
  return (attrs: Attributes, opset: number): string[] => {
    const problems = Object.keys(attrs).filter((k) => opset < since[k]!).map((k) => `attribute ${k} is ${op}-${since[k]}'s (the model's opset is ${opset})`);
    const block = attrs.block_size;
    if (block !== undefined && !(Number.isInteger(block) && (block as number) >= 0)) problems.push(`block_size ${block} must be a non-negative integer`);
    const to = attrs.output_dtype;
    if (to !== undefined && to !== 0) {
      const name = ELEMENT_TYPES[to as number];
      const wanted = op === 'QuantizeLinear' ? LINEAR_TYPES : ['float32', 'float16', 'bfloat16'];
      if (!name || !(wanted as readonly string[]).includes(name)) problems.push(`output_dtype ${to} (${name ?? 'unknown'}) is not one of ${wanted.join(', ')}`);
    }
    // The division is in float32 here, which is what precision 0 (y_scale's float type) and 1 ask for.
    if (attrs.precision !== undefined && attrs.precision !== 0 && attrs.precision !== 1) problems.push(`precision ${attrs.precision} is not supported (x / y_scale is computed in float32)`);
    return problems;
  };
}

export const quantizeOps: Record<string, OpSpec> = {
  QuantizeLinear: {
    attributes: ['axis', 'saturate', 'block_size', 'output_dtype', 'precision'],
    check: linearCheck('QuantizeLinear'),
    run(ctx, inputs, attrs) {
      const code = attrNumber(attrs, 'output_dtype', 0);
      const requested = code ? (ELEMENT_TYPES[code] as Quantized) : null;
      const type = quantizedType(ctx, inputs[2], 'y_zero_point', requested ?? 'uint8', LINEAR_TYPES);
      if (requested && type !== requested) throw new Error(`${ctx.node}: output_dtype ${requested} differs from y_zero_point's type ${type}`);
      const { t, scale, zero } = linearOperands(ctx, inputs, attrs, 'y');
      return one(saturate(t.div(scale), zero, type, attrNumber(attrs, 'saturate', 1) !== 0));
    },
  },
  DequantizeLinear: {
    // output_dtype picks float32, float16 or bfloat16, all of which are computed in float32 here.
    attributes: ['axis', 'block_size', 'output_dtype'],
    check: linearCheck('DequantizeLinear'),
    run(ctx, inputs, attrs) {
      const { t, scale, zero } = linearOperands(ctx, inputs, attrs, 'x');
      return one(t.sub(zero).mul(scale));
    },
  },
  DynamicQuantizeLinear: {
    attributes: [],
    outputs: 3,
    run(ctx, [x]) {
      const t = floats(ctx, required(ctx, x, 'x'), 'x', deviceOfAll(ctx, [x]));
      // The range always holds 0, so that 0 quantizes exactly; an all-zero input gets scale 0 and zero point 0.
      const lo = tl.minimum(t.min(), 0);
      const hi = tl.maximum(t.max(), 0);
      const scale = hi.sub(lo).div(255);
      const safe = tl.where(scale.eq(0), 1, scale);
      const zp = tl.round(tl.clamp(lo.neg().div(safe), 0, 255));
      return [saturate(t.div(safe), zp, 'uint8'), scale, tagged(zp.int(), 'uint8')];
    },
  },
  MatMulInteger: {
    attributes: [],
    run(ctx, [a, b, a0, b0]) {
      const device = deviceOfAll(ctx, [a, b, a0, b0]);
      return one(integerMatmul(ctx, required(ctx, a, 'A'), a0, required(ctx, b, 'B'), b0, device).int());
    },
  },
  ConvInteger: {
    attributes: CONV_ATTRIBUTES,
    check: spatialCheck,
    run(ctx, [x, w, x0, w0], attrs) {
      const device = deviceOfAll(ctx, [x, w, x0, w0]);
      return one(integerConv(ctx, required(ctx, x, 'x'), x0, required(ctx, w, 'w'), w0, undefined, attrs, device).int());
    },
  },
  QLinearMatMul: {
    attributes: [],
    run(ctx, [a, aScale, a0, b, bScale, b0, yScale, y0]) {
      const device = deviceOfAll(ctx, [a, b]);
      const acc = integerMatmul(ctx, required(ctx, a, 'a'), a0, required(ctx, b, 'b'), b0, device);
      const B = shapeOf(required(ctx, b, 'b'));
      const multiplier = scalar(ctx, aScale, 'a_scale', device).mul(perAxis(ctx, required(ctx, bScale, 'b_scale'), 'b_scale', B, B.length - 1, device));
      return one(requantize(ctx, acc, multiplier, yScale, y0, device));
    },
  },
  QLinearConv: {
    attributes: CONV_ATTRIBUTES,
    check: spatialCheck,
    run(ctx, [x, xScale, x0, w, wScale, w0, yScale, y0, bias], attrs) {
      const device = deviceOfAll(ctx, [x, w]);
      const acc = integerConv(ctx, required(ctx, x, 'x'), x0, required(ctx, w, 'w'), w0, bias, attrs, device);
      // The weight scale per output channel, which is axis 1 of the result.
      const channels = perAxis(ctx, required(ctx, wScale, 'w_scale'), 'w_scale', [shapeOf(required(ctx, w, 'w'))[0]!], 0, device);
      const perChannel = typeof channels === 'number' ? channels : channels.reshape([1, -1, ...acc.shape.slice(2).map(() => 1)]);
      return one(requantize(ctx, acc, scalar(ctx, xScale, 'x_scale', device).mul(perChannel), yScale, y0, device));
    },
  },
};
