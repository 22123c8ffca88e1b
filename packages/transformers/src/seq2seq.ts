/**
 * Encoder-decoder (sequence-to-sequence) language models: `Seq2SeqLM`, the base of
 * `T5ForConditionalGeneration`, with `generate` (the encoder run once, the decoder from the
 * decoder start token with a preallocated self-attention cache and cross-attention keys and
 * values computed once), and the `EncoderDecoderCache` that holds both.
 *
 * The token loop, the logits processors, sampling and stopping are the causal LMs' own
 * (`planGeneration` and `decodeTokens` in generation.ts): only the model call differs.
 */
import * as tl from '@tensile/core';
import type { DType, Tensor } from '@tensile/core';
import { decodeTokens, generationDefault, hostRowsSync, planGeneration, promptRows, sequencesTensor, GENERATE_OPTIONS, type GenerateOptions, type GenerationPlan } from './generation.js';
import { functional as F } from '@tensile/nn';
import { KVCache } from './layers.js';
import { PreTrainedModel } from './modeling.js';
import { rejectUnknownOptions } from './options.js';

/** Per-call options of an encoder-decoder's `forward`. */
export interface Seq2SeqLMForwardOptions {
  /** `[batch, encoderSeq]`: 1 where an encoder token is attended (self- and cross-attention), 0 for padding. */
  attentionMask?: Tensor | number[][] | null;
  /** `[batch, decoderSeq]` int32 decoder inputs; by default the labels shifted right after `decoder_start_token_id`. */
  decoderInputIds?: Tensor | null;
  /** `[batch, decoderSeq]` (with a cache: cached + new): 0 where a decoder position is padding. Default all attended. */
  decoderAttentionMask?: Tensor | number[][] | null;
  /** `[batch, decoderSeq]` int32 targets (-100 ignored): the output gets the hub's mean cross-entropy `loss`. */
  labels?: Tensor | null;
  /** The encoder's last hidden state `[batch, encoderSeq, d_model]` from an earlier call (then `inputIds` may be null). */
  encoderOutputs?: Tensor | { lastHiddenState: Tensor } | null;
  /** A cache from `createCache`: the decoder's new keys and values are written into it; cross-attention keys and values are computed once. */
  cache?: EncoderDecoderCache | null;
  /** Compute logits for only the last `n` decoder positions (0, the default: all). */
  logitsToKeep?: number;
}

/** What an encoder-decoder's `forward` returns. */
export interface Seq2SeqLMOutput {
  /** `[batch, decoderSeq, vocab]`. */
  logits: Tensor;
  /** Mean cross-entropy of the logits against the labels (-100 ignored), when labels were given. */
  loss?: Tensor;
  /** `[batch, encoderSeq, d_model]`: pass it back as `encoderOutputs` to skip the encoder. */
  encoderLastHiddenState: Tensor;
}

/** An int32 `[batch, seq]` tensor of token ids, or an error naming `what`. */
export function checkIds(ids: Tensor, what: string, where: string): void {
  if (ids.rank !== 2 || ids.shape[1] === 0) throw new Error(`${where}: ${what} must be int32 [batch, seq], got ${tl.formatShape(ids.shape)}`);
  if (ids.dtype !== 'int32') throw new Error(`${where}: ${what} must be int32, got ${ids.dtype}`);
}

/** A mask's host rows, checked to be `[batch, length]`. */
export function maskRows(mask: Tensor | number[][] | null | undefined, batch: number, length: number, what: string, where: string): number[][] | null {
  if (!mask) return null;
  const rows = hostRowsSync(mask, `${where}: ${what}`);
  if (rows.length !== batch || rows.some((r) => r.length !== length)) {
    const shape = Array.isArray(mask) ? `[${rows.length}, ${rows[0]?.length ?? 0}]` : tl.formatShape(mask.shape);
    throw new Error(`${where}: ${what} is ${shape}, expected [${batch}, ${length}]`);
  }
  return rows;
}

/**
 * The checks of an encoder-decoder's traced (exported) forward: the no-cache forward only, its
 * masks tensor inputs. A cache, labels (the shifted inputs and the loss) and logitsToKeep
 * (narrowing by the traced length) are dims or host state the export cannot follow.
 */
export function checkTracedSeq2Seq(options: Pick<Seq2SeqLMForwardOptions, 'cache' | 'labels' | 'logitsToKeep'>, where: string, supported: string): void {
  if (options.cache) throw new Error(`${where}: a forward with a cache cannot be traced (exported); ${supported}`);
  if (options.labels) throw new Error(`${where}: labels (the shifted decoder inputs and the loss) cannot be traced (exported); ${supported}, and compute the loss from the logits`);
  if (options.logitsToKeep) throw new Error(`${where}: logitsToKeep cannot be traced (exported); ${supported}, and take the last positions' logits from the output`);
}

/** A traced forward's mask: bool `[batch, length]` from a tensor (host arrays would be constants of the traced shape), or null. */
export function tracedMaskOf(mask: Tensor | number[][] | null | undefined, batch: number, length: number, what: string, where: string, supported: string): Tensor | null {
  if (!mask) return null;
  if (Array.isArray(mask)) throw new Error(`${where}: ${what} of host arrays cannot be traced (exported); ${supported}`);
  if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== length) {
    throw new Error(`${where}: ${what} is ${tl.formatShape(mask.shape)}, expected [${batch}, ${length}]`);
  }
  return mask.ne(0);
}

/** The hub's `shift_tokens_right` (T5's `_shift_right`): the decoder start token, then the labels but the last, -100 as the pad token. */
export function shiftTokensRight(labels: Tensor, decoderStartTokenId: number, padTokenId: number): Tensor {
  return tl.tidy(() => {
    const [b, t] = labels.shape;
    const start = tl.full([b, 1], decoderStartTokenId, { dtype: 'int32', device: labels.device });
    const shifted = tl.cat([start, labels.narrow(1, 0, t - 1)], 1);
    return tl.where(shifted.eq(-100), padTokenId, shifted);
  });
}

/** The decoder's inputs: `decoderInputIds`, else the labels shifted right after `decoderStart`; checked against the labels, the encoder's batch and the cache. */
export function decoderInputsOf(
  options: Pick<Seq2SeqLMForwardOptions, 'decoderInputIds' | 'labels' | 'cache'>, tokens: { decoderStart: number; pad: number }, batch: number, where: string,
): Tensor {
  const { decoderInputIds, labels } = options;
  if (labels) checkIds(labels, 'labels', where);
  if (!decoderInputIds && !labels) throw new Error(`${where}: give decoderInputIds or labels (the decoder's inputs are then the labels shifted right after decoder_start_token_id)`);
  const ids = decoderInputIds ?? shiftTokensRight(labels!, tokens.decoderStart, tokens.pad);
  checkIds(ids, 'decoderInputIds', where);
  if (ids.shape[0] !== batch) throw new Error(`${where}: decoderInputIds has ${ids.shape[0]} rows, the encoder's input ${batch}`);
  if (labels && !tl.shapesEqual(labels.shape, ids.shape)) {
    throw new Error(`${where}: labels ${tl.formatShape(labels.shape)} do not match decoderInputIds ${tl.formatShape(ids.shape)}`);
  }
  const cache = options.cache ?? null;
  if (cache && cache.length + ids.shape[1] > cache.self.maxLength) {
    throw new Error(`${where}: ${cache.length} cached + ${ids.shape[1]} new decoder positions exceed the cache's ${cache.self.maxLength}`);
  }
  return ids;
}

/** The hub's loss of an encoder-decoder: the mean cross-entropy of `logits` `[B, T, vocab]` (in float32) against `labels` `[B, T]`, -100 ignored. */
export function seq2seqLoss(logits: Tensor, labels: Tensor): Tensor {
  const [b, t, v] = logits.shape;
  const wide = logits.dtype === 'float32' ? logits : logits.float();
  return F.crossEntropy(wide.reshape([b * t, v]), labels.reshape([b * t]), { ignoreIndex: -100 });
}

/** Options of an encoder-decoder's `generate`: the causal LMs' options, and the decoder's start token. */
export interface Seq2SeqGenerateOptions extends GenerateOptions {
  /** `[batch, encoderSeq]`: 0 at the encoder inputs' padding (right padding, as T5's tokenizers pad; left works too). */
  attentionMask?: Tensor | number[][] | null;
  /** The first decoder token (default: generation_config.json's, then config.json's `decoder_start_token_id`). */
  decoderStartTokenId?: number;
}

const SEQ2SEQ_GENERATE_OPTIONS = new Set<string>([...GENERATE_OPTIONS, 'decoderStartTokenId']);

/**
 * The decoder's caches for one generation: the self-attention keys and values (a `KVCache`,
 * preallocated for the whole call) and, per layer, the cross-attention keys and values of the
 * encoder's output, computed on the first decoder step and reused after.
 */
export class EncoderDecoderCache {
  readonly self: KVCache;
  private readonly crossKeys: (Tensor | null)[];
  private readonly crossValues: (Tensor | null)[];

  constructor(options: { layers: number; batch: number; heads: number; headDim: number; maxLength: number; device: string; dtype?: DType }) {
    const { layers, batch, heads, headDim, maxLength, device, dtype } = options;
    this.self = new KVCache({ layers, batch, kvHeads: heads, headDim, maxLength, device, dtype });
    this.crossKeys = new Array<Tensor | null>(layers).fill(null);
    this.crossValues = new Array<Tensor | null>(layers).fill(null);
  }

  /** Decoder positions cached so far. */
  get length(): number {
    return this.self.length;
  }

  /** Layer `layer`'s cross-attention keys and values: `compute()`'s on the first call, kept for the later ones. */
  cross(layer: number, compute: () => [Tensor, Tensor]): [Tensor, Tensor] {
    const k = this.crossKeys[layer];
    const v = this.crossValues[layer];
    if (k && v) return [k, v];
    const [nk, nv] = compute();
    this.crossKeys[layer] = tl.keep(nk);
    this.crossValues[layer] = tl.keep(nv);
    return [nk, nv];
  }

  dispose(): void {
    this.self.dispose();
    for (const list of [this.crossKeys, this.crossValues]) {
      for (const t of list) t?.dispose();
      list.fill(null);
    }
  }
}

/**
 * An encoder-decoder language model: `encode`, `forward(inputIds, options)` and `generate`.
 * Subclasses implement the three model calls and `createCache`.
 */
export abstract class Seq2SeqLM extends PreTrainedModel {
  /** `inputIds` int32 `[batch, seq]` → the encoder's last hidden state `[batch, seq, d_model]`. */
  abstract encode(inputIds: Tensor, options?: { attentionMask?: Tensor | number[][] | null }): Tensor;
  /** Encoder inputs (or `encoderOutputs`) and decoder inputs (or `labels`) → `{ logits, loss?, encoderLastHiddenState }`. */
  abstract override forward(inputIds: Tensor | null, options?: Seq2SeqLMForwardOptions): Seq2SeqLMOutput;
  /** A cache for `batch` rows of up to `maxLength` decoder positions, on the model's device and dtype. */
  abstract createCache(batch: number, maxLength: number): EncoderDecoderCache;

  /**
   * Encode `inputIds` (`[batch, seq]` int32, right-padded with `attentionMask` for inputs of
   * different lengths) once, then decode up to `maxNewTokens` tokens from the decoder start
   * token. Resolves to the decoder sequences, start token included, as the hub's `generate`
   * returns them (int32 on the model's device); a row stops after it emits an eos token (then
   * gets the pad token), and the call stops when every row has.
   *
   * @example
   * ```ts
   * const batch = tokenizer.batch(['translate English to German: Hello', 'summarize: ...'], { padding: true });
   * const out = await t5.generate(batch.ids, { attentionMask: batch.mask, maxNewTokens: 40 });
   * console.log(tokenizer.batchDecode(await out.array() as number[][], { skipSpecialTokens: true }));
   * ```
   */
  async generate(inputIds: Tensor | number[][], options: Seq2SeqGenerateOptions = {}): Promise<Tensor> {
    const where = `${this.constructor.name}.generate`;
    rejectUnknownOptions(options, SEQ2SEQ_GENERATE_OPTIONS, where);
    const { rows, maskRows } = await promptRows(inputIds, options.attentionMask, where);
    const plan = planGeneration(this, options, where);
    const start = options.decoderStartTokenId ?? (generationDefault(this, 'decoder_start_token_id') as number | undefined);
    if (typeof start !== 'number' || !Number.isInteger(start)) {
      throw new Error(`${where}: no decoder start token: give decoderStartTokenId, or set decoder_start_token_id in config.json`);
    }
    const encode = () => this.encode(tl.tensor(Int32Array.from(rows.flat()), { dtype: 'int32', device: this.device }).reshape([rows.length, rows[0].length]), { attentionMask: maskRows });
    return decodeAfterEncoding(this, rows.map(() => [start]), plan, encode, ({ decoderInputIds, encoderOutputs, cache }) =>
      this.forward(null, { attentionMask: maskRows, decoderInputIds, encoderOutputs, cache, logitsToKeep: 1 }).logits);
  }
}

/** What `decodeAfterEncoding`'s model call gets at each step. */
export interface DecoderStep {
  /** `[batch, n]`: the whole sequences on the first step (or every step without a cache), else the newest token. */
  decoderInputIds: Tensor;
  /** The encoder's output, computed once. */
  encoderOutputs: Tensor;
  cache: EncoderDecoderCache | null;
  step: number;
}

/**
 * An encoder-decoder's token loop, shared by `Seq2SeqLM.generate` and Whisper's: `encode` runs
 * once, then the prompts in `sequences` grow through the causal LMs' `decodeTokens`, with a
 * self-attention cache preallocated for the whole call when the plan uses one; `logitsOf` gives
 * the decoder's logits `[batch, n, vocab]` for a step, of which the last position's are used.
 * Resolves to the sequences, prompts included, on the model's device.
 */
export async function decodeAfterEncoding(
  model: { readonly device: string; createCache(batch: number, maxLength: number): EncoderDecoderCache },
  sequences: number[][], plan: GenerationPlan, encode: () => Tensor, logitsOf: (step: DecoderStep) => Tensor,
): Promise<Tensor> {
  const batch = sequences.length;
  const device = model.device;
  const cache = plan.useCache && plan.maxNewTokens > 0 ? model.createCache(batch, sequences[0].length + plan.maxNewTokens) : null;
  let encoded: Tensor | null = null;
  try {
    encoded = tl.noGrad(() => tl.tidy(encode));
    const encoderOutputs = encoded;
    await decodeTokens(sequences, plan, (step) => {
      const fresh = cache && step > 0 ? 1 : sequences[0].length;
      const input = sequences.map((s) => s.slice(s.length - fresh));
      const decoderInputIds = tl.tensor(Int32Array.from(input.flat()), { dtype: 'int32', device }).reshape([batch, fresh]);
      const logits = logitsOf({ decoderInputIds, encoderOutputs, cache, step });
      return logits.select(1, logits.shape[1] - 1);
    });
  } finally {
    cache?.dispose();
    encoded?.dispose();
  }
  return sequencesTensor(sequences, device);
}
