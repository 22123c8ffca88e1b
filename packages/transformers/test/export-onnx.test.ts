// exportOnnx of the causal LMs' no-cache forward with dynamic batch and sequence axes: each
// fixture is traced at one shape (the positions, causal mask and rotary tables then come from
// tensor ops: see decoderInputs' `traced`), and the file is run in onnxruntime-node at two
// other shapes, without and with a left-padded attention mask, within 1e-4 of the Tensile
// model's logits (its runtime path, which builds them on the host).
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import '@tensile/backend-cpu';
import { Module } from '@tensile/nn';
import { exportOnnx } from '@tensile/onnx';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  GPT2LMHeadModel, GPTNeoXForCausalLM, Gemma2ForCausalLM, GemmaForCausalLM, LlamaForCausalLM, MixtralForCausalLM, OPTForCausalLM, Phi3ForCausalLM, PhiForCausalLM, Qwen2MoeForCausalLM, Qwen3ForCausalLM, type CausalLM,
} from '../src/index.js';
import { fixture, haveFixtures } from './fixtures.js';
import { difference } from './onnxruntime.js';

const TOL = 1e-4;
const load = (cls: { fromPretrained(dir: string, options: object): Promise<CausalLM> }) => (dir: string) => cls.fromPretrained(dir, { dtype: 'float32', logger: null });

const MODELS: [string, (dir: string) => Promise<CausalLM>][] = [
  ['gpt2', load(GPT2LMHeadModel)],
  ['llama', load(LlamaForCausalLM)],
  ['smollm', load(LlamaForCausalLM)],
  ['qwen2', load(LlamaForCausalLM)],
  ['mistral', load(LlamaForCausalLM)],
  ['gemma', load(GemmaForCausalLM)],
  ['qwen3', load(Qwen3ForCausalLM)],
  ['phi3', load(Phi3ForCausalLM)],
  // Sliding window 4 on the even layers, soft-capped scores and logits.
  ['gemma2', load(Gemma2ForCausalLM)],
  // Longrope past original_max_position_embeddings 16: the factors are picked in the graph.
  ['phi3-longrope', load(Phi3ForCausalLM)],
  ['gpt-neox', load(GPTNeoXForCausalLM)],
  ['gpt-neox-sequential', load(GPTNeoXForCausalLM)],
  ['phi', load(PhiForCausalLM)],
  ['phi-qk', load(PhiForCausalLM)],
  ['opt', load(OPTForCausalLM)],
  ['opt-350m', load(OPTForCausalLM)],
  // Routed densely while traced: every expert on every token, weighted by the routing matrix.
  ['mixtral', load(MixtralForCausalLM)],
  ['qwen2-moe', load(Qwen2MoeForCausalLM)],
];

/** `model.forward(ids[, { attentionMask }]).logits` as a module of tensor inputs. */
class Logits extends Module {
  constructor(readonly lm: CausalLM) {
    super();
  }
  forward(ids: Tensor, mask?: Tensor): Tensor {
    return this.lm.forward(ids, mask ? { attentionMask: mask } : {}).logits;
  }
}

function ids(batch: number, seq: number, vocab: number, seed: number): Tensor {
  return tl.tensor(Int32Array.from({ length: batch * seq }, (_, i) => (i * 7919 + seed * 104729 + 13) % vocab), { dtype: 'int32' }).reshape([batch, seq]);
}

/** Left padding: row r has r pad positions (at most seq - 1). */
function leftPadded(batch: number, seq: number): Tensor {
  return tl.tensor(Int32Array.from({ length: batch * seq }, (_, i) => (i % seq >= Math.min(Math.floor(i / seq), seq - 1) ? 1 : 0)), { dtype: 'int32' }).reshape([batch, seq]);
}

const AXES = { 0: 'batch', 1: 'seq' };

describe.skipIf(!haveFixtures)('exportOnnx of causal LMs, dynamic batch and seq', () => {
  for (const [name, make] of MODELS) {
    it(`${name}: forward(ids) and forward(ids, { attentionMask })`, async () => {
      const lm = await make(fixture(name));
      const vocab = (lm.config as { vocab_size: number }).vocab_size;
      const module = new Logits(lm);
      const plain = await exportOnnx(module, [ids(2, 5, vocab, 1)], { dynamicAxes: { input_0: AXES } });
      let session = await ort.InferenceSession.create(plain);
      const worst: number[] = [];
      // Longrope's fixture switches to its long factors past 16 positions: a shape beyond it too.
      const long = name === 'phi3-longrope';
      for (const [b, t] of [[1, 3], [3, 7], ...(long ? [[1, 20]] : [])]) worst.push(await difference(session, module, [ids(b, t, vocab, b + t)]));
      const masked = await exportOnnx(module, [ids(2, 5, vocab, 2), leftPadded(2, 5)], { dynamicAxes: { input_0: AXES, input_1: AXES } });
      session = await ort.InferenceSession.create(masked);
      for (const [b, t] of [[1, 4], [3, 6], ...(long ? [[2, 20]] : [])]) worst.push(await difference(session, module, [ids(b, t, vocab, b * t), leftPadded(b, t)]));
      console.log(`${name}: max |onnxruntime - tensile| ${worst.map((w) => w.toExponential(2)).join(', ')}`);
      for (const w of worst) expect(w).toBeLessThan(TOL);
    });
  }

  it('refuses to trace a forward with a cache, positionIds, a host-array mask, labels or logitsToKeep, naming the forward', async () => {
    for (const [name, cls, where] of [['gpt2', GPT2LMHeadModel, 'GPT2Model.forward'], ['llama', LlamaForCausalLM, 'LlamaModel.forward']] as const) {
      const lm = await load(cls)(fixture(name));
      const x = ids(1, 3, (lm.config as { vocab_size: number }).vocab_size, 0);
      const cache = lm.createCache(1, 8);
      const traced = (options: object) => () => tl.autograd.trace(() => lm.forward(x, options));
      expect(traced({ cache })).toThrow(`${where}: a forward with a cache cannot be traced`);
      expect(traced({ positionIds: [[0, 1, 2]] })).toThrow(`${where}: positionIds (host arrays) cannot be traced`);
      expect(traced({ attentionMask: [[1, 1, 1]] })).toThrow(`${where}: an attentionMask of host arrays cannot be traced`);
      expect(traced({ labels: x })).toThrow(`${where}: labels (the loss) cannot be traced`);
      expect(traced({ logitsToKeep: 1 })).toThrow(`${where}: logitsToKeep cannot be traced`);
      cache.dispose();
      expect(tl.autograd.isTracing()).toBe(false);
    }
  });
});
