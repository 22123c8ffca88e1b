// The encoder-decoder reference checks on the webgpu backend (Dawn in Node, llvmpipe without a
// GPU: the fixtures are tiny, and the cache-free greedy run is left to cpu and wasm), then T5 in
// float16 (weights loaded as float16, and float32 weights under tl.autocast) as the causal models'
// float16 checks in models-webgpu.test.ts: logits and losses within 2e-2 of PyTorch's largest
// logit (float16 keeps about three significant digits), the greedy tokens of float32 up to a
// near-tie of the reference's: a step whose top-2 margin is under 0.5% of the largest logit, about
// twice float16's measured error (t5's second greedy row has margins of 2e-3 and 4e-4 at steps
// 13 and 14); and what happens when T5's feed-forward overflows float16.
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu'; // the checkpoint is rewritten on the host
import '@tensile/backend-webgpu';
import { parseSafetensors, serializeSafetensorsSync } from '@tensile/nn';
import { backendUnavailable } from '@tensile/conformance/required-tools';
import { describe, expect, it } from 'vitest';
import { T5ForConditionalGeneration } from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff, record } from './fixtures.js';
import { SEQ2SEQ, ids2d, seq2seqSuite } from './seq2seq-suite.js';

const unavailable = await backendUnavailable('webgpu');
seq2seqSuite('webgpu', unavailable, { noCache: false });

/** Largest difference relative to PyTorch's largest magnitude. */
const relative = (got: ArrayLike<number>, want: number[]) => maxDiff(got, want) / Math.max(...want.map(Math.abs));
const floats = async (t: tl.Tensor) => Array.from((await t.float().data()) as Float32Array);
const rows = async (t: Promise<tl.Tensor>) => (await (await t).array()) as number[][];

/**
 * Greedy tokens against PyTorch's float32 ones, each row up to its first near-tie: a step whose
 * top-1 and top-2 logits (`margins`, from the reference) are closer than `tie`, where float16's
 * rounding may rightly pick the other token. Gives the number of tokens compared.
 */
function expectGreedyUntilTie(got: number[][], want: number[][], margins: number[][], tie: number): number {
  expect(got.map((r) => r.length)).toEqual(want.map((r) => r.length));
  let compared = 0;
  want.forEach((row, b) => {
    const step = margins[b].findIndex((m) => m < tie);
    const upTo = step < 0 ? row.length : step + 1; // token step + 1 is the one the near-tie picks
    expect(got[b].slice(0, upTo), `row ${b}`).toEqual(row.slice(0, upTo));
    compared += upTo - 1;
  });
  return compared;
}

describe.skipIf(unavailable !== null || !haveFixtures || !tl.isDTypeSupported('float16', 'webgpu'))('T5 in float16 on webgpu', () => {
  for (const name of SEQ2SEQ) {
    it(`${name} with float16 weights: PyTorch's logits, encoder states and loss to float16 precision, the float32 greedy tokens (cached, batched)`, async () => {
      const e = expected(name);
      const notes: string[] = [];
      const model = await T5ForConditionalGeneration.fromPretrained(fixture(name), { device: 'webgpu', dtype: 'float16', logger: (m) => notes.push(m) });
      expect(model.dtype).toBe('float16');
      expect(notes.join('\n')).toMatch(/weights loaded as float16 for 'webgpu'/);
      const ids = ids2d(e.input_ids, 'webgpu');
      const labels = ids2d(e.labels, 'webgpu');
      const { logits, loss, encoderLastHiddenState } = tl.noGrad(() => model.forward(ids, { attentionMask: e.attention_mask, labels }));
      expect(logits.dtype).toBe('float16');
      const diff = relative(await floats(logits), e.logits);
      const encDiff = relative(await floats(encoderLastHiddenState), e.encoder_last_hidden_state);
      const lossDiff = Math.abs(((await loss!.item()) as number) - e.loss) / Math.abs(e.loss);
      record({ check: 'logits-float16', model: name, device: 'webgpu', relativeDiff: diff, encoderRelativeDiff: encDiff, relativeLossDiff: lossDiff });
      expect(diff).toBeLessThan(2e-2);
      expect(encDiff).toBeLessThan(2e-2);
      expect(lossDiff).toBeLessThan(2e-2);
      // Greedy decoding with a float16 cache: the tokens float32 gives (and PyTorch's float32).
      const cache = model.createCache(1, 4);
      expect(cache.self.keys[0].dtype).toBe('float16');
      cache.dispose();
      const tie = 5e-3 * Math.max(...e.logits.map(Math.abs));
      const greedy = expectGreedyUntilTie(await rows(model.generate(e.input_ids, { maxNewTokens: e.new_tokens, eosTokenId: null })), e.greedy, e.greedy_margins, tie);
      const left = expectGreedyUntilTie(
        await rows(model.generate(e.left_padded_input_ids, { attentionMask: e.left_attention_mask, maxNewTokens: e.new_tokens, eosTokenId: null })),
        e.left_batched_greedy, e.left_batched_greedy_margins, tie,
      );
      record({ check: 'greedy-float16', model: name, device: 'webgpu', tokensCompared: greedy + left, tokens: (e.greedy.length + e.left_batched_greedy.length) * e.new_tokens });
      for (const t of [ids, labels, logits, loss!, encoderLastHiddenState]) t.dispose();
      model.dispose();
    });

    it(`${name} under tl.autocast (float32 weights): PyTorch's logits to float16 precision, the float32 greedy tokens`, async () => {
      const e = expected(name);
      const model = await T5ForConditionalGeneration.fromPretrained(fixture(name), { device: 'webgpu', dtype: 'float32', logger: null });
      const ids = ids2d(e.input_ids, 'webgpu');
      const logits = tl.noGrad(() => tl.autocast('webgpu', () => model.forward(ids, { attentionMask: e.attention_mask, decoderInputIds: ids2d(e.decoder_input_ids, 'webgpu') }).logits));
      const diff = relative(await floats(logits), e.logits);
      record({ check: 'logits-autocast', model: name, device: 'webgpu', relativeDiff: diff });
      expect(diff).toBeLessThan(2e-2);
      const cached = await tl.autocast('webgpu', () => rows(model.generate(e.input_ids, { maxNewTokens: e.new_tokens, eosTokenId: null })));
      const compared = expectGreedyUntilTie(cached, e.greedy, e.greedy_margins, 5e-3 * Math.max(...e.logits.map(Math.abs)));
      record({ check: 'greedy-autocast', model: name, device: 'webgpu', tokensCompared: compared, tokens: e.greedy.length * e.new_tokens });
      for (const t of [ids, logits]) t.dispose();
      model.dispose();
    });
  }

  // Real T5 checkpoints (t5-large, v1.1, Flan-T5) overflow float16 in DenseReluDense.wo; the hub
  // keeps wo in float32 (`_keep_in_fp32_modules = ["wo"]`). Tensile's loader gives a model one
  // dtype, so wo runs in float16 and only the hub's older float16 path remains: the residual
  // stream clamped to float16's range (clampHalf). The fixture with wo scaled until it overflows:
  // finite logits, but not float32's. Such checkpoints belong in float32.
  it('t5 in float16 whose wo outputs pass float16\'s range: finite logits (clamped as the hub\'s float16 path), off from float32\'s', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tensile-t5-overflow-'));
    try {
      for (const f of readdirSync(fixture('t5'))) copyFileSync(path.join(fixture('t5'), f), path.join(dir, f));
      const { tensors } = parseSafetensors(readFileSync(path.join(dir, 'model.safetensors')), { device: 'cpu' });
      const scaled = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, /DenseReluDense\.wo\./.test(k) ? t.mul(1e4) : t]));
      writeFileSync(path.join(dir, 'model.safetensors'), serializeSafetensorsSync(scaled, { format: 'pt' }));
      const e = expected('t5');
      const [half, full] = await Promise.all((['float16', 'float32'] as const).map(async (dtype) => {
        const model = await T5ForConditionalGeneration.fromPretrained(dir, { device: 'webgpu', dtype, logger: null });
        const ids = ids2d(e.input_ids, 'webgpu');
        const { logits } = tl.noGrad(() => model.forward(ids, { attentionMask: e.attention_mask, decoderInputIds: ids2d(e.decoder_input_ids, 'webgpu') }));
        const values = await floats(logits);
        for (const t of [ids, logits]) t.dispose();
        model.dispose();
        return values;
      }));
      expect(half.every(Number.isFinite)).toBe(true);
      record({ check: 'logits-float16-overflow', model: 't5', device: 'webgpu', relativeDiff: relative(half, full) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
