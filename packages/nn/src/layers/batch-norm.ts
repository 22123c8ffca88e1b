/** `BatchNorm1d`, `BatchNorm2d` and `BatchNorm3d`. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import * as init from '../init.js';
import { checkOptions } from '../options.js';
import { NormBase } from './norm-base.js';
import { pyBool, pyFloat } from './util.js';

/** Options of the batch-norm layers. */
export interface BatchNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of each new batch in the running statistics (default 0.1); null for a cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true); without them, batch statistics are always used. */
  trackRunningStats?: boolean;
}

/**
 * The shared batch-norm layer: normalises each channel (dim 1) over every other dim, with
 * PyTorch's parameters (`weight`, `bias`) and buffers (`running_mean`, `running_var`,
 * `num_batches_tracked`). Training normalises with the batch's biased variance and updates
 * the running statistics with the unbiased one; evaluation uses the running statistics.
 */
export abstract class BatchNorm extends NormBase {
  readonly eps: number;
  readonly momentum: number | null;

  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    checkOptions(new.target.name, options, ['eps', 'momentum', 'affine', 'trackRunningStats']);
    super(numFeatures, options.affine ?? true, options.trackRunningStats ?? true);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.resetParameters();
  }

  /** Reset the running statistics to mean 0, variance 1, and no batches. */
  resetRunningStats(): void {
    if (this.runningMean) init.zeros_(this.runningMean);
    if (this.runningVar) init.ones_(this.runningVar);
    if (this.numBatchesTracked) tl.noGrad(() => tl.tidy(() => this.numBatchesTracked!.assign(tl.zeros([], { dtype: 'int32', device: this.numBatchesTracked!.device }))));
  }

  /** Reset the running statistics, and the affine parameters to scale 1, shift 0. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }

  /** Throw unless `x` has a rank this layer accepts. */
  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.constructor.name}: input ${tl.formatShape(x.shape)} has ${x.shape[1]} channels in dim 1, expected ${this.numFeatures}`);
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.numBatchesTracked) {
      const counter = this.numBatchesTracked;
      tl.noGrad(() => tl.tidy(() => counter.assign(counter.add(1))));
      if (this.momentum === null) factor = 1 / Number(counter.itemSync());
    }
    const useBatchStats = this.training || (this.runningMean === null && this.runningVar === null);
    const updateRunning = !this.training || this.trackRunningStats;
    return F.batchNorm(x, updateRunning ? this.runningMean : null, updateRunning ? this.runningVar : null, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    });
  }

  override extraRepr(): string {
    const momentum = this.momentum === null ? 'None' : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${momentum}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/**
 * Batch normalisation of `[N, C]` or `[N, C, L]` inputs.
 *
 * @example
 * ```ts
 * const bn = new BatchNorm1d(64);
 * bn.forward(tl.randn([32, 64]));
 * bn.eval(); // use the running statistics
 * ```
 */
export class BatchNorm1d extends BatchNorm {
  protected checkInput(x: Tensor): void {
    if (x.rank !== 2 && x.rank !== 3) throw new Error(`BatchNorm1d: expected 2D or 3D input (got ${x.rank}D input ${tl.formatShape(x.shape)})`);
  }
}

/**
 * Batch normalisation of `[N, C, H, W]` inputs.
 *
 * @example
 * ```ts
 * const bn = new BatchNorm2d(16);
 * bn.forward(tl.randn([8, 16, 32, 32]));
 * ```
 */
export class BatchNorm2d extends BatchNorm {
  protected checkInput(x: Tensor): void {
    if (x.rank !== 4) throw new Error(`BatchNorm2d: expected 4D input (got ${x.rank}D input ${tl.formatShape(x.shape)})`);
  }
}

/**
 * Batch normalisation of `[N, C, D, H, W]` inputs.
 *
 * @example
 * ```ts
 * new BatchNorm3d(8).forward(tl.randn([2, 8, 4, 4, 4]));
 * ```
 */
export class BatchNorm3d extends BatchNorm {
  protected checkInput(x: Tensor): void {
    if (x.rank !== 5) throw new Error(`BatchNorm3d: expected 5D input (got ${x.rank}D input ${tl.formatShape(x.shape)})`);
  }
}
