/**
 * Every numeric tolerance the suite uses, in one place. A value passes when
 * `|actual - expected| <= atol + rtol * |expected|`.
 *
 * Fixtures are float32 results from PyTorch; a backend computes in float32 too, so
 * elementwise results agree to a few ulps, while sums (reductions, matmul, conv) may add
 * in a different order and drift further.
 */
export interface Tolerance {
  rtol: number;
  atol: number;
}

/** Tolerance classes named by the fixtures' `tol` field. */
export const TOLERANCES = {
  /** One float32 operation per element (transcendentals included). */
  elementwise: { rtol: 1e-4, atol: 1e-5 },
  /** Reductions, softmax, logsumexp: sums of a few dozen terms. */
  reduce: { rtol: 1e-4, atol: 1e-4 },
  /** Matrix products: longer sums, any summation order. */
  matmul: { rtol: 1e-3, atol: 1e-4 },
  /** Convolutions and pooling (and their gradients, which are correlations). */
  conv: { rtol: 1e-3, atol: 1e-4 },
  /**
   * float16 (half.json): inputs and result are rounded to half (unit roundoff 2^-11 ≈ 4.9e-4)
   * while PyTorch's reference keeps the op's intermediates in float32, as its GPU kernels do.
   * A backend that stores each intermediate of a composite op (gelu, var, logsumexp...) in
   * half adds a rounding per step, so a few half ulps.
   */
  half: { rtol: 4e-3, atol: 2e-3 },
} as const satisfies Record<string, Tolerance>;

export type ToleranceClass = keyof typeof TOLERANCES;

/** Gradients go through a second chain of float32 ops: the class tolerance, widened. */
export function gradTolerance(cls: ToleranceClass): Tolerance {
  const t = TOLERANCES[cls];
  return { rtol: Math.max(t.rtol, 1e-3), atol: Math.max(t.atol, 1e-4) };
}

/** Second derivatives: a third chain. */
export function secondTolerance(cls: ToleranceClass): Tolerance {
  const t = TOLERANCES[cls];
  return { rtol: Math.max(t.rtol, 2e-3), atol: Math.max(t.atol, 5e-4) };
}

/**
 * Finite differences: central differences in float32 carry an error of about
 * `ulp(f) / eps + eps^2 * f'''`, so these are loose on purpose; they catch wrong gradients,
 * not rounding.
 */
export const FINITE_DIFFERENCE = {
  /** Step for smooth ops. */
  eps: 1e-2,
  /** Step for piecewise ops (max pooling, clamp, maximum), whose inputs are spaced wider. */
  epsPiecewise: 1e-3,
  tolerance: { rtol: 2e-2, atol: 2e-2 },
} as const;

/** Operations whose results must be bit-identical (contiguous vs strided input to the same kernel, ints, bools). */
export const EXACT: Tolerance = { rtol: 0, atol: 0 };

/** Non-contiguous vs contiguous input to the same float reduction may sum in another order. */
export const LAYOUT: Tolerance = { rtol: 1e-5, atol: 1e-6 };
