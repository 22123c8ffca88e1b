/** Every public op, as a function. Tensor methods forward here. */
export {
  nonzero, nonzeroSync, maskedSelect, maskedSelectSync, indexAsync, indexSync, maskedFill, maskedScatter, takeAlongDim, take, asStrided, indexAdd,
  indexFill, searchsorted, bucketize, unique, uniqueSync, uniqueConsecutive, uniqueConsecutiveSync,
  type SearchsortedOptions, type UniqueConsecutiveOptions, type UniqueOptions, type UniqueResult,
} from './advanced-indexing.js';
export * from './attention.js';
export * from './binary.js';
export * from './cast.js';
export * from './compare.js';
export * from './contractions.js';
export * from './conv.js';
export * from './creation.js';
export * from './diagonal.js';
export { Generator, defaultGenerator, type GeneratorState } from './generator.js';
export * from './indexing.js';
export * from './matmul.js';
export * from './norms.js';
export type { QrResult, SlogdetResult, SolveTriangularOptions } from './linalg.js';
export type { EighResult, LstsqOptions, LstsqResult, RankTolerance, SvdResult } from './linalg-spectral.js';
export * from './pool.js';
export * from './rearrange.js';
export * from './sampling.js';
export * from './reduce.js';
export * from './scatter.js';
export * from './scan.js';
export * from './shape.js';
export * from './softmax.js';
export * from './sort.js';
export * from './statistics.js';
export * from './unary.js';
export * from './where.js';
