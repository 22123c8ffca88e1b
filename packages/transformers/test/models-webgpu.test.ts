// The reference checks on the webgpu backend (Dawn in Node; on llvmpipe without a GPU, so
// the fixtures are tiny). Without an adapter the file skips, naming the reason, unless
// TENSILE_REQUIRE_TOOLS makes that a failure.
import * as tl from '@tensile/core';
import '@tensile/backend-webgpu';
import { describe, expect, it } from 'vitest';
import { GPT2LMHeadModel } from '../src/index.js';
import { fixture, haveFixtures, maxDiff } from './fixtures.js';
import { backendUnavailable } from '@tensile/conformance/required-tools';
import { modelSuite } from './model-suite.js';

const unavailable = await backendUnavailable('webgpu');
modelSuite('webgpu', unavailable);

// float16 on webgpu: the weights go to the device in float16 from the host, never as a float32
// copy first (a 124M model's float32 embedding alone passes WebGPU's default binding limit).
describe.skipIf(unavailable !== null || !haveFixtures || !tl.isDTypeSupported('float16', 'webgpu'))('float16 weights on webgpu', () => {
  it('load without a float32 copy of any weight and give the float32 logits to float16 precision', async () => {
    const backend = tl.getBackend('webgpu');
    const alloc = backend.alloc.bind(backend);
    let largestFloat32 = 0;
    backend.alloc = (size, dtype) => {
      if (dtype === 'float32') largestFloat32 = Math.max(largestFloat32, size);
      return alloc(size, dtype);
    };
    const notes: string[] = [];
    let half: GPT2LMHeadModel;
    try {
      half = await GPT2LMHeadModel.fromPretrained(fixture('gpt2'), { device: 'webgpu', dtype: 'float16', logger: (m) => notes.push(m) });
    } finally {
      backend.alloc = alloc;
    }
    const embedding = half.parameters().reduce((n, p) => Math.max(n, p.size), 0);
    expect(half.dtype).toBe('float16');
    expect(notes.join('\n')).toMatch(/weights loaded as float16 for 'webgpu'/);
    expect(largestFloat32).toBeLessThan(embedding);
    const full = await GPT2LMHeadModel.fromPretrained(fixture('gpt2'), { device: 'webgpu', dtype: 'float32', logger: null });
    const ids = tl.tensor([[3, 7, 11, 2, 5]], { dtype: 'int32', device: 'webgpu' });
    const [a, b] = await Promise.all([half, full].map(async (m) => {
      const { logits } = tl.noGrad(() => m.forward(ids));
      const values = (await logits.float().data()) as Float32Array;
      logits.dispose();
      return values;
    }));
    const scale = Math.max(...Array.from(b, Math.abs));
    expect(maxDiff(a, b) / scale).toBeLessThan(2e-2);
    for (const m of [half, full]) m.dispose();
    ids.dispose();
  });
});
