/** Softmax and log-softmax: a fused kernel where the backend has one, a composite otherwise. */
import { recordOp } from '../autograd/engine.js';
import { withinOp } from '../autograd/trace.js';

import { owned } from '../memory.js';
import { normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { logsumexp } from './reduce.js';
import { empty } from './util.js';
import { isFloating } from '../dtype.js';
import { autocastActive, autocasting } from '../autocast.js';

/** `dim` as an axis of `x`, which must be floating. */
function checkedAxis(op: string, x: Tensor, dim: number): number {
  if (!isFloating(x.dtype)) throw new Error(`${op}: expected a floating tensor, got ${x.dtype}; cast with t.float() first`);
  return normalizeDim(dim, x.rank, op);
}

/** The backend's fused `op` kernel along `axis` where it has one (not for scalars), else `composite()`; untracked. */
function fusedOrComposite(op: 'softmax' | 'logSoftmax', x: Tensor, axis: number, composite: () => Tensor): Tensor {
  const backend = x.backend;
  return withinOp(() => {
    if (backend[op] && x.rank > 0) {
      const y = empty(backend, x.shape, x.dtype, op);
      backend[op](x.kernelView, axis, y.kernelView);
      return y;
    }
    return composite();
  });
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
  if (autocastActive()) return autocasting('softmax', [x, dim], softmax);
  const axis = checkedAxis('softmax', x, dim);
  const out = fusedOrComposite('softmax', x, axis, () => owned((own) => own(x.sub(own(logsumexp(x, axis, true)))).exp()));
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
  if (autocastActive()) return autocasting('logSoftmax', [x, dim], logSoftmax);
  const axis = checkedAxis('logSoftmax', x, dim);
  const out = fusedOrComposite('logSoftmax', x, axis, () => owned((own) => x.sub(own(logsumexp(x, axis, true)))));
  // d logSoftmax: g - softmax(x) * sum(g).
  return recordOp('logSoftmax', [x], out, [out], (g, [y]) => owned((own) => {
    const p = own(y.exp());
    return [g.sub(own(p.mul(own(g.sum(axis, true)))))];
  }), { attrs: { dim: axis } });
}
