// Mixed-precision training on webgpu: float32 parameters, the forward pass under tl.autocast
// (products in float16) and GradScaler. It must train as float32 does, keep gradients that
// float16 alone flushes to zero, and keep memory flat. Without an adapter with 'shader-f16'
// the file skips, naming the reason, unless TENSILE_REQUIRE_TOOLS makes that a failure.
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import '@tensile/backend-cpu';
import '@tensile/backend-webgpu';
import { backendUnavailable, skipReason } from '@tensile/conformance/required-tools';
import { describe, expect, it } from 'vitest';
import { AdamW, GradScaler, SGD } from '../src/index.js';
import { expectMemoryFlat } from './helpers.js';

const unavailable = (await backendUnavailable('webgpu')) ?? (tl.isDTypeSupported('float16', 'webgpu') ? null : skipReason("the WebGPU adapter has no 'shader-f16'"));
const gpu = { device: 'webgpu' } as const;

/** A seeded 2-layer classifier on webgpu (float32 parameters) and a fixed batch of 3 classes. */
function classifier() {
  tl.manualSeed(11);
  // In tidy, so no temporaries are left for the garbage collector to count down later.
  const { params, x, y } = tl.tidy(() => {
    const x = tl.randn([64, 10], gpu);
    return {
      params: [tl.randn([10, 32], gpu).mul(0.3), tl.zeros([32], gpu), tl.randn([32, 3], gpu).mul(0.3)],
      x,
      y: tl.argmax(x.narrow(1, 0, 3), 1), // a learnable rule: the largest of the first 3 features
    };
  });
  for (const p of params) p.requiresGrad_();
  const [w1, b1, w2] = params;
  const loss = (): Tensor => tl.tidy(() => {
    const logits = x.matmul(w1).add(b1).relu().matmul(w2);
    return tl.logSoftmax(logits, -1).gather(1, y.unsqueeze(1)).neg().mean();
  });
  return { params, loss };
}

if (unavailable) {
  describe('mixed-precision training on webgpu', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
} else {
  describe('mixed-precision training on webgpu', () => {
    // First, so no other test's garbage is collected while it counts.
    it('memory stays flat over 300 mixed-precision steps', async () => {
      const { params, loss } = classifier();
      const opt = new AdamW(params, { lr: 1e-3 });
      const scaler = new GradScaler({ growthInterval: 50 });
      const trainStep = async () => {
        opt.zeroGrad(false);
        tl.tidy(() => scaler.scale(tl.autocast('webgpu', loss)).backward());
        await scaler.step(opt);
        scaler.update();
      };
      await trainStep(); // the first step makes the gradients and AdamW's moments
      await expectMemoryFlat(300, trainStep);
      // It grew (every 50 clean steps) until float16 gradients overflowed near 2^22 and it backed off.
      expect(scaler.getScale()).toBeGreaterThan(2 ** 16);
    });

    it('autocast + GradScaler trains as float32 does (AdamW, 60 steps)', async () => {
      const run = async (amp: boolean) => {
        const { params, loss } = classifier();
        const opt = new AdamW(params, { lr: 1e-2 });
        const scaler = new GradScaler({ enabled: amp });
        const losses: number[] = [];
        for (let step = 0; step < 60; step++) {
          opt.zeroGrad();
          const l = tl.autocast('webgpu', { enabled: amp }, loss);
          expect(l.dtype).toBe('float32');
          losses.push(await l.item());
          tl.tidy(() => scaler.scale(l).backward());
          l.dispose();
          await scaler.step(opt);
          scaler.update();
        }
        for (const p of params) expect(p.dtype).toBe('float32');
        return losses;
      };
      const mixed = await run(true);
      const full = await run(false);
      expect(mixed[59]).toBeLessThan(mixed[0] * 0.5);
      // float16 products round to 3 significant digits; the curves agree to about that.
      for (let i = 0; i < 60; i += 10) expect(Math.abs(mixed[i] - full[i])).toBeLessThan(0.02 * full[0]);
    });

    it('keeps gradients that float16 alone flushes to zero', async () => {
      const w = tl.randn([4, 4], gpu).requiresGrad_();
      const x = tl.rand([8, 4], gpu);
      // d loss / d product = 1e-9 everywhere: below float16's smallest subnormal (6e-8).
      const loss = () => tl.autocast('webgpu', () => tl.matmul(x, w).float().mul(1e-9).sum());
      loss().backward();
      expect(await w.grad!.abs().max().item()).toBe(0);

      w.grad = null;
      const scaler = new GradScaler();
      scaler.scale(loss()).backward();
      const opt = new SGD([w], { lr: 0 });
      scaler.unscale_(opt);
      const want = x.t().matmul(tl.ones([8, 4], gpu)).mul(1e-9); // the exact gradient, in float32
      const got = w.grad!;
      const worst = await got.sub(want).abs().max().item();
      expect(worst / (await want.abs().max().item())).toBeLessThan(2e-3);
      expect(await scaler.step(opt)).toBe(true);
      scaler.update();
    });

    it('an overflowing float16 step is skipped and the scale backs off', async () => {
      const w = tl.randn([4, 4], gpu).requiresGrad_();
      const x = tl.rand([8, 4], gpu).add(1);
      const scaler = new GradScaler({ initScale: 2 ** 24 }); // 2^24 × the gradient overflows float16 (65504)
      const opt = new SGD([w], { lr: 0.1 });
      const before = await w.array();
      tl.tidy(() => scaler.scale(tl.autocast('webgpu', () => tl.matmul(x, w).float().sum())).backward());
      expect(await scaler.step(opt)).toBe(false);
      expect(await w.array()).toEqual(before);
      scaler.update();
      expect(scaler.getScale()).toBe(2 ** 23);
    });

    it('float16 gradients (a .half() model) are refused, as PyTorch refuses them', () => {
      const w = tl.randn([3, 3], { ...gpu, dtype: 'float16' }).requiresGrad_();
      w.grad = tl.ones([3, 3], { ...gpu, dtype: 'float16' });
      const scaler = new GradScaler();
      expect(() => scaler.unscale_(new SGD([w], { lr: 0.1 }))).toThrow(/GradScaler.unscale_: parameter 0 has a float16 gradient.*tl.autocast/);
    });

  });
}
