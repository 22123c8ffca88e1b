/**
 * Triangles and diagonals: `tril`, `triu` (masks built on the device, gradients through
 * `where`), their index lists, and the diagonal views `diagonal`, `diagEmbed` and `diag`,
 * each recording the other as its gradient.
 */
import { recordOp } from '../autograd/engine.js';
import { tidy } from '../memory.js';
import { contiguousStrides, formatShape, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { arange, tensor, zeros, type TensorOptions } from './creation.js';
import { requireTensor, viewOf } from './util.js';
import { checkInteger, diagonalGeometry } from './views.js';

function triangle(op: 'tril' | 'triu', x: Tensor, diagonal: number): Tensor {
  requireTensor(op, x);
  if (x.rank < 2) throw new Error(`${op}: expected a tensor of rank >= 2, got ${formatShape(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new Error(`${op}: diagonal must be an integer, got ${diagonal}`);
  const rows = x.shape[x.rank - 2];
  const cols = x.shape[x.rank - 1];
  return tidy(() => {
    const options = { device: x.device, dtype: 'int32' as const };
    // column - row, compared with the diagonal: <= keeps the lower triangle, >= the upper.
    const offset = arange(cols, undefined, 1, options).unsqueeze(0).sub(arange(rows, undefined, 1, options).unsqueeze(1));
    const keep = op === 'tril' ? offset.le(diagonal) : offset.ge(diagonal);
    return x.where(keep, x.dtype === 'bool' ? false : 0);
  });
}

/**
 * The lower triangle of the last two dims (elements on and below diagonal `diagonal`), zeros
 * elsewhere.
 *
 * @example
 * ```ts
 * tl.ones([3, 3]).tril();   // [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
 * tl.ones([3, 3]).tril(-1); // strictly below the diagonal
 * ```
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle('tril', x, diagonal);
}

/**
 * The upper triangle of the last two dims (on and above diagonal `diagonal`), zeros elsewhere:
 * `tl.ones([n, n]).triu(1)` is a causal attention mask.
 */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle('triu', x, diagonal);
}

function triangleIndices(op: string, row: number, col: number, offset: number, options: TensorOptions, lower: boolean): Tensor {
  checkInteger(op, 'row', row);
  checkInteger(op, 'col', col);
  if (!Number.isInteger(offset)) throw new Error(`${op}: offset must be an integer, got ${offset}`);
  const rows: number[] = [];
  const cols: number[] = [];
  for (let i = 0; i < row; i++) {
    for (let j = 0; j < col; j++) {
      if (lower ? j - i <= offset : j - i >= offset) {
        rows.push(i);
        cols.push(j);
      }
    }
  }
  const dtype = options.dtype ?? 'int32';
  if (dtype !== 'int32' && dtype !== 'float32') throw new TypeError(`${op}: dtype must be int32 or float32, got ${dtype}`);
  return tensor([rows, cols], { ...options, dtype });
}

/**
 * The indices of the lower triangle of a `row` x `col` matrix, as a `[2, N]` int32 tensor
 * (row indices, then column indices, in row-major order). Function only.
 *
 * @example
 * ```ts
 * tl.trilIndices(3, 3); // [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
 * ```
 */
export function trilIndices(row: number, col: number, offset = 0, options: TensorOptions = {}): Tensor {
  return triangleIndices('trilIndices', row, col, offset, options, true);
}

/** The indices of the upper triangle of a `row` x `col` matrix, as a `[2, N]` int32 tensor. Function only. */
export function triuIndices(row: number, col: number, offset = 0, options: TensorOptions = {}): Tensor {
  return triangleIndices('triuIndices', row, col, offset, options, false);
}

function planeDims(op: string, rank: number, dim1: number, dim2: number): [number, number] {
  const a = normalizeDim(dim1, rank, op);
  const b = normalizeDim(dim2, rank, op);
  if (a === b) throw new Error(`${op}: dim1 and dim2 must differ, both name dim ${a}`);
  return [a, b];
}

/**
 * The diagonal `offset` of the plane (`dim1`, `dim2`) as a view, those dims removed and the
 * diagonal appended last. `offset` > 0 is above the main diagonal.
 *
 * @example
 * ```ts
 * tl.tensor([[1, 2], [3, 4]]).diagonal(); // [1, 4]
 * batch.diagonal(0, -2, -1);              // the diagonals of a batch of matrices
 * ```
 */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  requireTensor('diagonal', x);
  if (x.rank < 2) throw new Error(`diagonal: expected a tensor of rank >= 2, got ${formatShape(x.shape)}`);
  if (!Number.isInteger(offset)) throw new Error(`diagonal: offset must be an integer, got ${offset}`);
  const [a, b] = planeDims('diagonal', x.rank, dim1, dim2);
  const { shape, strides, offset: start } = diagonalGeometry(x.shape, x.strides, x.offset, offset, a, b);
  const out = viewOf(x, shape, strides, start);
  const source = x.shape;
  return recordOp('diagonal', [x], out, [], (g) => [diagonalBackward(g, source, offset, a, b)], { attrs: { offset, dim1: a, dim2: b } });
}

/** Zeros of `shape` with `g` written on the diagonal (the adjoint of `diagonal`). */
function diagonalBackward(g: Tensor, shape: readonly number[], offset: number, dim1: number, dim2: number): Tensor {
  const out = zeros(shape, { device: g.device, dtype: g.dtype });
  const window = diagonalGeometry(shape, contiguousStrides(shape), 0, offset, dim1, dim2);
  if (g.size > 0) out.backend.copy(g.kernelView, { ...out.kernelView, ...window });
  return recordOp('diagonalBackward', [g], out, [], (gg) => [diagonal(gg, offset, dim1, dim2)]);
}

/**
 * Matrices with the last dim of `x` on their diagonal `offset`, in the plane (`dim1`, `dim2`)
 * of the output (one dim more than `x`), zeros elsewhere.
 *
 * @example
 * ```ts
 * tl.diagEmbed(tl.tensor([[1, 2], [3, 4]])); // [[[1, 0], [0, 2]], [[3, 0], [0, 4]]]
 * ```
 */
export function diagEmbed(x: Tensor, offset = 0, dim1 = -2, dim2 = -1): Tensor {
  requireTensor('diagEmbed', x);
  if (!Number.isInteger(offset)) throw new Error(`diagEmbed: offset must be an integer, got ${offset}`);
  const rank = x.rank + 1;
  if (rank < 2) throw new Error(`diagEmbed: expected a tensor of rank >= 1, got ${formatShape(x.shape)}`);
  const [a, b] = planeDims('diagEmbed', rank, dim1, dim2);
  const n = x.shape[x.rank - 1] + Math.abs(offset);
  const rest = x.shape.slice(0, -1);
  const shape: number[] = [];
  for (let i = 0, next = 0; i < rank; i++) shape.push(i === a || i === b ? n : rest[next++]);
  const out = zeros(shape, { device: x.device, dtype: x.dtype });
  const window = diagonalGeometry(shape, contiguousStrides(shape), 0, offset, a, b);
  if (x.size > 0) x.backend.copy(x.kernelView, { ...out.kernelView, ...window });
  return recordOp('diagEmbed', [x], out, [], (g) => [diagonal(g, offset, a, b)]);
}

/**
 * A 1-D tensor as a square matrix with it on diagonal `diagonal`, or the diagonal of a 2-D
 * tensor as a 1-D tensor.
 *
 * @example
 * ```ts
 * tl.diag(tl.tensor([1, 2])); // [[1, 0], [0, 2]]
 * tl.diag(tl.eye(3));         // [1, 1, 1]
 * ```
 */
export function diag(x: Tensor, diagonal = 0): Tensor {
  requireTensor('diag', x);
  if (x.rank === 1) return diagEmbed(x, diagonal, 0, 1);
  if (x.rank === 2) return diagonalOf(x, diagonal);
  throw new Error(`diag: expected a 1-D or 2-D tensor, got ${formatShape(x.shape)}`);
}

const diagonalOf = diagonal;

/**
 * The sum of a matrix's main diagonal (torch.trace): a 0-d tensor, int32 for int32 input.
 * Its gradient puts the incoming value on the diagonal.
 *
 * @example
 * ```ts
 * tl.trace(tl.tensor([[1, 2], [3, 4]])); // 5
 * ```
 */
export function trace(x: Tensor): Tensor {
  requireTensor('trace', x);
  if (x.rank !== 2) throw new Error(`trace: expected a matrix, got a tensor of shape ${formatShape(x.shape)}`);
  if (x.dtype === 'bool') throw new TypeError('trace: bool tensors have no trace (as PyTorch); cast to int32 first');
  return tidy(() => diagonal(x).sum());
}
