// Whisper's reference checks on the webgpu backend (Dawn in Node, llvmpipe without a GPU: the
// cache-free greedy run is left to cpu and wasm), and the float16 weights webgpu loads by default.
import * as tl from '@tensile/core';
import '@tensile/backend-webgpu';
import { backendUnavailable } from '@tensile/conformance/required-tools';
import { describe, expect, it } from 'vitest';
import { WhisperForConditionalGeneration } from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff, record } from './fixtures.js';
import { ids2d } from './seq2seq-suite.js';
import { audioFixture, whisperSuite } from './whisper-suite.js';

const unavailable = await backendUnavailable('webgpu');
whisperSuite('webgpu', unavailable, { noCache: false });

const half = unavailable ?? (!haveFixtures ? 'no PyTorch reference fixtures' : tl.isDTypeSupported('float16', 'webgpu') ? null : 'webgpu here holds no float16');
(half ? describe.skip : describe)('whisper in float16 on webgpu', () => {
  it('the default float16 weights: logits near the float32 reference, the same greedy tokens', async () => {
    const e = expected('whisper');
    const a = audioFixture();
    const model = await WhisperForConditionalGeneration.fromPretrained(fixture('whisper'), { device: 'webgpu', logger: null });
    expect(model.dtype).toBe('float16');
    const features = tl.tensor(a.inputFeatures, { device: 'webgpu' }).reshape(a.shape);
    const { logits, loss } = model.forward(features, { labels: ids2d(e.labels, 'webgpu') });
    const diff = maxDiff((await logits.float().data()) as Float32Array, e.logits);
    const lossDiff = Math.abs(((await loss!.item()) as number) - e.loss);
    record({ check: 'logits-float16', model: 'whisper', device: 'webgpu', maxAbsDiff: diff, lossDiff });
    // float16 keeps ~3 significant digits: logits of magnitude ~10 move by a few 1e-2.
    expect(diff).toBeLessThan(0.1);
    expect(lossDiff).toBeLessThan(1e-2);
    const greedy = await model.generate(features, { decoderInputIds: e.prompt, maxNewTokens: e.new_tokens, eosTokenId: null, suppressTokens: null, beginSuppressTokens: null });
    expect(await greedy.array()).toEqual(e.forced_greedy);
    model.dispose();
  });
});
