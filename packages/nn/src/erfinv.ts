/**
 * The inverse error function as a composite of core ops (core has no `erfinv` yet), for
 * `init.truncNormal_`: M. Giles' single-precision approximation ("Approximating the erfinv
 * function", GPU Computing Gems, 2011), accurate to a few float32 ulps on (-1, 1). Not
 * exported from the package.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';

const CENTRAL = [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 2.1858087e-4, -1.25372503e-3, -4.17768164e-3, 0.246640727, 1.50140941];
const TAIL = [-2.00214257e-4, 1.00950558e-4, 1.34934322e-3, -3.67342844e-3, 5.73950773e-3, -7.6224613e-3, 9.43887047e-3, 1.00167406, 2.83297682];

function horner(w: Tensor, coefficients: readonly number[]): Tensor {
  let p: Tensor = tl.fullLike(w, coefficients[0]);
  for (const c of coefficients.slice(1)) p = p.mul(w).add(c);
  return p;
}

/** erfinv(x) elementwise for x strictly inside (-1, 1); run it inside `tidy`. */
export function erfinv(x: Tensor): Tensor {
  const w = x.mul(x).neg().log1p().neg(); // -log((1 - x)(1 + x))
  const central = horner(w.sub(2.5), CENTRAL);
  const tail = horner(w.sqrt().sub(3), TAIL);
  return tl.where(w.lt(5), central, tail).mul(x);
}
