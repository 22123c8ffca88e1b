// Elementwise kernels over strided views (see walk.ts). Strides are in bytes; a row whose
// views are contiguous (or an operand a single value) takes a v128 loop where the op has a
// SIMD form. The *_line_f32 kernels do one long line on several threads.
import { innerStride, nextRow, ptrOf, rowCount, rowLength, startWalk } from './walk';
import { erf, expf4, expm1f4, log1pf4, logf4, sigmoid, sigmoidf4, sign, tanhf4, toInt32 } from './math';
import { claim } from './matmul';

// Op numbers follow UNARY_OPS / BINARY_OPS in @tensile/core's contract.
const NEG = 0, ABS = 1, SIGN = 2, EXP = 3, EXPM1 = 4, LOG = 5, LOG1P = 6, SQRT = 7, RSQRT = 8, RECIP = 9;
const SIN = 10, COS = 11, TANH = 12, SIGMOID = 13, RELU = 14, ERF = 15, FLOOR = 16, CEIL = 17, ROUND = 18, NOT = 19;

export function unaryScalar(op: i32, v: f64): f64 {
  switch (op) {
    case NEG: return -v;
    case ABS: return abs(v);
    case SIGN: return sign(v);
    case EXP: return Math.exp(v);
    case EXPM1: return Math.expm1(v);
    case LOG: return Math.log(v);
    case LOG1P: return Math.log1p(v);
    case SQRT: return Math.sqrt(v);
    case RSQRT: return 1 / Math.sqrt(v);
    case RECIP: return 1 / v;
    case SIN: return Math.sin(v);
    case COS: return Math.cos(v);
    case TANH: return Math.tanh(v);
    case SIGMOID: return sigmoid(v);
    case RELU: return v < 0 ? 0 : v;
    case ERF: return erf(v);
    case FLOOR: return floor(v);
    case CEIL: return ceil(v);
    case ROUND: return nearest(v);
    default: return v == 0 ? 1 : 0;
  }
}

// One class per op with a SIMD form, so that the generic loops below are compiled once per
// op. (Inlining a loop with a constant op number is not enough: Binaryen merges copies that
// differ only in that constant back into one loop with the switch inside.) The loops call
// apply() on changetype<Op>(0): no instance exists, and none is needed.
@final class Neg { @inline apply(v: v128): v128 { return f32x4.neg(v); } }
@final class Abs { @inline apply(v: v128): v128 { return f32x4.abs(v); } }
@final class Sqrt { @inline apply(v: v128): v128 { return f32x4.sqrt(v); } }
@final class Rsqrt { @inline apply(v: v128): v128 { return f32x4.div(f32x4.splat(1), f32x4.sqrt(v)); } }
@final class Recip { @inline apply(v: v128): v128 { return f32x4.div(f32x4.splat(1), v); } }
// pmax(v, 0) is v < 0 ? 0 : v lane by lane: NaN and -0 pass through, as in unaryScalar.
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
    case NEG: return unaryLanes<Neg>(px, po, n);
    case ABS: return unaryLanes<Abs>(px, po, n);
    case SQRT: return unaryLanes<Sqrt>(px, po, n);
    case RSQRT: return unaryLanes<Rsqrt>(px, po, n);
    case RECIP: return unaryLanes<Recip>(px, po, n);
    case RELU: return unaryLanes<Relu>(px, po, n);
    case FLOOR: return unaryLanes<Floor>(px, po, n);
    case CEIL: return unaryLanes<Ceil>(px, po, n);
    case ROUND: return unaryLanes<Round>(px, po, n);
    case EXP: return unaryLanes<Exp>(px, po, n);
    case SIGMOID: return unaryLanes<Sigmoid>(px, po, n);
    case TANH: return unaryLanes<Tanh>(px, po, n);
    case EXPM1: return unaryLanes<Expm1>(px, po, n);
    case LOG: return unaryLanes<Log>(px, po, n);
    case LOG1P: return unaryLanes<Log1p>(px, po, n);
    default: return 0;
  }
}

/**
 * unaryScalar for a float32, except that ops with a polynomial vector form take lane 0 of
 * it, so that an element's result does not depend on its layout or place in the row.
 */
function unaryScalarF32(op: i32, v: f32): f32 {
  switch (op) {
    case EXP: return f32x4.extract_lane(expf4(f32x4.splat(v)), 0);
    case SIGMOID: return f32x4.extract_lane(sigmoidf4(f32x4.splat(v)), 0);
    case TANH: return f32x4.extract_lane(tanhf4(f32x4.splat(v)), 0);
    case EXPM1: return f32x4.extract_lane(expm1f4(f32x4.splat(v)), 0);
    case LOG: return f32x4.extract_lane(logf4(f32x4.splat(v)), 0);
    case LOG1P: return f32x4.extract_lane(log1pf4(f32x4.splat(v)), 0);
    default: return <f32>unaryScalar(op, <f64>v);
  }
}

/** One row of n elements, sx / so bytes apart. */
function unaryRow(op: i32, px: usize, sx: usize, po: usize, so: usize, n: i32): void {
  let i = 0;
  if (op == NOT) {
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

/** float32 -> float32 (or bool for logicalNot). */
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

const ADD = 0, SUB = 1, MUL = 2, DIV = 3, POW = 4, MAXIMUM = 5, MINIMUM = 6;
const EQ = 7, NE = 8, LT = 9, LE = 10, GT = 11, GE = 12, AND = 13, OR = 14;

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
    case ADD: return binaryLanes<Add>(pa, sa, pb, sb, po, n);
    case SUB: return binaryLanes<Sub>(pa, sa, pb, sb, po, n);
    case MUL: return binaryLanes<Mul>(pa, sa, pb, sb, po, n);
    case DIV: return binaryLanes<Div>(pa, sa, pb, sb, po, n);
    case MAXIMUM: return binaryLanes<Max>(pa, sa, pb, sb, po, n);
    case MINIMUM: return binaryLanes<Min>(pa, sa, pb, sb, po, n);
    default: return 0;
  }
}

function binaryScalar(op: i32, x: f32, y: f32): f32 {
  switch (op) {
    case ADD: return x + y;
    case SUB: return x - y;
    case MUL: return x * y;
    case DIV: return x / y;
    case POW: return <f32>Math.pow(<f64>x, <f64>y);
    case MAXIMUM: return x > y || x != x ? x : y;
    default: return x < y || x != x ? x : y;
  }
}

function compareScalar(op: i32, x: f32, y: f32): u8 {
  switch (op) {
    case EQ: return <u8>(x == y);
    case NE: return <u8>(x != y);
    case LT: return <u8>(x < y);
    case LE: return <u8>(x <= y);
    case GT: return <u8>(x > y);
    case GE: return <u8>(x >= y);
    case AND: return <u8>(x != 0 && y != 0);
    default: return <u8>(x != 0 || y != 0);
  }
}

/** One row of n elements; sa / sb / so are byte strides. */
function binaryRow(op: i32, pa: usize, sa: usize, pb: usize, sb: usize, po: usize, so: usize, n: i32): void {
  let i = 0;
  if (op >= EQ) {
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

/** float32 op float32 -> float32 (arithmetic) or bool (comparisons, logical ops). */
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

// dtype codes: 0 float32, 1 int32, 2 bool.
@inline function loadAs(kind: i32, p: usize): f64 {
  if (kind == 0) return <f64>load<f32>(p);
  if (kind == 1) return <f64>load<i32>(p);
  return <f64>load<u8>(p);
}

/** Convert between dtypes: float to int truncates (wrapping as an Int32Array store); to bool is != 0. */
export function cast(kin: i32, kout: i32, d: usize, x: usize, o: usize): void {
  const n = rowLength(d), rows = rowCount(d);
  const sx = <usize>innerStride(d, 0), so = <usize>innerStride(d, 1);
  startWalk(d, x, o, 0, 0);
  for (let r = 0; r < rows; r++) {
    let px = ptrOf(d, 0), po = ptrOf(d, 1);
    if (kout == 0) {
      if (kin == 1 && sx == 4 && so == 4) {
        let i = 0;
        for (; i + 4 <= n; i += 4, px += 16, po += 16) v128.store(po, f32x4.convert_i32x4_s(v128.load(px)));
        for (; i < n; i++, px += sx, po += so) store<f32>(po, <f32>load<i32>(px));
      } else {
        for (let i = 0; i < n; i++, px += sx, po += so) store<f32>(po, <f32>loadAs(kin, px));
      }
    } else if (kout == 1) {
      for (let i = 0; i < n; i++, px += sx, po += so) store<i32>(po, toInt32(loadAs(kin, px)));
    } else {
      for (let i = 0; i < n; i++, px += sx, po += so) store<u8>(po, <u8>(loadAs(kin, px) != 0));
    }
    nextRow(d, 2);
  }
}
