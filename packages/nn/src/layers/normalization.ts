/** `GroupNorm`, `InstanceNorm1d/2d/3d`, `RMSNorm` and `LocalResponseNorm`. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module, type Parameter } from '../module.js';
import { checkOptions } from '../options.js';
import { NormBase } from './norm-base.js';
import { emptyParameter, pyBool, pyFloat, pyTuple } from './util.js';

/** Options of `GroupNorm`. */
export interface GroupNormOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
}

/**
 * Group normalisation of `[N, C, *]`: `numChannels` split into `numGroups` groups, each
 * normalised over its channels and positions; `weight` (ones) and `bias` (zeros) `[C]`.
 *
 * @example
 * ```ts
 * new GroupNorm(8, 32).forward(tl.randn([2, 32, 16, 16]));
 * ```
 */
export class GroupNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;

  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    super();
    checkOptions('GroupNorm', options, ['eps', 'affine']);
    if (!Number.isInteger(numGroups) || numGroups < 1 || !Number.isInteger(numChannels) || numChannels % numGroups !== 0) {
      throw new Error(`GroupNorm: numChannels ${numChannels} must be divisible by numGroups ${numGroups}`);
    }
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    this.weight = this.affine ? emptyParameter([numChannels]) : null;
    this.bias = this.affine ? emptyParameter([numChannels]) : null;
    this.resetParameters();
  }

  /** Scale 1, shift 0. */
  resetParameters(): void {
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }

  forward(x: Tensor): Tensor {
    if (x.rank >= 2 && x.shape[1] !== this.numChannels) {
      throw new Error(`GroupNorm: input ${tl.formatShape(x.shape)} has ${x.shape[1]} channels in dim 1, expected ${this.numChannels}`);
    }
    return F.groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}

/** Options of the instance-norm layers. */
export interface InstanceNormOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Weight of each new batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Learn a per-channel scale and shift (default false, as PyTorch). */
  affine?: boolean;
  /** Keep running statistics, used in evaluation (default false, as PyTorch). */
  trackRunningStats?: boolean;
}

/**
 * What the instance-norm layers share: normalise each sample's channels over their
 * positions, with PyTorch's optional parameters and running statistics (state-dict keys
 * `weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`).
 */
export abstract class InstanceNorm extends NormBase {
  readonly eps: number;
  readonly momentum: number;
  /** Spatial dims of a batched input. */
  protected abstract readonly spatialDims: number;

  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    checkOptions(new.target.name, options, ['eps', 'momentum', 'affine', 'trackRunningStats']);
    super(numFeatures, options.affine ?? false, options.trackRunningStats ?? false);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }

  forward(x: Tensor): Tensor {
    const name = this.constructor.name;
    const d = this.spatialDims;
    if (x.rank !== d + 1 && x.rank !== d + 2) {
      throw new Error(`${name}: expected ${d + 1}D (unbatched) or ${d + 2}D (batched) input, got ${x.rank}D input ${tl.formatShape(x.shape)}`);
    }
    const batched = x.rank === d + 2;
    const channels = x.shape[batched ? 1 : 0];
    if (channels !== this.numFeatures) {
      throw new Error(`${name}: expected input's size at dim ${batched ? 1 : 0} to match numFeatures (${this.numFeatures}), but got ${channels} (input ${tl.formatShape(x.shape)})`);
    }
    return tl.tidy(() => {
      const input = batched ? x : x.unsqueeze(0);
      const y = F.instanceNorm(input, {
        runningMean: this.runningMean,
        runningVar: this.runningVar,
        weight: this.weight,
        bias: this.bias,
        useInputStats: this.training || !this.trackRunningStats,
        momentum: this.momentum,
        eps: this.eps,
      });
      return batched ? y : y.squeeze(0);
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${pyFloat(this.momentum)}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/**
 * Instance normalisation of `[N, C, L]` (or `[C, L]`).
 *
 * @example
 * ```ts
 * new InstanceNorm1d(8).forward(tl.randn([2, 8, 30]));
 * ```
 */
export class InstanceNorm1d extends InstanceNorm {
  protected readonly spatialDims = 1;
}

/**
 * Instance normalisation of `[N, C, H, W]` (or `[C, H, W]`), as in style transfer.
 *
 * @example
 * ```ts
 * new InstanceNorm2d(16, { affine: true }).forward(tl.randn([2, 16, 32, 32]));
 * ```
 */
export class InstanceNorm2d extends InstanceNorm {
  protected readonly spatialDims = 2;
}

/**
 * Instance normalisation of `[N, C, D, H, W]` (or `[C, D, H, W]`).
 *
 * @example
 * ```ts
 * new InstanceNorm3d(4).forward(tl.randn([1, 4, 3, 5, 5]));
 * ```
 */
export class InstanceNorm3d extends InstanceNorm {
  protected readonly spatialDims = 3;
}

/** Options of `RMSNorm`. */
export interface RMSNormOptions {
  /** Default: float32's machine epsilon (PyTorch's `None`). */
  eps?: number | null;
  /** Learn a per-element scale `weight` of the normalised shape (default true). */
  elementwiseAffine?: boolean;
}

/**
 * Root-mean-square normalisation over the trailing `normalizedShape` dims, with a learned
 * `weight` (ones), as PyTorch 2.4's `nn.RMSNorm` and the Llama family.
 *
 * @example
 * ```ts
 * new RMSNorm(512, { eps: 1e-6 }).forward(tl.randn([2, 10, 512]));
 * ```
 */
export class RMSNorm extends Module {
  weight: Parameter | null;
  readonly normalizedShape: number[];
  readonly eps: number | null;
  readonly elementwiseAffine: boolean;

  constructor(normalizedShape: number | readonly number[], options: RMSNormOptions = {}) {
    super();
    checkOptions('RMSNorm', options, ['eps', 'elementwiseAffine']);
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = options.eps ?? null;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? emptyParameter(this.normalizedShape) : null;
    this.resetParameters();
  }

  /** Scale 1. */
  resetParameters(): void {
    if (this.weight) init.ones_(this.weight);
  }

  forward(x: Tensor): Tensor {
    return F.rmsNorm(x, this.normalizedShape, this.weight, this.eps);
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${this.eps === null ? 'None' : pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

/** Options of `LocalResponseNorm`. */
export interface LocalResponseNormOptions {
  /** Default 1e-4. */
  alpha?: number;
  /** Default 0.75. */
  beta?: number;
  /** Default 1. */
  k?: number;
}

/**
 * Local response normalisation across `size` neighbouring channels (AlexNet).
 *
 * @example
 * ```ts
 * new LocalResponseNorm(5, { alpha: 1e-4, beta: 0.75, k: 2 }).forward(x);
 * ```
 */
export class LocalResponseNorm extends Module {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  constructor(size: number, options: LocalResponseNormOptions = {}) {
    super();
    checkOptions('LocalResponseNorm', options, ['alpha', 'beta', 'k']);
    this.size = size;
    this.alpha = options.alpha ?? 1e-4;
    this.beta = options.beta ?? 0.75;
    this.k = options.k ?? 1;
  }

  forward(x: Tensor): Tensor {
    return F.localResponseNorm(x, this.size, this.alpha, this.beta, this.k);
  }

  override extraRepr(): string {
    return `${this.size}, alpha=${pyFloat(this.alpha)}, beta=${pyFloat(this.beta)}, k=${pyFloat(this.k)}`;
  }
}
