// exportOnnx of the encoder-decoders' no-cache forward with dynamic axes: T5 (batch, encoder
// and decoder lengths; the relative-position buckets and masks then come from tensor ops) and
// Whisper (batch and decoder length; the encoder's 3000 frames are fixed). Each file is run in
// onnxruntime-node at two other shapes within 1e-4 of the Tensile model's runtime path.
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import '@tensile/backend-cpu';
import { Module } from '@tensile/nn';
import { exportOnnx } from '@tensile/onnx';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { T5EncoderModel, T5ForConditionalGeneration, T5Model, WhisperForConditionalGeneration, relativePositionBucket } from '../src/index.js';
import { tracedRelativePositionBucket } from '../src/models/t5.js';
import { fixture, haveFixtures } from './fixtures.js';
import { difference } from './onnxruntime.js';

const TOL = 1e-4;

function ids(batch: number, seq: number, vocab: number, seed: number): Tensor {
  return tl.tensor(Int32Array.from({ length: batch * seq }, (_, i) => (i * 7919 + seed * 104729 + 13) % vocab), { dtype: 'int32' }).reshape([batch, seq]);
}

/** Right padding (as T5's tokenizers pad): row r has r pad positions (at most seq - 1). */
function rightPadded(batch: number, seq: number): Tensor {
  return tl.tensor(Int32Array.from({ length: batch * seq }, (_, i) => (i % seq < seq - Math.min(Math.floor(i / seq), seq - 1) ? 1 : 0)), { dtype: 'int32' }).reshape([batch, seq]);
}

function features(batch: number, seed: number): Tensor {
  return tl.tensor(Float32Array.from({ length: batch * 80 * 3000 }, (_, i) => Math.sin(i * 0.37 + seed) * 0.8), { dtype: 'float32' }).reshape([batch, 80, 3000]);
}

/** T5's logits of `forward(ids, { decoderInputIds })`, or with `attentionMask` the middle input. */
class T5Logits extends Module {
  constructor(readonly t5: T5ForConditionalGeneration) {
    super();
  }
  forward(...x: Tensor[]): Tensor {
    if (x.length === 2) return this.t5.forward(x[0], { decoderInputIds: x[1] }).logits;
    return this.t5.forward(x[0], { attentionMask: x[1], decoderInputIds: x[2] }).logits;
  }
}

class T5Encoded extends Module {
  constructor(readonly encoder: T5EncoderModel) {
    super();
  }
  forward(...x: Tensor[]): Tensor {
    return this.encoder.forward(x[0], { attentionMask: x[1] }).lastHiddenState;
  }
}

/** `T5Model`'s decoder output (no head). */
class T5Hidden extends Module {
  constructor(readonly t5: T5Model) {
    super();
  }
  forward(...x: Tensor[]): Tensor {
    return this.t5.forward(x[0], { attentionMask: x[1], decoderInputIds: x[2] }).lastHiddenState;
  }
}

class WhisperLogits extends Module {
  constructor(readonly whisper: WhisperForConditionalGeneration) {
    super();
  }
  forward(...x: Tensor[]): Tensor {
    return this.whisper.forward(x[0], { decoderInputIds: x[1] }).logits;
  }
}

const ENC = { 0: 'batch', 1: 'encoder_seq' };
const DEC = { 0: 'batch', 1: 'decoder_seq' };

describe('tracedRelativePositionBucket', () => {
  it("gives the host function's buckets for distances -300..300", () => {
    const relative = tl.arange(-300, 301, 1, { dtype: 'int32' });
    for (const [buckets, maxDistance] of [[32, 128], [8, 12], [32, 64], [4, 8], [128, 1000]]) {
      for (const bidirectional of [true, false]) {
        const got = [...(tracedRelativePositionBucket(relative, bidirectional, buckets, maxDistance).dataSync() as Int32Array)];
        const want = Array.from({ length: 601 }, (_, i) => relativePositionBucket(i - 300, bidirectional, buckets, maxDistance));
        expect(got, `${buckets} buckets, max distance ${maxDistance}, bidirectional ${bidirectional}`).toEqual(want);
      }
    }
  });
});

describe.skipIf(!haveFixtures)('exportOnnx of encoder-decoders, dynamic axes', () => {
  for (const name of ['t5', 't5-v1_1']) {
    it(`${name}: forward(ids, { decoderInputIds }) and with attentionMask; T5Model, T5EncoderModel`, async () => {
      const t5 = await T5ForConditionalGeneration.fromPretrained(fixture(name), { dtype: 'float32', logger: null });
      const vocab = (t5.config as { vocab_size: number }).vocab_size;
      const module = new T5Logits(t5);
      const worst: number[] = [];
      const plain = await exportOnnx(module, [ids(2, 5, vocab, 1), ids(2, 4, vocab, 2)], { dynamicAxes: { input_0: ENC, input_1: DEC } });
      let session = await ort.InferenceSession.create(plain);
      // The longer shape reaches the log-spaced buckets and the last one (max distance 12 in t5-v1_1).
      for (const [b, s, t] of [[1, 3, 2], [3, 37, 21]]) worst.push(await difference(session, module, [ids(b, s, vocab, s), ids(b, t, vocab, t)]));
      const masked = await exportOnnx(module, [ids(2, 5, vocab, 3), rightPadded(2, 5), ids(2, 4, vocab, 4)], { dynamicAxes: { input_0: ENC, input_1: ENC, input_2: DEC } });
      session = await ort.InferenceSession.create(masked);
      for (const [b, s, t] of [[1, 4, 3], [3, 30, 17]]) worst.push(await difference(session, module, [ids(b, s, vocab, b + s), rightPadded(b, s), ids(b, t, vocab, t)]));
      const encoder = new T5Encoded(await T5EncoderModel.fromPretrained(fixture(name), { dtype: 'float32', logger: null }));
      session = await ort.InferenceSession.create(await exportOnnx(encoder, [ids(2, 5, vocab, 5), rightPadded(2, 5)], { dynamicAxes: { input_0: ENC, input_1: ENC } }));
      for (const [b, s] of [[1, 3], [3, 33]]) worst.push(await difference(session, encoder, [ids(b, s, vocab, s), rightPadded(b, s)]));
      const base = new T5Hidden(await T5Model.fromPretrained(fixture(name), { dtype: 'float32', logger: null }));
      session = await ort.InferenceSession.create(await exportOnnx(base, [ids(2, 5, vocab, 6), rightPadded(2, 5), ids(2, 4, vocab, 7)], { dynamicAxes: { input_0: ENC, input_1: ENC, input_2: DEC } }));
      worst.push(await difference(session, base, [ids(3, 26, vocab, 8), rightPadded(3, 26), ids(3, 15, vocab, 9)]));
      console.log(`${name}: max |onnxruntime - tensile| ${worst.map((w) => w.toExponential(2)).join(', ')}`);
      for (const w of worst) expect(w).toBeLessThan(TOL);
    });
  }

  it('whisper: forward(inputFeatures, { decoderInputIds }), dynamic batch and decoder length', async () => {
    const whisper = await WhisperForConditionalGeneration.fromPretrained(fixture('whisper'), { dtype: 'float32', logger: null });
    const vocab = (whisper.config as { vocab_size: number }).vocab_size;
    const module = new WhisperLogits(whisper);
    const session = await ort.InferenceSession.create(await exportOnnx(module, [features(2, 1), ids(2, 4, vocab, 1)], { dynamicAxes: { input_0: { 0: 'batch' }, input_1: DEC } }));
    const worst: number[] = [];
    for (const [b, t] of [[1, 2], [3, 9]]) worst.push(await difference(session, module, [features(b, b + t), ids(b, t, vocab, t)]));
    console.log(`whisper: max |onnxruntime - tensile| ${worst.map((w) => w.toExponential(2)).join(', ')}`);
    for (const w of worst) expect(w).toBeLessThan(TOL);
  }, 300_000);

  it('refuses to trace a forward with a cache, labels, logitsToKeep or a host-array mask, naming the forward', async () => {
    const t5 = await T5ForConditionalGeneration.fromPretrained(fixture('t5'), { dtype: 'float32', logger: null });
    const x = ids(1, 3, 53, 0);
    const traced = (run: () => unknown) => () => tl.autograd.trace(run);
    const where = 'T5ForConditionalGeneration.forward';
    const cache = t5.createCache(1, 8);
    expect(traced(() => t5.forward(x, { decoderInputIds: x, cache }))).toThrow(`${where}: a forward with a cache cannot be traced`);
    cache.dispose();
    expect(traced(() => t5.forward(x, { labels: x }))).toThrow(`${where}: labels (the shifted decoder inputs and the loss) cannot be traced`);
    expect(traced(() => t5.forward(x, { decoderInputIds: x, logitsToKeep: 1 }))).toThrow(`${where}: logitsToKeep cannot be traced`);
    expect(traced(() => t5.forward(x, { decoderInputIds: x, attentionMask: [[1, 1, 1]] }))).toThrow(`${where}: attentionMask of host arrays cannot be traced`);
    expect(traced(() => t5.forward(x, { decoderInputIds: x, decoderAttentionMask: [[1, 1, 1]] }))).toThrow(`${where}: decoderAttentionMask of host arrays cannot be traced`);
    const encoder = await T5EncoderModel.fromPretrained(fixture('t5'), { dtype: 'float32', logger: null });
    expect(traced(() => encoder.forward(x, { attentionMask: [[1, 1, 1]] }))).toThrow('T5EncoderModel.forward: attentionMask of host arrays cannot be traced');
    const whisper = await WhisperForConditionalGeneration.fromPretrained(fixture('whisper'), { dtype: 'float32', logger: null });
    const wcache = whisper.createCache(1, 8);
    const f = features(1, 0);
    expect(traced(() => whisper.forward(f, { decoderInputIds: x, cache: wcache }))).toThrow('WhisperForConditionalGeneration.forward: a forward with a cache cannot be traced');
    wcache.dispose();
    expect(traced(() => whisper.forward(f, { decoderInputIds: x, logitsToKeep: 1 }))).toThrow('WhisperForConditionalGeneration.forward: logitsToKeep cannot be traced');
    expect(tl.autograd.isTracing()).toBe(false);
  });
});
