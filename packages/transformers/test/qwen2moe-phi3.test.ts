// Qwen2-MoE and Phi-3's rotary options beyond the shared model suite (which checks logits, losses,
// greedy, cached, batched and sampled generation on every backend) and the router checks in
// gemma2-mixtral.test.ts: Qwen2-MoE's layer layout and keys; Phi-3's longrope
// switching to its long factors in the middle of a cached generation (the cache recomputed once,
// as the hub's), the legacy name `su`, and the config values still refused, with errors naming them.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { AutoModelForCausalLM, Phi3ForCausalLM, Qwen2MoeForCausalLM } from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff, record } from './fixtures.js';

const run = haveFixtures ? describe : describe.skip;
if (!haveFixtures) it.skip('no PyTorch reference fixtures (python3-torch missing)', () => {});

const load = { device: 'cpu', dtype: 'float32', logger: null } as const;
const ids2d = (rows: number[][]) => tl.tensor(rows.flat(), { dtype: 'int32' }).reshape([rows.length, rows[0].length]);
const values = async (t: tl.Tensor) => (await t.data()) as Float32Array;

run('Qwen2-MoE: the router', () => {
  it('the hub\'s keys: router, experts, shared expert and its gate in the sparse layers, a dense MLP in the others', async () => {
    const model = await Qwen2MoeForCausalLM.fromPretrained(fixture('qwen2-moe'), load);
    const keys = Object.keys(model.stateDict());
    expect(keys).toEqual(expect.arrayContaining([
      'model.layers.0.mlp.gate.weight', 'model.layers.0.mlp.experts.3.down_proj.weight', 'model.layers.2.mlp.shared_expert.gate_proj.weight',
      'model.layers.2.mlp.shared_expert_gate.weight', 'model.layers.1.mlp.gate_proj.weight', 'model.layers.0.self_attn.k_proj.bias',
    ]));
    expect(keys.some((k) => k.startsWith('model.layers.1.mlp.experts'))).toBe(false);
    expect(keys.some((k) => k.endsWith('o_proj.bias'))).toBe(false);
    const sd = model.stateDict();
    expect(sd['model.layers.0.mlp.experts.0.up_proj.weight'].shape).toEqual([24, 32]);
    expect(sd['model.layers.0.mlp.shared_expert.up_proj.weight'].shape).toEqual([40, 32]);
    expect(sd['model.layers.0.mlp.shared_expert_gate.weight'].shape).toEqual([1, 32]);
    expect(sd['model.layers.1.mlp.up_proj.weight'].shape).toEqual([64, 32]);
    model.dispose();
  });
});

run('Phi-3: partial rotary and longrope', () => {
  it('a short prompt generates past original_max_position_embeddings as the reference, cached (recomputed once at the switch) and uncached', async () => {
    const e = expected('phi3-longrope');
    const model = await Phi3ForCausalLM.fromPretrained(fixture('phi3-longrope'), load);
    const short = ids2d(e.short_input_ids);
    const logits = tl.noGrad(() => model.forward(short).logits);
    const diff = maxDiff(await values(logits), e.short_logits);
    record({ check: 'short-logits', model: 'phi3-longrope', device: 'cpu', maxAbsDiff: diff });
    expect(diff).toBeLessThan(1e-4);
    const cached = (await (await model.generate(e.short_input_ids, { maxNewTokens: 20, eosTokenId: null })).array()) as number[][];
    const uncached = (await (await model.generate(e.short_input_ids, { maxNewTokens: 20, eosTokenId: null, useCache: false })).array()) as number[][];
    expect(cached).toEqual(e.short_greedy);
    expect(uncached).toEqual(e.short_greedy);
    model.dispose();
  });

  it('the long factors change the logits past the boundary only; the legacy name su is longrope', async () => {
    const e = expected('phi3-longrope');
    const ids = ids2d(e.input_ids); // longer than original_max_position_embeddings
    const base = await Phi3ForCausalLM.fromPretrained(fixture('phi3-longrope'), load);
    const scaling = base.config.rope_scaling as Record<string, unknown>;
    const su = await Phi3ForCausalLM.fromPretrained(fixture('phi3-longrope'), { ...load, config: { rope_scaling: { ...scaling, type: 'su' } } });
    const shortOnly = await Phi3ForCausalLM.fromPretrained(fixture('phi3-longrope'), { ...load, config: { rope_scaling: { ...scaling, long_factor: scaling.short_factor } } });
    const [a, b, c] = await Promise.all([base, su, shortOnly].map(async (m) => values(tl.noGrad(() => m.forward(ids).logits))));
    expect(maxDiff(a, b)).toBe(0);
    expect(maxDiff(a, c)).toBeGreaterThan(1e-2);
    const short = ids2d(e.short_input_ids);
    const [d, f] = await Promise.all([base, shortOnly].map(async (m) => values(tl.noGrad(() => m.forward(short).logits))));
    expect(maxDiff(d, f)).toBe(0);
    for (const m of [base, su, shortOnly]) m.dispose();
  });
});

describe('Qwen2-MoE and Phi-3 configs', () => {
  const qwen = {
    model_type: 'qwen2_moe', vocab_size: 16, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 4, num_attention_heads: 2, num_key_value_heads: 1,
    num_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 4, shared_expert_intermediate_size: 8,
  };
  const phi3 = {
    model_type: 'phi3', vocab_size: 16, hidden_size: 32, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 64,
  };
  const longrope = (n: number) => ({ type: 'longrope', short_factor: new Array(n).fill(1), long_factor: new Array(n).fill(2) });

  it('AutoModelForCausalLM knows qwen2_moe', () => {
    expect(AutoModelForCausalLM.classFor('qwen2_moe')).toBe(Qwen2MoeForCausalLM);
    expect(AutoModelForCausalLM.classFor('phi3')).toBe(Phi3ForCausalLM);
  });

  it('sparse layers as the hub picks them: decoder_sparse_step, mlp_only_layers, no experts', () => {
    const sparse = (config: Record<string, unknown>) => {
      const m = new Qwen2MoeForCausalLM({ ...qwen, ...config });
      const keys = Object.keys(m.stateDict());
      m.dispose();
      return [0, 1, 2, 3].map((i) => keys.includes(`model.layers.${i}.mlp.gate.weight`));
    };
    expect(sparse({})).toEqual([true, true, true, true]);
    expect(sparse({ decoder_sparse_step: 2 })).toEqual([false, true, false, true]);
    expect(sparse({ mlp_only_layers: [0, 3] })).toEqual([false, true, true, false]);
    expect(sparse({ num_experts: 0 })).toEqual([false, false, false, false]);
  });

  it('refuses what it does not implement, naming the field', () => {
    expect(() => new Qwen2MoeForCausalLM({ ...qwen, use_sliding_window: true })).toThrow(/Qwen2MoeForCausalLM: use_sliding_window/);
    expect(() => new Qwen2MoeForCausalLM({ ...qwen, num_experts_per_tok: 5 })).toThrow(/Qwen2MoeForCausalLM: num_experts_per_tok 5 exceeds num_experts 4/);
    expect(() => new Qwen2MoeForCausalLM({ ...qwen, mlp_only_layers: ['a'] as unknown as number[] })).toThrow(/Qwen2MoeForCausalLM: mlp_only_layers should list layer indices/);
    expect(() => new Qwen2MoeForCausalLM({ ...qwen, decoder_sparse_step: 0 })).toThrow(/'decoder_sparse_step' should be a positive integer/);
    // head_dim 16: 0.7 gives 11 rotary features.
    expect(() => new Phi3ForCausalLM({ ...phi3, partial_rotary_factor: 0.7 })).toThrow(/Phi3ForCausalLM: partial_rotary_factor 0.7 is not supported \(it gives 11 rotary features/);
    expect(() => new Phi3ForCausalLM({ ...phi3, rope_scaling: { type: 'yarn', factor: 4 } })).toThrow(/Phi3ForCausalLM: rope_scaling type 'yarn' is not supported \(longrope \/ su, or null\)/);
    expect(() => new Phi3ForCausalLM({ ...phi3, rope_scaling: longrope(4) })).toThrow(/rope_scaling.short_factor must list 8 positive numbers/);
    expect(() => new Phi3ForCausalLM({ ...phi3, partial_rotary_factor: 0.5, rope_scaling: longrope(8) })).toThrow(/short_factor must list 4 positive numbers/);
    expect(() => new Phi3ForCausalLM({ ...phi3, original_max_position_embeddings: 8, rope_scaling: { ...longrope(8), original_max_position_embeddings: 16 } }))
      .toThrow(/original_max_position_embeddings 8 disagrees with rope_scaling.original_max_position_embeddings 16/);
    expect(() => new Phi3ForCausalLM({ ...phi3, partial_rotary_factor: 0.5, rope_scaling: longrope(4) })).not.toThrow();
  });
});
