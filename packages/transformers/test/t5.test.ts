// T5 beyond the per-backend reference suite (seq2seq-suite.ts), on the cpu backend:
// - the relative position buckets equal PyTorch's for every offset in [-140, 140];
// - the T5-style Unigram tokenizer (</s> appended, right padding with <pad>);
// - loading: the tied embed_tokens copies skipped quietly, bfloat16 noted, AutoModelForSeq2SeqLM,
//   AutoModel (T5Model), T5EncoderModel from a full checkpoint, mT5's model_type;
// - a step-by-step cached decoder equal to the full forward pass, onToken streaming;
// - five AdamW steps on a padded batch with labels (-100 inside) matching torch.optim.AdamW,
//   and the saved checkpoint loading into the PyTorch reference with equal logits;
// - errors that name the function and the argument.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { parseSafetensors } from '@tensile/nn';
import { AdamW } from '@tensile/optim';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AutoModel, AutoModelForSeq2SeqLM, AutoTokenizer, MT5ForConditionalGeneration, T5EncoderModel, T5ForConditionalGeneration, T5Model, relativePositionBucket,
} from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff, record, referenceLogits, torchRun } from './fixtures.js';
import { ids2d } from './seq2seq-suite.js';

const run = haveFixtures ? describe : describe.skip;
if (!haveFixtures) it.skip('no PyTorch reference fixtures (python3-torch missing)', () => {});
const scratch = mkdtempSync(path.join(tmpdir(), 'tensile-t5-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const load = (name: string) => T5ForConditionalGeneration.fromPretrained(fixture(name), { dtype: 'float32', logger: null });

run('T5 on cpu', () => {
  it('relative position buckets equal PyTorch\'s (bidirectional and causal, log-spaced and clamped)', async () => {
    for (const name of ['t5', 't5-v1_1']) {
      const e = expected(name);
      const c = JSON.parse(readFileSync(path.join(fixture(name), 'config.json'), 'utf8'));
      const ours = (bidirectional: boolean) => e.relative_positions.map((r: number) => relativePositionBucket(r, bidirectional, c.relative_attention_num_buckets, c.relative_attention_max_distance));
      expect(ours(true)).toEqual(e.buckets_bidirectional);
      expect(ours(false)).toEqual(e.buckets_causal);
    }
  });

  it('the T5-style Unigram tokenizer appends </s> and pads right with <pad>', async () => {
    const e = expected('t5');
    const tok = await AutoTokenizer.fromPretrained(fixture('t5'));
    expect(e.tokenizer.texts.map((t: string) => tok.encode(t))).toEqual(e.tokenizer.ids);
    expect(tok.eosTokenId).toBe(1);
    expect(tok.padTokenId).toBe(0);
    const batch = tok.batch(e.tokenizer.texts, { padding: true });
    const width = Math.max(...e.tokenizer.ids.map((r: number[]) => r.length));
    expect(batch.ids).toEqual(e.tokenizer.ids.map((r: number[]) => [...r, ...new Array(width - r.length).fill(0)]));
    expect(batch.mask[0]).toEqual([...new Array(e.tokenizer.ids[0].length).fill(1), ...new Array(width - e.tokenizer.ids[0].length).fill(0)]);
    expect(tok.decode(e.tokenizer.ids[1], { skipSpecialTokens: true })).toBe(e.tokenizer.texts[1]);
  });

  it('loads the hub\'s layouts: tied copies skipped quietly, bfloat16 noted; Auto classes, T5Model, T5EncoderModel and mT5', async () => {
    const notes: string[] = [];
    const t5 = await T5ForConditionalGeneration.fromPretrained(fixture('t5'), { dtype: 'float32', logger: (m) => notes.push(m) });
    expect(t5.loadReport!.unexpectedKeys.sort()).toEqual(['decoder.embed_tokens.weight', 'encoder.embed_tokens.weight', 'lm_head.weight']);
    expect(notes).toEqual([]);
    expect(t5.tiedKeys()).toContain('lm_head.weight');
    const v11Notes: string[] = [];
    const v11 = await T5ForConditionalGeneration.fromPretrained(fixture('t5-v1_1'), { dtype: 'float32', logger: (m) => v11Notes.push(m) });
    expect(v11.loadReport!.unexpectedKeys).toEqual([]);
    expect(v11Notes.join('\n')).toMatch(/stored as bfloat16 were converted to float32/);
    expect(v11.tiedKeys()).not.toContain('lm_head.weight');
    // Every parameter once: the tied embedding is `shared.weight`.
    const names = t5.namedParameters().map(([n]) => n);
    expect(names[0]).toBe('shared.weight');
    expect(names.filter((n) => n.includes('embed_tokens') || n === 'lm_head.weight')).toEqual([]);
    expect(names).toContain('encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight');
    expect(names.some((n) => n.startsWith('encoder.block.1') && n.includes('relative_attention_bias'))).toBe(false);
    expect(v11.namedParameters().map(([n]) => n)).toEqual(expect.arrayContaining(['lm_head.weight', 'decoder.block.1.layer.2.DenseReluDense.wi_1.weight']));

    const e = expected('t5');
    const ids = ids2d(e.input_ids, 'cpu');
    const decoderInputIds = ids2d(e.decoder_input_ids, 'cpu');
    const auto = await AutoModelForSeq2SeqLM.fromPretrained(fixture('t5'), { dtype: 'float32', logger: null });
    expect(auto).toBeInstanceOf(T5ForConditionalGeneration);
    expect(maxDiff((await auto.forward(ids, { decoderInputIds }).logits.data()) as Float32Array, e.logits)).toBeLessThan(1e-4);
    // AutoModel gives T5Model (as the hub's): the tied head of its decoder states, rescaled, is the LM's logits.
    const base = await AutoModel.fromPretrained(fixture('t5'), { dtype: 'float32', logger: null });
    expect(base).toBeInstanceOf(T5Model);
    const { lastHiddenState, encoderLastHiddenState } = (base as T5Model).forward(ids, { decoderInputIds });
    const viaBase = lastHiddenState.mul(32 ** -0.5).matmul((base as T5Model).shared.weight.t());
    expect(maxDiff((await viaBase.data()) as Float32Array, e.logits)).toBeLessThan(1e-4);
    expect(maxDiff((await encoderLastHiddenState.data()) as Float32Array, e.encoder_last_hidden_state)).toBeLessThan(1e-4);
    // The encoder alone, from the full checkpoint: decoder and head keys left out quietly.
    const encNotes: string[] = [];
    const encoder = await T5EncoderModel.fromPretrained(fixture('t5-v1_1'), { dtype: 'float32', logger: (m) => encNotes.push(m) });
    expect(encNotes.join('\n')).not.toMatch(/not used/);
    expect(encoder.loadReport!.unexpectedKeys).toEqual(expect.arrayContaining(['lm_head.weight', 'decoder.final_layer_norm.weight']));
    // mT5's model_type reads with the same code.
    const mt5 = await MT5ForConditionalGeneration.fromPretrained(fixture('t5-v1_1'), { dtype: 'float32', logger: null, config: { model_type: 'mt5', architectures: ['MT5ForConditionalGeneration'] } });
    const autoMt5 = await AutoModelForSeq2SeqLM.fromPretrained(fixture('t5-v1_1'), { dtype: 'float32', logger: null, config: { model_type: 'mt5' } });
    const e11 = expected('t5-v1_1');
    for (const m of [mt5, autoMt5]) {
      expect(maxDiff((await m.forward(ids2d(e11.input_ids, 'cpu'), { labels: ids2d(e11.labels, 'cpu') }).logits.data()) as Float32Array, e11.logits)).toBeLessThan(1e-4);
    }
    for (const m of [t5, v11, auto, base, encoder, mt5, autoMt5]) m.dispose();
  });

  it('a cached decoder, one token at a time, gives the full pass\'s logits; onToken streams each step', async () => {
    for (const name of ['t5', 't5-v1_1']) {
      const e = expected(name);
      const model = await load(name);
      const ids = ids2d(e.right_padded_input_ids, 'cpu');
      const attentionMask = e.right_attention_mask;
      const dec: number[][] = e.decoder_input_ids;
      const full = (await model.forward(ids, { attentionMask, decoderInputIds: ids2d(dec, 'cpu') }).logits.data()) as Float32Array;
      const encoderOutputs = model.encode(ids, { attentionMask });
      const cache = model.createCache(dec.length, dec[0].length);
      const [b, t] = [dec.length, dec[0].length];
      const vocab = full.length / (b * t);
      let worst = 0;
      for (let i = 0; i < t; i++) {
        const step = ids2d(dec.map((r) => [r[i]]), 'cpu');
        const { logits } = model.forward(null, { attentionMask, decoderInputIds: step, encoderOutputs, cache });
        const got = (await logits.data()) as Float32Array;
        for (let r = 0; r < b; r++) worst = Math.max(worst, maxDiff(got.subarray(r * vocab, (r + 1) * vocab), full.subarray((r * t + i) * vocab, (r * t + i + 1) * vocab)));
      }
      cache.dispose();
      record({ check: 'cached-decoder', model: name, device: 'cpu', maxAbsDiff: worst });
      expect(worst).toBeLessThan(1e-5);

      const streamed: number[][] = [];
      const out = (await (await model.generate(e.input_ids, { maxNewTokens: 5, eosTokenId: null, onToken: (tokens, s) => { streamed[s] = tokens; } })).array()) as number[][];
      expect(out.map((r) => r.slice(1))).toEqual(streamed[0].map((_, row) => streamed.map((s) => s[row])));
      expect(out.map((r) => r[0])).toEqual([0, 0]);
      model.dispose();
    }
  });

  it('memory stays flat across generate calls', async () => {
    const e = expected('t5-v1_1');
    const model = await load('t5-v1_1');
    await model.generate(e.input_ids, { maxNewTokens: 4 });
    const before = tl.memory().numTensors;
    for (let i = 0; i < 3; i++) (await model.generate(e.input_ids, { maxNewTokens: 6, eosTokenId: null })).dispose();
    expect(tl.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('errors name the function and the argument', async () => {
    const model = await load('t5');
    const ids = ids2d([[4, 5, 1]], 'cpu');
    const where = 'T5ForConditionalGeneration.forward';
    expect(() => model.forward(ids)).toThrow(`${where}: give decoderInputIds or labels`);
    expect(() => model.forward(null, { decoderInputIds: ids })).toThrow(`${where}: give inputIds or encoderOutputs`);
    expect(() => model.forward(tl.tensor([[4, 5, 1]]), { decoderInputIds: ids })).toThrow(`${where}: inputIds must be int32, got float32`);
    expect(() => model.forward(ids, { labels: tl.tensor([[4, 5, 1]]) })).toThrow(`${where}: labels must be int32, got float32`);
    expect(() => model.forward(ids, { decoderInputIds: tl.tensor([4, 5], { dtype: 'int32' }) })).toThrow(`${where}: decoderInputIds must be int32 [batch, seq], got [2]`);
    expect(() => model.forward(ids, { decoderInputIds: ids2d([[0], [0]], 'cpu') })).toThrow(`${where}: decoderInputIds has 2 rows, the encoder's input 1`);
    expect(() => model.forward(ids, { decoderInputIds: ids2d([[0, 4]], 'cpu'), labels: ids2d([[4, 5, 1]], 'cpu') })).toThrow(`${where}: labels [1,3] do not match decoderInputIds [1,2]`);
    expect(() => model.forward(ids, { attentionMask: [[1, 1]], labels: ids })).toThrow(`${where}: attentionMask is [1, 2], expected [1, 3]`);
    expect(() => model.forward(ids, { encoderOutputs: tl.zeros([1, 4, 32]), labels: ids })).toThrow(`${where}: encoderOutputs [1,4,32] do not match inputIds [1,3]`);
    const cache = model.createCache(1, 2);
    expect(() => model.forward(ids, { decoderInputIds: ids, cache })).toThrow(`${where}: 0 cached + 3 new decoder positions exceed the cache's 2`);
    cache.dispose();
    await expect(model.generate([[4, 5, 1]], { numBeams: 4 } as never)).rejects.toThrow("T5ForConditionalGeneration.generate: unsupported option 'numBeams'");
    await expect(model.generate([[]])).rejects.toThrow('T5ForConditionalGeneration.generate: inputIds must be a non-empty [batch, seq]');
    await expect(model.generate([[4, 5, 1]], { attentionMask: [[1, 1]] })).rejects.toThrow('T5ForConditionalGeneration.generate: attentionMask must be [1, 3] like inputIds');
    await expect(model.generate([[4, 5, 1]], { maxNewTokens: -1 })).rejects.toThrow('T5ForConditionalGeneration.generate: maxNewTokens must be a non-negative integer');
    model.dispose();
    // Config values this implementation does not read.
    await expect(T5ForConditionalGeneration.fromPretrained(fixture('t5'), { config: { feed_forward_proj: 'gated-swiglu' }, logger: null }))
      .rejects.toThrow("T5ForConditionalGeneration: feed_forward_proj 'gated-swiglu' is not supported");
    await expect(T5ForConditionalGeneration.fromPretrained(fixture('t5'), { config: { feed_forward_proj: 'fancy-relu' }, logger: null }))
      .rejects.toThrow("feed_forward_proj 'fancy-relu' is not supported");
    await expect(T5ForConditionalGeneration.fromPretrained(fixture('t5'), { config: { is_encoder_decoder: false }, logger: null }))
      .rejects.toThrow("T5ForConditionalGeneration: config field 'is_encoder_decoder' is false");
    await expect(T5ForConditionalGeneration.fromPretrained(fixture('t5'), { config: { relative_attention_num_buckets: 0 }, logger: null }))
      .rejects.toThrow("config field 'relative_attention_num_buckets' must be a positive integer, got 0");
    await expect(T5ForConditionalGeneration.fromPretrained(fixture('t5'), { config: { d_kv: '8' }, logger: null }))
      .rejects.toThrow("config field 'd_kv' should be a number");
    await expect(T5ForConditionalGeneration.fromPretrained(fixture('gpt2'), { logger: null }))
      .rejects.toThrow("has model_type 'gpt2'; T5ForConditionalGeneration reads t5, mt5");
    await expect(AutoModelForSeq2SeqLM.fromPretrained(fixture('gpt2'), { logger: null }))
      .rejects.toThrow("AutoModelForSeq2SeqLM: model_type 'gpt2' is not one it knows (t5, mt5)");
  });
});


const ADAMW = { lr: 1e-2, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0.01 };
const GRADS: Record<string, string[]> = {
  t5: ['shared.weight', 'encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight', 'decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight',
    'decoder.block.0.layer.1.EncDecAttention.k.weight', 'decoder.block.2.layer.2.DenseReluDense.wi.weight', 'decoder.final_layer_norm.weight'],
  't5-v1_1': ['shared.weight', 'lm_head.weight', 'encoder.block.1.layer.1.DenseReluDense.wi_0.weight', 'decoder.block.1.layer.1.EncDecAttention.o.weight',
    'encoder.final_layer_norm.weight', 'decoder.block.0.layer.1.layer_norm.weight'],
};

run('fine-tuning T5', () => {
  it.each(Object.keys(GRADS))('%s: five AdamW steps on a padded batch match torch.optim.AdamW; the saved checkpoint gives PyTorch\'s logits', async (name) => {
    const e = expected(name);
    const steps = 5;
    const labelRows: number[][] = e.masked_labels;
    const spec = {
      input_ids: e.right_padded_input_ids, attention_mask: e.right_attention_mask, labels: labelRows, steps,
      lr: ADAMW.lr, betas: ADAMW.betas, eps: ADAMW.eps, weight_decay: ADAMW.weightDecay, grad_params: GRADS[name],
    };
    const ref = torchRun(fixture(name), spec, scratch);
    const model = await load(name);
    model.eval(); // no dropout, as in the reference
    const input = ids2d(e.right_padded_input_ids, 'cpu');
    const labels = ids2d(labelRows, 'cpu');
    const attentionMask = e.right_attention_mask;
    const opt = new AdamW(model.parameters(), ADAMW);
    const byName = new Map(model.namedParameters());
    const losses: number[] = [];
    let gradDiff = 0;
    for (let step = 0; step < steps; step++) {
      opt.zeroGrad();
      const { logits, loss } = model.forward(input, { attentionMask, labels });
      loss!.backward();
      losses.push((await loss!.item()) as number);
      if (step === 0) {
        for (const key of GRADS[name]) gradDiff = Math.max(gradDiff, maxDiff((await byName.get(key)!.grad!.data()) as Float32Array, ref.grads[key]));
      }
      opt.step();
      logits.dispose();
      loss!.dispose();
    }
    const { logits } = tl.noGrad(() => model.forward(input, { attentionMask, labels }));
    const logitsDiff = maxDiff((await logits.data()) as Float32Array, ref.logits);
    const lossDiff = maxDiff(losses, ref.losses);
    record({ check: 'adamw-vs-torch', model: name, device: 'cpu', steps, losses, torchLosses: ref.losses, lossDiff, gradDiff, logitsDiff });
    expect(lossDiff).toBeLessThan(1e-4);
    expect(gradDiff).toBeLessThan(1e-5);
    expect(logitsDiff).toBeLessThan(1e-3);
    expect(losses[steps - 1]).toBeLessThan(losses[0]);

    // Saved with the hub's keys (shared.weight once; lm_head.weight only when untied), loaded by PyTorch.
    const out = path.join(scratch, `${name}-finetuned`);
    await model.savePretrained(out);
    const keys = (dir: string) => Object.keys(parseSafetensors(readFileSync(path.join(dir, 'model.safetensors'))).tensors).sort();
    const tiedCopies = ['decoder.embed_tokens.weight', 'encoder.embed_tokens.weight', ...(name === 't5' ? ['lm_head.weight'] : [])];
    expect(keys(out)).toEqual(keys(fixture(name)).filter((k) => !tiedCopies.includes(k)));
    const decoderInputIds = ids2d(e.decoder_input_ids, 'cpu');
    const ours = tl.noGrad(() => model.forward(input, { attentionMask, decoderInputIds }).logits);
    const theirs = referenceLogits(out, { input_ids: e.right_padded_input_ids, attention_mask: attentionMask, decoder_input_ids: e.decoder_input_ids }, scratch);
    expect(theirs.shape).toEqual(ours.shape);
    const torchDiff = maxDiff((await ours.data()) as Float32Array, theirs.logits);
    record({ check: 'finetuned-checkpoint-in-torch', model: name, device: 'cpu', torchDiff });
    expect(torchDiff).toBeLessThan(1e-4);
    // And back into Tensile.
    const back = await T5ForConditionalGeneration.fromPretrained(out, { dtype: 'float32', logger: null });
    expect(maxDiff((await back.forward(input, { attentionMask, decoderInputIds }).logits.data()) as Float32Array, theirs.logits)).toBeLessThan(1e-4);
    for (const t of [logits, ours, input, labels, decoderInputIds]) t.dispose();
    for (const m of [model, back]) m.dispose();
    opt.dispose();
  });
});
