// Fine-tuning in float16 on webgpu: AdamW with its defaults (eps 1e-8, which is 0 in float16)
// on half weights, dropout on. The optimiser's float32 state keeps the run on the float32
// one's path. Then mixed precision: float32 weights, the forward under tl.autocast and a
// GradScaler. Without an adapter with 'shader-f16' the file skips, naming the reason, unless
// TENSILE_REQUIRE_TOOLS makes that a failure.
import * as tl from '@tensile/core';
import '@tensile/backend-webgpu';
import { backendUnavailable, skipReason } from '@tensile/conformance/required-tools';
import { AdamW, GradScaler } from '@tensile/optim';
import { describe, expect, it } from 'vitest';
import { AutoTokenizer, GPT2LMHeadModel, LlamaForCausalLM, type CausalLM } from '../src/index.js';
import { evalLoss, fixture, haveFixtures } from './fixtures.js';

const unavailable =
  (await backendUnavailable('webgpu')) ??
  (tl.isDTypeSupported('float16', 'webgpu') ? null : skipReason("the WebGPU adapter has no 'shader-f16'")) ??
  (haveFixtures ? null : skipReason('no PyTorch reference fixtures (python3-torch missing)'));

const load = (name: string, dtype: 'float16' | 'float32'): Promise<CausalLM> => {
  const options = { device: 'webgpu', dtype, logger: null } as const;
  return name === 'gpt2' ? GPT2LMHeadModel.fromPretrained(fixture(name), options) : LlamaForCausalLM.fromPretrained(fixture(name), options);
};

/** One training step on `input`: a forward pass with labels, then the backward pass and the update. */
type TrainStep = (model: CausalLM, input: tl.Tensor, opt: AdamW) => Promise<void>;

/**
 * 40 AdamW steps of `step` on the fixture's text: they must halve the loss, keep `tl.memory()`
 * flat from the second step on and leave every weight finite and of `dtype`.
 */
async function expectFineTunes(name: string, dtype: 'float16' | 'float32', step: TrainStep, check?: (model: CausalLM, input: tl.Tensor) => Promise<void>): Promise<void> {
  tl.manualSeed(11);
  const tok = await AutoTokenizer.fromPretrained(fixture(name));
  const ids = tok.encode('the quick brown fox jumps over the lazy dog. hello world, hello there! the dog runs.');
  const model = await load(name, dtype);
  const input = tl.tensor([ids], { dtype: 'int32', device: 'webgpu' });
  await check?.(model, input);
  const before = await evalLoss(model, input);
  model.train();
  const opt = new AdamW(model.parameters(), { lr: 3e-3 });
  const seen: number[] = [];
  for (let i = 0; i < 40; i++) {
    opt.zeroGrad();
    await step(model, input, opt);
    seen.push(tl.memory().numBytes);
  }
  const after = await evalLoss(model, input);
  expect(new Set(seen.slice(1)).size, 'live bytes from the second step on').toBe(1);
  expect(after, `loss ${before} -> ${after}`).toBeLessThan(before * 0.5);
  for (const [key, p] of model.namedParameters()) {
    expect(p.dtype, key).toBe(dtype);
    expect((await p.data()).every(Number.isFinite), key).toBe(true);
  }
  input.dispose();
  opt.dispose();
  model.dispose();
}

/** Under autocast the logits stay within 1% (of the largest) of float32's. */
async function expectAutocastLogits(model: CausalLM, input: tl.Tensor): Promise<void> {
  model.eval();
  const full = tl.noGrad(() => model.forward(input).logits);
  const mixed = tl.noGrad(() => tl.autocast('webgpu', () => model.forward(input).logits));
  // In tidy: a temporary left to the garbage collector would move the byte count later.
  const extremes = tl.tidy(() => tl.stack([full.abs().max(), mixed.float().sub(full).abs().max()]));
  const [scale, worst] = (await extremes.array()) as number[];
  for (const t of [full, mixed, extremes]) t.dispose();
  expect(worst / scale, 'largest logit difference, relative').toBeLessThan(1e-2);
}

describe.skipIf(unavailable !== null)('fine-tuning in float16 on webgpu', () => {
  if (unavailable) it.skip(`skipped: ${unavailable}`, () => {});
  for (const name of ['gpt2', 'llama']) {
    it(`${name} in float16: 40 AdamW steps halve the loss with every weight finite and tl.memory() flat`, () =>
      expectFineTunes(name, 'float16', async (model, input, opt) => {
        const { logits, loss } = model.forward(input, { labels: input });
        loss!.backward();
        opt.step();
        logits.dispose();
        loss!.dispose();
      }));

    it(`${name} with tl.autocast and GradScaler: float32 weights, logits near float32's, 40 steps halve the loss, tl.memory() flat`, () => {
      const scaler = new GradScaler();
      return expectFineTunes(name, 'float32', async (model, input, opt) => {
        const { logits, loss } = tl.autocast('webgpu', () => model.forward(input, { labels: input }));
        expect(loss!.dtype).toBe('float32');
        tl.tidy(() => scaler.scale(loss!).backward());
        await scaler.step(opt);
        scaler.update();
        logits.dispose();
        loss!.dispose();
      }, expectAutocastLogits);
    });
  }
});
