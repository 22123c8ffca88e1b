/**
 * Contractions with PyTorch's names and rules: einsum, mm, bmm, mv, dot, vdot, outer, inner,
 * tensordot, kron, addmm, baddbmm, cross. Every one is a composite of differentiable ops
 * (views, reshape, expand, sum, mul and batched matmul), so gradients, higher-order
 * gradients and every backend come free; none loops over elements.
 */
import { recordOp } from '../autograd/engine.js';
import { owned } from '../memory.js';
import { isFloating } from '../dtype.js';
import { broadcastShapes, formatShape, normalizeDim, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { eye } from './creation.js';
import { matmul } from './matmul.js';
import { cat } from './shape.js';
import { checkOptionKeys, deviceOf, requireTensor, viewOf } from './util.js';
import { autocastActive, autocasting } from '../autocast.js';

function floatPair(op: string, a: Tensor, b: Tensor): void {
  requireTensor(op, a, 'the first operand');
  requireTensor(op, b, 'the second operand');
  deviceOf(op, a, b);
  if (!isFloating(a.dtype) || a.dtype !== b.dtype) {
    throw new TypeError(`${op}: expected two float32 (or two float16) operands, got ${a.dtype} and ${b.dtype}; cast with t.float()`);
  }
}

// ---- matrix and vector products ----------------------------------------------------------

/**
 * Matrix product of two 2-D tensors (torch.mm; no broadcasting, see `matmul` for that).
 *
 * @example
 * ```ts
 * tl.mm(tl.randn([2, 3]), tl.randn([3, 4])); // [2, 4]
 * ```
 */
export function mm(a: Tensor, b: Tensor): Tensor {
  if (autocastActive()) return autocasting('mm', [a, b], mm);
  floatPair('mm', a, b);
  if (a.rank !== 2 || b.rank !== 2) throw new Error(`mm: expected two 2-D tensors, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  if (a.shape[1] !== b.shape[0]) {
    throw new Error(`mm: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)} (${a.shape[1]} != ${b.shape[0]})`);
  }
  return matmul(a, b);
}

/** Batched matrix product of two 3-D tensors with the same batch size (torch.bmm; no broadcasting). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (autocastActive()) return autocasting('bmm', [a, b], bmm);
  floatPair('bmm', a, b);
  if (a.rank !== 3 || b.rank !== 3) throw new Error(`bmm: expected two 3-D tensors, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  if (a.shape[0] !== b.shape[0]) {
    throw new Error(`bmm: batch sizes differ: ${formatShape(a.shape)} and ${formatShape(b.shape)} (${a.shape[0]} != ${b.shape[0]})`);
  }
  if (a.shape[2] !== b.shape[1]) {
    throw new Error(`bmm: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)} (${a.shape[2]} != ${b.shape[1]})`);
  }
  return matmul(a, b);
}

/** Matrix-vector product: a 2-D `[n, m]` matrix times a 1-D `[m]` vector gives `[n]` (torch.mv). */
export function mv(a: Tensor, v: Tensor): Tensor {
  if (autocastActive()) return autocasting('mv', [a, v], mv);
  floatPair('mv', a, v);
  if (a.rank !== 2 || v.rank !== 1) {
    throw new Error(`mv: expected a 2-D matrix and a 1-D vector, got ${formatShape(a.shape)} and ${formatShape(v.shape)}`);
  }
  if (a.shape[1] !== v.shape[0]) {
    throw new Error(`mv: cannot multiply ${formatShape(a.shape)} by ${formatShape(v.shape)} (${a.shape[1]} != ${v.shape[0]})`);
  }
  return matmul(a, v);
}

function vectorPair(op: string, a: Tensor, b: Tensor): void {
  floatPair(op, a, b);
  if (a.rank !== 1 || b.rank !== 1) throw new Error(`${op}: expected two 1-D tensors, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  if (a.shape[0] !== b.shape[0]) {
    throw new Error(`${op}: 1-D tensors of different lengths: ${formatShape(a.shape)} and ${formatShape(b.shape)} (${a.shape[0]} != ${b.shape[0]})`);
  }
}

/** The dot product of two 1-D tensors of one length, as a 0-d tensor (torch.dot). */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (autocastActive()) return autocasting('dot', [a, b], dot);
  vectorPair('dot', a, b);
  return matmul(a, b);
}

/** torch.vdot: the dot product with the first operand conjugated; Tensile is real, so `dot`. */
export function vdot(a: Tensor, b: Tensor): Tensor {
  vectorPair('vdot', a, b);
  return matmul(a, b);
}

/** Outer product of two 1-D tensors: `[n]` and `[m]` give `[n, m]` (torch.outer). */
export function outer(a: Tensor, b: Tensor): Tensor {
  requireTensor('outer', a, 'the first operand');
  requireTensor('outer', b, 'the second operand');
  deviceOf('outer', a, b);
  if (a.rank !== 1 || b.rank !== 1) throw new Error(`outer: expected two 1-D tensors, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  return owned((t) => t(a.unsqueeze(1)).mul(t(b.unsqueeze(0))));
}

/**
 * Inner product over the last dims (torch.inner): `[...a, k]` and `[...b, k]` give
 * `[...a, ...b]`; a 0-d operand multiplies elementwise.
 */
export function inner(a: Tensor, b: Tensor): Tensor {
  requireTensor('inner', a, 'the first operand');
  requireTensor('inner', b, 'the second operand');
  deviceOf('inner', a, b);
  if (a.rank === 0 || b.rank === 0) return a.mul(b);
  if (a.shape[a.rank - 1] !== b.shape[b.rank - 1]) {
    throw new Error(
      `inner: last dims differ: ${formatShape(a.shape)} and ${formatShape(b.shape)} (${a.shape[a.rank - 1]} != ${b.shape[b.rank - 1]})`,
    );
  }
  return contractDims('inner', a, b, [a.rank - 1], [b.rank - 1]);
}

/** Contract dims `da` of `a` with dims `db` of `b` (checked, distinct, same sizes) by one matmul. */
function contractDims(op: string, a: Tensor, b: Tensor, da: number[], db: number[]): Tensor {
  floatPair(op, a, b);
  const freeA = a.shape.map((_, i) => i).filter((i) => !da.includes(i));
  const freeB = b.shape.map((_, i) => i).filter((i) => !db.includes(i));
  const k = sizeOf(da.map((d) => a.shape[d]));
  const outShape = [...freeA.map((d) => a.shape[d]), ...freeB.map((d) => b.shape[d])];
  return owned((t) => {
    const a2 = t(t(a.permute([...freeA, ...da])).reshape([sizeOf(freeA.map((d) => a.shape[d])), k]));
    const b2 = t(t(b.permute([...db, ...freeB])).reshape([k, sizeOf(freeB.map((d) => b.shape[d]))]));
    return t(matmul(a2, b2)).reshape(outShape);
  });
}

/**
 * Sum products over dims of `a` and `b` (torch.tensordot): `dims` a number n contracts the
 * last n dims of `a` with the first n of `b`; `[dimsA, dimsB]` names them pairwise.
 * A function only.
 *
 * @example
 * ```ts
 * tl.tensordot(tl.randn([3, 4, 5]), tl.randn([4, 5, 6]), 2);             // [3, 6]
 * tl.tensordot(tl.randn([3, 4, 5]), tl.randn([5, 4]), [[1, 2], [1, 0]]); // [3]
 * ```
 */
export function tensordot(a: Tensor, b: Tensor, dims: number | readonly [number | readonly number[], number | readonly number[]] = 2): Tensor {
  if (autocastActive()) return autocasting('tensordot', [a, b, dims], tensordot);
  floatPair('tensordot', a, b);
  let da: number[];
  let db: number[];
  if (typeof dims === 'number') {
    if (!Number.isInteger(dims) || dims < 0 || dims > a.rank || dims > b.rank) {
      throw new Error(`tensordot: dims ${dims} must be a non-negative integer at most both ranks (${formatShape(a.shape)} and ${formatShape(b.shape)})`);
    }
    da = Array.from({ length: dims }, (_, i) => a.rank - dims + i);
    db = Array.from({ length: dims }, (_, i) => i);
  } else {
    if (!Array.isArray(dims) || dims.length !== 2) {
      throw new TypeError(`tensordot: dims must be a number or a pair [dimsA, dimsB], got ${JSON.stringify(dims)}`);
    }
    const list = (v: number | readonly number[]) => (typeof v === 'number' ? [v] : [...v]);
    da = list(dims[0]).map((d) => normalizeDim(d, a.rank, 'tensordot'));
    db = list(dims[1]).map((d) => normalizeDim(d, b.rank, 'tensordot'));
    if (da.length !== db.length) {
      throw new Error(`tensordot: dims name ${da.length} dims of the first operand and ${db.length} of the second`);
    }
    if (new Set(da).size !== da.length || new Set(db).size !== db.length) {
      throw new Error(`tensordot: dims ${JSON.stringify(dims)} repeat a dim`);
    }
  }
  da.forEach((d, i) => {
    if (a.shape[d] !== b.shape[db[i]]) {
      throw new Error(
        `tensordot: contracted dims differ in size: dim ${d} of ${formatShape(a.shape)} is ${a.shape[d]}, ` +
          `dim ${db[i]} of ${formatShape(b.shape)} is ${b.shape[db[i]]}`,
      );
    }
  });
  return contractDims('tensordot', a, b, da, db);
}

/**
 * Kronecker product (torch.kron): ranks are padded with leading 1s to the larger, and the
 * result's dim i has size `a.shape[i] * b.shape[i]`.
 */
export function kron(a: Tensor, b: Tensor): Tensor {
  requireTensor('kron', a, 'the first operand');
  requireTensor('kron', b, 'the second operand');
  deviceOf('kron', a, b);
  const rank = Math.max(a.rank, b.rank);
  const sa = [...new Array<number>(rank - a.rank).fill(1), ...a.shape];
  const sb = [...new Array<number>(rank - b.rank).fill(1), ...b.shape];
  return owned((t) => {
    const ai = t(a.reshape(sa.flatMap((d) => [d, 1])));
    const bi = t(b.reshape(sb.flatMap((d) => [1, d])));
    return t(ai.mul(bi)).reshape(sa.map((d, i) => d * sb[i]));
  });
}

/** Options of {@link addmm} and {@link baddbmm}. */
export interface AddmmOptions {
  /** Multiplies the added input (default 1; 0 ignores its values). */
  beta?: number;
  /** Multiplies the product (default 1). */
  alpha?: number;
}

function scaledSum(op: string, c: Tensor, product: Tensor, options: AddmmOptions): Tensor {
  const { beta = 1, alpha = 1 } = options;
  return owned((t) => {
    broadcastShapes(c.shape, product.shape, op);
    const prod = alpha === 1 ? product : t(product.mul(alpha));
    if (beta === 0) {
      // As PyTorch: the input's values (NaN included) are ignored, its shape still broadcast.
      return prod.expand(broadcastShapes(c.shape, product.shape, op));
    }
    const added = beta === 1 ? c : t(c.mul(beta));
    return added.add(prod);
  });
}

function checkScaleOptions(op: string, options: AddmmOptions): void {
  checkOptionKeys(op, options, ['beta', 'alpha']);
  for (const key of ['beta', 'alpha'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) throw new TypeError(`${op}: ${key} must be a number, got ${String(v)}`);
  }
}

/**
 * `beta * c + alpha * (a @ b)` for 2-D `a` and `b` (torch.addmm); `c` broadcasts to the
 * product's shape.
 *
 * @example
 * ```ts
 * tl.addmm(bias, x, w, { beta: 1, alpha: 1 }); // a linear layer
 * ```
 */
export function addmm(c: Tensor, a: Tensor, b: Tensor, options: AddmmOptions = {}): Tensor {
  if (autocastActive()) return autocasting('addmm', [c, a, b, options], addmm);
  requireTensor('addmm', c, 'the input');
  checkScaleOptions('addmm', options);
  deviceOf('addmm', c, a, b);
  if (a.rank === 2 && b.rank === 2) broadcastShapes(c.shape, [a.shape[0], b.shape[1]], 'addmm');
  return owned((own) => scaledSum('addmm', c, own(mm(a, b)), options));
}

/** `beta * c + alpha * bmm(a, b)` for 3-D `a` and `b` (torch.baddbmm); `c` broadcasts. */
export function baddbmm(c: Tensor, a: Tensor, b: Tensor, options: AddmmOptions = {}): Tensor {
  if (autocastActive()) return autocasting('baddbmm', [c, a, b, options], baddbmm);
  requireTensor('baddbmm', c, 'the input');
  checkScaleOptions('baddbmm', options);
  deviceOf('baddbmm', c, a, b);
  if (a.rank === 3 && b.rank === 3) broadcastShapes(c.shape, [a.shape[0], a.shape[1], b.shape[2]], 'baddbmm');
  return owned((own) => scaledSum('baddbmm', c, own(bmm(a, b)), options));
}

/**
 * Cross product of 3-vectors along `dim` (torch.cross). `a` and `b` broadcast. When `dim`
 * is omitted it is the first dim of size 3, torch.cross's (deprecated) default; note that
 * torch.linalg.cross defaults to `dim = -1` instead, so pass `dim` to be explicit.
 *
 * @example
 * ```ts
 * tl.cross(tl.tensor([1, 0, 0]), tl.tensor([0, 1, 0])); // [0, 0, 1]
 * ```
 */
export function cross(a: Tensor, b: Tensor, dim?: number): Tensor {
  if (autocastActive()) return autocasting('cross', [a, b, dim], cross);
  requireTensor('cross', a, 'the first operand');
  requireTensor('cross', b, 'the second operand');
  deviceOf('cross', a, b);
  const shape = broadcastShapes(a.shape, b.shape, 'cross');
  const three = (d: number) => (a.shape[d - shape.length + a.rank] ?? 1) === 3 && (b.shape[d - shape.length + b.rank] ?? 1) === 3;
  let d: number;
  if (dim === undefined) {
    d = shape.findIndex((_, i) => three(i));
    if (d < 0) throw new Error(`cross: no dim of size 3 in both ${formatShape(a.shape)} and ${formatShape(b.shape)}; pass dim`);
  } else {
    d = normalizeDim(dim, shape.length, 'cross');
    if (!three(d)) {
      throw new Error(`cross: dim ${dim} must have size 3 in both operands, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
    }
  }
  return owned((t) => {
    const ax = t(a.expand(shape));
    const bx = t(b.expand(shape));
    const pa = [0, 1, 2].map((i) => t(ax.narrow(d, i, 1)));
    const pb = [0, 1, 2].map((i) => t(bx.narrow(d, i, 1)));
    const part = (i: number, j: number) => t(t(pa[i].mul(pb[j])).sub(t(pa[j].mul(pb[i]))));
    return cat([part(1, 2), part(2, 0), part(0, 1)], d);
  });
}

// ---- einsum ------------------------------------------------------------------------------

/**
 * The diagonal over dims `d1 < d2` (equal sizes), placed at `d1` with `d2` removed: a view
 * (stride `s1 + s2`) whose gradient writes `g` back onto the diagonal of zeros.
 */
function diagonalOf(x: Tensor, d1: number, d2: number): Tensor {
  const n = x.shape[d1];
  const shape = x.shape.filter((_, i) => i !== d2);
  const strides = x.strides.filter((_, i) => i !== d2);
  strides[d1] = x.strides[d1] + x.strides[d2];
  const out = viewOf(x, shape, strides, x.offset);
  const rank = x.rank;
  const device = x.device;
  return recordOp('einsum', [x], out, [], (g) => [
    owned((t) => {
      const maskShape = new Array<number>(rank).fill(1);
      maskShape[d1] = n;
      maskShape[d2] = n;
      const mask = t(t(t(eye(n, n, { device })).cast(g.dtype)).reshape(maskShape));
      return t(g.unsqueeze(d2)).mul(mask);
    }),
  ]);
}

const LETTER = /^[a-zA-Z]$/;

/** One operand's subscripts: letters, and where `...` sits (or -1). */
interface Subscripts {
  letters: string[];
  ellipsisAt: number;
}

function parseSubscripts(equation: string, part: string, where: string): Subscripts {
  const letters: string[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < part.length; i++) {
    const ch = part[i];
    if (ch === '.') {
      if (part.slice(i, i + 3) !== '...') throw new Error(`einsum: '${equation}': '.' in ${where} is not part of an ellipsis '...'`);
      if (ellipsisAt >= 0) throw new Error(`einsum: '${equation}': ${where} has more than one ellipsis '...'`);
      ellipsisAt = letters.length;
      i += 2;
    } else if (LETTER.test(ch)) {
      letters.push(ch);
    } else {
      throw new Error(`einsum: '${equation}': invalid character '${ch}' in ${where}; subscripts are letters a-z, A-Z and '...'`);
    }
  }
  return { letters, ellipsisAt };
}

/** A tensor with one label per dim; repeated labels are taken out by diagonals first. */
interface Labelled {
  tensor: Tensor;
  labels: string[];
}

/** Sort order of implicit output letters: PyTorch's (uppercase before lowercase, i.e. code order). */
const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Einstein summation (torch.einsum): `'ij,jk->ik'`, or implicitly `'ij,jk'` (output: the
 * letters that appear once, sorted, after the `...` dims). `...` stands for broadcast dims;
 * a letter repeated in one operand takes a diagonal (`'ii->i'`); letters absent from the
 * output are summed. Planned into diagonals, permutes, reshapes, sums and batched matmuls,
 * contracting operands pairwise from left to right. A function only.
 *
 * @example
 * ```ts
 * const scores = tl.einsum('bhqd,bhkd->bhqk', q, k); // attention scores
 * tl.einsum('ii', m); // the trace
 * ```
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  if (autocastActive()) return autocasting('einsum', [equation, ...operands], einsum);
  if (typeof equation !== 'string') throw new TypeError(`einsum: the equation must be a string, got ${typeof equation}`);
  // torch.einsum(eq, [a, b]) also takes the operands as one list.
  if (operands.length === 1 && Array.isArray(operands[0])) operands = operands[0] as unknown as Tensor[];
  operands.forEach((x, i) => requireTensor('einsum', x, `operand ${i}`));
  if (operands.length === 0) throw new Error(`einsum: '${equation}': expected at least one operand`);
  deviceOf('einsum', ...operands);
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  if (arrow >= 0 && eq.indexOf('->', arrow + 1) >= 0) throw new Error(`einsum: '${equation}': more than one '->'`);
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const inputs = lhs.split(',');
  if (inputs.length !== operands.length) {
    throw new Error(
      `einsum: '${equation}' names ${inputs.length} operand${inputs.length === 1 ? '' : 's'} but ${operands.length} ` +
        `${operands.length === 1 ? 'was' : 'were'} given (shapes ${operands.map((x) => formatShape(x.shape)).join(', ')})`,
    );
  }
  const dtype = operands[0].dtype;
  operands.forEach((x) => {
    if (!isFloating(x.dtype) || x.dtype !== dtype) {
      throw new TypeError(`einsum: expected float32 (or float16) operands of one dtype, got ${operands.map((o) => o.dtype).join(', ')}; cast with t.float()`);
    }
  });

  // Labels per dim: letters as themselves, ellipsis dims as '#0', '#1', ... aligned right.
  const parsed = inputs.map((part, i) => parseSubscripts(equation, part, `operand ${i} ('${part}')`));
  let ellipsisRank = 0;
  parsed.forEach((p, i) => {
    const x = operands[i];
    if (p.ellipsisAt < 0 && p.letters.length !== x.rank) {
      throw new Error(
        `einsum: '${equation}': operand ${i} has ${p.letters.length} subscript${p.letters.length === 1 ? '' : 's'} ('${inputs[i]}') ` +
          `but ${x.rank} dim${x.rank === 1 ? '' : 's'} ${formatShape(x.shape)}`,
      );
    }
    if (p.ellipsisAt >= 0 && p.letters.length > x.rank) {
      throw new Error(
        `einsum: '${equation}': operand ${i} has ${p.letters.length} subscripts besides '...' ('${inputs[i]}') ` +
          `but only ${x.rank} dim${x.rank === 1 ? '' : 's'} ${formatShape(x.shape)}`,
      );
    }
    if (p.ellipsisAt >= 0) ellipsisRank = Math.max(ellipsisRank, x.rank - p.letters.length);
  });
  const labelsOf = parsed.map((p, i) => {
    if (p.ellipsisAt < 0) return [...p.letters];
    const e = operands[i].rank - p.letters.length;
    const ell = Array.from({ length: e }, (_, j) => `#${ellipsisRank - e + j}`);
    return [...p.letters.slice(0, p.ellipsisAt), ...ell, ...p.letters.slice(p.ellipsisAt)];
  });

  // Sizes per label, with PyTorch's broadcasting of size-1 dims between operands; a letter
  // repeated within one operand (a diagonal) needs one size there.
  const size = new Map<string, number>();
  labelsOf.forEach((labels, i) => {
    labels.forEach((label, d) => {
      const n = operands[i].shape[d];
      const first = labels.indexOf(label);
      if (first < d && operands[i].shape[first] !== n) {
        throw new Error(
          `einsum: '${equation}': subscript '${label}' is repeated in operand ${i} over dims of sizes ` +
            `${operands[i].shape[first]} and ${n} ${formatShape(operands[i].shape)}`,
        );
      }
      const seen = size.get(label);
      if (seen === undefined || seen === 1) size.set(label, n);
      else if (n !== seen && n !== 1) {
        const what = label.startsWith('#') ? `the '...' dims` : `subscript '${label}'`;
        throw new Error(
          `einsum: '${equation}': ${what} has size ${seen} and ${n} (operand shapes ${operands.map((x) => formatShape(x.shape)).join(', ')})`,
        );
      }
    });
  });

  // The output's labels.
  const ellipsisLabels = Array.from({ length: ellipsisRank }, (_, j) => `#${j}`);
  let output: string[];
  if (arrow >= 0) {
    const out = parseSubscripts(equation, eq.slice(arrow + 2), 'the output');
    const all = new Set(parsed.flatMap((p) => p.letters));
    const seen = new Set<string>();
    for (const l of out.letters) {
      if (!all.has(l)) throw new Error(`einsum: '${equation}': output subscript '${l}' does not appear in any operand`);
      if (seen.has(l)) throw new Error(`einsum: '${equation}': output subscript '${l}' appears more than once`);
      seen.add(l);
    }
    output = out.ellipsisAt < 0 ? out.letters : [...out.letters.slice(0, out.ellipsisAt), ...ellipsisLabels, ...out.letters.slice(out.ellipsisAt)];
  } else {
    const counts = new Map<string, number>();
    parsed.forEach((p) => p.letters.forEach((l) => counts.set(l, (counts.get(l) ?? 0) + 1)));
    output = [...ellipsisLabels, ...[...counts].filter(([, c]) => c === 1).map(([l]) => l).sort(byCode)];
  }

  const sz = (ls: string[]) => ls.map((l) => size.get(l)!);
  return owned((t) => {
    // Diagonals for letters repeated within one operand.
    const terms: Labelled[] = operands.map((x, i) => {
      let tensor = x;
      const labels = [...labelsOf[i]];
      for (let d1 = 0; d1 < labels.length; d1++) {
        for (let d2 = labels.length - 1; d2 > d1; d2--) {
          if (labels[d2] !== labels[d1]) continue;
          tensor = t(diagonalOf(tensor, d1, d2));
          labels.splice(d2, 1);
        }
      }
      return { tensor, labels };
    });

    /** Labels still needed after term `i`: in the output or in a later term. */
    const neededAfter = (i: number) => new Set([...output, ...terms.slice(i + 1).flatMap((x) => x.labels)]);
    /** Sum the labels of `x` that are in `drop`. */
    const sumOut = (x: Labelled, keepLabel: (l: string) => boolean): Labelled => {
      const axes = x.labels.map((l, d) => (keepLabel(l) ? -1 : d)).filter((d) => d >= 0);
      if (axes.length === 0) return x;
      return { tensor: t(x.tensor.sum(axes)), labels: x.labels.filter((l) => keepLabel(l)) };
    };

    let acc = terms[0];
    if (terms.length === 1) acc = sumOut(acc, (l) => output.includes(l));
    for (let i = 1; i < terms.length; i++) {
      const keepSet = neededAfter(i);
      const other = terms[i];
      // Sum early the labels that only one side has and nothing later needs.
      const left = sumOut(acc, (l) => keepSet.has(l) || other.labels.includes(l));
      const right = sumOut(other, (l) => keepSet.has(l) || left.labels.includes(l));
      const batch = left.labels.filter((l) => right.labels.includes(l) && keepSet.has(l));
      const contracted = left.labels.filter((l) => right.labels.includes(l) && !keepSet.has(l));
      const ms = left.labels.filter((l) => !right.labels.includes(l));
      const ns = right.labels.filter((l) => !left.labels.includes(l));
      const prod = (ls: string[]) => sizeOf(sz(ls));
      // [batch..., M, K] @ [batch..., K, N], batch and contracted dims expanded to full size.
      const arrange = (x: Labelled, order: string[], groups: string[][]): Tensor => {
        let v = t(x.tensor.permute(order.map((l) => x.labels.indexOf(l))));
        const full = sz(order);
        if (full.some((n, d) => n !== v.shape[d])) v = t(v.expand(full));
        const target = [...sz(batch), ...groups.map(prod)];
        if (target.length !== v.rank || target.some((n, d) => n !== v.shape[d])) v = t(v.reshape(target));
        return v;
      };
      const a = arrange(left, [...batch, ...ms, ...contracted], [ms, contracted]);
      const b = arrange(right, [...batch, ...contracted, ...ns], [contracted, ns]);
      let r = t(matmul(a, b));
      const resultLabels = [...batch, ...ms, ...ns];
      const shape = sz(resultLabels);
      if (shape.length !== r.rank || shape.some((n, d) => n !== r.shape[d])) r = t(r.reshape(shape));
      acc = { tensor: r, labels: resultLabels };
    }
    // Every output label is in acc now (output labels come from the operands). The result is
    // a fresh view (owned like the rest: kept if it is the result) so that it outlives them.
    const permuted = t(acc.tensor.permute(output.map((l) => acc.labels.indexOf(l))));
    const full = sz(output);
    if (full.every((n, d) => n === permuted.shape[d])) return permuted;
    return permuted.expand(full);
  });
}
