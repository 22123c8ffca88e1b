// How checkpoints load: prefixes, tied heads, extra buffers, dtype conversions with notes,
// sharded files, and the errors for checkpoints that do not fit.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSafetensors, serializeSafetensorsSync, serializeTorchCheckpointSync } from '@tensile/nn';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AutoModel, AutoModelForCausalLM, AutoModelForImageClassification, AutoModelForSequenceClassification, AutoModelForZeroShotImageClassification, BertForSequenceClassification, BertModel, CLIPModel,
  CLIPTextModelWithProjection, CLIPVisionModelWithProjection, DistilBertForSequenceClassification, DistilBertModel, GPT2LMHeadModel, GemmaForCausalLM, GemmaRMSNorm,
  LlamaForCausalLM, Phi3ForCausalLM, PhiForCausalLM, Qwen3ForCausalLM, RobertaForSequenceClassification, RobertaModel, ViTForImageClassification,
  GPTNeoXForCausalLM, OPTForCausalLM,
} from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff } from './fixtures.js';

const run = haveFixtures ? describe : describe.skip;
const scratch = mkdtempSync(path.join(tmpdir(), 'tensile-load-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of a fixture directory whose weights (and config) `edit` may change. */
function variant(name: string, edit: (tensors: Record<string, tl.Tensor>, config: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(path.join(scratch, `${name}-`));
  for (const f of readdirSync(fixture(name))) copyFileSync(path.join(fixture(name), f), path.join(dir, f));
  const { tensors } = parseSafetensors(readFileSync(path.join(dir, 'model.safetensors')));
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  edit(tensors, config);
  writeFileSync(path.join(dir, 'model.safetensors'), serializeSafetensorsSync(tensors, { format: 'pt' }));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

run('checkpoints as the hub stores them', () => {
  it('GPT-2 without the transformer. prefix, with attn.bias buffers and no lm_head: tied, buffers skipped quietly', async () => {
    const notes: string[] = [];
    const model = await GPT2LMHeadModel.fromPretrained(fixture('gpt2'), { logger: (m) => notes.push(m) });
    expect(notes).toEqual([]);
    expect(model.loadReport!.unexpectedKeys).toEqual(expect.arrayContaining(['h.0.attn.bias', 'h.1.attn.masked_bias']));
    expect(model.loadReport!.tiedKeys).toEqual(['lm_head.weight']);
    expect(model.lmHead.weight).toBe(model.transformer.wte.weight);
    expect(Object.keys(model.hubStateDict())).not.toContain('lm_head.weight');
    expect(Object.keys(model.stateDict())).toContain('transformer.h.0.attn.c_attn.weight');
    model.dispose();
  });

  it('the same checkpoint with the prefix loads the same weights; a checkpoint lm_head does not untie the head', async () => {
    const prefixed = variant('gpt2', (t) => {
      for (const k of Object.keys(t)) {
        t[`transformer.${k}`] = t[k];
        delete t[k];
      }
      t['lm_head.weight'] = tl.zerosLike(t['transformer.wte.weight']);
    });
    const a = await GPT2LMHeadModel.fromPretrained(fixture('gpt2'), { logger: null });
    const b = await GPT2LMHeadModel.fromPretrained(prefixed, { logger: null });
    expect(b.lmHead.weight.dataSync()).toEqual(a.transformer.wte.weight.dataSync());
    const ids = tl.tensor([[5, 6, 7]], { dtype: 'int32' });
    expect(b.forward(ids).logits.dataSync()).toEqual(a.forward(ids).logits.dataSync());
  });

  it('BERT: gamma/beta names load; a classifier checkpoint without the bert. prefix loads; a bare encoder into the classifier names the missing head', async () => {
    const renamed = variant('bert', (t) => {
      for (const k of Object.keys(t)) {
        const n = k.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
        if (n !== k) {
          t[n] = t[k];
          delete t[k];
        }
      }
    });
    const base = await BertModel.fromPretrained(renamed, { logger: null });
    const ref = await BertModel.fromPretrained(fixture('bert'), { logger: null });
    expect(base.embeddings.layerNorm.weight!.dataSync()).toEqual(ref.embeddings.layerNorm.weight!.dataSync());
    // A classifier from a bare encoder checkpoint: the head is new (test/head-init.test.ts checks how).
    const fresh = await BertForSequenceClassification.fromPretrained(fixture('bert'), { logger: null });
    expect(fresh.loadReport!.initializedKeys).toEqual(['classifier.weight', 'classifier.bias']);
    fresh.dispose();
    const stripped = variant('bert-classifier', (t) => {
      for (const k of Object.keys(t)) {
        if (!k.startsWith('bert.')) continue;
        t[k.slice(5)] = t[k];
        delete t[k];
      }
    });
    const clf = await BertForSequenceClassification.fromPretrained(stripped, { logger: null });
    const clfRef = await BertForSequenceClassification.fromPretrained(fixture('bert-classifier'), { logger: null });
    expect(clf.bert.pooler!.dense.weight.dataSync()).toEqual(clfRef.bert.pooler!.dense.weight.dataSync());
  });

  it('RoBERTa: a base checkpoint\'s pooler is skipped quietly by the classifier, which gets a new head; a missing pooler is named; xlm-roberta and camembert load', async () => {
    const fresh = await RobertaForSequenceClassification.fromPretrained(fixture('roberta'), { logger: null });
    expect(fresh.loadReport!.initializedKeys).toEqual(['classifier.dense.weight', 'classifier.dense.bias', 'classifier.out_proj.weight', 'classifier.out_proj.bias']);
    fresh.dispose();
    // The classifier has no pooler, so a RobertaModel (which has one) cannot come from it.
    await expect(RobertaModel.fromPretrained(fixture('roberta-classifier'), { logger: null })).rejects.toThrow(
      /lacks 2 weight\(s\) RobertaModel needs: pooler\.dense\.weight, pooler\.dense\.bias/,
    );
    // ... unless asked for without one (the hub's add_pooling_layer=False).
    const bare = await RobertaModel.fromPretrained(fixture('roberta-classifier'), { logger: null, addPoolingLayer: false });
    expect(bare.pooler).toBeNull();
    expect(bare.loadReport!.unexpectedKeys.sort()).toEqual(['classifier.dense.bias', 'classifier.dense.weight', 'classifier.out_proj.bias', 'classifier.out_proj.weight']);
    bare.dispose();
    const bert = await BertModel.fromPretrained(fixture('bert'), { logger: null, addPoolingLayer: false });
    expect(bert.pooler).toBeNull();
    expect(bert.loadReport!.unexpectedKeys).toContain('bert.pooler.dense.weight');
    bert.dispose();
    await expect(GPT2LMHeadModel.fromPretrained(fixture('gpt2'), { logger: null, addPoolingLayer: false })).rejects.toThrow(
      "GPT2LMHeadModel.fromPretrained: option 'addPoolingLayer' is not one GPT2LMHeadModel takes",
    );
    const base = parseSafetensors(readFileSync(path.join(fixture('roberta'), 'model.safetensors'))).tensors;
    const withPooler = variant('roberta-classifier', (t) => {
      for (const k of ['roberta.pooler.dense.weight', 'roberta.pooler.dense.bias']) t[k] = base[k];
    });
    const notes: string[] = [];
    const clf = await RobertaForSequenceClassification.fromPretrained(withPooler, { logger: (m) => notes.push(m) });
    expect(notes).toEqual([]);
    expect(clf.loadReport!.unexpectedKeys.sort()).toEqual(['roberta.pooler.dense.bias', 'roberta.pooler.dense.weight']);
    expect(Object.keys(clf.stateDict())).toContain('classifier.out_proj.weight');
    expect(Object.keys(clf.stateDict()).some((k) => k.includes('pooler'))).toBe(false);
    for (const modelType of ['xlm-roberta', 'camembert']) {
      const m = await RobertaModel.fromPretrained(fixture('roberta'), { logger: null, config: { model_type: modelType } });
      expect(m.embeddings.positionEmbeddings.weight.dataSync()).toEqual(base['roberta.embeddings.position_embeddings.weight'].dataSync());
      m.dispose();
    }
    clf.dispose();
  });

  it('the decoders\' pad_token_id row is a padding row, as the hub\'s nn.Embedding(..., padding_idx): no gradient reaches it', async () => {
    // Untied heads: a tied one gives the shared row a gradient through the head, on the hub too.
    for (const [name, cls] of [['llama', LlamaForCausalLM], ['mistral', LlamaForCausalLM], ['phi3', Phi3ForCausalLM]] as const) {
      const model = await (cls as typeof LlamaForCausalLM).fromPretrained(fixture(name), { logger: null });
      const pad = JSON.parse(readFileSync(path.join(fixture(name), 'config.json'), 'utf8')).pad_token_id as number;
      const weight = model.model.embedTokens.weight;
      model.forward(tl.tensor([[pad, 3, pad, 5]], { dtype: 'int32' })).logits.sum().backward();
      const dim = weight.shape[1];
      const grad = weight.grad!.dataSync() as Float32Array;
      expect(Array.from(grad.slice(pad * dim, (pad + 1) * dim)).every((v) => v === 0), name).toBe(true);
      expect(Array.from(grad.slice(3 * dim, 4 * dim)).some((v) => v !== 0), name).toBe(true);
      model.dispose();
    }
  });

  it('DistilBERT: sinusoidal_pos_embds makes the frozen sin/cos table, which a checkpoint still loads over; padding rows start at zero as the hub initialises them', async () => {
    const config = { ...JSON.parse(readFileSync(path.join(fixture('distilbert'), 'config.json'), 'utf8')), sinusoidal_pos_embds: true };
    const fresh = new DistilBertModel(config);
    const positions = fresh.embeddings.positionEmbeddings.weight;
    expect(positions.requiresGrad).toBe(false);
    fresh.forward(tl.tensor([[1, 2, 3]], { dtype: 'int32' })).lastHiddenState.sum().backward();
    expect(positions.grad).toBeNull();
    expect(fresh.embeddings.wordEmbeddings.weight.grad).not.toBeNull();
    const dim: number = config.dim;
    const table = positions.dataSync() as Float32Array;
    expect(Array.from(table.slice(0, 4))).toEqual([0, 1, 0, 1]);
    expect(table[3 * dim]).toBeCloseTo(Math.sin(3), 6);
    expect(table[3 * dim + 1]).toBeCloseTo(Math.cos(3), 6);
    expect(table[3 * dim + 3]).toBeCloseTo(Math.cos(3 / 10000 ** (2 / dim)), 6);
    const pad: number = config.pad_token_id ?? 0;
    const word = fresh.embeddings.wordEmbeddings.weight.dataSync() as Float32Array;
    expect(Array.from(word.slice(pad * dim, (pad + 1) * dim)).every((v) => v === 0)).toBe(true);
    expect(Array.from(word.slice((pad + 1) * dim, (pad + 2) * dim)).some((v) => v !== 0)).toBe(true);
    const bert = new BertModel(JSON.parse(readFileSync(path.join(fixture('bert'), 'config.json'), 'utf8')));
    const bertPad = bert.embeddings.wordEmbeddings.paddingIdx!;
    const hidden = bert.embeddings.wordEmbeddings.embeddingDim;
    expect(Array.from((bert.embeddings.wordEmbeddings.weight.dataSync() as Float32Array).slice(bertPad * hidden, (bertPad + 1) * hidden)).every((v) => v === 0)).toBe(true);
    const learned = await DistilBertModel.fromPretrained(fixture('distilbert'), { logger: null });
    const loaded = await DistilBertModel.fromPretrained(fixture('distilbert'), { logger: null, config: { sinusoidal_pos_embds: true } });
    expect(loaded.embeddings.positionEmbeddings.weight.dataSync()).toEqual(learned.embeddings.positionEmbeddings.weight.dataSync());
    expect(loaded.embeddings.positionEmbeddings.weight.requiresGrad).toBe(false);
    for (const m of [fresh, bert, learned, loaded]) m.dispose();
  });

  it('DistilBERT: a classifier checkpoint without the distilbert. prefix loads; a bare encoder into the classifier gets a new head', async () => {
    const fresh = await DistilBertForSequenceClassification.fromPretrained(fixture('distilbert'), { logger: null });
    expect(fresh.loadReport!.initializedKeys).toEqual(['pre_classifier.weight', 'pre_classifier.bias', 'classifier.weight', 'classifier.bias']);
    fresh.dispose();
    const stripped = variant('distilbert-classifier', (t) => {
      for (const k of Object.keys(t)) {
        if (!k.startsWith('distilbert.')) continue;
        t[k.slice('distilbert.'.length)] = t[k];
        delete t[k];
      }
    });
    const clf = await DistilBertForSequenceClassification.fromPretrained(stripped, { logger: null });
    const ref = await DistilBertForSequenceClassification.fromPretrained(fixture('distilbert-classifier'), { logger: null });
    const key = 'distilbert.transformer.layer.1.attention.out_lin.weight';
    expect(clf.stateDict()[key].dataSync()).toEqual(ref.stateDict()[key].dataSync());
    expect(Object.keys(ref.stateDict())).toEqual(expect.arrayContaining(['distilbert.transformer.layer.0.sa_layer_norm.weight', 'distilbert.transformer.layer.0.ffn.lin1.weight']));
    clf.dispose();
    ref.dispose();
  });

  it('refuses the config values RoBERTa and DistilBERT do not implement, naming the field', async () => {
    await expect(RobertaModel.fromPretrained(fixture('roberta'), { logger: null, config: { position_embedding_type: 'relative_key' } })).rejects.toThrow(
      /RobertaModel: position_embedding_type 'relative_key' is not supported/,
    );
    await expect(DistilBertModel.fromPretrained(fixture('distilbert'), { logger: null, config: { activation: 'gelu_10' } })).rejects.toThrow(
      /DistilBertModel: activation 'gelu_10' is not supported/,
    );
    await expect(DistilBertModel.fromPretrained(fixture('roberta'))).rejects.toThrow(/model_type 'roberta'; DistilBertModel reads distilbert/);
  });

  it('CLIP: the towers alone report the other tower\'s keys; a tower checkpoint with its own config loads; what CLIP does not implement is refused, naming the field', async () => {
    const notes: string[] = [];
    const text = await CLIPTextModelWithProjection.fromPretrained(fixture('clip'), { logger: (m) => notes.push(m) });
    expect(notes.join('\n')).toMatch(/checkpoint key\(s\) were not used by CLIPTextModelWithProjection: .*vision_model\./);
    expect(text.loadReport!.unexpectedKeys).toEqual(expect.arrayContaining(['logit_scale', 'visual_projection.weight', 'text_model.embeddings.position_ids']));
    expect(Object.keys(text.hubStateDict()).every((k) => k.startsWith('text_model.') || k === 'text_projection.weight')).toBe(true);
    // As a clip_vision_model checkpoint stores it (a CLIPVisionConfig at the top level): the vision keys only.
    const config = JSON.parse(readFileSync(path.join(fixture('clip'), 'config.json'), 'utf8'));
    const visionOnly = variant('clip', (t, c) => {
      for (const k of Object.keys(t)) if (!k.startsWith('vision_model.') && k !== 'visual_projection.weight') delete t[k];
      for (const k of Object.keys(c)) delete c[k];
      Object.assign(c, { ...config.vision_config, architectures: ['CLIPVisionModelWithProjection'] });
    });
    const vision = await CLIPVisionModelWithProjection.fromPretrained(visionOnly, { logger: null });
    const whole = await CLIPModel.fromPretrained(fixture('clip'), { logger: null });
    expect(vision.visionModel.embeddings.classEmbedding.dataSync()).toEqual(whole.visionModel.embeddings.classEmbedding.dataSync());
    expect(whole.logitScale.shape).toEqual([]);
    await expect(CLIPModel.fromPretrained(visionOnly)).rejects.toThrow(/model_type 'clip_vision_model'; CLIPModel reads clip/);

    const e = expected('clip');
    const ids = tl.tensor(e.input_ids, { dtype: 'int32' });
    const pixels = tl.tensor(e.pixel_values).reshape(e.pixel_shape);
    expect(() => whole.forward(ids, pixels.narrow(0, 0, 2), { returnLoss: true })).toThrow(/CLIPModel\.forward: returnLoss pairs text i with image i; got 3 texts and 2 images/);
    expect(() => whole.getImageFeatures(tl.zeros([1, 3, 8, 8]))).toThrow(/CLIPModel vision_config\.forward: pixelValues must be \[batch, 3, 16, 16\] \(interpolatePosEncoding takes other sizes\), got \[1,3,8,8\]/);
    expect(() => whole.getTextFeatures(tl.zeros([1, 9], { dtype: 'int32' }))).toThrow(/9 tokens exceed max_position_embeddings 8/);

    const refused = (edit: (c: Record<string, any>) => void) => {
      const c = structuredClone(config);
      edit(c);
      return CLIPModel.fromPretrained(fixture('clip'), { logger: null, config: c });
    };
    await expect(refused((c) => (c.text_config.hidden_act = 'gelu_10'))).rejects.toThrow(/CLIPModel text_config: activation 'gelu_10' is not supported/);
    await expect(refused((c) => (c.vision_config.hidden_act = 'mish'))).rejects.toThrow(/CLIPModel vision_config: activation 'mish' is not supported/);
    await expect(refused((c) => (c.vision_config.patch_size = 5))).rejects.toThrow(/CLIPModel vision_config: image_size 16 is not a multiple of patch_size 5/);
    await expect(refused((c) => (c.text_config.eos_token_id = [2, 3]))).rejects.toThrow(/CLIPModel text_config: config field 'eos_token_id' should be a number/);
    await expect(CLIPModel.fromPretrained(variant('clip', (_, c) => delete c.text_config))).rejects.toThrow(/CLIPModel: config\.json has no 'text_config'/);
    for (const m of [text, vision, whole]) m.dispose();
  });

  it('Gemma: a bfloat16 checkpoint without lm_head ties the head by default; Phi-3 keeps its fused projections', async () => {
    const notes: string[] = [];
    const gemma = await GemmaForCausalLM.fromPretrained(fixture('gemma'), { logger: (m) => notes.push(m) });
    expect(notes.join('\n')).toMatch(/stored as bfloat16 were converted to float32/);
    expect(gemma.loadReport!.tiedKeys).toEqual(['lm_head.weight']);
    expect(gemma.lmHead.weight).toBe(gemma.model.embedTokens.weight);
    expect(Object.keys(gemma.hubStateDict())).not.toContain('lm_head.weight');
    const phi = await Phi3ForCausalLM.fromPretrained(fixture('phi3'), { logger: null });
    const keys = Object.keys(phi.hubStateDict());
    expect(keys).toEqual(expect.arrayContaining(['model.layers.1.self_attn.qkv_proj.weight', 'model.layers.1.mlp.gate_up_proj.weight', 'lm_head.weight']));
    expect(keys.some((k) => /\.(q|k|v|gate|up)_proj\./.test(k))).toBe(false);
    expect(phi.stateDict()['model.layers.0.self_attn.qkv_proj.weight'].shape).toEqual([64, 32]); // (4 + 2·2) heads · 8
    // Each class reads its own model_type only.
    await expect(LlamaForCausalLM.fromPretrained(fixture('gemma'))).rejects.toThrow(/model_type 'gemma'; LlamaForCausalLM reads llama, qwen2, mistral/);
    await expect(Phi3ForCausalLM.fromPretrained(fixture('llama'))).rejects.toThrow(/model_type 'llama'; Phi3ForCausalLM reads phi3/);
    for (const m of [gemma, phi]) m.dispose();
  });

  it('refuses the config values Gemma and Phi-3 do not implement, naming the field', async () => {
    // longrope and su are read (see qwen2moe-phi3.test.ts); other types, and factor lists of another length, are not.
    const longrope = { type: 'longrope', short_factor: [1, 1, 1], long_factor: [2, 2, 2] };
    await expect(Phi3ForCausalLM.fromPretrained(fixture('phi3'), { logger: null, config: { rope_scaling: longrope } })).rejects.toThrow(
      /Phi3ForCausalLM: rope_scaling.short_factor must list 4 positive numbers/,
    );
    await expect(Phi3ForCausalLM.fromPretrained(fixture('phi3'), { logger: null, config: { rope_scaling: { type: 'dynamic', factor: 2 } } })).rejects.toThrow(
      /Phi3ForCausalLM: rope_scaling type 'dynamic' is not supported/,
    );
    await expect(Phi3ForCausalLM.fromPretrained(fixture('phi3'), { logger: null, config: { partial_rotary_factor: 0.7 } })).rejects.toThrow(
      /Phi3ForCausalLM: partial_rotary_factor 0.7 is not supported \(it gives 5 rotary features of a 8-wide head/,
    );
    await expect(GemmaForCausalLM.fromPretrained(fixture('gemma'), { logger: null, config: { use_adarms: true } })).rejects.toThrow(
      /GemmaForCausalLM: use_adarms \(adaptive RMSNorm\) is not supported/,
    );
    await expect(GemmaForCausalLM.fromPretrained(fixture('gemma'), { logger: null, config: { hidden_activation: 'gelu_exact' } })).rejects.toThrow(
      /GemmaForCausalLM: activation 'gelu_exact' is not supported/,
    );
    // A config without model_type builds the class's own variant; another class's model_type is refused.
    const config = JSON.parse(readFileSync(path.join(fixture('gemma'), 'config.json'), 'utf8'));
    delete config.model_type;
    const bare = new GemmaForCausalLM(config);
    expect(bare.model.norm).toBeInstanceOf(GemmaRMSNorm);
    expect(bare.lmHead.weight).toBe(bare.model.embedTokens.weight);
    expect(() => new Phi3ForCausalLM({ ...config, model_type: 'llama' })).toThrow(/Phi3ForCausalLM: model_type 'llama' is not one it reads/);
    bare.dispose();
  });

  it('Qwen3 and Phi load with the hub\'s keys (Qwen3\'s q_norm / k_norm; Phi\'s tied lm_head.weight beside its own bias) and refuse what they do not implement, naming the field', async () => {
    const notes: string[] = [];
    const qwen = await Qwen3ForCausalLM.fromPretrained(fixture('qwen3'), { logger: (m) => notes.push(m) });
    expect(notes.join('\n')).toMatch(/stored as bfloat16 were converted to float32/);
    expect(qwen.loadReport!.tiedKeys).toEqual(['lm_head.weight']);
    expect(qwen.lmHead.weight).toBe(qwen.model.embedTokens.weight);
    const qwenState = qwen.hubStateDict();
    expect(qwenState['model.layers.1.self_attn.k_norm.weight'].shape).toEqual([12]);
    expect(qwenState['model.layers.0.self_attn.q_proj.weight'].shape).toEqual([48, 32]); // 4 heads · head_dim 12, not hidden_size 32
    expect(qwenState['model.layers.0.self_attn.k_proj.weight'].shape).toEqual([24, 32]); // 2 key/value heads
    expect(Object.keys(qwenState)).not.toContain('lm_head.weight');
    const phi = await PhiForCausalLM.fromPretrained(fixture('phi-qk'), { logger: null });
    expect(phi.loadReport!.tiedKeys).toEqual(['lm_head.weight']);
    expect(phi.lmHead.weight).toBe(phi.model.embedTokens.weight);
    const phiKeys = Object.keys(phi.hubStateDict());
    expect(phiKeys).toEqual(expect.arrayContaining(['lm_head.bias', 'model.layers.1.self_attn.q_layernorm.bias', 'model.layers.1.self_attn.dense.bias', 'model.final_layernorm.weight']));
    expect(phiKeys).not.toContain('lm_head.weight');
    const phi2 = await PhiForCausalLM.fromPretrained(fixture('phi'), { logger: null });
    expect(phi2.loadReport!.tiedKeys).toEqual([]);
    expect(Object.keys(phi2.hubStateDict()).some((k) => k.includes('layernorm.') && k.includes('self_attn'))).toBe(false);
    // Each class reads its own model_type only.
    await expect(Qwen3ForCausalLM.fromPretrained(fixture('qwen2'))).rejects.toThrow(/model_type 'qwen2'; Qwen3ForCausalLM reads qwen3/);
    await expect(PhiForCausalLM.fromPretrained(fixture('phi3'))).rejects.toThrow(/model_type 'phi3'; PhiForCausalLM reads phi/);
    const phiConfig = JSON.parse(readFileSync(path.join(fixture('phi'), 'config.json'), 'utf8'));
    expect(() => new PhiForCausalLM({ ...phiConfig, model_type: 'phi3' })).toThrow(/PhiForCausalLM: model_type 'phi3' is not one it reads \(phi\)/);
    const qwenRefuses = (config: Record<string, unknown>) => expect(Qwen3ForCausalLM.fromPretrained(fixture('qwen3'), { logger: null, config })).rejects;
    const phiRefuses = (config: Record<string, unknown>) => expect(PhiForCausalLM.fromPretrained(fixture('phi'), { logger: null, config })).rejects;
    await qwenRefuses({ use_sliding_window: true, sliding_window: 4 }).toThrow(/Qwen3ForCausalLM: use_sliding_window \(per-layer windows from max_window_layers\) is not supported/);
    await qwenRefuses({ layer_types: ['full_attention', 'sliding_attention'] }).toThrow(/Qwen3ForCausalLM: layer_types 'sliding_attention' is not supported/);
    await qwenRefuses({ rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32768 } }).toThrow(/Qwen3ForCausalLM: rope_scaling type 'yarn' is not supported/);
    await phiRefuses({ rope_scaling: { type: 'dynamic', factor: 2 } }).toThrow(/PhiForCausalLM: rope_scaling type 'dynamic' is not supported/);
    await phiRefuses({ partial_rotary_factor: 0.375 }).toThrow(/PhiForCausalLM: partial_rotary_factor 0.375 is not supported \(it gives 3 rotary features of a 8-wide head/);
    await phiRefuses({ partial_rotary_factor: 0.1 }).toThrow(/PhiForCausalLM: partial_rotary_factor 0.1 is not supported/);
    await phiRefuses({ head_dim: 16 }).toThrow(/PhiForCausalLM: head_dim 16 is not supported/);
    await phiRefuses({ hidden_act: 'gelu_10' }).toThrow(/PhiForCausalLM: activation 'gelu_10' is not supported/);
    await phiRefuses({ num_key_value_heads: 3 }).toThrow(/PhiForCausalLM: num_attention_heads 4 is not a multiple of num_key_value_heads 3/);
    for (const m of [qwen, phi, phi2]) m.dispose();
  });

  it('GPT-NeoX: Pythia\'s old attention.bias / masked_bias / rotary_emb.inv_freq buffers are skipped quietly; embed_out is its own weight unless tied', async () => {
    const notes: string[] = [];
    const pythia = await GPTNeoXForCausalLM.fromPretrained(fixture('gpt-neox'), { logger: (m) => notes.push(m) });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/stored as float16 were converted to float32/);
    expect(pythia.loadReport!.unexpectedKeys).toEqual(expect.arrayContaining([
      'gpt_neox.layers.0.attention.bias', 'gpt_neox.layers.1.attention.masked_bias', 'gpt_neox.layers.1.attention.rotary_emb.inv_freq',
    ]));
    expect(pythia.loadReport!.tiedKeys).toEqual([]);
    expect(pythia.embedOut.weight).not.toBe(pythia.gptNeox.embedIn.weight);
    const keys = Object.keys(pythia.hubStateDict());
    expect(keys).toEqual(expect.arrayContaining(['gpt_neox.embed_in.weight', 'gpt_neox.layers.1.attention.query_key_value.bias', 'gpt_neox.layers.0.mlp.dense_h_to_4h.weight',
      'gpt_neox.layers.0.post_attention_layernorm.weight', 'gpt_neox.final_layer_norm.bias', 'embed_out.weight']));
    expect(keys.some((k) => /attention\.(bias|masked_bias|rotary_emb)/.test(k))).toBe(false);
    expect(pythia.stateDict()['gpt_neox.layers.0.attention.query_key_value.weight'].shape).toEqual([96, 32]);
    const tied = await GPTNeoXForCausalLM.fromPretrained(fixture('gpt-neox-sequential'), { logger: null });
    expect(tied.loadReport!.tiedKeys).toEqual(['embed_out.weight']);
    expect(tied.embedOut.weight).toBe(tied.gptNeox.embedIn.weight);
    expect(Object.keys(tied.hubStateDict())).not.toContain('embed_out.weight');
    expect(Object.keys(tied.hubStateDict()).some((k) => k.endsWith('attention.dense.bias'))).toBe(false); // attention_bias false
    // The same weights without the gpt_neox. prefix load the same model.
    const bare = variant('gpt-neox-sequential', (t) => {
      for (const k of Object.keys(t)) {
        t[k.replace(/^gpt_neox\./, '')] = t[k];
        if (k.startsWith('gpt_neox.')) delete t[k];
      }
    });
    const again = await GPTNeoXForCausalLM.fromPretrained(bare, { logger: null });
    const ids = tl.tensor([[5, 6, 7, 8]], { dtype: 'int32' });
    expect(again.forward(ids).logits.dataSync()).toEqual(tied.forward(ids).logits.dataSync());
    await expect(GPTNeoXForCausalLM.fromPretrained(fixture('opt'))).rejects.toThrow(/model_type 'opt'; GPTNeoXForCausalLM reads gpt_neox/);
    for (const m of [pythia, tied, again]) m.dispose();
  });

  it('OPT: with or without the model. prefix, the head tied to embed_tokens; opt-350m\'s project_in / project_out and no final layer norm', async () => {
    const opt = await OPTForCausalLM.fromPretrained(fixture('opt'), { logger: null });
    expect(opt.loadReport!.tiedKeys).toEqual(['lm_head.weight']);
    expect(opt.lmHead.weight).toBe(opt.model.decoder.embedTokens.weight);
    expect(opt.model.decoder.projectIn).toBeNull();
    expect(opt.stateDict()['model.decoder.embed_positions.weight'].shape).toEqual([66, 32]); // max_position_embeddings + OPT's offset 2
    expect(Object.keys(opt.hubStateDict())).toEqual(expect.arrayContaining(['model.decoder.final_layer_norm.weight', 'model.decoder.layers.1.self_attn.out_proj.bias',
      'model.decoder.layers.0.self_attn_layer_norm.weight', 'model.decoder.layers.0.fc1.weight', 'model.decoder.layers.0.final_layer_norm.bias']));
    expect(Object.keys(opt.hubStateDict())).not.toContain('lm_head.weight');
    const notes: string[] = [];
    const m350 = await OPTForCausalLM.fromPretrained(fixture('opt-350m'), { logger: (m) => notes.push(m) });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/stored as float16 were converted to float32/);
    expect(readFileSync(path.join(fixture('opt-350m'), 'model.safetensors')).toString('latin1')).not.toContain('"model.decoder.');
    expect(m350.model.decoder.finalLayerNorm).toBeNull();
    expect(m350.model.decoder.projectIn!.weight.shape).toEqual([32, 16]);
    expect(m350.lmHead.weight.shape).toEqual([m350.config.vocab_size, 16]);
    // Positions come from the attention mask: a left-padded row gives the unpadded row's logits.
    const ids = [[2, 120, 260, 36]];
    const alone = m350.forward(tl.tensor(ids, { dtype: 'int32' })).logits.dataSync() as Float32Array;
    const padded = m350.forward(tl.tensor([[1, 1, ...ids[0]]], { dtype: 'int32' }), { attentionMask: [[0, 0, 1, 1, 1, 1]] }).logits.dataSync() as Float32Array;
    expect(maxDiff(padded.subarray(2 * alone.length / 4), alone)).toBeLessThan(1e-5);
    await expect(OPTForCausalLM.fromPretrained(fixture('gpt2'))).rejects.toThrow(/model_type 'gpt2'; OPTForCausalLM reads opt/);
    for (const m of [opt, m350]) m.dispose();
  });

  it('refuses the config values GPT-NeoX and OPT do not implement, naming the field', async () => {
    const neox = (config: Record<string, unknown>) => GPTNeoXForCausalLM.fromPretrained(fixture('gpt-neox'), { logger: null, config });
    await expect(neox({ rope_scaling: { type: 'dynamic', factor: 2 } })).rejects.toThrow(/GPTNeoXForCausalLM: rope_scaling type 'dynamic' is not supported/);
    await expect(neox({ hidden_act: 'gelu_10' })).rejects.toThrow(/GPTNeoXForCausalLM: activation 'gelu_10' is not supported/);
    await expect(neox({ rotary_pct: 0.375 })).rejects.toThrow(/GPTNeoXForCausalLM: rotary_pct 0.375 of head size 8 gives 3 rotary features, which must be even/);
    await expect(neox({ partial_rotary_factor: 0.25 })).rejects.toThrow(/GPTNeoXForCausalLM: config fields 'rotary_pct' 0.5 and 'partial_rotary_factor' 0.25 disagree/);
    await expect(neox({ rope_parameters: { rope_type: 'yarn', factor: 2, rope_theta: 10000 } })).rejects.toThrow(/GPTNeoXForCausalLM: rope_scaling type 'yarn' is not supported/);
    await expect(neox({ rope_parameters: { rope_type: 'default', rope_theta: 500 } })).rejects.toThrow(/GPTNeoXForCausalLM: config fields 'rotary_emb_base' 10000 and 'rope_parameters\.rope_theta' 500 disagree/);
    await expect(neox({ num_attention_heads: 5 })).rejects.toThrow(/GPTNeoXForCausalLM: hidden_size 32 is not divisible by num_attention_heads 5/);
    const opt = (config: Record<string, unknown>) => OPTForCausalLM.fromPretrained(fixture('opt'), { logger: null, config });
    await expect(opt({ layerdrop: 0.1 })).rejects.toThrow(/OPTForCausalLM: layerdrop 0.1 is not supported/);
    await expect(opt({ activation_function: 'gelu_10' })).rejects.toThrow(/OPTForCausalLM: activation 'gelu_10' is not supported/);
    await expect(opt({ do_layer_norm_before: 'yes' })).rejects.toThrow(/OPTForCausalLM: config field 'do_layer_norm_before' should be a boolean/);
    // A checkpoint whose weights do not fit the config names them.
    await expect(opt({ word_embed_proj_dim: 16 })).rejects.toThrow(/'model\.decoder\.embed_tokens\.weight' in model\.safetensors .* has shape \[\d+,32\], but OPTForCausalLM\.model\.decoder\.embed_tokens\.weight is \[\d+,16\]/);
  });

  it('bfloat16 and float16 checkpoints convert to float32 with a note; a sharded index loads', async () => {
    const notes: string[] = [];
    const qwen = await LlamaForCausalLM.fromPretrained(fixture('qwen2'), { logger: (m) => notes.push(m) });
    expect(qwen.dtype).toBe('float32');
    expect(notes.join('\n')).toMatch(/tensor\(s\) stored as bfloat16 were converted to float32 on load \(Tensile has no bfloat16/);
    notes.length = 0;
    await LlamaForCausalLM.fromPretrained(fixture('mistral'), { logger: (m) => notes.push(m) });
    expect(notes.join('\n')).toMatch(/stored as float16 were converted to float32/);
    const llama = await LlamaForCausalLM.fromPretrained(fixture('llama'), { logger: null });
    expect(readdirSync(fixture('llama')).filter((f) => f.endsWith('.safetensors'))).toHaveLength(2);
    expect(llama.lmHead.weight).not.toBe(llama.model.embedTokens.weight);
    expect(Object.keys(llama.hubStateDict())).toContain('lm_head.weight');
  });

  it('torch.save weights, as older hub repos hold them: pytorch_model.bin, and .bin shards listed in an index', async () => {
    // The same weights as the safetensors fixtures, saved by torch.save (tools/generate_fixtures.py).
    expect(readdirSync(fixture('bert-bin'))).toContain('pytorch_model.bin');
    const fromBin = await BertModel.fromPretrained(fixture('bert-bin'), { logger: null });
    const fromSafetensors = await BertModel.fromPretrained(fixture('bert'), { logger: null });
    for (const [k, t] of Object.entries(fromSafetensors.stateDict())) expect(Array.from(fromBin.stateDict()[k].dataSync()), k).toEqual(Array.from(t.dataSync()));
    const e = expected('bert-bin');
    const { lastHiddenState } = fromBin.forward(tl.tensor(e.input_ids, { dtype: 'int32' }), {
      attentionMask: tl.tensor(e.attention_mask, { dtype: 'int32' }), tokenTypeIds: tl.tensor(e.token_type_ids, { dtype: 'int32' }),
    });
    expect(maxDiff(lastHiddenState.dataSync(), e.last_hidden_state)).toBeLessThan(1e-4);
    const shards = readdirSync(fixture('llama-bin')).filter((f) => f.endsWith('.bin')).sort();
    expect(shards).toHaveLength(2);
    // The first shard is in the legacy format (a pickle, not a zip archive), the second in today's.
    expect(shards.map((f) => readFileSync(path.join(fixture('llama-bin'), f))[0])).toEqual([0x80, 0x50]);
    const llama = await LlamaForCausalLM.fromPretrained(fixture('llama-bin'), { logger: null });
    const ref = await LlamaForCausalLM.fromPretrained(fixture('llama'), { logger: null });
    const ids = tl.tensor([[1, 5, 9, 2]], { dtype: 'int32' });
    expect(maxDiff(llama.forward(ids).logits.dataSync(), ref.forward(ids).logits.dataSync())).toBe(0);
    for (const m of [fromBin, fromSafetensors, llama, ref]) m.dispose();
  });

  it('a torch.save file that is not a state dict is refused, naming the file', async () => {
    const dir = mkdtempSync(path.join(scratch, 'bin-'));
    copyFileSync(path.join(fixture('bert-bin'), 'config.json'), path.join(dir, 'config.json'));
    writeFileSync(path.join(dir, 'pytorch_model.bin'), serializeTorchCheckpointSync({ state_dict: { w: tl.ones([2]) }, epoch: 3 }));
    await expect(BertModel.fromPretrained(dir, { logger: null })).rejects.toThrow(
      /fromPretrained: pytorch_model\.bin in .*: holds 'state_dict', 'epoch' beside its tensors; a weight file is a state dict/,
    );
  });

  it('float16 weights where the device holds them; a clear note where it does not', async () => {
    const notes: string[] = [];
    const model = await GPT2LMHeadModel.fromPretrained(fixture('gpt2'), { dtype: 'float16', device: 'cpu', logger: (m) => notes.push(m) });
    expect(model.dtype).toBe(tl.isDTypeSupported('float16', 'cpu') ? 'float16' : 'float32');
    if (!tl.isDTypeSupported('float16', 'cpu')) expect(notes.join('\n')).toMatch(/float16 is not supported on 'cpu'; the weights stay float32/);
  });
});

run('the Auto classes', () => {
  it('pick the class config.json\'s model_type names, and load with it', async () => {
    const causal: Record<string, unknown> = { gpt2: GPT2LMHeadModel, llama: LlamaForCausalLM, qwen2: LlamaForCausalLM, mistral: LlamaForCausalLM, gemma: GemmaForCausalLM, phi3: Phi3ForCausalLM, qwen3: Qwen3ForCausalLM, phi: PhiForCausalLM, 'gpt-neox': GPTNeoXForCausalLM, 'opt-350m': OPTForCausalLM };
    for (const [name, cls] of Object.entries(causal)) {
      const model = await AutoModelForCausalLM.fromPretrained(fixture(name), { logger: null });
      expect(model, name).toBeInstanceOf(cls);
      // The same weights as the class's own fromPretrained.
      const direct = await (cls as typeof GPT2LMHeadModel).fromPretrained(fixture(name), { logger: null });
      const input = tl.tensor([[1, 2, 3]], { dtype: 'int32' });
      expect(maxDiff(model.forward(input).logits.dataSync() as Float32Array, direct.forward(input).logits.dataSync() as Float32Array), name).toBe(0);
      model.dispose();
      direct.dispose();
    }
    const classifiers: Record<string, unknown> = { 'bert-classifier': BertForSequenceClassification, 'roberta-classifier': RobertaForSequenceClassification, 'distilbert-classifier': DistilBertForSequenceClassification };
    for (const [name, cls] of Object.entries(classifiers)) {
      const model = await AutoModelForSequenceClassification.fromPretrained(fixture(name), { logger: null });
      expect(model, name).toBeInstanceOf(cls);
      model.dispose();
    }
    expect(await AutoModelForImageClassification.fromPretrained(fixture('vit'), { logger: null })).toBeInstanceOf(ViTForImageClassification);
    const bases: Record<string, unknown> = { bert: BertModel, roberta: RobertaModel, distilbert: DistilBertModel, clip: CLIPModel };
    for (const [name, cls] of Object.entries(bases)) {
      const model = await AutoModel.fromPretrained(fixture(name), { logger: null });
      expect(model, name).toBeInstanceOf(cls);
      model.dispose();
    }
    // fromPretrained's options reach the class: BertModel without its pooler.
    const bare = await AutoModel.fromPretrained(fixture('bert'), { logger: null, addPoolingLayer: false });
    expect((bare as BertModel).pooler).toBeNull();
    bare.dispose();
    const zeroShot = await AutoModelForZeroShotImageClassification.fromPretrained(fixture('clip'), { logger: null });
    expect(zeroShot).toBeInstanceOf(CLIPModel);
    zeroShot.dispose();
    expect(AutoModelForCausalLM.modelTypes).toEqual(['gpt2', 'llama', 'qwen2', 'mistral', 'gemma', 'gemma2', 'phi3', 'qwen3', 'mixtral', 'qwen2_moe', 'phi', 'gpt_neox', 'opt']);
  });

  it('name the model types they know when a checkpoint has another, and need a model_type', async () => {
    await expect(AutoModelForCausalLM.fromPretrained(fixture('bert'))).rejects.toThrow("AutoModelForCausalLM: model_type 'bert' is not one it knows (gpt2, llama, qwen2, mistral, gemma, gemma2, phi3, qwen3, mixtral, qwen2_moe, phi, gpt_neox, opt)");
    await expect(AutoModelForSequenceClassification.fromPretrained(fixture('gpt2'))).rejects.toThrow(/model_type 'gpt2' is not one it knows \(bert, roberta, xlm-roberta, camembert, distilbert\)/);
    await expect(AutoModel.fromPretrained(fixture('llama'))).rejects.toThrow("AutoModel: model_type 'llama' is not one it knows (bert, roberta, xlm-roberta, camembert, distilbert, clip, t5, mt5, whisper)");
    const untyped = variant('gpt2', (_, config) => delete config.model_type);
    await expect(AutoModelForCausalLM.fromPretrained(untyped)).rejects.toThrow(/AutoModelForCausalLM\.fromPretrained: config\.json of .* has no model_type; load it with the model's own class/);
    // options.config may name it.
    expect(await AutoModelForCausalLM.fromPretrained(untyped, { config: { model_type: 'gpt2' }, logger: null })).toBeInstanceOf(GPT2LMHeadModel);
  });
});

run('checkpoints that do not fit', () => {
  it('names the key, file and shapes on a mismatch, and the missing keys', async () => {
    const bad = variant('gpt2', (t) => {
      t['h.0.mlp.c_fc.weight'] = tl.zeros([32, 100]);
    });
    await expect(GPT2LMHeadModel.fromPretrained(bad, { logger: null })).rejects.toThrow(
      /'h\.0\.mlp\.c_fc\.weight' in model\.safetensors of '.*' has shape \[32,100\], but GPT2LMHeadModel\.transformer\.h\.0\.mlp\.c_fc\.weight is \[32,128\]/,
    );
    const missing = variant('gpt2', (t) => {
      delete t['ln_f.bias'];
    });
    await expect(GPT2LMHeadModel.fromPretrained(missing, { logger: null })).rejects.toThrow(/lacks 1 weight\(s\) GPT2LMHeadModel needs: transformer\.ln_f\.bias/);
  });

  it('refuses a config of another model type, and a directory without weights', async () => {
    await expect(LlamaForCausalLM.fromPretrained(fixture('gpt2'))).rejects.toThrow(/model_type 'gpt2'; LlamaForCausalLM reads llama, qwen2, mistral/);
    await expect(ViTForImageClassification.fromPretrained(fixture('bert'))).rejects.toThrow(/model_type 'bert'/);
    const empty = mkdtempSync(path.join(scratch, 'empty-'));
    copyFileSync(path.join(fixture('gpt2'), 'config.json'), path.join(empty, 'config.json'));
    await expect(GPT2LMHeadModel.fromPretrained(empty)).rejects.toThrow(/has no weights: none of model\.safetensors, model\.safetensors\.index\.json, pytorch_model\.bin, pytorch_model\.bin\.index\.json/);
    await expect(GPT2LMHeadModel.fromPretrained(path.join(scratch, 'nope'))).rejects.toThrow(/neither an existing directory nor a hub repo id/);
    const tooLong = await GPT2LMHeadModel.fromPretrained(fixture('gpt2'), { logger: null });
    await expect(tooLong.generate([[1, 2, 3]], { maxNewTokens: 100 })).rejects.toThrow(/3 prompt \+ 100 new tokens exceed the model's 64 positions/);
  });
});
