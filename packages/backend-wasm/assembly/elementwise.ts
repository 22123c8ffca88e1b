// Elementwise kernels over strided views (see walk.ts). Strides are in bytes; a row whose
// views are all contiguous takes a v128 loop where the op has a SIMD form.
import { innerStride, nextRow, ptrOf, rowCount, rowLength, startWalk } from './walk';
import { erf, sigmoid, sign, toInt32 } from './math';

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

function unarySimd(op: i32, v: v128): v128 {
  switch (op) {
    case NEG: return f32x4.neg(v);
    case ABS: return f32x4.abs(v);
    case SQRT: return f32x4.sqrt(v);
    case RSQRT: return f32x4.div(f32x4.splat(1), f32x4.sqrt(v));
    case RECIP: return f32x4.div(f32x4.splat(1), v);
    case RELU: return v128.bitselect(f32x4.splat(0), v, f32x4.lt(v, f32x4.splat(0)));
    case FLOOR: return f32x4.floor(v);
    case CEIL: return f32x4.ceil(v);
    default: return f32x4.nearest(v);
  }
}

@inline function hasSimd(op: i32): bool {
  return op == NEG || op == ABS || op == SQRT || op == RSQRT || op == RECIP || op == RELU || op == FLOOR || op == CEIL || op == ROUND;
}

/** float32 -> float32 (or bool for logicalNot). */
export function unary_f32(op: i32, d: usize, x: usize, o: usize): void {
  const n = rowLength(d), rows = rowCount(d);
  const sx = <usize>innerStride(d, 0), so = <usize>innerStride(d, 1);
  startWalk(d, x, o, 0, 0);
  for (let r = 0; r < rows; r++) {
    let px = ptrOf(d, 0), po = ptrOf(d, 1);
    let i = 0;
    if (op == NOT) {
      for (; i < n; i++, px += sx, po += so) store<u8>(po, load<f32>(px) == 0 ? 1 : 0);
    } else {
      if (sx == 4 && so == 4 && hasSimd(op)) {
        for (; i + 4 <= n; i += 4, px += 16, po += 16) v128.store(po, unarySimd(op, v128.load(px)));
      }
      for (; i < n; i++, px += sx, po += so) store<f32>(po, <f32>unaryScalar(op, <f64>load<f32>(px)));
    }
    nextRow(d, 2);
  }
}

const ADD = 0, SUB = 1, MUL = 2, DIV = 3, POW = 4, MAXIMUM = 5, MINIMUM = 6;
const EQ = 7, NE = 8, LT = 9, LE = 10, GT = 11, GE = 12, AND = 13, OR = 14;

function binarySimd(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case ADD: return f32x4.add(a, b);
    case SUB: return f32x4.sub(a, b);
    case MUL: return f32x4.mul(a, b);
    case DIV: return f32x4.div(a, b);
    // x > y || x != x ? x : y, lane by lane (a NaN in either operand wins).
    case MAXIMUM: return v128.bitselect(a, b, v128.or(f32x4.gt(a, b), f32x4.ne(a, a)));
    default: return v128.bitselect(a, b, v128.or(f32x4.lt(a, b), f32x4.ne(a, a)));
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

/** float32 op float32 -> float32 (arithmetic) or bool (comparisons, logical ops). */
export function binary_f32(op: i32, d: usize, a: usize, b: usize, o: usize): void {
  const n = rowLength(d), rows = rowCount(d);
  const sa = <usize>innerStride(d, 0), sb = <usize>innerStride(d, 1), so = <usize>innerStride(d, 2);
  const simd = op <= MINIMUM && op != POW && so == 4 && (sa == 4 || sa == 0) && (sb == 4 || sb == 0);
  startWalk(d, a, b, o, 0);
  for (let r = 0; r < rows; r++) {
    let pa = ptrOf(d, 0), pb = ptrOf(d, 1), po = ptrOf(d, 2);
    let i = 0;
    if (op >= EQ) {
      for (; i < n; i++, pa += sa, pb += sb, po += so) store<u8>(po, compareScalar(op, load<f32>(pa), load<f32>(pb)));
    } else {
      if (simd) {
        const va = sa == 0 ? v128.load_splat<f32>(pa) : f32x4.splat(0);
        const vb = sb == 0 ? v128.load_splat<f32>(pb) : f32x4.splat(0);
        const sa16 = sa << 2, sb16 = sb << 2;
        for (; i + 4 <= n; i += 4, pa += sa16, pb += sb16, po += 16) {
          v128.store(po, binarySimd(op, sa == 0 ? va : v128.load(pa), sb == 0 ? vb : v128.load(pb)));
        }
      }
      for (; i < n; i++, pa += sa, pb += sb, po += so) store<f32>(po, binaryScalar(op, load<f32>(pa), load<f32>(pb)));
    }
    nextRow(d, 3);
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
