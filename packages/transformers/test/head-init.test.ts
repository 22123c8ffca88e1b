// A base checkpoint loaded into a task head, as the hub's from_pretrained does it: the head's
// weights are newly initialised (normal(0, initializer_range), biases 0, norm scales 1) with a
// note saying so, the encoder's come from the checkpoint, and any other missing key is an error.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSafetensors, serializeSafetensorsSync } from '@tensile/nn';
import { AdamW } from '@tensile/optim';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AutoModelForMultipleChoice, AutoModelForTokenClassification, BertForQuestionAnswering, BertForTokenClassification, BertModel, DistilBertForMaskedLM,
  DistilBertForMultipleChoice, DistilBertModel, RobertaForMaskedLM, RobertaForMultipleChoice, RobertaModel, ViTForImageClassification,
} from '../src/index.js';
import { fixture, haveFixtures, maxDiff } from './fixtures.js';

const run = haveFixtures ? describe : describe.skip;
const scratch = mkdtempSync(path.join(tmpdir(), 'tensile-head-init-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A parameter by its state-dict key. */
function param(model: { namedParameters(): [string, tl.Tensor][] }, key: string): tl.Tensor {
  const found = model.namedParameters().find(([k]) => k === key);
  if (!found) throw new Error(`no parameter ${key}`);
  return found[1];
}

function values(t: tl.Tensor): number[] {
  return Array.from(t.dataSync() as Float32Array);
}

function std(v: number[]): number {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
}

run('a base checkpoint loaded into a task head', () => {
  it('BertForTokenClassification from a bare encoder: a new classifier (num_labels from the config option), the encoder the checkpoint\'s, and a note', async () => {
    const notes: string[] = [];
    tl.manualSeed(7);
    const model = await BertForTokenClassification.fromPretrained(fixture('bert'), { config: { num_labels: 3 }, logger: (m) => notes.push(m) });
    expect(model.loadReport!.initializedKeys).toEqual(['classifier.weight', 'classifier.bias']);
    expect(notes.some((n) => n.includes('2 weight(s) of BertForTokenClassification were not in the checkpoint and are newly initialized (weights normal(0, 0.02), biases 0, norm scales 1): classifier.weight, classifier.bias'))).toBe(true);
    const [weight, bias] = [param(model, 'classifier.weight'), param(model, 'classifier.bias')];
    expect(weight.shape).toEqual([3, 32]);
    expect(values(bias)).toEqual([0, 0, 0]);
    // 96 draws of normal(0, 0.02): their spread within a third of it.
    expect(Math.abs(std(values(weight)) - 0.02)).toBeLessThan(0.007);
    // The encoder is the checkpoint's: its hidden states through the new classifier are the logits.
    const base = await BertModel.fromPretrained(fixture('bert'), { logger: null });
    const ids = tl.tensor([[2, 7, 11, 5], [3, 9, 1, 4]], { dtype: 'int32' });
    const { lastHiddenState } = base.forward(ids);
    const want = tl.matmul(lastHiddenState, weight.transpose(0, 1)).add(bias);
    expect(maxDiff(values(model.forward(ids).logits), values(want))).toBeLessThan(1e-6);
    // The same seed gives the same head.
    tl.manualSeed(7);
    const again = await AutoModelForTokenClassification.fromPretrained(fixture('bert'), { config: { num_labels: 3 }, logger: null });
    expect(values(param(again, 'classifier.weight'))).toEqual(values(weight));
    for (const m of [model, base, again]) m.dispose();
  });

  it('the new head trains: an AdamW step moves the classifier and the loss falls', async () => {
    const model = await BertForQuestionAnswering.fromPretrained(fixture('bert'), { logger: null });
    expect(model.loadReport!.initializedKeys).toEqual(['qa_outputs.weight', 'qa_outputs.bias']);
    model.eval(); // no dropout: the losses of the five steps are comparable
    const ids = tl.tensor([[2, 7, 11, 5, 6], [3, 9, 1, 4, 8]], { dtype: 'int32' });
    const targets = { startPositions: tl.tensor([1, 2], { dtype: 'int32' }), endPositions: tl.tensor([3, 2], { dtype: 'int32' }) };
    const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      optimizer.zeroGrad();
      const { loss } = model.forward(ids, targets);
      loss!.backward();
      optimizer.step();
      losses.push(Number(await loss!.item()));
    }
    expect(losses[4]!).toBeLessThan(losses[0]!);
    model.dispose();
  });

  it('masked-LM heads a checkpoint lacks are new too; norm scales start at 1', async () => {
    // A DistilBERT encoder saved alone, loaded into DistilBertForMaskedLM.
    const encoder = await DistilBertModel.fromPretrained(fixture('distilbert'), { logger: null });
    const dir = path.join(scratch, 'distilbert-encoder');
    await encoder.savePretrained(dir);
    const mlm = await DistilBertForMaskedLM.fromPretrained(dir, { logger: null });
    expect(mlm.loadReport!.initializedKeys.sort()).toEqual(['vocab_layer_norm.bias', 'vocab_layer_norm.weight', 'vocab_projector.bias', 'vocab_transform.bias', 'vocab_transform.weight']);
    expect(values(param(mlm, 'vocab_layer_norm.weight')).every((v) => v === 1)).toBe(true);
    expect(values(param(mlm, 'vocab_projector.bias')).every((v) => v === 0)).toBe(true);
    // The RoBERTa fixture carries part of a pretraining lm_head (its bias and dense weight): the rest is new.
    const roberta = await RobertaForMaskedLM.fromPretrained(fixture('roberta'), { logger: null });
    expect(roberta.loadReport!.initializedKeys.sort()).toEqual(['lm_head.dense.bias', 'lm_head.layer_norm.bias', 'lm_head.layer_norm.weight']);
    const pretrained = await RobertaForMaskedLM.fromPretrained(fixture('roberta-mlm'), { logger: null });
    expect(pretrained.loadReport!.initializedKeys).toEqual([]);
    for (const m of [encoder, mlm, roberta, pretrained]) m.dispose();
  });

  it('multiple-choice heads from base checkpoints: RoBERTa\'s keeps the checkpoint\'s pooler, DistilBERT\'s gets a new pre_classifier', async () => {
    const roberta = await RobertaForMultipleChoice.fromPretrained(fixture('roberta'), { logger: null });
    expect(roberta.loadReport!.initializedKeys.sort()).toEqual(['classifier.bias', 'classifier.weight']);
    expect(param(roberta, 'classifier.weight').shape).toEqual([1, 32]);
    const distil = await DistilBertForMultipleChoice.fromPretrained(fixture('distilbert'), { logger: null });
    expect(distil.loadReport!.initializedKeys.sort()).toEqual(['classifier.bias', 'classifier.weight', 'pre_classifier.bias', 'pre_classifier.weight']);
    expect(values(param(distil, 'pre_classifier.bias')).every((v) => v === 0)).toBe(true);
    const auto = await AutoModelForMultipleChoice.fromPretrained(fixture('distilbert'), { logger: null });
    expect(auto).toBeInstanceOf(DistilBertForMultipleChoice);
    for (const m of [roberta, distil, auto]) m.dispose();
  });

  it('ViTForImageClassification from a ViTModel checkpoint gets a new classifier for the labels asked', async () => {
    // The fixture without its classifier, as google/vit-base-patch16-224-in21k is stored.
    const dir = path.join(scratch, 'vit-encoder');
    mkdirSync(dir);
    for (const f of readdirSync(fixture('vit'))) copyFileSync(path.join(fixture('vit'), f), path.join(dir, f));
    const { tensors } = parseSafetensors(readFileSync(path.join(dir, 'model.safetensors')));
    for (const k of Object.keys(tensors)) if (k.startsWith('classifier.')) delete tensors[k];
    writeFileSync(path.join(dir, 'model.safetensors'), serializeSafetensorsSync(tensors, { format: 'pt' }));
    const model = await ViTForImageClassification.fromPretrained(dir, { config: { num_labels: 5, id2label: undefined }, logger: null });
    expect(model.loadReport!.initializedKeys).toEqual(['classifier.weight', 'classifier.bias']);
    expect(param(model, 'classifier.weight').shape[0]).toBe(5);
    model.dispose();
  });

  it('keys outside the task head are still an error, and a head of the wrong size is refused', async () => {
    // The encoder's pooler is not a task head: a RoBERTa classifier checkpoint (no pooler) cannot make a RobertaModel with one.
    await expect(RobertaModel.fromPretrained(fixture('roberta-classifier'), { logger: null })).rejects.toThrow(/lacks 2 weight\(s\) RobertaModel needs: pooler\.dense\.weight, pooler\.dense\.bias/);
    // A fine-tuned head of 2 labels does not load into 3.
    await expect(BertForTokenClassification.fromPretrained(fixture('bert-token'), { config: { num_labels: 3, id2label: undefined }, logger: null })).rejects.toThrow(/has shape \[\d+\], but BertForTokenClassification\.classifier\.bias is \[3\]: the config and the weights disagree/);
  });
});
