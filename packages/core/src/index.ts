/**
 * @tensile/core: tensors, dynamic autograd, the op library and the kernel contract.
 *
 * @example
 * ```ts
 * import * as tl from '@tensile/core';
 * import '@tensile/backend-cpu';
 *
 * const x = tl.tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * x.matmul(x).relu().sum().backward();
 * console.log(await x.grad!.array());
 * ```
 */
export { Tensor, type BoolTensor, type TensorLike } from './tensor/tensor.js';
export { getPrintOptions, setPrintOptions, type PrintOptions } from './tensor/format.js';
export type { NestedArray } from './tensor/nested.js';
export * from './ops/index.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd/grad-mode.js';
export { grad, type BackwardOptions, type GradOptions } from './autograd/engine.js';
export { customOp, type CustomOpDefinition } from './autograd/custom-op.js';
export type { Node as GradFn } from './autograd/node.js';
export { tidy, keep, memory, emptyCache, type MemoryInfo } from './memory.js';
export * from './backend/contract.js';
export * from './backend/registry.js';
export * from './dtype.js';
export {
  broadcastShapes, collapseDims, contiguousStrides, formatShape, isContiguous, normalizeDim, shapesEqual, sizeOf, type Shape,
} from './shape.js';
export { philox4x32, randomElement, uint32ToUniform } from './random.js';
