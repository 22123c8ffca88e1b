// Fine-tuning the encoders' task heads on the cpu backend, and their errors:
// - five AdamW steps on BERT's masked LM (tied decoder), DistilBERT's question answering (span
//   loss, one end past the sequence), RoBERTa's token classifier and RoBERTa's and DistilBERT's
//   multiple choice (RoBERTa's through its pooler) give the losses, first-step
//   gradients and final logits of torch.optim.AdamW on the PyTorch reference
//   (tools/train_reference.py); the checkpoint savePretrained writes has the hub's keys (the tied
//   decoder left out) and loads into the reference with equal logits (generate_fixtures.py --logits);
// - bad labels, positions and inputs are errors naming the function.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { parseSafetensors } from '@tensile/nn';
import { AdamW } from '@tensile/optim';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BertForMaskedLM, BertForMultipleChoice, BertForQuestionAnswering, BertForTokenClassification, DistilBertForMultipleChoice, DistilBertForQuestionAnswering,
  RobertaForMultipleChoice, RobertaForTokenClassification,
  type PreTrainedModel,
} from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff, record, referenceLogits, torchRun } from './fixtures.js';
import { headInputs, headTargets, ints } from './heads-suite.js';

const run = haveFixtures ? describe : describe.skip;
if (!haveFixtures) it.skip('no PyTorch reference fixtures (python3-torch missing)', () => {});

const scratch = mkdtempSync(path.join(tmpdir(), 'tensile-heads-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const ADAMW = { lr: 1e-2, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0.01 };
const load = { device: 'cpu', dtype: 'float32', logger: null } as const;


/** Logits as train_reference.py flattens them: question answering's start and end stacked on the last dim. */
function logitsOf(out: any): tl.Tensor {
  return out.startLogits ? tl.stack([out.startLogits, out.endLogits], -1) : out.logits;
}

/** `[batch, choices]` logits with each row's mean taken off. */
function centredRows(values: ArrayLike<number>, shape: readonly number[]): Float32Array {
  const [b, c] = shape;
  const out = Float32Array.from(values);
  for (let i = 0; i < b; i++) {
    let mean = 0;
    for (let k = 0; k < c; k++) mean += out[i * c + k] / c;
    for (let k = 0; k < c; k++) out[i * c + k] -= mean;
  }
  return out;
}

/** `[batch, seq, 2]` logits with each row's mean over the sequence taken off, start and end apart. */
function centred(values: ArrayLike<number>, shape: readonly number[]): Float32Array {
  const [b, t] = shape;
  const out = Float32Array.from(values);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < 2; j++) {
      let mean = 0;
      for (let k = 0; k < t; k++) mean += out[(i * t + k) * 2 + j] / t;
      for (let k = 0; k < t; k++) out[(i * t + k) * 2 + j] -= mean;
    }
  }
  return out;
}

const keys = (dir: string) => Object.keys(parseSafetensors(readFileSync(path.join(dir, 'model.safetensors'))).tensors).sort();

const CASES: Record<string, { cls: { fromPretrained(d: string, o: object): Promise<PreTrainedModel> }; kind: 'mlm' | 'qa' | 'token' | 'mc'; grads: string[]; unsaved: RegExp | null; steps?: number; lr?: number }> = {
  'bert-mlm': {
    cls: BertForMaskedLM,
    kind: 'mlm',
    // The tied embedding gets the decoder's gradient and the input's, in PyTorch as here.
    grads: ['bert.embeddings.word_embeddings.weight', 'bert.encoder.layer.0.attention.self.query.weight', 'cls.predictions.transform.dense.weight',
      'cls.predictions.transform.LayerNorm.weight', 'cls.predictions.bias'],
    unsaved: /pooler|seq_relationship|decoder|position_ids/,
  },
  'distilbert-qa': {
    cls: DistilBertForQuestionAnswering,
    kind: 'qa',
    grads: ['distilbert.embeddings.word_embeddings.weight', 'distilbert.transformer.layer.1.ffn.lin2.weight', 'qa_outputs.weight', 'qa_outputs.bias'],
    unsaved: null,
  },
  'roberta-token': {
    cls: RobertaForTokenClassification,
    kind: 'token',
    grads: ['roberta.embeddings.word_embeddings.weight', 'roberta.encoder.layer.1.output.dense.weight', 'classifier.weight', 'classifier.bias'],
    unsaved: null,
  },
  'roberta-mc': {
    cls: RobertaForMultipleChoice,
    kind: 'mc',
    grads: ['roberta.embeddings.word_embeddings.weight', 'roberta.encoder.layer.1.output.dense.weight', 'roberta.pooler.dense.weight', 'classifier.weight'],
    unsaved: null,
  },
  'distilbert-mc': {
    cls: DistilBertForMultipleChoice,
    kind: 'mc',
    grads: ['distilbert.embeddings.word_embeddings.weight', 'distilbert.transformer.layer.1.ffn.lin2.weight', 'pre_classifier.weight', 'pre_classifier.bias', 'classifier.weight'],
    unsaved: null,
    // A ReLU unit active on every choice of every question adds the same to each choice's logit, so
    // its pre_classifier.bias gradient is zero up to rounding, and Adam's steps (size lr, sign from
    // the rounding) move it at random until a unit crosses zero: at lr 1e-2 the run is chaotic after
    // two steps (PyTorch's own float32 and float64 runs differ by 5e-4 at the third). lr 1e-3.
    lr: 1e-3,
  },
};

run('fine-tuning the encoder task heads', () => {
  it.each(Object.keys(CASES))('%s: five AdamW steps match torch.optim.AdamW; the saved checkpoint has the hub\'s keys and PyTorch\'s logits', async (name) => {
    const { cls, kind, grads, unsaved, steps = 5, lr = ADAMW.lr } = CASES[name];
    const adamw = { ...ADAMW, lr };
    const e = expected(name);
    const targets = kind === 'qa' ? { start_positions: e.start_positions, end_positions: e.end_positions } : { labels: e.labels };
    const ref = torchRun(fixture(name), {
      input_ids: e.input_ids, attention_mask: e.attention_mask, ...targets, steps,
      lr, betas: ADAMW.betas, eps: ADAMW.eps, weight_decay: ADAMW.weightDecay, grad_params: grads,
    }, scratch);
    const model = (await cls.fromPretrained(fixture(name), load)) as any;
    model.eval(); // no dropout, as in the reference
    // train_reference.py passes no token types: zeros, as here.
    const { ids } = headInputs(e, 'cpu');
    const options = { attentionMask: e.attention_mask };
    const target = headTargets(kind, e, 'cpu');
    const opt = new AdamW(model.parameters(), adamw);
    const byName = new Map<string, tl.Tensor>(model.namedParameters());
    const losses: number[] = [];
    let gradDiff = 0;
    for (let step = 0; step < steps; step++) {
      opt.zeroGrad();
      const out = model.forward(ids, { ...options, ...target });
      out.loss.backward();
      losses.push((await out.loss.item()) as number);
      if (step === 0) {
        for (const key of grads) gradDiff = Math.max(gradDiff, maxDiff((await byName.get(key)!.grad!.data()) as Float32Array, ref.grads[key]!));
      }
      opt.step();
    }
    const logits = tl.noGrad(() => logitsOf(model.forward(ids, options)));
    const ours = (await logits.data()) as Float32Array;
    // A span loss is blind to a constant added to a row's start (or end) logits, so qa_outputs.bias's
    // gradient is zero up to rounding, which Adam's normalisation turns into steps of size lr whose
    // sign is rounding noise, in PyTorch as here: compare QA logits up to that shift. The same holds
    // for multiple choice's classifier.bias (one scalar added to every choice).
    const logitsDiff = kind === 'qa'
      ? maxDiff(centred(ours, logits.shape), centred(ref.logits, logits.shape))
      : kind === 'mc' ? maxDiff(centredRows(ours, logits.shape), centredRows(ref.logits, logits.shape)) : maxDiff(ours, ref.logits);
    const lossDiff = maxDiff(losses, ref.losses);
    expect(lossDiff).toBeLessThan(1e-4);
    expect(gradDiff).toBeLessThan(1e-5);
    expect(logitsDiff).toBeLessThan(1e-3);
    expect(losses[steps - 1]).toBeLessThan(losses[0]!);

    const out = path.join(scratch, `${name}-finetuned`);
    await model.savePretrained(out);
    expect(keys(out)).toEqual(keys(fixture(name)).filter((k) => !unsaved || !unsaved.test(k)));
    const theirs = referenceLogits(out, { input_ids: e.input_ids, attention_mask: e.attention_mask }, scratch) as unknown as Record<string, number[]>;
    const torchLogits = kind === 'qa' ? theirs.start_logits.flatMap((s, i) => [s, theirs.end_logits[i]]) : theirs.logits;
    const torchDiff = maxDiff(ours, torchLogits);
    record({ check: 'adamw-vs-torch', model: name, device: 'cpu', steps, losses, torchLosses: ref.losses, lossDiff, gradDiff, logitsDiff, torchDiff });
    expect(torchDiff).toBeLessThan(1e-4);

    // And back into Tensile: the same logits, the decoder still tied.
    const reloaded = (await cls.fromPretrained(out, load)) as any;
    const again = tl.noGrad(() => logitsOf(reloaded.forward(ids, options)));
    expect(maxDiff((await again.data()) as Float32Array, ours)).toBe(0);
    if (kind === 'mlm') expect(reloaded.decoder.weight).toBe(reloaded.bert.embeddings.wordEmbeddings.weight);
    for (const m of [model, reloaded]) m.dispose();
    opt.dispose();
  });

  it('tie_word_embeddings false: the decoder has its own weight, loaded from cls.predictions.decoder.weight, and is saved', async () => {
    const e = expected('bert-mlm');
    const untied = await BertForMaskedLM.fromPretrained(fixture('bert-mlm'), { ...load, config: { tie_word_embeddings: false } });
    expect(untied.decoder.weight).not.toBe(untied.bert.embeddings.wordEmbeddings.weight);
    expect(untied.tiedKeys()).toEqual(['cls.predictions.decoder.bias']);
    const { ids, options } = headInputs(e, 'cpu');
    expect(maxDiff((await untied.forward(ids, options).logits.data()) as Float32Array, e.logits)).toBeLessThan(1e-4);
    expect(Object.keys(untied.hubStateDict())).toContain('cls.predictions.decoder.weight');
    untied.dispose();
  });

  it('bad labels, positions and inputs are errors naming the function', async () => {
    const mlm = await BertForMaskedLM.fromPretrained(fixture('bert-mlm'), load);
    const e = expected('bert-mlm');
    const ids = ints(e.input_ids, 'cpu');
    const [b, t] = ids.shape;
    expect(() => mlm.forward(ids, { labels: tl.zeros([b, t]) })).toThrow(/BertForMaskedLM\.forward: labels must be int32 \(class indices\), got float32 \[2, ?13\]/);
    expect(() => mlm.forward(ids, { labels: tl.zeros([b, t + 1], { dtype: 'int32' }) })).toThrow(/BertForMaskedLM\.forward: labels is \[2, ?14\], expected \[2, ?13\]/);
    expect(() => mlm.forward(ids, { labels: tl.full([b, t], 90, { dtype: 'int32' }) })).toThrow(/BertForMaskedLM\.forward: labels holds 90 at index 0; it must be in \[0, 90\) or -100/);
    expect(() => mlm.forward(ids.reshape([-1]))).toThrow(/BertForMaskedLM\.forward: inputIds must be an int32 tensor \[batch, seq\], got \[26\]/);

    const qa = await BertForQuestionAnswering.fromPretrained(fixture('bert-qa'), load);
    const pos = (v: number[]) => tl.tensor(v, { dtype: 'int32' });
    expect(() => qa.forward(ids, { startPositions: pos([1, 2]) })).toThrow(/BertForQuestionAnswering\.forward: give startPositions and endPositions together/);
    // Negative positions are token 0, as the hub's clamp(0, seq) has it (not an error, on any backend).
    const negative = qa.forward(ids, { startPositions: pos([1, -1]), endPositions: pos([2, -7]) });
    const zero = qa.forward(ids, { startPositions: pos([1, 0]), endPositions: pos([2, 0]) });
    expect((await negative.loss!.item()) as number).toBeCloseTo((await zero.loss!.item()) as number, 6);
    expect(() => qa.forward(ids, { startPositions: pos([1, 2, 3]), endPositions: pos([2, 3, 4]) })).toThrow(/startPositions is \[3\], expected \[2\]/);
    expect(() => qa.forward(ids, { startPositions: tl.tensor([1, 2]), endPositions: pos([2, 3]) })).toThrow(/startPositions must be int32/);
    // Positions at or past the sequence are ignored, as the hub's clamp has it: only the first row counts.
    const { startLogits, endLogits, loss } = qa.forward(ids, { startPositions: pos([1, 40]), endPositions: pos([2, 13]) });
    const one = qa.forward(ids.narrow(0, 0, 1), { startPositions: pos([1]), endPositions: pos([2]) });
    expect(Math.abs(((await loss!.item()) as number) - ((await one.loss!.item()) as number))).toBeLessThan(1e-5);
    await expect(BertForQuestionAnswering.fromPretrained(fixture('bert-qa'), { ...load, config: { num_labels: 3 } })).rejects.toThrow(/BertForQuestionAnswering: num_labels must be 2/);

    const mc = await BertForMultipleChoice.fromPretrained(fixture('bert-mc'), load);
    expect(() => mc.forward(ids)).toThrow(/BertForMultipleChoice\.forward: inputIds must be an int32 tensor \[batch, choices, seq\], got \[2, ?13\]/);
    const choices = ints(expected('bert-mc').input_ids, 'cpu');
    expect(() => mc.forward(choices, { attentionMask: tl.ones([2, 3]) })).toThrow(/BertForMultipleChoice\.forward: attentionMask is \[2, ?3\], expected \[2, 3, \d+\] as inputIds/);
    expect(() => mc.forward(choices, { labels: tl.tensor([0, 1, 2], { dtype: 'int32' }) })).toThrow(/BertForMultipleChoice\.forward: labels is \[3\], expected \[2\]/);
    expect(() => mc.forward(choices, { labels: tl.tensor([0, 3], { dtype: 'int32' }) })).toThrow(/BertForMultipleChoice\.forward: labels holds 3 at index 1; it must be in \[0, 3\) or -100/);
    // -100 leaves a question out, as the hub's CrossEntropyLoss.
    const left = mc.forward(choices, { labels: tl.tensor([-100, 2], { dtype: 'int32' }) });
    const second = mc.forward(choices.narrow(0, 1, 1), { labels: tl.tensor([2], { dtype: 'int32' }) });
    expect((await left.loss!.item()) as number).toBeCloseTo((await second.loss!.item()) as number, 5);

    const tok = await BertForTokenClassification.fromPretrained(fixture('bert-token'), load);
    expect(() => tok.forward(ids, { labels: tl.full([b, t], 5, { dtype: 'int32' }) })).toThrow(/BertForTokenClassification\.forward: labels holds 5 at index 0; it must be in \[0, 5\) or -100/);
    for (const x of [ids, startLogits, endLogits, loss!, choices]) x.dispose();
    for (const m of [mlm, qa, mc, tok]) m.dispose();
  });
});
