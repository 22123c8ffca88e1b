// Fine-tuning a checkpoint loaded from the hub's layout, on the cpu backend:
// - a few AdamW steps give the losses, first-step gradients and final logits that
//   torch.optim.AdamW gives on the PyTorch reference model (tools/train_reference.py);
// - a longer run (dropout on) drives the loss down with tl.memory() flat from step to step,
//   and the checkpoint savePretrained writes loads into the PyTorch reference (and back into
//   Tensile) with equal logits;
// - Gemma and Phi-3 likewise after their five steps: saved with the hub's keys (Phi-3's fused
//   qkv_proj / gate_up_proj, Gemma without the tied lm_head), PyTorch's logits; Qwen3 (q_norm /
//   k_norm, tied) and Phi (biases, partial rotary; `phi-qk`: qk_layernorm and a tied lm_head.weight
//   whose bias is saved) too; Gemma 2 (four norms per layer, soft-caps, sliding window) and Mixtral
//   (gradients to the router and the experts, the load-balancing loss in the loss) likewise;
// - the RoBERTa and DistilBERT classifiers, on a padded batch with labels: the same five-step
//   comparison, then a checkpoint with the hub's keys that PyTorch loads with equal logits;
// - CLIP on its contrastive loss (three texts, padded, and three images): the same, the saved
//   checkpoint without the position_ids buffers the hub no longer saves.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { parseSafetensors } from '@tensile/nn';
import { AdamW } from '@tensile/optim';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AutoTokenizer, CLIPModel, DistilBertForSequenceClassification, GPT2LMHeadModel, Gemma2ForCausalLM, GemmaForCausalLM, MixtralForCausalLM, LlamaForCausalLM, Phi3ForCausalLM, PhiForCausalLM, Qwen2MoeForCausalLM, Qwen3ForCausalLM,
  RobertaForSequenceClassification, type CausalLM,
  GPTNeoXForCausalLM, OPTForCausalLM,
} from '../src/index.js';
import { evalLoss, expected, fixture, haveFixtures, maxDiff, record, referenceLogits, torchRun } from './fixtures.js';

const run = haveFixtures ? describe : describe.skip;
if (!haveFixtures) it.skip('no PyTorch reference fixtures (python3-torch missing)', () => {});

const TEXT = 'the quick brown fox jumps over the lazy dog. hello world, hello there! the dog runs.';
const scratch = mkdtempSync(path.join(tmpdir(), 'tensile-finetune-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `saves`: after the steps, the saved checkpoint has the fixture's keys and gives PyTorch's logits. */
const MODELS: Record<string, { load: (dir: string) => Promise<CausalLM>; grads: string[]; saves?: boolean }> = {
  gpt2: {
    load: (d) => GPT2LMHeadModel.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['transformer.wte.weight', 'transformer.h.0.attn.c_attn.weight', 'transformer.h.1.mlp.c_proj.bias', 'transformer.ln_f.weight'],
  },
  llama: {
    load: (d) => LlamaForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['model.embed_tokens.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.1.mlp.down_proj.weight', 'lm_head.weight'],
  },
  gemma: {
    load: (d) => GemmaForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    // The tied embedding (head and input), the offset norm weights.
    grads: ['model.embed_tokens.weight', 'model.layers.0.input_layernorm.weight', 'model.layers.0.self_attn.k_proj.weight', 'model.layers.1.mlp.gate_proj.weight', 'model.norm.weight'],
    saves: true,
  },
  phi3: {
    load: (d) => Phi3ForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['model.embed_tokens.weight', 'model.layers.0.self_attn.qkv_proj.weight', 'model.layers.1.mlp.gate_up_proj.weight', 'model.layers.1.self_attn.o_proj.weight', 'lm_head.weight'],
    saves: true,
  },
  qwen3: {
    load: (d) => Qwen3ForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    // The tied embedding, the per-head query and key norms.
    grads: ['model.embed_tokens.weight', 'model.layers.0.self_attn.q_norm.weight', 'model.layers.1.self_attn.k_norm.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.norm.weight'],
    saves: true,
  },
  phi: {
    load: (d) => PhiForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['model.embed_tokens.weight', 'model.layers.0.self_attn.q_proj.bias', 'model.layers.0.input_layernorm.weight', 'model.layers.1.mlp.fc2.weight', 'lm_head.weight', 'lm_head.bias'],
    saves: true,
  },
  'phi-qk': {
    load: (d) => PhiForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    // The tied embedding with the head's own bias, the per-head LayerNorms.
    grads: ['model.embed_tokens.weight', 'lm_head.bias', 'model.layers.0.self_attn.q_layernorm.weight', 'model.layers.1.self_attn.k_layernorm.bias', 'model.layers.1.self_attn.dense.weight', 'model.final_layernorm.bias'],
    saves: true,
  },
  // Gemma 2: the four offset norms per layer, the tied embedding through both soft-caps and the sliding window.
  gemma2: {
    load: (d) => Gemma2ForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['model.embed_tokens.weight', 'model.layers.0.pre_feedforward_layernorm.weight', 'model.layers.1.post_attention_layernorm.weight',
      'model.layers.2.post_feedforward_layernorm.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.1.mlp.up_proj.weight'],
    saves: true,
  },
  // Mixtral: the router and the experts (the loss holds the load-balancing loss: output_router_logits).
  mixtral: {
    load: (d) => MixtralForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['model.layers.0.block_sparse_moe.gate.weight', 'model.layers.1.block_sparse_moe.gate.weight', 'model.layers.0.block_sparse_moe.experts.0.w1.weight',
      'model.layers.0.block_sparse_moe.experts.3.w2.weight', 'model.layers.1.block_sparse_moe.experts.2.w3.weight', 'model.layers.1.self_attn.k_proj.weight', 'lm_head.weight'],
    saves: true,
  },
  // Qwen2-MoE: the router, routed and shared experts, the shared expert's gate, the dense layer (aux loss in the loss).
  'qwen2-moe': {
    load: (d) => Qwen2MoeForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['model.layers.0.mlp.gate.weight', 'model.layers.2.mlp.gate.weight', 'model.layers.0.mlp.experts.1.gate_proj.weight', 'model.layers.2.mlp.experts.3.down_proj.weight',
      'model.layers.0.mlp.shared_expert.up_proj.weight', 'model.layers.2.mlp.shared_expert_gate.weight', 'model.layers.1.mlp.down_proj.weight', 'model.layers.0.self_attn.q_proj.bias'],
    saves: true,
  },
  // Phi-3 with partial rotary and longrope: the text is longer than original_max_position_embeddings (the long factors).
  'phi3-longrope': {
    load: (d) => Phi3ForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['model.embed_tokens.weight', 'model.layers.0.self_attn.qkv_proj.weight', 'model.layers.1.mlp.gate_up_proj.weight', 'model.layers.1.self_attn.o_proj.weight'],
    saves: true,
  },
  // GPT-NeoX: the per-head fused query_key_value, partial rotary; `gpt-neox-sequential` tied and saved.
  'gpt-neox': {
    load: (d) => GPTNeoXForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['gpt_neox.embed_in.weight', 'gpt_neox.layers.0.attention.query_key_value.weight', 'gpt_neox.layers.0.attention.query_key_value.bias',
      'gpt_neox.layers.1.mlp.dense_4h_to_h.bias', 'gpt_neox.final_layer_norm.weight', 'embed_out.weight'],
  },
  'gpt-neox-sequential': {
    load: (d) => GPTNeoXForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['gpt_neox.embed_in.weight', 'gpt_neox.layers.0.attention.query_key_value.weight', 'gpt_neox.layers.1.post_attention_layernorm.bias', 'gpt_neox.layers.1.mlp.dense_h_to_4h.weight'],
    saves: true,
  },
  // OPT: learned positions (offset 2), the tied embedding with its padding row; opt-350m's project_in / project_out and post-norm blocks.
  opt: {
    load: (d) => OPTForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['model.decoder.embed_tokens.weight', 'model.decoder.embed_positions.weight', 'model.decoder.layers.0.self_attn.q_proj.weight', 'model.decoder.layers.1.fc2.bias',
      'model.decoder.final_layer_norm.weight'],
    saves: true,
  },
  'opt-350m': {
    load: (d) => OPTForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['model.decoder.embed_tokens.weight', 'model.decoder.project_in.weight', 'model.decoder.project_out.weight', 'model.decoder.layers.0.self_attn_layer_norm.weight',
      'model.decoder.layers.1.final_layer_norm.bias'],
  },
};

const ADAMW = { lr: 1e-2, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0.01 };

async function tokens(name: string): Promise<number[]> {
  const tok = await AutoTokenizer.fromPretrained(fixture(name));
  return tok.encode(TEXT);
}


/** `steps` optimiser steps on `forward`'s loss: the losses, and the worst difference of the first step's gradients of `grads` from PyTorch's. */
async function adamwSteps(
  model: { namedParameters(): [string, tl.Tensor][] }, opt: AdamW, steps: number, forward: () => { logits: tl.Tensor; loss?: tl.Tensor },
  grads: string[], torchGrads: Record<string, number[]>,
): Promise<{ losses: number[]; gradDiff: number }> {
  const byName = new Map(model.namedParameters());
  const losses: number[] = [];
  let gradDiff = 0;
  for (let step = 0; step < steps; step++) {
    opt.zeroGrad();
    const { logits, loss } = forward();
    loss!.backward();
    losses.push((await loss!.item()) as number);
    logits.dispose();
    loss!.dispose();
    if (step === 0) {
      for (const key of grads) {
        const p = byName.get(key);
        expect(p, key).toBeDefined();
        gradDiff = Math.max(gradDiff, maxDiff((await p!.grad!.data()) as Float32Array, torchGrads[key]!));
      }
    }
    opt.step();
  }
  return { losses, gradDiff };
}

/** An optimiser run that follows PyTorch's: losses, first-step gradients and final logits within tolerance, and a falling loss. */
function expectFollowsTorch(losses: number[], lossDiff: number, gradDiff: number, logitsDiff: number): void {
  expect(lossDiff).toBeLessThan(1e-4);
  expect(gradDiff).toBeLessThan(1e-5);
  expect(logitsDiff).toBeLessThan(1e-3);
  expect(losses[losses.length - 1]).toBeLessThan(losses[0]!);
}

run('fine-tuning a loaded checkpoint', () => {
  it.each(Object.keys(MODELS))('%s: five AdamW steps match torch.optim.AdamW on the reference (losses, first gradients, final logits)', async (name) => {
    const { load, grads, saves } = MODELS[name];
    const ids = await tokens(name);
    const steps = 5;
    const ref = torchRun(fixture(name), {
      input_ids: [ids], steps, lr: ADAMW.lr, betas: ADAMW.betas, eps: ADAMW.eps, weight_decay: ADAMW.weightDecay, grad_params: grads,
    }, scratch);
    const model = await load(fixture(name));
    model.eval(); // no dropout, as in the reference
    const input = tl.tensor([ids], { dtype: 'int32' });
    const opt = new AdamW(model.parameters(), ADAMW);
    const { losses, gradDiff } = await adamwSteps(model, opt, steps, () => model.forward(input, { labels: input }), grads, ref.grads);
    const { logits } = tl.noGrad(() => model.forward(input));
    const logitsDiff = maxDiff((await logits.data()) as Float32Array, ref.logits);
    const lossDiff = maxDiff(losses, ref.losses);
    record({ check: 'adamw-vs-torch', model: name, device: 'cpu', steps, losses, torchLosses: ref.losses, lossDiff, gradDiff, logitsDiff });
    expectFollowsTorch(losses, lossDiff, gradDiff, logitsDiff);
    if (saves) {
      const out = path.join(scratch, `${name}-finetuned`);
      await model.savePretrained(out);
      const keys = (dir: string) => Object.keys(parseSafetensors(readFileSync(path.join(dir, 'model.safetensors'))).tensors).sort();
      expect(keys(out)).toEqual(keys(fixture(name)));
      const theirs = referenceLogits(out, { input_ids: [ids] }, scratch);
      expect(theirs.shape).toEqual(logits.shape);
      const torchDiff = maxDiff((await logits.data()) as Float32Array, theirs.logits);
      record({ check: 'finetuned-checkpoint-in-torch', model: name, device: 'cpu', torchDiff });
      expect(torchDiff).toBeLessThan(1e-4);
    }
    logits.dispose();
    input.dispose();
    opt.dispose();
    model.dispose();
  });

  it('GPT-2: 60 AdamW steps with dropout cut the loss, keep tl.memory() flat, and save a checkpoint PyTorch loads with equal logits', async () => {
    tl.manualSeed(7);
    const ids = await tokens('gpt2');
    const model = await MODELS.gpt2.load(fixture('gpt2'));
    const input = tl.tensor([ids], { dtype: 'int32' });
    const before = await evalLoss(model, input);
    model.train();
    const opt = new AdamW(model.parameters(), { lr: 3e-3 });
    const steps = 60;
    const seen: { tensors: number; bytes: number }[] = [];
    const trainLosses: number[] = [];
    for (let step = 0; step < steps; step++) {
      opt.zeroGrad();
      const { logits, loss } = model.forward(input, { labels: input });
      loss!.backward();
      opt.step();
      trainLosses.push((await loss!.item()) as number);
      logits.dispose();
      loss!.dispose();
      const m = tl.memory();
      seen.push({ tensors: m.numTensors, bytes: m.numBytes });
    }
    const after = await evalLoss(model, input);
    // From the second step on (the optimiser's moments exist), nothing accumulates.
    const steady = seen.slice(1);
    expect(new Set(steady.map((s) => s.tensors)).size).toBe(1);
    expect(new Set(steady.map((s) => s.bytes)).size).toBe(1);
    record({ check: 'finetune', model: 'gpt2', device: 'cpu', steps, lossBefore: before, lossAfter: after, firstTrainLoss: trainLosses[0], lastTrainLoss: trainLosses[steps - 1], liveTensors: steady[0].tensors, liveBytes: steady[0].bytes });
    expect(after).toBeLessThan(before * 0.5);

    // The fine-tuned checkpoint loads into the PyTorch reference and back into Tensile.
    const out = path.join(scratch, 'gpt2-finetuned');
    await model.savePretrained(out);
    model.eval();
    const { logits } = tl.noGrad(() => model.forward(input));
    const ours = (await logits.data()) as Float32Array;
    const theirs = referenceLogits(out, { input_ids: [ids] }, scratch);
    expect(theirs.shape).toEqual(logits.shape);
    const torchDiff = maxDiff(ours, theirs.logits);
    const reloaded = await MODELS.gpt2.load(out);
    const { logits: again } = tl.noGrad(() => reloaded.forward(input));
    const reloadDiff = maxDiff(ours, (await again.data()) as Float32Array);
    record({ check: 'finetuned-checkpoint-in-torch', model: 'gpt2', device: 'cpu', torchDiff, reloadDiff });
    expect(torchDiff).toBeLessThan(1e-4);
    expect(reloadDiff).toBe(0);
    for (const t of [logits, again, input]) t.dispose();
    reloaded.dispose();
    model.dispose();
  });

  const CLASSIFIERS: Record<string, { load: (dir: string) => Promise<RobertaForSequenceClassification | DistilBertForSequenceClassification>; grads: string[] }> = {
    'roberta-classifier': {
      load: (d) => RobertaForSequenceClassification.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
      // The position table's padding row gets no gradient, in PyTorch as here.
      grads: ['roberta.embeddings.word_embeddings.weight', 'roberta.embeddings.position_embeddings.weight', 'roberta.encoder.layer.0.attention.self.query.weight',
        'roberta.encoder.layer.1.output.LayerNorm.weight', 'classifier.dense.weight', 'classifier.out_proj.bias'],
    },
    'distilbert-classifier': {
      load: (d) => DistilBertForSequenceClassification.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
      grads: ['distilbert.embeddings.word_embeddings.weight', 'distilbert.transformer.layer.0.attention.q_lin.weight', 'distilbert.transformer.layer.1.ffn.lin1.weight',
        'distilbert.transformer.layer.1.output_layer_norm.bias', 'pre_classifier.weight', 'classifier.bias'],
    },
  };

  it.each(Object.keys(CLASSIFIERS))('%s: five AdamW steps on a padded batch match torch.optim.AdamW; the saved checkpoint has the hub\'s keys and PyTorch\'s logits', async (name) => {
    const { load, grads } = CLASSIFIERS[name];
    const e = expected(name);
    const steps = 5;
    const ref = torchRun(fixture(name), {
      input_ids: e.input_ids, attention_mask: e.attention_mask, labels: e.labels, steps,
      lr: ADAMW.lr, betas: ADAMW.betas, eps: ADAMW.eps, weight_decay: ADAMW.weightDecay, grad_params: grads,
    }, scratch);
    const model = await load(fixture(name));
    model.eval(); // no dropout, as in the reference
    const input = tl.tensor(e.input_ids, { dtype: 'int32' });
    const labels = Array.isArray(e.labels[0]) ? tl.tensor(e.labels) : tl.tensor(e.labels, { dtype: 'int32' });
    const opt = new AdamW(model.parameters(), ADAMW);
    const { losses, gradDiff } = await adamwSteps(model, opt, steps, () => model.forward(input, { attentionMask: e.attention_mask, labels }), grads, ref.grads);
    const { logits } = tl.noGrad(() => model.forward(input, { attentionMask: e.attention_mask }));
    const ours = (await logits.data()) as Float32Array;
    const logitsDiff = maxDiff(ours, ref.logits);
    const lossDiff = maxDiff(losses, ref.losses);
    expectFollowsTorch(losses, lossDiff, gradDiff, logitsDiff);

    // Saved with the hub's key names (the fixture's, which the PyTorch reference wrote), and PyTorch's logits.
    const out = path.join(scratch, `${name}-finetuned`);
    await model.savePretrained(out);
    const keys = (dir: string) => Object.keys(parseSafetensors(readFileSync(path.join(dir, 'model.safetensors'))).tensors).sort();
    expect(keys(out)).toEqual(keys(fixture(name)));
    const theirs = referenceLogits(out, { input_ids: e.input_ids, attention_mask: e.attention_mask }, scratch);
    expect(theirs.shape).toEqual(logits.shape);
    const torchDiff = maxDiff(ours, theirs.logits);
    record({ check: 'adamw-vs-torch', model: name, device: 'cpu', steps, losses, torchLosses: ref.losses, lossDiff, gradDiff, logitsDiff, torchDiff });
    expect(torchDiff).toBeLessThan(1e-4);
    for (const t of [logits, input, labels]) t.dispose();
    opt.dispose();
    model.dispose();
  });
  it('clip: five AdamW steps on the contrastive loss match torch.optim.AdamW; the saved checkpoint has the hub\'s keys and PyTorch\'s logits', async () => {
    const e = expected('clip');
    const steps = 5;
    // Both towers, both projections and the logit scale.
    const grads = ['text_model.embeddings.token_embedding.weight', 'text_model.encoder.layers.0.self_attn.q_proj.weight', 'text_model.final_layer_norm.weight',
      'vision_model.embeddings.class_embedding', 'vision_model.embeddings.patch_embedding.weight', 'vision_model.pre_layrnorm.weight',
      'vision_model.encoder.layers.1.mlp.fc2.weight', 'text_projection.weight', 'visual_projection.weight', 'logit_scale'];
    const inputs = { input_ids: e.input_ids, attention_mask: e.attention_mask, pixel_values: e.pixel_values, pixel_shape: e.pixel_shape };
    const ref = torchRun(fixture('clip'), { ...inputs, steps, lr: ADAMW.lr, betas: ADAMW.betas, eps: ADAMW.eps, weight_decay: ADAMW.weightDecay, grad_params: grads }, scratch);
    const model = await CLIPModel.fromPretrained(fixture('clip'), { device: 'cpu', dtype: 'float32', logger: null });
    model.eval();
    const ids = tl.tensor(e.input_ids, { dtype: 'int32' });
    const pixels = tl.tensor(e.pixel_values).reshape(e.pixel_shape);
    const opt = new AdamW(model.parameters(), ADAMW);
    const forward = () => {
      const { logitsPerText, loss } = model.forward(ids, pixels, { attentionMask: e.attention_mask, returnLoss: true });
      return { logits: logitsPerText, loss };
    };
    const { losses, gradDiff } = await adamwSteps(model, opt, steps, forward, grads, ref.grads);
    const { logitsPerText } = tl.noGrad(() => model.forward(ids, pixels, { attentionMask: e.attention_mask }));
    const ours = (await logitsPerText.data()) as Float32Array;
    const logitsDiff = maxDiff(ours, ref.logits);
    const lossDiff = maxDiff(losses, ref.losses);
    expectFollowsTorch(losses, lossDiff, gradDiff, logitsDiff);

    const out = path.join(scratch, 'clip-finetuned');
    await model.savePretrained(out);
    const keys = (dir: string) => Object.keys(parseSafetensors(readFileSync(path.join(dir, 'model.safetensors'))).tensors).sort();
    expect(keys(out)).toEqual(keys(fixture('clip')).filter((k) => !k.endsWith('position_ids')));
    const theirs = referenceLogits(out, inputs, scratch);
    expect(theirs.shape).toEqual(logitsPerText.shape);
    const torchDiff = maxDiff(ours, theirs.logits);
    record({ check: 'adamw-vs-torch', model: 'clip', device: 'cpu', steps, losses, torchLosses: ref.losses, lossDiff, gradDiff, logitsDiff, torchDiff });
    expect(torchDiff).toBeLessThan(1e-4);
    for (const t of [logitsPerText, ids, pixels]) t.dispose();
    opt.dispose();
    model.dispose();
  });
});
