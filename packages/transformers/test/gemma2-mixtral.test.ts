// Gemma 2 and Mixtral beyond the shared model suite (which checks logits, losses, greedy, cached,
// batched and sampled generation on every backend): Mixtral's and Qwen2-MoE's load-balancing loss against the
// reference's (with and without an attention mask), the two ways of routing tokens to experts
// (gathered per expert, or dense where the backend cannot read back) giving the same values and
// gradients, Gemma 2's per-layer windows and soft-caps taking part, and the config values that
// are refused with errors naming them.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { AutoModelForCausalLM, Gemma2ForCausalLM, MixtralForCausalLM, Qwen2MoeForCausalLM, routeToExperts } from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff, record } from './fixtures.js';

const run = haveFixtures ? describe : describe.skip;
if (!haveFixtures) it.skip('no PyTorch reference fixtures (python3-torch missing)', () => {});

const load = { device: 'cpu', dtype: 'float32', logger: null } as const;
const ids2d = (rows: number[][]) => tl.tensor(rows.flat(), { dtype: 'int32' }).reshape([rows.length, rows[0].length]);
const logitsOf = async (t: tl.Tensor) => (await t.data()) as Float32Array;

run('Mixtral: the router', () => {
  // Qwen2-MoE's router (its layers 0 and 2 sparse, layer 1 dense: router logits for two layers) is Mixtral's.
  it.each([['mixtral', MixtralForCausalLM], ['qwen2-moe', Qwen2MoeForCausalLM]] as const)('%s: auxLoss is the hub\'s load_balancing_loss_func over the sparse layers, with and without the attention mask, and the loss holds coef × auxLoss', async (name, cls) => {
    const e = expected(name);
    const model = await cls.fromPretrained(fixture(name), load);
    const ids = ids2d(e.input_ids);
    const out = tl.noGrad(() => model.forward(ids, { labels: ids }));
    expect(out.routerLogits!.length).toBe(2);
    expect(out.routerLogits![0].shape).toEqual([ids.size, 4]);
    const aux = (await out.auxLoss!.item()) as number;
    const padded = tl.noGrad(() => model.forward(ids2d(e.padded_input_ids), { attentionMask: e.padded_attention_mask }));
    const paddedAux = (await padded.auxLoss!.item()) as number;
    record({ check: 'aux-loss', model: name, device: 'cpu', auxDiff: Math.abs(aux - e.aux_loss), paddedAuxDiff: Math.abs(paddedAux - e.padded_aux_loss) });
    expect(Math.abs(aux - e.aux_loss)).toBeLessThan(1e-5);
    expect(Math.abs(paddedAux - e.padded_aux_loss)).toBeLessThan(1e-5);
    // The mask matters: padding tokens are left out of both shares.
    expect(Math.abs(paddedAux - e.aux_loss)).toBeGreaterThan(1e-3);
    // Without the router logits: the cross-entropy alone, and neither auxLoss nor routerLogits.
    const plain = tl.noGrad(() => model.forward(ids, { labels: ids, outputRouterLogits: false }));
    expect(plain.auxLoss).toBeUndefined();
    expect(plain.routerLogits).toBeUndefined();
    expect(Math.abs(((await plain.loss!.item()) as number) + 0.05 * e.aux_loss - e.loss)).toBeLessThan(1e-5);
    // Over a cache (generation) nothing is computed for the router.
    const cache = model.createCache(2, ids.shape[1]);
    expect(tl.noGrad(() => model.forward(ids, { cache })).auxLoss).toBeUndefined();
    cache.dispose();
    model.dispose();
  });

  it('the load-balancing loss alone trains the router (and only the router and what feeds it)', async () => {
    const e = expected('mixtral');
    const model = await MixtralForCausalLM.fromPretrained(fixture('mixtral'), load);
    const ids = ids2d(e.input_ids);
    const { auxLoss } = model.forward(ids);
    auxLoss!.backward();
    const grads = new Map(model.namedParameters().map(([k, p]) => [k, p.grad]));
    const gate = (await grads.get('model.layers.1.block_sparse_moe.gate.weight')!.data()) as Float32Array;
    expect(gate.some((g) => g !== 0)).toBe(true);
    // The experts' outputs do not enter it; the last layer's experts get no gradient at all.
    const expert = grads.get('model.layers.1.block_sparse_moe.experts.0.w1.weight');
    expect(expert === null || expert === undefined || ((await expert.data()) as Float32Array).every((g) => g === 0)).toBe(true);
    model.dispose();
  });

  it('routing gathered per expert and dense routing give the same outputs and gradients', async () => {
    tl.manualSeed(3);
    const [n, h, experts, k] = [9, 6, 4, 2];
    const x = tl.randn([n, h], { requiresGrad: true });
    const logits = tl.randn([n, experts], { requiresGrad: true });
    const ws = Array.from({ length: experts }, () => tl.randn([h, h], { requiresGrad: true }));
    const fns = ws.map((w) => (y: tl.Tensor) => tl.silu(y.matmul(w)));
    const results: { out: Float32Array; grads: Float32Array[] }[] = [];
    for (const dense of [false, true]) {
      for (const t of [x, logits, ...ws]) t.grad = null;
      const { values, indices } = logits.softmax(-1).topk(k, -1);
      const weights = values.div(values.sum(-1, true));
      const out = routeToExperts(x, weights, indices, fns, { dense });
      out.square().sum().backward();
      results.push({ out: await logitsOf(out), grads: await Promise.all([x, logits, ...ws].map(async (t) => (await t.grad!.data()) as Float32Array)) });
    }
    expect(maxDiff(results[0].out, results[1].out)).toBeLessThan(1e-6);
    results[0].grads.forEach((g, i) => expect(maxDiff(g, results[1].grads[i]), `gradient ${i}`).toBeLessThan(1e-5));
    // Every expert and the router got a gradient.
    for (const g of results[0].grads) expect(g.some((v) => v !== 0)).toBe(true);
  });
});

run('Gemma 2: windows and soft-caps', () => {
  it('the sliding window, the attention soft-cap and the logit soft-cap each change the logits', async () => {
    const e = expected('gemma2');
    const ids = ids2d(e.greedy); // 26 positions: past the window of 4
    const variants: Record<string, Record<string, unknown>> = {
      as: {},
      full: { layer_types: ['full_attention', 'full_attention', 'full_attention'] },
      noAttnCap: { attn_logit_softcapping: null },
      noFinalCap: { final_logit_softcapping: null },
    };
    const got: Record<string, Float32Array> = {};
    for (const [name, config] of Object.entries(variants)) {
      const model = await Gemma2ForCausalLM.fromPretrained(fixture('gemma2'), { ...load, config });
      got[name] = await logitsOf(tl.noGrad(() => model.forward(ids)).logits);
      model.dispose();
    }
    // layer_types as the hub's default (even layers slide) gives the same as none.
    const listed = await Gemma2ForCausalLM.fromPretrained(fixture('gemma2'), { ...load, config: { layer_types: ['sliding_attention', 'full_attention', 'sliding_attention'] } });
    expect(maxDiff(await logitsOf(tl.noGrad(() => listed.forward(ids)).logits), got.as)).toBe(0);
    listed.dispose();
    for (const name of ['full', 'noAttnCap', 'noFinalCap']) expect(maxDiff(got[name], got.as), name).toBeGreaterThan(1e-2);
    // The final soft-cap bounds the logits by final_logit_softcapping (6).
    expect(Math.max(...Array.from(got.as, Math.abs))).toBeLessThan(6);
  });
});

describe('Gemma 2 and Mixtral configs', () => {
  const gemma2 = {
    model_type: 'gemma2', vocab_size: 16, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 4,
  };
  const mixtral = {
    model_type: 'mixtral', vocab_size: 16, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1,
  };

  it('AutoModelForCausalLM knows both', () => {
    expect(AutoModelForCausalLM.classFor('gemma2')).toBe(Gemma2ForCausalLM);
    expect(AutoModelForCausalLM.classFor('mixtral')).toBe(MixtralForCausalLM);
  });

  it('builds with the hub\'s defaults: Gemma 2\'s four norms per layer and tied head; Mixtral\'s 8 experts', () => {
    const g = new Gemma2ForCausalLM(gemma2);
    const keys = Object.keys(g.stateDict());
    expect(keys).toEqual(expect.arrayContaining(['model.layers.1.pre_feedforward_layernorm.weight', 'model.layers.1.post_feedforward_layernorm.weight']));
    expect(g.tiedKeys()).toEqual(['lm_head.weight']);
    const m = new MixtralForCausalLM(mixtral);
    const mk = Object.keys(m.stateDict());
    expect(mk).toEqual(expect.arrayContaining(['model.layers.0.block_sparse_moe.gate.weight', 'model.layers.1.block_sparse_moe.experts.7.w3.weight']));
    expect(mk.some((k) => k.includes('.mlp.'))).toBe(false);
    expect(m.stateDict()['model.layers.0.block_sparse_moe.gate.weight'].shape).toEqual([8, 8]);
    for (const model of [g, m]) model.dispose();
  });

  it('refuses what it does not implement, naming the field', () => {
    expect(() => new Gemma2ForCausalLM({ ...gemma2, layer_types: ['chunked_attention', 'full_attention'] })).toThrow(/Gemma2ForCausalLM: layer_types 'chunked_attention' is not supported/);
    expect(() => new Gemma2ForCausalLM({ ...gemma2, layer_types: ['full_attention'] })).toThrow(/layer_types must list one type for each of the 2 layers/);
    expect(() => new Gemma2ForCausalLM({ ...gemma2, use_bidirectional_attention: true })).toThrow(/use_bidirectional_attention/);
    expect(() => new Gemma2ForCausalLM({ ...gemma2, sliding_window: null })).toThrow(/layer 0 is a sliding_attention layer but sliding_window is null/);
    expect(() => new Gemma2ForCausalLM({ ...gemma2, attn_logit_softcapping: 'yes' as unknown as number })).toThrow(/'attn_logit_softcapping' should be a positive number or null/);
    expect(() => new MixtralForCausalLM({ ...mixtral, num_local_experts: 2, num_experts_per_tok: 3 })).toThrow(/MixtralForCausalLM: num_experts_per_tok 3 exceeds num_local_experts 2/);
    expect(() => new MixtralForCausalLM({ ...mixtral, num_local_experts: 0 })).toThrow(/'num_local_experts' should be a positive integer/);
    expect(() => new MixtralForCausalLM({ ...mixtral, router_jitter_noise: 1.5 })).toThrow(/router_jitter_noise 1.5/);
    expect(() => new MixtralForCausalLM({ ...mixtral, sliding_window: -4 })).toThrow(/MixtralForCausalLM: config field 'sliding_window'/);
    expect(() => new Gemma2ForCausalLM({ ...mixtral })).toThrow(/model_type 'mixtral' is not one it reads \(gemma2\)/);
  });

  it('Mixtral\'s router jitter multiplies the MoE input while training only', () => {
    const m = new MixtralForCausalLM({ ...mixtral, router_jitter_noise: 0.3 });
    const ids = tl.tensor([[1, 2, 3, 4]], { dtype: 'int32' });
    m.eval();
    const a = tl.noGrad(() => m.forward(ids).logits).dataSync() as Float32Array;
    const b = tl.noGrad(() => m.forward(ids).logits).dataSync() as Float32Array;
    expect(maxDiff(a, b)).toBe(0);
    m.train();
    const c = tl.noGrad(() => m.forward(ids).logits).dataSync() as Float32Array;
    expect(maxDiff(a, c)).toBeGreaterThan(0);
    m.dispose();
  });
});
