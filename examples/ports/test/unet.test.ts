import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { loadSafetensors } from '@tensile/nn';
import { expect, test } from 'vitest';
import { UNet } from '../src/unet.js';
import { expectMatch, FIXTURES } from './helpers.js';

test('the U-Net port matches PyTorch on the same weights (output, input and ConvTranspose2d weight gradients)', async () => {
  const { tensors: weights } = await loadSafetensors(`${FIXTURES}unet-weights.safetensors`);
  const { tensors: io } = await loadSafetensors(`${FIXTURES}unet-io.safetensors`);
  const model = new UNet();
  expect(Object.keys(model.stateDict())).toEqual(Object.keys(weights));
  model.loadStateDict(weights);
  const x = io.input.detach().requiresGrad_();
  const y = model.forward(x);
  expectMatch('unet output', y, io.output);
  y.mul(io.gradOutput).sum().backward();
  expectMatch('unet input gradient', x.grad!, io.inputGrad);
  expectMatch('unet up1.weight gradient', model.up1.weight.grad!, io.up1WeightGrad);
  tl.noGrad(() => expect(model.forward(x).shape).toEqual([2, 2, 20, 20]));
});
