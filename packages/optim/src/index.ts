/**
 * @tensile/optim: optimisers, learning-rate schedulers and gradient clipping, with PyTorch
 * 1.13's update rules.
 *
 * @example
 * ```ts
 * import * as tl from '@tensile/core';
 * import '@tensile/backend-cpu';
 * import { Adam, StepLR, clipGradNorm } from '@tensile/optim';
 *
 * const w = tl.randn([3, 1], { requiresGrad: true });
 * const opt = new Adam([w], { lr: 1e-2 });
 * const scheduler = new StepLR(opt, { stepSize: 10, gamma: 0.5 });
 * for (let epoch = 0; epoch < 30; epoch++) {
 *   opt.zeroGrad();
 *   tl.tidy(() => x.matmul(w).sub(y).square().mean().backward());
 *   clipGradNorm([w], 1.0).dispose();
 *   opt.step();
 *   scheduler.step();
 * }
 * ```
 */
export {
  Optimizer,
  type BaseOptions,
  type OptimizerParams,
  type OptimizerGroup,
  type OptimizerStateDict,
  type PackedGroup,
  type ParamGroup,
  type ParamState,
  type StateValue,
} from './optimizer.js';
export { toPyTorchSchedulerStateDict, toPyTorchStateDict, type PyTorchOptimizerStateDict } from './pytorch-names.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamBase, type AdamOptions } from './adam.js';
export { AdamW } from './adamw.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export { Adamax, type AdamaxOptions } from './adamax.js';
export { NAdam, type NAdamOptions } from './nadam.js';
export { RAdam, type RAdamOptions } from './radam.js';
export { ASGD, type ASGDOptions } from './asgd.js';
export { Rprop, type RpropOptions } from './rprop.js';
export { LBFGS, type LBFGSClosure, type LBFGSOptions } from './lbfgs.js';
export { clipGradNorm, clipGradValue } from './clip-grad.js';
export { GradScaler, type GradScalerOptions, type GradScalerState } from './grad-scaler.js';
export * from './lr-scheduler/index.js';
