/**
 * Mixtral (`MixtralForCausalLM`, `model_type` mixtral): Mistral's attention (grouped-query,
 * rotary, optional `sliding_window`) with a sparse mixture-of-experts MLP in every layer,
 * `model.layers.N.block_sparse_moe.gate` (the router, `[experts, hidden]`) and
 * `model.layers.N.block_sparse_moe.experts.E.{w1, w2, w3}` (SwiGLU experts:
 * `w2(silu(w1 x) · w3 x)`). Each token goes to its `num_experts_per_tok` likeliest experts,
 * the softmax of the router logits in float32, renormalised over the chosen ones, as the hub's.
 * With `output_router_logits` the hub's load-balancing loss is computed and added to the loss
 * times `router_aux_loss_coef`. Built from the Llama family's pieces (`./llama.ts`).
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Linear, Module, ModuleList } from '@tensile/nn';
import { causalLMOutput, hostRowsSync, keepLast, type CausalLMForwardOptions, type CausalLMOutput } from '../generation.js';
import { denseLayer, type KVCache, type RMSNorm } from '../layers.js';
import { DecoderLayer, LlamaAttention, LlamaForCausalLM, hubName, rmsNorm, type LlamaSettings, type MoESettings } from './llama.js';

/** Options of `MixtralForCausalLM.forward`. */
export interface MoEForwardOptions extends CausalLMForwardOptions {
  /**
   * Compute the router's load-balancing loss (`auxLoss`, added to `loss` times
   * `router_aux_loss_coef` when there are labels) and return the router logits; default: the
   * config's `output_router_logits`. Not computed over a cache (during generation).
   */
  outputRouterLogits?: boolean;
}

/** What `MixtralForCausalLM.forward` returns. */
export interface MoECausalLMOutput extends CausalLMOutput {
  /** The load-balancing loss, with `outputRouterLogits`. */
  auxLoss?: Tensor;
  /** Each layer's router logits `[batch·seq, experts]`, with `outputRouterLogits`. */
  routerLogits?: Tensor[];
}

/** One expert: `w2(act(w1 x) · w3 x)` (Mixtral's `MixtralBlockSparseTop2MLP`). */
class MixtralExpert extends Module {
  w1: Linear;
  w2: Linear;
  w3: Linear;
  constructor(private readonly s: LlamaSettings) {
    super();
    this.w1 = denseLayer(s.hidden, s.inner, s.std, false);
    this.w2 = denseLayer(s.inner, s.hidden, s.std, false);
    this.w3 = denseLayer(s.hidden, s.inner, s.std, false);
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => this.w2.forward(this.s.act(this.w1.forward(x)).mul(this.w3.forward(x))));
  }
}

/**
 * Route `x` `[N, H]` through `experts`: token n's output is the sum over its chosen experts
 * `indices[n]` (int32 `[N, k]`) of `weights[n, j] · expert(x[n])`, accumulated in expert order as
 * the hub's `index_add_` does. Where the backend reads synchronously (cpu, wasm) each expert runs
 * on its own tokens only: the assignments are sorted by expert on the device, one read of the
 * `experts` counts cuts the sorted list into per-expert segments, and `indexSelect` / `indexAdd`
 * gather and scatter them. Elsewhere (webgpu) nothing is read back: every expert runs on every
 * token and the outputs are weighted by the routing matrix (zero for experts not chosen), which
 * gives the same sums. `dense` asks for the second way anywhere, and a trace (`exportOnnx`) takes it.
 */
export function routeToExperts(x: Tensor, weights: Tensor, indices: Tensor, experts: readonly ((x: Tensor) => Tensor)[], options: { dense?: boolean } = {}): Tensor {
  return tl.tidy(() => {
    const n = x.shape[0];
    const k = indices.shape[1];
    const count = experts.length;
    const device = x.device;
    let out = tl.zerosLike(x);
    // A trace (an ONNX export) takes the dense way too: the per-expert counts would be constants of the traced batch.
    if (x.backend.readSync && !options.dense && !tl.autograd.isTracing()) {
      const flat = indices.reshape([n * k]);
      const order = tl.argsort(flat, 0, false, { stable: true });
      const tokens = tl.arange(0, n, 1, { dtype: 'int32', device }).unsqueeze(1).expand([n, k]).reshape([n * k]).indexSelect(0, order);
      const chosen = weights.reshape([n * k]).indexSelect(0, order);
      const counts = tl.bincountSync(flat, null, count).dataSync();
      let start = 0;
      for (let e = 0; e < count; e++) {
        const m = Number(counts[e]);
        if (m === 0) continue;
        const rows = tokens.narrow(0, start, m);
        const y = experts[e](x.indexSelect(0, rows)).mul(chosen.narrow(0, start, m).unsqueeze(1));
        out = out.indexAdd(0, rows, y);
        start += m;
      }
      return out;
    }
    // [N, k, E] one-hot of the choices, weighted and summed over k: the routing matrix [N, E].
    const ids = tl.arange(0, count, 1, { dtype: 'int32', device });
    const routing = indices.unsqueeze(2).eq(ids).cast(weights.dtype).mul(weights.unsqueeze(2)).sum(1);
    for (let e = 0; e < count; e++) out = out.add(experts[e](x).mul(routing.narrow(1, e, 1)));
    return out;
  });
}

/**
 * Mixtral's sparse MoE block (`block_sparse_moe`): the router `gate` and the `experts`
 * (`makeExpert`'s, Mixtral's `w1`/`w2`/`w3` by default). Returns the output `[B, T, H]` and the
 * router logits `[B·T, experts]`.
 */
export class MixtralSparseMoeBlock extends Module {
  gate: Linear;
  experts: ModuleList<Module>;
  constructor(protected readonly moe: MoESettings, s: LlamaSettings, makeExpert: (s: LlamaSettings) => Module = (e) => new MixtralExpert(e)) {
    super();
    this.gate = denseLayer(s.hidden, moe.experts, s.std, false);
    this.experts = new ModuleList(Array.from({ length: moe.experts }, () => makeExpert(s)));
  }
  forward(x: Tensor): [Tensor, Tensor] {
    return tl.tidy(() => {
      const [b, t, h] = x.shape;
      let input = x;
      if (this.training && this.moe.jitter > 0) {
        const j = this.moe.jitter;
        input = input.mul(tl.rand(input.shape, { device: input.device }).mul(2 * j).add(1 - j).cast(input.dtype));
      }
      const flat = input.reshape([b * t, h]);
      const logits = this.gate.forward(flat);
      // The softmax in float32, the top k, renormalised, then the hidden states' dtype (the hub's order).
      const { values, indices } = (logits.dtype === 'float32' ? logits : logits.float()).softmax(-1).topk(this.moe.topK, -1);
      let weights = this.moe.normTopK ? values.div(values.sum(-1, true)) : values;
      if (weights.dtype !== flat.dtype) weights = weights.cast(flat.dtype);
      const experts = [...this.experts].map((e) => (y: Tensor) => e.forward(y) as Tensor);
      return [routeToExperts(flat, weights, indices, experts).reshape([b, t, h]), logits];
    });
  }
}

/** Mixtral's decoder layer: Mistral's attention, then the sparse MoE block, each pre-norm with a residual. */
class MixtralDecoderLayer extends DecoderLayer {
  selfAttn: LlamaAttention;
  blockSparseMoe: MixtralSparseMoeBlock;
  inputLayernorm: RMSNorm;
  postAttentionLayernorm: RMSNorm;
  constructor(s: LlamaSettings) {
    super();
    this.selfAttn = new LlamaAttention(s);
    this.blockSparseMoe = new MixtralSparseMoeBlock(s.moe!, s);
    this.inputLayernorm = rmsNorm(s);
    this.postAttentionLayernorm = rmsNorm(s);
  }
  protected override stateName(field: string): string {
    return hubName(field);
  }
  forward(x: Tensor, cos: Tensor, sin: Tensor, allowed: Tensor, cache: KVCache | null, layer: number, routerLogits?: Tensor[] | null): Tensor {
    const [out, logits] = tl.tidy(() => {
      const h = x.add(this.selfAttn.forward(this.inputLayernorm.forward(x), cos, sin, allowed, cache, layer));
      const [y, router] = this.blockSparseMoe.forward(this.postAttentionLayernorm.forward(h));
      return [h.add(y), router];
    });
    if (routerLogits) routerLogits.push(logits);
    else logits.dispose();
    return out;
  }
}

/**
 * The hub's `load_balancing_loss_func` (Switch Transformer's auxiliary loss) over every layer's
 * router logits `[B·T, experts]`: `experts · Σ_{j,e} f[j, e] · P[e]`, where f is the share of
 * tokens whose j-th choice is expert e and P the mean routing probability of e, both over the
 * tokens the attention mask `[B, T]` keeps (all without one).
 */
export function loadBalancingLoss(routerLogits: readonly Tensor[], experts: number, topK: number, attentionMask?: number[][] | null): Tensor {
  return tl.tidy(() => {
    if (routerLogits.length === 0) throw new Error('loadBalancingLoss: no router logits');
    const all = tl.cat(routerLogits.map((l) => (l.dtype === 'float32' ? l : l.float())), 0);
    const probs = all.softmax(-1);
    const { indices } = probs.topk(topK, -1);
    const device = all.device;
    const ids = tl.arange(0, experts, 1, { dtype: 'int32', device });
    const chosen = indices.unsqueeze(2).eq(ids).float(); // [L·N, k, E]
    if (!attentionMask) return chosen.mean(0).mul(probs.mean(0).unsqueeze(0)).sum().mul(experts);
    const tokens = attentionMask.length * (attentionMask[0]?.length ?? 0);
    if (all.shape[0] % tokens !== 0) throw new Error(`loadBalancingLoss: ${all.shape[0]} router rows are not a whole number of layers of the mask's ${tokens} tokens`);
    const layers = all.shape[0] / tokens;
    const keep = tl.tensor(Float32Array.from({ length: layers * tokens }, (_, i) => (attentionMask.flat()[i % tokens] ? 1 : 0)), { device });
    const kept = keep.sum();
    const share = chosen.mul(keep.reshape([-1, 1, 1])).sum(0).div(kept);
    const prob = probs.mul(keep.reshape([-1, 1])).sum(0).div(kept);
    return share.mul(prob.unsqueeze(0)).sum().mul(experts);
  });
}

/**
 * Mixtral (`MixtralForCausalLM`, `model_type` mixtral: mistralai/Mixtral-8x7B-v0.1 and its
 * Instruct versions): Mistral's attention and keys (`sliding_window` where the config sets one:
 * query i sees keys i - w + 1 .. i) with `block_sparse_moe` in place of the MLP: the router
 * `gate` and `num_local_experts` experts `experts.E.{w1, w2, w3}`, each token sent to its
 * `num_experts_per_tok` best experts with the renormalised softmax weights. The routing trains
 * (gradients reach the router through the routing weights, and each expert through the tokens
 * sent to it); `router_jitter_noise` multiplies the MoE input by uniform noise while training. With
 * `output_router_logits` (or the `outputRouterLogits` option) `forward` returns the load-balancing
 * `auxLoss` and `routerLogits`, and adds `router_aux_loss_coef · auxLoss` to the loss, as the hub's.
 *
 * @example
 * ```ts
 * const mixtral = await MixtralForCausalLM.fromPretrained('./Mixtral-tiny', { device: 'wasm' });
 * const { loss, auxLoss } = mixtral.forward(ids, { labels: ids, outputRouterLogits: true });
 * ```
 */
export class MixtralForCausalLM extends LlamaForCausalLM {
  static override readonly modelTypes: readonly string[] = ['mixtral'];
  static override decoderLayer(s: LlamaSettings, _index: number): DecoderLayer {
    return new MixtralDecoderLayer(s);
  }

  override forward(inputIds: Tensor, options: MoEForwardOptions = {}): MoECausalLMOutput {
    return tl.tidy(() => {
      const moe = this.s.moe!;
      const { outputRouterLogits, ...rest } = options;
      const withRouter = (outputRouterLogits ?? moe.outputRouterLogits) && !rest.cache;
      const { hidden, routerLogits } = this.model.run(inputIds, rest, withRouter);
      const out: MoECausalLMOutput = causalLMOutput(this.logitsOf(keepLast(hidden, rest.logitsToKeep)), rest.labels);
      if (!withRouter) return out;
      const mask = rest.attentionMask ? hostRowsSync(rest.attentionMask, `${this.constructor.name}.forward: attentionMask`) : null;
      const auxLoss = loadBalancingLoss(routerLogits, moe.experts, moe.topK, mask);
      if (out.loss) out.loss = out.loss.add(auxLoss.mul(moe.auxCoef));
      return { ...out, auxLoss, routerLogits };
    });
  }
}
