// The encoder-decoder checks against the PyTorch reference, run by each backend's test file
// beside model-suite.ts: T5's logits, losses and encoder states within 1e-4, right- and
// left-padded encoder batches, 20 greedy tokens identical (with the cache and without), eos
// stopping, and seeded sampling identical across backends (each compares with the cpu's).
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { T5EncoderModel, T5ForConditionalGeneration } from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff, record } from './fixtures.js';

const TOL = 1e-4;
export const SEQ2SEQ = ['t5', 't5-v1_1'];
const SAMPLING = { maxNewTokens: 20, doSample: true, temperature: 0.8, topK: 20, topP: 0.9, seed: 1234, eosTokenId: null };

async function floats(t: tl.Tensor): Promise<Float32Array> {
  return (await (t.dtype === 'float32' ? t : t.float()).data()) as Float32Array;
}

async function rows(t: tl.Tensor | Promise<tl.Tensor>): Promise<number[][]> {
  return ((await (await t).array()) as number[][]);
}

const load = (name: string, device: string) => T5ForConditionalGeneration.fromPretrained(fixture(name), { device, dtype: 'float32', logger: null });

/** `[batch, seq]` int32 on `device`. */
export function ids2d(values: number[][], device: string): tl.Tensor {
  return tl.tidy(() => tl.tensor(values.flat(), { dtype: 'int32', device }).reshape([values.length, values[0].length]));
}

/** Sampled decoder tokens from the cpu backend, for the cross-backend comparison. */
async function sampledOnCpu(name: string): Promise<number[][]> {
  const model = await load(name, 'cpu');
  const r = await rows(model.generate(expected(name).input_ids, SAMPLING));
  model.dispose();
  return r;
}

export function seq2seqSuite(device: string, unavailable: string | null, options: { noCache?: boolean } = {}): void {
  const skip = unavailable ?? (haveFixtures ? null : 'no PyTorch reference fixtures (python3-torch missing)');
  const run = skip ? describe.skip : describe;
  if (skip) it.skip(`${device}: ${skip}`, () => {});

  for (const name of SEQ2SEQ) {
    run(`${name} on ${device}`, () => {
      it('logits, losses and encoder states match the PyTorch reference, with right- and left-padded encoder batches', async () => {
        const e = expected(name);
        const model = await load(name, device);
        const ids = ids2d(e.input_ids, device);
        const labels = ids2d(e.labels, device);
        const { logits, loss, encoderLastHiddenState } = model.forward(ids, { attentionMask: e.attention_mask, labels });
        expect(logits.shape).toEqual(e.logits_shape);
        const diff = maxDiff(await floats(logits), e.logits);
        const encDiff = maxDiff(await floats(encoderLastHiddenState), e.encoder_last_hidden_state);
        const lossDiff = Math.abs(((await loss!.item()) as number) - e.loss);
        const masked = model.forward(ids, { labels: ids2d(e.masked_labels, device) });
        const maskedDiff = Math.abs(((await masked.loss!.item()) as number) - e.masked_loss);
        // Explicit decoder inputs give the same logits as the labels shifted inside.
        const explicit = model.forward(ids, { decoderInputIds: ids2d(e.decoder_input_ids, device) });
        const explicitDiff = maxDiff(await floats(explicit.logits), e.logits);
        expect(explicit.loss).toBeUndefined();

        let padDiff = 0;
        for (const side of ['right', 'left']) {
          const padded = ids2d(e[`${side}_padded_input_ids`], device);
          const out = model.forward(padded, { attentionMask: e[`${side}_attention_mask`], decoderInputIds: ids2d(e.decoder_input_ids, device) });
          padDiff = Math.max(padDiff, maxDiff(await floats(out.logits), e[`${side}_padded_logits`]));
        }
        const encoder = await T5EncoderModel.fromPretrained(fixture(name), { device, dtype: 'float32', logger: null });
        const encoderDiff = maxDiff(await floats(encoder.forward(ids, { attentionMask: e.attention_mask }).lastHiddenState), e.encoder_last_hidden_state);
        encoder.dispose();
        record({ check: 'logits', model: name, device, maxAbsDiff: Math.max(diff, encDiff, explicitDiff), lossDiff, maskedDiff, encoderDiff });
        record({ check: 'padded-logits', model: name, device, maxAbsDiff: padDiff });
        expect(diff).toBeLessThan(TOL);
        expect(encDiff).toBeLessThan(TOL);
        expect(explicitDiff).toBeLessThan(TOL);
        expect(lossDiff).toBeLessThan(TOL);
        expect(maskedDiff).toBeLessThan(TOL);
        expect(padDiff).toBeLessThan(TOL);
        expect(encoderDiff).toBeLessThan(TOL);
        model.dispose();
      });

      it('greedy with the cache as the reference (and without it), padded batches, eos stopping, seeded sampling as on cpu', async () => {
        const e = expected(name);
        const model = await load(name, device);
        const greedy = await rows(model.generate(e.input_ids, { maxNewTokens: e.new_tokens, eosTokenId: null }));
        expect(greedy).toEqual(e.greedy);
        if (options.noCache ?? true) expect(await rows(model.generate(e.input_ids, { maxNewTokens: e.new_tokens, eosTokenId: null, useCache: false }))).toEqual(greedy);
        const right = await rows(model.generate(ids2d(e.right_padded_input_ids, device), { attentionMask: e.right_attention_mask, maxNewTokens: e.new_tokens, eosTokenId: null }));
        expect(right).toEqual(e.batched_greedy);
        const left = await rows(model.generate(e.left_padded_input_ids, { attentionMask: e.left_attention_mask, maxNewTokens: e.new_tokens, eosTokenId: null }));
        expect(left).toEqual(e.left_batched_greedy);
        const stopped = await rows(model.generate(e.input_ids, { maxNewTokens: e.new_tokens, eosTokenId: e.stop_eos, padTokenId: 0 }));
        expect(stopped).toEqual(e.stopped_greedy);
        record({ check: 'greedy', model: name, device, tokens: e.new_tokens, identical: true, batchedIdentical: true });
        const sampled = await rows(model.generate(e.input_ids, SAMPLING));
        expect(sampled).toEqual(await sampledOnCpu(name));
        expect(sampled).not.toEqual(greedy);
        model.dispose();
      });
    });
  }
}
