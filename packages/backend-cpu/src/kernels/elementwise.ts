/**
 * Elementwise kernels: unary, binary, where, cast, copy, fill.
 *
 * Each op is one small "row kernel" that runs a tight loop along a strided row; a
 * {@link RowIterator} hands it the rows. The op is chosen once per call by an exhaustive
 * switch, so the hot loop holds no dispatch and no per-element function call, and a new op
 * in the contract fails to compile here until it has a loop.
 *
 * Stores into typed arrays do the dtype work: an Int32Array store wraps modulo 2^32
 * (two's complement, as PyTorch's int32) and truncates toward zero; a Float32Array store
 * rounds to nearest. Only products (Math.imul) and conversions to bool need care.
 */
import {
  scalarMath, type BinaryComposite, type BinaryPrimitive, type TensorView, type UnaryComposite, type UnaryPrimitive,
} from '@tensile/core';
import { dataOf, type HostArray } from '../buffer.js';
import { RowIterator } from '../strided.js';
import { cached } from './cached.js';

const {
  erf, floorDivide, floorDivideInt32, fmod, fmodInt32, powInt32, remainder, remainderInt32, roundHalfEven, sigmoid, sign,
} = scalarMath;

/** The op table's composite unary ops this backend runs as kernels (the rest run as composites). */
export const ACCELERATED_UNARY = ['rsqrt', 'reciprocal', 'sigmoid', 'relu'] as const satisfies readonly UnaryComposite[];
/** The unary ops this backend has a row kernel for: every primitive, and the accelerated composites. */
export type CpuUnaryOp = UnaryPrimitive | (typeof ACCELERATED_UNARY)[number];
export const ACCELERATED_BINARY = [] as const satisfies readonly BinaryComposite[];
export type CpuBinaryOp = BinaryPrimitive | (typeof ACCELERATED_BINARY)[number];

type UnaryRow = (x: HostArray, ix: number, sx: number, o: HostArray, io: number, so: number, n: number) => void;

const unaryRow = cached((op: CpuUnaryOp): UnaryRow => {
  switch (op) {
    case 'neg':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = -x[ix]; };
    case 'abs':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = Math.abs(x[ix]); };
    case 'sign':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = sign(x[ix]); };
    case 'exp':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = Math.exp(x[ix]); };
    case 'expm1':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = Math.expm1(x[ix]); };
    case 'log':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = Math.log(x[ix]); };
    case 'log1p':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = Math.log1p(x[ix]); };
    case 'sqrt':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = Math.sqrt(x[ix]); };
    case 'rsqrt':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = 1 / Math.sqrt(x[ix]); };
    case 'reciprocal':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = 1 / x[ix]; };
    case 'sin':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = Math.sin(x[ix]); };
    case 'cos':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = Math.cos(x[ix]); };
    case 'tanh':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = Math.tanh(x[ix]); };
    case 'sigmoid':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = sigmoid(x[ix]); };
    case 'relu':
      // `v < 0 ? 0 : v` keeps NaN, as torch.relu does.
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) { const v = x[ix]; o[io] = v < 0 ? 0 : v; } };
    case 'erf':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = erf(x[ix]); };
    case 'floor':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = Math.floor(x[ix]); };
    case 'ceil':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = Math.ceil(x[ix]); };
    case 'round':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = roundHalfEven(x[ix]); };
    case 'logicalNot':
      return (x, ix, sx, o, io, so, n) => { for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = x[ix] === 0 ? 1 : 0; };
    default:
      throw new Error(`cpu backend: unknown unary op '${op satisfies never}'`);
  }
});

/** `op` on `x` (a dtype the op table sends to its kernel: core applies the dtype rules first). */
export function unary(op: CpuUnaryOp, x: TensorView, out: TensorView): void {
  runRows(unaryRow(op), x, out);
}

type BinaryRow = (
  a: HostArray, ia: number, sa: number, b: HostArray, ib: number, sb: number,
  o: HostArray, io: number, so: number, n: number,
) => void;

/** Row kernel of `op`; `int` picks the exact int32 product. */
const binaryRow = cached((key: `${CpuBinaryOp}:${'int' | 'float'}`): BinaryRow => {
  const [op, kind] = key.split(':') as [CpuBinaryOp, 'int' | 'float'];
  const intProduct = kind === 'int';
  switch (op) {
    case 'add':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] + b[ib]; };
    case 'sub':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] - b[ib]; };
    case 'mul':
      // A product of two int32 can exceed 2^53, where doubles lose the low bits; Math.imul wraps exactly.
      return intProduct
        ? (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = Math.imul(a[ia], b[ib]); }
        : (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] * b[ib]; };
    case 'div':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] / b[ib]; };
    case 'pow':
      // int32 powers wrap modulo 2^32 (as PyTorch's); a float pow would lose the low bits past 2^53.
      return intProduct
        ? (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = powInt32(a[ia], b[ib]); }
        : (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = Math.pow(a[ia], b[ib]); };
    case 'maximum':
      // A NaN in either operand wins, as torch.maximum/minimum.
      return (a, ia, sa, b, ib, sb, o, io, so, n) => {
        for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) { const x = a[ia], y = b[ib]; o[io] = x > y || x !== x ? x : y; }
      };
    case 'minimum':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => {
        for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) { const x = a[ia], y = b[ib]; o[io] = x < y || x !== x ? x : y; }
      };
    case 'eq':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] === b[ib] ? 1 : 0; };
    case 'ne':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] !== b[ib] ? 1 : 0; };
    case 'lt':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] < b[ib] ? 1 : 0; };
    case 'le':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] <= b[ib] ? 1 : 0; };
    case 'gt':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] > b[ib] ? 1 : 0; };
    case 'ge':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] >= b[ib] ? 1 : 0; };
    case 'logicalAnd':
      // NaN is truthy (NaN != 0), as in PyTorch.
      return (a, ia, sa, b, ib, sb, o, io, so, n) => {
        for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] !== 0 && b[ib] !== 0 ? 1 : 0;
      };
    case 'logicalOr':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => {
        for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] !== 0 || b[ib] !== 0 ? 1 : 0;
      };
    // Division families: int32 kernels give 0 for a zero divisor (core raises before, where it can read it).
    case 'remainder':
      return intProduct
        ? (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = remainderInt32(a[ia], b[ib]); }
        : (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = remainder(a[ia], b[ib]); };
    case 'fmod':
      return intProduct
        ? (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = fmodInt32(a[ia], b[ib]); }
        : (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = fmod(a[ia], b[ib]); };
    case 'floorDivide':
      return intProduct
        ? (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = floorDivideInt32(a[ia], b[ib]); }
        : (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = floorDivide(a[ia], b[ib]); };
    // int32 and bool (0/1) operands; JS shifts take the count modulo 32, as the op table says.
    case 'bitwiseAnd':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] & b[ib]; };
    case 'bitwiseOr':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] | b[ib]; };
    case 'bitwiseXor':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] ^ b[ib]; };
    case 'bitwiseLeftShift':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] << b[ib]; };
    case 'bitwiseRightShift':
      return (a, ia, sa, b, ib, sb, o, io, so, n) => { for (let i = 0; i < n; i++, ia += sa, ib += sb, io += so) o[io] = a[ia] >> b[ib]; };
    default:
      throw new Error(`cpu backend: unknown binary op '${op satisfies never}'`);
  }
});

export function binary(op: CpuBinaryOp, a: TensorView, b: TensorView, out: TensorView): void {
  const kernel = binaryRow(`${op}:${out.dtype === 'int32' ? 'int' : 'float'}`);
  const ad = dataOf(a);
  const bd = dataOf(b);
  const od = dataOf(out);
  const it = new RowIterator(out.shape, [a.strides, b.strides, out.strides], [a.offset, b.offset, out.offset]);
  const [sa, sb, so] = it.innerStrides;
  const offsets = it.offsets;
  for (let r = 0; r < it.rows; r++, it.next()) {
    kernel(ad, offsets[0], sa, bd, offsets[1], sb, od, offsets[2], so, it.rowLength);
  }
}

export function where(cond: TensorView, a: TensorView, b: TensorView, out: TensorView): void {
  const cd = dataOf(cond);
  const ad = dataOf(a);
  const bd = dataOf(b);
  const od = dataOf(out);
  const it = new RowIterator(
    out.shape,
    [cond.strides, a.strides, b.strides, out.strides],
    [cond.offset, a.offset, b.offset, out.offset],
  );
  const [sc, sa, sb, so] = it.innerStrides;
  const n = it.rowLength;
  for (let r = 0; r < it.rows; r++, it.next()) {
    let [ic, ia, ib, io] = it.offsets;
    for (let i = 0; i < n; i++, ic += sc, ia += sa, ib += sb, io += so) od[io] = cd[ic] !== 0 ? ad[ia] : bd[ib];
  }
}

const copyRow: UnaryRow = (x, ix, sx, o, io, so, n) => {
  if (sx === 1 && so === 1) {
    o.set(x.subarray(ix, ix + n), io);
  } else {
    for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = x[ix];
  }
};

const toBoolRow: UnaryRow = (x, ix, sx, o, io, so, n) => {
  for (let i = 0; i < n; i++, ix += sx, io += so) o[io] = x[ix] !== 0 ? 1 : 0;
};

/** Copy `x` into `out` (any strides on both sides) in row-major order of the shape. */
export function copy(x: TensorView, out: TensorView): void {
  if (x.dtype !== out.dtype) {
    throw new Error(`cpu backend: copy needs one dtype, got ${x.dtype} and ${out.dtype}; use cast`);
  }
  runRows(copyRow, x, out);
}

/**
 * Convert dtypes. The typed-array store already truncates float to int toward zero and
 * turns bool bytes into 0/1 numbers; only "to bool" needs its own `!= 0` loop.
 */
export function cast(x: TensorView, out: TensorView): void {
  // When both sides are float32/int32 of different kinds, `set` converts per element as a
  // store would, so copyRow serves casts between numeric types too.
  runRows(out.dtype === 'bool' && x.dtype !== 'bool' ? toBoolRow : copyRow, x, out);
}

/** Run a one-input row kernel over every row of `x` and `out` (unary ops, copy, cast). */
function runRows(kernel: UnaryRow, x: TensorView, out: TensorView): void {
  const xd = dataOf(x);
  const od = dataOf(out);
  const it = new RowIterator(out.shape, [x.strides, out.strides], [x.offset, out.offset]);
  const [sx, so] = it.innerStrides;
  for (let r = 0; r < it.rows; r++, it.next()) kernel(xd, it.offsets[0], sx, od, it.offsets[1], so, it.rowLength);
}

export function fill(out: TensorView, value: number): void {
  const od = dataOf(out);
  const v = out.dtype === 'bool' ? (value !== 0 ? 1 : 0) : value;
  const it = new RowIterator(out.shape, [out.strides], [out.offset]);
  const so = it.innerStrides[0];
  const n = it.rowLength;
  for (let r = 0; r < it.rows; r++, it.next()) {
    const start = it.offsets[0];
    if (so === 1) od.fill(v, start, start + n);
    else for (let i = 0, io = start; i < n; i++, io += so) od[io] = v;
  }
}
