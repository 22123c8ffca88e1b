/** Gradient clipping, as PyTorch's `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`. */
import { Tensor, clamp, div, linalg, noGrad, stack, tidy, zeros } from '@tensile/core';

function gradsOf(op: string, params: Tensor | Iterable<Tensor>): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new Error(`${op}: params[${i}] is not a Tensor`);
  });
  return list.map((p) => p.grad).filter((g): g is Tensor => g !== null);
}

function parseNormType(normType: number | 'inf' | '-inf'): number {
  const p = normType === 'inf' ? Infinity : normType === '-inf' ? -Infinity : normType;
  if (typeof p !== 'number' || Number.isNaN(p)) {
    throw new Error(`clipGradNorm: invalid normType ${String(normType)}; expected a number, Infinity or 'inf'`);
  }
  return p;
}

/** @internal Replace a gradient's values in place (so every handle on it sees the change). */
export function writeGrad(p: Tensor, grad: Tensor, value: Tensor): void {
  if (grad.isLeaf) grad.assign(value);
  else p.grad = value;
}

/**
 * Scale the gradients of `params` so that their total norm (as if concatenated into one
 * vector) is at most `maxNorm`; return that total norm (before clipping) as a 0-d tensor.
 * `normType` is the p of the p-norm: 2 by default, `Infinity` (or `'inf'`) for the largest
 * absolute value. Parameters without a gradient are skipped. PyTorch's formula: every
 * gradient is multiplied by `min(maxNorm / (totalNorm + 1e-6), 1)`. With `errorIfNonfinite`
 * (PyTorch's `error_if_nonfinite`), a NaN or infinite total norm is an error and no gradient
 * changes; this reads the norm, so it needs a backend that reads synchronously (cpu, wasm, cuda).
 *
 * @example
 * ```ts
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0);
 * opt.step();
 * norm.dispose();
 * ```
 */
export function clipGradNorm(
  params: Tensor | Iterable<Tensor>,
  maxNorm: number,
  normType: number | 'inf' | '-inf' = 2,
  errorIfNonfinite = false,
): Tensor {
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) {
    throw new Error(`clipGradNorm: invalid maxNorm ${String(maxNorm)}; expected a number`);
  }
  if (typeof errorIfNonfinite !== 'boolean') {
    throw new Error(`clipGradNorm: invalid errorIfNonfinite ${String(errorIfNonfinite)}; expected true or false`);
  }
  const p = parseNormType(normType);
  const list = params instanceof Tensor ? [params] : [...params];
  const grads = gradsOf('clipGradNorm', list);
  if (grads.length === 0) return zeros([]);
  const owners = list.filter((t) => t.grad !== null);
  return noGrad(() =>
    tidy(() => {
      const norms = grads.map((g) => linalg.vectorNorm(g, p));
      let total: Tensor;
      if (p === Infinity) total = norms.length === 1 ? norms[0] : stack(norms).max();
      else if (p === -Infinity) total = norms.length === 1 ? norms[0] : stack(norms).min();
      else total = linalg.vectorNorm(stack(norms), p);
      if (errorIfNonfinite) {
        let value: number;
        try {
          value = Number(total.itemSync());
        } catch (error) {
          throw new Error(
            `clipGradNorm: errorIfNonfinite reads the norm synchronously, which failed on '${total.device}' ` +
              `(${(error as Error).message}); check \`await norm.item()\` yourself instead`,
          );
        }
        if (!Number.isFinite(value)) {
          throw new Error(
            `clipGradNorm: the total norm of order ${String(normType)} of the gradients is ${value}, so they cannot be clipped; ` +
              'pass errorIfNonfinite = false to scale them by it anyway',
          );
        }
      }
      const coef = clamp(div(maxNorm, total.add(1e-6)), null, 1);
      grads.forEach((g, i) => writeGrad(owners[i], g, g.mul(coef)));
      return total;
    }),
  );
}

/**
 * Clamp every gradient of `params` into `[-clipValue, clipValue]`, in place (PyTorch's
 * `clip_grad_value_`). Parameters without a gradient are skipped.
 *
 * @example
 * ```ts
 * clipGradValue(model.parameters(), 0.5);
 * ```
 */
export function clipGradValue(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue)) {
    throw new Error(`clipGradValue: invalid clipValue ${String(clipValue)}; expected a number`);
  }
  const list = params instanceof Tensor ? [params] : [...params];
  gradsOf('clipGradValue', list);
  noGrad(() =>
    tidy(() => {
      for (const p of list) {
        const g = p.grad;
        if (g !== null) writeGrad(p, g, g.clamp(-clipValue, clipValue));
      }
    }),
  );
}
