"""A GPT-2-small-shaped model with random weights, for the bench's gpt2 rows (src/workloads/gpt2.ts).

Usage: /usr/bin/python3 tools/export_gpt2.py OUT_DIR

The model is the PyTorch reference GPT-2 of @tensile/transformers' fixture generator
(packages/transformers/tools/reference.py, imported, with the hub's module and key names):
n_layer 12, n_head 12, n_embd 768, vocab 50257, n_positions 1024 (124M parameters, lm_head
tied to wte), weights from the generator's seeded `randomize` with std 0.05 (normal(0, 0.05)
matrices and embeddings, layer-norm scales 1 + 0.1·noise, biases 0.1·noise; see STD). Nothing
is downloaded. Written into OUT_DIR:

- hub/config.json + hub/model.safetensors: the hub's layout (keys without the `transformer.`
  prefix, no `lm_head.weight`, no `attn.bias` buffers), for GPT2LMHeadModel.fromPretrained.
- decoder.onnx: one decoder with a key/value cache, opset 14. Inputs `input_ids` int64
  [batch, sequence] and, per layer i, `past_key_values.i.key` / `.value` float32
  [batch, 12, past_sequence, 64] (past_sequence 0 for the prompt); outputs `logits`
  [batch, 1, 50257] (the last position only, as generate needs and as Tensile's generate
  computes) and `present.i.key` / `.value` [batch, 12, past_sequence + sequence, 64]. Positions
  are past_sequence + 0..sequence-1; attention is causal over past + new keys. Batch, sequence
  and past_sequence are dynamic axes.

The cached decoder runs the reference's own modules (embeddings, ln_1, c_attn, c_proj, ln_2,
mlp, ln_f, lm_head); only the attention step is written here, to concatenate the past keys and
values (the reference recomputes the whole sequence). Before writing, the script checks that a
prompt of 16 then 4 cached single-token steps give the reference's uncached logits.
"""
import json
import os
import sys

import torch
import torch.nn as nn

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'transformers', 'tools')
sys.path.insert(0, TOOLS)
import reference as R  # noqa: E402
from generate_fixtures import randomize  # noqa: E402

CONFIG = {
    'architectures': ['GPT2LMHeadModel'], 'model_type': 'gpt2', 'vocab_size': 50257, 'n_positions': 1024,
    'n_ctx': 1024, 'n_embd': 768, 'n_layer': 12, 'n_head': 12, 'n_inner': None, 'activation_function': 'gelu_new',
    'resid_pdrop': 0.1, 'embd_pdrop': 0.1, 'attn_pdrop': 0.1, 'layer_norm_epsilon': 1e-5, 'initializer_range': 0.02,
    'scale_attn_weights': True, 'use_cache': True, 'bos_token_id': 50256, 'eos_token_id': 50256,
    'tie_word_embeddings': True, 'torch_dtype': 'float32',
}
SEED = 124
# Not GPT-2's 0.02: at 0.02 the random biases (0.1·noise, summed over 24 residual branches) swamp the
# token embeddings and greedy decoding repeats one token whatever the prompt, so comparing the tokens
# would check little; at 0.05 the continuation depends on the context (29 distinct of 32 tokens).
STD = 0.05
OPSET = 14


class CachedDecoder(nn.Module):
    """The reference GPT2LMHeadModel with a key/value cache: (ids, *past) -> (last logits, *present)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, *past):
        t = self.model.transformer
        b, n = input_ids.shape
        past_len = past[0].shape[2]
        positions = torch.arange(past_len, past_len + n, dtype=torch.int64).unsqueeze(0)
        x = t.wte(input_ids) + t.wpe(positions)
        # Query i sits at position past_len + i and sees keys 0..past_len + i.
        keys_pos = torch.arange(0, past_len + n, dtype=torch.int64).unsqueeze(0)
        allowed = keys_pos <= positions.transpose(0, 1)
        present = []
        for i, block in enumerate(t.h):
            attn = block.attn
            q, k, v = attn.c_attn(block.ln_1(x)).split(attn.embed_dim, dim=2)
            q, k, v = (z.view(b, n, attn.num_heads, attn.head_dim).transpose(1, 2) for z in (q, k, v))
            k = torch.cat([past[2 * i], k], dim=2)
            v = torch.cat([past[2 * i + 1], v], dim=2)
            present += [k, v]
            w = (q @ k.transpose(-1, -2)) / (attn.head_dim ** 0.5)
            w = torch.where(allowed, w, torch.tensor(R.min_value(w.dtype), dtype=w.dtype))
            y = (w.softmax(-1) @ v).transpose(1, 2).reshape(b, n, attn.embed_dim)
            x = x + attn.c_proj(y)
            x = x + block.mlp(block.ln_2(x))
        h = t.ln_f(x[:, -1:, :])
        return (self.model.lm_head(h), *present)


def empty_past(c, batch=1, length=0):
    shape = (batch, c['n_head'], length, c['n_embd'] // c['n_head'])
    return [torch.zeros(shape) for _ in range(2 * c['n_layer'])]


@torch.no_grad()
def check(model, decoder):
    """Prompt of 16, then 4 cached steps: each step's last logits equal the uncached reference's."""
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(0, CONFIG['vocab_size'], (1, 20), generator=g)
    full, _ = model(ids)
    out = decoder(ids[:, :16], *empty_past(CONFIG))
    worst = (out[0][:, 0] - full[:, 15]).abs().max().item()
    for step in range(16, 20):
        out = decoder(ids[:, step:step + 1], *out[1:])
        worst = max(worst, (out[0][:, 0] - full[:, step]).abs().max().item())
    if worst > 1e-3:
        raise SystemExit(f'export_gpt2.py: the cached decoder differs from the reference by {worst}')
    return worst


@torch.no_grad()
def main(out):
    torch.manual_seed(SEED)
    model = R.GPT2LMHeadModel(CONFIG).eval()
    randomize(model, SEED, std=STD)
    decoder = CachedDecoder(model).eval()
    worst = check(model, decoder)

    hub = os.path.join(out, 'hub')
    os.makedirs(hub, exist_ok=True)
    state = {k[len('transformer.'):]: v for k, v in model.state_dict().items() if k.startswith('transformer.')}
    R.save_safetensors(state, os.path.join(hub, 'model.safetensors'), {'format': 'pt'})
    with open(os.path.join(hub, 'config.json'), 'w') as f:
        json.dump(CONFIG, f, indent=1)

    layers = CONFIG['n_layer']
    past_names = [f'past_key_values.{i}.{kv}' for i in range(layers) for kv in ('key', 'value')]
    present_names = [f'present.{i}.{kv}' for i in range(layers) for kv in ('key', 'value')]
    axes = {'input_ids': {0: 'batch', 1: 'sequence'}, 'logits': {0: 'batch'}}
    axes.update({n: {0: 'batch', 2: 'past_sequence'} for n in past_names})
    axes.update({n: {0: 'batch', 2: 'total_sequence'} for n in present_names})
    ids = torch.randint(0, CONFIG['vocab_size'], (1, 3))
    torch.onnx.export(decoder, (ids, *empty_past(CONFIG, 1, 2)), os.path.join(out, 'decoder.onnx'),
                      input_names=['input_ids', *past_names], output_names=['logits', *present_names],
                      dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)
    print(f'cached decoder vs reference: max |logit difference| {worst:.2e}')


if __name__ == '__main__':
    main(sys.argv[1])
