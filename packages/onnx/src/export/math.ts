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

/** C's fmod (the dividend's sign), then moved by the divisor where the signs differ (PyTorch's remainder). */
function remainder(g: GraphBuilder, a: string, b: string, zero: string): string {
  const r = node(g, 'Mod', [a, b], { fmod: 1 });
  const signsDiffer = node(g, 'Xor', [node(g, 'Less', [r, zero]), node(g, 'Less', [b, zero])]);
  const moves = node(g, 'And', [node(g, 'Not', [node(g, 'Equal', [r, zero])]), signsDiffer]);
  return node(g, 'Where', [moves, node(g, 'Add', [r, b]), r]);
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

export const MATH_WRITERS: Readonly<Record<string, Writer>> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([op, t]) => [op, one(t)])),
  log2: formula((g, [x], k) => node(g, 'Div', [node(g, 'Log', [x]), k(Math.LN2)])),
  log10: formula((g, [x], k) => node(g, 'Div', [node(g, 'Log', [x]), k(Math.LN10)])),
  exp2: formula((g, [x], k) => node(g, 'Pow', [k(2), x])),
  trunc: formula((g, [x]) => trunc(g, x)),
  frac: formula((g, [x]) => node(g, 'Sub', [x, trunc(g, x)])),
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
  remainder: formula((g, [a, b], k) => remainder(g, a, b, k(0))),
  // Floats: floor(a / b). Integers: the truncated quotient, one lower where a remainder is left and the signs differ.
  floorDivide: formula((g, [a, b], k, c) => {
    if (c.dtype(0) !== 'int32') return node(g, 'Floor', [node(g, 'Div', [a, b])]);
    const q = node(g, 'Div', [a, b]);
    const left = node(g, 'Not', [node(g, 'Equal', [node(g, 'Mod', [a, b], { fmod: 1 }), k(0)])]);
    const signsDiffer = node(g, 'Xor', [node(g, 'Less', [a, k(0)]), node(g, 'Less', [b, k(0)])]);
    return node(g, 'Where', [node(g, 'And', [left, signsDiffer]), node(g, 'Sub', [q, k(1)]), q]);
  }),
  fmax: formula(nanIgnoring('Max')),
  fmin: formula(nanIgnoring('Min')),
};
