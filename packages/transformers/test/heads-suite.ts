// The encoders' task heads against the PyTorch reference, run by each backend's test file
// (heads-cpu/wasm/webgpu.test.ts): masked LM, token classification, question answering and
// multiple choice for BERT, RoBERTa and DistilBERT. Logits within 1e-4, losses equal (the span
// loss also with negative positions, which the hub clamps to token 0, on every backend),
// the masked LMs' decoders really tied to the word embeddings, each checkpoint layout's keys
// loaded or skipped as the hub's loader does.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  AutoModelForMaskedLM, AutoModelForMultipleChoice, AutoModelForQuestionAnswering, AutoModelForTokenClassification,
  BertForMaskedLM, BertForMultipleChoice, BertForQuestionAnswering, BertForTokenClassification,
  DistilBertForMaskedLM, DistilBertForMultipleChoice, DistilBertForQuestionAnswering, DistilBertForTokenClassification,
  RobertaForMaskedLM, RobertaForMultipleChoice, RobertaForQuestionAnswering, RobertaForTokenClassification,
  type EncoderForMaskedLM, type PreTrainedModel,
} from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff, record } from './fixtures.js';

const TOL = 1e-4;

export async function floats(t: tl.Tensor): Promise<Float32Array> {
  return (await (t.dtype === 'float32' ? t : t.float()).data()) as Float32Array;
}

type Kind = 'mlm' | 'token' | 'qa' | 'mc';
type Loader = { fromPretrained(dir: string, options: object): Promise<PreTrainedModel> };

/** Every head fixture: its class, its kind, and the Auto class that must pick that class. */
export const HEADS: [string, Kind, Loader, Loader][] = [
  ['bert-mlm', 'mlm', BertForMaskedLM, AutoModelForMaskedLM],
  ['bert-token', 'token', BertForTokenClassification, AutoModelForTokenClassification],
  ['bert-qa', 'qa', BertForQuestionAnswering, AutoModelForQuestionAnswering],
  ['bert-mc', 'mc', BertForMultipleChoice, AutoModelForMultipleChoice],
  ['roberta-mlm', 'mlm', RobertaForMaskedLM, AutoModelForMaskedLM],
  ['roberta-token', 'token', RobertaForTokenClassification, AutoModelForTokenClassification],
  ['roberta-qa', 'qa', RobertaForQuestionAnswering, AutoModelForQuestionAnswering],
  ['roberta-mc', 'mc', RobertaForMultipleChoice, AutoModelForMultipleChoice],
  ['distilbert-mlm', 'mlm', DistilBertForMaskedLM, AutoModelForMaskedLM],
  ['distilbert-token', 'token', DistilBertForTokenClassification, AutoModelForTokenClassification],
  ['distilbert-qa', 'qa', DistilBertForQuestionAnswering, AutoModelForQuestionAnswering],
  ['distilbert-mc', 'mc', DistilBertForMultipleChoice, AutoModelForMultipleChoice],
];

/** A nested int array as an int32 tensor on `device`. */
export function ints(value: unknown, device: string): tl.Tensor {
  const shape: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  return tl.tensor((value as number[]).flat(Infinity as 1) as number[], { dtype: 'int32', device }).reshape(shape);
}

/** A fixture's inputs for `forward`: ids, the mask (host rows on webgpu, a tensor elsewhere), token types where it has them. */
export function headInputs(e: any, device: string): { ids: tl.Tensor; options: Record<string, unknown> } {
  const options: Record<string, unknown> = { attentionMask: device === 'webgpu' ? e.attention_mask : ints(e.attention_mask, device) };
  if (e.token_type_ids) options.tokenTypeIds = ints(e.token_type_ids, device);
  return { ids: ints(e.input_ids, device), options };
}

/** The fixture's targets as `forward` options. */
export function headTargets(kind: Kind, e: any, device: string): Record<string, tl.Tensor> {
  return kind === 'qa' ? { startPositions: ints(e.start_positions, device), endPositions: ints(e.end_positions, device) } : { labels: ints(e.labels, device) };
}

/** The keys each checkpoint layout leaves unused (quietly: no note) and ties. */
const UNUSED: Record<string, string[]> = {
  'bert-mlm': ['bert.pooler.dense.weight', 'bert.pooler.dense.bias', 'cls.seq_relationship.weight', 'cls.seq_relationship.bias',
    'cls.predictions.decoder.weight', 'cls.predictions.decoder.bias', 'bert.embeddings.position_ids'],
  'roberta-mlm': [],
  'distilbert-mlm': [],
};
const TIED: Record<string, string[]> = {
  'bert-mlm': ['cls.predictions.decoder.weight', 'cls.predictions.decoder.bias'],
  'roberta-mlm': ['lm_head.decoder.weight', 'lm_head.decoder.bias'],
  'distilbert-mlm': ['vocab_projector.weight'],
};

export function headsSuite(device: string, unavailable: string | null, names?: string[]): void {
  const skip = unavailable ?? (haveFixtures ? null : 'no PyTorch reference fixtures (python3-torch missing)');
  const run = skip ? describe.skip : describe;
  if (skip) it.skip(`${device}: ${skip}`, () => {});

  run(`encoder task heads on ${device}`, () => {
    for (const [name, kind, cls, auto] of HEADS.filter(([n]) => !names || names.includes(n))) {
      it(`${name}: logits and loss match the PyTorch reference`, async () => {
        const e = expected(name);
        const notes: string[] = [];
        const model = (await cls.fromPretrained(fixture(name), { device, dtype: 'float32', logger: (m: string) => notes.push(m) })) as any;
        const { ids, options } = headInputs(e, device);
        const out = model.forward(ids, { ...options, ...headTargets(kind, e, device) });
        let diff: number;
        if (kind === 'qa') {
          expect(out.startLogits.shape).toEqual(e.logits_shape);
          expect(out.endLogits.shape).toEqual(e.logits_shape);
          diff = Math.max(maxDiff(await floats(out.startLogits), e.start_logits), maxDiff(await floats(out.endLogits), e.end_logits));
        } else {
          expect(out.logits.shape).toEqual(e.logits_shape);
          diff = maxDiff(await floats(out.logits), e.logits);
        }
        const lossDiff = Math.abs(((await out.loss.item()) as number) - e.loss);
        record({ check: 'head-logits', model: name, device, maxAbsDiff: diff, lossDiff });
        expect(diff).toBeLessThan(TOL);
        expect(lossDiff).toBeLessThan(TOL);
        if (kind === 'qa') {
          // Negative positions: clamped to token 0 as the hub's, the same on every backend (no error).
          const negative = { startPositions: ints(e.negative_start_positions, device), endPositions: ints(e.negative_end_positions, device) };
          const clamped = tl.noGrad(() => model.forward(ids, { ...options, ...negative }));
          const negativeDiff = Math.abs(((await clamped.loss.item()) as number) - e.negative_loss);
          record({ check: 'head-negative-positions', model: name, device, lossDiff: negativeDiff });
          expect(negativeDiff).toBeLessThan(TOL);
        }
        // Without targets: the same logits and no loss.
        const bare = tl.noGrad(() => model.forward(ids, options));
        expect(bare.loss).toBeUndefined();

        if (kind === 'mlm') {
          const mlm = model as EncoderForMaskedLM<object>;
          const embedding = (mlm.base as any).embeddings.wordEmbeddings.weight;
          // Tied: one parameter, not a copy; the head's own keys loaded, the tied ones left out.
          expect(mlm.decoder.weight).toBe(embedding);
          if (mlm.bias) expect(mlm.decoder.bias).toBe(mlm.bias);
          expect(mlm.parameters().filter((p) => p === embedding)).toHaveLength(1);
          expect(model.loadReport.tiedKeys.sort()).toEqual(TIED[name].sort());
          expect(Object.keys(model.hubStateDict()).some((k: string) => TIED[name].includes(k))).toBe(false);
          expect(model.loadReport.unexpectedKeys.sort()).toEqual(UNUSED[name].sort());
          expect(notes).toEqual([]);
        }
        for (const t of [ids, ...Object.values(options)]) if (t instanceof tl.Tensor) t.dispose();
        model.dispose();

        // The Auto class picks this class.
        if (device === 'cpu') {
          const picked = await auto.fromPretrained(fixture(name), { device, dtype: 'float32', logger: null });
          expect(picked).toBeInstanceOf(cls as unknown as new (...a: never[]) => object);
          picked.dispose();
        }
      });
    }
  });
}
