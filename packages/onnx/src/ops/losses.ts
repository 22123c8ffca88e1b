// Loss operators (opset 12 on), as PyTorch's nll_loss and cross_entropy.
import type { Tensor } from '@tensile/core';
import { functional as F } from '@tensile/nn';
import type { Value } from '../value.js';
import { type Attributes, type OpContext, type OpSpec, attrString, only, tensorOf, tl } from './context.js';

const ATTRIBUTES = ['ignore_index', 'reduction'];
const check = (attrs: Attributes): string[] => only(attrs, 'reduction', ['none', 'sum', 'mean']);

/** The weighted negative log-likelihood of `target` under `logProbs` ([N, C, d1, ...]). */
function nll(ctx: OpContext, logProbs: Tensor, target: Value | undefined, weight: Value | undefined, attrs: Attributes): Tensor {
  return F.nllLoss(logProbs, tensorOf(ctx, target, 'target', logProbs.device), {
    weight: weight === undefined ? null : tensorOf(ctx, weight, 'weight', logProbs.device),
    // Without ignore_index every target must be a class: an int32 no class index can be.
    ignoreIndex: typeof attrs.ignore_index === 'number' ? attrs.ignore_index : -2147483648,
    reduction: attrString(attrs, 'reduction', 'mean') as 'mean',
  });
}

export const lossOps: Record<string, OpSpec> = {
  NegativeLogLikelihoodLoss: {
    attributes: ATTRIBUTES,
    check,
    run: (ctx, [x, target, weight], attrs) => [nll(ctx, tensorOf(ctx, x, 'input'), target, weight, attrs)],
  },
  SoftmaxCrossEntropyLoss: {
    attributes: ATTRIBUTES,
    outputs: 2,
    check,
    run(ctx, [x, labels, weights], attrs) {
      const logProbs = tl.logSoftmax(tensorOf(ctx, x, 'scores'), 1);
      return [nll(ctx, logProbs, labels, weights, attrs), logProbs];
    },
  },
};
