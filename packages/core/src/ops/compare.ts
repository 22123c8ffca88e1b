/** Closeness and equality of whole tensors. */
import { owned } from '../memory.js';
import { shapesEqual } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { all } from './statistics.js';
import { isTensor, requireTensor } from './util.js';

/**
 * Where `|a - b| <= atol + rtol * |b|` (or `a == b`, which covers infinities), as bool;
 * NaNs are close to each other only with `equalNan`. As torch.isclose.
 *
 * @example
 * ```ts
 * tl.isclose(x, y, 1e-4, 1e-6);
 * ```
 */
export function isclose(a: Tensor, b: TensorLike, rtol = 1e-5, atol = 1e-8, equalNan = false): Tensor {
  requireTensor('isclose', a);
  if (!(rtol >= 0) || !(atol >= 0)) throw new Error(`isclose: rtol and atol must be non-negative, got ${rtol} and ${atol}`);
  return owned((t) => {
    const x = a.dtype === 'bool' ? t(a.int()) : a;
    const y = isTensor(b) && b.dtype === 'bool' ? t(b.int()) : b;
    // |b| * rtol + atol, as a tensor or, for a number b, a number.
    const limit = isTensor(y) ? t(t(t(y.abs()).mul(rtol)).add(atol)) : Math.abs(Number(y)) * rtol + atol;
    let close = t(t(x.eq(y)).logicalOr(t(t(t(x.sub(y)).abs()).le(limit))));
    if (equalNan) {
      const bothNan = isTensor(y) ? t(t(x.isnan()).logicalAnd(t(y.isnan()))) : Number.isNaN(Number(y)) ? t(x.isnan()) : null;
      if (bothNan) close = t(close.logicalOr(bothNan));
    }
    return close;
  });
}

/** Whether every element of `a` is close to `b` (see {@link isclose}). Resolves to a boolean. */
export async function allclose(a: Tensor, b: TensorLike, rtol = 1e-5, atol = 1e-8, equalNan = false): Promise<boolean> {
  const ok = owned((t) => all(t(isclose(a, b, rtol, atol, equalNan))));
  try {
    return await ok.item();
  } finally {
    ok.dispose();
  }
}

/** {@link allclose} on backends that read synchronously. */
export function allcloseSync(a: Tensor, b: TensorLike, rtol = 1e-5, atol = 1e-8, equalNan = false): boolean {
  return owned((t) => t(all(t(isclose(a, b, rtol, atol, equalNan)))).itemSync());
}

/** Whether `a` and `b` have the same shape and the same values (NaN equals nothing). Resolves to a boolean. */
export async function equal(a: Tensor, b: Tensor): Promise<boolean> {
  requireTensor('equal', a);
  requireTensor('equal', b, 'the second input');
  if (!shapesEqual(a.shape, b.shape)) return false;
  const ok = owned((t) => all(t(a.eq(b))));
  try {
    return await ok.item();
  } finally {
    ok.dispose();
  }
}

/** {@link equal} on backends that read synchronously. */
export function equalSync(a: Tensor, b: Tensor): boolean {
  requireTensor('equal', a);
  requireTensor('equal', b, 'the second input');
  if (!shapesEqual(a.shape, b.shape)) return false;
  return owned((t) => t(all(t(a.eq(b)))).itemSync());
}
