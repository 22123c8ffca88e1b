// Whisper beyond the per-backend reference suite (whisper-suite.ts), on the cpu backend:
// - WhisperFeatureExtractor: slaney mel filters and log-mel features equal the reference's (float64
//   math) for a batch of two synthetic waveforms, and the hub's float32 torch path within 1e-4;
//   truncation to 30 s, number[] input, errors on a wrong sampling rate, integer PCM, empty audio;
// - loading: proj_out absent and tied, the frozen sinusoids, WhisperModel and the Auto classes;
// - a step-by-step cached decoder equal to the full pass;
// - two AdamW steps matching torch.optim.AdamW (losses, first-step gradients);
// - savePretrained's directory loading back, and into the PyTorch reference, with equal logits;
// - errors that name the function and the argument, and no leaked tensors.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { parseSafetensors } from '@tensile/nn';
import { AdamW } from '@tensile/optim';
import { describe, expect, it } from 'vitest';
import {
  AutoModel, AutoModelForSeq2SeqLM, AutoModelForSpeechSeq2Seq, WhisperFeatureExtractor, WhisperForConditionalGeneration, WhisperModel, melFilterBank,
} from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff, record, referenceLogits } from './fixtures.js';
import { ids2d } from './seq2seq-suite.js';
import { audioFixture, loadWhisper } from './whisper-suite.js';

const run = haveFixtures ? describe : describe.skip;
if (!haveFixtures) it.skip('no PyTorch reference fixtures (python3-torch missing)', () => {});

run('WhisperFeatureExtractor', () => {
  it('slaney mel filters and log-mel features match the reference (float64) and the hub\'s float32 torch path', async () => {
    const a = audioFixture();
    const extractor = await WhisperFeatureExtractor.fromPretrained(fixture('whisper'));
    expect(maxDiff(Float32Array.from(extractor.melFilters), a.melFilters)).toBeLessThan(1e-7);
    expect(maxDiff(Float32Array.from(melFilterBank(201, 80, 0, 8000, 16000)), a.melFilters)).toBeLessThan(1e-7);
    const before = tl.memory().numTensors;
    const { inputFeatures } = extractor.extract([a.audio0, a.audio1], { samplingRate: 16000, device: 'cpu' });
    expect(inputFeatures.shape).toEqual([2, 80, 3000]);
    expect(inputFeatures.dtype).toBe('float32');
    const got = (await inputFeatures.data()) as Float32Array;
    const diff = maxDiff(got, a.inputFeatures);
    // The hub's torch path runs the STFT in float32: its rounding shows most in bins near the 8-below-max
    // floor (small powers, relative errors ~1e-4 there), about 6e-5 after log10 and / 4 for these waveforms.
    const hubDiff = maxDiff(got, a.hub32);
    record({ check: 'log-mel', model: 'whisper', device: 'cpu', maxAbsDiff: diff, hubFloat32Diff: hubDiff });
    expect(diff).toBeLessThan(1e-4);
    expect(hubDiff).toBeLessThan(1e-4);
    inputFeatures.dispose();
    expect(tl.memory().numTensors).toBe(before);
  });

  it('truncates to 30 s, reads number[] and Float64Array alike, and names the function in its errors', async () => {
    const a = audioFixture();
    const extractor = new WhisperFeatureExtractor({ feature_size: 80, sampling_rate: 16000, hop_length: 160, n_fft: 400, chunk_length: 30 });
    const long = new Float32Array(480000 + 16000);
    for (let i = 0; i < long.length; i++) long[i] = a.audio0[i % a.audio0.length]!;
    expect(maxDiff(extractor.logMel(long), extractor.logMel(long.subarray(0, 480000)))).toBe(0);
    const one = extractor.logMel(a.audio1);
    expect(maxDiff(extractor.logMel(Array.from(a.audio1)), one)).toBe(0);
    expect(maxDiff(extractor.logMel(Float64Array.from(a.audio1)), one)).toBe(0);
    const where = 'WhisperFeatureExtractor.extract';
    expect(() => extractor.extract(a.audio0, { samplingRate: 44100 })).toThrow(`${where}: audio sampled at 44100 Hz, but this extractor reads 16000 Hz`);
    expect(() => extractor.extract(new Int16Array(100) as unknown as Float32Array)).toThrow(`${where}: audio must be float samples (Float32Array, Float64Array or number[] in [-1, 1]), got Int16Array`);
    expect(() => extractor.extract(new Float32Array(0))).toThrow(`${where}: audio is empty`);
    expect(() => extractor.extract([a.audio0, new Float32Array(0)])).toThrow(`${where}: audio 1: audio is empty`);
    expect(() => extractor.extract([])).toThrow(`${where}: audio is empty`);
    expect(() => extractor.extract(a.audio0, { sampling_rate: 16000 } as never)).toThrow(`${where}: unsupported option 'sampling_rate'`);
    expect(() => new WhisperFeatureExtractor({ hop_length: 0 })).toThrow("WhisperFeatureExtractor: config field 'hop_length' must be a positive integer, got 0");
    expect(() => new WhisperFeatureExtractor({ feature_extractor_type: 'Wav2Vec2FeatureExtractor' })).toThrow("feature_extractor_type 'Wav2Vec2FeatureExtractor' is not supported");
  });
});

run('Whisper on cpu', () => {
  it('loads the hub\'s layout: proj_out absent and tied, frozen sinusoids; WhisperModel and the Auto classes', async () => {
    const e = expected('whisper');
    const a = audioFixture();
    const model = await loadWhisper('cpu');
    expect(model.loadReport!.unexpectedKeys).toEqual([]);
    expect(model.loadReport!.tiedKeys).toEqual(['proj_out.weight']);
    expect(model.tiedKeys()).toEqual(['proj_out.weight']);
    const names = model.namedParameters().map(([n]) => n);
    expect(names).toContain('model.encoder.conv1.weight');
    expect(names).toContain('model.decoder.layers.1.encoder_attn.v_proj.bias');
    expect(names).not.toContain('model.decoder.layers.1.encoder_attn.k_proj.bias');
    expect(names).not.toContain('proj_out.weight');
    const byName = new Map(model.namedParameters());
    expect(byName.get('model.encoder.embed_positions.weight')!.requiresGrad).toBe(false);
    expect(byName.get('model.decoder.embed_positions.weight')!.requiresGrad).toBe(true);
    expect(Object.keys(model.hubStateDict())).not.toContain('proj_out.weight');

    const features = tl.tensor(a.inputFeatures).reshape(a.shape);
    const auto = await AutoModelForSpeechSeq2Seq.fromPretrained(fixture('whisper'), { dtype: 'float32', logger: null });
    expect(auto).toBeInstanceOf(WhisperForConditionalGeneration);
    await expect(AutoModelForSeq2SeqLM.fromPretrained(fixture('whisper'), { logger: null })).rejects.toThrow("AutoModelForSeq2SeqLM: model_type 'whisper' is not one it knows");
    // AutoModel gives WhisperModel (the `model.` prefix dropped): its decoder states through the tied embedding are the logits.
    const base = await AutoModel.fromPretrained(fixture('whisper'), { dtype: 'float32', logger: null });
    expect(base).toBeInstanceOf(WhisperModel);
    const whisperBase = base as WhisperModel;
    const { lastHiddenState, encoderLastHiddenState } = whisperBase.forward(features, { decoderInputIds: ids2d(e.decoder_input_ids, 'cpu') });
    const viaBase = lastHiddenState.matmul(whisperBase.decoder.embedTokens.weight.t());
    expect(maxDiff((await viaBase.data()) as Float32Array, e.logits)).toBeLessThan(1e-4);
    expect(maxDiff((await encoderLastHiddenState.data()) as Float32Array, e.encoder_last_hidden_state)).toBeLessThan(1e-4);
    for (const m of [model, auto, base]) m.dispose();
  });

  it('a cached decoder, one token at a time, gives the full pass\'s logits; memory stays flat across generate calls', async () => {
    const e = expected('whisper');
    const a = audioFixture();
    const model = await loadWhisper('cpu');
    const features = tl.tensor(a.inputFeatures).reshape(a.shape);
    const dec: number[][] = e.decoder_input_ids;
    const full = (await model.forward(features, { decoderInputIds: ids2d(dec, 'cpu') }).logits.data()) as Float32Array;
    const encoderOutputs = model.encode(features);
    const cache = model.createCache(dec.length, dec[0].length);
    const [b, t] = [dec.length, dec[0].length];
    const vocab = full.length / (b * t);
    let worst = 0;
    for (let i = 0; i < t; i++) {
      const { logits } = model.forward(null, { decoderInputIds: ids2d(dec.map((r) => [r[i]]), 'cpu'), encoderOutputs, cache });
      const got = (await logits.data()) as Float32Array;
      for (let r = 0; r < b; r++) worst = Math.max(worst, maxDiff(got.subarray(r * vocab, (r + 1) * vocab), full.subarray((r * t + i) * vocab, (r * t + i + 1) * vocab)));
    }
    cache.dispose();
    record({ check: 'cached-decoder', model: 'whisper', device: 'cpu', maxAbsDiff: worst });
    expect(worst).toBeLessThan(1e-5);

    const opts = { maxNewTokens: 4, eosTokenId: null, decoderInputIds: e.prompt[0], suppressTokens: [1], beginSuppressTokens: [2] };
    (await model.generate(features, opts)).dispose();
    const before = tl.memory().numTensors;
    for (let i = 0; i < 2; i++) (await model.generate(features, opts)).dispose();
    tl.tidy(() => { model.forward(features, { labels: ids2d(e.labels, 'cpu') }); });
    expect(tl.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('two AdamW steps match torch.optim.AdamW (losses, first-step gradients); the sinusoids stay frozen', async () => {
    const e = expected('whisper');
    const a = audioFixture();
    const model = await loadWhisper('cpu');
    const features = tl.tensor(a.inputFeatures).reshape(a.shape);
    const labels = ids2d(e.labels, 'cpu');
    const { lr, betas, eps, weight_decay: weightDecay, losses: torchLosses, grads, final_loss: finalLoss } = e.adamw;
    const opt = new AdamW(model.parameters(), { lr, betas, eps, weightDecay });
    const byName = new Map(model.namedParameters());
    const sinusoids = (await byName.get('model.encoder.embed_positions.weight')!.data()).slice();
    const losses: number[] = [];
    let gradDiff = 0;
    for (let step = 0; step < 2; step++) {
      opt.zeroGrad();
      const { logits, loss, encoderLastHiddenState } = model.forward(features, { labels });
      loss!.backward();
      losses.push((await loss!.item()) as number);
      for (const t of [logits, loss!, encoderLastHiddenState]) t.dispose();
      if (step === 0) {
        for (const key of Object.keys(grads)) gradDiff = Math.max(gradDiff, maxDiff((await byName.get(key)!.grad!.data()) as Float32Array, grads[key]));
        expect(byName.get('model.encoder.embed_positions.weight')!.grad).toBeNull();
      }
      opt.step();
    }
    const after = tl.noGrad(() => model.forward(features, { labels }));
    const finalDiff = Math.abs(((await after.loss!.item()) as number) - finalLoss);
    const lossDiff = Math.max(...losses.map((l, i) => Math.abs(l - torchLosses[i])));
    record({ check: 'adamw', model: 'whisper', device: 'cpu', lossDiff, gradDiff, finalDiff });
    expect(lossDiff).toBeLessThan(1e-4);
    expect(gradDiff).toBeLessThan(1e-5);
    expect(finalDiff).toBeLessThan(1e-4);
    expect(maxDiff((await byName.get('model.encoder.embed_positions.weight')!.data()) as Float32Array, sinusoids as Float32Array)).toBe(0);
    model.dispose();
  });

  it('savePretrained writes the hub\'s layout (no proj_out.weight), which fromPretrained and the PyTorch reference load with equal logits', async () => {
    const e = expected('whisper');
    const a = audioFixture();
    const model = await loadWhisper('cpu');
    const dir = mkdtempSync(path.join(tmpdir(), 'tensile-whisper-'));
    try {
      await model.savePretrained(dir);
      const keys = Object.keys(parseSafetensors(readFileSync(path.join(dir, 'model.safetensors'))).tensors);
      expect(keys).toContain('model.encoder.embed_positions.weight');
      expect(keys).not.toContain('proj_out.weight');
      const again = await WhisperForConditionalGeneration.fromPretrained(dir, { dtype: 'float32', logger: null });
      const features = tl.tensor(a.inputFeatures).reshape(a.shape);
      const ours = (await again.forward(features, { decoderInputIds: ids2d(e.prompt, 'cpu') }).logits.data()) as Float32Array;
      expect(maxDiff(ours, e.prompt_logits)).toBeLessThan(1e-4);
      const torch = referenceLogits(dir, { input_features_file: path.join(fixture('whisper'), 'audio.safetensors'), decoder_input_ids: e.prompt }, dir);
      expect(maxDiff(ours, torch.logits)).toBeLessThan(1e-4);
      again.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    model.dispose();
  });

  it('errors name the function and the argument', async () => {
    const e = expected('whisper');
    const model = await loadWhisper('cpu');
    const where = 'WhisperForConditionalGeneration.forward';
    const dec = ids2d([[61, 62]], 'cpu');
    expect(() => model.forward(tl.zeros([1, 80, 1500]), { decoderInputIds: dec })).toThrow(`${where}: inputFeatures must be [batch, 80, 3000]`);
    expect(() => model.forward(tl.zeros([80, 3000]), { decoderInputIds: dec })).toThrow(`${where}: inputFeatures must be [batch, 80, 3000]`);
    expect(() => model.forward(tl.zeros([1, 80, 3000], { dtype: 'int32' }), { decoderInputIds: dec })).toThrow(`${where}: inputFeatures must be float, got int32`);
    expect(() => model.forward(tl.zeros([1, 80, 3000]))).toThrow(`${where}: give decoderInputIds or labels`);
    expect(() => model.forward(null, { decoderInputIds: dec })).toThrow(`${where}: give inputFeatures or encoderOutputs`);
    expect(() => model.forward(null, { decoderInputIds: tl.tensor([[61, 62]]), encoderOutputs: tl.zeros([1, 1500, 32]) })).toThrow(`${where}: decoderInputIds must be int32, got float32`);
    expect(() => model.forward(null, { decoderInputIds: dec, encoderOutputs: tl.zeros([1, 100, 32]) })).toThrow(`${where}: encoderOutputs must be [batch, 1500, 32], got [1,100,32]`);
    const long = ids2d([Array.from({ length: 49 }, () => 1)], 'cpu');
    expect(() => model.forward(null, { decoderInputIds: long, encoderOutputs: tl.zeros([1, 1500, 32]) })).toThrow(`${where}: 49 decoder positions exceed max_target_positions 48`);
    const g = 'WhisperForConditionalGeneration.generate';
    const features = tl.zeros([1, 80, 3000]);
    await expect(model.generate(features, { language: 'en' } as never)).rejects.toThrow(`${g}: unsupported option 'language'`);
    await expect(model.generate(features, { returnTimestamps: true } as never)).rejects.toThrow(`${g}: unsupported option 'returnTimestamps'`);
    await expect(model.generate(features, { attentionMask: [[1]] } as never)).rejects.toThrow(`${g}: unsupported option 'attentionMask'`);
    await expect(model.generate(features, { decoderInputIds: e.prompt[0], decoderStartTokenId: 61 })).rejects.toThrow(`${g}: give decoderStartTokenId or decoderInputIds`);
    await expect(model.generate(features, { decoderInputIds: [[61], [61]] })).rejects.toThrow(`${g}: decoderInputIds has 2 rows, inputFeatures 1`);
    await expect(model.generate(features, { suppressTokens: [64] })).rejects.toThrow(`${g}: suppressTokens must be token ids in [0, 64)`);
    await expect(model.generate(features, { maxNewTokens: 48 })).rejects.toThrow(`${g}: 1 prompt + 48 new tokens exceed max_target_positions 48`);
    model.generationConfig = { ...model.generationConfig, forced_decoder_ids: [[1, null], [2, 50359]] };
    await expect(model.generate(features)).rejects.toThrow(`${g}: generation_config.json sets forced_decoder_ids [[1,null],[2,50359]] (language and task tokens), which generate does not apply; give the whole prompt as decoderInputIds`);
    (await model.generate(features, { decoderInputIds: e.prompt[0], maxNewTokens: 1 })).dispose();
    const config = readFileSync(path.join(fixture('whisper'), 'config.json'), 'utf8');
    const { d_model: _, ...noWidth } = JSON.parse(config);
    expect(() => new WhisperForConditionalGeneration(noWidth)).toThrow("WhisperForConditionalGeneration: config.json has no 'd_model'");
    expect(() => new WhisperForConditionalGeneration({ ...JSON.parse(config), encoder_layerdrop: 0.1 })).toThrow('WhisperForConditionalGeneration: encoder_layerdrop 0.1 is not supported (only 0)');
    expect(() => new WhisperModel({ ...JSON.parse(config), encoder_attention_heads: 5 })).toThrow('WhisperModel: d_model 32 is not divisible by encoder_attention_heads 5');
    features.dispose();
    model.dispose();
  });
});
