/** Gathering and scattering by integer indices. */
import { recordOp } from '../autograd/engine.js';
import { owned } from '../memory.js';
import { formatShape, normalizeDim } from '../shape.js';
import { checkIndex, checkIndexValues } from './index-checks.js';
import type { Tensor } from '../tensor/tensor.js';
import { zeros } from './creation.js';
import { deviceOf, empty } from './util.js';
import { autocastActive, autocasting } from '../autocast.js';

/**
 * `out[i][j] = x[index[i][j]][j]` for `dim` 0, and so on: pick along `dim` by `index`
 * (int32, the same rank as `x`). The output has `index`'s shape.
 *
 * @example
 * ```ts
 * logProbs.gather(1, targets.unsqueeze(1)); // each row's target entry
 * ```
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  deviceOf('gather', x, index);
  const axis = normalizeDim(dim, x.rank, 'gather');
  checkIndex('gather', x, axis, index);
  return gatherChecked('gather', x, axis, index);
}

/** gather with `index` already checked by `op` (its shape and values), with its gradient. */
function gatherChecked(op: string, x: Tensor, axis: number, index: Tensor): Tensor {
  const backend = x.backend;
  const out = empty(backend, index.shape, x.dtype, op);
  backend.gather(x.kernelView, axis, index.kernelView, out.kernelView);
  const shape = x.shape;
  return recordOp('gather', [x], out, [index], (g, [idx]) => owned((own) => [
    scatterAdd(own(zeros(shape, { device: g.device, dtype: g.dtype })), axis, idx, g),
  ]), { inputs: [x, index], attrs: { dim: axis } });
}

/**
 * A copy of `x` with `src` added at `index` along `dim` (repeated indices accumulate).
 *
 * @example
 * ```ts
 * tl.zeros([3]).scatterAdd(0, tl.tensor([0, 0, 2], { dtype: 'int32' }), tl.ones([3])); // [2, 0, 1]
 * ```
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  if (autocastActive()) return autocasting('scatterAdd', [x, dim, index, src], scatterAdd);
  const backend = deviceOf('scatterAdd', x, index, src);
  const axis = normalizeDim(dim, x.rank, 'scatterAdd');
  if (src.dtype !== x.dtype) throw new TypeError(`scatterAdd: src is ${src.dtype} but the input is ${x.dtype}`);
  if (src.rank !== x.rank) throw new Error(`scatterAdd: src ${formatShape(src.shape)} must have the rank of the input ${formatShape(x.shape)}`);
  checkIndex('scatterAdd', x, axis, index, src);
  const out = empty(backend, x.shape, x.dtype, 'scatterAdd');
  backend.copy(x.kernelView, out.kernelView);
  // The kernel walks `index`'s shape; `src` may be larger, as in PyTorch.
  const srcWindow = { ...src.kernelView, shape: index.shape };
  backend.scatterAdd(axis, index.kernelView, srcWindow, out.kernelView);
  const srcShape = src.shape;
  // src's gradient is g at index, zero-padded where src is larger than index.
  const srcGrad = (g: Tensor, idx: Tensor): Tensor => owned((own) => {
    const picked = own(gather(g, axis, idx));
    if (picked.shape.every((d, i) => d === srcShape[i])) return picked;
    const padding: number[] = [];
    for (let i = srcShape.length - 1; i >= 0; i--) padding.push(0, srcShape[i] - picked.shape[i]);
    return picked.pad(padding);
  });
  return recordOp('scatterAdd', [x, src], out, [index], (g, [idx], needs) => [needs[0] ? g : null, needs[1] ? srcGrad(g, idx) : null], {
    inputs: [x, index, src], attrs: { dim: axis },
  });
}

/**
 * The entries of `x` at positions `index` (1-D int32) along `dim`.
 *
 * @example
 * ```ts
 * embeddings.indexSelect(0, tokenIds);
 * ```
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const axis = normalizeDim(dim, x.rank, 'indexSelect');
  if (index.rank > 1) throw new Error(`indexSelect: index must be 0-d or 1-D, got shape ${formatShape(index.shape)}`);
  if (index.dtype !== 'int32') throw new TypeError(`indexSelect: index must be int32, got ${index.dtype}`);
  deviceOf('indexSelect', x, index);
  checkIndexValues('indexSelect', index, x.shape[axis]);
  const n = index.size;
  const shape = x.shape.map((d, i) => (i === axis ? n : d));
  const lineShape = x.shape.map((_, i) => (i === axis ? n : 1));
  // The values were checked on the 1-D index: reading the expanded one would cost its size.
  return owned((own) => gatherChecked('indexSelect', x, axis, own(own(index.reshape(lineShape)).expand(shape))));
}
