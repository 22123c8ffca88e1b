/**
 * Gemma 2 (`Gemma2ForCausalLM`, `model_type` gemma2): Gemma's layout and keys (offset RMSNorm
 * weights, embeddings × sqrt(hidden_size), GeGLU, tied head) with four norms per layer
 * (`input_layernorm`, `post_attention_layernorm`, `pre_feedforward_layernorm`,
 * `post_feedforward_layernorm`), attention scores scaled by query_pre_attn_scalar^-0.5 and
 * soft-capped (`attn_logit_softcapping`), logits soft-capped (`final_logit_softcapping`), and a
 * sliding window on every other layer. Built from the Llama family's pieces (`./llama.ts`).
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import type { KVCache, RMSNorm } from '../layers.js';
import { LlamaDecoderLayer, LlamaForCausalLM, rmsNorm, type DecoderLayer, type LlamaSettings } from './llama.js';

/**
 * Gemma 2's decoder layer: `h = x + post_attention_layernorm(attn(input_layernorm(x)))`, then
 * `h + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h)))`.
 */
class Gemma2DecoderLayer extends LlamaDecoderLayer {
  preFeedforwardLayernorm: RMSNorm;
  postFeedforwardLayernorm: RMSNorm;
  constructor(s: LlamaSettings) {
    super(s);
    this.preFeedforwardLayernorm = rmsNorm(s);
    this.postFeedforwardLayernorm = rmsNorm(s);
  }
  override forward(x: Tensor, cos: Tensor, sin: Tensor, allowed: Tensor, cache: KVCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const attn = this.selfAttn.forward(this.inputLayernorm.forward(x), cos, sin, allowed, cache, layer);
      const h = x.add(this.postAttentionLayernorm.forward(attn));
      return h.add(this.postFeedforwardLayernorm.forward(this.mlp.forward(this.preFeedforwardLayernorm.forward(h))));
    });
  }
}

/**
 * Gemma 2 (`Gemma2ForCausalLM`, `model_type` gemma2: google/gemma-2-2b, 9b, 27b): Gemma's keys
 * plus `pre_feedforward_layernorm` and `post_feedforward_layernorm` in every layer and the
 * post-attention norm applied to the attention's output; scores scaled by
 * `query_pre_attn_scalar`^-0.5 (default 256) and soft-capped as `cap · tanh(s / cap)`
 * (`attn_logit_softcapping`, default 50), the logits likewise (`final_logit_softcapping`,
 * default 30; null turns either off); `sliding_window` (default 4096) on the even-indexed layers,
 * as the hub's (or as `layer_types` lists them), with full attention on the others. The KV cache
 * keeps every position and masks the sliding layers' old keys, so cached and uncached generation
 * agree beyond the window. `use_bidirectional_attention` is refused.
 *
 * @example
 * ```ts
 * const gemma = await Gemma2ForCausalLM.fromPretrained('google/gemma-2-2b-it', { device: 'webgpu' });
 * const ids = tokenizer.applyChatTemplate([{ role: 'user', content: 'Hi!' }], { addGenerationPrompt: true });
 * const out = await gemma.generate([ids], { maxNewTokens: 64 });
 * ```
 */
export class Gemma2ForCausalLM extends LlamaForCausalLM {
  static override readonly modelTypes: readonly string[] = ['gemma2'];
  static override decoderLayer(s: LlamaSettings): DecoderLayer {
    return new Gemma2DecoderLayer(s);
  }
}
