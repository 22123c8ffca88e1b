/**
 * Ops that PyTorch has as Tensor methods only (`x.unfold(dim, size, step)`, `x.t()`): the
 * methods forward here, and they are not in the function namespace.
 */
import { recordOp } from '../autograd/engine.js';
import { owned, tidy } from '../memory.js';
import { formatShape, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { tensor, zeros } from './creation.js';
import { scatterAdd } from './indexing.js';
import { movedim } from './rearrange.js';
import { transpose } from './shape.js';
import { requireTensor, viewOf } from './util.js';
import { checkInteger } from './views.js';


/**
 * Sliding windows of `size` along `dim`, every `step` elements, as a new last dim: a view.
 * Method only (`x.unfold(dim, size, step)`); the gradient adds overlapping windows back.
 *
 * @example
 * ```ts
 * tl.arange(5).unfold(0, 2, 1); // [[0, 1], [1, 2], [2, 3], [3, 4]]
 * ```
 */
export function unfoldWindows(x: Tensor, dim: number, size: number, step: number): Tensor {
  requireTensor('unfold', x);
  return owned((own) => {
    const base = own(x.rank === 0 ? x.reshape([1]) : x.internalAlias(false));
    const axis = normalizeDim(dim, base.rank, 'unfold');
    const n = base.shape[axis];
    checkInteger('unfold', 'size', size);
    checkInteger('unfold', 'step', step, 1);
    if (size > n) throw new Error(`unfold: size ${size} is larger than dim ${dim} of ${formatShape(x.shape)} (${n})`);
    const windows = Math.floor((n - size) / step) + 1;
    const shape = [...base.shape, size];
    shape[axis] = windows;
    const strides = [...base.strides, base.strides[axis]];
    strides[axis] *= step;
    const view = viewOf(base, shape, strides, base.offset);
    const source = base.shape;
    const out = recordOp('unfold', [base], view, [], (g) => [unfoldBackward(g, source, axis, size, step)], { attrs: { axis, size, step } });
    if (x.rank > 0) return out;
    return own(out).reshape([size]); // PyTorch: a 0-d tensor unfolds to shape [size]
  });
}

/** The adjoint of `unfold`: each window's gradient added back where it came from. */
function unfoldBackward(g: Tensor, shape: readonly number[], axis: number, size: number, step: number): Tensor {
  return tidy(() => {
    const windows = g.shape[axis];
    const positions = new Int32Array(windows * size);
    for (let w = 0; w < windows; w++) for (let k = 0; k < size; k++) positions[w * size + k] = w * step + k;
    const flat = movedim(g, -1, axis + 1).flatten(axis, axis + 1);
    const line = flat.shape.map((d, i) => (i === axis ? d : 1));
    const index = tensor(positions, { device: g.device }).reshape(line).expand(flat.shape);
    return scatterAdd(zeros(shape, { device: g.device, dtype: g.dtype }), axis, index, flat);
  });
}

/**
 * PyTorch's `t()`: the transpose of a 2-D tensor; 0-d and 1-D tensors come back as they are.
 * Method only (`x.t()`).
 */
export function matrixTranspose(x: Tensor): Tensor {
  requireTensor('t', x);
  if (x.rank <= 1) return x.internalAlias(false);
  if (x.rank > 2) throw new Error(`t: expects a tensor of rank <= 2, got ${formatShape(x.shape)}; use transpose(dim0, dim1) or mT`);
  return transpose(x, 0, 1);
}
