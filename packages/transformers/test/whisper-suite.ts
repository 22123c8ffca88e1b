// Whisper's checks against the PyTorch reference (tools/reference.py), run by each backend's test
// file: logits, loss and the encoder's output within 1e-4, and 20 greedy tokens as the reference's,
// from the start token and from a forced prompt, with suppress_tokens / begin_suppress_tokens, with
// the cache and without it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { parseSafetensors } from '@tensile/nn';
import { describe, expect, it } from 'vitest';
import { WhisperForConditionalGeneration } from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff, record } from './fixtures.js';
import { ids2d } from './seq2seq-suite.js';

const TOL = 1e-4;

/** The fixture's waveforms and reference features (audio.safetensors), as host arrays. */
export function audioFixture(): { audio0: Float32Array; audio1: Float32Array; inputFeatures: Float32Array; hub32: Float32Array; melFilters: Float32Array; shape: number[] } {
  const { tensors } = parseSafetensors(readFileSync(path.join(fixture('whisper'), 'audio.safetensors')), { device: 'cpu' });
  const host = (k: string) => tensors[k]!.dataSync() as Float32Array;
  const out = {
    audio0: host('audio0'), audio1: host('audio1'), inputFeatures: host('input_features'), hub32: host('input_features_hub32'),
    melFilters: host('mel_filters'), shape: [...tensors.input_features!.shape],
  };
  for (const t of Object.values(tensors)) t.dispose();
  return out;
}

export const loadWhisper = (device: string) => WhisperForConditionalGeneration.fromPretrained(fixture('whisper'), { device, dtype: 'float32', logger: null });

async function floats(t: tl.Tensor): Promise<Float32Array> {
  return (await (t.dtype === 'float32' ? t : t.float()).data()) as Float32Array;
}

export function whisperSuite(device: string, unavailable: string | null, options: { noCache?: boolean } = {}): void {
  const skip = unavailable ?? (haveFixtures ? null : 'no PyTorch reference fixtures (python3-torch missing)');
  const run = skip ? describe.skip : describe;
  if (skip) it.skip(`${device}: ${skip}`, () => {});

  run(`whisper on ${device}`, () => {
    it('logits, loss and the encoder\'s output match the PyTorch reference', async () => {
      const e = expected('whisper');
      const a = audioFixture();
      const model = await loadWhisper(device);
      const features = tl.tensor(a.inputFeatures, { device }).reshape(a.shape);
      const { logits, loss, encoderLastHiddenState } = model.forward(features, { labels: ids2d(e.labels, device) });
      expect(logits.shape).toEqual(e.logits_shape);
      const diff = maxDiff(await floats(logits), e.logits);
      const encDiff = maxDiff(await floats(encoderLastHiddenState), e.encoder_last_hidden_state);
      const lossDiff = Math.abs(((await loss!.item()) as number) - e.loss);
      // A forced prompt as explicit decoder inputs, the encoder's output passed back in.
      const prompted = model.forward(null, { decoderInputIds: ids2d(e.prompt, device), encoderOutputs: encoderLastHiddenState });
      const promptDiff = maxDiff(await floats(prompted.logits), e.prompt_logits);
      expect(prompted.loss).toBeUndefined();
      record({ check: 'logits', model: 'whisper', device, maxAbsDiff: Math.max(diff, promptDiff), encoderDiff: encDiff, lossDiff });
      expect(diff).toBeLessThan(TOL);
      expect(promptDiff).toBeLessThan(TOL);
      expect(encDiff).toBeLessThan(TOL);
      expect(lossDiff).toBeLessThan(TOL);
      for (const t of [features, logits, loss!, encoderLastHiddenState, prompted.logits]) t.dispose();
      model.dispose();
    });

    it('20 greedy tokens as the reference\'s: from the start token, a forced prompt, with suppressed tokens, with and without the cache', async () => {
      const e = expected('whisper');
      const a = audioFixture();
      const model = await loadWhisper(device);
      const features = tl.tensor(a.inputFeatures, { device }).reshape(a.shape);
      const rows = async (t: Promise<tl.Tensor>) => {
        const out = await t;
        const r = (await out.array()) as number[][];
        out.dispose();
        return r;
      };
      const base = { maxNewTokens: e.new_tokens, eosTokenId: null, suppressTokens: null, beginSuppressTokens: null };
      expect(await rows(model.generate(features, base))).toEqual(e.greedy);
      const forced = await rows(model.generate(features, { ...base, decoderInputIds: e.prompt }));
      expect(forced).toEqual(e.forced_greedy);
      // One prompt row serves every input.
      expect(await rows(model.generate(features, { ...base, decoderInputIds: e.prompt[0] }))).toEqual(e.forced_greedy);
      const suppressed = await rows(model.generate(features, { ...base, decoderInputIds: e.prompt, suppressTokens: e.suppress_tokens, beginSuppressTokens: e.begin_suppress_tokens }));
      expect(suppressed).toEqual(e.suppressed_greedy);
      if (options.noCache ?? true) {
        expect(await rows(model.generate(features, { ...base, decoderInputIds: e.prompt, useCache: false }))).toEqual(forced);
      }
      record({ check: 'greedy', model: 'whisper', device, tokens: e.new_tokens, identical: true });
      features.dispose();
      model.dispose();
    });
  });
}
