/**
 * Qwen2-MoE (`Qwen2MoeForCausalLM`, `model_type` qwen2_moe: Qwen/Qwen1.5-MoE-A2.7B,
 * Qwen/Qwen2-57B-A14B): Qwen2's attention (biased q, k, v) with, in the sparse layers,
 * `model.layers.N.mlp.gate` (the router), `mlp.experts.E.{gate_proj, up_proj, down_proj}` (SwiGLU
 * experts of `moe_intermediate_size`) and a shared expert `mlp.shared_expert.*` scaled by
 * `sigmoid(mlp.shared_expert_gate(x))`; the other layers (`mlp_only_layers`, or off the
 * `decoder_sparse_step`) have Qwen2's dense MLP. Built on Mixtral's routing (`./mixtral.ts`).
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import type { Linear } from '@tensile/nn';
import { denseLayer, type KVCache, type RMSNorm } from '../layers.js';
import { DecoderLayer, LlamaAttention, LlamaMLP, hubName, rmsNorm, type GatedMLP, type LlamaSettings, type MoESettings } from './llama.js';
import { MixtralForCausalLM, MixtralSparseMoeBlock } from './mixtral.js';

/** A SwiGLU MLP (`gate_proj`, `up_proj`, `down_proj`) `inner` wide, without biases. */
const swiglu = (s: LlamaSettings, inner: number): LlamaMLP => new LlamaMLP({ ...s, inner, mlpBias: false });

/**
 * Qwen2-MoE's sparse block: Mixtral's routing (float32 softmax, top k, renormalised only with
 * `norm_topk_prob`) over `experts.E`, plus `sigmoid(shared_expert_gate(x)) · shared_expert(x)`.
 */
export class Qwen2MoeSparseMoeBlock extends MixtralSparseMoeBlock {
  sharedExpert: LlamaMLP;
  sharedExpertGate: Linear;
  constructor(moe: MoESettings, s: LlamaSettings) {
    super(moe, s, (e) => swiglu(e, moe.expertInner!));
    this.sharedExpert = swiglu(s, moe.sharedExpertInner!);
    this.sharedExpertGate = denseLayer(s.hidden, 1, s.std, false);
  }
  protected override stateName(field: string): string {
    return hubName(field);
  }
  override forward(x: Tensor): [Tensor, Tensor] {
    return tl.tidy((): [Tensor, Tensor] => {
      const [routed, logits] = super.forward(x);
      // The routed experts' sum, then the gated shared expert added to it (the hub's order).
      const shared = this.sharedExpertGate.forward(x).sigmoid().mul(this.sharedExpert.forward(x));
      return [routed.add(shared), logits];
    });
  }
}

/** Qwen2-MoE's decoder layer: Qwen2's attention, then the sparse block or a dense MLP (`mlp`), each pre-norm with a residual. */
class Qwen2MoeDecoderLayer extends DecoderLayer {
  selfAttn: LlamaAttention;
  mlp: Qwen2MoeSparseMoeBlock | GatedMLP;
  inputLayernorm: RMSNorm;
  postAttentionLayernorm: RMSNorm;
  constructor(s: LlamaSettings, index: number) {
    super();
    const moe = s.moe!;
    this.selfAttn = new LlamaAttention(s);
    this.mlp = moe.sparseLayers![index] ? new Qwen2MoeSparseMoeBlock(moe, s) : swiglu(s, s.inner);
    this.inputLayernorm = rmsNorm(s);
    this.postAttentionLayernorm = rmsNorm(s);
  }
  protected override stateName(field: string): string {
    return hubName(field);
  }
  forward(x: Tensor, cos: Tensor, sin: Tensor, allowed: Tensor, cache: KVCache | null, layer: number, routerLogits?: Tensor[] | null): Tensor {
    const [out, logits] = tl.tidy((): [Tensor, Tensor | null] => {
      const h = x.add(this.selfAttn.forward(this.inputLayernorm.forward(x), cos, sin, allowed, cache, layer));
      const normed = this.postAttentionLayernorm.forward(h);
      if (!(this.mlp instanceof Qwen2MoeSparseMoeBlock)) return [h.add(this.mlp.forward(normed)), null];
      const [y, router] = this.mlp.forward(normed);
      return [h.add(y), router];
    });
    // Only the sparse layers have router logits, as the hub's.
    if (logits && routerLogits) routerLogits.push(logits);
    else logits?.dispose();
    return out;
  }
}

/**
 * Qwen2-MoE (`Qwen2MoeForCausalLM`, `model_type` qwen2_moe): Qwen2's layout and attention
 * (q, k, v biased, `qkv_bias`) with a mixture of experts in each sparse layer: the router
 * `mlp.gate` `[num_experts, hidden]`, `num_experts` SwiGLU experts `mlp.experts.E.*` of
 * `moe_intermediate_size`, each token sent to its `num_experts_per_tok` likeliest (the float32
 * softmax, renormalised over the chosen only with `norm_topk_prob`), plus the shared expert
 * `mlp.shared_expert.*` (`shared_expert_intermediate_size`) times `sigmoid(mlp.shared_expert_gate(x))`.
 * A layer is sparse unless it is in `mlp_only_layers`, there are no experts, or
 * (index + 1) % `decoder_sparse_step` ≠ 0; the others have the dense MLP of `intermediate_size`.
 * With `output_router_logits` (or the `outputRouterLogits` option) `forward` returns the
 * load-balancing `auxLoss` over the sparse layers and adds `router_aux_loss_coef · auxLoss` to the
 * loss, as Mixtral's. `use_sliding_window` is refused.
 *
 * @example
 * ```ts
 * const moe = await Qwen2MoeForCausalLM.fromPretrained('Qwen/Qwen1.5-MoE-A2.7B-Chat', { device: 'webgpu' });
 * const out = await moe.generate([tokenizer.encode('The capital of France is')], { maxNewTokens: 20 });
 * ```
 */
export class Qwen2MoeForCausalLM extends MixtralForCausalLM {
  static override readonly modelTypes: readonly string[] = ['qwen2_moe'];
  static override decoderLayer(s: LlamaSettings, index: number): DecoderLayer {
    return new Qwen2MoeDecoderLayer(s, index);
  }
}
