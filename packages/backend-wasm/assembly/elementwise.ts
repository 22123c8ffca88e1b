// Elementwise kernels over strided views (see walk.ts). Strides are in bytes; a row whose
// views are contiguous (or an operand a single value) takes a v128 loop where the op has a
// SIMD form. The *_line_f32 kernels do one long line on several threads. Op and dtype codes
// come from generated/ops.ts; core applies the op table's dtype rules first, so each kernel
// sees only the ops and dtypes the table sends to it, and every switch over an op traps on
// any other (a missing case fails loudly instead of computing something else).
import {
  BINARY_ADD, BINARY_DIV, BINARY_EQ, BINARY_GE, BINARY_GT, BINARY_LE, BINARY_LOGICAL_AND, BINARY_LOGICAL_OR, BINARY_LT,
  BINARY_MAXIMUM, BINARY_MINIMUM, BINARY_MUL, BINARY_NE, BINARY_POW, BINARY_SUB,
  BINARY_REMAINDER, BINARY_FMOD, BINARY_FLOOR_DIVIDE, BINARY_BITWISE_AND, BINARY_BITWISE_OR, BINARY_BITWISE_XOR,
  BINARY_BITWISE_LEFT_SHIFT, BINARY_BITWISE_RIGHT_SHIFT,
  DTYPE_BOOL, DTYPE_FLOAT32, DTYPE_INT32,
  UNARY_ABS, UNARY_CEIL, UNARY_COS, UNARY_ERF, UNARY_EXP, UNARY_EXPM1, UNARY_FLOOR, UNARY_LOG, UNARY_LOG1P,
  UNARY_LOGICAL_NOT, UNARY_NEG, UNARY_RECIPROCAL, UNARY_RELU, UNARY_ROUND, UNARY_RSQRT, UNARY_SIGMOID, UNARY_SIGN,
  UNARY_SIN, UNARY_SQRT, UNARY_TANH,
} from './generated/ops';
import { innerStride, nextRow, ptrOf, rowCount, rowLength, startWalk } from './walk';
import { erf, expf4, expm1f4, log1pf4, logf4, sigmoid, sigmoidf4, sign, tanhf4, toInt32 } from './math';
import { claim } from './threads';

// ---- float32 unary ----------------------------------------------------------------------

// One class per op with a SIMD form, so that the generic loops below are compiled once per
// op. (Inlining a loop with a constant op number is not enough: Binaryen merges copies that
// differ only in that constant back into one loop with the switch inside.) The loops call
// apply() on changetype<Op>(0): no instance exists, and none is needed.
@final class Neg { @inline apply(v: v128): v128 { return f32x4.neg(v); } }
@final class Abs { @inline apply(v: v128): v128 { return f32x4.abs(v); } }
@final class Sqrt { @inline apply(v: v128): v128 { return f32x4.sqrt(v); } }
@final class Rsqrt { @inline apply(v: v128): v128 { return f32x4.div(f32x4.splat(1), f32x4.sqrt(v)); } }
@final class Recip { @inline apply(v: v128): v128 { return f32x4.div(f32x4.splat(1), v); } }
// pmax(v, 0) is v < 0 ? 0 : v lane by lane: NaN and -0 pass through, as in unaryScalarF32.
@final class Relu { @inline apply(v: v128): v128 { return f32x4.pmax(v, f32x4.splat(0)); } }
@final class Floor { @inline apply(v: v128): v128 { return f32x4.floor(v); } }
@final class Ceil { @inline apply(v: v128): v128 { return f32x4.ceil(v); } }
@final class Round { @inline apply(v: v128): v128 { return f32x4.nearest(v); } }
// Polynomial forms (math.ts), within 3e-7 relative of float64 over the whole float32 range.
@final class Exp { @inline apply(v: v128): v128 { return expf4(v); } }
@final class Sigmoid { @inline apply(v: v128): v128 { return sigmoidf4(v); } }
@final class Tanh { @inline apply(v: v128): v128 { return tanhf4(v); } }
@final class Expm1 { @inline apply(v: v128): v128 { return expm1f4(v); } }
@final class Log { @inline apply(v: v128): v128 { return logf4(v); } }
@final class Log1p { @inline apply(v: v128): v128 { return log1pf4(v); } }

/** Four vectors a step, then one; returns the elements done (the scalar loop does the rest). */
@inline function unaryLanes<Op>(px: usize, po: usize, n: i32): i32 {
  const op = changetype<Op>(0);
  let i = 0;
  for (; i + 16 <= n; i += 16, px += 64, po += 64) {
    const v0 = v128.load(px), v1 = v128.load(px, 16), v2 = v128.load(px, 32), v3 = v128.load(px, 48);
    v128.store(po, op.apply(v0));
    v128.store(po, op.apply(v1), 16);
    v128.store(po, op.apply(v2), 32);
    v128.store(po, op.apply(v3), 48);
  }
  for (; i + 4 <= n; i += 4, px += 16, po += 16) v128.store(po, op.apply(v128.load(px)));
  return i;
}

/** Elements of a contiguous row done in v128 loops (0 for ops without a SIMD form). */
function unaryVector(op: i32, px: usize, po: usize, n: i32): i32 {
  switch (op) {
    case UNARY_NEG: return unaryLanes<Neg>(px, po, n);
    case UNARY_ABS: return unaryLanes<Abs>(px, po, n);
    case UNARY_SQRT: return unaryLanes<Sqrt>(px, po, n);
    case UNARY_RSQRT: return unaryLanes<Rsqrt>(px, po, n);
    case UNARY_RECIPROCAL: return unaryLanes<Recip>(px, po, n);
    case UNARY_RELU: return unaryLanes<Relu>(px, po, n);
    case UNARY_FLOOR: return unaryLanes<Floor>(px, po, n);
    case UNARY_CEIL: return unaryLanes<Ceil>(px, po, n);
    case UNARY_ROUND: return unaryLanes<Round>(px, po, n);
    case UNARY_EXP: return unaryLanes<Exp>(px, po, n);
    case UNARY_SIGMOID: return unaryLanes<Sigmoid>(px, po, n);
    case UNARY_TANH: return unaryLanes<Tanh>(px, po, n);
    case UNARY_EXPM1: return unaryLanes<Expm1>(px, po, n);
    case UNARY_LOG: return unaryLanes<Log>(px, po, n);
    case UNARY_LOG1P: return unaryLanes<Log1p>(px, po, n);
    case UNARY_SIGN:
    case UNARY_SIN:
    case UNARY_COS:
    case UNARY_ERF: return 0;
    default: return unreachable();
  }
}

/**
 * One float32 element, computed in f64 and rounded, except that ops with a polynomial
 * vector form take lane 0 of it, so that an element's result does not depend on its layout
 * or place in the row.
 */
function unaryScalarF32(op: i32, x: f32): f32 {
  const v = <f64>x;
  switch (op) {
    case UNARY_NEG: return <f32>-v;
    case UNARY_ABS: return <f32>abs(v);
    case UNARY_SIGN: return <f32>sign(v);
    case UNARY_EXP: return f32x4.extract_lane(expf4(f32x4.splat(x)), 0);
    case UNARY_EXPM1: return f32x4.extract_lane(expm1f4(f32x4.splat(x)), 0);
    case UNARY_LOG: return f32x4.extract_lane(logf4(f32x4.splat(x)), 0);
    case UNARY_LOG1P: return f32x4.extract_lane(log1pf4(f32x4.splat(x)), 0);
    case UNARY_SQRT: return <f32>Math.sqrt(v);
    case UNARY_RSQRT: return <f32>(1 / Math.sqrt(v));
    case UNARY_RECIPROCAL: return <f32>(1 / v);
    case UNARY_SIN: return <f32>Math.sin(v);
    case UNARY_COS: return <f32>Math.cos(v);
    case UNARY_TANH: return f32x4.extract_lane(tanhf4(f32x4.splat(x)), 0);
    case UNARY_SIGMOID: return f32x4.extract_lane(sigmoidf4(f32x4.splat(x)), 0);
    case UNARY_RELU: return <f32>(v < 0 ? 0 : v);
    case UNARY_ERF: return <f32>erf(v);
    case UNARY_FLOOR: return <f32>floor(v);
    case UNARY_CEIL: return <f32>ceil(v);
    case UNARY_ROUND: return <f32>nearest(v);
    default: return unreachable();
  }
}

/** One row of n elements, sx / so bytes apart. */
function unaryRow(op: i32, px: usize, sx: usize, po: usize, so: usize, n: i32): void {
  let i = 0;
  if (op == UNARY_LOGICAL_NOT) {
    // The one unary op that writes bool.
    for (; i < n; i++, px += sx, po += so) store<u8>(po, load<f32>(px) == 0 ? 1 : 0);
    return;
  }
  if (sx == 4 && so == 4) {
    i = unaryVector(op, px, po, n);
    px += <usize>i << 2;
    po += <usize>i << 2;
  }
  for (; i < n; i++, px += sx, po += so) store<f32>(po, unaryScalarF32(op, load<f32>(px)));
}

/** float32 -> float32 (bool for logicalNot). */
export function unary_f32(op: i32, d: usize, x: usize, o: usize): void {
  const n = rowLength(d), rows = rowCount(d);
  const sx = <usize>innerStride(d, 0), so = <usize>innerStride(d, 1);
  startWalk(d, x, o, 0, 0);
  for (let r = 0; r < rows; r++) {
    unaryRow(op, ptrOf(d, 0), sx, ptrOf(d, 1), so, n);
    nextRow(d, 2);
  }
}

/**
 * Elements a thread claims at a time in the line kernels: small enough that a worker that
 * starts late still finds work, large enough that the shared counter costs nothing.
 */
const LINE_CHUNK = 1 << 15;

/** unary_f32 over one line of n elements (sx / so bytes apart), threads claiming chunks from `counter`. */
export function unary_line_f32(op: i32, x: usize, o: usize, n: i32, sx: i32, so: i32, counter: usize, tid: i32, nt: i32): void {
  const count = (n + LINE_CHUNK - 1) / LINE_CHUNK;
  for (let c = claim(counter); c < count; c = claim(counter)) {
    const lo = <usize>(c * LINE_CHUNK);
    unaryRow(op, x + lo * <usize>sx, <usize>sx, o + lo * <usize>so, <usize>so, min(LINE_CHUNK, n - <i32>lo));
  }
}

// ---- float32 binary ---------------------------------------------------------------------

// As for the unary ops: one class per op with a SIMD form.
@final class Add { @inline apply(a: v128, b: v128): v128 { return f32x4.add(a, b); } }
@final class Sub { @inline apply(a: v128, b: v128): v128 { return f32x4.sub(a, b); } }
@final class Mul { @inline apply(a: v128, b: v128): v128 { return f32x4.mul(a, b); } }
@final class Div { @inline apply(a: v128, b: v128): v128 { return f32x4.div(a, b); } }
// a > b || a != a ? a : b, lane by lane (a NaN in either operand wins).
@final class Max { @inline apply(a: v128, b: v128): v128 { return v128.bitselect(a, b, v128.or(f32x4.gt(a, b), f32x4.ne(a, a))); } }
@final class Min { @inline apply(a: v128, b: v128): v128 { return v128.bitselect(a, b, v128.or(f32x4.lt(a, b), f32x4.ne(a, a))); } }

/** As unaryLanes, for three layouts: both operands contiguous, or one of them a single value. */
@inline function binaryLanes<Op>(pa: usize, sa: usize, pb: usize, sb: usize, po: usize, n: i32): i32 {
  const op = changetype<Op>(0);
  let i = 0;
  if (sa == 4 && sb == 4) {
    for (; i + 16 <= n; i += 16, pa += 64, pb += 64, po += 64) {
      const a0 = v128.load(pa), a1 = v128.load(pa, 16), a2 = v128.load(pa, 32), a3 = v128.load(pa, 48);
      const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32), b3 = v128.load(pb, 48);
      v128.store(po, op.apply(a0, b0));
      v128.store(po, op.apply(a1, b1), 16);
      v128.store(po, op.apply(a2, b2), 32);
      v128.store(po, op.apply(a3, b3), 48);
    }
    for (; i + 4 <= n; i += 4, pa += 16, pb += 16, po += 16) v128.store(po, op.apply(v128.load(pa), v128.load(pb)));
  } else if (sa == 4 && sb == 0) {
    const vb = v128.load_splat<f32>(pb);
    for (; i + 16 <= n; i += 16, pa += 64, po += 64) {
      const a0 = v128.load(pa), a1 = v128.load(pa, 16), a2 = v128.load(pa, 32), a3 = v128.load(pa, 48);
      v128.store(po, op.apply(a0, vb));
      v128.store(po, op.apply(a1, vb), 16);
      v128.store(po, op.apply(a2, vb), 32);
      v128.store(po, op.apply(a3, vb), 48);
    }
    for (; i + 4 <= n; i += 4, pa += 16, po += 16) v128.store(po, op.apply(v128.load(pa), vb));
  } else if (sa == 0 && sb == 4) {
    const va = v128.load_splat<f32>(pa);
    for (; i + 16 <= n; i += 16, pb += 64, po += 64) {
      const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32), b3 = v128.load(pb, 48);
      v128.store(po, op.apply(va, b0));
      v128.store(po, op.apply(va, b1), 16);
      v128.store(po, op.apply(va, b2), 32);
      v128.store(po, op.apply(va, b3), 48);
    }
    for (; i + 4 <= n; i += 4, pb += 16, po += 16) v128.store(po, op.apply(va, v128.load(pb)));
  }
  return i;
}

/** Elements of a row with a contiguous out done in v128 loops (0 for other ops and layouts). */
function binaryVector(op: i32, pa: usize, sa: usize, pb: usize, sb: usize, po: usize, n: i32): i32 {
  switch (op) {
    case BINARY_ADD: return binaryLanes<Add>(pa, sa, pb, sb, po, n);
    case BINARY_SUB: return binaryLanes<Sub>(pa, sa, pb, sb, po, n);
    case BINARY_MUL: return binaryLanes<Mul>(pa, sa, pb, sb, po, n);
    case BINARY_DIV: return binaryLanes<Div>(pa, sa, pb, sb, po, n);
    case BINARY_MAXIMUM: return binaryLanes<Max>(pa, sa, pb, sb, po, n);
    case BINARY_MINIMUM: return binaryLanes<Min>(pa, sa, pb, sb, po, n);
    case BINARY_POW:
    case BINARY_REMAINDER:
    case BINARY_FMOD:
    case BINARY_FLOOR_DIVIDE: return 0;
    default: return unreachable();
  }
}

/** torch.remainder on floats: fmod (exact in f64), moved by b where the signs differ. */
function remainderF(x: f64, y: f64): f64 {
  let m = x % y;
  if (m != 0 && (y < 0) != (m < 0)) m += y;
  return m;
}

/** PyTorch's div_floor_floating. */
function floorDivideF(x: f64, y: f64): f64 {
  if (y == 0) return x / y;
  const m = x % y;
  let q = (x - m) / y;
  if (m != 0 && (y < 0) != (m < 0)) q -= 1;
  if (q == 0) return (reinterpret<u64>(x) >> 63) != (reinterpret<u64>(y) >> 63) ? -0.0 : 0.0; // the sign of x / y
  let f = Math.floor(q);
  if (q - f > 0.5) f += 1;
  return f;
}

function binaryScalar(op: i32, x: f32, y: f32): f32 {
  switch (op) {
    case BINARY_ADD: return x + y;
    case BINARY_SUB: return x - y;
    case BINARY_MUL: return x * y;
    case BINARY_DIV: return x / y;
    case BINARY_POW: return <f32>Math.pow(<f64>x, <f64>y);
    case BINARY_MAXIMUM: return x > y || x != x ? x : y;
    case BINARY_MINIMUM: return x < y || x != x ? x : y;
    case BINARY_REMAINDER: return <f32>remainderF(<f64>x, <f64>y);
    case BINARY_FMOD: return <f32>(<f64>x % <f64>y);
    case BINARY_FLOOR_DIVIDE: return <f32>floorDivideF(<f64>x, <f64>y);
    default: return unreachable();
  }
}

/** Comparisons of float32 (logicalAnd and logicalOr take bool operands only: binary_int). */
function compareScalar(op: i32, x: f32, y: f32): u8 {
  switch (op) {
    case BINARY_EQ: return <u8>(x == y);
    case BINARY_NE: return <u8>(x != y);
    case BINARY_LT: return <u8>(x < y);
    case BINARY_LE: return <u8>(x <= y);
    case BINARY_GT: return <u8>(x > y);
    case BINARY_GE: return <u8>(x >= y);
    default: return unreachable();
  }
}

/** Whether a float32 binary op writes bool (a comparison) rather than float32. */
function writesBool(op: i32): bool {
  switch (op) {
    case BINARY_EQ:
    case BINARY_NE:
    case BINARY_LT:
    case BINARY_LE:
    case BINARY_GT:
    case BINARY_GE: return true;
    case BINARY_ADD:
    case BINARY_SUB:
    case BINARY_MUL:
    case BINARY_DIV:
    case BINARY_POW:
    case BINARY_MAXIMUM:
    case BINARY_MINIMUM:
    case BINARY_REMAINDER:
    case BINARY_FMOD:
    case BINARY_FLOOR_DIVIDE: return false;
    default: return unreachable();
  }
}

/** One row of n elements; sa / sb / so are byte strides. */
function binaryRow(op: i32, pa: usize, sa: usize, pb: usize, sb: usize, po: usize, so: usize, n: i32): void {
  let i = 0;
  if (writesBool(op)) {
    for (; i < n; i++, pa += sa, pb += sb, po += so) store<u8>(po, compareScalar(op, load<f32>(pa), load<f32>(pb)));
    return;
  }
  if (so == 4) {
    i = binaryVector(op, pa, sa, pb, sb, po, n);
    pa += <usize>i * sa;
    pb += <usize>i * sb;
    po += <usize>i << 2;
  }
  for (; i < n; i++, pa += sa, pb += sb, po += so) store<f32>(po, binaryScalar(op, load<f32>(pa), load<f32>(pb)));
}

/** float32 op float32 -> float32 (arithmetic) or bool (comparisons). */
export function binary_f32(op: i32, d: usize, a: usize, b: usize, o: usize): void {
  const n = rowLength(d), rows = rowCount(d);
  const sa = <usize>innerStride(d, 0), sb = <usize>innerStride(d, 1), so = <usize>innerStride(d, 2);
  startWalk(d, a, b, o, 0);
  for (let r = 0; r < rows; r++) {
    binaryRow(op, ptrOf(d, 0), sa, ptrOf(d, 1), sb, ptrOf(d, 2), so, n);
    nextRow(d, 3);
  }
}

/** binary_f32 over one line of n elements, threads claiming chunks from `counter` (see unary_line_f32). */
export function binary_line_f32(
  op: i32, a: usize, b: usize, o: usize, n: i32, sa: i32, sb: i32, so: i32, counter: usize, tid: i32, nt: i32,
): void {
  const count = (n + LINE_CHUNK - 1) / LINE_CHUNK;
  for (let c = claim(counter); c < count; c = claim(counter)) {
    const lo = <usize>(c * LINE_CHUNK);
    binaryRow(op, a + lo * <usize>sa, <usize>sa, b + lo * <usize>sb, <usize>sb, o + lo * <usize>so, <usize>so, min(LINE_CHUNK, n - <i32>lo));
  }
}

// ---- where, fill, copy ------------------------------------------------------------------

/** out = cond ? a : b for elements of `size` bytes (4: float32, int32; 1: bool); cond is bool bytes. */
export function where(size: i32, d: usize, c: usize, a: usize, b: usize, o: usize): void {
  const n = rowLength(d), rows = rowCount(d);
  const sc = <usize>innerStride(d, 0), sa = <usize>innerStride(d, 1), sb = <usize>innerStride(d, 2), so = <usize>innerStride(d, 3);
  startWalk(d, c, a, b, o);
  for (let r = 0; r < rows; r++) {
    let pc = ptrOf(d, 0), pa = ptrOf(d, 1), pb = ptrOf(d, 2), po = ptrOf(d, 3);
    if (size == 4) {
      for (let i = 0; i < n; i++, pc += sc, pa += sa, pb += sb, po += so) store<u32>(po, load<u8>(pc) != 0 ? load<u32>(pa) : load<u32>(pb));
    } else {
      for (let i = 0; i < n; i++, pc += sc, pa += sa, pb += sb, po += so) store<u8>(po, load<u8>(pc) != 0 ? load<u8>(pa) : load<u8>(pb));
    }
    nextRow(d, 4);
  }
}

/** Fill a view of 4-byte (bits) or 1-byte elements. */
export function fill(d: usize, o: usize, bits: u32, size: i32): void {
  const n = rowLength(d), rows = rowCount(d);
  const so = <usize>innerStride(d, 0);
  startWalk(d, o, 0, 0, 0);
  const v = i32x4.splat(bits);
  for (let r = 0; r < rows; r++) {
    let po = ptrOf(d, 0);
    if (size == 1) {
      if (so == 1) memory.fill(po, <u8>bits, <usize>n);
      else for (let i = 0; i < n; i++, po += so) store<u8>(po, <u8>bits);
    } else {
      let i = 0;
      if (so == 4) for (; i + 4 <= n; i += 4, po += 16) v128.store(po, v);
      for (; i < n; i++, po += so) store<u32>(po, bits);
    }
    nextRow(d, 1);
  }
}

/** Copy between views of one element size (4 or 1 bytes). */
export function copy(d: usize, x: usize, o: usize, size: i32): void {
  const n = rowLength(d), rows = rowCount(d);
  const sx = <usize>innerStride(d, 0), so = <usize>innerStride(d, 1);
  startWalk(d, x, o, 0, 0);
  for (let r = 0; r < rows; r++) {
    let px = ptrOf(d, 0), po = ptrOf(d, 1);
    if (sx == <usize>size && so == <usize>size) {
      memory.copy(po, px, <usize>n * <usize>size);
    } else if (size == 1) {
      for (let i = 0; i < n; i++, px += sx, po += so) store<u8>(po, load<u8>(px));
    } else {
      for (let i = 0; i < n; i++, px += sx, po += so) store<u32>(po, load<u32>(px));
    }
    nextRow(d, 2);
  }
}

// ---- int32 and bool ---------------------------------------------------------------------
// Integer arithmetic wraps modulo 2^32, as PyTorch's int32. Bool is one byte, 0 or 1.

/** An int32 or bool element (`dtype` is one of the two). */
@inline function loadInt(dtype: i32, p: usize): i32 {
  return dtype == DTYPE_INT32 ? load<i32>(p) : <i32>load<u8>(p);
}

@inline function storeInt(dtype: i32, p: usize, v: i32): void {
  if (dtype == DTYPE_INT32) store<i32>(p, v);
  else store<u8>(p, <u8>(v != 0));
}

// One class per int32 op with a SIMD form, as for float32.
@final class NegInt { @inline apply(v: v128): v128 { return i32x4.neg(v); } }
@final class AbsInt { @inline apply(v: v128): v128 { return i32x4.abs(v); } }
@final class ReluInt { @inline apply(v: v128): v128 { return i32x4.max_s(v, i32x4.splat(0)); } }

@inline function unaryIntLanes<Op>(px: usize, po: usize, n: i32): i32 {
  const op = changetype<Op>(0);
  let i = 0;
  for (; i + 4 <= n; i += 4, px += 16, po += 16) v128.store(po, op.apply(v128.load(px)));
  return i;
}

/** Elements of a contiguous int32 -> int32 row done in v128 loops. */
function unaryIntVector(op: i32, px: usize, po: usize, n: i32): i32 {
  switch (op) {
    case UNARY_NEG: return unaryIntLanes<NegInt>(px, po, n);
    case UNARY_ABS: return unaryIntLanes<AbsInt>(px, po, n);
    case UNARY_RELU: return unaryIntLanes<ReluInt>(px, po, n);
    case UNARY_SIGN: return 0;
    default: return unreachable();
  }
}

/** The unary ops whose int rule is 'kernel' (floor, ceil and round of an int are the identity: core's). */
function unaryInt(op: i32, v: i32): i32 {
  switch (op) {
    case UNARY_NEG: return -v;
    case UNARY_ABS: return v < 0 ? -v : v;
    case UNARY_SIGN: return <i32>(v > 0) - <i32>(v < 0);
    case UNARY_RELU: return v < 0 ? 0 : v;
    case UNARY_LOGICAL_NOT: return <i32>(v == 0);
    default: return unreachable();
  }
}

/** int32 input (kin) to int32 (kout), or int32 or bool to bool for logicalNot. */
export function unary_int(op: i32, kin: i32, kout: i32, d: usize, x: usize, o: usize): void {
  const n = rowLength(d), rows = rowCount(d);
  const sx = <usize>innerStride(d, 0), so = <usize>innerStride(d, 1);
  const vector = kin == DTYPE_INT32 && kout == DTYPE_INT32 && sx == 4 && so == 4;
  startWalk(d, x, o, 0, 0);
  for (let r = 0; r < rows; r++) {
    let px = ptrOf(d, 0), po = ptrOf(d, 1);
    let i = 0;
    if (vector) {
      i = unaryIntVector(op, px, po, n);
      px += <usize>i << 2;
      po += <usize>i << 2;
    }
    for (; i < n; i++, px += sx, po += so) storeInt(kout, po, unaryInt(op, loadInt(kin, px)));
    nextRow(d, 2);
  }
}

/**
 * x ** y exactly, wrapping modulo 2^32 as PyTorch's int32 pow does (by squaring). A
 * negative power truncates toward zero: 1 and -1 stay ±1, anything else gives 0.
 */
function powInt(x: i32, y: i32): i32 {
  if (y < 0) return x == 1 ? 1 : x == -1 ? ((y & 1) != 0 ? -1 : 1) : 0;
  let result = 1, base = x, e = y;
  while (e != 0) {
    if (e & 1) result *= base;
    base *= base;
    e >>>= 1;
  }
  return result;
}

/**
 * The binary ops on int32 (div is float only: core casts its int operands) and, for
 * comparisons and logical ops, on bool.
 */
function binaryInt(op: i32, x: i32, y: i32): i32 {
  switch (op) {
    case BINARY_ADD: return x + y;
    case BINARY_SUB: return x - y;
    case BINARY_MUL: return x * y;
    case BINARY_POW: return powInt(x, y);
    case BINARY_MAXIMUM: return x > y ? x : y;
    case BINARY_MINIMUM: return x < y ? x : y;
    case BINARY_EQ: return <i32>(x == y);
    case BINARY_NE: return <i32>(x != y);
    case BINARY_LT: return <i32>(x < y);
    case BINARY_LE: return <i32>(x <= y);
    case BINARY_GT: return <i32>(x > y);
    case BINARY_GE: return <i32>(x >= y);
    case BINARY_LOGICAL_AND: return <i32>(x != 0 && y != 0);
    case BINARY_LOGICAL_OR: return <i32>(x != 0 || y != 0);
    // A zero divisor gives 0 (core raises before, where it can read the divisor); -1 avoids the trap of -2^31 / -1.
    case BINARY_FMOD: return y == 0 || y == -1 ? 0 : x % y;
    case BINARY_REMAINDER: {
      if (y == 0 || y == -1) return 0;
      let m = x % y;
      if (m != 0 && (y < 0) != (m < 0)) m += y;
      return m;
    }
    case BINARY_FLOOR_DIVIDE: {
      if (y == 0) return 0;
      if (y == -1) return -x;
      const q = x / y;
      return x % y != 0 && (x < 0) != (y < 0) ? q - 1 : q;
    }
    // int32, or bool (0/1); wasm shifts take the count modulo 32.
    case BINARY_BITWISE_AND: return x & y;
    case BINARY_BITWISE_OR: return x | y;
    case BINARY_BITWISE_XOR: return x ^ y;
    case BINARY_BITWISE_LEFT_SHIFT: return x << y;
    case BINARY_BITWISE_RIGHT_SHIFT: return x >> y;
    default: return unreachable();
  }
}

@final class AddInt { @inline apply(a: v128, b: v128): v128 { return i32x4.add(a, b); } }
@final class SubInt { @inline apply(a: v128, b: v128): v128 { return i32x4.sub(a, b); } }
@final class MulInt { @inline apply(a: v128, b: v128): v128 { return i32x4.mul(a, b); } }
@final class MaxInt { @inline apply(a: v128, b: v128): v128 { return i32x4.max_s(a, b); } }
@final class MinInt { @inline apply(a: v128, b: v128): v128 { return i32x4.min_s(a, b); } }

/** int32 rows whose operands are contiguous (4) or a single value (0), out contiguous. */
@inline function binaryIntLanes<Op>(pa: usize, sa: usize, pb: usize, sb: usize, po: usize, n: i32): i32 {
  const op = changetype<Op>(0);
  const va = v128.load_splat<i32>(pa), vb = v128.load_splat<i32>(pb);
  const sa16 = sa << 2, sb16 = sb << 2;
  let i = 0;
  for (; i + 4 <= n; i += 4, pa += sa16, pb += sb16, po += 16) {
    v128.store(po, op.apply(sa == 0 ? va : v128.load(pa), sb == 0 ? vb : v128.load(pb)));
  }
  return i;
}

/** Elements of an int32 -> int32 row done in v128 loops (0 for ops without a SIMD form). */
function binaryIntVector(op: i32, pa: usize, sa: usize, pb: usize, sb: usize, po: usize, n: i32): i32 {
  switch (op) {
    case BINARY_ADD: return binaryIntLanes<AddInt>(pa, sa, pb, sb, po, n);
    case BINARY_SUB: return binaryIntLanes<SubInt>(pa, sa, pb, sb, po, n);
    case BINARY_MUL: return binaryIntLanes<MulInt>(pa, sa, pb, sb, po, n);
    case BINARY_MAXIMUM: return binaryIntLanes<MaxInt>(pa, sa, pb, sb, po, n);
    case BINARY_MINIMUM: return binaryIntLanes<MinInt>(pa, sa, pb, sb, po, n);
    case BINARY_POW:
    case BINARY_REMAINDER:
    case BINARY_FMOD:
    case BINARY_FLOOR_DIVIDE:
    case BINARY_BITWISE_AND:
    case BINARY_BITWISE_OR:
    case BINARY_BITWISE_XOR:
    case BINARY_BITWISE_LEFT_SHIFT:
    case BINARY_BITWISE_RIGHT_SHIFT: return 0;
    default: return unreachable();
  }
}

/**
 * int32 or bool operands (kin) to int32 or bool (kout). Bool operands arrive only for
 * comparisons and logical ops (core turns bool arithmetic into logical ops), and int32 ones
 * never for logical ops (core casts them to bool); int32 comparisons write bool.
 */
export function binary_int(op: i32, kin: i32, kout: i32, d: usize, a: usize, b: usize, o: usize): void {
  const n = rowLength(d), rows = rowCount(d);
  const sa = <usize>innerStride(d, 0), sb = <usize>innerStride(d, 1), so = <usize>innerStride(d, 2);
  const vector = kin == DTYPE_INT32 && kout == DTYPE_INT32 && so == 4 && (sa == 4 || sa == 0) && (sb == 4 || sb == 0);
  startWalk(d, a, b, o, 0);
  for (let r = 0; r < rows; r++) {
    let pa = ptrOf(d, 0), pb = ptrOf(d, 1), po = ptrOf(d, 2);
    let i = 0;
    if (vector) {
      i = binaryIntVector(op, pa, sa, pb, sb, po, n);
      pa += <usize>i * sa;
      pb += <usize>i * sb;
      po += <usize>i << 2;
    }
    for (; i < n; i++, pa += sa, pb += sb, po += so) storeInt(kout, po, binaryInt(op, loadInt(kin, pa), loadInt(kin, pb)));
    nextRow(d, 3);
  }
}

// ---- cast -------------------------------------------------------------------------------

/** An element of any dtype as f64. */
@inline export function loadAs(dtype: i32, p: usize): f64 {
  if (dtype == DTYPE_FLOAT32) return <f64>load<f32>(p);
  if (dtype == DTYPE_INT32) return <f64>load<i32>(p);
  return <f64>load<u8>(p);
}

/** Convert between dtypes: float to int truncates (wrapping as an Int32Array store); to bool is != 0. */
export function cast(kin: i32, kout: i32, d: usize, x: usize, o: usize): void {
  const n = rowLength(d), rows = rowCount(d);
  const sx = <usize>innerStride(d, 0), so = <usize>innerStride(d, 1);
  startWalk(d, x, o, 0, 0);
  for (let r = 0; r < rows; r++) {
    let px = ptrOf(d, 0), po = ptrOf(d, 1);
    switch (kout) {
      case DTYPE_FLOAT32: {
        if (kin == DTYPE_INT32 && sx == 4 && so == 4) {
          let i = 0;
          for (; i + 4 <= n; i += 4, px += 16, po += 16) v128.store(po, f32x4.convert_i32x4_s(v128.load(px)));
          for (; i < n; i++, px += sx, po += so) store<f32>(po, <f32>load<i32>(px));
        } else {
          for (let i = 0; i < n; i++, px += sx, po += so) store<f32>(po, <f32>loadAs(kin, px));
        }
        break;
      }
      case DTYPE_INT32: {
        for (let i = 0; i < n; i++, px += sx, po += so) store<i32>(po, toInt32(loadAs(kin, px)));
        break;
      }
      case DTYPE_BOOL: {
        for (let i = 0; i < n; i++, px += sx, po += so) store<u8>(po, <u8>(loadAs(kin, px) != 0));
        break;
      }
      default: unreachable();
    }
    nextRow(d, 2);
  }
}
