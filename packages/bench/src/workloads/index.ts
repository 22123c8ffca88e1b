/** Every workload, in the order the table shows them. */
import { attentionCases } from './attention.js';
import { cnnCases } from './cnn.js';
import { conv2dCases } from './conv2d.js';
import { einsumCases } from './einsum.js';
import { elementwiseCases } from './elementwise.js';
import { gpt2Cases } from './gpt2.js';
import { linalgCases } from './linalg.js';
import { matmulCases } from './matmul.js';
import { mlpCases } from './mlp.js';
import { reductionCases } from './reductions.js';
import { resnet18Cases } from './resnet18.js';
import { scanCases } from './scan.js';
import { softmaxCases } from './softmax.js';
import { sortCases } from './sort.js';
import type { Case } from './types.js';

export function allCases(): Case[] {
  return [
    ...matmulCases(),
    ...conv2dCases(),
    ...elementwiseCases(),
    ...reductionCases(),
    ...softmaxCases(),
    ...scanCases(),
    ...attentionCases(),
    ...einsumCases(),
    ...sortCases(),
    ...linalgCases(),
    ...mlpCases(),
    ...cnnCases(),
    ...resnet18Cases(),
    ...gpt2Cases(),
  ];
}

export type { Case } from './types.js';
