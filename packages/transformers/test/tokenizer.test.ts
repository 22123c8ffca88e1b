// AutoTokenizer over the fixtures' tokenizer.json files: byte-level BPE (GPT-2), WordPiece
// (BERT) and a SentencePiece-style Unigram with a chat template (the Llama fixtures). The
// expected ids come from small reference encoders in tools/generate_fixtures.py.
import '@tensile/backend-cpu';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutoTokenizer, textStreamer } from '../src/index.js';
import { expected, fixture, haveFixtures } from './fixtures.js';

const run = haveFixtures ? describe : describe.skip;

run('AutoTokenizer: byte-level BPE (gpt2)', () => {
  it('encodes as the reference BPE and decodes back to the text', async () => {
    const tok = await AutoTokenizer.fromPretrained(fixture('gpt2'));
    const e = expected('gpt2').tokenizer;
    e.texts.forEach((text: string, i: number) => {
      expect(tok.encode(text)).toEqual(e.ids[i]);
      expect(tok.decode(tok.encode(text))).toBe(text);
    });
    expect(tok.eosToken).toBe('<|endoftext|>');
    expect(tok.eosTokenId).toBe(expected('gpt2').eos_token_id);
    expect(tok.padTokenId).toBeNull();
  });

  it('pads batches left or right with masks, and needs a pad token to do it', async () => {
    const tok = await AutoTokenizer.fromPretrained(fixture('gpt2'));
    expect(() => tok.batch(['the lazy dog', 'hello'], { padding: true })).toThrow(/pad token/);
    tok.padToken = tok.eosToken;
    const pad = tok.eosTokenId!;
    const a = tok.encode('the lazy dog');
    const b = tok.encode('hello');
    const left = tok.batch(['the lazy dog', 'hello'], { padding: true, paddingSide: 'left' });
    const n = a.length - b.length;
    expect(left.ids).toEqual([a, [...new Array(n).fill(pad), ...b]]);
    expect(left.mask).toEqual([a.map(() => 1), [...new Array(n).fill(0), ...b.map(() => 1)]]);
    expect(left.inputIds.dtype).toBe('int32');
    expect(left.attentionMask.arraySync()).toEqual(left.mask);
    const right = tok.batch(['the lazy dog', 'hello'], { padding: 'max_length', maxLength: 12 });
    expect(right.ids[1]).toEqual([...b, ...new Array(12 - b.length).fill(pad)]);
    expect(right.inputIds.shape).toEqual([2, 12]);
    const cut = tok.batch(['the lazy dog', 'hello'], { padding: true, truncation: true, maxLength: 2 });
    expect(cut.ids).toEqual([a.slice(0, 2), [...b.slice(0, 2), ...new Array(2 - Math.min(2, b.length)).fill(pad)]]);
    expect(() => tok.batch(['the lazy dog', 'hello'])).toThrow(/different lengths.*padding/);
  });

  it('streams text token by token', async () => {
    const tok = await AutoTokenizer.fromPretrained(fixture('gpt2'));
    const ids = tok.encode('hello world, the fox');
    let text = '';
    const onToken = textStreamer(tok, (s) => (text += s));
    for (const id of ids) onToken([id]);
    expect(text).toBe('hello world, the fox');
  });
});

run('AutoTokenizer: WordPiece (bert)', () => {
  it('lowercases, splits punctuation, adds [CLS] and [SEP], and encodes sentence pairs with token types', async () => {
    const tok = await AutoTokenizer.fromPretrained(fixture('bert'));
    const e = expected('bert').tokenizer;
    e.texts.forEach((text: string, i: number) => expect(tok.encode(text)).toEqual(e.ids[i]));
    const pair = tok.batch([e.pair[0]], { textPair: e.pair[1] });
    expect(pair.ids[0]).toEqual(e.pair_ids);
    expect(pair.types[0]).toEqual(e.pair_types);
    expect(tok.decode(tok.encode('the quick brown foxes'), { skipSpecialTokens: true })).toBe('the quick brown foxes');
    expect(tok.padTokenId).toBe(0);
  });
});

run('AutoTokenizer: Unigram with a chat template (llama)', () => {
  it('encodes as the reference Viterbi segmentation, with <s>', async () => {
    const tok = await AutoTokenizer.fromPretrained(fixture('llama'));
    const e = expected('llama').tokenizer;
    e.texts.forEach((text: string, i: number) => expect(tok.encode(text)).toEqual(e.ids[i]));
    expect(tok.decode(tok.encode('hello world'), { skipSpecialTokens: true })).toBe('hello world');
  });

  it('renders the chat template from tokenizer_config.json and tokenizes it without adding <s> again', async () => {
    const tok = await AutoTokenizer.fromPretrained(fixture('llama'));
    const messages = [{ role: 'user', content: 'hello world' }, { role: 'assistant', content: 'hi' }];
    const text = tok.applyChatTemplate(messages, { tokenize: false, addGenerationPrompt: true });
    expect(text).toBe('<|im_start|>user\nhello world<|im_end|>\n<|im_start|>assistant\nhi<|im_end|>\n<|im_start|>assistant\n');
    const ids = tok.applyChatTemplate(messages, { addGenerationPrompt: true });
    expect(ids[0]).toBe(tok.convertTokensToIds('<|im_start|>'));
    expect(tok.convertTokensToIds(['<|im_start|>', 'not-a-token-here'])).toEqual([ids[0], null]);
    expect(ids).not.toContain(tok.bosTokenId);
    const start = tok.convertTokensToIds('<|im_start|>');
    expect(ids.filter((id) => id === start)).toHaveLength(3);
    // Metaspace (prepend_scheme 'always') starts each text between special tokens with '▁', as the Rust library does.
    expect(tok.decode(ids, { skipSpecialTokens: true }).split(/\s+/).filter(Boolean)).toEqual(['user', 'hello', 'world', 'assistant', 'hi', 'assistant']);
    const gpt2 = await AutoTokenizer.fromPretrained(fixture('gpt2'));
    expect(() => gpt2.applyChatTemplate(messages)).toThrow(/no chat_template/);
  });

  it('saves tokenizer.json and tokenizer_config.json that load back the same', async () => {
    const tok = await AutoTokenizer.fromPretrained(fixture('llama'));
    const dir = mkdtempSync(path.join(tmpdir(), 'tensile-tok-'));
    try {
      await tok.savePretrained(dir);
      const again = await AutoTokenizer.fromPretrained(dir);
      expect(again.encode('the quick brown fox')).toEqual(tok.encode('the quick brown fox'));
      expect(JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')).chat_template).toBe(tok.chatTemplate());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('AutoTokenizer: errors', () => {
  it('names the missing tokenizer.json', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tensile-tok-'));
    try {
      await expect(AutoTokenizer.fromPretrained(dir)).rejects.toThrow(/has no tokenizer\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
