/**
 * @tensile/nn: modules, layers, initialisers, losses and `functional`, with PyTorch's names,
 * state-dict keys and semantics, on any Tensile backend.
 *
 * @example
 * ```ts
 * import * as tl from '@tensile/core';
 * import '@tensile/backend-cpu';
 * import { Linear, ReLU, Sequential, functional as F } from '@tensile/nn';
 *
 * const model = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
 * const loss = F.crossEntropy(model.forward(tl.randn([8, 4])), tl.randint(0, 3, [8]));
 * loss.backward();
 * ```
 */
export * from './module.js';
export * as init from './init.js';
export * as utils from './utils/index.js';
export * as functional from './functional.js';
export type { Reduction } from './functional.js';
export type { PadMode } from './functional/padding.js';
export type { InterpolateMode } from './functional/resample.js';
export * from './layers/linear.js';
export * from './layers/conv.js';
export * from './layers/pooling.js';
export * from './layers/batch-norm.js';
export * from './layers/layer-norm.js';
export * from './layers/dropout.js';
export * from './layers/embedding.js';
export * from './layers/flatten.js';
export * from './layers/activation.js';
export * from './layers/loss.js';
export * from './layers/normalization.js';
export * from './layers/shuffle.js';
export * from './layers/padding.js';
export * from './layers/upsample.js';
export * from './layers/distance.js';
export * from './layers/rnn-cell.js';
// Owned by nn-B:
export * from './layers/recurrent.js';
export * from './layers/attention.js';
export * from './layers/transformer.js';
export * from './safetensors/index.js';
export * from './torch-checkpoint/index.js';
