/** Softmax and log-softmax: a fused kernel where the backend has one, a composite otherwise. */
import { recordOp } from '../autograd/engine.js';
import { noGrad } from '../autograd/grad-mode.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { logsumexp } from './reduce.js';
import { empty } from './util.js';
import { isFloating } from '../dtype.js';

function checkFloat(op: string, x: Tensor): void {
  if (!isFloating(x.dtype)) throw new Error(`${op}: expected a floating tensor, got ${x.dtype}; cast with t.float() first`);
}

/**
 * `exp(x) / sum(exp(x))` along `dim`.
 *
 * @example
 * ```ts
 * tl.tensor([1, 2, 3]).softmax(-1);
 * ```
 */
export function softmax(x: Tensor, dim: number): Tensor {
  checkFloat('softmax', x);
  const axis = normalizeDim(dim, x.rank, 'softmax');
  const backend = x.backend;
  const out = noGrad(() => {
    if (backend.softmax && x.rank > 0) {
      const y = empty(backend, x.shape, x.dtype, 'softmax');
      backend.softmax(x.kernelView, axis, y.kernelView);
      return y;
    }
    const lse = logsumexp(x, axis, true);
    const shifted = x.sub(lse);
    const y = shifted.exp();
    lse.dispose();
    shifted.dispose();
    return y;
  });
  // d softmax: y * (g - sum(g * y)).
  return recordOp('softmax', [x], out, [out], (g, [y]) => {
    const gy = g.mul(y);
    const s = gy.sum(axis, true);
    const centred = g.sub(s);
    const grad = centred.mul(y);
    [gy, s, centred].forEach((v) => v.dispose());
    return [grad];
  }, { attrs: { dim: axis } });
}

/**
 * `x - logsumexp(x)` along `dim`, stable for large inputs.
 *
 * @example
 * ```ts
 * logits.logSoftmax(1);
 * ```
 */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  checkFloat('logSoftmax', x);
  const axis = normalizeDim(dim, x.rank, 'logSoftmax');
  const backend = x.backend;
  const out = noGrad(() => {
    if (backend.logSoftmax && x.rank > 0) {
      const y = empty(backend, x.shape, x.dtype, 'logSoftmax');
      backend.logSoftmax(x.kernelView, axis, y.kernelView);
      return y;
    }
    const lse = logsumexp(x, axis, true);
    const y = x.sub(lse);
    lse.dispose();
    return y;
  });
  // d logSoftmax: g - softmax(x) * sum(g).
  return recordOp('logSoftmax', [x], out, [out], (g, [y]) => {
    const p = y.exp();
    const s = g.sum(axis, true);
    const ps = p.mul(s);
    const grad = g.sub(ps);
    [p, s, ps].forEach((v) => v.dispose());
    return [grad];
  }, { attrs: { dim: axis } });
}
