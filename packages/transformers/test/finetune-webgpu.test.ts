// Fine-tuning in float16 on webgpu: AdamW with its defaults (eps 1e-8, which is 0 in float16)
// on half weights, dropout on. The optimiser's float32 state keeps the run on the float32
// one's path. Without an adapter with 'shader-f16' the file skips, naming the reason, unless
// TENSILE_REQUIRE_TOOLS makes that a failure.
import * as tl from '@tensile/core';
import '@tensile/backend-webgpu';
import { backendUnavailable, skipReason } from '@tensile/conformance/required-tools';
import { AdamW } from '@tensile/optim';
import { describe, expect, it } from 'vitest';
import { AutoTokenizer, GPT2LMHeadModel, LlamaForCausalLM, type CausalLM } from '../src/index.js';
import { evalLoss, fixture, haveFixtures } from './fixtures.js';

const unavailable =
  (await backendUnavailable('webgpu')) ??
  (tl.isDTypeSupported('float16', 'webgpu') ? null : skipReason("the WebGPU adapter has no 'shader-f16'")) ??
  (haveFixtures ? null : skipReason('no PyTorch reference fixtures (python3-torch missing)'));

describe.skipIf(unavailable !== null)('fine-tuning in float16 on webgpu', () => {
  if (unavailable) it.skip(`skipped: ${unavailable}`, () => {});
  const FINETUNE: Record<string, (dir: string) => Promise<CausalLM>> = {
    gpt2: (d) => GPT2LMHeadModel.fromPretrained(d, { device: 'webgpu', dtype: 'float16', logger: null }),
    llama: (d) => LlamaForCausalLM.fromPretrained(d, { device: 'webgpu', dtype: 'float16', logger: null }),
  };
  for (const [name, load] of Object.entries(FINETUNE)) {
    it(`${name} in float16: 40 AdamW steps halve the loss with every weight finite and tl.memory() flat`, async () => {
      tl.manualSeed(11);
      const tok = await AutoTokenizer.fromPretrained(fixture(name));
      const ids = tok.encode('the quick brown fox jumps over the lazy dog. hello world, hello there! the dog runs.');
      const model = await load(fixture(name));
      const input = tl.tensor([ids], { dtype: 'int32', device: 'webgpu' });
      const before = await evalLoss(model, input);
      model.train();
      const opt = new AdamW(model.parameters(), { lr: 3e-3 });
      const seen: number[] = [];
      for (let step = 0; step < 40; step++) {
        opt.zeroGrad();
        const { logits, loss } = model.forward(input, { labels: input });
        loss!.backward();
        opt.step();
        logits.dispose();
        loss!.dispose();
        seen.push(tl.memory().numBytes);
      }
      const after = await evalLoss(model, input);
      expect(new Set(seen.slice(1)).size, 'live bytes from the second step on').toBe(1);
      expect(after, `loss ${before} -> ${after}`).toBeLessThan(before * 0.5);
      for (const [key, p] of model.namedParameters()) {
        expect(p.dtype, key).toBe('float16');
        expect((await p.data()).every(Number.isFinite), key).toBe(true);
      }
      input.dispose();
      opt.dispose();
      model.dispose();
    });
  }
});
