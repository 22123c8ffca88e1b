// GradScaler on cpu with float32 gradients: the scale schedule, unscaling, skipped steps and
// the misuse PyTorch's GradScaler refuses. PyTorch 1.13 (the fixtures' version) has no cpu
// GradScaler to record, so the expectations follow its documented rule: a step with an inf
// or NaN gradient is skipped and the scale multiplied by backoffFactor; growthInterval clean
// steps in a row multiply it by growthFactor. The float16 path is in amp-webgpu.test.ts.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { GradScaler, LBFGS, SGD, clipGradNorm } from '../src/index.js';
import { expectMemoryFlat } from './helpers.js';

await tl.setBackend('cpu');

/** A seeded linear model, its data, and its loss (optionally poisoned with inf). */
function problem() {
  tl.manualSeed(3);
  const w = tl.randn([4, 2], { requiresGrad: true });
  const x = tl.randn([8, 4]);
  const y = tl.randn([8, 2]);
  const loss = (poison = false) => tl.tidy(() => {
    const l = x.matmul(w).sub(y).square().mean();
    return poison ? l.mul(Infinity) : l;
  });
  return { w, x, y, loss };
}

describe('GradScaler', () => {
  it('scales a loss (or a list) by the scale, starting at 2^16; disabled, passes it through', async () => {
    const scaler = new GradScaler();
    const loss = tl.tensor(1.5);
    expect(scaler.getScale()).toBe(65536);
    expect(await scaler.scale(loss).item()).toBe(1.5 * 65536);
    const [a, b] = scaler.scale([loss, tl.tensor(2)]);
    expect([await a.item(), await b.item()]).toEqual([1.5 * 65536, 2 * 65536]);
    const off = new GradScaler({ enabled: false });
    expect(off.scale(loss)).toBe(loss);
    expect(off.getScale()).toBe(1);
    expect(off.isEnabled()).toBe(false);
  });

  it('step divides the gradients back and steps as an unscaled backward would', async () => {
    const scaled = problem();
    const scaler = new GradScaler({ initScale: 1024 });
    const opt = new SGD([scaled.w], { lr: 0.1 });
    scaler.scale(scaled.loss()).backward();
    expect(await scaler.step(opt)).toBe(true);
    const plain = problem();
    plain.loss().backward();
    const gradient = await plain.w.grad!.array();
    new SGD([plain.w], { lr: 0.1 }).step();
    expect(await scaled.w.grad!.array()).toEqual(gradient);
    expect(await scaled.w.array()).toEqual(await plain.w.array());
    scaler.update();
    expect(scaler.getScale()).toBe(1024);
  });

  it('an inf or NaN gradient skips the step and backs the scale off; clean steps grow it after growthInterval', async () => {
    const { w, loss } = problem();
    const scaler = new GradScaler({ initScale: 256, growthInterval: 3 });
    const opt = new SGD([w], { lr: 0.1 });
    const scales: number[] = [];
    const stepped: boolean[] = [];
    for (const poison of [true, false, false, false, false, true, false]) {
      opt.zeroGrad();
      const last = await w.array();
      scaler.scale(loss(poison)).backward();
      stepped.push(await scaler.step(opt));
      if (poison) expect(await w.array()).toEqual(last);
      else expect(await w.array()).not.toEqual(last);
      scaler.update();
      scales.push(scaler.getScale());
    }
    expect(stepped).toEqual([false, true, true, true, true, false, true]);
    // 256 → 128 (inf); three clean steps → 256; one more clean; inf → 128; clean.
    expect(scales).toEqual([128, 128, 128, 256, 256, 128, 128]);
    expect(scaler.stateDict()).toEqual({ scale: 128, growthFactor: 2, backoffFactor: 0.5, growthInterval: 3, growthTracker: 1 });
  });

  it('a skipped step leaves the parameters as they were', async () => {
    const { w, loss } = problem();
    const scaler = new GradScaler();
    const opt = new SGD([w], { lr: 0.1 });
    const before = await w.array();
    scaler.scale(loss(true)).backward();
    expect(await scaler.step(opt)).toBe(false);
    expect(await w.array()).toEqual(before);
  });

  it('unscale_ before clipping: step does not divide a second time', async () => {
    const { w, loss } = problem();
    const scaler = new GradScaler({ initScale: 512 });
    const opt = new SGD([w], { lr: 0.1 });
    scaler.scale(loss()).backward();
    scaler.unscale_(opt);
    const reference = problem();
    reference.loss().backward();
    expect(await w.grad!.array()).toEqual(await reference.w.grad!.array());
    clipGradNorm([w], 0.01).dispose();
    const clipped = tl.keep(w.grad!.clone());
    const before = tl.keep(w.detach().clone());
    expect(await scaler.step(opt)).toBe(true);
    expect(await w.grad!.array()).toEqual(await clipped.array());
    expect(await w.array()).toEqual(await before.sub(clipped.mul(0.1)).array());
  });

  it('refuses the order PyTorch refuses: unscale_ twice, step twice, update before step', async () => {
    const { w, loss } = problem();
    const scaler = new GradScaler();
    const opt = new SGD([w], { lr: 0.1 });
    expect(() => scaler.update()).toThrow('GradScaler.update: no inf checks were recorded');
    await expect(scaler.step(opt)).rejects.toThrow('GradScaler.step: no gradients to check');
    scaler.scale(loss()).backward();
    scaler.unscale_(opt);
    expect(() => scaler.unscale_(opt)).toThrow('GradScaler.unscale_: already called on this optimizer since the last update()');
    const pending = scaler.step(opt);
    expect(() => scaler.update()).toThrow('GradScaler.update: a step() has not finished');
    await pending;
    await expect(scaler.step(opt)).rejects.toThrow('GradScaler.step: already called on this optimizer since the last update()');
    expect(() => scaler.unscale_(opt)).toThrow('GradScaler.unscale_: called after step()');
    scaler.update();
    expect(() => scaler.update()).toThrow('no inf checks were recorded');
  });

  it('update(newScale) sets the scale; the schedule has getters and setters', () => {
    const scaler = new GradScaler();
    scaler.update(8);
    expect(scaler.getScale()).toBe(8);
    scaler.setGrowthFactor(4);
    scaler.setBackoffFactor(0.25);
    scaler.setGrowthInterval(10);
    expect([scaler.getGrowthFactor(), scaler.getBackoffFactor(), scaler.getGrowthInterval()]).toEqual([4, 0.25, 10]);
    expect(() => scaler.update(0)).toThrow('GradScaler: update: newScale must be a positive finite number, got 0');
    expect(() => scaler.setGrowthFactor(1)).toThrow('growthFactor must be a finite number above 1');
    expect(() => scaler.setBackoffFactor(1)).toThrow('backoffFactor must be between 0 and 1');
    expect(() => scaler.setGrowthInterval(1.5)).toThrow('growthInterval must be a positive integer');
  });

  it('stateDict round-trips; a disabled scaler saves nothing and loads nothing', () => {
    const a = new GradScaler({ initScale: 32, growthInterval: 7 });
    const b = new GradScaler();
    b.loadStateDict(a.stateDict() as never);
    expect(b.stateDict()).toEqual(a.stateDict());
    const off = new GradScaler({ enabled: false });
    expect(off.stateDict()).toEqual({});
    expect(() => off.loadStateDict(a.stateDict() as never)).toThrow('GradScaler.loadStateDict: this scaler is disabled');
    expect(() => b.loadStateDict({} as never)).toThrow('the state is empty (was it saved from a disabled GradScaler?)');
    expect(() => b.loadStateDict({ scale: 2 } as never)).toThrow('missing or non-number growthFactor, backoffFactor, growthInterval, growthTracker');
    expect(() => b.loadStateDict({ ...(a.stateDict() as object), growthTracker: -1 } as never)).toThrow('growthTracker must be a non-negative integer');
    expect(b.stateDict()).toEqual(a.stateDict());
  });

  it('refuses bad options, non-optimizers, LBFGS and non-tensor losses', async () => {
    expect(() => new GradScaler({ device: 'cuda' } as never)).toThrow("GradScaler: unknown option 'device'");
    expect(() => new GradScaler('cuda' as never)).toThrow('GradScaler: options must be an object, got string');
    expect(() => new GradScaler({ initScale: -1 })).toThrow('initScale must be a positive finite number');
    expect(() => new GradScaler({ enabled: 1 as never })).toThrow('enabled must be a boolean');
    const scaler = new GradScaler();
    expect(() => scaler.scale(3 as never)).toThrow('GradScaler.scale: expected a tensor or an array of tensors');
    expect(() => scaler.unscale_({} as never)).toThrow('GradScaler.unscale_: expected an optimizer');
    const w = tl.zeros([2], { requiresGrad: true });
    await expect(scaler.step(new LBFGS([w]))).rejects.toThrow('GradScaler.step: LBFGS steps with a closure');
  });

  it('a scaled training loop keeps memory flat, poisoned steps included', async () => {
    const { w, loss } = problem();
    const scaler = new GradScaler({ growthInterval: 5 });
    const opt = new SGD([w], { lr: 0.05 });
    let i = 0;
    const trainStep = async () => {
      opt.zeroGrad(false); // keep the gradient tensor, so the count does not move with it
      tl.tidy(() => scaler.scale(loss(i++ % 7 === 0)).backward());
      await scaler.step(opt);
      scaler.update();
    };
    await trainStep(); // the first step makes w.grad
    await expectMemoryFlat(200, trainStep);
    expect(scaler.getScale()).toBeLessThan(65536); // the poisoned steps backed it off
  });
});
