/** Every public op, as a function. Tensor methods forward here. */
export { add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, logicalAnd, logicalOr } from './binary.js';
export * from './cast.js';
export * from './conv.js';
export * from './creation.js';
export * from './indexing.js';
export * from './matmul.js';
export * from './pool.js';
export * from './reduce.js';
export * from './shape.js';
export * from './softmax.js';
export {
  neg, abs, sign, exp, expm1, log, log1p, sqrt, rsqrt, reciprocal, sin, cos, tanh, sigmoid, relu, erf, floor, ceil, round,
  logicalNot, square, clamp, leakyRelu, gelu, silu, softplus,
} from './unary.js';
export * from './where.js';
