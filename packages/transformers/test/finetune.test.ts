// Fine-tuning a checkpoint loaded from the hub's layout, on the cpu backend:
// - a few AdamW steps give the losses, first-step gradients and final logits that
//   torch.optim.AdamW gives on the PyTorch reference model (tools/train_reference.py);
// - a longer run (dropout on) drives the loss down with tl.memory() flat from step to step,
//   and the checkpoint savePretrained writes loads into the PyTorch reference (and back into
//   Tensile) with equal logits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { AdamW } from '@tensile/optim';
import { afterAll, describe, expect, it } from 'vitest';
import { AutoTokenizer, GPT2LMHeadModel, LlamaForCausalLM, type CausalLM } from '../src/index.js';
import { PYTHON, evalLoss, fixture, haveFixtures, maxDiff, record, referenceLogits, toolsDir } from './fixtures.js';

const run = haveFixtures ? describe : describe.skip;
if (!haveFixtures) it.skip('no PyTorch reference fixtures (python3-torch missing)', () => {});

const TEXT = 'the quick brown fox jumps over the lazy dog. hello world, hello there! the dog runs.';
const scratch = mkdtempSync(path.join(tmpdir(), 'tensile-finetune-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const MODELS: Record<string, { load: (dir: string) => Promise<CausalLM>; grads: string[] }> = {
  gpt2: {
    load: (d) => GPT2LMHeadModel.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['transformer.wte.weight', 'transformer.h.0.attn.c_attn.weight', 'transformer.h.1.mlp.c_proj.bias', 'transformer.ln_f.weight'],
  },
  llama: {
    load: (d) => LlamaForCausalLM.fromPretrained(d, { device: 'cpu', dtype: 'float32', logger: null }),
    grads: ['model.embed_tokens.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.1.mlp.down_proj.weight', 'lm_head.weight'],
  },
};

const ADAMW = { lr: 1e-2, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0.01 };

async function tokens(name: string): Promise<number[]> {
  const tok = await AutoTokenizer.fromPretrained(fixture(name));
  return tok.encode(TEXT);
}

/** tools/train_reference.py on `directory`: PyTorch's AdamW run. */
function torchRun(directory: string, spec: object): { losses: number[]; final_loss: number; grads: Record<string, number[]>; logits: number[] } {
  const inPath = path.join(scratch, 'train-in.json');
  const outPath = path.join(scratch, 'train-out.json');
  writeFileSync(inPath, JSON.stringify(spec));
  const r = spawnSync(PYTHON, [path.join(toolsDir, 'train_reference.py'), directory, inPath, outPath], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`train_reference.py failed:\n${r.stderr}`);
  return JSON.parse(readFileSync(outPath, 'utf8'));
}

run('fine-tuning a loaded checkpoint', () => {
  it.each(Object.keys(MODELS))('%s: five AdamW steps match torch.optim.AdamW on the reference (losses, first gradients, final logits)', async (name) => {
    const { load, grads } = MODELS[name];
    const ids = await tokens(name);
    const steps = 5;
    const ref = torchRun(fixture(name), {
      input_ids: [ids], steps, lr: ADAMW.lr, betas: ADAMW.betas, eps: ADAMW.eps, weight_decay: ADAMW.weightDecay, grad_params: grads,
    });
    const model = await load(fixture(name));
    model.eval(); // no dropout, as in the reference
    const input = tl.tensor([ids], { dtype: 'int32' });
    const opt = new AdamW(model.parameters(), ADAMW);
    const byName = new Map(model.namedParameters());
    const losses: number[] = [];
    let gradDiff = 0;
    for (let step = 0; step < steps; step++) {
      opt.zeroGrad();
      const { logits, loss } = model.forward(input, { labels: input });
      loss!.backward();
      losses.push((await loss!.item()) as number);
      logits.dispose();
      loss!.dispose();
      if (step === 0) {
        for (const key of grads) {
          const p = byName.get(key);
          expect(p, key).toBeDefined();
          gradDiff = Math.max(gradDiff, maxDiff((await p!.grad!.data()) as Float32Array, ref.grads[key]));
        }
      }
      opt.step();
    }
    const { logits } = tl.noGrad(() => model.forward(input));
    const logitsDiff = maxDiff((await logits.data()) as Float32Array, ref.logits);
    const lossDiff = maxDiff(losses, ref.losses);
    record({ check: 'adamw-vs-torch', model: name, device: 'cpu', steps, losses, torchLosses: ref.losses, lossDiff, gradDiff, logitsDiff });
    expect(lossDiff).toBeLessThan(1e-4);
    expect(gradDiff).toBeLessThan(1e-5);
    expect(logitsDiff).toBeLessThan(1e-3);
    expect(losses[steps - 1]).toBeLessThan(losses[0]);
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
});
