/** `nn.utils.spectralNorm` / `removeSpectralNorm`: PyTorch's `torch.nn.utils.spectral_norm`. */
import * as tl from '@tensile/core';
import type { Module } from '../module.js';
import { addReparam, fieldOf, normalizeVector, reparamsOf, restoreParameter, weightMatrix } from './reparametrize.js';

/** Options of `spectralNorm`, as PyTorch's arguments. */
export interface SpectralNormOptions {
  /** Power iterations per forward while training (default 1). */
  nPowerIterations?: number;
  /** Added to norms for stability (default 1e-12). */
  eps?: number;
  /** The output dim of the weight (default 0; 1 for transposed convolutions). */
  dim?: number;
}

/**
 * Divide `module[name]` by its largest singular value, estimated by power iteration (Miyato
 * et al. 2018), as PyTorch's `spectral_norm` (the GAN discriminator's regulariser): the
 * parameter becomes `name_orig` (the same Parameter object, so optimisers built before keep
 * working), the buffers `name_u`, `name_v` hold the power-iteration vectors (updated in each
 * training-mode forward), and `module[name]` is recomputed before each forward.
 *
 * @example
 * ```ts
 * const critic = nn.utils.spectralNorm(new Linear(64, 1));
 * Object.keys(critic.stateDict()); // ['bias', 'weight_orig', 'weight_u', 'weight_v']
 * ```
 */
export function spectralNorm<M extends Module>(module: M, name = 'weight', options: SpectralNormOptions = {}): M {
  const fn = 'spectralNorm';
  for (const k of Object.keys(options)) {
    if (!['nPowerIterations', 'eps', 'dim'].includes(k)) throw new Error(`${fn}: unknown option '${k}'; supported: nPowerIterations, eps, dim`);
  }
  if (reparamsOf(module)[name]) throw new Error(`${fn}: cannot register two spectral_norm hooks on the same parameter ${name}`);
  const { key, param } = fieldOf(fn, module, name);
  const nPowerIterations = options.nPowerIterations ?? 1;
  if (!Number.isInteger(nPowerIterations) || nPowerIterations < 0) {
    throw new Error(`${fn}: expected nPowerIterations to be a non-negative integer, got ${nPowerIterations}`);
  }
  const eps = options.eps ?? 1e-12;
  const transposed = /^ConvTranspose[123]d$/.test(module.constructor.name);
  let dim = options.dim ?? (transposed ? 1 : 0);
  if (!Number.isInteger(dim) || dim < -param.rank || dim >= param.rank) {
    throw new Error(`${fn}: dim ${dim} is out of range for ${name} of shape ${tl.formatShape(param.shape)}`);
  }
  if (dim < 0) dim += param.rank;
  const [u, v] = tl.noGrad(() =>
    tl.tidy(() => {
      const mat = weightMatrix(param, dim);
      const [h, w] = mat.shape;
      return [normalizeVector(tl.randn([h], { device: param.device }), eps), normalizeVector(tl.randn([w], { device: param.device }), eps)];
    }),
  );
  // The same Parameter object moves to name_orig; the field shows the plain weight until the first forward.
  (module as unknown as Record<string, unknown>)[key] = tl.keep(param.detach());
  module.registerParameter(`${name}_orig`, param);
  module.registerBuffer(`${name}_u`, u);
  module.registerBuffer(`${name}_v`, v);
  u.dispose();
  v.dispose();
  addReparam(fn, module, name, { kind: 'spectralNorm', key, dim, nPowerIterations, eps }, false);
  return module;
}

/**
 * Undo `spectralNorm`: `module[name]` becomes a parameter holding the normalised weight
 * (with the current `u`, `v`, no further iteration), re-registered last, as PyTorch.
 *
 * @example
 * ```ts
 * nn.utils.removeSpectralNorm(critic);
 * ```
 */
export function removeSpectralNorm<M extends Module>(module: M, name = 'weight'): M {
  const entry = reparamsOf(module)[name];
  if (!entry || entry.kind !== 'spectralNorm') throw new Error(`removeSpectralNorm: spectral_norm of '${name}' not found in ${module.constructor.name}`);
  restoreParameter(module, name, entry, [`${name}_orig`, `${name}_u`, `${name}_v`]);
  return module;
}
