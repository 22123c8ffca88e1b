// One suite of checks against the PyTorch reference, run by each backend's test file:
// logits (and losses) within 1e-4, 20 greedy tokens identical, cached generation equal to
// uncached, left-padded batched generation equal to the reference's, seeded sampling
// identical across backends (each backend compares with the cpu backend's tokens).
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  BertForSequenceClassification, BertModel, CLIPModel, Gemma2ForCausalLM, MixtralForCausalLM, CLIPTextModelWithProjection, CLIPVisionModelWithProjection, DistilBertForSequenceClassification, DistilBertModel, GPT2LMHeadModel, GemmaForCausalLM, LlamaForCausalLM,
  GPTNeoXForCausalLM, OPTForCausalLM,
  Phi3ForCausalLM, PhiForCausalLM, Qwen2MoeForCausalLM, Qwen3ForCausalLM, RobertaForSequenceClassification, RobertaModel, ViTForImageClassification, type CausalLM,
} from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff, record } from './fixtures.js';

const TOL = 1e-4;

async function floats(t: tl.Tensor): Promise<Float32Array> {
  return (await (t.dtype === 'float32' ? t : t.float()).data()) as Float32Array;
}

async function rows(t: tl.Tensor): Promise<number[][]> {
  return (await t.array()) as number[][];
}

const CAUSAL: [string, (dir: string, device: string) => Promise<CausalLM>][] = [
  ['gpt2', (d, device) => GPT2LMHeadModel.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['llama', (d, device) => LlamaForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['smollm', (d, device) => LlamaForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['qwen2', (d, device) => LlamaForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['mistral', (d, device) => LlamaForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['gemma', (d, device) => GemmaForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['phi3', (d, device) => Phi3ForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['qwen3', (d, device) => Qwen3ForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  // Gemma 2 (sliding window 4 on the even layers, soft-capped scores and logits) and Mixtral (4 experts, top-2, window 5, aux loss in the loss).
  ['gemma2', (d, device) => Gemma2ForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['mixtral', (d, device) => MixtralForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  // Qwen2-MoE (a dense middle layer, top-2 of 4 unrenormalised, the shared expert, aux loss in the loss) and Phi-3 with
  // partial rotary (0.75) and longrope past original_max_position_embeddings 16 (batched generation crosses it).
  ['qwen2-moe', (d, device) => Qwen2MoeForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['phi3-longrope', (d, device) => Phi3ForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['phi', (d, device) => PhiForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['phi-qk', (d, device) => PhiForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  // GPT-NeoX (Pythia-style, parallel residual; and sequential, tied) and OPT (opt-125m's pre-norm; opt-350m's post-norm with project_in/out).
  ['gpt-neox', (d, device) => GPTNeoXForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['gpt-neox-sequential', (d, device) => GPTNeoXForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['opt', (d, device) => OPTForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
  ['opt-350m', (d, device) => OPTForCausalLM.fromPretrained(d, { device, dtype: 'float32', logger: null })],
];

/** Sampled tokens per fixture from the cpu backend, for the cross-backend comparison. */
export async function sampledOnCpu(name: string): Promise<number[][]> {
  const load = CAUSAL.find(([n]) => n === name)![1];
  const model = await load(fixture(name), 'cpu');
  const e = expected(name);
  const out = await model.generate(e.input_ids, { maxNewTokens: 20, doSample: true, temperature: 0.8, topK: 20, topP: 0.9, seed: 1234 });
  const r = await rows(out);
  model.dispose();
  out.dispose();
  return r;
}

export interface SuiteOptions {
  /** Names of the causal fixtures to run (all by default). */
  causal?: string[];
  /** Run the cache-free greedy comparison too (slow on webgpu: it recomputes every step). */
  noCache?: boolean;
}

export function modelSuite(device: string, unavailable: string | null, options: SuiteOptions = {}): void {
  const skip = unavailable ?? (haveFixtures ? null : 'no PyTorch reference fixtures (python3-torch missing)');
  const run = skip ? describe.skip : describe;
  if (skip) it.skip(`${device}: ${skip}`, () => {});
  const causal = CAUSAL.filter(([n]) => !options.causal || options.causal.includes(n));

  for (const [name, load] of causal) {
    run(`${name} on ${device}`, () => {
      it('logits and loss match the PyTorch reference; greedy, cached, batched and sampled generation', async () => {
        const e = expected(name);
        const model = await load(fixture(name), device);
        const ids = tl.tensor(e.input_ids.flat(), { dtype: 'int32', device }).reshape([e.input_ids.length, e.input_ids[0].length]);
        const { logits, loss } = model.forward(ids, { labels: ids });
        expect(logits.shape).toEqual(e.logits_shape);
        const diff = maxDiff(await floats(logits), e.logits);
        const lossDiff = Math.abs((await loss!.item()) as number - e.loss);
        record({ check: 'logits', model: name, device, maxAbsDiff: diff, lossDiff });
        expect(diff).toBeLessThan(TOL);
        expect(lossDiff).toBeLessThan(TOL);

        const masked = tl.tensor(e.masked_labels.flat(), { dtype: 'int32', device }).reshape(ids.shape as number[]);
        const maskedLoss = model.forward(ids, { labels: masked }).loss!;
        expect(Math.abs((await maskedLoss.item()) as number - e.masked_loss)).toBeLessThan(TOL);

        // Left-padded batch: logits at the real positions match the reference's.
        const padded = tl.tensor(e.padded_input_ids.flat(), { dtype: 'int32', device }).reshape([e.padded_input_ids.length, e.padded_input_ids[0].length]);
        const paddedLogits = await floats(model.forward(padded, { attentionMask: e.padded_attention_mask }).logits);
        const vocab = e.logits_shape[2];
        const width = e.padded_input_ids[0].length;
        let worst = 0;
        e.padded_attention_mask.forEach((row: number[], b: number) =>
          row.forEach((m, t) => {
            if (!m) return;
            const at = (b * width + t) * vocab;
            worst = Math.max(worst, maxDiff(paddedLogits.subarray(at, at + vocab), e.padded_logits.slice(at, at + vocab)));
          }),
        );
        record({ check: 'padded-logits', model: name, device, maxAbsDiff: worst });
        expect(worst).toBeLessThan(TOL);

        // 20 greedy tokens with the KV cache, as the reference (which recomputes every step).
        const greedy = await rows(await model.generate(ids, { maxNewTokens: e.new_tokens, eosTokenId: null }));
        expect(greedy).toEqual(e.greedy);
        if (options.noCache ?? true) {
          const uncached = await rows(await model.generate(ids, { maxNewTokens: e.new_tokens, eosTokenId: null, useCache: false }));
          expect(uncached).toEqual(greedy);
        }
        // Batched with left padding.
        const batched = await rows(await model.generate(e.padded_input_ids, { attentionMask: e.padded_attention_mask, maxNewTokens: e.new_tokens, eosTokenId: null }));
        expect(batched).toEqual(e.batched_greedy);
        record({ check: 'greedy', model: name, device, tokens: e.new_tokens, identical: true, batchedIdentical: true });

        // Seeded sampling: the same tokens as on the cpu backend.
        const sampled = await rows(await model.generate(e.input_ids, { maxNewTokens: 20, doSample: true, temperature: 0.8, topK: 20, topP: 0.9, seed: 1234 }));
        expect(sampled).toEqual(await sampledOnCpu(name));
        expect(sampled).not.toEqual(greedy);
        model.dispose();
      });
    });
  }

  run(`bert on ${device}`, () => {
    it('BertModel: last hidden state and pooler output match with padding and token types', async () => {
      const e = expected('bert');
      const notes: string[] = [];
      const model = await BertModel.fromPretrained(fixture('bert'), { device, dtype: 'float32', logger: (m) => notes.push(m) });
      const shape = [e.input_ids.length, e.input_ids[0].length];
      const ids = tl.tensor(e.input_ids.flat(), { dtype: 'int32', device }).reshape(shape);
      const types = tl.tensor(e.token_type_ids.flat(), { dtype: 'int32', device }).reshape(shape);
      const mask = tl.tensor(e.attention_mask.flat(), { dtype: 'int32', device }).reshape(shape);
      const { lastHiddenState, poolerOutput } = model.forward(ids, { attentionMask: device === 'webgpu' ? e.attention_mask : mask, tokenTypeIds: types });
      expect(lastHiddenState.shape).toEqual(e.hidden_shape);
      const dh = maxDiff(await floats(lastHiddenState), e.last_hidden_state);
      const dp = maxDiff(await floats(poolerOutput), e.pooler_output);
      record({ check: 'logits', model: 'bert', device, maxAbsDiff: Math.max(dh, dp) });
      expect(dh).toBeLessThan(TOL);
      expect(dp).toBeLessThan(TOL);
      // The pretraining head's keys were in the file and were reported, not loaded.
      expect(model.loadReport!.unexpectedKeys).toEqual(expect.arrayContaining(['cls.predictions.bias', 'bert.embeddings.position_ids']));
      expect(notes.join('\n')).toContain('cls.predictions.bias');
      model.dispose();
    });

    it('BertForSequenceClassification: logits and cross-entropy loss match', async () => {
      const e = expected('bert-classifier');
      const model = await BertForSequenceClassification.fromPretrained(fixture('bert-classifier'), { device, dtype: 'float32', logger: null });
      const shape = [e.input_ids.length, e.input_ids[0].length];
      const ids = tl.tensor(e.input_ids.flat(), { dtype: 'int32', device }).reshape(shape);
      const types = tl.tensor(e.token_type_ids.flat(), { dtype: 'int32', device }).reshape(shape);
      const labels = tl.tensor(e.labels, { dtype: 'int32', device });
      const { logits, loss } = model.forward(ids, { attentionMask: e.attention_mask, tokenTypeIds: types, labels });
      const diff = maxDiff(await floats(logits), e.logits);
      record({ check: 'logits', model: 'bert-classifier', device, maxAbsDiff: diff });
      expect(diff).toBeLessThan(TOL);
      expect(Math.abs((await loss!.item()) as number - e.loss)).toBeLessThan(TOL);
      model.dispose();
    });
  });

  /** A fixture's `[batch, seq]` int32 inputs on `device`, and its mask (host rows on webgpu, as BERT's check passes it). */
  const encoderInputs = (e: any) => {
    const shape = [e.input_ids.length, e.input_ids[0].length];
    const ids = tl.tensor(e.input_ids.flat(), { dtype: 'int32', device }).reshape(shape);
    const attentionMask = device === 'webgpu' ? e.attention_mask : tl.tensor(e.attention_mask.flat(), { dtype: 'int32', device }).reshape(shape);
    return { ids, attentionMask };
  };

  run(`roberta on ${device}`, () => {
    it('RobertaModel: last hidden state and pooler output match, positions from the ids (padding ids inside and after a row)', async () => {
      const e = expected('roberta');
      const notes: string[] = [];
      const model = await RobertaModel.fromPretrained(fixture('roberta'), { device, dtype: 'float32', logger: (m) => notes.push(m) });
      const { ids, attentionMask } = encoderInputs(e);
      const { lastHiddenState, poolerOutput } = model.forward(ids, { attentionMask });
      expect(lastHiddenState.shape).toEqual(e.hidden_shape);
      const dh = maxDiff(await floats(lastHiddenState), e.last_hidden_state);
      const dp = maxDiff(await floats(poolerOutput), e.pooler_output);
      record({ check: 'logits', model: 'roberta', device, maxAbsDiff: Math.max(dh, dp) });
      expect(dh).toBeLessThan(TOL);
      expect(dp).toBeLessThan(TOL);
      // The buffers are skipped quietly; the LM head's keys are reported as unused.
      expect(model.loadReport!.unexpectedKeys).toEqual(expect.arrayContaining(['roberta.embeddings.position_ids', 'roberta.embeddings.token_type_ids', 'lm_head.bias']));
      expect(notes.join('\n')).toMatch(/2 checkpoint key\(s\) were not used by RobertaModel: lm_head\.(bias|dense\.weight), lm_head\.(bias|dense\.weight)$/);
      model.dispose();
    });

    it('RobertaForSequenceClassification: logits and cross-entropy loss match', async () => {
      const e = expected('roberta-classifier');
      const model = await RobertaForSequenceClassification.fromPretrained(fixture('roberta-classifier'), { device, dtype: 'float32', logger: null });
      const { ids, attentionMask } = encoderInputs(e);
      const { logits, loss } = model.forward(ids, { attentionMask, labels: tl.tensor(e.labels, { dtype: 'int32', device }) });
      const diff = maxDiff(await floats(logits), e.logits);
      record({ check: 'logits', model: 'roberta-classifier', device, maxAbsDiff: diff });
      expect(diff).toBeLessThan(TOL);
      expect(Math.abs((await loss!.item()) as number - e.loss)).toBeLessThan(TOL);
      model.dispose();
    });
  });

  run(`distilbert on ${device}`, () => {
    it('DistilBertModel: last hidden state matches with padding', async () => {
      const e = expected('distilbert');
      const notes: string[] = [];
      const model = await DistilBertModel.fromPretrained(fixture('distilbert'), { device, dtype: 'float32', logger: (m) => notes.push(m) });
      const { ids, attentionMask } = encoderInputs(e);
      const { lastHiddenState } = model.forward(ids, { attentionMask });
      expect(lastHiddenState.shape).toEqual(e.hidden_shape);
      const diff = maxDiff(await floats(lastHiddenState), e.last_hidden_state);
      record({ check: 'logits', model: 'distilbert', device, maxAbsDiff: diff });
      expect(diff).toBeLessThan(TOL);
      // The masked-LM head's keys were in the file and were reported, not loaded.
      expect(model.loadReport!.unexpectedKeys).toEqual(expect.arrayContaining(['vocab_transform.weight', 'vocab_projector.bias']));
      expect(notes.join('\n')).toMatch(/5 checkpoint key\(s\) were not used by DistilBertModel: .*vocab_layer_norm\.weight/);
      model.dispose();
    });

    it('DistilBertForSequenceClassification: logits and multi-label BCE loss match (ReLU FFN)', async () => {
      const e = expected('distilbert-classifier');
      const model = await DistilBertForSequenceClassification.fromPretrained(fixture('distilbert-classifier'), { device, dtype: 'float32', logger: null });
      const { ids, attentionMask } = encoderInputs(e);
      const labels = tl.tensor(e.labels.flat(), { device }).reshape([e.labels.length, e.labels[0].length]);
      const { logits, loss } = model.forward(ids, { attentionMask, labels });
      const diff = maxDiff(await floats(logits), e.logits);
      record({ check: 'logits', model: 'distilbert-classifier', device, maxAbsDiff: diff });
      expect(diff).toBeLessThan(TOL);
      expect(Math.abs((await loss!.item()) as number - e.loss)).toBeLessThan(TOL);
      model.dispose();
    });
  });

  // clip: eos_token_id 2, pooled at the largest id (padding repeats it: the first counts); quick_gelu.
  // clip-eos: pooled at the first eos_token_id where the largest id sits elsewhere; gelu; 3 texts, 2 images.
  for (const name of ['clip', 'clip-eos']) {
    run(`${name} on ${device}`, () => {
      it('CLIPModel: logits, normalised embeddings, features and the contrastive loss match; the towers with projection alone too', async () => {
        const e = expected(name);
        const notes: string[] = [];
        const model = await CLIPModel.fromPretrained(fixture(name), { device, dtype: 'float32', logger: (m) => notes.push(m) });
        const { ids, attentionMask } = encoderInputs(e);
        const pixels = tl.tensor(e.pixel_values, { device }).reshape(e.pixel_shape);
        const out = model.forward(ids, pixels, { attentionMask, returnLoss: e.loss !== null });
        expect(out.logitsPerImage.shape).toEqual(e.logits_per_image_shape);
        const diffs = {
          logitsPerImage: maxDiff(await floats(out.logitsPerImage), e.logits_per_image),
          logitsPerText: maxDiff(await floats(out.logitsPerText), e.logits_per_text),
          textEmbeds: maxDiff(await floats(out.textEmbeds), e.text_embeds),
          imageEmbeds: maxDiff(await floats(out.imageEmbeds), e.image_embeds),
          textFeatures: maxDiff(await floats(model.getTextFeatures(ids, { attentionMask })), e.text_features),
          imageFeatures: maxDiff(await floats(model.getImageFeatures(pixels)), e.image_features),
        };
        const lossDiff = e.loss === null ? 0 : Math.abs((await out.loss!.item()) as number - e.loss);
        record({ check: 'logits', model: name, device, maxAbsDiff: Math.max(...Object.values(diffs)), lossDiff, ...diffs });
        for (const [what, d] of Object.entries(diffs)) expect(d, what).toBeLessThan(TOL);
        expect(lossDiff).toBeLessThan(TOL);
        expect(out.loss === undefined).toBe(e.loss === null);
        // openai's position_ids buffers are skipped quietly.
        expect(model.loadReport!.unexpectedKeys.sort()).toEqual(['text_model.embeddings.position_ids', 'vision_model.embeddings.position_ids']);
        expect(notes).toEqual([]);
        model.dispose();

        // The towers alone, from the same checkpoint: the same (unnormalised) features.
        const text = await CLIPTextModelWithProjection.fromPretrained(fixture(name), { device, dtype: 'float32', logger: null });
        expect(maxDiff(await floats(text.forward(ids, { attentionMask }).textEmbeds), e.text_features)).toBeLessThan(TOL);
        const vision = await CLIPVisionModelWithProjection.fromPretrained(fixture(name), { device, dtype: 'float32', logger: null });
        expect(maxDiff(await floats(vision.forward(pixels).imageEmbeds), e.image_features)).toBeLessThan(TOL);
        for (const m of [text, vision]) m.dispose();
      });
    });
  }

  run(`vit on ${device}`, () => {
    it('ViTForImageClassification: logits and loss match', async () => {
      const e = expected('vit');
      const model = await ViTForImageClassification.fromPretrained(fixture('vit'), { device, dtype: 'float32', logger: null });
      const pixels = tl.tensor(e.pixel_values, { device }).reshape(e.pixel_shape);
      const { logits, loss } = model.forward(pixels, { labels: tl.tensor(e.labels, { dtype: 'int32', device }) });
      const diff = maxDiff(await floats(logits), e.logits);
      record({ check: 'logits', model: 'vit', device, maxAbsDiff: diff });
      expect(diff).toBeLessThan(TOL);
      expect(Math.abs((await loss!.item()) as number - e.loss)).toBeLessThan(TOL);
      model.dispose();
    });
  });
}
