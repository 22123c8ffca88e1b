// Linear quantization, as onnxruntime's quantizer writes it: QuantizeLinear and
// DequantizeLinear, DynamicQuantizeLinear, and the integer products MatMulInteger, ConvInteger,
// QLinearMatMul and QLinearConv. Quantized values are integers held in int32 tensors (uint8 and
// int8 initializers stay on the host as such); the products accumulate in float32, which is
// exact while a sum stays below 2^24 in magnitude (so over at least 256 terms of shifted values
// of at most 255 in magnitude).
import type { Tensor } from '@tensile/core';
import { isHost, type Value } from '../value.js';
import { conv, spatialCheck } from './network.js';
import { type Attributes, type OpContext, type OpSpec, attrNumber, axisOf, one, shapeOf, tensorOf, tl } from './context.js';

type Quantized = 'uint8' | 'int8';

const RANGE: Record<Quantized | 'int32', [number, number]> = { uint8: [0, 255], int8: [-128, 127], int32: [-2147483648, 2147483647] };

/** The element type of quantized tensors made here, which int32 tensors do not carry. */
const QUANTIZED = new WeakMap<Tensor, Quantized>();

function tagged(t: Tensor, type: Quantized): Tensor {
  QUANTIZED.set(t, type);
  return t;
}

/** The quantized type of a zero point: a uint8 or int8 initializer, or a tensor made by a quantizing op here. */
export function quantizedType(ctx: OpContext, zp: Value | undefined, what: string, fallback: Quantized | null): Quantized {
  if (zp === undefined) {
    if (fallback) return fallback;
    throw new Error(`${ctx.node}: input ${what} is missing`);
  }
  const type = isHost(zp) ? zp.dtype : QUANTIZED.get(zp);
  if (type === 'uint8' || type === 'int8') return type;
  throw new Error(`${ctx.node}: ${what} must be uint8 or int8 (an initializer, or the output of a quantizing node), got ${isHost(zp) ? zp.dtype : `an ${zp.dtype} tensor`}`);
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

/** round(v) + zp clamped to `type`'s range: the int32 tensor of quantized values. */
export function saturate(v: Tensor, zp: Tensor | number, type: Quantized): Tensor {
  const [lo, hi] = RANGE[type];
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

/** QuantizeLinear's and DequantizeLinear's operands: x as floats, and its scale and zero point shaped per `axis`. */
function linearOperands(ctx: OpContext, [x, scale, zp]: (Value | undefined)[], attrs: Attributes, prefix: 'x' | 'y'): { t: Tensor; scale: Tensor | number; zero: Tensor | number } {
  const device = deviceOfAll(ctx, [x, scale, zp]);
  const t = floats(ctx, required(ctx, x, 'x'), 'x', device);
  const axis = axisOf(ctx, attrNumber(attrs, 'axis', 1), Math.max(t.rank, 1));
  const per = (v: Value | undefined, what: string) => perAxis(ctx, v, what, t.shape, axis, device);
  return { t, scale: per(required(ctx, scale, `${prefix}_scale`), `${prefix}_scale`), zero: per(zp, `${prefix}_zero_point`) };
}

export const quantizeOps: Record<string, OpSpec> = {
  QuantizeLinear: {
    attributes: ['axis'],
    run(ctx, inputs, attrs) {
      const type = quantizedType(ctx, inputs[2], 'y_zero_point', 'uint8');
      const { t, scale, zero } = linearOperands(ctx, inputs, attrs, 'y');
      return one(saturate(t.div(scale), zero, type));
    },
  },
  DequantizeLinear: {
    attributes: ['axis'],
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
