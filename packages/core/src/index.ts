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
/** Every public op by name (the same functions as the top-level exports), for tools and tests. */
export * as ops from './ops/index.js';
export { withComposites } from './ops/elementwise.js';
/** @internal PyTorch's opmath for composites outside core (nn's norms): float16 inputs computed in float32, rounded back. */
export { inFloat32 } from './ops/elementwise.js';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled, inferenceMode } from './autograd/grad-mode.js';
export { grad, type BackwardOptions, type GradOptions } from './autograd/engine.js';
export {
  customOp, type CustomOpContext, type CustomOpDefinition, type MultiOutputCustomOpDefinition,
} from './autograd/custom-op.js';
export type { Node as GradFn } from './autograd/node.js';
export { RemovableHandle, type TensorHook } from './autograd/hooks.js';
export { checkpoint } from './autograd/checkpoint.js';
export * as autograd from './autograd/index.js';
export * as func from './autograd/func.js';
export type {
  FunctionalOptions, HessianOf, HessianOptions, JacobianOf, JacobianOptions, JacobianStrategy, Like, TensorOrTensors,
} from './autograd/functional.js';
export { tidy, keep, memory, emptyCache, type MemoryInfo } from './memory.js';
export { autocast, isAutocastEnabled, getAutocastDtype, type AutocastOptions } from './autocast.js';
/** @internal Autocast for ops outside core (nn's linear, norms and losses): `if (autocastActive()) return autocasting(name, args, fn)`. */
export { autocastActive, autocasting } from './autocast.js';
/** @internal An op's temporaries in one scope (for Tensile's own packages: the DataLoader's batch assembly). */
export { owned, type Own } from './memory.js';
export * from './backend/contract.js';
export * from './backend/op-table.js';
export * from './backend/plans.js';
export * from './backend/kernel-table.js';
/** Scalar functions behind the op table's references (erf, round half to even, ...), for backends written in JavaScript. */
export * as scalarMath from './backend/scalar-math.js';
export * from './backend/registry.js';
export * from './dtype.js';
export {
  broadcastShapes, collapseDims, contiguousStrides, formatShape, isContiguous, normalizeDim, shapesEqual, sizeOf, type Shape,
} from './shape.js';
export { philox4x32, randomElement, uint32ToUniform } from './random.js';
export { ProgressBar, formatBytes, type ProgressOptions } from './progress.js';
