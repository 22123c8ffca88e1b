import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { functional as F, loadSafetensors } from '@tensile/nn';
import { expect, test } from 'vitest';
import { GPT, type GPTConfig } from '../src/gpt.js';
import { expectMatch, FIXTURES } from './helpers.js';

test('the GPT block stack matches PyTorch on the same weights (logits, loss, gradients)', async () => {
  const { tensors: weights, metadata } = await loadSafetensors(`${FIXTURES}gpt-weights.safetensors`);
  const { tensors: io } = await loadSafetensors(`${FIXTURES}gpt-io.safetensors`);
  const config = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Number(v)])) as unknown as GPTConfig;
  const model = new GPT(config);
  expect(Object.keys(model.stateDict())).toEqual(Object.keys(weights));
  model.loadStateDict(weights);
  const tokens = io.tokens;
  const logits = model.forward(tokens);
  expectMatch('gpt logits', logits, io.logits);
  const v = config.vocab;
  const loss = F.crossEntropy(logits.narrow(1, 0, tokens.shape[1] - 1).reshape([-1, v]), tokens.narrow(1, 1, tokens.shape[1] - 1).reshape([-1]));
  expectMatch('gpt loss', loss.reshape([1]), io.loss);
  loss.backward();
  const params = Object.fromEntries(model.namedParameters());
  for (const name of ['h.0.attn.c_attn.weight', 'wte.weight', 'h.1.ln_2.weight']) {
    expectMatch(`gpt gradient of ${name}`, params[name].grad!, io[`grad.${name}`]);
  }
});
