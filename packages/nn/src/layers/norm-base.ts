/** What batch and instance normalisation share (internal). */
import * as tl from '@tensile/core';
import { type Buffer, Module, type Parameter } from '../module.js';
import { emptyParameter, ownBuffer } from './util.js';

/** PyTorch's snake_case state-dict names of the camelCase fields. */
const STATE_NAMES: Record<string, string> = {
  runningMean: 'running_mean',
  runningVar: 'running_var',
  numBatchesTracked: 'num_batches_tracked',
};

/**
 * The state of the batch- and instance-norm layers (PyTorch's `_NormBase`): with `affine`,
 * per-feature parameters `weight` and `bias` (zeros, for the subclass to initialise); with
 * `trackRunningStats`, the buffers `running_mean` (zeros), `running_var` (ones) and
 * `num_batches_tracked` (0).
 */
export abstract class NormBase extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  runningMean: Buffer | null;
  runningVar: Buffer | null;
  numBatchesTracked: Buffer | null;
  readonly numFeatures: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  protected constructor(numFeatures: number, affine: boolean, trackRunningStats: boolean) {
    super();
    this.numFeatures = numFeatures;
    this.affine = affine;
    this.trackRunningStats = trackRunningStats;
    this.weight = affine ? emptyParameter([numFeatures]) : null;
    this.bias = affine ? emptyParameter([numFeatures]) : null;
    this.runningMean = trackRunningStats ? ownBuffer(tl.zeros([numFeatures])) : null;
    this.runningVar = trackRunningStats ? ownBuffer(tl.ones([numFeatures])) : null;
    this.numBatchesTracked = trackRunningStats ? ownBuffer(tl.zeros([], { dtype: 'int32' })) : null;
  }

  protected override stateName(field: string): string {
    return STATE_NAMES[field] ?? field;
  }
}
