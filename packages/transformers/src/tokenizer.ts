/**
 * `AutoTokenizer`: a checkpoint's `tokenizer.json` (BPE, WordPiece, Unigram, with their
 * normalizers, pre-tokenizers, post-processors and decoders) through Hugging Face's
 * `@huggingface/tokenizers` (a pure-JS implementation of the tokenizers format), plus what a
 * model needs around it: batches padded to one length with attention masks, truncation,
 * tensors, and chat templates (`tokenizer_config.json`'s `chat_template`, rendered by
 * `@huggingface/jinja`).
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Template } from '@huggingface/jinja';
import { Tokenizer as HFTokenizer } from '@huggingface/tokenizers';
import { MissingFileError, nodeModules, openSource, readJson, readJsonIfExists, type HubOptions, type ModelSource } from './hub.js';

/** One chat message. */
export interface ChatMessage {
  role: string;
  content: string;
  [key: string]: unknown;
}

/** Options of `encode`. */
export interface EncodeOptions {
  /** Add the special tokens the post-processor adds (`[CLS] … [SEP]`, `<s>`); default true. */
  addSpecialTokens?: boolean;
  /** A second text (BERT's sentence pairs). */
  textPair?: string | null;
}

/** Options of `batch` (and `encode` with tensors). */
export interface BatchOptions extends EncodeOptions {
  /** Pad to the longest row (`true` or `'longest'`) or to `maxLength` (`'max_length'`); default false. */
  padding?: boolean | 'longest' | 'max_length';
  /** Cut rows longer than `maxLength` (default false). */
  truncation?: boolean;
  /** Length for `'max_length'` padding and for truncation (default: `model_max_length`). */
  maxLength?: number;
  /** Which side padding goes (default: tokenizer_config.json's `padding_side`, else right). Generation wants `'left'`. */
  paddingSide?: 'left' | 'right';
  /** Device for the tensors (default: the current backend). */
  device?: string;
}

/** A padded batch: int32 tensors `[batch, seq]`. */
export interface BatchEncoding {
  inputIds: Tensor;
  attentionMask: Tensor;
  tokenTypeIds: Tensor;
  /** The same values as host arrays (what `generate` and masks on GPU backends take). */
  ids: number[][];
  mask: number[][];
  types: number[][];
}

type TokenizerConfig = Record<string, unknown> & {
  chat_template?: string | { name: string; template: string }[];
  padding_side?: 'left' | 'right';
  model_max_length?: number;
};

function tokenText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return null;
}

/**
 * A tokenizer loaded from a checkpoint. Built by `AutoTokenizer.fromPretrained`.
 *
 * @example
 * ```ts
 * const tok = await AutoTokenizer.fromPretrained('./gpt2');
 * const ids = tok.encode('Hello world');
 * tok.decode(ids); // 'Hello world'
 * const batch = tok.batch(['a b c', 'a'], { padding: true, paddingSide: 'left' });
 * ```
 */
export class PreTrainedTokenizer {
  // Private so that the library's types (which do not resolve under node16/nodenext module
  // resolution) stay out of this package's declarations.
  private readonly tokenizer: HFTokenizer;
  /** tokenizer_config.json as read. */
  readonly config: TokenizerConfig;
  private readonly json: object;
  /** Side padding goes by default. */
  paddingSide: 'left' | 'right';
  readonly modelMaxLength: number;

  constructor(tokenizerJson: object, config: TokenizerConfig = {}) {
    this.json = tokenizerJson;
    this.config = { ...config };
    try {
      this.tokenizer = new HFTokenizer(tokenizerJson, config);
    } catch (e) {
      throw new Error(`AutoTokenizer: cannot build the tokenizer from tokenizer.json: ${(e as Error).message}`, { cause: e });
    }
    this.paddingSide = config.padding_side === 'left' ? 'left' : 'right';
    const max = config.model_max_length;
    this.modelMaxLength = typeof max === 'number' && max < 1e12 ? max : Number.MAX_SAFE_INTEGER;
  }

  private special(name: string): string | null {
    return tokenText(this.config[name]);
  }

  private idOf(token: string | null): number | null {
    if (token === null) return null;
    return this.tokenizer.token_to_id(token) ?? null;
  }

  /** The id of a token of the vocabulary (or of each token), null for a token it does not hold. */
  convertTokensToIds(tokens: string): number | null;
  convertTokensToIds(tokens: readonly string[]): (number | null)[];
  convertTokensToIds(tokens: string | readonly string[]): number | null | (number | null)[] {
    return typeof tokens === 'string' ? this.idOf(tokens) : tokens.map((t) => this.idOf(t));
  }

  /** The padding token and its id (tokenizer_config.json's `pad_token`); null when it has none. */
  get padToken(): string | null { return this.special('pad_token'); }
  get padTokenId(): number | null { return this.idOf(this.padToken); }
  get eosToken(): string | null { return this.special('eos_token'); }
  get eosTokenId(): number | null { return this.idOf(this.eosToken); }
  get bosToken(): string | null { return this.special('bos_token'); }
  get bosTokenId(): number | null { return this.idOf(this.bosToken); }
  get unkTokenId(): number | null { return this.idOf(this.special('unk_token')); }

  /** Set the pad token (GPT-2 has none; `tok.padToken = tok.eosToken` is the usual choice). */
  set padToken(token: string | null) {
    this.config.pad_token = token;
  }

  /** The vocabulary size, added tokens included. */
  get vocabSize(): number {
    return this.tokenizer.get_vocab(true).size;
  }

  /** Token ids of `text`. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.encodeFull(text, options).ids;
  }

  private encodeFull(text: string, options: EncodeOptions): { ids: number[]; types: number[] } {
    if (typeof text !== 'string') throw new TypeError(`encode: expected a string, got ${typeof text}`);
    const e = this.tokenizer.encode(text, {
      add_special_tokens: options.addSpecialTokens ?? true,
      text_pair: options.textPair ?? null,
      return_token_type_ids: true,
    });
    return { ids: e.ids, types: e.token_type_ids ?? e.ids.map(() => 0) };
  }

  /** Token strings of `text` (without special tokens). */
  tokenize(text: string): string[] {
    return this.tokenizer.tokenize(text);
  }

  /** Text of `ids` (a number array or a 1-D int tensor on a backend that reads synchronously). */
  decode(ids: readonly number[] | Tensor, options: { skipSpecialTokens?: boolean } = {}): string {
    const list = Array.isArray(ids) ? [...ids] : Array.from((ids as Tensor).dataSync() as ArrayLike<number>, Number);
    return this.tokenizer.decode(list, { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** `decode` of each row. */
  batchDecode(rows: readonly (readonly number[])[], options: { skipSpecialTokens?: boolean } = {}): string[] {
    return rows.map((r) => this.decode([...r], options));
  }

  /**
   * Encode several texts into one batch, padded with the pad token (attention mask 0 there)
   * and optionally truncated; int32 tensors and host arrays.
   *
   * @example
   * ```ts
   * const { inputIds, attentionMask } = tok.batch(['hello world', 'hi'], { padding: true });
   * ```
   */
  batch(texts: readonly string[], options: BatchOptions = {}): BatchEncoding {
    if (!Array.isArray(texts) || texts.length === 0) throw new TypeError('batch: expected a non-empty array of strings');
    const maxLength = options.maxLength ?? this.modelMaxLength;
    const side = options.paddingSide ?? this.paddingSide;
    let rows = texts.map((t) => this.encodeFull(t, options));
    if (options.truncation) {
      rows = rows.map((r) => (r.ids.length > maxLength ? { ids: r.ids.slice(0, maxLength), types: r.types.slice(0, maxLength) } : r));
    }
    const padding = options.padding === true ? 'longest' : options.padding || false;
    const longest = Math.max(...rows.map((r) => r.ids.length));
    const width = padding === 'max_length' ? Math.max(maxLength, longest) : longest;
    if (padding === false && rows.some((r) => r.ids.length !== longest)) {
      throw new Error(`batch: the texts encode to different lengths (${rows.map((r) => r.ids.length).join(', ')}); pass { padding: true }`);
    }
    const pad = this.padTokenId;
    if (rows.some((r) => r.ids.length < width) && pad === null) {
      throw new Error("batch: padding needs a pad token, and tokenizer_config.json names none; set tokenizer.padToken (e.g. to tokenizer.eosToken)");
    }
    const ids: number[][] = [];
    const mask: number[][] = [];
    const types: number[][] = [];
    for (const r of rows) {
      const n = width - r.ids.length;
      const fill = (v: number) => new Array<number>(n).fill(v);
      if (side === 'left') {
        ids.push([...fill(pad ?? 0), ...r.ids]);
        mask.push([...fill(0), ...r.ids.map(() => 1)]);
        types.push([...fill(0), ...r.types]);
      } else {
        ids.push([...r.ids, ...fill(pad ?? 0)]);
        mask.push([...r.ids.map(() => 1), ...fill(0)]);
        types.push([...r.types, ...fill(0)]);
      }
    }
    const device = options.device;
    const make = (rowsOf: number[][]) => tl.tensor(Int32Array.from(rowsOf.flat()), { dtype: 'int32', device }).reshape([rowsOf.length, width]);
    return { inputIds: make(ids), attentionMask: make(mask), tokenTypeIds: make(types), ids, mask, types };
  }

  /** The chat template of tokenizer_config.json (the default one, or the one named `name`); null if none. */
  chatTemplate(name?: string): string | null {
    const t = this.config.chat_template;
    if (typeof t === 'string') return name && name !== 'default' ? null : t;
    if (Array.isArray(t)) return t.find((x) => x.name === (name ?? 'default'))?.template ?? null;
    return null;
  }

  /**
   * Render `messages` with the checkpoint's chat template (`@huggingface/jinja`), as the
   * hub's `apply_chat_template`: the special tokens are passed to the template, and with
   * `tokenize` (the default) the text is encoded without adding special tokens again.
   *
   * @example
   * ```ts
   * const ids = tok.applyChatTemplate([{ role: 'user', content: 'Hi!' }], { addGenerationPrompt: true });
   * ```
   */
  applyChatTemplate(messages: ChatMessage[], options: { addGenerationPrompt?: boolean; tokenize: false; template?: string; [key: string]: unknown }): string;
  applyChatTemplate(messages: ChatMessage[], options?: { addGenerationPrompt?: boolean; tokenize?: true; template?: string; [key: string]: unknown }): number[];
  applyChatTemplate(messages: ChatMessage[], options: { addGenerationPrompt?: boolean; tokenize?: boolean; template?: string; [key: string]: unknown } = {}): string | number[] {
    const { addGenerationPrompt = false, tokenize = true, template, ...extra } = options;
    const source = template ?? this.chatTemplate();
    if (!source) throw new Error('applyChatTemplate: this tokenizer has no chat_template in tokenizer_config.json; pass { template }');
    let rendered: string;
    try {
      rendered = new Template(source).render({
        messages,
        add_generation_prompt: addGenerationPrompt,
        bos_token: this.bosToken ?? '',
        eos_token: this.eosToken ?? '',
        pad_token: this.padToken ?? '',
        unk_token: this.special('unk_token') ?? '',
        ...extra,
      });
    } catch (e) {
      throw new Error(`applyChatTemplate: the chat template failed: ${(e as Error).message}`, { cause: e });
    }
    return tokenize ? this.encode(rendered, { addSpecialTokens: false }) : rendered;
  }

  /** Write tokenizer.json and tokenizer_config.json into `directory` (Node). */
  async savePretrained(directory: string): Promise<void> {
    const { fs, path } = await nodeModules();
    await fs.mkdir(directory, { recursive: true });
    await fs.writeFile(path.join(directory, 'tokenizer.json'), JSON.stringify(this.json));
    await fs.writeFile(path.join(directory, 'tokenizer_config.json'), `${JSON.stringify(this.config, null, 2)}\n`);
  }
}

/** Loads the tokenizer of a checkpoint, whatever its model type. */
export class AutoTokenizer {
  /**
   * Read `tokenizer.json` and `tokenizer_config.json` (and `special_tokens_map.json` when
   * present) from a local directory, a URL or a hub repo id (see `fromPretrained` of the
   * models for sources and caching).
   *
   * @example
   * ```ts
   * const tok = await AutoTokenizer.fromPretrained('HuggingFaceTB/SmolLM2-135M-Instruct');
   * ```
   */
  static async fromPretrained(source: string | ModelSource, options: HubOptions = {}): Promise<PreTrainedTokenizer> {
    const src = typeof source === 'string' ? await openSource(source, options) : source;
    let json: object;
    try {
      json = await readJson<object>(src, 'tokenizer.json');
    } catch (e) {
      if (e instanceof MissingFileError) {
        throw new Error(`AutoTokenizer.fromPretrained: ${src.description} has no tokenizer.json (the fast-tokenizer file this library reads)`, { cause: e });
      }
      throw e;
    }
    const config = (await readJsonIfExists<TokenizerConfig>(src, 'tokenizer_config.json')) ?? {};
    const specials = (await readJsonIfExists<Record<string, unknown>>(src, 'special_tokens_map.json')) ?? {};
    for (const [k, v] of Object.entries(specials)) if (config[k] === undefined) config[k] = v;
    return new PreTrainedTokenizer(json, config);
  }
}

/**
 * An `onToken` callback for `generate` that decodes row `row`'s tokens as they come and
 * passes each new piece of text to `write` (decoding the whole continuation each time, so
 * multi-token characters and spaces come out right).
 *
 * @example
 * ```ts
 * await model.generate(ids, { maxNewTokens: 50, onToken: textStreamer(tok, (s) => process.stdout.write(s)) });
 * ```
 */
export function textStreamer(tokenizer: PreTrainedTokenizer, write: (text: string) => void, options: { row?: number; skipSpecialTokens?: boolean } = {}): (tokens: number[]) => void {
  const ids: number[] = [];
  let printed = 0;
  return (tokens: number[]) => {
    ids.push(tokens[options.row ?? 0]);
    const text = tokenizer.decode(ids, { skipSpecialTokens: options.skipSpecialTokens ?? true });
    // Hold back an incomplete UTF-8 sequence (decoded as U+FFFD) until the next token completes it.
    if (text.endsWith('\uFFFD')) return;
    if (text.length > printed) {
      write(text.slice(printed));
      printed = text.length;
    }
  };
}
