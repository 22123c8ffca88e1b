/**
 * Elementwise kernels: unary, binary, where, cast, copy, fill. One thread per output
 * element; every view (inputs and `out`) is read through its merged shape, strides and
 * offset, so broadcasts (stride 0), transposes and slices need no copies. Contiguous cases
 * (the bulk of training: activations, gradients, parameter updates, bias adds) take a packed
 * form with four elements per thread (see packedMapKernel).
 *
 * Semantics follow the op table's references: NaN propagates through maximum/minimum/relu,
 * int32 arithmetic wraps. Core applies every dtype rule first, so an op's kernel sees only
 * the dtypes `kernelDTypes` lists for it. Bodies see inputs in their compute type (float16
 * widened to f32) and the store rounds to `out`'s dtype.
 */
import {
  isContiguous, sizeOf,
  type BinaryComposite, type BinaryPrimitive, type DType, type TensorView, type UNARY_TABLE, type UnaryComposite, type UnaryPrimitive,
} from '@tensile/core';
import { gpuBufferOf, type KernelSource, type Runtime } from '../runtime.js';
import {
  computeType, ENTRY_1D, FLAT_INDEX, grid, headerWGSL, load, planWalk, storageType, store, UniformRecord, walkFields, walkValues, walkWGSL,
} from '../wgsl.js';

/** The op table's composite unary ops this backend runs as kernels (core runs the composite for the rest). */
export const ACCELERATED_UNARY = ['rsqrt', 'reciprocal', 'sigmoid', 'relu'] as const satisfies readonly UnaryComposite[];
/** The unary ops with a WGSL expression: every primitive, and the accelerated composites. */
export type WebGPUUnaryOp = UnaryPrimitive | (typeof ACCELERATED_UNARY)[number];
export const ACCELERATED_BINARY = [] as const satisfies readonly BinaryComposite[];
export type WebGPUBinaryOp = BinaryPrimitive | (typeof ACCELERATED_BINARY)[number];

/** The ops among {@link WebGPUUnaryOp} whose inputs of dtype class `C` reach the kernel (their rule is 'kernel'). */
type UnaryTaking<C extends 'int' | 'bool'> = {
  [K in WebGPUUnaryOp]: (typeof UNARY_TABLE)[K][C] extends 'kernel' ? K : never;
}[WebGPUUnaryOp];

/** Float helpers: accurate expm1/log1p (Kahan's tricks), stable sigmoid/tanh, erf, pow. */
const MATH_WGSL = /* wgsl */ `
fn expm1_(x: f32) -> f32 {
  let u = exp(x);
  if (u == 1.0) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  if (abs(x) > 1.0) { return um1; }
  return um1 * x / log(u);
}
fn log1p_(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  if (abs(x) > 0.5) { return log(u); }
  return log(u) * x / (u - 1.0);
}
fn sigmoid_(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn tanh_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a < 0.125) {
    let z = x * x;
    return x * (1.0 + z * (-0.33333333 + z * (0.13333333 + z * (-0.053968254 + z * 0.021869488))));
  }
  let t = exp(-2.0 * a);
  let r = (1.0 - t) / (1.0 + t);
  return select(r, -r, x < 0.0);
}
fn erf_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let y = abs(x);
  if (y <= 0.46875) {
    // Cody's rational approximation on the inner interval.
    let z = y * y;
    var num = 0.185777706184603153 * z;
    var den = z;
    num = (num + 3.1611237438705656) * z; den = (den + 23.6012909523441209) * z;
    num = (num + 113.864154151050156) * z; den = (den + 244.024637934444173) * z;
    num = (num + 377.485237685302021) * z; den = (den + 1282.61652607737228) * z;
    return x * (num + 3209.37758913846947) / (den + 2844.23683343917062);
  }
  if (y >= 6.0) { return select(1.0, -1.0, x < 0.0); }
  // Abramowitz and Stegun 7.1.26 refined: erfc via a continued rational in t (|error| < 1.2e-7).
  let t = 1.0 / (1.0 + 0.5 * y);
  let p = -y * y - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let r = 1.0 - t * exp(p);
  return select(r, -r, x < 0.0);
}
// Nonzero, NaN included: compilers may treat x != 0.0 as an ordered comparison (false for NaN; llvmpipe does).
fn truthy(x: f32) -> bool { return x != 0.0 || is_nan(x); }
// int32 powers by squaring, wrapping modulo 2^32 as PyTorch's (WGSL's i32 products wrap);
// a negative power truncates toward zero: 1 and -1 stay ±1, anything else is 0.
fn ipow_(x: i32, y: i32) -> i32 {
  if (y < 0) { return select(select(0, select(1, -1, (y & 1) != 0), x == -1), 1, x == 1); }
  var r = 1;
  var b = x;
  var e = u32(y);
  loop {
    if (e == 0u) { break; }
    if ((e & 1u) == 1u) { r = r * b; }
    b = b * b;
    e = e >> 1u;
  }
  return r;
}
// C's fmod, exact: subtract |b| scaled to the remainder's exponent (each step exact by
// Sterbenz's lemma) until the remainder is below |b|; the dividend's sign.
fn fmod_(a: f32, b: f32) -> f32 {
  let nan = f32bits(0x7fc00000u);
  if (is_nan(a) || is_nan(b) || b == 0.0 || abs(a) == f32bits(0x7f800000u)) { return nan; }
  let d = abs(b);
  var r = abs(a);
  if (r < d) { return a; }
  let fd = frexp(d).fract;
  for (var i = 0; i < 300 && r >= d; i++) {
    var s = ldexp(fd, frexp(r).exp);
    if (s > r) { s = s * 0.5; }
    r = r - s;
  }
  return select(r, -r, a < 0.0);
}
fn remainder_(a: f32, b: f32) -> f32 {
  var m = fmod_(a, b);
  if (m != 0.0 && (b < 0.0) != (m < 0.0)) { m = m + b; }
  return m;
}
fn floordiv_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return a / b; }
  let m = fmod_(a, b);
  var q = (a - m) / b;
  if (m != 0.0 && (b < 0.0) != (m < 0.0)) { q = q - 1.0; }
  // A zero quotient takes the sign of a / b.
  if (q == 0.0) { return select(0.0, f32bits(0x80000000u), (bitcast<u32>(a) >> 31u) != (bitcast<u32>(b) >> 31u)); }
  var f = floor(q);
  if (q - f > 0.5) { f = f + 1.0; }
  return f;
}
fn ifmod_(a: i32, b: i32) -> i32 {
  if (b == 0 || b == -1) { return 0; }
  return a % b;
}
fn iremainder_(a: i32, b: i32) -> i32 {
  var m = ifmod_(a, b);
  if (m != 0 && (b < 0) != (m < 0)) { m = m + b; }
  return m;
}
fn ifloordiv_(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  if (b == -1) { return -a; }
  let q = a / b;
  return select(q, q - 1, (a % b != 0) && ((a < 0) != (b < 0)));
}
fn sign_(x: f32) -> f32 { return select(0.0, 1.0, x > 0.0) - select(0.0, 1.0, x < 0.0); }
fn pow_(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return f32bits(0x7fc00000u); }
  if (x == 0.0) {
    let oddInt = fract(y * 0.5) == 0.5;
    if (y > 0.0) { return select(0.0, x, oddInt); }
    let inf = f32bits(0x7f800000u);
    return select(inf, select(inf, -inf, bitcast<u32>(x) != 0u), oddInt);
  }
  let a = abs(x);
  let isInt = floor(y) == y;
  if (x < 0.0 && !isInt) { return f32bits(0x7fc00000u); }
  var r: f32;
  if (isInt && abs(y) <= 64.0) {
    // Exact repeated squaring for small integer exponents (x^2, x^3 as PyTorch computes them).
    var e = u32(abs(y));
    var b = a;
    r = 1.0;
    loop {
      if ((e & 1u) == 1u) { r = r * b; }
      e = e >> 1u;
      if (e == 0u) { break; }
      b = b * b;
    }
    if (y < 0.0) { r = 1.0 / r; }
  } else {
    r = exp2(y * log2(a));
  }
  if (x < 0.0 && fract(y * 0.5) != 0.0) { r = -r; }
  return r;
}
`;

/** The expression of a unary op on float `x` (f32): every op takes floats. */
function floatUnary(op: WebGPUUnaryOp): string {
  switch (op) {
    case 'neg': return '-x';
    case 'abs': return 'abs(x)';
    case 'sign': return 'sign_(x)';
    case 'exp': return 'exp(x)';
    case 'expm1': return 'expm1_(x)';
    case 'log': return 'log(x)';
    case 'log1p': return 'log1p_(x)';
    case 'sqrt': return 'sqrt(x)';
    case 'rsqrt': return '1.0 / sqrt(x)';
    case 'reciprocal': return '1.0 / x';
    case 'sin': return 'sin(x)';
    case 'cos': return 'cos(x)';
    case 'tanh': return 'tanh_(x)';
    case 'sigmoid': return 'sigmoid_(x)';
    case 'relu': return 'select(x, 0.0, x < 0.0)';
    case 'erf': return 'erf_(x)';
    case 'floor': return 'floor(x)';
    case 'ceil': return 'ceil(x)';
    case 'round': return 'round(x)';
    case 'logicalNot': return 'select(0u, 1u, x == 0.0)';
    default:
      throw new Error(`webgpu backend: unary kernel has no float expression for '${op satisfies never}'`);
  }
}

/** The expression of a unary op on int32 `x` (i32), for the ops whose int rule is 'kernel'. */
function intUnary(op: UnaryTaking<'int'>): string {
  switch (op) {
    case 'neg': return '-x';
    case 'abs': return 'select(x, -x, x < 0)';
    case 'sign': return 'select(0, 1, x > 0) - select(0, 1, x < 0)';
    case 'relu': return 'select(x, 0, x < 0)';
    case 'logicalNot': return 'select(0u, 1u, x == 0)';
    default:
      throw new Error(`webgpu backend: unary kernel has no int32 expression for '${op satisfies never}'`);
  }
}

/** The expression of a unary op on bool `x` (u32, 0 or 1), for the ops whose bool rule is 'kernel'. */
function boolUnary(op: UnaryTaking<'bool'>): string {
  switch (op) {
    case 'logicalNot': return 'select(0u, 1u, x == 0u)';
    default:
      throw new Error(`webgpu backend: unary kernel has no bool expression for '${op satisfies never}'`);
  }
}

/** Parameters of the strided map kernel: elements, and the walk over the inputs and `out`. */
function mapRecord(views: number, rank: number) {
  return UniformRecord.of('map', [['count', 1], ...walkFields('walk', rank, views)]);
}

/** A one-thread-per-element kernel over `inputs` views and a strided `out`. */
function mapKernel(
  name: string, inputs: readonly DType[], outType: DType, record: ReturnType<typeof mapRecord>, body: string, extra = '',
): KernelSource {
  const names = inputs.map((_, i) => `o${i}`);
  return {
    key: `map:${name}:${inputs.join(',')}>${outType}:r${record.places.walkShape.count}`,
    writes: [...inputs.map(() => false), true],
    wgsl: () => `${headerWGSL(record, [...inputs.map((d, i) => ({ name: `in${i}`, type: storageType(d), write: false })), { name: 'out', type: storageType(outType), write: true }])}
${MATH_WGSL}
${extra}
${ENTRY_1D} {
  let i = ${FLAT_INDEX};
  if (i >= map_count_u()) { return; }
  ${walkWGSL(record, 'walk', 'i', [...names, 'oo'])}
  ${inputs.map((d, k) => `let v${k} = ${load(d, `in${k}[o${k}]`)};`).join('\n  ')}
  out[oo] = ${store(outType, body)};
}`,
  };
}

/**
 * How each input of a packed map kernel is read: 'v' four consecutive elements (a vec4),
 * 's' one element for all (a broadcast scalar, whose address is the same in every lane),
 * 'r' a contiguous row repeated along leading broadcast dims (a bias: four consecutive
 * elements of the row, at the flat index modulo the row's length).
 */
type PackedInput = 'v' | 's' | 'r';

/**
 * Parameters of the packed map kernel, in vec4s: `count` of them, `out` from `outOffset`;
 * per input its offset (in elements for a broadcast scalar) and, for a repeated row, the
 * row's length.
 */
function packedRecord(inputs: number) {
  return UniformRecord.of('map4', [['count', 1], ['outOffset', 1], ['inOffsets', [inputs]], ['rowLengths', [inputs]]]);
}

/**
 * The packed form of a map kernel, for contiguous outputs whose inputs are contiguous or
 * broadcast scalars (the common case: most elementwise work in training): four elements per
 * thread through vec4 loads and stores, broadcast scalars loaded once at a uniform address,
 * and no index arithmetic. On llvmpipe each lane's load is a separate memory access, so four
 * elements per access is up to 4x fewer; the body runs per element, so results are those of
 * {@link mapKernel} exactly.
 */
function packedMapKernel(name: string, inputs: readonly DType[], kinds: readonly PackedInput[], outType: DType, body: string, extra: string): KernelSource {
  const types = inputs.map((d) => storageType(d));
  const ot = storageType(outType);
  const lanes = ['x', 'y', 'z', 'w'];
  const record = packedRecord(inputs.length);
  const loads = kinds.map((k, i) =>
    k === 'v' ? `let v${i} = in${i}[map4_inOffsets_u(${i}u) + i];`
    : k === 'r' ? `let v${i} = in${i}[map4_inOffsets_u(${i}u) + i % map4_rowLengths_u(${i}u)];`
    : `let v${i} = in${i}[map4_inOffsets(${i}u)];`);
  const arg = (i: number, lane: string) => load(inputs[i], kinds[i] === 's' ? `v${i}` : `v${i}.${lane}`);
  return {
    key: `map4:${name}:${inputs.join(',')}>${outType}:${kinds.join('')}`,
    writes: [...inputs.map(() => false), true],
    wgsl: () => `${headerWGSL(record, [
  ...inputs.map((_, i) => ({ name: `in${i}`, type: kinds[i] === 's' ? types[i] : `vec4<${types[i]}>`, write: false })),
  { name: 'out', type: `vec4<${ot}>`, write: true },
])}
${MATH_WGSL}
${extra}
fn f_(${inputs.map((d, i) => `v${i}: ${computeType(d)}`).join(', ')}) -> ${computeType(outType)} { return ${body}; }
${ENTRY_1D} {
  let i = ${FLAT_INDEX};
  if (i >= map4_count_u()) { return; }
  ${loads.join('\n  ')}
  out[map4_outOffset_u() + i] = vec4<${ot}>(${lanes.map((l) => store(outType, `f_(${inputs.map((_, k) => arg(k, l)).join(', ')})`)).join(', ')});
}`,
  };
}

/** The packed reading of each input (and the row length of 'r' ones), or null when the views do not allow the packed form. */
function packedKinds(n: number, inputs: readonly TensorView[], out: TensorView): { kinds: PackedInput[]; rows: number[] } | null {
  if (n % 4 !== 0 || out.offset % 4 !== 0 || !isContiguous(out.shape, out.strides)) return null;
  const kinds: PackedInput[] = [], rows: number[] = [];
  for (const v of inputs) {
    let kind: PackedInput | null = null, row = 0;
    if (v.strides.every((s) => s === 0)) kind = 's';
    else if (v.offset % 4 === 0 && isContiguous(v.shape, v.strides)) kind = 'v';
    else if (v.offset % 4 === 0) {
      // Leading dims broadcast (stride 0) or of size 1, the rest contiguous: a repeated row.
      let d = v.shape.length;
      let expected = 1;
      while (d > 0 && (v.shape[d - 1] === 1 || v.strides[d - 1] === expected)) {
        d--;
        expected *= v.shape[d];
      }
      if (expected % 4 === 0 && v.shape.slice(0, d).every((size, i) => size === 1 || v.strides[i] === 0)) {
        kind = 'r';
        row = expected;
      }
    }
    if (!kind) return null;
    kinds.push(kind);
    rows.push(row / 4);
  }
  return { kinds, rows };
}

/** Run a map kernel: `body` sees `v0`, `v1`... (loaded inputs) and writes one value of `out`'s type. */
function runMap(rt: Runtime, name: string, inputs: readonly TensorView[], out: TensorView, body: string, extra = ''): void {
  const n = sizeOf(out.shape);
  if (n === 0) return;
  const packed = packedKinds(n, inputs, out);
  if (packed) {
    const { kinds, rows } = packed;
    const params = packedRecord(inputs.length).pack({
      count: n / 4, outOffset: out.offset / 4, inOffsets: inputs.map((v, i) => (kinds[i] === 's' ? v.offset : v.offset / 4)), rowLengths: rows,
    });
    const kernel = packedMapKernel(name, inputs.map((v) => v.dtype), kinds, out.dtype, body, extra);
    rt.dispatch(kernel, [...inputs.map((v) => gpuBufferOf(v.buffer).buffer), gpuBufferOf(out.buffer).buffer], params, grid(n / 4));
    return;
  }
  const plan = planWalk(name, out.shape, [...inputs, out]);
  const record = mapRecord(inputs.length + 1, plan.shape.length);
  const params = record.pack({ count: n, ...walkValues('walk', plan) });
  const kernel = mapKernel(name, inputs.map((v) => v.dtype), out.dtype, record, body, extra);
  rt.dispatch(kernel, [...inputs.map((v) => gpuBufferOf(v.buffer).buffer), gpuBufferOf(out.buffer).buffer], params, grid(n));
}

/**
 * `op` on `x`. Core sends each op only the dtypes its rules give the kernel (`kernelDTypes`),
 * so an int32 `x` means an op whose int rule is 'kernel', a bool one an op whose bool rule is.
 */
export function unary(rt: Runtime, op: WebGPUUnaryOp, x: TensorView, out: TensorView): void {
  const expr =
    x.dtype === 'bool' ? boolUnary(op as UnaryTaking<'bool'>)
    : x.dtype === 'int32' ? intUnary(op as UnaryTaking<'int'>)
    : floatUnary(op);
  runMap(rt, `unary.${op}`, [x], out, 'u_(v0)', `fn u_(x: ${computeType(x.dtype)}) -> ${computeType(out.dtype)} { return ${expr}; }`);
}

/**
 * The expression of a binary op on `a`, `b` of WGSL type `t`, for the dtypes the op table
 * sends it: arithmetic takes floats and int32 (div floats only), comparisons any dtype,
 * logicalAnd/logicalOr bools only.
 */
function binaryExpr(op: WebGPUBinaryOp, t: 'f32' | 'i32' | 'u32'): string {
  const float = t === 'f32';
  // A NaN operand wins maximum/minimum, and is unequal to everything.
  const nanA = float ? ' || is_nan(a)' : '';
  switch (op) {
    case 'add': return 'a + b';
    case 'sub': return 'a - b';
    case 'mul': return 'a * b';
    case 'div': return 'a / b';
    case 'pow': return float ? 'pow_(a, b)' : 'ipow_(a, b)';
    case 'maximum': return `select(b, a, a > b${nanA})`;
    case 'minimum': return `select(b, a, a < b${nanA})`;
    case 'eq': return 'select(0u, 1u, a == b)';
    // Compilers may take != as an ordered comparison (false for NaN; llvmpipe does).
    case 'ne': return `select(0u, 1u, a != b${float ? ' || is_nan(a) || is_nan(b)' : ''})`;
    case 'lt': return 'select(0u, 1u, a < b)';
    case 'le': return 'select(0u, 1u, a <= b)';
    case 'gt': return 'select(0u, 1u, a > b)';
    case 'ge': return 'select(0u, 1u, a >= b)';
    case 'logicalAnd': return 'select(0u, 1u, a != 0u && b != 0u)';
    case 'logicalOr': return 'select(0u, 1u, a != 0u || b != 0u)';
    // int32 kernels give 0 for a zero divisor (core raises before, where it can read it).
    case 'remainder': return float ? 'remainder_(a, b)' : 'iremainder_(a, b)';
    case 'fmod': return float ? 'fmod_(a, b)' : 'ifmod_(a, b)';
    case 'floorDivide': return float ? 'floordiv_(a, b)' : 'ifloordiv_(a, b)';
    // int32 (i32) or bool (u32 0/1); WGSL takes shift counts modulo 32, as the op table does.
    case 'bitwiseAnd': return 'a & b';
    case 'bitwiseOr': return 'a | b';
    case 'bitwiseXor': return 'a ^ b';
    case 'bitwiseLeftShift': return 'a << (u32(b) & 31u)';
    case 'bitwiseRightShift': return 'a >> (u32(b) & 31u)';
    default:
      throw new Error(`webgpu backend: binary kernel has no expression for '${op satisfies never}'`);
  }
}

export function binary(rt: Runtime, op: WebGPUBinaryOp, a: TensorView, b: TensorView, out: TensorView): void {
  const t = computeType(a.dtype);
  const fn = `fn b_(a: ${t}, b: ${t}) -> ${computeType(out.dtype)} { return ${binaryExpr(op, t)}; }`;
  runMap(rt, `binary.${op}`, [a, b], out, 'b_(v0, v1)', fn);
}

export function where(rt: Runtime, cond: TensorView, a: TensorView, b: TensorView, out: TensorView): void {
  const nonzero = { f32: 'truthy(v0)', i32: 'v0 != 0', u32: 'v0 != 0u' }[computeType(cond.dtype)];
  runMap(rt, 'where', [cond, a, b], out, `select(v2, v1, ${nonzero})`);
}

export function copy(rt: Runtime, x: TensorView, out: TensorView): void {
  if (x.dtype !== out.dtype) {
    throw new Error(`webgpu backend: copy needs one dtype, got ${x.dtype} and ${out.dtype}; use cast`);
  }
  runMap(rt, 'copy', [x], out, 'v0');
}

/** float to int truncates toward zero; to bool is `!= 0` (NaN is true). */
export function cast(rt: Runtime, x: TensorView, out: TensorView): void {
  const from = computeType(x.dtype);
  const to = computeType(out.dtype);
  let body: string;
  if (from === to) body = 'v0'; // float16 <-> float32: the store rounds
  else if (out.dtype === 'bool') body = `select(0u, 1u, ${from === 'f32' ? 'truthy(v0)' : 'v0 != 0'})`;
  // NaN truncates to 0, as a JavaScript Int32Array store (the cpu reference) does.
  else if (from === 'f32' && to === 'i32') body = 'select(i32(trunc(v0)), 0, is_nan(v0))';
  else body = `${to}(v0)`;
  runMap(rt, 'cast', [x], out, body);
}

export function fill(rt: Runtime, out: TensorView, value: number): void {
  const n = sizeOf(out.shape);
  if (n === 0) return;
  const plan = planWalk('fill', out.shape, [out]);
  const t = computeType(out.dtype);
  const record = UniformRecord.of('fill', [['count', 1], ...walkFields('walk', plan.shape.length, 1), ['value', 1, t === 'f32' ? 'float' : 'int']]);
  const params = record.pack({ count: n, ...walkValues('walk', plan), value: t === 'f32' ? value : t === 'i32' ? value | 0 : +(value !== 0) });
  const kernel: KernelSource = {
    key: `fill:${out.dtype}:r${plan.shape.length}`,
    writes: [true],
    wgsl: () => `${headerWGSL(record, [{ name: 'out', type: storageType(out.dtype), write: true }])}
${ENTRY_1D} {
  let i = ${FLAT_INDEX};
  if (i >= fill_count_u()) { return; }
  ${walkWGSL(record, 'walk', 'i', ['oo'])}
  out[oo] = ${store(out.dtype, t === 'u32' ? 'fill_value_u()' : 'fill_value()')};
}`,
  };
  rt.dispatch(kernel, [gpuBufferOf(out.buffer).buffer], params, grid(n));
}
