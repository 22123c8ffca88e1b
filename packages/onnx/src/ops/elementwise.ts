// Elementwise ONNX operators. Each runs on the host when all its inputs are host values
// (shape arithmetic), and as the Tensile op otherwise.
import type { Tensor } from '@tensile/core';
import { Host, type HostDType, type Value, broadcastData, broadcastShapes, isHost, isIntegerDType } from '../value.js';
import { functional as F } from '@tensile/nn';
import { type Attributes, type OpContext, type OpSpec, attrNumber, hostOf, one, only, tensorOf, tensorsOf, tl, deviceOf } from './context.js';

type HostFn = (a: number, b: number) => number;

function binary(tensorFn: (a: Tensor, b: Tensor) => Tensor, hostFn: HostFn, resultDType?: HostDType): OpSpec {
  return {
    attributes: [],
    run(ctx, [a, b]) {
      if (isHost(a) && isHost(b)) {
        const shape = broadcastShapes(a.shape, b.shape);
        if (!shape) throw new Error(`${ctx.node}: shapes [${a.shape}] and [${b.shape}] do not broadcast`);
        const x = broadcastData(a, shape);
        const y = broadcastData(b, shape);
        const integer = isIntegerDType(a.dtype);
        const out = x.map((v, i) => {
          const r = hostFn(v, y[i]!);
          return integer && resultDType === undefined ? Math.trunc(r) : r;
        });
        return one(new Host(resultDType ?? a.dtype, shape, resultDType === undefined && a.dtype === 'float32' ? Float32Array.from(out) : out));
      }
      const [x, y] = tensorsOf(ctx, [a, b]);
      return one(tensorFn(x!, y!));
    },
  };
}

function isIntTensor(t: Tensor): boolean {
  return t.dtype === 'int32';
}

function unary(tensorFn: (x: Tensor) => Tensor, hostFn?: (v: number) => number): OpSpec {
  return {
    attributes: [],
    run(ctx, [x]) {
      if (hostFn && isHost(x)) return one(new Host(x.dtype, x.shape, Array.from(x.data, hostFn)));
      return one(tensorFn(tensorOf(ctx, x, 'X')));
    },
  };
}

/** A unary op with float attributes read by name, with their ONNX defaults. */
function unaryWith(attributes: Record<string, number>, fn: (x: Tensor, a: Record<string, number>) => Tensor): OpSpec {
  return {
    attributes: Object.keys(attributes),
    run(ctx, [x], attrs) {
      const values = Object.fromEntries(Object.entries(attributes).map(([k, d]) => [k, attrNumber(attrs, k, d)]));
      return one(fn(tensorOf(ctx, x, 'X'), values));
    },
  };
}

/** Max, Min, Sum, Mean: variadic with broadcasting. */
function variadic(fn: (a: Tensor, b: Tensor) => Tensor, divideByCount = false): OpSpec {
  return {
    attributes: [],
    run(ctx, inputs) {
      const ts = tensorsOf(ctx, inputs);
      let acc = ts[0]!;
      for (const t of ts.slice(1)) acc = fn(acc, t);
      return one(divideByCount ? acc.div(ts.length) : acc);
    },
  };
}

const cmp = (f: (a: number, b: number) => boolean): HostFn => (a, b) => (f(a, b) ? 1 : 0);

// Mod: fmod 0 is Python's % (the divisor's sign), fmod 1 is C's fmod (the dividend's sign).
const remainder = binary((a, b) => tl.remainder(a, b), (a, b) => {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
});
const fmod = binary((a, b) => tl.fmod(a, b), (a, b) => a % b);

/** Refuse a float or bool input of a bitwise op. */
function checkInteger(ctx: OpContext, v: Value | undefined, what: string): void {
  if (v !== undefined && !isIntegerDType(v.dtype)) throw new Error(`${ctx.node}: input ${what} is ${v.dtype}; bitwise operators take integers`);
}

/** A host result in `dtype`'s bits: uint8 wraps to 8 bits, int8 to signed 8 bits; wider types keep the value. */
function wrapped(dtype: HostDType, v: bigint): number {
  return Number(dtype === 'uint8' ? BigInt.asUintN(8, v) : dtype === 'int8' ? BigInt.asIntN(8, v) : BigInt.asIntN(64, v));
}

type BigFn = (ctx: OpContext, a: bigint, b: bigint, dtype: HostDType) => bigint;

/**
 * A bitwise op: Tensile's int32 op on tensors; on host values (int64 shape arithmetic) through
 * BigInt, so that all 64 bits count.
 */
function bitwise(tensorFn: (a: Tensor, b: Tensor) => Tensor, hostFn: BigFn, names = ['A', 'B']): OpSpec {
  return {
    attributes: [],
    run(ctx, [p, q]) {
      checkInteger(ctx, p, names[0]!);
      checkInteger(ctx, q, names[1]!);
      if (!isHost(p) || !isHost(q)) return one(tensorFn(...(tensorsOf(ctx, [p, q]) as [Tensor, Tensor])));
      const shape = broadcastShapes(p.shape, q.shape);
      if (!shape) throw new Error(`${ctx.node}: shapes [${p.shape}] and [${q.shape}] do not broadcast`);
      const b = broadcastData(q, shape);
      return one(new Host(p.dtype, shape, broadcastData(p, shape).map((v, i) => wrapped(p.dtype, hostFn(ctx, BigInt(v), BigInt(b[i]!), p.dtype)))));
    },
  };
}

/** BitShift's directions. On the host: unsigned values, counts within the type's bits. */
const shift = (left: boolean): OpSpec => bitwise(left ? tl.bitwiseLeftShift : tl.bitwiseRightShift, (ctx, v, s, dtype) => {
  const bits = dtype === 'uint8' || dtype === 'int8' ? 8 : 64;
  if (v < 0n) throw new Error(`${ctx.node}: X holds ${v}; BitShift shifts unsigned values`);
  if (s < 0n || s >= bits) throw new Error(`${ctx.node}: a shift of ${s} is outside [0, ${bits - 1}]`);
  return left ? v << s : v >> s;
}, ['X', 'Y']);
const SHIFTS: Record<string, OpSpec> = { LEFT: shift(true), RIGHT: shift(false) };

/**
 * BitShift. ONNX's is for unsigned types, which Tensile holds as integers: the results are
 * onnxruntime's for uint8, uint32 and uint64 values that fit (host uint8 values wrap, as
 * there). Tensors shift as int32: a constant count must lie in [0, 31].
 */
function bitShift(ctx: OpContext, inputs: (Value | undefined)[], attrs: Attributes): Value[] {
  const [x, y] = inputs;
  // Checked here, where a device shift would take the count modulo 32.
  if (isHost(y) && !isHost(x)) for (const s of Array.from(y.data)) if (s < 0 || s > 31) throw new Error(`${ctx.node}: a shift of ${s} is outside [0, 31] for int32 tensors`);
  return SHIFTS[attrs.direction as string]!.run(ctx, inputs, {});
}

const isFloat = (v: Value | undefined): boolean => v !== undefined && (isHost(v) ? v.dtype === 'float32' : v.dtype === 'float32' || v.dtype === 'float16');

export const elementwiseOps: Record<string, OpSpec> = {
  Add: binary((a, b) => a.add(b), (a, b) => a + b),
  Sub: binary((a, b) => a.sub(b), (a, b) => a - b),
  Mul: binary((a, b) => a.mul(b), (a, b) => a * b),
  // ONNX integer division truncates, as C.
  Div: binary((a, b) => (isIntTensor(a) ? tl.div(a, b, { roundingMode: 'trunc' }) : a.div(b)), (a, b) => a / b),
  Pow: {
    attributes: [],
    run(ctx, [a, b]) {
      const x = tensorOf(ctx, a, 'X', deviceOf(ctx, [a, b]));
      // A host scalar exponent (x ** 2 in LayerNorm patterns) keeps pow's number form.
      if (isHost(b) && b.size === 1) return one(x.pow(b.data[0]!));
      return one(x.pow(tensorOf(ctx, b, 'Y', x.device)));
    },
  },
  Equal: binary((a, b) => a.eq(b), cmp((a, b) => a === b), 'bool'),
  Less: binary((a, b) => a.lt(b), cmp((a, b) => a < b), 'bool'),
  LessOrEqual: binary((a, b) => a.le(b), cmp((a, b) => a <= b), 'bool'),
  Greater: binary((a, b) => a.gt(b), cmp((a, b) => a > b), 'bool'),
  GreaterOrEqual: binary((a, b) => a.ge(b), cmp((a, b) => a >= b), 'bool'),
  And: binary((a, b) => tl.logicalAnd(a, b), (a, b) => (a && b ? 1 : 0), 'bool'),
  Or: binary((a, b) => tl.logicalOr(a, b), (a, b) => (a || b ? 1 : 0), 'bool'),
  Xor: binary((a, b) => tl.logicalXor(a, b), (a, b) => (!a !== !b ? 1 : 0), 'bool'),
  Mod: {
    attributes: ['fmod'],
    check: (attrs) => only(attrs, 'fmod', [0, 1]),
    run(ctx, inputs, attrs) {
      if (attrNumber(attrs, 'fmod', 0) === 1) return fmod.run(ctx, inputs, attrs);
      // As onnxruntime: the integer mod is not defined on floats.
      if (inputs.some(isFloat)) throw new Error(`${ctx.node}: attribute fmod=0 (integer mod) needs integer inputs; float inputs need fmod=1`);
      return remainder.run(ctx, inputs, attrs);
    },
  },
  Not: unary((x) => tl.logicalNot(x), (v) => (v ? 0 : 1)),
  BitwiseAnd: bitwise(tl.bitwiseAnd, (_, a, b) => a & b),
  BitwiseOr: bitwise(tl.bitwiseOr, (_, a, b) => a | b),
  BitwiseXor: bitwise(tl.bitwiseXor, (_, a, b) => a ^ b),
  BitwiseNot: {
    attributes: [],
    run(ctx, [x]) {
      checkInteger(ctx, x, 'X');
      if (isHost(x)) return one(new Host(x.dtype, x.shape, Array.from(x.data, (v) => wrapped(x.dtype, ~BigInt(v)))));
      return one(tl.bitwiseNot(tensorOf(ctx, x, 'X')));
    },
  },
  BitShift: {
    attributes: ['direction'],
    check: (attrs) => (attrs.direction === undefined ? ['attribute direction is missing'] : only(attrs, 'direction', ['LEFT', 'RIGHT'])),
    run: bitShift,
  },
  Max: variadic((a, b) => tl.maximum(a, b)),
  Min: variadic((a, b) => tl.minimum(a, b)),
  Sum: variadic((a, b) => a.add(b)),
  Mean: variadic((a, b) => a.add(b), true),
  Neg: unary((x) => x.neg(), (v) => -v),
  Abs: unary((x) => x.abs(), Math.abs),
  Sign: unary((x) => tl.sign(x), Math.sign),
  Sqrt: unary((x) => x.sqrt(), Math.sqrt),
  Exp: unary((x) => x.exp()),
  Log: unary((x) => x.log()),
  Reciprocal: unary((x) => tl.reciprocal(x)),
  Floor: unary((x) => tl.floor(x), Math.floor),
  Ceil: unary((x) => tl.ceil(x), Math.ceil),
  // Half to even, as ONNX.
  Round: unary((x) => tl.round(x)),
  IsNaN: unary((x) => tl.isnan(x)),
  IsInf: unaryWith({ detect_negative: 1, detect_positive: 1 }, (x, a) => {
    if (a.detect_negative && a.detect_positive) return tl.isinf(x);
    if (a.detect_negative) return tl.isneginf(x);
    if (a.detect_positive) return tl.isposinf(x);
    return tl.full(x.shape, false, { dtype: 'bool', device: x.device });
  }),
  Erf: unary((x) => tl.erf(x)),
  Tanh: unary((x) => x.tanh()),
  Sigmoid: unary((x) => x.sigmoid()),
  Relu: unary((x) => x.relu()),
  Sin: unary((x) => tl.sin(x)),
  Cos: unary((x) => tl.cos(x)),
  Tan: unary((x) => tl.tan(x)),
  Asin: unary((x) => tl.asin(x)),
  Acos: unary((x) => tl.acos(x)),
  Atan: unary((x) => tl.atan(x)),
  Sinh: unary((x) => tl.sinh(x)),
  Cosh: unary((x) => tl.cosh(x)),
  Asinh: unary((x) => tl.asinh(x)),
  Acosh: unary((x) => tl.acosh(x)),
  Atanh: unary((x) => tl.atanh(x)),
  Softsign: unary((x) => x.div(x.abs().add(1))),
  Softplus: unary((x) => tl.softplus(x)),
  Mish: unary((x) => F.mish(x)),
  LeakyRelu: unaryWith({ alpha: 0.01 }, (x, a) => tl.leakyRelu(x, a.alpha!)),
  Elu: unaryWith({ alpha: 1 }, (x, a) => tl.where(x.gt(0), x, tl.expm1(x).mul(a.alpha!))),
  // ONNX's defaults are these float32 values of SELU's constants.
  Selu: unaryWith({ alpha: 1.67326319217681884765625, gamma: 1.05070102214813232421875 }, (x, a) => tl.where(x.gt(0), x, tl.expm1(x).mul(a.alpha!)).mul(a.gamma!)),
  Celu: unaryWith({ alpha: 1 }, (x, a) => tl.where(x.gt(0), x, tl.expm1(x.div(a.alpha!)).mul(a.alpha!))),
  ThresholdedRelu: unaryWith({ alpha: 1 }, (x, a) => tl.where(x.gt(a.alpha!), x, 0)),
  PRelu: {
    attributes: [],
    run(ctx, [a, b]) {
      const [x, slope] = tensorsOf(ctx, [a, b]) as [Tensor, Tensor];
      // Unidirectional broadcasting: slope takes X's shape, X never takes slope's.
      const shape = broadcastShapes(x.shape, slope.shape);
      if (!shape || !tl.shapesEqual(shape, x.shape)) throw new Error(`${ctx.node}: slope of shape [${slope.shape}] does not broadcast to X's shape [${x.shape}]`);
      return one(tl.where(x.lt(0), x.mul(slope), x));
    },
  },
  Shrink: unaryWith({ bias: 0, lambd: 0.5 }, (x, a) => tl.where(x.lt(-a.lambd!), x.add(a.bias!), tl.where(x.gt(a.lambd!), x.sub(a.bias!), 0))),
  HardSigmoid: unaryWith({ alpha: 0.2, beta: 0.5 }, (x, a) => tl.clamp(x.mul(a.alpha!).add(a.beta!), 0, 1)),
  HardSwish: unary((x) => x.mul(tl.clamp(x.div(6).add(0.5), 0, 1))),
  // Opset 24: x · sigmoid(alpha x).
  Swish: unaryWith({ alpha: 1 }, (x, a) => x.mul(x.mul(a.alpha!).sigmoid())),
  Gelu: {
    attributes: ['approximate'],
    check: (attrs) => (attrs.approximate !== undefined && attrs.approximate !== 'none' && attrs.approximate !== 'tanh' ? [`approximate='${attrs.approximate}' is not 'none' or 'tanh'`] : []),
    run: (ctx, [x], attrs) => one(tl.gelu(tensorOf(ctx, x, 'X'), attrs.approximate === 'tanh' ? 'tanh' : 'none')),
  },
  Clip: {
    // Opset 6 has min and max attributes; from opset 11 they are optional inputs.
    attributes: ['min', 'max'],
    run(ctx, [x, lo, hi], attrs) {
      const bound = (v: typeof lo, name: 'min' | 'max'): number | undefined => {
        if (v !== undefined) return hostOf(ctx, v, name).data[0];
        const a = attrs[name];
        return typeof a === 'number' ? a : undefined;
      };
      return one(tl.clamp(tensorOf(ctx, x, 'input'), bound(lo, 'min') ?? null, bound(hi, 'max') ?? null));
    },
  },
  Where: {
    attributes: [],
    run(ctx, [c, a, b]) {
      if (isHost(c) && isHost(a) && isHost(b)) {
        const shape = broadcastShapes(broadcastShapes(c.shape, a.shape) ?? [], b.shape);
        if (!shape) throw new Error(`${ctx.node}: shapes [${c.shape}], [${a.shape}], [${b.shape}] do not broadcast`);
        const [cc, aa, bb] = [c, a, b].map((h) => broadcastData(h, shape));
        return one(new Host(a.dtype, shape, cc!.map((v, i) => (v ? aa![i]! : bb![i]!))));
      }
      const [cond, x, y] = tensorsOf(ctx, [c, a, b]);
      return one(tl.where(cond!, x!, y!));
    },
  },
};
