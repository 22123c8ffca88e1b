// The reference checks on the webgpu backend (Dawn in Node; on llvmpipe without a GPU, so
// the fixtures are tiny). Without an adapter the file skips, naming the reason, unless
// TENSILE_REQUIRE_TOOLS makes that a failure.
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tl from '@tensile/core';
import '@tensile/backend-webgpu';
import { parseSafetensors, serializeSafetensorsSync } from '@tensile/nn';
import { describe, expect, it } from 'vitest';
import {
  BertForSequenceClassification, DistilBertForSequenceClassification, GPT2LMHeadModel, GemmaForCausalLM, LlamaForCausalLM, Phi3ForCausalLM,
  GPTNeoXForCausalLM, OPTForCausalLM, type LoadableClass,
  PhiForCausalLM, Qwen3ForCausalLM, RobertaForSequenceClassification, ViTForImageClassification, type CausalLM,
} from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff } from './fixtures.js';
import { settleGarbage } from '@tensile/conformance';
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
      const float = logits.float();
      const values = (await float.data()) as Float32Array;
      for (const t of [logits, float]) t.dispose();
      return values;
    }));
    const scale = Math.max(...Array.from(b, Math.abs));
    expect(maxDiff(a, b) / scale).toBeLessThan(2e-2);
    for (const m of [half, full]) m.dispose();
    ids.dispose();
  });

  /** Largest difference relative to PyTorch's largest logit magnitude. */
  const relative = (got: ArrayLike<number>, want: number[]) => maxDiff(got, want) / Math.max(...want.map(Math.abs));

  it('ViT in float16: PyTorch\'s logits and loss to float16 precision, and float16 gradients for every parameter', async () => {
    const e = expected('vit');
    const model = await ViTForImageClassification.fromPretrained(fixture('vit'), { device: 'webgpu', dtype: 'float16', logger: null });
    expect(model.dtype).toBe('float16');
    // Handles earlier tests dropped are finalized now, not during this test's awaited reads.
    await settleGarbage();
    const before = tl.memory().numTensors;
    const pixels = tl.tidy(() => tl.tensor(e.pixel_values, { device: 'webgpu', dtype: 'float16' }).reshape(e.pixel_shape));
    const labels = tl.tensor(e.labels, { dtype: 'int32', device: 'webgpu' });
    const { logits, loss } = model.forward(pixels, { labels });
    expect(logits.dtype).toBe('float16');
    expect(relative(await logits.data(), e.logits)).toBeLessThan(2e-2);
    expect(Math.abs(((await loss!.item()) as number) - e.loss) / Math.abs(e.loss)).toBeLessThan(2e-2);
    loss!.backward();
    for (const [name, p] of model.namedParameters()) {
      expect(p.grad?.dtype, name).toBe('float16');
      expect((await p.grad!.data()).every(Number.isFinite), name).toBe(true);
    }
    model.zeroGrad();
    for (const t of [pixels, labels, logits, loss!]) t.dispose();
    expect(tl.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('BertForSequenceClassification in float16: PyTorch\'s logits and loss to float16 precision', async () => {
    const e = expected('bert-classifier');
    const model = await BertForSequenceClassification.fromPretrained(fixture('bert-classifier'), { device: 'webgpu', dtype: 'float16', logger: null });
    const shape = [e.input_ids.length, e.input_ids[0].length];
    const ids = tl.tensor(e.input_ids.flat(), { dtype: 'int32', device: 'webgpu' }).reshape(shape);
    const types = tl.tensor(e.token_type_ids.flat(), { dtype: 'int32', device: 'webgpu' }).reshape(shape);
    const labels = tl.tensor(e.labels, { dtype: 'int32', device: 'webgpu' });
    const { logits, loss } = tl.noGrad(() => model.forward(ids, { attentionMask: e.attention_mask, tokenTypeIds: types, labels }));
    expect(logits.dtype).toBe('float16');
    expect(relative(await logits.data(), e.logits)).toBeLessThan(2e-2);
    expect(Math.abs(((await loss!.item()) as number) - e.loss) / Math.abs(e.loss)).toBeLessThan(2e-2);
    for (const t of [ids, types, labels, logits, loss!]) t.dispose();
    model.dispose();
  });

  const ENCODER_CLASSIFIERS = [
    ['roberta-classifier', (d: string) => RobertaForSequenceClassification.fromPretrained(d, { device: 'webgpu', dtype: 'float16', logger: null })],
    ['distilbert-classifier', (d: string) => DistilBertForSequenceClassification.fromPretrained(d, { device: 'webgpu', dtype: 'float16', logger: null })],
  ] as const;
  for (const [name, load] of ENCODER_CLASSIFIERS) {
    it(`${name} in float16: PyTorch's logits and loss to float16 precision, with padding`, async () => {
      const e = expected(name);
      const model = await load(fixture(name));
      const ids = tl.tensor(e.input_ids.flat(), { dtype: 'int32', device: 'webgpu' }).reshape([e.input_ids.length, e.input_ids[0].length]);
      // Int labels for cross-entropy (RoBERTa's), float ones for the multi-label BCE (DistilBERT's).
      const labels = Array.isArray(e.labels[0])
        ? tl.tensor(e.labels.flat(), { device: 'webgpu' }).reshape([e.labels.length, e.labels[0].length])
        : tl.tensor(e.labels, { dtype: 'int32', device: 'webgpu' });
      const { logits, loss } = tl.noGrad(() => model.forward(ids, { attentionMask: e.attention_mask, labels }));
      expect(logits.dtype).toBe('float16');
      expect(relative(await logits.data(), e.logits)).toBeLessThan(2e-2);
      expect(Math.abs(((await loss!.item()) as number) - e.loss) / Math.abs(e.loss)).toBeLessThan(2e-2);
      for (const t of [ids, labels, logits, loss!]) t.dispose();
      model.dispose();
    });
  }

  /** The Llama-family class that reads each fixture. */
  const llamaClass = (name: string) => (name === 'gemma' ? GemmaForCausalLM : name === 'phi3' || name === 'phi3-longrope' ? Phi3ForCausalLM : name === 'qwen3' ? Qwen3ForCausalLM : LlamaForCausalLM);
  /** GPT-NeoX's and OPT's fixtures, by the class that reads them. */
  const NEOX_OPT: Record<string, LoadableClass<CausalLM>> = {
    'gpt-neox': GPTNeoXForCausalLM, 'gpt-neox-sequential': GPTNeoXForCausalLM, opt: OPTForCausalLM, 'opt-350m': OPTForCausalLM,
  };
  /** The class of a Llama-family, Phi, GPT-NeoX or OPT fixture, loaded onto webgpu in `dtype`. */
  const loadCausal = (name: string, dtype: 'float16' | 'float32'): Promise<CausalLM> =>
    NEOX_OPT[name]
      ? NEOX_OPT[name].fromPretrained(fixture(name), { device: 'webgpu', dtype, logger: null })
      : name === 'phi' || name === 'phi-qk'
      ? PhiForCausalLM.fromPretrained(fixture(name), { device: 'webgpu', dtype, logger: null })
      : llamaClass(name).fromPretrained(fixture(name), { device: 'webgpu', dtype, logger: null });

  for (const name of ['llama', 'mistral', 'gemma', 'phi3', 'phi3-longrope', 'qwen3', 'phi', 'phi-qk', ...Object.keys(NEOX_OPT)]) {
    it(`${name} in float16: PyTorch's logits and loss to float16 precision, also left-padded, and a float16 KV cache that generates`, async () => {
      const e = expected(name);
      const model = await loadCausal(name, 'float16');
      const ids = tl.tensor(e.input_ids.flat(), { dtype: 'int32', device: 'webgpu' }).reshape([e.input_ids.length, e.input_ids[0].length]);
      const { logits, loss } = tl.noGrad(() => model.forward(ids, { labels: ids }));
      expect(relative(await logits.data(), e.logits)).toBeLessThan(2e-2);
      expect(Math.abs(((await loss!.item()) as number) - e.loss) / e.loss).toBeLessThan(2e-2);
      // A left-padded batch: the mask is applied in float16 too; compare the real positions.
      const padded = tl.tensor(e.padded_input_ids.flat(), { dtype: 'int32', device: 'webgpu' }).reshape([e.padded_input_ids.length, e.padded_input_ids[0].length]);
      const paddedLogits = tl.noGrad(() => model.forward(padded, { attentionMask: e.padded_attention_mask }).logits);
      const got = await paddedLogits.data();
      const vocab = e.logits_shape[2];
      const width = e.padded_input_ids[0].length;
      const real: number[] = [];
      const want: number[] = [];
      e.padded_attention_mask.forEach((row: number[], b: number) =>
        row.forEach((m, t) => {
          if (!m) return;
          const at = (b * width + t) * vocab;
          real.push(...Array.from(got.subarray(at, at + vocab)));
          want.push(...e.padded_logits.slice(at, at + vocab));
        }),
      );
      expect(relative(real, want)).toBeLessThan(2e-2);
      const generated = await model.generate(ids, { maxNewTokens: 4, eosTokenId: null });
      expect(generated.shape).toEqual([ids.shape[0], ids.shape[1] + 4]);
      for (const t of [ids, logits, loss!, padded, paddedLogits, generated]) t.dispose();
      model.dispose();
    });
  }

  const AUTOCAST: [string, (dir: string) => Promise<CausalLM>][] = [
    ['gpt2', (d) => GPT2LMHeadModel.fromPretrained(d, { device: 'webgpu', dtype: 'float32', logger: null })],
    // phi3-longrope: 3 + 20 tokens cross original_max_position_embeddings 16 (the cache recomputed once).
    ...['llama', 'mistral', 'qwen2', 'gemma', 'phi3', 'phi3-longrope'].map((n): [string, (d: string) => Promise<LlamaForCausalLM>] => [n, (d) => llamaClass(n).fromPretrained(d, { device: 'webgpu', dtype: 'float32', logger: null })]),
    ...['qwen3', 'phi', 'phi-qk'].map((n): [string, () => Promise<CausalLM>] => [n, () => loadCausal(n, 'float32')]),
    ...Object.keys(NEOX_OPT).map((n): [string, () => Promise<CausalLM>] => [n, () => loadCausal(n, 'float32')]),
  ];
  for (const [name, load] of AUTOCAST) {
    it(`${name} under tl.autocast (float32 weights): a float16 KV cache, and 20 greedy tokens as in float32, with and without it`, async () => {
      const model = await load(fixture(name));
      const prompt = [[1, 2, 3]];
      const cache = tl.autocast('webgpu', () => model.createCache(1, 8));
      expect(cache.keys[0].dtype).toBe('float16');
      cache.dispose();
      const full = await model.generate(prompt, { maxNewTokens: 20, eosTokenId: null });
      const cached = await tl.autocast('webgpu', () => model.generate(prompt, { maxNewTokens: 20, eosTokenId: null }));
      const uncached = await tl.autocast('webgpu', () => model.generate(prompt, { maxNewTokens: 20, eosTokenId: null, useCache: false }));
      const want = await full.array();
      expect(await cached.array()).toEqual(want);
      expect(await uncached.array()).toEqual(want);
      for (const t of [full, cached, uncached]) t.dispose();
      model.dispose();
    });
  }

  // phi-2's queries and keys overflow float16 in their product (the hub's float16 Phi gave NaN
  // logits until it upcast them): the phi fixture with q_proj and k_proj scaled until they do.
  it('phi in float16 whose query-key products pass float16\'s range: finite logits near float32\'s (the scores in float32, as the hub\'s Phi)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tensile-phi-overflow-'));
    try {
      for (const f of readdirSync(fixture('phi'))) copyFileSync(path.join(fixture('phi'), f), path.join(dir, f));
      const { tensors } = parseSafetensors(readFileSync(path.join(dir, 'model.safetensors')), { device: 'cpu' });
      const scaled = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, /self_attn\.[qk]_proj\./.test(k) ? t.mul(100) : t]));
      writeFileSync(path.join(dir, 'model.safetensors'), serializeSafetensorsSync(scaled, { format: 'pt' }));
      const half = await PhiForCausalLM.fromPretrained(dir, { device: 'webgpu', dtype: 'float16', logger: null });
      const full = await PhiForCausalLM.fromPretrained(dir, { device: 'webgpu', dtype: 'float32', logger: null });
      const ids = tl.tensor([[3, 7, 11, 2, 5, 9, 14, 1]], { dtype: 'int32', device: 'webgpu' });
      const [a, b] = await Promise.all([half, full].map(async (m) => {
        const { logits } = tl.noGrad(() => m.forward(ids));
        const values = Array.from((await logits.float().data()) as Float32Array);
        logits.dispose();
        return values;
      }));
      expect(a.every(Number.isFinite)).toBe(true);
      expect(relative(a, b)).toBeLessThan(2e-2);
      for (const m of [half, full]) m.dispose();
      ids.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
