/** Softmax and log-softmax: a fused kernel where the backend has one, a composite otherwise. */
import { recordOp } from '../autograd/engine.js';
import { noGrad } from '../autograd/grad-mode.js';
import { owned } from '../memory.js';
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
    return owned((own) => own(x.sub(own(logsumexp(x, axis, true)))).exp());
  });
  // d softmax: y * (g - sum(g * y)).
  return recordOp('softmax', [x], out, [out], (g, [y]) => owned((own) => {
    const s = own(own(g.mul(y)).sum(axis, true));
    return [own(g.sub(s)).mul(y)];
  }), { attrs: { dim: axis } });
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
    return owned((own) => x.sub(own(logsumexp(x, axis, true))));
  });
  // d logSoftmax: g - softmax(x) * sum(g).
  return recordOp('logSoftmax', [x], out, [out], (g, [y]) => owned((own) => {
    const p = own(y.exp());
    return [g.sub(own(p.mul(own(g.sum(axis, true)))))];
  }), { attrs: { dim: axis } });
}
