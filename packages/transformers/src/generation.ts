/**
 * Text generation for causal LMs, as the hub's `generate`: greedy or sampled (temperature,
 * top-k, top-p), a repetition penalty, stopping after an emitted end-of-sequence token
 * (finished rows then get the pad token), batches with left padding, streaming each step's
 * tokens to a callback, and a key/value cache allocated once for the whole call.
 *
 * The logits processors run on the host over the last position's logits (one `[batch,
 * vocab]` read per step, which streaming needs anyway): core has no sort/top-k/cumsum
 * kernels yet. Sampling draws from a counter-based Philox stream keyed by `seed`, so one
 * seed gives the same tokens on every backend.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { functional as F } from '@tensile/nn';
import { KVCache } from './layers.js';
import { PreTrainedModel, type GenerationConfig } from './modeling.js';
import { rejectUnknownOptions } from './options.js';

/** Per-call options of a causal LM's `forward`. */
export interface CausalLMForwardOptions {
  /**
   * `[batch, keys]`: 1 where a key is attended, 0 for padding; with a cache, it covers the
   * cached positions and the new ones. Host arrays, or an int/bool tensor on a backend that
   * reads synchronously.
   */
  attentionMask?: Tensor | number[][] | null;
  /** `[batch, seq]` positions of the new tokens; by default counted from the attention mask (or from the cache's length). */
  positionIds?: number[][] | null;
  /** A cache from `createCache`: the new keys and values are written into it, attention covers it. */
  cache?: KVCache | null;
  /** `[batch, seq]` int32 labels (-100 ignored): the output gets the hub's shifted cross-entropy `loss`. */
  labels?: Tensor | null;
  /** Compute logits for only the last `n` positions (0, the default: all). */
  logitsToKeep?: number;
}

/** What a causal LM's `forward` returns. */
export interface CausalLMOutput {
  /** `[batch, seq, vocab]` float32 (or the model's dtype). */
  logits: Tensor;
  /** Mean cross-entropy of predicting token t+1 at position t, when labels were given. */
  loss?: Tensor;
}

/** Options of `generate`. */
export interface GenerateOptions {
  /** Tokens to add to every row (default: generation_config.json's `max_new_tokens`, else 20). */
  maxNewTokens?: number;
  /** Sample instead of taking the most likely token (default: generation_config's `do_sample`, else false). */
  doSample?: boolean;
  /** Divide the logits by this before sampling (default 1). */
  temperature?: number;
  /** Sample among the `topK` most likely tokens (default: generation_config's `top_k`, else 50, as the hub; 0 turns it off). */
  topK?: number;
  /** Sample from the smallest set of tokens whose probability reaches `topP` (default 1: off). */
  topP?: number;
  /** Divide positive logits of tokens already in the row by this, multiply negative ones (default 1: off). */
  repetitionPenalty?: number;
  /** Stop a row after it emits this token (or one of these); default from generation_config.json, then config.json. */
  eosTokenId?: number | number[] | null;
  /** Token appended to rows that already finished (default: the pad token, else the first eos token). */
  padTokenId?: number | null;
  /** `[batch, seq]`: 0 at left padding. Default: every position is attended. */
  attentionMask?: Tensor | number[][] | null;
  /** Seed of the sampling stream; the same seed gives the same tokens on every backend. */
  seed?: number;
  /** Use the preallocated key/value cache (default true); false recomputes the whole sequence each step. */
  useCache?: boolean;
  /** Called after each step with every row's new token (finished rows get the pad token) and the step index. */
  onToken?: (tokens: number[], step: number) => void | Promise<void>;
}

/** The option names `generate` knows (an encoder-decoder's add `decoderStartTokenId`). */
export const GENERATE_OPTIONS: ReadonlySet<string> = new Set<string>([
  'maxNewTokens', 'doSample', 'temperature', 'topK', 'topP', 'repetitionPenalty', 'eosTokenId', 'padTokenId', 'attentionMask', 'seed', 'useCache', 'onToken',
] satisfies (keyof GenerateOptions)[]);

/** A PCG-free, counter-based uniform stream: Philox4x32-10 keyed by the seed, one counter per draw. */
class Draws {
  private counter = 0;
  constructor(private readonly seed: number) {}
  next(): number {
    const [a] = tl.philox4x32(this.counter++, 0, this.seed >>> 0, Math.floor(this.seed / 2 ** 32) >>> 0);
    return tl.uint32ToUniform(a);
  }
}

/** Host-side logits processing for one row; `row` is modified in place. */
export function processRow(row: Float32Array, seen: readonly number[], opts: Required<Pick<GenerateOptions, 'repetitionPenalty' | 'temperature' | 'topK' | 'topP' | 'doSample'>>): void {
  if (opts.repetitionPenalty !== 1) {
    const p = opts.repetitionPenalty;
    for (const id of new Set(seen)) {
      if (id < 0 || id >= row.length) continue;
      row[id] = row[id] < 0 ? Math.fround(row[id] * p) : Math.fround(row[id] / p);
    }
  }
  if (!opts.doSample) return;
  if (opts.temperature !== 1) for (let i = 0; i < row.length; i++) row[i] = Math.fround(row[i] / opts.temperature);
  if (opts.topK > 0 && opts.topK < row.length) {
    const kth = [...row].sort((a, b) => b - a)[opts.topK - 1];
    for (let i = 0; i < row.length; i++) if (row[i] < kth) row[i] = -Infinity;
  }
  if (opts.topP < 1) {
    // The hub's rule: sort ascending, drop tokens whose cumulative probability is <= 1 - topP, keep at least one.
    const order = Array.from(row.keys()).sort((a, b) => row[a] - row[b] || a - b);
    const probs = softmax(order.map((i) => row[i]));
    let cumulative = 0;
    for (let j = 0; j < order.length - 1; j++) {
      cumulative += probs[j];
      if (cumulative <= 1 - opts.topP) row[order[j]] = -Infinity;
    }
  }
}

function softmax(values: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  const out = new Array<number>(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    out[i] = values[i] === -Infinity ? 0 : Math.exp(values[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Draw an index from `row`'s softmax with the uniform `u`. */
function sample(row: Float32Array, u: number): number {
  const probs = softmax(row);
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    last = i;
    cumulative += probs[i];
    if (u < cumulative) return i;
  }
  return last;
}

/** Host rows of an int tensor or nested arrays, checked to be `[batch, seq]`. */
export async function hostRows(value: Tensor | number[][], what: string): Promise<number[][]> {
  if (Array.isArray(value)) {
    if (!value.every((r) => Array.isArray(r) && r.length === value[0].length)) throw new Error(`${what}: expected rows of one length`);
    return value.map((r) => r.map(Number));
  }
  if (value.rank !== 2) throw new Error(`${what}: expected [batch, seq], got ${tl.formatShape(value.shape)}`);
  const data = await value.data();
  const [b, t] = value.shape;
  return Array.from({ length: b }, (_, i) => Array.from(data.subarray(i * t, (i + 1) * t), Number));
}

/** `hostRows` for backends that read synchronously; errors point to the async path elsewhere. */
export function hostRowsSync(value: Tensor | number[][], what: string): number[][] {
  if (Array.isArray(value)) return value.map((r) => r.map(Number));
  if (value.rank !== 2) throw new Error(`${what}: expected [batch, seq], got ${tl.formatShape(value.shape)}`);
  let data: ArrayLike<number>;
  try {
    data = value.dataSync() as ArrayLike<number>;
  } catch (e) {
    throw new Error(`${what}: a tensor on '${value.device}' cannot be read synchronously; pass the mask as number[][] (or use generate)`, { cause: e });
  }
  const [b, t] = value.shape;
  return Array.from({ length: b }, (_, i) => Array.from({ length: t }, (_, j) => Number(data[i * t + j])));
}

/** The hub's positions for left padding: `cumsum(mask) - 1`, padding at 1; only the last `count`. */
export function positionsFromMask(mask: number[][], count: number): number[][] {
  return mask.map((row) => {
    let seen = 0;
    const pos = row.map((m) => {
      if (m) seen++;
      return m ? seen - 1 : 1;
    });
    return pos.slice(pos.length - count);
  });
}

/** What a decoder's `forward` reads from its options before it embeds the tokens. */
export interface DecoderInputs {
  cache: KVCache | null;
  /** Positions the cache already holds. */
  past: number;
  /** The attention mask as host rows, checked to cover the cached and the new positions. */
  keyMask: number[][] | null;
  /** `[batch, seq]` positions of the new tokens (empty while traced: see `traced`). */
  positions: number[][];
  /**
   * While a trace runs (`exportOnnx`), and only then: the positions and key mask as tensors
   * computed from `inputIds` and the attention-mask tensor, so that an export follows the
   * batch and sequence axes (host arrays would be constants of the traced shape). `positions`
   * and `keyMask` above are then empty and null.
   */
  traced: TracedDecoderInputs | null;
}

/** A traced no-cache forward's inputs, as tensors (see `DecoderInputs.traced`). */
export interface TracedDecoderInputs {
  /** int32 `[batch, seq]` (`[1, seq]` without a mask): the hub's `cumsum(mask) - 1`, masked positions at 1, else `0 .. seq`. */
  positions: Tensor;
  /** bool `[batch, seq]`: the attention mask's nonzero entries, or null without one. */
  keyMask: Tensor | null;
  /** The attention mask as given, int32 (OPT counts its own positions from it), or null. */
  mask: Tensor | null;
}

/**
 * The cache, mask and positions of a causal decoder's `forward(inputIds, options)`
 * (`where`: the forward's name, for messages): positions are `positionIds`, else counted
 * from the mask, else from the cache's length.
 */
export function decoderInputs(inputIds: Tensor, options: CausalLMForwardOptions, where: string): DecoderInputs {
  if (tl.autograd.isTracing()) return { cache: null, past: 0, keyMask: null, positions: [], traced: tracedDecoderInputs(inputIds, options, where) };
  const [b, t] = inputIds.shape;
  const cache = options.cache ?? null;
  const past = cache?.length ?? 0;
  const keyMask = options.attentionMask ? hostRowsSync(options.attentionMask, `${where}: attentionMask`) : null;
  if (keyMask && keyMask[0].length !== past + t) {
    throw new Error(`${where}: attentionMask covers ${keyMask[0].length} positions, expected ${past + t} (cached + new)`);
  }
  const positions = options.positionIds ?? (keyMask ? positionsFromMask(keyMask, t) : Array.from({ length: b }, () => Array.from({ length: t }, (_, i) => past + i)));
  return { cache, past, keyMask, positions, traced: null };
}

/**
 * `decoderInputs` while traced: the no-cache forward only, its positions and key mask computed
 * with tensor ops from `inputIds` and the attention-mask tensor (the runtime path stays the host's).
 */
function tracedDecoderInputs(inputIds: Tensor, options: CausalLMForwardOptions, where: string): TracedDecoderInputs {
  const supported = 'trace forward(inputIds) or forward(inputIds, { attentionMask }) with the mask a [batch, seq] tensor input';
  if (options.cache) throw new Error(`${where}: a forward with a cache cannot be traced (exported); ${supported}`);
  if (options.positionIds) throw new Error(`${where}: positionIds (host arrays) cannot be traced (exported); ${supported}`);
  // Both narrow by the traced length (t - 1 labels, the last n positions): dims the export cannot follow.
  if (options.labels) throw new Error(`${where}: labels (the loss) cannot be traced (exported); ${supported}, and compute the loss from the logits`);
  if (options.logitsToKeep) throw new Error(`${where}: logitsToKeep cannot be traced (exported); ${supported}, and take the last positions' logits from the output`);
  const given = options.attentionMask ?? null;
  if (Array.isArray(given)) throw new Error(`${where}: an attentionMask of host arrays cannot be traced (exported); ${supported}`);
  const [, t] = inputIds.shape;
  const device = inputIds.device;
  if (!given) return { positions: tl.arange(0, t, 1, { dtype: 'int32', device }).unsqueeze(0), keyMask: null, mask: null };
  if (given.rank !== 2 || given.shape[0] !== inputIds.shape[0] || given.shape[1] !== t) {
    throw new Error(`${where}: attentionMask ${tl.formatShape(given.shape)} must be [batch, seq] like inputIds ${tl.formatShape(inputIds.shape)} when traced (no cache)`);
  }
  const mask = given.dtype === 'int32' ? given : given.cast('int32');
  const keyMask = mask.ne(0);
  // The hub's positions for left padding: cumsum(mask) - 1, masked positions at 1 (as positionsFromMask).
  const positions = tl.where(keyMask, keyMask.cumsum(1, { dtype: 'int32' }).sub(1), 1);
  return { positions, keyMask, mask };
}

/** The hub's causal-LM loss: logits at t predict labels at t+1, -100 ignored. */
export function causalLMLoss(logits: Tensor, labels: Tensor): Tensor {
  return tl.tidy(() => {
    const [b, t, v] = logits.shape;
    const shifted = logits.narrow(1, 0, t - 1).reshape([b * (t - 1), v]);
    const wide = shifted.dtype === 'float32' ? shifted : shifted.float();
    const target = labels.narrow(1, 1, t - 1).reshape([b * (t - 1)]);
    return F.crossEntropy(wide, target.dtype === 'int32' ? target : target.cast('int32'), { ignoreIndex: -100 });
  });
}

/** The last `logitsToKeep` positions of `hidden` `[B, T, H]` (0 or undefined, or at least T: all). */
export function keepLast(hidden: Tensor, logitsToKeep: number | undefined): Tensor {
  const keep = logitsToKeep ?? 0;
  return keep > 0 && keep < hidden.shape[1] ? hidden.narrow(1, hidden.shape[1] - keep, keep) : hidden;
}

/** A causal LM's output: `logits`, and with `labels` the hub's shifted cross-entropy `loss`. */
export function causalLMOutput(logits: Tensor, labels: Tensor | null | undefined): CausalLMOutput {
  return labels ? { logits, loss: causalLMLoss(logits, labels) } : { logits };
}

/** What the cache and `generate` read of a decoder's shape. */
export interface DecoderLayout {
  layers: number;
  /** Key/value heads (fewer than the query heads with grouped-query attention). */
  kvHeads: number;
  headDim: number;
  /** The longest sequence the model's positions cover (null: unbounded, as rotary embeddings). */
  maxPositions: number | null;
}

/**
 * A causal language model: `forward(inputIds, options)` and `generate`. Subclasses
 * implement `forward` and say their `layout`.
 */
export abstract class CausalLM extends PreTrainedModel {
  /** `inputIds` int32 `[batch, seq]` → `{ logits, loss? }`. */
  abstract override forward(inputIds: Tensor, options?: CausalLMForwardOptions): CausalLMOutput;
  /** The decoder's layers, key/value heads, head size and positions. */
  protected abstract get layout(): DecoderLayout;

  /** A cache for `batch` rows of up to `maxLength` positions, on the model's device and dtype. */
  createCache(batch: number, maxLength: number): KVCache {
    const { layers, kvHeads, headDim } = this.layout;
    return new KVCache({ layers, batch, kvHeads, headDim, maxLength, device: this.device, dtype: this.dtype });
  }

  /**
   * Whether a generation step over `mask` (the cached and new positions) must recompute the
   * whole sequence rather than extend the cache (Phi-3's longrope switching to its long
   * factors); default never.
   */
  protected cacheOutdated(_mask: number[][]): boolean {
    return false;
  }

  /** The longest sequence the model's positions cover (null: unbounded, as rotary embeddings). */
  get maxPositions(): number | null {
    return this.layout.maxPositions;
  }

  /**
   * Continue `inputIds` (`[batch, seq]` int32, left-padded with `attentionMask` for rows of
   * different lengths) by up to `maxNewTokens` tokens. Resolves to the sequences, prompt
   * included, as an int32 tensor on the model's device; a row stops after it emits an eos
   * token, and the call stops when every row has.
   *
   * @example
   * ```ts
   * const ids = [tokenizer.encode('Once upon a time')];
   * const out = await model.generate(ids, { maxNewTokens: 40, doSample: true, topP: 0.9, seed: 1,
   *   onToken: ([t]) => process.stdout.write(tokenizer.decode([t])) });
   * ```
   */
  async generate(inputIds: Tensor | number[][], options: GenerateOptions = {}): Promise<Tensor> {
    const where = `${this.constructor.name}.generate`;
    rejectUnknownOptions(options, GENERATE_OPTIONS, where);
    const { rows, maskRows } = await promptRows(inputIds, options.attentionMask, where);
    const plan = planGeneration(this, options, where);
    const batch = rows.length;
    const promptLength = rows[0].length;
    const limit = this.maxPositions;
    if (limit !== null && promptLength + plan.maxNewTokens > limit) {
      throw new Error(`${where}: ${promptLength} prompt + ${plan.maxNewTokens} new tokens exceed the model's ${limit} positions`);
    }
    const sequences = rows.map((r) => [...r]);
    const cache = plan.useCache && plan.maxNewTokens > 0 ? this.createCache(batch, promptLength + plan.maxNewTokens) : null;
    const device = this.device;
    try {
      await decodeTokens(sequences, plan, (step) => {
        // The prompt's mask, then one attended position per generated token.
        const masks = maskRows.map((r) => [...r, ...new Array<number>(step).fill(1)]);
        let fresh = cache && step > 0 ? 1 : sequences[0].length;
        if (cache && fresh === 1 && this.cacheOutdated(masks)) {
          cache.reset();
          fresh = sequences[0].length;
        }
        const input = sequences.map((s) => s.slice(s.length - fresh));
        const ids = tl.tensor(input.flat(), { dtype: 'int32', device }).reshape([batch, fresh]);
        const { logits } = this.forward(ids, { attentionMask: masks, positionIds: positionsFromMask(masks, fresh), cache, logitsToKeep: 1 });
        return logits.select(1, logits.shape[1] - 1);
      });
    } finally {
      cache?.dispose();
    }
    return sequencesTensor(sequences, device);
  }
}

/** A generation default: generation_config.json's field, else config.json's (null counts as unset). */
export function generationDefault<K extends keyof GenerationConfig & string>(model: PreTrainedModel, key: K): GenerationConfig[K] | undefined {
  const value = model.generationConfig[key] ?? (model.config as Record<string, unknown>)[key as string];
  return (value === null ? undefined : value) as GenerationConfig[K] | undefined;
}

/** One `generate` call's settings, resolved from its options, generation_config.json and config.json, and checked. */
export interface GenerationPlan {
  maxNewTokens: number;
  settings: Required<Pick<GenerateOptions, 'repetitionPenalty' | 'temperature' | 'topK' | 'topP' | 'doSample'>>;
  /** Tokens that end a row. */
  eos: number[];
  /** What finished rows get. */
  pad: number;
  /** The seeded uniform stream sampling draws from. */
  draws: { next(): number };
  useCache: boolean;
  onToken?: GenerateOptions['onToken'];
}

/** The checked settings of `generate` (`where`: the method's name, for messages). */
export function planGeneration(model: PreTrainedModel, options: GenerateOptions, where: string): GenerationPlan {
  const maxNewTokens = options.maxNewTokens ?? generationDefault(model, 'max_new_tokens') ?? 20;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new Error(`${where}: maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
  const doSample = options.doSample ?? generationDefault(model, 'do_sample') ?? false;
  const settings = {
    doSample,
    temperature: options.temperature ?? generationDefault(model, 'temperature') ?? 1,
    topK: options.topK ?? generationDefault(model, 'top_k') ?? 50,
    topP: options.topP ?? generationDefault(model, 'top_p') ?? 1,
    repetitionPenalty: options.repetitionPenalty ?? generationDefault(model, 'repetition_penalty') ?? 1,
  };
  if (doSample && !(settings.temperature > 0)) throw new Error(`${where}: temperature must be positive, got ${settings.temperature}`);
  if (!(settings.topP > 0 && settings.topP <= 1)) throw new Error(`${where}: topP must be in (0, 1], got ${settings.topP}`);
  if (!(settings.repetitionPenalty > 0)) throw new Error(`${where}: repetitionPenalty must be positive, got ${settings.repetitionPenalty}`);
  const eosOption = options.eosTokenId === undefined ? generationDefault(model, 'eos_token_id') : options.eosTokenId;
  const eos = eosOption === null || eosOption === undefined ? [] : Array.isArray(eosOption) ? eosOption : [eosOption];
  const padOption = options.padTokenId === undefined ? generationDefault(model, 'pad_token_id') : options.padTokenId;
  const pad = padOption ?? eos[0] ?? 0;
  const draws = new Draws(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  return { maxNewTokens, settings, eos, pad, draws, useCache: options.useCache ?? true, onToken: options.onToken };
}

/** The prompt's rows and its mask's (all ones without one), checked to be a non-empty `[batch, seq]` of one shape. */
export async function promptRows(inputIds: Tensor | number[][], attentionMask: Tensor | number[][] | null | undefined, where: string): Promise<{ rows: number[][]; maskRows: number[][] }> {
  const rows = await hostRows(inputIds, where);
  const batch = rows.length;
  const promptLength = rows[0]?.length ?? 0;
  if (batch === 0 || promptLength === 0) throw new Error(`${where}: inputIds must be a non-empty [batch, seq]`);
  const maskRows = attentionMask ? await hostRows(attentionMask, `${where}: attentionMask`) : rows.map((r) => r.map(() => 1));
  if (maskRows.length !== batch || maskRows.some((r) => r.length !== promptLength)) {
    throw new Error(`${where}: attentionMask must be [${batch}, ${promptLength}] like inputIds`);
  }
  return { rows, maskRows };
}

/**
 * The token loop of `generate`, for causal and encoder-decoder models alike: up to
 * `plan.maxNewTokens` times, `nextLogits(step)` gives each row's next-token logits `[batch,
 * vocab]` (called without a graph, inside a tidy), which are read, processed and sampled (or
 * argmaxed) on the host; the tokens are appended to `sequences` (finished rows get the pad
 * token), streamed to `onToken`, and the loop ends early once every row has emitted an eos token.
 */
export async function decodeTokens(sequences: number[][], plan: GenerationPlan, nextLogits: (step: number) => Tensor): Promise<void> {
  const batch = sequences.length;
  const { settings, eos, pad, draws } = plan;
  const finished = new Array<boolean>(batch).fill(false);
  for (let step = 0; step < plan.maxNewTokens; step++) {
    const last = tl.noGrad(() =>
      tl.tidy(() => {
        const out = nextLogits(step);
        return out.dtype === 'float32' ? out : out.float();
      }),
    );
    let data: Float32Array;
    try {
      data = (await last.data()) as Float32Array;
    } finally {
      last.dispose();
    }
    const vocab = data.length / batch;
    const next: number[] = [];
    for (let b = 0; b < batch; b++) {
      const row = data.slice(b * vocab, (b + 1) * vocab);
      processRow(row, sequences[b], settings);
      // One draw per row and step whether or not it is used, so rows stay in step across calls.
      const u = settings.doSample ? draws.next() : 0;
      let token = settings.doSample ? sample(row, u) : argmax(row);
      if (finished[b]) token = pad;
      next.push(token);
    }
    for (let b = 0; b < batch; b++) {
      sequences[b].push(next[b]);
      if (eos.includes(next[b])) finished[b] = true;
    }
    await plan.onToken?.(next, step);
    if (eos.length && finished.every(Boolean)) break;
  }
}

/** Rows of one length as an int32 `[batch, length]` tensor on `device`. */
export function sequencesTensor(sequences: number[][], device: string): Tensor {
  const length = sequences[0].length;
  // In a tidy, so the flat tensor under the reshaped view is released (it leaked one handle per call).
  return tl.tidy(() => tl.tensor(Int32Array.from(sequences.flat()), { dtype: 'int32', device }).reshape([sequences.length, length]));
}
