#!/usr/bin/python3
"""Reference checkpoints and expected outputs for @tensile/transformers' tests.

    /usr/bin/python3 tools/generate_fixtures.py OUT_DIR          # write every fixture into OUT_DIR
    /usr/bin/python3 tools/generate_fixtures.py --logits DIR IN OUT
        # load the hub-layout checkpoint DIR into the PyTorch reference, run it on the
        # inputs in IN (JSON: {"input_ids": ..., "attention_mask"?: ...}, {"pixel_values": ..., "interpolate_pos_encoding"?: ...}
        # or, for CLIP, both; for Whisper {"input_features_file": ..., "decoder_input_ids": ...}) and write
        # {"logits": ...} to OUT ({"start_logits", "end_logits"} for question answering; IN may
        # carry "token_type_ids"): how the tests check that a checkpoint Tensile saved loads
        # into PyTorch with equal logits.

The tests run the first form once during setup, into a git-ignored cache (the files are
small but binary, and the expected values follow from this script alone). Each fixture is
a directory in the hub's layout: config.json with the hub's field names, weights in
model.safetensors (or shards with model.safetensors.index.json), tokenizer.json and
tokenizer_config.json where the model has text, and expected.json with logits, losses and
greedy continuations from the reference (tools/reference.py). Weights are random (seeded).

The checkpoints are stored as the hub stores them, with variations the loaders must accept:
GPT-2 without the `transformer.` prefix and with its `attn.bias` buffers but no
`lm_head.weight`; BERT with the `bert.` prefix, an int64 `embeddings.position_ids` buffer and
pretraining-head keys a BertModel does not use; RoBERTa and DistilBERT likewise (`roberta.` with
the position_ids/token_type_ids buffers and `lm_head.*`; `distilbert.` with `vocab_*`); a Llama checkpoint sharded in two; Qwen2 and
Gemma (tied, no lm_head) in bfloat16, Mistral in float16, Phi-3 with its fused qkv_proj / gate_up_proj (expected values are computed from the rounded weights); and
the BERT and Llama weights again as torch.save files (`bert-bin`: pytorch_model.bin;
`llama-bin`: two shards listed in pytorch_model.bin.index.json, the first in the legacy pre-1.6
format), as older hub repos hold them; Qwen3 (`qwen3`: bfloat16, tied, per-head q_norm / k_norm, head_dim 12 with
hidden_size 32 and 4 query heads over 2 key/value heads); Phi twice (`phi`: float16 as phi-2 ships, partial rotary
factor 0.5, num_key_value_heads null; `phi-qk`: qk_layernorm, grouped-query heads, factor 0.4 of a 12-wide head
(int() floors it to 4), a tied lm_head.weight with its own bias); CLIP twice (`clip`: eos_token_id 2, pooled at the largest
id; `clip-eos`: pooled at the first eos_token_id), with openai's int64 position_ids buffers.
GPT-NeoX twice (`gpt-neox`: float16 as Pythia ships, parallel residual, with the old attention.bias /
masked_bias / rotary_emb.inv_freq buffers; `gpt-neox-sequential`: use_parallel_residual false, tied, the
newer partial_rotary_factor / rope_theta names) and OPT twice (`opt`: opt-125m's pre-norm layout, tied, with
the `model.` prefix; `opt-350m`: do_layer_norm_before false with project_in / project_out, float16, without
the prefix). The encoders' task heads (`bert-mlm`, `bert-token`, `bert-qa`, `bert-mc`, `roberta-mc`, `distilbert-mc`, `roberta-mlm`,
`roberta-token`, `roberta-qa`, `distilbert-mlm`, `distilbert-token`, `distilbert-qa`) with labels or
answer spans, the masked LMs' checkpoints in three layouts (see make_encoder_heads). Gemma 2 (`gemma2`: bfloat16, tied, three
layers, a sliding window of 4 on the even ones, soft-capped scores and logits, query_pre_attn_scalar 24 != head_dim)
and Mixtral (`mixtral`: 4 experts, top-2, a sliding window of 5, output_router_logits so the loss holds the
load-balancing loss, recorded alone as `aux_loss` and `padded_aux_loss`), see make_gemma2_mixtral.
T5 twice (`t5`: t5-small's layout, relu, tied, with the encoder/decoder.embed_tokens.weight and lm_head.weight
copies of shared.weight; `t5-v1_1`: gated-gelu, untied, no embed_tokens keys, bfloat16), with a T5-style Unigram
tokenizer, decoder logits and losses from labels, greedy decoder continuations (with each step's top-2 logit margin), right- and left-padded encoder
batches, an eos stop and the relative position bucket tables, see make_t5; `--logits` takes `decoder_input_ids`.
Whisper (`whisper`: openai's layout without proj_out.weight, 80 mel bins over 3000 frames) with its
preprocessor_config.json, synthetic waveforms and their log-mel features (audio.safetensors), logits, loss,
greedy tokens (a forced prompt, suppressed tokens) and two AdamW steps, see make_whisper.
"""
import json
import math
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402

VERSION = 8  # bump when the fixtures change; the tests regenerate when the stamp differs


def dump(obj, path):
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1)


def flat(t):
    return [float('%.8g' % v) for v in t.detach().float().reshape(-1).tolist()]


def randomize(model, seed, std=0.2, norm_center=1.0):
    """Deterministic random weights: normal(0, std) for matrices, norm_center + noise for norm
    scales (Gemma's are stored as offsets from 1: norm_center 0)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if name.endswith('LayerNorm.weight') or 'norm' in name and name.endswith('weight') or name.endswith(('ln_1.weight', 'ln_2.weight', 'ln_f.weight')):
                p.copy_(norm_center + 0.1 * noise)
            elif name.endswith('bias'):
                p.copy_(0.1 * noise)
            else:
                p.copy_(std * noise)


# ---- tokenizers ----------------------------------------------------------------------------

def bytes_to_unicode():
    """GPT-2's map from bytes to printable characters."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


# GPT-2's split pattern, restricted to ASCII (Python's re has no \p{L}); test texts are ASCII.
GPT2_SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")
CORPUS = ('the quick brown fox jumps over the lazy dog. the dog sleeps and the fox runs. '
          'hello world, hello there! tensors and transformers in the browser, then in node. ') * 3


def bpe_encode_word(word, ranks):
    parts = list(word)
    while len(parts) > 1:
        pairs = [(ranks.get((parts[i], parts[i + 1]), 1 << 30), i) for i in range(len(parts) - 1)]
        rank, i = min(pairs)
        if rank == 1 << 30:
            break
        parts = parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2:]
    return parts


def gpt2_tokenizer(n_merges=63):
    b2u = bytes_to_unicode()
    words = [''.join(b2u[b] for b in w.encode('utf-8')) for w in GPT2_SPLIT.findall(CORPUS)]
    seqs = [list(w) for w in words]
    merges = []
    for _ in range(n_merges):
        counts = {}
        for s in seqs:
            for a, b in zip(s, s[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + 1
        if not counts:
            break
        best = max(counts.items(), key=lambda kv: (kv[1], tuple(-ord(c) for c in kv[0][0] + kv[0][1])))[0]
        merges.append(best)
        new = []
        for s in seqs:
            out, i = [], 0
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            new.append(out)
        seqs = new
    vocab = {}
    for b in range(256):
        vocab[b2u[b]] = len(vocab)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    eos_id = len(vocab)
    ranks = {m: i for i, m in enumerate(merges)}

    def encode(text):
        ids = []
        for w in GPT2_SPLIT.findall(text):
            w = ''.join(b2u[b] for b in w.encode('utf-8'))
            ids += [vocab[p] for p in bpe_encode_word(w, ranks)]
        return ids

    tok = {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [{'id': eos_id, 'content': '<|endoftext|>', 'single_word': False, 'lstrip': False,
                          'rstrip': False, 'normalized': True, 'special': True}],
        'normalizer': None,
        'pre_tokenizer': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True},
        'post_processor': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': False, 'use_regex': True},
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': True, 'use_regex': True},
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': '',
                  'end_of_word_suffix': '', 'fuse_unk': False, 'byte_fallback': False,
                  'vocab': {**vocab, '<|endoftext|>': eos_id}, 'merges': [f'{a} {b}' for a, b in merges]},
    }
    config = {'add_prefix_space': False, 'bos_token': '<|endoftext|>', 'eos_token': '<|endoftext|>',
              'unk_token': '<|endoftext|>', 'model_max_length': 64, 'tokenizer_class': 'GPT2Tokenizer'}
    return tok, config, encode, eos_id + 1, eos_id


BERT_WORDS = ['the', 'quick', 'brown', 'fox', 'jump', 'over', 'lazy', 'dog', 'hello', 'world', 'tensor', 'token',
              'is', 'a', 'are', 'in', 'and', 'bert', 'run']
BERT_PIECES = ['##s', '##ed', '##ing', '##er', '##iz', '##e', '##r']
PUNCT = list('.,!?\'"-:;()')


def bert_tokenizer():
    specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    letters = [chr(c) for c in range(ord('a'), ord('z') + 1)]
    vocab = {}
    for w in specials + PUNCT + letters + ['##' + c for c in letters] + BERT_WORDS + BERT_PIECES:
        vocab.setdefault(w, len(vocab))

    def wordpiece(word):
        out, start = [], 0
        while start < len(word):
            end, cur = len(word), None
            while start < end:
                piece = word[start:end] if start == 0 else '##' + word[start:end]
                if piece in vocab:
                    cur = piece
                    break
                end -= 1
            if cur is None:
                return ['[UNK]']
            out.append(cur)
            start = end
        return out

    def encode(text, pair=None):
        def words(t):
            return re.findall(r"[a-z0-9]+|[^\sa-z0-9]", t.lower())
        a = [vocab[p] for w in words(text) for p in wordpiece(w)]
        ids = [vocab['[CLS]']] + a + [vocab['[SEP]']]
        types = [0] * len(ids)
        if pair is not None:
            b = [vocab[p] for w in words(pair) for p in wordpiece(w)]
            ids += b + [vocab['[SEP]']]
            types += [1] * (len(b) + 1)
        return ids, types

    cls, sep = vocab['[CLS]'], vocab['[SEP]']
    tok = {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [{'id': vocab[s], 'content': s, 'single_word': False, 'lstrip': False, 'rstrip': False,
                          'normalized': False, 'special': True} for s in specials],
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True,
                       'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                       {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                     {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}, {'Sequence': {'id': 'B', 'type_id': 1}},
                     {'SpecialToken': {'id': '[SEP]', 'type_id': 1}}],
            'special_tokens': {'[CLS]': {'id': '[CLS]', 'ids': [cls], 'tokens': ['[CLS]']},
                               '[SEP]': {'id': '[SEP]', 'ids': [sep], 'tokens': ['[SEP]']}},
        },
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##',
                  'max_input_chars_per_word': 100, 'vocab': vocab},
    }
    config = {'do_lower_case': True, 'cls_token': '[CLS]', 'sep_token': '[SEP]', 'pad_token': '[PAD]',
              'unk_token': '[UNK]', 'mask_token': '[MASK]', 'model_max_length': 32, 'tokenizer_class': 'BertTokenizer'}
    return tok, config, encode, len(vocab)


UNIGRAM_PIECES = ['▁the', '▁quick', '▁brown', '▁fox', '▁dog', '▁hello', '▁world', '▁tensor', 's', '▁a', '▁is',
                  'er', 'ing', '▁run', '▁hi', '▁how', '▁are', '▁you', '?', '!', ',', '.', '▁']
CHAT_TEMPLATE = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + "
                 "'<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


def unigram_tokenizer():
    specials = ['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>']
    letters = [chr(c) for c in range(ord('a'), ord('z') + 1)] + [chr(c) for c in range(ord('A'), ord('Z') + 1)] + ['\n']
    vocab = [[s, 0.0] for s in specials]
    for i, p in enumerate(UNIGRAM_PIECES):
        vocab.append([p, -2.0 - 0.05 * i - 0.1 * (len(p) < 3)])
    for i, c in enumerate(letters):
        if c not in UNIGRAM_PIECES:
            vocab.append([c, -6.0 - 0.01 * i])
    score = {p: s for p, s in vocab}
    index = {p: i for i, (p, _) in enumerate(vocab)}

    def viterbi(word):
        best = [(0.0, None)] + [(-1e18, None)] * len(word)
        for end in range(1, len(word) + 1):
            for start in range(end):
                piece = word[start:end]
                if piece in score and best[start][0] > -1e18:
                    s = best[start][0] + score[piece]
                    if s > best[end][0]:
                        best[end] = (s, start)
        out, end = [], len(word)
        while end > 0:
            start = best[end][1]
            out.append(word[start:end])
            end = start
        return out[::-1]

    def encode(text):
        text = '▁' + text.replace(' ', '▁')
        words = re.findall('▁[^▁]*|[^▁]+', text)
        return [index['<s>']] + [index[p] for w in words for p in viterbi(w)]

    tok = {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [{'id': index[s], 'content': s, 'single_word': False, 'lstrip': False, 'rstrip': False,
                          'normalized': False, 'special': True} for s in specials],
        'normalizer': None,
        'pre_tokenizer': {'type': 'Metaspace', 'replacement': '▁', 'prepend_scheme': 'always', 'split': True},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                     {'SpecialToken': {'id': '<s>', 'type_id': 1}}, {'Sequence': {'id': 'B', 'type_id': 1}}],
            'special_tokens': {'<s>': {'id': '<s>', 'ids': [index['<s>']], 'tokens': ['<s>']}},
        },
        'decoder': {'type': 'Metaspace', 'replacement': '▁', 'prepend_scheme': 'always', 'split': True},
        'model': {'type': 'Unigram', 'unk_id': 0, 'vocab': vocab, 'byte_fallback': False},
    }
    config = {'bos_token': '<s>', 'eos_token': '<|im_end|>', 'unk_token': '<unk>', 'pad_token': '</s>',
              'add_bos_token': True, 'model_max_length': 128, 'chat_template': CHAT_TEMPLATE,
              'tokenizer_class': 'LlamaTokenizerFast'}
    return tok, config, encode, len(vocab), index


# ---- fixtures ------------------------------------------------------------------------------

def write_dir(out, name, config, state, tokenizer=None, tokenizer_config=None, dtype=None, shards=1,
              generation_config=None, fmt='safetensors'):
    """A hub-layout directory; fmt 'torch' writes pytorch_model.bin (torch.save) as older hub repos hold."""
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    dump(config, os.path.join(d, 'config.json'))
    if dtype is not None:
        state = {k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()}
    stem, ext = ('model', 'safetensors') if fmt == 'safetensors' else ('pytorch_model', 'bin')

    def save(part, fname, first=True):
        if fmt == 'safetensors':
            R.save_safetensors(part, os.path.join(d, fname), {'format': 'pt'})
        else:
            # The first of several shards in the legacy format of PyTorch before 1.6, as the
            # oldest hub repos hold them; the rest in today's zip format.
            torch.save(part, os.path.join(d, fname), _use_new_zipfile_serialization=shards == 1 or not first)
    if shards == 1:
        save(state, f'{stem}.{ext}')
    else:
        keys = list(state.keys())
        per = (len(keys) + shards - 1) // shards
        weight_map, total = {}, 0
        for i in range(shards):
            part = {k: state[k] for k in keys[i * per:(i + 1) * per]}
            fname = f'{stem}-{i + 1:05d}-of-{shards:05d}.{ext}'
            save(part, fname, first=i == 0)
            for k, v in part.items():
                weight_map[k] = fname
                total += v.numel() * v.element_size()
        dump({'metadata': {'total_size': total}, 'weight_map': weight_map}, os.path.join(d, f'{stem}.{ext}.index.json'))
    if tokenizer is not None:
        with open(os.path.join(d, 'tokenizer.json'), 'w', encoding='utf-8') as f:
            json.dump(tokenizer, f, ensure_ascii=False)
        dump(tokenizer_config, os.path.join(d, 'tokenizer_config.json'))
    if generation_config is not None:
        dump(generation_config, os.path.join(d, 'generation_config.json'))
    return d


def rounded(model, dtype):
    """The model with its weights rounded through `dtype`: what a float16/bfloat16 checkpoint holds."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(dtype).float())
    return model


def causal_expected(model, prompts, pad_id, eos_id, new_tokens=20):
    """Logits and loss on the padded-free batch, greedy from each prompt, and a left-padded batch."""
    ids = torch.tensor(prompts['same_length'])
    logits, loss = model(ids, labels=ids)
    greedy = R.greedy(model, ids, new_tokens)
    ragged = prompts['ragged']
    width = max(len(p) for p in ragged)
    padded = torch.tensor([[pad_id] * (width - len(p)) + p for p in ragged])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in ragged])
    batched = R.greedy(model, padded, new_tokens, attention_mask=mask)
    # The left-padded batch's logits at its real positions, for the batched forward pass.
    padded_logits, _ = model(padded, attention_mask=mask, position_ids=R.positions_from_mask(mask))
    # With labels at -100 on part of the sequence.
    labels = ids.clone()
    labels[:, :2] = -100
    _, masked_loss = model(ids, labels=labels)
    return {
        'input_ids': ids.tolist(), 'logits': flat(logits), 'logits_shape': list(logits.shape),
        'loss': float(loss), 'masked_labels': labels.tolist(), 'masked_loss': float(masked_loss),
        'greedy': greedy.tolist(), 'new_tokens': new_tokens,
        'ragged': ragged, 'padded_input_ids': padded.tolist(), 'padded_attention_mask': mask.tolist(),
        'padded_logits': flat(padded_logits), 'batched_greedy': batched.tolist(), 'pad_token_id': pad_id,
        'eos_token_id': eos_id,
    }


@torch.no_grad()
def make_gpt2(out):
    tok, tok_config, encode, vocab_size, eos = gpt2_tokenizer()
    c = {'architectures': ['GPT2LMHeadModel'], 'model_type': 'gpt2', 'vocab_size': vocab_size, 'n_positions': 64,
         'n_embd': 32, 'n_layer': 2, 'n_head': 4, 'n_inner': None, 'activation_function': 'gelu_new',
         'resid_pdrop': 0.1, 'embd_pdrop': 0.1, 'attn_pdrop': 0.1, 'layer_norm_epsilon': 1e-5,
         'initializer_range': 0.02, 'scale_attn_weights': True, 'use_cache': True, 'bos_token_id': eos,
         'eos_token_id': eos, 'tie_word_embeddings': True, 'torch_dtype': 'float32'}
    model = R.GPT2LMHeadModel(c).eval()
    randomize(model, 1)
    # The hub's gpt2 checkpoint: no `transformer.` prefix, the `attn.bias` buffers, no lm_head.
    state = {k[len('transformer.'):]: v for k, v in model.state_dict().items() if k.startswith('transformer.')}
    for i in range(c['n_layer']):
        state[f'h.{i}.attn.bias'] = model.transformer.h[i].attn.bias.clone()
        state[f'h.{i}.attn.masked_bias'] = torch.tensor(-1e4)
    texts = ['the quick brown fox', 'hello world, hello there!', "the dog's tensors run in node."]
    prompts = {'same_length': [encode('the quick brown fox jumps'), encode('hello world, the dog sl')],
               'ragged': [encode('the lazy dog'), encode('hello there! tensors and')]}
    n = min(len(p) for p in prompts['same_length'])
    prompts['same_length'] = [p[:n] for p in prompts['same_length']]
    expected = causal_expected(model, prompts, eos, eos)
    expected['tokenizer'] = {'texts': texts, 'ids': [encode(t) for t in texts]}
    d = write_dir(out, 'gpt2', c, state, tok, tok_config, generation_config={'bos_token_id': eos, 'eos_token_id': eos})
    dump(expected, os.path.join(d, 'expected.json'))


@torch.no_grad()
def make_llama_family(out):
    tok, tok_config, encode, vocab_size, index = unigram_tokenizer()
    base = {'vocab_size': vocab_size, 'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 2,
            'num_attention_heads': 4, 'num_key_value_heads': 2, 'hidden_act': 'silu', 'max_position_embeddings': 128,
            'rms_norm_eps': 1e-6, 'rope_theta': 10000.0, 'bos_token_id': index['<s>'], 'eos_token_id': index['<|im_end|>'],
            'pad_token_id': index['</s>'], 'attention_dropout': 0.0, 'initializer_range': 0.02, 'use_cache': True}
    variants = [
        ('llama', {'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'tie_word_embeddings': False,
                   'attention_bias': False, 'mlp_bias': False, 'head_dim': 8, 'torch_dtype': 'float32',
                   'rope_scaling': {'rope_type': 'llama3', 'factor': 8.0, 'low_freq_factor': 1.0,
                                    'high_freq_factor': 4.0, 'original_max_position_embeddings': 16}},
         None, 2),
        ('smollm', {'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'tie_word_embeddings': True,
                    'num_key_value_heads': 1, 'rope_theta': 100000.0, 'torch_dtype': 'float32', 'rope_scaling': None},
         None, 1),
        ('qwen2', {'architectures': ['Qwen2ForCausalLM'], 'model_type': 'qwen2', 'tie_word_embeddings': True,
                   'use_sliding_window': False, 'sliding_window': 4096, 'max_window_layers': 2,
                   'rope_theta': 1000000.0, 'torch_dtype': 'bfloat16'},
         torch.bfloat16, 1),
        ('mistral', {'architectures': ['MistralForCausalLM'], 'model_type': 'mistral', 'tie_word_embeddings': False,
                     'sliding_window': 6, 'num_key_value_heads': 4, 'torch_dtype': 'float16'},
         torch.float16, 1),
        # Gemma as google/gemma-2b's config: both activation fields (hidden_activation wins), no
        # tie_word_embeddings (true by default), heads * head_dim = 64 != hidden_size 32.
        ('gemma', {'architectures': ['GemmaForCausalLM'], 'model_type': 'gemma', 'head_dim': 16, 'hidden_act': 'gelu',
                   'hidden_activation': 'gelu_pytorch_tanh', 'attention_bias': False, 'torch_dtype': 'bfloat16'},
         torch.bfloat16, 1),
        ('phi3', {'architectures': ['Phi3ForCausalLM'], 'model_type': 'phi3', 'tie_word_embeddings': False,
                  'rms_norm_eps': 1e-5, 'resid_pdrop': 0.0, 'embd_pdrop': 0.0, 'rope_scaling': None,
                  'original_max_position_embeddings': 128, 'sliding_window': 7, 'torch_dtype': 'float32'},
         None, 1),
    ]
    texts = ['the quick brown fox', 'hello world, how are you?', 'tensors running']
    for seed, (name, extra, dtype, shards) in enumerate(variants):
        c = {**base, **extra}
        model = R.LlamaForCausalLM(c).eval()
        # Gemma: norm weights as offsets from 1; wider matrices, else the sqrt(hidden_size)-scaled
        # embedding dominates the residual stream and the tied head repeats one token.
        gemma = name == 'gemma'
        randomize(model, 10 + seed, std=0.3 if gemma else 0.2, norm_center=0.0 if gemma else 1.0)
        if dtype is not None:
            rounded(model, dtype)
        state = model.state_dict()
        if model.lm_head.weight is model.model.embed_tokens.weight:  # tied: the hub saves no lm_head
            state = {k: v for k, v in state.items() if k != 'lm_head.weight'}
        same = [encode('the quick brown fox is'), encode('hello world, how are you?')]
        n = min(len(p) for p in same)
        prompts = {'same_length': [p[:n] for p in same], 'ragged': [encode('the dog'), encode('hello world, how are you?')]}
        expected = causal_expected(model, prompts, c['pad_token_id'], c['eos_token_id'])
        expected['tokenizer'] = {'texts': texts, 'ids': [encode(t) for t in texts]}
        expected['weights_dtype'] = str(dtype).replace('torch.', '') if dtype is not None else 'float32'
        generation = {'bos_token_id': c['bos_token_id'], 'eos_token_id': c['eos_token_id']}
        d = write_dir(out, name, c, state, tok, tok_config, dtype=dtype, shards=shards, generation_config=generation)
        dump(expected, os.path.join(d, 'expected.json'))
        if name == 'llama':  # the same weights as torch.save shards with pytorch_model.bin.index.json
            d = write_dir(out, 'llama-bin', c, state, tok, tok_config, shards=2, generation_config=generation, fmt='torch')
            dump(expected, os.path.join(d, 'expected.json'))


@torch.no_grad()
def make_gemma2_mixtral(out):
    """Gemma 2 and Mixtral with windows shorter than the prompts plus 20 new tokens, so the windows matter."""
    tok, tok_config, encode, vocab_size, index = unigram_tokenizer()
    base = {'vocab_size': vocab_size, 'hidden_size': 32, 'num_attention_heads': 4, 'num_key_value_heads': 2,
            'max_position_embeddings': 128, 'rope_theta': 10000.0, 'bos_token_id': index['<s>'],
            'eos_token_id': index['<|im_end|>'], 'pad_token_id': index['</s>'], 'attention_dropout': 0.0,
            'initializer_range': 0.02, 'use_cache': True}
    variants = [
        # As google/gemma-2-2b's config: hidden_act and hidden_activation, cache_implementation hybrid.
        ('gemma2', R.Gemma2ForCausalLM, {
            'architectures': ['Gemma2ForCausalLM'], 'model_type': 'gemma2', 'intermediate_size': 64, 'num_hidden_layers': 3,
            'head_dim': 16, 'hidden_act': 'gelu_pytorch_tanh', 'hidden_activation': 'gelu_pytorch_tanh', 'rms_norm_eps': 1e-6,
            'query_pre_attn_scalar': 24, 'sliding_window': 4, 'attn_logit_softcapping': 3.0, 'final_logit_softcapping': 6.0,
            'cache_implementation': 'hybrid', 'attention_bias': False, 'tie_word_embeddings': True, 'torch_dtype': 'bfloat16'},
         torch.bfloat16, 0.3, 0.0),
        # As mistralai/Mixtral-8x7B-v0.1's config, smaller, with a window and the router's aux loss on.
        ('mixtral', R.MixtralForCausalLM, {
            'architectures': ['MixtralForCausalLM'], 'model_type': 'mixtral', 'intermediate_size': 48, 'num_hidden_layers': 2,
            'hidden_act': 'silu', 'rms_norm_eps': 1e-5, 'rope_theta': 1000000.0, 'sliding_window': 5, 'num_local_experts': 4,
            'num_experts_per_tok': 2, 'output_router_logits': True, 'router_aux_loss_coef': 0.05, 'router_jitter_noise': 0.0,
            'tie_word_embeddings': False, 'torch_dtype': 'float32'},
         None, 0.2, 1.0),
    ]
    for seed, (name, cls, extra, dtype, std, center) in enumerate(variants):
        c = {**base, **extra}
        model = cls(c).eval()
        randomize(model, 80 + seed, std=std, norm_center=center)
        if name == 'gemma2':  # sublayer outputs six times wider than the scaled embedding, else the tied head repeats the input token
            for layer in model.model.layers:
                layer.post_attention_layernorm.weight.add_(5.0)
                layer.post_feedforward_layernorm.weight.add_(5.0)
        if dtype is not None:
            rounded(model, dtype)
        state = model.state_dict()
        if model.lm_head.weight is model.model.embed_tokens.weight:  # tied: the hub saves no lm_head
            state = {k: v for k, v in state.items() if k != 'lm_head.weight'}
        same = [encode('the quick brown fox is'), encode('hello world, how are you?')]
        n = min(len(p) for p in same)
        prompts = {'same_length': [p[:n] for p in same], 'ragged': [encode('the dog'), encode('hello world, how are you?')]}
        expected = causal_expected(model, prompts, c['pad_token_id'], c['eos_token_id'])
        expected['weights_dtype'] = str(dtype).replace('torch.', '') if dtype is not None else 'float32'
        if name == 'mixtral':  # the load-balancing loss alone, without and with the left-padded batch's mask
            model(torch.tensor(expected['input_ids']))
            expected['aux_loss'] = float(model.aux_loss)
            model(torch.tensor(expected['padded_input_ids']), attention_mask=torch.tensor(expected['padded_attention_mask']),
                  position_ids=R.positions_from_mask(torch.tensor(expected['padded_attention_mask'])))
            expected['padded_aux_loss'] = float(model.aux_loss)
        generation = {'bos_token_id': c['bos_token_id'], 'eos_token_id': c['eos_token_id']}
        d = write_dir(out, name, c, state, tok, tok_config, dtype=dtype, generation_config=generation)
        dump(expected, os.path.join(d, 'expected.json'))


@torch.no_grad()
def make_qwen2_moe_phi3_rope(out):
    """Qwen2-MoE (3 layers, the middle one dense through mlp_only_layers; 4 experts, top-2 without
    renormalising, a shared expert; the load-balancing loss in the loss) and Phi-3 as Phi-4-mini's
    config has it (partial_rotary_factor 0.75, longrope, tied head) with original_max_position_embeddings
    16: its same-length prompts are longer than that (long factors), its ragged ones shorter, so batched
    generation crosses to the long factors midway, and `short_greedy` does so from one short prompt. The
    reference's greedy recomputes every step, so every step's keys use that step's factors: what the hub's
    Phi-3 generation gives too, as its prepare_inputs_for_generation drops the cache at the crossing step."""
    tok, tok_config, encode, vocab_size, index = unigram_tokenizer()
    base = {'vocab_size': vocab_size, 'num_attention_heads': 4, 'num_key_value_heads': 2, 'max_position_embeddings': 128,
            'bos_token_id': index['<s>'], 'eos_token_id': index['<|im_end|>'], 'pad_token_id': index['</s>'],
            'attention_dropout': 0.0, 'initializer_range': 0.02, 'use_cache': True}
    rotary_half = 6  # head_dim 16 * 0.75 = 12 rotary features
    variants = [
        # As Qwen/Qwen1.5-MoE-A2.7B's config, smaller.
        ('qwen2-moe', R.Qwen2MoeForCausalLM, {
            'architectures': ['Qwen2MoeForCausalLM'], 'model_type': 'qwen2_moe', 'hidden_size': 32, 'intermediate_size': 64,
            'num_hidden_layers': 3, 'hidden_act': 'silu', 'rms_norm_eps': 1e-6, 'rope_theta': 1000000.0,
            'num_experts': 4, 'num_experts_per_tok': 2, 'moe_intermediate_size': 24, 'shared_expert_intermediate_size': 40,
            'norm_topk_prob': False, 'decoder_sparse_step': 1, 'mlp_only_layers': [1], 'output_router_logits': True,
            'router_aux_loss_coef': 0.05, 'use_sliding_window': False, 'sliding_window': 4096, 'max_window_layers': 3,
            'tie_word_embeddings': False, 'torch_dtype': 'bfloat16'},
         torch.bfloat16),
        # As microsoft/Phi-4-mini-instruct's config, smaller: 'type' (not rope_type), original_max_position_embeddings at the top.
        ('phi3-longrope', R.LlamaForCausalLM, {
            'architectures': ['Phi3ForCausalLM'], 'model_type': 'phi3', 'hidden_size': 64, 'intermediate_size': 96,
            'num_hidden_layers': 2, 'hidden_act': 'silu', 'rms_norm_eps': 1e-5, 'rope_theta': 10000.0,
            'partial_rotary_factor': 0.75, 'original_max_position_embeddings': 16, 'sliding_window': None,
            'rope_scaling': {'type': 'longrope', 'short_factor': [1.0, 1.02, 1.1, 1.3, 1.6, 2.0][:rotary_half],
                             'long_factor': [1.0, 1.5, 3.0, 6.0, 12.0, 24.0][:rotary_half]},
            'resid_pdrop': 0.0, 'embd_pdrop': 0.0, 'tie_word_embeddings': True, 'torch_dtype': 'float32'},
         None),
    ]
    for seed, (name, cls, extra, dtype) in enumerate(variants):
        c = {**base, **extra}
        model = cls(c).eval()
        randomize(model, 120 + seed)
        if dtype is not None:
            rounded(model, dtype)
        state = model.state_dict()
        if model.lm_head.weight is model.model.embed_tokens.weight:  # tied: the hub saves no lm_head
            state = {k: v for k, v in state.items() if k != 'lm_head.weight'}
        if name == 'phi3-longrope':
            same = [encode('the quick brown fox is hello world, how are you? the dog is here, the fox'),
                    encode('hello world, how are you? the quick brown fox is here and the dog runs')]
        else:
            same = [encode('the quick brown fox is'), encode('hello world, how are you?')]
        n = min(len(p) for p in same)
        prompts = {'same_length': [p[:n] for p in same], 'ragged': [encode('the dog'), encode('hello world, how are you?')]}
        expected = causal_expected(model, prompts, c['pad_token_id'], c['eos_token_id'])
        expected['weights_dtype'] = str(dtype).replace('torch.', '') if dtype is not None else 'float32'
        if name == 'qwen2-moe':  # the load-balancing loss alone, without and with the left-padded batch's mask
            model(torch.tensor(expected['input_ids']))
            expected['aux_loss'] = float(model.aux_loss)
            model(torch.tensor(expected['padded_input_ids']), attention_mask=torch.tensor(expected['padded_attention_mask']),
                  position_ids=R.positions_from_mask(torch.tensor(expected['padded_attention_mask'])))
            expected['padded_aux_loss'] = float(model.aux_loss)
        else:  # one short prompt whose 20 new tokens pass original_max_position_embeddings
            short = torch.tensor([encode('the quick brown fox')])
            assert short.shape[1] < c['original_max_position_embeddings'] < min(short.shape[1] + 20, n)
            expected['short_input_ids'] = short.tolist()
            expected['short_greedy'] = R.greedy(model, short, 20).tolist()
            expected['short_logits'] = flat(model(short)[0])
        generation = {'bos_token_id': c['bos_token_id'], 'eos_token_id': c['eos_token_id']}
        d = write_dir(out, name, c, state, tok, tok_config, dtype=dtype, generation_config=generation)
        dump(expected, os.path.join(d, 'expected.json'))


@torch.no_grad()
def make_qwen3(out):
    """Qwen3 as Qwen/Qwen3-0.6B's config: bfloat16, tied (no lm_head saved), q_norm / k_norm, head_dim
    12 != hidden_size 32 / 4 heads, 2 key/value heads."""
    tok, tok_config, encode, vocab_size, index = unigram_tokenizer()
    c = {'architectures': ['Qwen3ForCausalLM'], 'model_type': 'qwen3', 'vocab_size': vocab_size, 'hidden_size': 32,
         'intermediate_size': 64, 'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2,
         'head_dim': 12, 'hidden_act': 'silu', 'max_position_embeddings': 128, 'rms_norm_eps': 1e-6,
         'rope_theta': 1000000.0, 'rope_scaling': None, 'attention_bias': False, 'attention_dropout': 0.0,
         'use_sliding_window': False, 'sliding_window': None, 'max_window_layers': 2, 'tie_word_embeddings': True,
         'bos_token_id': index['<s>'], 'eos_token_id': index['<|im_end|>'], 'pad_token_id': index['</s>'],
         'initializer_range': 0.02, 'use_cache': True, 'torch_dtype': 'bfloat16'}
    model = R.LlamaForCausalLM(c).eval()
    randomize(model, 52, std=0.3)  # wider matrices: the greedy continuations vary (at 0.2 one row repeats a token)
    rounded(model, torch.bfloat16)
    state = {k: v for k, v in model.state_dict().items() if k != 'lm_head.weight'}
    same = [encode('the quick brown fox is'), encode('hello world, how are you?')]
    n = min(len(p) for p in same)
    prompts = {'same_length': [p[:n] for p in same], 'ragged': [encode('the dog'), encode('hello world, how are you?')]}
    expected = causal_expected(model, prompts, c['pad_token_id'], c['eos_token_id'])
    expected['weights_dtype'] = 'bfloat16'
    generation = {'bos_token_id': c['bos_token_id'], 'eos_token_id': c['eos_token_id']}
    d = write_dir(out, 'qwen3', c, state, tok, tok_config, dtype=torch.bfloat16, generation_config=generation)
    dump(expected, os.path.join(d, 'expected.json'))


@torch.no_grad()
def make_phi(out):
    """Phi as microsoft/phi-2's config (`phi`, float16) and with qk_layernorm, grouped-query heads and a tied
    head (`phi-qk`), both with GPT-2's tokenizer as phi-2 has it."""
    tok, tok_config, encode, vocab_size, eos = gpt2_tokenizer()
    base = {'architectures': ['PhiForCausalLM'], 'model_type': 'phi', 'vocab_size': vocab_size, 'intermediate_size': 64,
            'num_hidden_layers': 2, 'num_attention_heads': 4, 'hidden_act': 'gelu_new', 'max_position_embeddings': 64,
            'layer_norm_eps': 1e-5, 'rope_theta': 10000.0, 'rope_scaling': None, 'resid_pdrop': 0.1, 'embd_pdrop': 0.0,
            'attention_dropout': 0.0, 'initializer_range': 0.02, 'bos_token_id': eos, 'eos_token_id': eos,
            'use_cache': True}
    variants = [
        ('phi', {'hidden_size': 32, 'num_key_value_heads': None, 'partial_rotary_factor': 0.5, 'qk_layernorm': False,
                 'tie_word_embeddings': False, 'torch_dtype': 'float16'}, torch.float16),
        ('phi-qk', {'hidden_size': 48, 'num_key_value_heads': 2, 'partial_rotary_factor': 0.4, 'qk_layernorm': True,
                    'tie_word_embeddings': True, 'torch_dtype': 'float32'}, None),
    ]
    for seed, (name, extra, dtype) in enumerate(variants):
        c = {**base, **extra}
        model = R.PhiForCausalLM(c).eval()
        randomize(model, 61 + seed)
        if dtype is not None:
            rounded(model, dtype)
        state = model.state_dict()
        if model.lm_head.weight is model.model.embed_tokens.weight:  # tied: the hub saves no lm_head.weight (its bias, yes)
            state = {k: v for k, v in state.items() if k != 'lm_head.weight'}
        prompts = {'same_length': [encode('the quick brown fox jumps'), encode('hello world, the dog sl')],
                   'ragged': [encode('the lazy dog'), encode('hello there! tensors and')]}
        n = min(len(p) for p in prompts['same_length'])
        prompts['same_length'] = [p[:n] for p in prompts['same_length']]
        expected = causal_expected(model, prompts, eos, eos)
        expected['weights_dtype'] = str(dtype).replace('torch.', '') if dtype is not None else 'float32'
        d = write_dir(out, name, c, state, tok, tok_config, dtype=dtype, generation_config={'bos_token_id': eos, 'eos_token_id': eos})
        dump(expected, os.path.join(d, 'expected.json'))


def opt_tokenizer():
    """GPT-2's byte-level BPE as OPT's tokenizer holds it: <s> 0, <pad> 1, </s> 2, <unk> 3 before the
    byte-level vocabulary, and </s> (OPT's bos) in front of every encoding."""
    tok, _, encode, _, eos = gpt2_tokenizer()
    specials = ['<s>', '<pad>', '</s>', '<unk>']
    vocab = {s: i for i, s in enumerate(specials)}
    vocab.update({k: v + len(specials) for k, v in tok['model']['vocab'].items() if v != eos})
    bos = vocab['</s>']
    tok = {**tok, 'model': {**tok['model'], 'vocab': vocab},
           'added_tokens': [{'id': i, 'content': s, 'single_word': False, 'lstrip': False, 'rstrip': False,
                             'normalized': True, 'special': True} for i, s in enumerate(specials)],
           'post_processor': {
               'type': 'TemplateProcessing',
               'single': [{'SpecialToken': {'id': '</s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}],
               'pair': [{'SpecialToken': {'id': '</s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                        {'SpecialToken': {'id': '</s>', 'type_id': 1}}, {'Sequence': {'id': 'B', 'type_id': 1}}],
               'special_tokens': {'</s>': {'id': '</s>', 'ids': [bos], 'tokens': ['</s>']}}}}
    config = {'add_prefix_space': False, 'bos_token': '</s>', 'eos_token': '</s>', 'unk_token': '</s>',
              'pad_token': '<pad>', 'model_max_length': 64, 'tokenizer_class': 'GPT2Tokenizer'}
    return tok, config, (lambda text: [bos] + [i + len(specials) for i in encode(text)]), len(vocab), vocab


def gpt2_prompts(encode):
    """Two prompts of one length and a ragged pair, as GPT-2's fixture has them."""
    prompts = {'same_length': [encode('the quick brown fox jumps'), encode('hello world, the dog sl')],
               'ragged': [encode('the lazy dog'), encode('hello there! tensors and')]}
    n = min(len(p) for p in prompts['same_length'])
    prompts['same_length'] = [p[:n] for p in prompts['same_length']]
    return prompts


@torch.no_grad()
def make_gpt_neox(out):
    """GPT-NeoX twice, with GPT-2's tokenizer (Pythia's is byte-level BPE too) and a vocab_size padded past
    it as Pythia's is: `gpt-neox` as EleutherAI/pythia-* ships (float16, parallel residual, rotary_pct 0.5
    of an 8-wide head, untied embed_out, the old attention.bias / masked_bias / rotary_emb.inv_freq buffers);
    `gpt-neox-sequential` with the newer field names (partial_rotary_factor 0.25 of a 16-wide head,
    rope_theta), use_parallel_residual false, attention_bias false, tied, gelu_fast (GPT-NeoX-20B's)."""
    tok, tok_config, encode, vocab_size, eos = gpt2_tokenizer()
    base = {'architectures': ['GPTNeoXForCausalLM'], 'model_type': 'gpt_neox', 'vocab_size': vocab_size + 12,
            'hidden_size': 32, 'num_hidden_layers': 2, 'intermediate_size': 96, 'max_position_embeddings': 64,
            'initializer_range': 0.02, 'use_cache': True, 'bos_token_id': eos, 'eos_token_id': eos}
    variants = [
        ('gpt-neox', {'num_attention_heads': 4, 'hidden_act': 'gelu', 'rotary_pct': 0.5, 'rotary_emb_base': 10000,
                      'layer_norm_eps': 1e-5, 'use_parallel_residual': True, 'tie_word_embeddings': False,
                      'classifier_dropout': 0.1, 'torch_dtype': 'float16'}, torch.float16),
        ('gpt-neox-sequential', {'num_attention_heads': 2, 'hidden_act': 'gelu_fast', 'partial_rotary_factor': 0.25,
                                 'rope_theta': 500.0, 'rope_scaling': None, 'layer_norm_eps': 1e-6,
                                 'use_parallel_residual': False, 'attention_bias': False, 'tie_word_embeddings': True,
                                 'hidden_dropout': 0.0, 'attention_dropout': 0.0, 'torch_dtype': 'float32'}, None),
    ]
    for seed, (name, extra, dtype) in enumerate(variants):
        c = {**base, **extra}
        model = R.GPTNeoXForCausalLM(c).eval()
        randomize(model, 71 + seed)
        if dtype is not None:
            rounded(model, dtype)
        state = model.state_dict()
        if model.embed_out.weight is model.gpt_neox.embed_in.weight:  # tied: the hub saves no embed_out
            state = {k: v for k, v in state.items() if k != 'embed_out.weight'}
        if name == 'gpt-neox':  # the buffers Pythia's checkpoints hold
            n = c['max_position_embeddings']
            for i in range(c['num_hidden_layers']):
                state[f'gpt_neox.layers.{i}.attention.bias'] = torch.tril(torch.ones(n, n, dtype=torch.bool)).view(1, 1, n, n)
                state[f'gpt_neox.layers.{i}.attention.masked_bias'] = torch.tensor(-1e9)
                state[f'gpt_neox.layers.{i}.attention.rotary_emb.inv_freq'] = model.gpt_neox.inv_freq.clone()
        expected = causal_expected(model, gpt2_prompts(encode), eos, eos)
        expected['weights_dtype'] = str(dtype).replace('torch.', '') if dtype is not None else 'float32'
        d = write_dir(out, name, c, state, tok, tok_config, dtype=dtype, generation_config={'bos_token_id': eos, 'eos_token_id': eos})
        dump(expected, os.path.join(d, 'expected.json'))


@torch.no_grad()
def make_opt(out):
    """OPT twice: `opt` as facebook/opt-125m's config (pre-norm, a final layer norm, float32, the
    `model.` prefix, no lm_head: tied); `opt-350m` as facebook/opt-350m's (do_layer_norm_before false,
    so post-norm without the final layer norm, word_embed_proj_dim 16 != hidden_size 32 with
    project_in / project_out, float16, keys without the `model.` prefix)."""
    tok, tok_config, encode, vocab_size, vocab = opt_tokenizer()
    base = {'architectures': ['OPTForCausalLM'], 'model_type': 'opt', 'vocab_size': vocab_size + 7, 'hidden_size': 32,
            'num_hidden_layers': 2, 'num_attention_heads': 4, 'ffn_dim': 64, 'max_position_embeddings': 64,
            'activation_function': 'relu', 'dropout': 0.1, 'attention_dropout': 0.0, 'activation_dropout': 0.0,
            'layerdrop': 0.0, 'init_std': 0.02, 'enable_bias': True, 'layer_norm_elementwise_affine': True,
            '_remove_final_layer_norm': False, 'pad_token_id': vocab['<pad>'], 'bos_token_id': vocab['</s>'],
            'eos_token_id': vocab['</s>'], 'prefix': '</s>', 'use_cache': True}
    variants = [
        ('opt', {'do_layer_norm_before': True, 'word_embed_proj_dim': 32, 'torch_dtype': 'float32'}, None, True),
        ('opt-350m', {'do_layer_norm_before': False, 'word_embed_proj_dim': 16, 'torch_dtype': 'float16'}, torch.float16, False),
    ]
    pad, eos = base['pad_token_id'], base['eos_token_id']
    for seed, (name, extra, dtype, prefixed) in enumerate(variants):
        c = {**base, **extra}
        model = R.OPTForCausalLM(c).eval()
        randomize(model, 81 + seed)
        if dtype is not None:
            rounded(model, dtype)
        state = {k: v for k, v in model.state_dict().items() if k != 'lm_head.weight'}  # tied: no lm_head saved
        if not prefixed:
            state = {k[len('model.'):]: v for k, v in state.items()}
        expected = causal_expected(model, gpt2_prompts(encode), pad, eos)
        expected['weights_dtype'] = str(dtype).replace('torch.', '') if dtype is not None else 'float32'
        d = write_dir(out, name, c, state, tok, tok_config, dtype=dtype,
                      generation_config={'bos_token_id': eos, 'eos_token_id': eos, 'pad_token_id': pad})
        dump(expected, os.path.join(d, 'expected.json'))


@torch.no_grad()
def make_bert(out):
    tok, tok_config, encode, vocab_size = bert_tokenizer()
    c = {'architectures': ['BertForMaskedLM'], 'model_type': 'bert', 'vocab_size': vocab_size, 'hidden_size': 32,
         'num_hidden_layers': 2, 'num_attention_heads': 4, 'intermediate_size': 64, 'hidden_act': 'gelu',
         'hidden_dropout_prob': 0.1, 'attention_probs_dropout_prob': 0.1, 'max_position_embeddings': 32,
         'type_vocab_size': 2, 'initializer_range': 0.02, 'layer_norm_eps': 1e-12, 'pad_token_id': 0,
         'position_embedding_type': 'absolute', 'torch_dtype': 'float32'}
    model = R.BertModel(c).eval()
    randomize(model, 3)
    a = encode('the quick brown foxes jumped', 'hello world')
    b = encode('hello tensors!')
    width = len(a[0])
    ids = torch.tensor([a[0], b[0] + [0] * (width - len(b[0]))])
    types = torch.tensor([a[1], b[1] + [0] * (width - len(b[1]))])
    mask = torch.tensor([[1] * width, [1] * len(b[0]) + [0] * (width - len(b[0]))])
    hidden, pooled = model(ids, mask, types)
    # As bert-base-uncased stores it: `bert.` prefix, position_ids (int64), pretraining heads.
    state = {f'bert.{k}': v for k, v in model.state_dict().items()}
    state['bert.embeddings.position_ids'] = torch.arange(c['max_position_embeddings'], dtype=torch.int64)[None]
    g = torch.Generator().manual_seed(4)
    state['cls.predictions.bias'] = torch.randn(vocab_size, generator=g)
    state['cls.predictions.transform.dense.weight'] = torch.randn(32, 32, generator=g)
    texts = ['The quick brown foxes jumped!', 'Hello, tensorizer world.']
    expected = {'input_ids': ids.tolist(), 'token_type_ids': types.tolist(), 'attention_mask': mask.tolist(),
                'last_hidden_state': flat(hidden), 'hidden_shape': list(hidden.shape), 'pooler_output': flat(pooled),
                'tokenizer': {'texts': texts, 'ids': [encode(t)[0] for t in texts],
                              'pair': ['the quick brown foxes jumped', 'hello world'], 'pair_ids': a[0], 'pair_types': a[1]}}
    d = write_dir(out, 'bert', c, state, tok, tok_config)
    dump(expected, os.path.join(d, 'expected.json'))
    d = write_dir(out, 'bert-bin', c, state, tok, tok_config, fmt='torch')  # as bert-base-uncased ships
    dump(expected, os.path.join(d, 'expected.json'))

    # BertForSequenceClassification, three labels.
    c2 = {**c, 'architectures': ['BertForSequenceClassification'], 'id2label': {'0': 'neg', '1': 'neu', '2': 'pos'},
          'label2id': {'neg': 0, 'neu': 1, 'pos': 2}, 'classifier_dropout': None}
    clf = R.BertForSequenceClassification(c2).eval()
    randomize(clf, 5)
    labels = torch.tensor([2, 0])
    logits, loss = clf(ids, mask, types, labels=labels)
    expected2 = {'input_ids': ids.tolist(), 'token_type_ids': types.tolist(), 'attention_mask': mask.tolist(),
                 'labels': labels.tolist(), 'logits': flat(logits), 'loss': float(loss)}
    d = write_dir(out, 'bert-classifier', c2, clf.state_dict(), tok, tok_config)
    dump(expected2, os.path.join(d, 'expected.json'))


def encoder_ids(rows, width, pad):
    """A padded batch: each row's tokens, then `pad` up to `width`; the mask is 0 on that padding."""
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    return ids, mask


@torch.no_grad()
def make_roberta(out):
    pad = 1
    c = {'architectures': ['RobertaForMaskedLM'], 'model_type': 'roberta', 'vocab_size': 50, 'hidden_size': 32,
         'num_hidden_layers': 2, 'num_attention_heads': 4, 'intermediate_size': 64, 'hidden_act': 'gelu',
         'hidden_dropout_prob': 0.1, 'attention_probs_dropout_prob': 0.1, 'max_position_embeddings': 20,
         'type_vocab_size': 1, 'initializer_range': 0.02, 'layer_norm_eps': 1e-5, 'pad_token_id': pad,
         'bos_token_id': 0, 'eos_token_id': 2, 'position_embedding_type': 'absolute', 'torch_dtype': 'float32'}
    model = R.RobertaModel(c).eval()
    randomize(model, 21)
    # Right padding with the pad id (mask 0), and a pad id inside the last row, attended: the
    # positions after it do not advance (they come from the ids, not the mask).
    rows = [[0, 7, 12, 33, 5, 41, 9, 18, 26, 2], [0, 14, 3, 2], [0, 8, pad, 19, 44, 2]]
    ids, mask = encoder_ids(rows, 10, pad)
    hidden, pooled = model(ids, mask)
    # As roberta-base stores it: `roberta.` prefix, the position_ids and token_type_ids buffers, the LM head.
    state = {f'roberta.{k}': v for k, v in model.state_dict().items()}
    state['roberta.embeddings.position_ids'] = torch.arange(c['max_position_embeddings'], dtype=torch.int64)[None]
    state['roberta.embeddings.token_type_ids'] = torch.zeros(1, c['max_position_embeddings'], dtype=torch.int64)
    g = torch.Generator().manual_seed(22)
    state['lm_head.bias'] = torch.randn(c['vocab_size'], generator=g)
    state['lm_head.dense.weight'] = torch.randn(32, 32, generator=g)
    expected = {'input_ids': ids.tolist(), 'attention_mask': mask.tolist(),
                'position_ids': R.create_position_ids_from_input_ids(ids, pad).tolist(),
                'last_hidden_state': flat(hidden), 'hidden_shape': list(hidden.shape), 'pooler_output': flat(pooled)}
    d = write_dir(out, 'roberta', c, state)
    dump(expected, os.path.join(d, 'expected.json'))

    # RobertaForSequenceClassification (no pooler), three labels.
    c2 = {**c, 'architectures': ['RobertaForSequenceClassification'], 'id2label': {'0': 'neg', '1': 'neu', '2': 'pos'},
          'label2id': {'neg': 0, 'neu': 1, 'pos': 2}, 'classifier_dropout': None}
    clf = R.RobertaForSequenceClassification(c2).eval()
    randomize(clf, 23)
    labels = torch.tensor([2, 0, 1])
    logits, loss = clf(ids, mask, labels=labels)
    d = write_dir(out, 'roberta-classifier', c2, clf.state_dict())
    dump({'input_ids': ids.tolist(), 'attention_mask': mask.tolist(), 'labels': labels.tolist(), 'logits': flat(logits),
          'loss': float(loss)}, os.path.join(d, 'expected.json'))


@torch.no_grad()
def make_distilbert(out):
    c = {'architectures': ['DistilBertForMaskedLM'], 'model_type': 'distilbert', 'vocab_size': 40, 'dim': 32,
         'n_layers': 2, 'n_heads': 4, 'hidden_dim': 64, 'max_position_embeddings': 16, 'activation': 'gelu',
         'dropout': 0.1, 'attention_dropout': 0.1, 'seq_classif_dropout': 0.2, 'qa_dropout': 0.1,
         'initializer_range': 0.02, 'pad_token_id': 0, 'sinusoidal_pos_embds': False, 'tie_weights_': True,
         'torch_dtype': 'float32'}
    model = R.DistilBertModel(c).eval()
    randomize(model, 31)
    ids, mask = encoder_ids([[2, 11, 25, 7, 39, 14, 3], [2, 30, 6, 3], [2, 17, 3]], 7, 0)
    hidden, _ = model(ids, mask)
    # As distilbert-base-uncased stores it: `distilbert.` prefix and the masked-LM head.
    state = {f'distilbert.{k}': v for k, v in model.state_dict().items()}
    g = torch.Generator().manual_seed(32)
    for k, shape in [('vocab_transform.weight', (32, 32)), ('vocab_transform.bias', (32,)), ('vocab_layer_norm.weight', (32,)),
                     ('vocab_layer_norm.bias', (32,)), ('vocab_projector.bias', (c['vocab_size'],))]:
        state[k] = torch.randn(shape, generator=g)
    d = write_dir(out, 'distilbert', c, state)
    dump({'input_ids': ids.tolist(), 'attention_mask': mask.tolist(), 'last_hidden_state': flat(hidden),
          'hidden_shape': list(hidden.shape)}, os.path.join(d, 'expected.json'))

    # DistilBertForSequenceClassification, multi-label (BCE with logits, float labels), ReLU FFN.
    c2 = {**c, 'architectures': ['DistilBertForSequenceClassification'], 'activation': 'relu',
          'id2label': {'0': 'a', '1': 'b', '2': 'c'}, 'label2id': {'a': 0, 'b': 1, 'c': 2},
          'problem_type': 'multi_label_classification'}
    clf = R.DistilBertForSequenceClassification(c2).eval()
    randomize(clf, 33)
    labels = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    logits, loss = clf(ids, mask, labels=labels)
    d = write_dir(out, 'distilbert-classifier', c2, clf.state_dict())
    dump({'input_ids': ids.tolist(), 'attention_mask': mask.tolist(), 'labels': labels.tolist(), 'logits': flat(logits),
          'loss': float(loss)}, os.path.join(d, 'expected.json'))



def encoder_head_fixture(out, name, c, model, inputs, extra, state=None, tok=None, tok_config=None):
    """One task-head fixture: the reference's outputs on `inputs` (plus `extra`: labels or positions).
    A QA fixture also gets the loss for negative positions, which the hub clamps to 0 (a real target)."""
    outputs, loss = model(**inputs, **extra)
    d = write_dir(out, name, c, model.state_dict() if state is None else state, tok, tok_config)
    expected = {k: v.tolist() for k, v in {**inputs, **extra}.items()}
    if isinstance(outputs, tuple):  # question answering
        expected.update({'start_logits': flat(outputs[0]), 'end_logits': flat(outputs[1]), 'logits_shape': list(outputs[0].shape)})
        negative = {k: torch.where(torch.arange(v.shape[0]).view(-1, *[1] * (v.dim() - 1)) % 2 == 0, torch.full_like(v, -3), v)
                    for k, v in extra.items()}
        _, negative_loss = model(**inputs, **negative)
        expected.update({f'negative_{k}': v.tolist() for k, v in negative.items()})
        expected['negative_loss'] = float(negative_loss)
    else:
        expected.update({'logits': flat(outputs), 'logits_shape': list(outputs.shape)})
    expected['loss'] = float(loss)
    dump(expected, os.path.join(d, 'expected.json'))


@torch.no_grad()
def make_encoder_heads(out):
    """The encoders' task heads: masked LM, token classification and question answering for BERT,
    RoBERTa and DistilBERT, and multiple choice for all three, in the hub's layouts: `bert-mlm` as
    bert-base-uncased ships (cls.predictions.bias and decoder.bias both, the tied decoder weight,
    the pooler and cls.seq_relationship), `roberta-mlm` with only `lm_head.decoder.bias` and no tied
    weight, `distilbert-mlm` without the tied vocab_projector.weight (as save_pretrained writes)."""
    tok, tok_config, encode, vocab_size = bert_tokenizer()
    bert_c = {'model_type': 'bert', 'vocab_size': vocab_size, 'hidden_size': 32, 'num_hidden_layers': 2,
              'num_attention_heads': 4, 'intermediate_size': 64, 'hidden_act': 'gelu', 'hidden_dropout_prob': 0.1,
              'attention_probs_dropout_prob': 0.1, 'max_position_embeddings': 32, 'type_vocab_size': 2,
              'initializer_range': 0.02, 'layer_norm_eps': 1e-12, 'pad_token_id': 0,
              'position_embedding_type': 'absolute', 'classifier_dropout': None, 'torch_dtype': 'float32'}
    a = encode('the quick brown foxes jumped', 'hello world')
    b = encode('hello tensors!')
    width = len(a[0])
    ids = torch.tensor([a[0], b[0] + [0] * (width - len(b[0]))])
    types = torch.tensor([a[1], b[1] + [0] * (width - len(b[1]))])
    mask = torch.tensor([[1] * width, [1] * len(b[0]) + [0] * (width - len(b[0]))])
    masked = ids.clone()
    masked[0, 3] = masked[1, 2] = 4  # [MASK]
    labels = torch.full_like(ids, -100)
    labels[0, 3], labels[1, 2], labels[0, 5] = ids[0, 3], ids[1, 2], ids[0, 5]
    bert_inputs = {'input_ids': masked, 'attention_mask': mask, 'token_type_ids': types}

    c = {**bert_c, 'architectures': ['BertForMaskedLM']}
    model = R.BertForMaskedLM(c).eval()
    randomize(model, 41)
    state = {k: v for k, v in model.state_dict().items()}  # both biases and the tied decoder weight
    g = torch.Generator().manual_seed(42)
    state['bert.embeddings.position_ids'] = torch.arange(c['max_position_embeddings'], dtype=torch.int64)[None]
    for k, shape in [('bert.pooler.dense.weight', (32, 32)), ('bert.pooler.dense.bias', (32,)),
                     ('cls.seq_relationship.weight', (2, 32)), ('cls.seq_relationship.bias', (2,))]:
        state[k] = torch.randn(shape, generator=g)
    encoder_head_fixture(out, 'bert-mlm', c, model, bert_inputs, {'labels': labels}, state, tok, tok_config)

    c = {**bert_c, 'architectures': ['BertForTokenClassification'], 'id2label': {str(i): f'T{i}' for i in range(5)},
         'label2id': {f'T{i}': i for i in range(5)}}
    model = R.BertForTokenClassification(c).eval()
    randomize(model, 43)
    tags = torch.where(mask.bool(), ids % 5, torch.tensor(-100))
    tags[:, 0] = -100  # [CLS], as a tagging dataset labels only the words
    encoder_head_fixture(out, 'bert-token', c, model, {'input_ids': ids, 'attention_mask': mask, 'token_type_ids': types},
                         {'labels': tags}, None, tok, tok_config)

    c = {**bert_c, 'architectures': ['BertForQuestionAnswering']}
    model = R.BertForQuestionAnswering(c).eval()
    randomize(model, 45)
    # The second start lies past the sequence (a truncated answer): clamped to seq and ignored.
    spans = {'start_positions': torch.tensor([7, width + 5]), 'end_positions': torch.tensor([9, 3])}
    encoder_head_fixture(out, 'bert-qa', c, model, {'input_ids': ids, 'attention_mask': mask, 'token_type_ids': types},
                         spans, None, tok, tok_config)

    c = {**bert_c, 'architectures': ['BertForMultipleChoice']}
    model = R.BertForMultipleChoice(c).eval()
    randomize(model, 47)
    rows = [[encode('the fox jumped', w) for w in ('over the dog', 'in the world', 'and runs')],
            [encode('hello tensor', w) for w in ('world', 'is a token', 'bert!')]]
    w = max(len(r[0]) for ex in rows for r in ex)
    mc = {'input_ids': torch.tensor([[r[0] + [0] * (w - len(r[0])) for r in ex] for ex in rows]),
          'attention_mask': torch.tensor([[[1] * len(r[0]) + [0] * (w - len(r[0])) for r in ex] for ex in rows]),
          'token_type_ids': torch.tensor([[r[1] + [0] * (w - len(r[1])) for r in ex] for ex in rows])}
    encoder_head_fixture(out, 'bert-mc', c, model, mc, {'labels': torch.tensor([0, 2])}, None, tok, tok_config)

    pad = 1
    roberta_c = {'model_type': 'roberta', 'vocab_size': 50, 'hidden_size': 32, 'num_hidden_layers': 2,
                 'num_attention_heads': 4, 'intermediate_size': 64, 'hidden_act': 'gelu', 'hidden_dropout_prob': 0.1,
                 'attention_probs_dropout_prob': 0.1, 'max_position_embeddings': 20, 'type_vocab_size': 1,
                 'initializer_range': 0.02, 'layer_norm_eps': 1e-5, 'pad_token_id': pad, 'bos_token_id': 0,
                 'eos_token_id': 2, 'position_embedding_type': 'absolute', 'torch_dtype': 'float32'}
    rids, rmask = encoder_ids([[0, 7, 12, 33, 5, 41, 9, 18, 26, 2], [0, 14, 3, 2], [0, 8, pad, 19, 44, 2]], 10, pad)
    c = {**roberta_c, 'architectures': ['RobertaForMaskedLM']}
    model = R.RobertaForMaskedLM(c).eval()
    randomize(model, 51)
    rmasked = rids.clone()
    rmasked[0, 4] = rmasked[2, 3] = 49  # <mask>
    rlabels = torch.full_like(rids, -100)
    rlabels[0, 4], rlabels[2, 3], rlabels[1, 1] = rids[0, 4], rids[2, 3], rids[1, 1]
    state = {k: v for k, v in model.state_dict().items() if k not in ('lm_head.bias', 'lm_head.decoder.weight')}
    encoder_head_fixture(out, 'roberta-mlm', c, model, {'input_ids': rmasked, 'attention_mask': rmask}, {'labels': rlabels}, state)

    c = {**roberta_c, 'architectures': ['RobertaForTokenClassification'], 'id2label': {'0': 'O', '1': 'B', '2': 'I'},
         'label2id': {'O': 0, 'B': 1, 'I': 2}, 'classifier_dropout': 0.2}
    model = R.RobertaForTokenClassification(c).eval()
    randomize(model, 53)
    rtags = torch.where(rmask.bool(), torch.tensor([[0, 1, 2, 2, 0, 1, 0, 0, 2, 0]] * 3), torch.tensor(-100))
    rtags[:, 0] = -100
    encoder_head_fixture(out, 'roberta-token', c, model, {'input_ids': rids, 'attention_mask': rmask}, {'labels': rtags})

    c = {**roberta_c, 'architectures': ['RobertaForQuestionAnswering']}
    model = R.RobertaForQuestionAnswering(c).eval()
    randomize(model, 55)
    spans = {'start_positions': torch.tensor([2, 1, 20]), 'end_positions': torch.tensor([4, 30, 3])}
    encoder_head_fixture(out, 'roberta-qa', c, model, {'input_ids': rids, 'attention_mask': rmask}, spans)

    c = {**roberta_c, 'architectures': ['RobertaForMultipleChoice']}
    model = R.RobertaForMultipleChoice(c).eval()
    randomize(model, 57)
    # Two questions, three choices each, padded with pad_token_id 1 (the position ids count past it).
    rchoices = [[[0, 7, 12, 2, 2, 33, 5, 2], [0, 7, 12, 2, 2, 41, 2], [0, 7, 12, 2, 2, 9, 18, 26, 2]],
                [[0, 14, 3, 2, 2, 44, 2], [0, 14, 3, 2, 2, 8, 19, 2], [0, 14, 3, 2, 2, 30, 2]]]
    rw = max(len(r) for ex in rchoices for r in ex)
    rmc = [encoder_ids(ex, rw, pad) for ex in rchoices]
    encoder_head_fixture(out, 'roberta-mc', c, model,
                         {'input_ids': torch.stack([i for i, _ in rmc]), 'attention_mask': torch.stack([m for _, m in rmc])},
                         {'labels': torch.tensor([2, 0])})

    distil_c = {'model_type': 'distilbert', 'vocab_size': 40, 'dim': 32, 'n_layers': 2, 'n_heads': 4, 'hidden_dim': 64,
                'max_position_embeddings': 16, 'activation': 'gelu', 'dropout': 0.1, 'attention_dropout': 0.1,
                'seq_classif_dropout': 0.2, 'qa_dropout': 0.15, 'initializer_range': 0.02, 'pad_token_id': 0,
                'sinusoidal_pos_embds': False, 'tie_weights_': True, 'torch_dtype': 'float32'}
    dids, dmask = encoder_ids([[2, 11, 25, 7, 39, 14, 3], [2, 30, 6, 3], [2, 17, 3]], 7, 0)
    c = {**distil_c, 'architectures': ['DistilBertForMaskedLM']}
    model = R.DistilBertForMaskedLM(c).eval()
    randomize(model, 61)
    dmasked = dids.clone()
    dmasked[0, 2] = dmasked[1, 1] = 5
    dlabels = torch.full_like(dids, -100)
    dlabels[0, 2], dlabels[1, 1], dlabels[2, 1] = dids[0, 2], dids[1, 1], dids[2, 1]
    state = {k: v for k, v in model.state_dict().items() if k != 'vocab_projector.weight'}
    encoder_head_fixture(out, 'distilbert-mlm', c, model, {'input_ids': dmasked, 'attention_mask': dmask}, {'labels': dlabels}, state)

    c = {**distil_c, 'architectures': ['DistilBertForTokenClassification'], 'activation': 'relu',
         'id2label': {str(i): f'L{i}' for i in range(4)}, 'label2id': {f'L{i}': i for i in range(4)}}
    model = R.DistilBertForTokenClassification(c).eval()
    randomize(model, 63)
    dtags = torch.where(dmask.bool(), torch.tensor([[0, 1, 2, 3, 3, 2, 0]] * 3), torch.tensor(-100))
    encoder_head_fixture(out, 'distilbert-token', c, model, {'input_ids': dids, 'attention_mask': dmask}, {'labels': dtags})

    c = {**distil_c, 'architectures': ['DistilBertForQuestionAnswering']}
    model = R.DistilBertForQuestionAnswering(c).eval()
    randomize(model, 65)
    spans = {'start_positions': torch.tensor([[1], [2], [0]]), 'end_positions': torch.tensor([[3], [2], [9]])}
    encoder_head_fixture(out, 'distilbert-qa', c, model, {'input_ids': dids, 'attention_mask': dmask}, spans)

    c = {**distil_c, 'architectures': ['DistilBertForMultipleChoice']}
    model = R.DistilBertForMultipleChoice(c).eval()
    randomize(model, 67)
    dchoices = [[[2, 11, 25, 3, 7, 3], [2, 11, 25, 3, 39, 14, 3]], [[2, 30, 3, 6, 3], [2, 30, 3, 17, 3]],
                [[2, 17, 3, 12, 3], [2, 17, 3, 9, 21, 3]]]
    dw = max(len(r) for ex in dchoices for r in ex)
    dmc = [encoder_ids(ex, dw, 0) for ex in dchoices]
    encoder_head_fixture(out, 'distilbert-mc', c, model,
                         {'input_ids': torch.stack([i for i, _ in dmc]), 'attention_mask': torch.stack([m for _, m in dmc])},
                         {'labels': torch.tensor([1, 0, 1])})

@torch.no_grad()
def make_vit(out):
    c = {'architectures': ['ViTForImageClassification'], 'model_type': 'vit', 'image_size': 16, 'patch_size': 4,
         'num_channels': 3, 'hidden_size': 32, 'num_hidden_layers': 2, 'num_attention_heads': 4,
         'intermediate_size': 64, 'hidden_act': 'gelu', 'hidden_dropout_prob': 0.0,
         'attention_probs_dropout_prob': 0.0, 'initializer_range': 0.02, 'layer_norm_eps': 1e-12, 'qkv_bias': True,
         'encoder_stride': 4, 'id2label': {str(i): f'class_{i}' for i in range(5)},
         'label2id': {f'class_{i}': i for i in range(5)}, 'torch_dtype': 'float32'}
    model = R.ViTForImageClassification(c).eval()
    randomize(model, 6)
    g = torch.Generator().manual_seed(7)
    pixels = torch.randn(2, 3, 16, 16, generator=g)
    labels = torch.tensor([1, 4])
    logits, loss = model(pixels, labels=labels)
    d = write_dir(out, 'vit', c, model.state_dict())
    dump({'pixel_values': flat(pixels), 'pixel_shape': list(pixels.shape), 'logits': flat(logits),
          'labels': labels.tolist(), 'loss': float(loss)}, os.path.join(d, 'expected.json'))
    dump({'do_normalize': True, 'do_rescale': True, 'do_resize': True, 'image_mean': [0.5, 0.5, 0.5],
          'image_std': [0.5, 0.5, 0.5], 'image_processor_type': 'ViTImageProcessor', 'resample': 2,
          'rescale_factor': 1 / 255, 'size': {'height': 16, 'width': 16}}, os.path.join(d, 'preprocessor_config.json'))


@torch.no_grad()
def make_clip(out):
    """CLIPModel twice: eos_token_id 2 (the hub's legacy rule, pooled at the largest id; padded with the
    largest id, as openai's tokenizer pads with <|endoftext|>, so argmax must take the first), and
    eos_token_id 37 (pooled at the first 37, padded with 37; the largest id 39 sits elsewhere; one token
    masked inside a row)."""
    tower = {'num_hidden_layers': 2, 'num_attention_heads': 4, 'layer_norm_eps': 1e-5, 'attention_dropout': 0.0,
             'initializer_range': 0.02, 'initializer_factor': 1.0, 'projection_dim': 16}
    variants = [
        ('clip', 2, 'quick_gelu', [[38, 5, 2, 17, 39], [38, 12, 39], [38, 9, 30, 2, 21, 11, 39]], 39, 3),
        ('clip-eos', 37, 'gelu', [[36, 5, 39, 12, 37], [36, 22, 8, 14, 9, 11, 37], [36, 38, 37]], 37, 2),
    ]
    for seed, (name, eos, act, rows, pad, images) in enumerate(variants):
        text = {**tower, 'model_type': 'clip_text_model', 'vocab_size': 40, 'hidden_size': 32, 'intermediate_size': 64,
                'max_position_embeddings': 8, 'hidden_act': act, 'bos_token_id': 36 if eos != 2 else 0,
                'eos_token_id': eos, 'pad_token_id': 1}
        vision = {**tower, 'model_type': 'clip_vision_model', 'hidden_size': 48, 'intermediate_size': 96,
                  'image_size': 16, 'patch_size': 4, 'num_channels': 3, 'hidden_act': act}
        c = {'architectures': ['CLIPModel'], 'model_type': 'clip', 'text_config': text, 'vision_config': vision,
             'projection_dim': 16, 'logit_scale_init_value': 2.6592, 'initializer_factor': 1.0, 'torch_dtype': 'float32'}
        model = R.CLIPModel(c).eval()
        randomize(model, 41 + seed)
        model.logit_scale.fill_(2.3 + 0.2 * seed)
        ids, mask = encoder_ids(rows, 7, pad)
        if eos != 2:
            mask[1, 3] = 0  # a masked token before the EOS: with right padding alone the causal mask hides the padding
        g = torch.Generator().manual_seed(43 + seed)
        pixels = torch.randn(images, 3, 16, 16, generator=g)
        per_image, per_text, text_embeds, image_embeds, loss = model(ids, pixels, mask, return_loss=images == len(rows))
        # As openai/clip-vit-base-patch32 stores it: with both position_ids buffers (int64).
        state = dict(model.state_dict())
        state['text_model.embeddings.position_ids'] = torch.arange(8, dtype=torch.int64)[None]
        state['vision_model.embeddings.position_ids'] = torch.arange(17, dtype=torch.int64)[None]
        at = ids.argmax(-1) if eos == 2 else (ids == eos).int().argmax(-1)
        expected = {'input_ids': ids.tolist(), 'attention_mask': mask.tolist(), 'pixel_values': flat(pixels),
                    'pixel_shape': list(pixels.shape), 'eos_positions': at.tolist(),
                    'logits_per_image': flat(per_image), 'logits_per_image_shape': list(per_image.shape),
                    'logits_per_text': flat(per_text), 'text_embeds': flat(text_embeds), 'image_embeds': flat(image_embeds),
                    'text_features': flat(model.get_text_features(ids, mask)),
                    'image_features': flat(model.get_image_features(pixels)),
                    'loss': float(loss) if loss is not None else None}
        d = write_dir(out, name, c, state)
        dump(expected, os.path.join(d, 'expected.json'))
        dump({'crop_size': {'height': 16, 'width': 16}, 'do_center_crop': True, 'do_convert_rgb': True,
              'do_normalize': True, 'do_rescale': True, 'do_resize': True,
              'image_mean': [0.48145466, 0.4578275, 0.40821073], 'image_std': [0.26862954, 0.26130258, 0.27577711],
              'image_processor_type': 'CLIPImageProcessor', 'resample': 3, 'rescale_factor': 1 / 255,
              'size': {'shortest_edge': 16}}, os.path.join(d, 'preprocessor_config.json'))


def t5_tokenizer():
    """A T5-style SentencePiece Unigram tokenizer: <pad> 0, </s> 1, <unk> 2, `</s>` appended to
    every sequence, and two sentinel tokens <extra_id_N> at the end of the vocabulary."""
    specials = ['<pad>', '</s>', '<unk>']
    letters = [chr(c) for c in range(ord('a'), ord('z') + 1)]
    vocab = [[s, 0.0] for s in specials]
    for i, p in enumerate(UNIGRAM_PIECES):
        vocab.append([p, -2.0 - 0.05 * i - 0.1 * (len(p) < 3)])
    for i, ch in enumerate(letters):
        if ch not in UNIGRAM_PIECES:
            vocab.append([ch, -6.0 - 0.01 * i])
    sentinels = ['<extra_id_1>', '<extra_id_0>']  # as t5-small: extra_id_0 is the last id
    vocab += [[s, 0.0] for s in sentinels]
    score = {p: s for p, s in vocab[:-2]}
    index = {p: i for i, (p, _) in enumerate(vocab)}

    def viterbi(word):
        best = [(0.0, None)] + [(-1e18, None)] * len(word)
        for end in range(1, len(word) + 1):
            for start in range(end):
                piece = word[start:end]
                if piece in score and best[start][0] > -1e18:
                    s = best[start][0] + score[piece]
                    if s > best[end][0]:
                        best[end] = (s, start)
        out, end = [], len(word)
        while end > 0:
            out.append(word[best[end][1]:end])
            end = best[end][1]
        return out[::-1]

    def encode(text):
        words = re.findall('▁[^▁]*', '▁' + text.replace(' ', '▁'))
        return [index[p] for w in words for p in viterbi(w)] + [index['</s>']]

    added = [{'id': index[s], 'content': s, 'single_word': False, 'lstrip': False, 'rstrip': False,
              'normalized': False, 'special': True} for s in specials + sentinels]
    tok = {
        'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': added, 'normalizer': None,
        'pre_tokenizer': {'type': 'Metaspace', 'replacement': '▁', 'prepend_scheme': 'always', 'split': True},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '</s>', 'type_id': 0}}],
            'pair': [{'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '</s>', 'type_id': 0}},
                     {'Sequence': {'id': 'B', 'type_id': 0}}, {'SpecialToken': {'id': '</s>', 'type_id': 0}}],
            'special_tokens': {'</s>': {'id': '</s>', 'ids': [index['</s>']], 'tokens': ['</s>']}},
        },
        'decoder': {'type': 'Metaspace', 'replacement': '▁', 'prepend_scheme': 'always', 'split': True},
        'model': {'type': 'Unigram', 'unk_id': index['<unk>'], 'vocab': vocab, 'byte_fallback': False},
    }
    config = {'eos_token': '</s>', 'unk_token': '<unk>', 'pad_token': '<pad>', 'extra_ids': 2,
              'additional_special_tokens': sentinels[::-1], 'model_max_length': 512, 'padding_side': 'right',
              'tokenizer_class': 'T5Tokenizer'}
    return tok, config, encode, len(vocab)


@torch.no_grad()
def make_t5(out):
    """T5 twice: `t5` as t5-small's layout (relu, tied, scaled by d_model**-0.5 before the head,
    with encoder/decoder.embed_tokens.weight copies of shared.weight, float32, 3 decoder blocks
    over 2 encoder blocks) and `t5-v1_1` as google/t5-v1_1 and Flan-T5 ship (gated-gelu, untied
    lm_head, no embed_tokens keys, bfloat16, heads * d_kv = 64 != d_model 32, 8 buckets up to
    distance 12 so short inputs reach the clamped last bucket)."""
    tok, tok_config, encode, vocab_size = t5_tokenizer()
    base = {'vocab_size': vocab_size, 'd_model': 32, 'd_ff': 64, 'num_layers': 2, 'num_heads': 4,
            'dropout_rate': 0.1, 'layer_norm_epsilon': 1e-6, 'initializer_factor': 1.0, 'is_encoder_decoder': True,
            'use_cache': True, 'pad_token_id': 0, 'eos_token_id': 1, 'decoder_start_token_id': 0}
    variants = [
        ('t5', {'architectures': ['T5ForConditionalGeneration'], 'model_type': 't5', 'd_kv': 8, 'num_decoder_layers': 3,
                'relative_attention_num_buckets': 32, 'relative_attention_max_distance': 128,
                'feed_forward_proj': 'relu', 'torch_dtype': 'float32'}, None),
        ('t5-v1_1', {'architectures': ['T5ForConditionalGeneration'], 'model_type': 't5', 'd_kv': 16,
                     'num_decoder_layers': 2, 'relative_attention_num_buckets': 8, 'relative_attention_max_distance': 12,
                     'feed_forward_proj': 'gated-gelu', 'dense_act_fn': 'gelu_new', 'is_gated_act': True,
                     'tie_word_embeddings': False, 'torch_dtype': 'bfloat16'}, torch.bfloat16),
    ]
    for seed, (name, extra, dtype) in enumerate(variants):
        c = {**base, **extra}
        model = R.T5ForConditionalGeneration(c).eval()
        if name == 't5':  # the tied head copies its input token unless the blocks' outputs are tamed
            randomize(model, 83, std=0.5)
            for k, p in model.named_parameters():
                if k.endswith(('DenseReluDense.wo.weight', 'EncDecAttention.o.weight')):
                    p.mul_(0.3)
        else:
            randomize(model, 70 + seed, std=0.3)
        # Unscaled scores (T5 has no 1/sqrt(d)) from std-0.3 weights saturate the softmax and make the
        # gradients ill-conditioned (float32 and float64 PyTorch differ by 1e-3): tame q and k.
        for k, p in model.named_parameters():
            if k.endswith(('.q.weight', '.k.weight')):
                p.mul_(0.3)
        if dtype is not None:
            rounded(model, dtype)
        state = dict(model.state_dict())
        if name == 't5':  # t5-small's file: every tied copy stored
            state['encoder.embed_tokens.weight'] = state['shared.weight'].clone()
            state['decoder.embed_tokens.weight'] = state['shared.weight'].clone()
            state['lm_head.weight'] = state['shared.weight'].clone()
        same = [encode('translate the quick brown fox'), encode('hello world, how are you?')]
        n = min(len(p) for p in same)
        ids = torch.tensor([p[:n - 1] + [1] for p in same])
        mask = torch.ones_like(ids)
        targets = [encode('the dog runs'), encode('hi how are you')]
        m = min(len(t) for t in targets)
        labels = torch.tensor([t[:m] for t in targets])
        logits, loss = model(ids, mask, labels=labels)
        masked = labels.clone()
        masked[0, -2:] = -100
        masked[1, -1] = -100
        _, masked_loss = model(ids, mask, labels=masked)
        enc = model.encode(ids, mask)
        greedy = R.seq2seq_greedy(model, ids, 20, mask)
        # Ragged prompts, padded right (as T5's tokenizers pad) and left: the same rows either way.
        ragged = [encode('the dog'), encode('hello world, how are you? the quick fox')]
        width = max(len(p) for p in ragged)
        right = torch.tensor([p + [0] * (width - len(p)) for p in ragged])
        right_mask = torch.tensor([[1] * len(p) + [0] * (width - len(p)) for p in ragged])
        left = torch.tensor([[0] * (width - len(p)) + p for p in ragged])
        left_mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in ragged])
        dec = R.t5_shift_right(labels, 0, 0)
        right_logits, _ = model(right, right_mask, decoder_input_ids=dec)
        left_logits, _ = model(left, left_mask, decoder_input_ids=dec)
        batched = R.seq2seq_greedy(model, right, 20, right_mask)
        left_batched = R.seq2seq_greedy(model, left, 20, left_mask)
        # A row that stops: eos is the token row 0 emits 6th; later tokens are the pad.
        eos = int(greedy[0, 6])
        stopped = R.seq2seq_greedy(model, ids, 20, mask, eos=eos, pad=0)

        def margins(enc_ids, enc_mask, seq):
            # Each greedy step's top-1 minus top-2 logit: where it is below float16's error, a
            # float16 run may pick the other token (the float16 checks compare up to there).
            step_logits, _ = model(enc_ids, enc_mask, decoder_input_ids=seq[:, :-1])
            top = step_logits.topk(2, -1).values
            return (top[..., 0] - top[..., 1]).tolist()
        rel = torch.arange(-140, 141)
        s = R.t5_settings(c)
        expected = {
            'input_ids': ids.tolist(), 'attention_mask': mask.tolist(), 'labels': labels.tolist(),
            'decoder_input_ids': dec.tolist(), 'logits': flat(logits), 'logits_shape': list(logits.shape),
            'loss': float(loss), 'masked_labels': masked.tolist(), 'masked_loss': float(masked_loss),
            'encoder_last_hidden_state': flat(enc), 'encoder_shape': list(enc.shape),
            'greedy': greedy.tolist(), 'new_tokens': 20, 'greedy_margins': margins(ids, mask, greedy),
            'left_batched_greedy_margins': margins(left, left_mask, left_batched),
            'right_padded_input_ids': right.tolist(), 'right_attention_mask': right_mask.tolist(),
            'left_padded_input_ids': left.tolist(), 'left_attention_mask': left_mask.tolist(),
            'right_padded_logits': flat(right_logits), 'left_padded_logits': flat(left_logits),
            'batched_greedy': batched.tolist(), 'left_batched_greedy': left_batched.tolist(),
            'stop_eos': eos, 'stopped_greedy': stopped.tolist(),
            'relative_positions': rel.tolist(),
            'buckets_bidirectional': R.t5_relative_bucket(rel, True, s['buckets'], s['max_distance']).tolist(),
            'buckets_causal': R.t5_relative_bucket(rel, False, s['buckets'], s['max_distance']).tolist(),
            'weights_dtype': str(dtype).replace('torch.', '') if dtype is not None else 'float32',
            'tokenizer': {'texts': ['the quick brown fox', 'hello world, how are you?'],
                          'ids': [encode('the quick brown fox'), encode('hello world, how are you?')]},
        }
        generation = {'decoder_start_token_id': 0, 'eos_token_id': 1, 'pad_token_id': 0}
        d = write_dir(out, name, c, state, tok, tok_config, dtype=dtype, generation_config=generation)
        dump(expected, os.path.join(d, 'expected.json'))


def make_whisper(out):
    # torch 1.13's oneDNN (mkldnn) conv1d weight gradient on the CPU comes back wrong, and differs
    # from run to run, for these shapes ([2, 80, 3000] features); its native kernels agree with
    # float64 and with finite differences.
    with torch.backends.mkldnn.flags(enabled=False):
        whisper_fixture(out)


def whisper_fixture(out):
    """Whisper (`whisper`: openai/whisper-*'s layout with the `model.` prefix and no proj_out.weight,
    tied to model.decoder.embed_tokens; d_model 32, 2 + 2 layers, 80 mel bins, 1500 source
    positions for 3000 frames, a 64-token vocab whose last four are <|endoftext|>,
    <|startoftranscript|>, <|en|>, <|transcribe|>), its preprocessor_config.json, two synthetic
    waveforms (sines plus seeded noise, 2 s and 1 s) and their log-mel features in
    `audio.safetensors` (float64 math, as exact; `input_features_hub32` the hub's float32 torch
    path), logits and losses (-100 inside), greedy tokens from the start token and from a forced
    prompt (with suppress_tokens / begin_suppress_tokens too), and two torch.optim.AdamW steps."""
    c = {'architectures': ['WhisperForConditionalGeneration'], 'model_type': 'whisper', 'vocab_size': 64,
         'num_mel_bins': 80, 'd_model': 32, 'encoder_layers': 2, 'encoder_attention_heads': 4,
         'decoder_layers': 2, 'decoder_attention_heads': 4, 'encoder_ffn_dim': 64, 'decoder_ffn_dim': 64,
         'max_source_positions': 1500, 'max_target_positions': 48, 'activation_function': 'gelu',
         'dropout': 0.0, 'attention_dropout': 0.0, 'activation_dropout': 0.0, 'init_std': 0.02,
         'encoder_layerdrop': 0.0, 'decoder_layerdrop': 0.0, 'scale_embedding': False, 'use_cache': True,
         'is_encoder_decoder': True, 'tie_word_embeddings': True, 'apply_spec_augment': False,
         'pad_token_id': 60, 'bos_token_id': 60, 'eos_token_id': 60, 'decoder_start_token_id': 61,
         'begin_suppress_tokens': [60], 'suppress_tokens': [], 'torch_dtype': 'float32'}
    model = R.WhisperForConditionalGeneration(c).eval()
    randomize(model, 91, std=0.4)
    with torch.no_grad():  # the stored sinusoids, as openai's checkpoints hold them
        model.model.encoder.embed_positions.weight.copy_(R.whisper_sinusoids(1500, 32))
        model.model.encoder.conv1.weight.mul_(0.5)
        # Larger token and position embeddings, so greedy decoding moves on from repeating a token.
        model.model.decoder.embed_tokens.weight.mul_(1.5)
        model.model.decoder.embed_positions.weight.mul_(3.0)
    state = {k: v for k, v in model.state_dict().items() if k != 'proj_out.weight'}
    pre = {'feature_extractor_type': 'WhisperFeatureExtractor', 'processor_class': 'WhisperProcessor',
           'feature_size': 80, 'sampling_rate': 16000, 'hop_length': 160, 'n_fft': 400, 'chunk_length': 30,
           'n_samples': 480000, 'nb_max_frames': 3000, 'padding_side': 'right', 'padding_value': 0.0,
           'return_attention_mask': False}
    g = torch.Generator().manual_seed(5)
    waves = []
    for seconds, tones in [(2, [(440, 0.3), (1234, 0.2), (3000, 0.1)]), (1, [(220, 0.5), (5000, 0.05)])]:
        t = torch.arange(16000 * seconds, dtype=torch.float64) / 16000
        w = sum(a * torch.sin(2 * math.pi * f * t) for f, a in tones) + 0.01 * torch.randn(t.shape, generator=g, dtype=torch.float64)
        waves.append(w.float())
    filters = R.mel_filter_bank(201, 80, 0.0, 8000.0, 16000)
    feats64 = torch.stack([R.whisper_log_mel(w.double(), filters) for w in waves])
    feats32 = torch.stack([R.whisper_log_mel(w, filters, dtype=torch.float32) for w in waves])
    features = feats64.float()
    labels = torch.tensor([[62, 63, 5, 17, 33, 60], [62, 63, 40, 2, -100, -100]])
    logits, loss = model(features, labels=labels)
    dec = R.whisper_shift_right(labels, 60, 61)
    prompt = torch.tensor([[61, 62, 63], [61, 62, 63]])
    prompt_logits, _ = model(features, decoder_input_ids=prompt)
    enc = model.encode(features)
    greedy = R.whisper_greedy(model, features, torch.tensor([[61], [61]]), 20)
    forced = R.whisper_greedy(model, features, prompt, 20)
    common = int(torch.mode(forced[:, 3:].reshape(-1)).values)
    suppress, begin = [common], [int(forced[0, 3]), int(forced[1, 3])]
    suppressed = R.whisper_greedy(model, features, prompt, 20, suppress=suppress, begin_suppress=begin)
    # Two AdamW steps on the loss; the frozen sinusoids stay out of the optimiser.
    train = R.WhisperForConditionalGeneration(c)
    train.load_state_dict(model.state_dict())
    train.eval()
    opt = torch.optim.AdamW([p for p in train.parameters() if p.requires_grad], lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    grad_keys = ['model.encoder.conv1.weight', 'model.encoder.layers.1.fc1.bias', 'model.decoder.embed_tokens.weight',
                 'model.decoder.layers.0.encoder_attn.k_proj.weight', 'model.decoder.embed_positions.weight']
    named = dict(train.named_parameters())
    losses, grads = [], {}
    for step in range(2):
        opt.zero_grad()
        _, l = train(features, labels=labels)
        l.backward()
        losses.append(float(l))
        if step == 0:
            grads = {k: flat(named[k].grad) for k in grad_keys}
        opt.step()
    with torch.no_grad():
        _, final = train(features, labels=labels)
    d = write_dir(out, 'whisper', c, state, generation_config={'decoder_start_token_id': 61, 'eos_token_id': 60,
                                                               'pad_token_id': 60, 'bos_token_id': 60})
    dump(pre, os.path.join(d, 'preprocessor_config.json'))
    R.save_safetensors({'audio0': waves[0], 'audio1': waves[1], 'input_features': features,
                        'input_features_hub32': feats32.float(), 'mel_filters': filters.float()},
                       os.path.join(d, 'audio.safetensors'))
    expected = {
        'labels': labels.tolist(), 'decoder_input_ids': dec.tolist(), 'logits': flat(logits), 'logits_shape': list(logits.shape),
        'loss': float(loss), 'prompt': prompt.tolist(), 'prompt_logits': flat(prompt_logits),
        'encoder_last_hidden_state': flat(enc), 'encoder_shape': list(enc.shape),
        'greedy': greedy.tolist(), 'forced_greedy': forced.tolist(), 'new_tokens': 20,
        'suppress_tokens': suppress, 'begin_suppress_tokens': begin, 'suppressed_greedy': suppressed.tolist(),
        'adamw': {'lr': 1e-2, 'betas': [0.9, 0.999], 'eps': 1e-8, 'weight_decay': 0.01, 'losses': losses,
                  'final_loss': float(final), 'grads': grads},
    }
    dump(expected, os.path.join(d, 'expected.json'))


def check_logits(directory, inp, out):
    model = R.from_pretrained(directory)
    with open(inp) as f:
        data = json.load(f)
    with torch.no_grad():
        if 'input_features_file' in data:  # Whisper: features from a safetensors file, the decoder's logits
            feats = R.load_safetensors(data['input_features_file'])['input_features'].float()
            logits, _ = model(feats, decoder_input_ids=torch.tensor(data['decoder_input_ids']))
        elif 'pixel_values' in data and 'input_ids' in data:  # CLIP: logits_per_text
            x = torch.tensor(data['pixel_values'], dtype=torch.float32).reshape(data['pixel_shape'])
            mask = torch.tensor(data['attention_mask']) if 'attention_mask' in data else None
            _, logits, _, _, _ = model(torch.tensor(data['input_ids']), x, attention_mask=mask,
                                       interpolate_pos_encoding=data.get('interpolate_pos_encoding', False))
        elif 'pixel_values' in data:
            x = torch.tensor(data['pixel_values'], dtype=torch.float32).reshape(data['pixel_shape'])
            logits, _ = model(x, interpolate_pos_encoding=data.get('interpolate_pos_encoding', False))
        elif 'decoder_input_ids' in data:  # T5: the decoder's logits for the given decoder inputs
            mask = torch.tensor(data['attention_mask']) if 'attention_mask' in data else None
            logits, _ = model(torch.tensor(data['input_ids']), attention_mask=mask,
                              decoder_input_ids=torch.tensor(data['decoder_input_ids']))
        else:
            mask = torch.tensor(data['attention_mask']) if 'attention_mask' in data else None
            types = {'token_type_ids': torch.tensor(data['token_type_ids'])} if 'token_type_ids' in data else {}
            logits, _ = model(torch.tensor(data['input_ids']), attention_mask=mask, **types)
    if isinstance(logits, tuple):  # question answering: start and end logits
        start, end = logits
        dump({'start_logits': flat(start), 'end_logits': flat(end), 'shape': list(start.shape)}, out)
        return
    dump({'logits': flat(logits), 'shape': list(logits.shape)}, out)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == '--logits':
        check_logits(*sys.argv[2:])
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    make_gpt2(out)
    make_gpt_neox(out)
    make_opt(out)
    make_llama_family(out)
    make_qwen3(out)
    make_gemma2_mixtral(out)
    make_qwen2_moe_phi3_rope(out)
    make_phi(out)
    make_bert(out)
    make_roberta(out)
    make_distilbert(out)
    make_encoder_heads(out)
    make_vit(out)
    make_clip(out)
    make_t5(out)
    make_whisper(out)
    dump({'version': VERSION, 'torch': torch.__version__}, os.path.join(out, 'stamp.json'))


if __name__ == '__main__':
    main()
