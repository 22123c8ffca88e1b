/**
 * `nn.utils`: PyTorch's `torch.nn.utils` (weight norm, spectral norm, pruning, parameter
 * vectors) and a torchinfo-style `summary`.
 */
export { parametersToVector, vectorToParameters } from './vector.js';
export { weightNorm, removeWeightNorm } from './weight-norm.js';
export { spectralNorm, removeSpectralNorm, type SpectralNormOptions } from './spectral-norm.js';
export * as prune from './prune.js';
export { summary, type SummaryOptions } from './summary.js';
