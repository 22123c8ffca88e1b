/**
 * Loss scaling for mixed-precision training, as PyTorch's `torch.amp.GradScaler`: the loss is
 * multiplied by a large factor before `backward()`, so that float16 gradients under
 * `tl.autocast` do not flush to zero; `step` divides the gradients back and skips the
 * optimiser step when any is infinite or NaN, and `update` lowers the factor after such a
 * step and raises it after `growthInterval` clean ones.
 */
import { type BoolTensor, Tensor, isfinite, keep, logicalAnd, noGrad, tidy } from '@tensile/core';
import { LBFGS } from './lbfgs.js';
import type { Optimizer } from './optimizer.js';
import { writeGrad } from './clip-grad.js';

export interface GradScalerOptions {
  /** The first scale factor; default 2^16. */
  initScale?: number;
  /** Multiplies the scale after `growthInterval` steps without inf or NaN; default 2. */
  growthFactor?: number;
  /** Multiplies the scale after a step with inf or NaN gradients; default 0.5. */
  backoffFactor?: number;
  /** Clean steps between growths; default 2000. */
  growthInterval?: number;
  /** With false, every method passes through (scale 1, plain `optimizer.step()`); default true. */
  enabled?: boolean;
}

/** What `stateDict()` returns and `loadStateDict` takes (PyTorch's keys in camelCase). */
export interface GradScalerState {
  scale: number;
  growthFactor: number;
  backoffFactor: number;
  growthInterval: number;
  growthTracker: number;
}

/** Where each optimiser is in the iteration: unscaled, stepping (awaiting the check), stepped. */
interface OptimizerRecord {
  stage: 'unscaled' | 'stepping' | 'stepped';
  /** One 0-d bool per device, true where all gradients there are finite (until `step` reads them). */
  finite: BoolTensor[];
  foundInf: boolean;
}

const OPTION_KEYS = ['initScale', 'growthFactor', 'backoffFactor', 'growthInterval', 'enabled'];

/**
 * Scales losses and checks gradients for mixed-precision training (PyTorch's `GradScaler`).
 * `step` reads whether the gradients are finite, so it is async on every backend.
 *
 * @example
 * ```ts
 * const scaler = new GradScaler();
 * for (const [x, y] of batches) {
 *   opt.zeroGrad();
 *   const loss = tl.autocast('webgpu', () => F.crossEntropy(model.forward(x), y));
 *   scaler.scale(loss).backward();
 *   await scaler.step(opt); // unscales, then steps unless a gradient is inf or NaN
 *   scaler.update();
 * }
 * ```
 */
export class GradScaler {
  private scaleValue: number;
  private growthFactor: number;
  private backoffFactor: number;
  private growthInterval: number;
  private growthTracker = 0;
  private readonly enabled: boolean;
  private readonly records = new Map<Optimizer, OptimizerRecord>();

  constructor(options: GradScalerOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new TypeError(`GradScaler: options must be an object, got ${options === null ? 'null' : typeof options}`);
    }
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.includes(key)) {
        throw new TypeError(`GradScaler: unknown option '${key}' (expected ${OPTION_KEYS.join(', ')}); the scale is a number, so there is no device option`);
      }
    }
    const { initScale = 2 ** 16, growthFactor = 2, backoffFactor = 0.5, growthInterval = 2000, enabled = true } = options;
    if (typeof enabled !== 'boolean') throw new TypeError(`GradScaler: enabled must be a boolean, got ${typeof enabled}`);
    this.scaleValue = positive('initScale', initScale);
    this.growthFactor = checkGrowthFactor(growthFactor);
    this.backoffFactor = checkBackoffFactor(backoffFactor);
    this.growthInterval = checkInterval(growthInterval);
    this.enabled = enabled;
  }

  /** Whether scaling is on. */
  isEnabled(): boolean {
    return this.enabled;
  }

  /** The current scale factor (1 when disabled). */
  getScale(): number {
    return this.enabled ? this.scaleValue : 1;
  }

  getGrowthFactor(): number {
    return this.growthFactor;
  }
  setGrowthFactor(value: number): void {
    this.growthFactor = checkGrowthFactor(value);
  }
  getBackoffFactor(): number {
    return this.backoffFactor;
  }
  setBackoffFactor(value: number): void {
    this.backoffFactor = checkBackoffFactor(value);
  }
  getGrowthInterval(): number {
    return this.growthInterval;
  }
  setGrowthInterval(value: number): void {
    this.growthInterval = checkInterval(value);
  }

  /** `outputs` times the scale (a new tensor, or one per element of an array); as they are when disabled. */
  scale(outputs: Tensor): Tensor;
  scale(outputs: readonly Tensor[]): Tensor[];
  scale(outputs: Tensor | readonly Tensor[]): Tensor | Tensor[] {
    const list = outputs instanceof Tensor ? [outputs] : outputs;
    if (!Array.isArray(list) || list.some((t) => !(t instanceof Tensor))) {
      throw new TypeError('GradScaler.scale: expected a tensor or an array of tensors (the losses)');
    }
    if (!this.enabled) return outputs as Tensor | Tensor[];
    const scaled = list.map((t) => t.mul(this.scaleValue));
    return outputs instanceof Tensor ? scaled[0] : scaled;
  }

  /**
   * Divide the gradients of `optimizer`'s parameters by the scale, in place, and note whether
   * any is inf or NaN. Call it before clipping gradients; `step` calls it when you have not.
   */
  unscale_(optimizer: Optimizer): void {
    if (!this.enabled) return;
    checkOptimizer('unscale_', optimizer);
    const record = this.records.get(optimizer);
    if (record?.stage === 'unscaled') throw new Error('GradScaler.unscale_: already called on this optimizer since the last update()');
    if (record) throw new Error('GradScaler.unscale_: called after step(); call update() first, then unscale_ in the next iteration');
    const owners = optimizer.paramGroups.flatMap((g) => g.params).filter((p) => p.grad !== null);
    owners.forEach((p, i) => {
      if (p.grad!.dtype === 'float16') {
        throw new TypeError(
          `GradScaler.unscale_: parameter ${i} has a float16 gradient, which unscaling would flush to zero (PyTorch refuses it too); ` +
            'keep the parameters float32 and run the forward pass under tl.autocast',
        );
      }
    });
    const inverse = 1 / this.scaleValue;
    const byDevice = new Map<string, BoolTensor>();
    noGrad(() => {
      for (const p of owners) {
        const grad = p.grad!;
        tidy(() => {
          const allFinite = isfinite(grad).all();
          const sofar = byDevice.get(grad.device);
          byDevice.set(grad.device, keep(sofar ? (logicalAnd(sofar, allFinite) as BoolTensor) : allFinite));
          sofar?.dispose();
          writeGrad(p, grad, grad.mul(inverse));
        });
      }
    });
    this.records.set(optimizer, { stage: 'unscaled', finite: [...byDevice.values()], foundInf: false });
  }

  /**
   * Unscale the gradients (unless `unscale_` did), then run `optimizer.step()` if all are
   * finite. Resolves to whether the optimiser stepped (PyTorch returns None for a skipped step).
   */
  async step(optimizer: Optimizer): Promise<boolean> {
    checkOptimizer('step', optimizer);
    if (!this.enabled) {
      optimizer.step();
      return true;
    }
    const stage = this.records.get(optimizer)?.stage;
    if (stage === 'stepping' || stage === 'stepped') throw new Error('GradScaler.step: already called on this optimizer since the last update()');
    if (!stage) this.unscale_(optimizer);
    const record = this.records.get(optimizer)!;
    if (record.finite.length === 0) {
      this.records.delete(optimizer);
      throw new Error('GradScaler.step: no gradients to check for this optimizer (call backward() on the scaled loss first)');
    }
    record.stage = 'stepping';
    const finite = record.finite;
    record.finite = [];
    let flags: boolean[];
    try {
      flags = await Promise.all(finite.map((t) => t.item()));
    } finally {
      for (const t of finite) t.dispose();
    }
    record.foundInf = flags.some((ok) => !ok);
    record.stage = 'stepped';
    if (record.foundInf) return false;
    optimizer.step();
    return true;
  }

  /**
   * Adjust the scale for the next iteration: times `backoffFactor` if a step this iteration
   * found inf or NaN, times `growthFactor` after `growthInterval` clean iterations; or set it
   * to `newScale`. Call it once per iteration, after every `step`.
   */
  update(newScale?: number): void {
    if (!this.enabled) return;
    if (newScale !== undefined) {
      this.scaleValue = positive('update: newScale', newScale);
      this.clearRecords();
      return;
    }
    const records = [...this.records.values()];
    if (records.some((r) => r.stage === 'stepping')) throw new Error('GradScaler.update: a step() has not finished; await scaler.step(optimizer) first');
    const stepped = records.filter((r) => r.stage === 'stepped');
    if (stepped.length === 0) throw new Error('GradScaler.update: no inf checks were recorded; call await scaler.step(optimizer) first');
    if (stepped.some((r) => r.foundInf)) {
      this.scaleValue *= this.backoffFactor;
      this.growthTracker = 0;
    } else if (++this.growthTracker === this.growthInterval) {
      const grown = this.scaleValue * this.growthFactor;
      if (Number.isFinite(grown)) this.scaleValue = grown;
      this.growthTracker = 0;
    }
    this.clearRecords();
  }

  /** The scale and its schedule, to save with a checkpoint (empty when disabled, as PyTorch's). */
  stateDict(): GradScalerState | Record<string, never> {
    if (!this.enabled) return {};
    const { scaleValue: scale, growthFactor, backoffFactor, growthInterval, growthTracker } = this;
    return { scale, growthFactor, backoffFactor, growthInterval, growthTracker };
  }

  /** Restore what `stateDict()` returned. */
  loadStateDict(state: GradScalerState): void {
    if (!this.enabled) throw new Error('GradScaler.loadStateDict: this scaler is disabled');
    if (state === null || typeof state !== 'object' || Object.keys(state).length === 0) {
      throw new Error('GradScaler.loadStateDict: the state is empty (was it saved from a disabled GradScaler?)');
    }
    const keys: (keyof GradScalerState)[] = ['scale', 'growthFactor', 'backoffFactor', 'growthInterval', 'growthTracker'];
    const missing = keys.filter((k) => typeof state[k] !== 'number');
    if (missing.length > 0) throw new Error(`GradScaler.loadStateDict: missing or non-number ${missing.join(', ')}`);
    const tracker = state.growthTracker;
    if (!Number.isInteger(tracker) || tracker < 0) throw new Error(`GradScaler.loadStateDict: growthTracker must be a non-negative integer, got ${tracker}`);
    this.scaleValue = positive('loadStateDict: scale', state.scale);
    this.growthFactor = checkGrowthFactor(state.growthFactor);
    this.backoffFactor = checkBackoffFactor(state.backoffFactor);
    this.growthInterval = checkInterval(state.growthInterval);
    this.growthTracker = tracker;
  }

  private clearRecords(): void {
    for (const record of this.records.values()) for (const t of record.finite) t.dispose();
    this.records.clear();
  }
}

function checkOptimizer(method: string, optimizer: Optimizer): void {
  if (optimizer === null || typeof optimizer !== 'object' || !Array.isArray((optimizer as { paramGroups?: unknown }).paramGroups)) {
    throw new TypeError(`GradScaler.${method}: expected an optimizer, got ${optimizer === null ? 'null' : typeof optimizer}`);
  }
  if (optimizer instanceof LBFGS) {
    throw new Error(`GradScaler.${method}: LBFGS steps with a closure, which GradScaler does not support (as PyTorch); use it without scaling`);
  }
}

function positive(what: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error(`GradScaler: ${what} must be a positive finite number, got ${String(value)}`);
  return value;
}

function checkGrowthFactor(value: number): number {
  if (typeof value !== 'number' || !(value > 1) || !Number.isFinite(value)) throw new Error(`GradScaler: growthFactor must be a finite number above 1, got ${String(value)}`);
  return value;
}

function checkBackoffFactor(value: number): number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) throw new Error(`GradScaler: backoffFactor must be between 0 and 1, got ${String(value)}`);
  return value;
}

function checkInterval(value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`GradScaler: growthInterval must be a positive integer, got ${String(value)}`);
  return value;
}
