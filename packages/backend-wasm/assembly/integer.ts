// int32 and bool kernels: unary and binary over strided views, the integer folds that
// reduce.ts uses, and an int32 matmul. dtype codes: 1 int32 (4 bytes), 2 bool (1 byte, 0 or 1). Integer
// arithmetic wraps modulo 2^32, as PyTorch's int32; functions without an integer form go
// through f64 and convert back with JavaScript's ToInt32.
import { innerStride, nextRow, ptrOf, rowCount, rowLength, startWalk } from './walk';
import { toInt32 } from './math';
import { unaryScalar } from './elementwise';

// Op numbers follow UNARY_OPS / BINARY_OPS in @tensile/core's contract.
const NEG = 0, ABS = 1, SIGN = 2, RELU = 14, FLOOR = 16, CEIL = 17, ROUND = 18, NOT = 19;
const ADD = 0, SUB = 1, MUL = 2, DIV = 3, POW = 4, MAXIMUM = 5, MINIMUM = 6;
const EQ = 7, NE = 8, LT = 9, LE = 10, GT = 11, GE = 12, AND = 13, OR = 14;
const SUM = 0, PROD = 1, MAX = 2, MIN = 3;

@inline export function loadInt(kind: i32, p: usize): i32 {
  return kind == 1 ? load<i32>(p) : <i32>load<u8>(p);
}

@inline export function storeInt(kind: i32, p: usize, v: i32): void {
  if (kind == 1) store<i32>(p, v);
  else store<u8>(p, <u8>(v != 0));
}

function unaryInt(op: i32, v: i32): i32 {
  switch (op) {
    case NEG: return -v;
    case ABS: return v < 0 ? -v : v;
    case SIGN: return <i32>(v > 0) - <i32>(v < 0);
    case RELU: return v < 0 ? 0 : v;
    case FLOOR:
    case CEIL:
    case ROUND: return v;
    case NOT: return <i32>(v == 0);
    default: return toInt32(unaryScalar(op, <f64>v));
  }
}

/** int32 or bool input (kin) to int32 or bool output (kout). */
export function unary_int(op: i32, kin: i32, kout: i32, d: usize, x: usize, o: usize): void {
  const n = rowLength(d), rows = rowCount(d);
  const sx = <usize>innerStride(d, 0), so = <usize>innerStride(d, 1);
  startWalk(d, x, o, 0, 0);
  for (let r = 0; r < rows; r++) {
    let px = ptrOf(d, 0), po = ptrOf(d, 1);
    let i = 0;
    if (kin == 1 && kout == 1 && sx == 4 && so == 4 && (op == NEG || op == ABS || op == RELU)) {
      const zero = i32x4.splat(0);
      for (; i + 4 <= n; i += 4, px += 16, po += 16) {
        const v = v128.load(px);
        v128.store(po, op == NEG ? i32x4.neg(v) : op == ABS ? i32x4.abs(v) : i32x4.max_s(v, zero));
      }
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

function binaryInt(op: i32, x: i32, y: i32): i32 {
  switch (op) {
    case ADD: return x + y;
    case SUB: return x - y;
    case MUL: return x * y;
    case DIV: return toInt32(<f64>x / <f64>y);
    case POW: return powInt(x, y);
    case MAXIMUM: return x > y ? x : y;
    case MINIMUM: return x < y ? x : y;
    case EQ: return <i32>(x == y);
    case NE: return <i32>(x != y);
    case LT: return <i32>(x < y);
    case LE: return <i32>(x <= y);
    case GT: return <i32>(x > y);
    case GE: return <i32>(x >= y);
    case AND: return <i32>(x != 0 && y != 0);
    default: return <i32>(x != 0 || y != 0);
  }
}

@inline function binarySimdInt(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case ADD: return i32x4.add(a, b);
    case SUB: return i32x4.sub(a, b);
    case MUL: return i32x4.mul(a, b);
    case MAXIMUM: return i32x4.max_s(a, b);
    default: return i32x4.min_s(a, b);
  }
}

/**
 * int32 or bool operands (kin) to int32 or bool (kout). Bool operands arrive only for
 * comparisons and logical ops: core turns bool arithmetic into logical ops.
 */
export function binary_int(op: i32, kin: i32, kout: i32, d: usize, a: usize, b: usize, o: usize): void {
  const n = rowLength(d), rows = rowCount(d);
  const sa = <usize>innerStride(d, 0), sb = <usize>innerStride(d, 1), so = <usize>innerStride(d, 2);
  const simd = kin == 1 && kout == 1 && op != DIV && op != POW && op <= MINIMUM &&
    so == 4 && (sa == 4 || sa == 0) && (sb == 4 || sb == 0);
  startWalk(d, a, b, o, 0);
  for (let r = 0; r < rows; r++) {
    let pa = ptrOf(d, 0), pb = ptrOf(d, 1), po = ptrOf(d, 2);
    let i = 0;
    if (simd) {
      const va = v128.load_splat<i32>(pa), vb = v128.load_splat<i32>(pb);
      const sa16 = sa << 2, sb16 = sb << 2;
      for (; i + 4 <= n; i += 4, pa += sa16, pb += sb16, po += 16) {
        v128.store(po, binarySimdInt(op, sa == 0 ? va : v128.load(pa), sb == 0 ? vb : v128.load(pb)));
      }
    }
    for (; i < n; i++, pa += sa, pb += sb, po += so) storeInt(kout, po, binaryInt(op, loadInt(kin, pa), loadInt(kin, pb)));
    nextRow(d, 3);
  }
}

// Reductions accumulate in i64: sums are exact until the final wrap to int32, products wrap
// at every step (as int32 multiplication does), max/min compare integers.
@inline export function identityInt(op: i32): i64 {
  return op == SUM ? 0 : op == PROD ? 1 : op == MAX ? i64.MIN_VALUE : i64.MAX_VALUE;
}

@inline export function foldInt(op: i32, acc: i64, v: i32): i64 {
  if (op == SUM) return acc + <i64>v;
  if (op == PROD) return <i64>(<i32>acc * v);
  if (op == MAX) return <i64>v > acc ? <i64>v : acc;
  return <i64>v < acc ? <i64>v : acc;
}

/**
 * Batched int32 C = A·B with wrapping arithmetic; `list` holds `count` triples of byte
 * addresses (a, b, c), strides count elements and C is row-major with row stride rsC.
 */
export function matmul_i32(list: usize, count: i32, m: i32, n: i32, k: i32, rsA: i32, csA: i32, rsB: i32, csB: i32, rsC: i32): void {
  for (let e = 0; e < count; e++) {
    const entry = list + <usize>e * 12;
    const a = <usize>load<u32>(entry), b = <usize>load<u32>(entry, 4), c = <usize>load<u32>(entry, 8);
    for (let i = 0; i < m; i++) {
      const row = c + (<usize>(i * rsC) << 2);
      memory.fill(row, 0, <usize>n << 2);
      for (let p = 0; p < k; p++) {
        const av = load<i32>(a + (<usize>(i * rsA + p * csA) << 2));
        let pb = b + (<usize>(p * rsB) << 2);
        const step = <usize>csB << 2;
        for (let j = 0; j < n; j++, pb += step) {
          const at = row + (<usize>j << 2);
          store<i32>(at, load<i32>(at) + av * load<i32>(pb));
        }
      }
    }
  }
}
