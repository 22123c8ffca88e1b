/** `where(condition, a, b)`: pick elementwise, broadcasting all three. */
import { recordOp } from '../autograd/engine.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { sumToShape } from './elementwise.js';
import { zerosLike } from './creation.js';
import { owned } from '../memory.js';
import { broadcastShapes } from '../shape.js';
import { binaryOperands, broadcastView, deviceOf, empty, isTensor, scalar } from './util.js';

/**
 * `a` where `condition` is true, else `b`. The condition is any tensor (non-zero is true)
 * or a boolean; `a` and `b` promote as in `add`.
 *
 * @example
 * ```ts
 * tl.where(x.gt(0), x, 0); // relu
 * ```
 */
export function where(condition: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  // The casts and scalars made for the call are freed, also when it throws (no broadcast, no memory).
  return owned((own) => {
    const [ta, tb] = binaryOperands('where', a, b, own);
    let cond: Tensor;
    if (isTensor(condition)) {
      cond = condition.dtype === 'bool' ? condition : own(condition.cast('bool'));
    } else {
      cond = own(scalar(ta.backend, Boolean(condition), 'bool'));
    }
    const backend = deviceOf('where', cond, ta, tb);
    const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape, 'where'), tb.shape, 'where');
    const out = empty(backend, shape, ta.dtype, 'where');
    backend.where(broadcastView(cond, shape), broadcastView(ta, shape), broadcastView(tb, shape), out.kernelView);
    const aShape = ta.shape;
    const bShape = tb.shape;
    recordOp('where', [ta, tb], out, [cond], (g, [c], needs) => owned((own) => {
      const zero = own(zerosLike(g));
      const pick = (fromA: boolean, shape: readonly number[]): Tensor => sumToShape(own(fromA ? where(c, g, zero) : where(c, zero, g)), shape);
      return [needs[0] ? pick(true, aShape) : null, needs[1] ? pick(false, bShape) : null];
    }), { inputs: [cond, ta, tb] });
    return out;
  });
}
