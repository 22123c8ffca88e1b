// The pointwise math ops beyond ONNX's basic arithmetic: one node where ONNX has the
// function, else the formula PyTorch's kernel computes, in ONNX nodes.
import type { GraphBuilder } from './graph.js';
import { type EmitContext, type Writer, element, one } from './writer.js';

const UNARY: Record<string, string> = {
  sign: 'Sign', round: 'Round', tan: 'Tan', sinh: 'Sinh', cosh: 'Cosh', asin: 'Asin', acos: 'Acos', atan: 'Atan',
  asinh: 'Asinh', acosh: 'Acosh', atanh: 'Atanh', isnan: 'IsNaN', logicalXor: 'Xor',
};

/** A writer from the graph, the op's input names and a constant of its dtype; the result goes to the op's output. */
type Formula = (g: GraphBuilder, inputs: readonly string[], constant: (v: number) => string, c: EmitContext) => string;

function formula(f: Formula): Writer {
  return (c) => {
    const dtype = element(c.dtype(0));
    const result = f(c.graph, c.inputs, (v) => c.graph.scalar(v, dtype), c);
    c.graph.node('Identity', [result], c.outputs);
  };
}

const node = (g: GraphBuilder, opType: string, inputs: readonly string[], attrs = {}): string => g.node(opType, inputs, 1, attrs)[0];

/** Toward zero: sign(x) · floor(|x|). */
const trunc = (g: GraphBuilder, x: string): string => node(g, 'Mul', [node(g, 'Sign', [x]), node(g, 'Floor', [node(g, 'Abs', [x])])]);

/**
 * C's fmod of `a` by `b` (the dividend's sign), and where PyTorch's floor rounding moves away
 * from it: a remainder is left and its sign differs from the divisor's.
 */
function floorCorrection(g: GraphBuilder, a: string, b: string, zero: string): { r: string; moves: string } {
  const r = node(g, 'Mod', [a, b], { fmod: 1 });
  const signsDiffer = node(g, 'Xor', [node(g, 'Less', [r, zero]), node(g, 'Less', [b, zero])]);
  return { r, moves: node(g, 'And', [node(g, 'Not', [node(g, 'Equal', [r, zero])]), signsDiffer]) };
}

/**
 * `m + log(exp(a - m) + exp(b - m))`, m the larger, in base e or 2 (`k` makes a constant of
 * the operands' dtype).
 */
export function logAddExpOf(g: GraphBuilder, [a, b]: readonly string[], k: (v: number) => string, base2 = false): string {
  const m = node(g, 'Max', [a, b]);
  const term = (x: string) => {
    const d = node(g, 'Sub', [x, m]);
    return base2 ? node(g, 'Pow', [k(2), d]) : node(g, 'Exp', [d]);
  };
  const sum = node(g, 'Add', [term(a), term(b)]);
  const log = base2 ? node(g, 'Div', [node(g, 'Log', [sum]), k(Math.LN2)]) : node(g, 'Log', [sum]);
  // Equal operands (both infinite among them, where a - m is NaN): a + log 2.
  return node(g, 'Where', [node(g, 'Equal', [a, b]), node(g, 'Add', [a, k(base2 ? 1 : Math.LN2)]), node(g, 'Add', [m, log])]);
}

/** NaN-ignoring max or min: the other operand where one is NaN. */
function nanIgnoring(opType: 'Max' | 'Min'): Formula {
  return (g, [a, b], k, c) => {
    if (c.dtype(0) !== 'float32') return node(g, opType, [a, b]);
    return node(g, 'Where', [node(g, 'IsNaN', [a]), b, node(g, 'Where', [node(g, 'IsNaN', [b]), a, node(g, opType, [a, b])])]);
  };
}

/** c[0] + c[1] x + ... + c[n] x^n, by Horner's rule. */
function horner(g: GraphBuilder, x: string, coefficients: readonly number[], k: (v: number) => string): string {
  let acc = node(g, 'Mul', [x, k(coefficients.at(-1)!)]);
  for (let i = coefficients.length - 2; i > 0; i--) acc = node(g, 'Mul', [node(g, 'Add', [acc, k(coefficients[i]!)]), x]);
  return node(g, 'Add', [acc, k(coefficients[0]!)]);
}

// The series of core's composites (backend/composites.ts), written in ONNX nodes.

/** erfinv after Giles (2010), single precision: two polynomials in w = -log(1 - x²); ±1 gives ±inf. */
const erfinv: Formula = (g, [x], k) => {
  const w = node(g, 'Neg', [node(g, 'Log', [node(g, 'Mul', [node(g, 'Sub', [k(1), x]), node(g, 'Add', [x, k(1)])])])]);
  const central = horner(g, node(g, 'Sub', [w, k(2.5)]), [
    1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087, -4.39150654e-6, -3.5233877e-6, 3.43273939e-7, 2.81022636e-8,
  ], k);
  const tail = horner(g, node(g, 'Sub', [node(g, 'Sqrt', [w]), k(3)]), [
    2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773, -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257,
  ], k);
  const y = node(g, 'Mul', [node(g, 'Where', [node(g, 'Less', [w, k(5)]), central, tail]), x]);
  return node(g, 'Where', [node(g, 'Equal', [node(g, 'Abs', [x]), k(1)]), node(g, 'Mul', [x, k(Infinity)]), y]);
};

/** log Γ(x) for x > 0: Numerical Recipes' Lanczos sum (g = 5, n = 6). */
function lgammaPositive(g: GraphBuilder, x: string, k: (v: number) => string): string {
  const terms = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
  let series = k(1.000000000190015);
  terms.forEach((c, j) => (series = node(g, 'Add', [series, node(g, 'Div', [k(c), node(g, 'Add', [x, k(j + 1)])])])));
  const base = node(g, 'Add', [x, k(5.5)]);
  const lead = node(g, 'Sub', [node(g, 'Mul', [node(g, 'Add', [x, k(0.5)]), node(g, 'Log', [base])]), base]);
  return node(g, 'Add', [lead, node(g, 'Log', [node(g, 'Div', [node(g, 'Mul', [series, k(2.5066282746310005)]), x])])]);
}

/** log |Γ(x)|: Lanczos from 1/2, reflection log(π / |sin πx|) - lgamma(1 - x) below; +inf at the poles and ±inf. */
const lgamma: Formula = (g, [x], k) => {
  const small = node(g, 'Less', [x, k(0.5)]);
  const positive = lgammaPositive(g, node(g, 'Where', [small, node(g, 'Sub', [k(1), x]), x]), k);
  const sine = node(g, 'Abs', [node(g, 'Sin', [node(g, 'Mul', [x, k(Math.PI)])])]);
  const reflected = node(g, 'Sub', [node(g, 'Log', [node(g, 'Div', [k(Math.PI), sine])]), positive]);
  const pole = node(g, 'Or', [node(g, 'And', [node(g, 'LessOrEqual', [x, k(0)]), node(g, 'Equal', [node(g, 'Floor', [x]), x])]), node(g, 'IsInf', [x])]);
  return node(g, 'Where', [pole, k(Infinity), node(g, 'Where', [small, reflected, positive])]);
};

/** ψ(x) for x > 0: six recurrence steps, then the asymptotic series at x + 6. */
function digammaPositive(g: GraphBuilder, x: string, k: (v: number) => string): string {
  let steps = node(g, 'Reciprocal', [x]);
  for (let j = 1; j < 6; j++) steps = node(g, 'Add', [steps, node(g, 'Reciprocal', [node(g, 'Add', [x, k(j)])])]);
  const z = node(g, 'Add', [x, k(6)]);
  const w = node(g, 'Reciprocal', [node(g, 'Mul', [z, z])]);
  const series = horner(g, w, [0, 1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132], k);
  return node(g, 'Sub', [node(g, 'Sub', [node(g, 'Sub', [node(g, 'Log', [z]), node(g, 'Div', [k(0.5), z])]), series]), steps]);
}

/** ψ(x): reflection ψ(1 - x) - π / tan(πx) below 0; NaN at negative integers, -inf at +0 and +inf at -0, as PyTorch. */
const digamma: Formula = (g, [x], k) => {
  const negative = node(g, 'Less', [x, k(0)]);
  const positive = digammaPositive(g, node(g, 'Where', [negative, node(g, 'Sub', [k(1), x]), x]), k);
  const cot = node(g, 'Div', [k(Math.PI), node(g, 'Tan', [node(g, 'Mul', [x, k(Math.PI)])])]);
  const value = node(g, 'Where', [negative, node(g, 'Sub', [positive, cot]), positive]);
  const negativeInteger = node(g, 'And', [negative, node(g, 'Equal', [node(g, 'Floor', [x]), x])]);
  // The sign of a zero, read through 1/x.
  const atZero = node(g, 'Where', [node(g, 'Less', [node(g, 'Reciprocal', [x]), k(0)]), k(Infinity), k(-Infinity)]);
  return node(g, 'Where', [node(g, 'Equal', [x, k(0)]), atZero, node(g, 'Where', [negativeInteger, k(NaN), value])]);
};

/** A bitwise op: ONNX's logical one on bools; on integers its Bitwise* node, from opset 18. */
const bitwise = (logical: string, bitwiseOp: string): Writer => (c) => {
  if (c.dtype(0) === 'bool') return void c.graph.node(logical, c.inputs, c.outputs);
  if (c.opset < 18) throw new Error(`${c.where}: ${bitwiseOp} on integers needs opset 18 or later; pass { opset: 18 }`);
  c.graph.node(bitwiseOp, c.inputs, c.outputs);
};

export const MATH_WRITERS: Readonly<Record<string, Writer>> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([op, t]) => [op, one(t)])),
  'linalg.det': one('Det'),
  bitwiseAnd: bitwise('And', 'BitwiseAnd'),
  bitwiseOr: bitwise('Or', 'BitwiseOr'),
  bitwiseXor: bitwise('Xor', 'BitwiseXor'),
  bitwiseNot: bitwise('Not', 'BitwiseNot'),
  log2: formula((g, [x], k) => node(g, 'Div', [node(g, 'Log', [x]), k(Math.LN2)])),
  log10: formula((g, [x], k) => node(g, 'Div', [node(g, 'Log', [x]), k(Math.LN10)])),
  exp2: formula((g, [x], k) => node(g, 'Pow', [k(2), x])),
  trunc: formula((g, [x]) => trunc(g, x)),
  frac: formula((g, [x]) => node(g, 'Sub', [x, trunc(g, x)])),
  erfinv: formula(erfinv),
  lgamma: formula(lgamma),
  digamma: formula(digamma),
  erfc: formula((g, [x], k) => node(g, 'Sub', [k(1), node(g, 'Erf', [x])])),
  // sin(πx) / (πx), 1 at 0.
  sinc: formula((g, [x], k) => {
    const px = node(g, 'Mul', [x, k(Math.PI)]);
    return node(g, 'Where', [node(g, 'Equal', [x, k(0)]), k(1), node(g, 'Div', [node(g, 'Sin', [px]), px])]);
  }),
  isinf: one('IsInf'),
  isposinf: (c) => void c.graph.node('IsInf', c.inputs, c.outputs, { detect_negative: 0 }),
  isneginf: (c) => void c.graph.node('IsInf', c.inputs, c.outputs, { detect_positive: 0 }),
  isfinite: (c) => {
    const g = c.graph;
    g.node('Not', [node(g, 'Or', [node(g, 'IsNaN', c.inputs), node(g, 'IsInf', c.inputs)])], c.outputs);
  },
  // atan(y / x), moved by ±π where x < 0 (the sign of y says which); 0 where both are 0.
  atan2: formula((g, [y, x], k) => {
    const base = node(g, 'Atan', [node(g, 'Div', [y, x])]);
    const turned = node(g, 'Where', [node(g, 'Less', [y, k(0)]), node(g, 'Sub', [base, k(Math.PI)]), node(g, 'Add', [base, k(Math.PI)])]);
    const quadrant = node(g, 'Where', [node(g, 'Less', [x, k(0)]), turned, base]);
    const origin = node(g, 'And', [node(g, 'Equal', [x, k(0)]), node(g, 'Equal', [y, k(0)])]);
    return node(g, 'Where', [origin, k(0), quadrant]);
  }),
  hypot: formula((g, [a, b]) => node(g, 'Sqrt', [node(g, 'Add', [node(g, 'Mul', [a, a]), node(g, 'Mul', [b, b])])])),
  copysign: formula((g, [a, b], k) => {
    const magnitude = node(g, 'Abs', [a]);
    return node(g, 'Where', [node(g, 'Less', [b, k(0)]), node(g, 'Neg', [magnitude]), magnitude]);
  }),
  logaddexp: formula((g, inputs, k) => logAddExpOf(g, inputs, k)),
  logaddexp2: formula((g, inputs, k) => logAddExpOf(g, inputs, k, true)),
  // x · log(y), 0 where x is 0 unless y is NaN.
  xlogy: formula((g, [x, y], k) => {
    const zero = node(g, 'And', [node(g, 'Equal', [x, k(0)]), node(g, 'Not', [node(g, 'IsNaN', [y])])]);
    return node(g, 'Where', [zero, k(0), node(g, 'Mul', [x, node(g, 'Log', [y])])]);
  }),
  fmod: (c) => void c.graph.node('Mod', c.inputs, c.outputs, { fmod: 1 }),
  // fmod moved by the divisor where floor rounding differs from truncation.
  remainder: formula((g, [a, b], k) => {
    const { r, moves } = floorCorrection(g, a, b, k(0));
    return node(g, 'Where', [moves, node(g, 'Add', [r, b]), r]);
  }),
  // Floats: floor(a / b). Integers: the truncated quotient, one lower where floor rounding differs.
  floorDivide: formula((g, [a, b], k, c) => {
    if (c.dtype(0) !== 'int32') return node(g, 'Floor', [node(g, 'Div', [a, b])]);
    const q = node(g, 'Div', [a, b]);
    return node(g, 'Where', [floorCorrection(g, a, b, k(0)).moves, node(g, 'Sub', [q, k(1)]), q]);
  }),
  fmax: formula(nanIgnoring('Max')),
  fmin: formula(nanIgnoring('Min')),
};
