"""PyTorch reference implementations of the architectures @tensile/transformers loads.

There is no Hugging Face `transformers` package on these machines, so the reference models
are written here in plain PyTorch, with the hub's module names (and so the hub's state-dict
keys), the hub's config fields, and the hub's forward semantics: GPT-2 (Conv1D weights
[in, out], the non-persistent `attn.bias` causal buffer, tied `lm_head`), BERT (the
`embeddings.position_ids` buffer, the additive `(1 - mask) * finfo.min` attention mask,
the pooler, the sequence-classification head and its three losses), RoBERTa (BERT with
position ids from the input ids and a `dense`/tanh/`out_proj` head), DistilBERT (`q_lin`...
`out_lin`, padding keys masked_fill'ed to finfo.min, `pre_classifier` + ReLU), Llama-style causal LMs
(RMSNorm in float32, rotary embeddings with `rotate_half`, grouped-query attention through
`repeat_kv`, SwiGLU; Qwen2's q/k/v biases, Mistral's sliding window, Llama 3 rope scaling;
Gemma's `x * (1 + weight)` RMSNorm, sqrt(hidden_size) embedding scale and GeGLU; Phi-3's fused
`qkv_proj` and `gate_up_proj`; Qwen3's per-head `q_norm` / `k_norm` RMSNorm before the rotary
embedding), Phi (one LayerNorm feeding attention and the MLP in parallel, partial rotary
embeddings, biases everywhere, optional `q_layernorm` / `k_layernorm`), ViT for image classification, and CLIP (pre-LN towers, quick_gelu,
a causal text tower pooled at the EOS token by either of the hub's two rules, the symmetric
contrastive loss). Also GPT-NeoX (Pythia: the per-head fused `query_key_value`, partial rotary
embeddings, parallel or sequential residuals, `embed_out`) and OPT (learned positions offset by 2
and counted from the attention mask, pre- or post-norm blocks, `project_in` / `project_out`). And T5
(also mT5), the encoder-decoder: RMS norms without mean or bias, unscaled attention with the relative
position bias of block 0 (bidirectional or causal buckets, log-spaced), cross-attention, relu or gated
`DenseReluDense`, the tied head's d_model**-0.5 scale, labels shifted right into the decoder's inputs,
and greedy decoding from decoder_start_token_id (`seq2seq_greedy`).
And Whisper (conv front end, frozen sinusoids, pre-LN encoder-decoder, tied `proj_out`) with the
hub's log-mel feature extraction and slaney mel filters, see the section at the end.

Also: a safetensors reader/writer (the `safetensors` package is not installed either), greedy
generation without a cache (the oracle for Tensile's cached generation), and the causal-LM
loss with labels shifted inside the model and -100 ignored.
"""
import json
import math
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---- safetensors ---------------------------------------------------------------------------

ST_DTYPES = {
    'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16,
    'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8,
    'BOOL': torch.bool,
}
ST_NAMES = {v: k for k, v in ST_DTYPES.items()}
ST_RANK = {'BOOL': 0, 'U8': 4, 'I8': 5, 'I16': 9, 'U16': 10, 'F16': 11, 'BF16': 12, 'I32': 13, 'U32': 14,
           'F32': 15, 'F64': 17, 'I64': 18, 'U64': 19}


def save_safetensors(tensors, path, metadata=None):
    """Write `tensors` as Hugging Face's Rust writer lays them out."""
    items = sorted(tensors.items(), key=lambda kv: (-ST_RANK[ST_NAMES[kv[1].dtype]], kv[0].encode('utf-8')))
    parts, blobs, offset = [], [], 0
    if metadata is not None:
        parts.append('"__metadata__":' + json.dumps(dict(sorted(metadata.items())), separators=(',', ':')))
    for name, t in items:
        t = t.detach().contiguous().cpu()
        raw = b'' if t.numel() == 0 else t.reshape(-1).view(torch.uint8).numpy().tobytes()
        info = {'dtype': ST_NAMES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        parts.append(json.dumps(name) + ':' + json.dumps(info, separators=(',', ':')))
        blobs.append(raw)
        offset += len(raw)
    header = ('{' + ','.join(parts) + '}').encode('utf-8')
    header += b' ' * ((8 - len(header) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(header)) + header + b''.join(blobs))


def load_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n].decode('utf-8'))
    header.pop('__metadata__', None)
    start = 8 + n
    out = {}
    for name, info in header.items():
        b, e = info['data_offsets']
        dtype = ST_DTYPES[info['dtype']]
        buf = bytearray(data[start + b:start + e])
        t = torch.frombuffer(buf, dtype=torch.uint8).view(dtype) if e > b else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info['shape']).clone()
    return out


def load_checkpoint(directory):
    """The state dict of a hub-layout directory: model.safetensors or a sharded index."""
    import os
    single = os.path.join(directory, 'model.safetensors')
    if os.path.exists(single):
        return load_safetensors(single)
    with open(os.path.join(directory, 'model.safetensors.index.json')) as f:
        index = json.load(f)
    out = {}
    for shard in sorted(set(index['weight_map'].values())):
        out.update(load_safetensors(os.path.join(directory, shard)))
    return out


# ---- shared pieces -------------------------------------------------------------------------

ACT = {
    'gelu': F.gelu,
    'gelu_new': lambda x: F.gelu(x, approximate='tanh'),
    'gelu_pytorch_tanh': lambda x: F.gelu(x, approximate='tanh'),
    'gelu_fast': lambda x: 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x))),  # GPT-NeoX-20B's
    'relu': F.relu,
    'silu': F.silu,
    'swish': F.silu,
    'tanh': torch.tanh,
}


def min_value(dtype):
    return torch.finfo(dtype).min


def causal_lm_loss(logits, labels):
    """The hub's causal-LM loss: predict token t+1 from position t, ignore -100, mean."""
    shift_logits = logits[..., :-1, :].contiguous().float()
    shift_labels = labels[..., 1:].contiguous()
    return F.cross_entropy(shift_logits.view(-1, shift_logits.size(-1)), shift_labels.view(-1), ignore_index=-100)


def positions_from_mask(attention_mask):
    """Position ids for left-padded batches: cumsum(mask) - 1, padding set to 1 (the hub's rule)."""
    pos = attention_mask.long().cumsum(-1) - 1
    pos.masked_fill_(attention_mask == 0, 1)
    return pos


def causal_mask(attention_mask, q_len, k_len, dtype, sliding_window=None):
    """[B, 1, q, k] additive mask: causal (queries are the last q of k positions) and padding."""
    q_pos = torch.arange(k_len - q_len, k_len)[:, None]
    k_pos = torch.arange(k_len)[None, :]
    allowed = k_pos <= q_pos
    if sliding_window is not None:
        allowed = allowed & (q_pos - k_pos < sliding_window)
    allowed = allowed[None, None]
    if attention_mask is not None:
        allowed = allowed & attention_mask[:, None, None, :].bool()
    return torch.zeros(allowed.shape, dtype=dtype).masked_fill(~allowed, min_value(dtype))


# ---- GPT-2 ---------------------------------------------------------------------------------

class Conv1D(nn.Module):
    """GPT-2's linear layer with the weight stored [in, out]."""

    def __init__(self, nf, nx):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.size(-1)), self.weight).view(*x.shape[:-1], -1)


class GPT2Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        n = c['n_positions']
        self.register_buffer('bias', torch.tril(torch.ones(n, n, dtype=torch.bool)).view(1, 1, n, n), persistent=False)
        self.register_buffer('masked_bias', torch.tensor(-1e4), persistent=False)
        self.embed_dim = c['n_embd']
        self.num_heads = c['n_head']
        self.head_dim = self.embed_dim // self.num_heads
        self.scale = c.get('scale_attn_weights', True)
        self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)

    def forward(self, x, attention_mask):
        b, t, _ = x.shape
        q, k, v = self.c_attn(x).split(self.embed_dim, dim=2)
        q, k, v = (z.view(b, t, self.num_heads, self.head_dim).transpose(1, 2) for z in (q, k, v))
        w = q @ k.transpose(-1, -2)
        if self.scale:
            w = w / (v.size(-1) ** 0.5)
        causal = self.bias[:, :, :t, :t]
        w = torch.where(causal, w, torch.tensor(min_value(w.dtype), dtype=w.dtype))
        if attention_mask is not None:
            w = w + attention_mask
        w = w.softmax(-1)
        y = (w @ v).transpose(1, 2).reshape(b, t, self.embed_dim)
        return self.c_proj(y)


class GPT2MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        inner = c.get('n_inner') or 4 * c['n_embd']
        self.c_fc = Conv1D(inner, c['n_embd'])
        self.c_proj = Conv1D(c['n_embd'], inner)
        self.act = ACT[c.get('activation_function', 'gelu_new')]

    def forward(self, x):
        return self.c_proj(self.act(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        eps = c.get('layer_norm_epsilon', 1e-5)
        self.ln_1 = nn.LayerNorm(c['n_embd'], eps=eps)
        self.attn = GPT2Attention(c)
        self.ln_2 = nn.LayerNorm(c['n_embd'], eps=eps)
        self.mlp = GPT2MLP(c)

    def forward(self, x, mask):
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class GPT2Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c['vocab_size'], c['n_embd'])
        self.wpe = nn.Embedding(c['n_positions'], c['n_embd'])
        self.h = nn.ModuleList([GPT2Block(c) for _ in range(c['n_layer'])])
        self.ln_f = nn.LayerNorm(c['n_embd'], eps=c.get('layer_norm_epsilon', 1e-5))

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        b, t = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(t)[None].expand(b, t)
        x = self.wte(input_ids) + self.wpe(position_ids)
        mask = None
        if attention_mask is not None:
            mask = (1.0 - attention_mask[:, None, None, :].float()) * min_value(torch.float32)
        for block in self.h:
            x = block(x, mask)
        return self.ln_f(x)


class GPT2LMHeadModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.transformer = GPT2Model(c)
        self.lm_head = nn.Linear(c['n_embd'], c['vocab_size'], bias=False)
        self.lm_head.weight = self.transformer.wte.weight

    def forward(self, input_ids, attention_mask=None, position_ids=None, labels=None):
        logits = self.lm_head(self.transformer(input_ids, attention_mask, position_ids))
        return logits, (causal_lm_loss(logits, labels) if labels is not None else None)


# ---- Llama, Qwen2, Mistral, Gemma, Phi-3 --------------------------------------------------

class LlamaRMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


class GemmaRMSNorm(nn.Module):
    """Gemma's RMSNorm: weights are offsets from 1 (zeros at init); scaled in float32, then cast."""

    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(dim))
        self.eps = eps

    def forward(self, x):
        y = x.float()
        y = y * torch.rsqrt(y.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * (1.0 + self.weight.float())).type_as(x)


def rope_inv_freq(c, head_dim):
    theta = c.get('rope_theta', 10000.0)
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    scaling = c.get('rope_scaling') or {}
    kind = scaling.get('rope_type', scaling.get('type', 'default'))
    if kind == 'linear':
        inv = inv / scaling['factor']
    elif kind == 'llama3':
        factor = scaling['factor']
        low, high = scaling['low_freq_factor'], scaling['high_freq_factor']
        old = scaling['original_max_position_embeddings']
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / inv
        scaled = torch.where(wavelen > low_wavelen, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
        inv = torch.where(medium, smoothed, scaled)
    elif kind != 'default':
        raise ValueError(f'rope type {kind} not in the reference')
    return inv


def phi3_longrope(c, dim):
    """Phi-3's longrope as the hub's _compute_longrope_parameters: inverse frequencies divided by the
    short or long factors, and the cos/sin scale from max_position_embeddings / original_max_position_embeddings."""
    s = c['rope_scaling']
    base = c.get('rope_theta', 10000.0)
    original = c.get('original_max_position_embeddings', 4096)
    factor = c.get('max_position_embeddings', 4096) / original
    attention = s.get('attention_factor')
    if attention is None:
        attention = 1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(original))
    shape = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim

    def inv(f):
        return 1.0 / (torch.tensor(f, dtype=torch.float32) * base ** shape)
    return inv(s['short_factor']), inv(s['long_factor']), original, attention


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def llama_head_dim(c):
    """head_dim from the config, else Qwen3Config's default 128, else hidden_size / heads."""
    default = 128 if c.get('model_type') == 'qwen3' else c['hidden_size'] // c['num_attention_heads']
    return c.get('head_dim') or default


class LlamaAttention(nn.Module):
    def __init__(self, c, qkv_bias, o_bias, fused=False):
        super().__init__()
        self.num_heads = c['num_attention_heads']
        self.num_kv = c.get('num_key_value_heads') or self.num_heads
        self.head_dim = llama_head_dim(c)
        h = c['hidden_size']
        q_size, kv_size = self.num_heads * self.head_dim, self.num_kv * self.head_dim
        if fused:  # Phi-3: one projection, its output q, then k, then v
            self.qkv_proj = nn.Linear(h, q_size + 2 * kv_size, bias=False)
        else:
            self.q_proj = nn.Linear(h, q_size, bias=qkv_bias)
            self.k_proj = nn.Linear(h, kv_size, bias=qkv_bias)
            self.v_proj = nn.Linear(h, kv_size, bias=qkv_bias)
        self.o_proj = nn.Linear(q_size, h, bias=o_bias)
        self.scaling = self.head_dim ** -0.5  # Gemma 2: query_pre_attn_scalar ** -0.5
        self.softcap = None  # Gemma 2: attn_logit_softcapping, cap * tanh(scores / cap) before the mask
        if c.get('model_type') == 'qwen3':  # Qwen3: RMSNorm over each query and key head
            self.q_norm = LlamaRMSNorm(self.head_dim, c.get('rms_norm_eps', 1e-6))
            self.k_norm = LlamaRMSNorm(self.head_dim, c.get('rms_norm_eps', 1e-6))

    def project(self, x):
        if hasattr(self, 'qkv_proj'):
            qkv = self.qkv_proj(x)
            q_size, kv_size = self.num_heads * self.head_dim, self.num_kv * self.head_dim
            return qkv[..., :q_size], qkv[..., q_size:q_size + kv_size], qkv[..., q_size + kv_size:]
        return self.q_proj(x), self.k_proj(x), self.v_proj(x)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q, k, v = self.project(x)
        q = q.reshape(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        k = k.reshape(b, t, self.num_kv, self.head_dim).transpose(1, 2)
        v = v.reshape(b, t, self.num_kv, self.head_dim).transpose(1, 2)
        if hasattr(self, 'q_norm'):  # Qwen3, before the rotary embedding
            q, k = self.q_norm(q), self.k_norm(k)
        cos, sin = cos[:, None], sin[:, None]
        rd = cos.shape[-1]  # Phi-3's partial rotary: the first rd features of each head rotate, the rest pass
        q = torch.cat([q[..., :rd] * cos + rotate_half(q[..., :rd]) * sin, q[..., rd:]], dim=-1)
        k = torch.cat([k[..., :rd] * cos + rotate_half(k[..., :rd]) * sin, k[..., rd:]], dim=-1)
        rep = self.num_heads // self.num_kv
        k = k[:, :, None].expand(b, self.num_kv, rep, t, self.head_dim).reshape(b, self.num_heads, t, self.head_dim)
        v = v[:, :, None].expand(b, self.num_kv, rep, t, self.head_dim).reshape(b, self.num_heads, t, self.head_dim)
        w = (q @ k.transpose(2, 3)) * self.scaling
        if self.softcap is not None:
            w = torch.tanh(w / self.softcap) * self.softcap
        w = (w + mask).float().softmax(-1).to(q.dtype)
        y = (w @ v).transpose(1, 2).reshape(b, t, -1)
        return self.o_proj(y)


class LlamaMLP(nn.Module):
    def __init__(self, c, bias, act, fused=False):
        super().__init__()
        h, i = c['hidden_size'], c['intermediate_size']
        if fused:  # Phi-3: one projection, its output the gate, then up
            self.gate_up_proj = nn.Linear(h, 2 * i, bias=False)
        else:
            self.gate_proj = nn.Linear(h, i, bias=bias)
            self.up_proj = nn.Linear(h, i, bias=bias)
        self.down_proj = nn.Linear(i, h, bias=bias)
        self.act = ACT[act]

    def forward(self, x):
        if hasattr(self, 'gate_up_proj'):
            gate, up = self.gate_up_proj(x).chunk(2, dim=-1)
        else:
            gate, up = self.gate_proj(x), self.up_proj(x)
        return self.down_proj(self.act(gate) * up)


class LlamaDecoderLayer(nn.Module):
    def __init__(self, c, qkv_bias, o_bias, mlp_bias, act, norm, fused, resid_pdrop):
        super().__init__()
        eps = c.get('rms_norm_eps', 1e-6)
        self.self_attn = LlamaAttention(c, qkv_bias, o_bias, fused)
        self.mlp = LlamaMLP(c, mlp_bias, act, fused)
        self.input_layernorm = norm(c['hidden_size'], eps)
        self.post_attention_layernorm = norm(c['hidden_size'], eps)
        # Phi-3's dropout on each sublayer's output (identity in eval, and p = 0 elsewhere).
        self.resid_attn_dropout = nn.Dropout(resid_pdrop)
        self.resid_mlp_dropout = nn.Dropout(resid_pdrop)

    def forward(self, x, cos, sin, mask):
        x = x + self.resid_attn_dropout(self.self_attn(self.input_layernorm(x), cos, sin, mask))
        return x + self.resid_mlp_dropout(self.mlp(self.post_attention_layernorm(x)))


class LlamaModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        kind = c.get('model_type', 'llama')
        act, norm, fused, resid_pdrop = c.get('hidden_act', 'silu'), LlamaRMSNorm, False, 0.0
        if kind == 'qwen2':
            qkv_bias, o_bias, mlp_bias = True, False, False
        elif kind == 'mistral':
            qkv_bias = o_bias = mlp_bias = False
        elif kind == 'qwen3':
            if c.get('use_sliding_window') or any(t != 'full_attention' for t in c.get('layer_types') or []):
                raise ValueError('Qwen3 sliding-window layers are not in the reference')
            qkv_bias = o_bias = bool(c.get('attention_bias', False))
            mlp_bias = False
        elif kind == 'phi3':
            qkv_bias = o_bias = mlp_bias = False
            fused, resid_pdrop = True, c.get('resid_pdrop', 0.0)
        else:
            qkv_bias = o_bias = bool(c.get('attention_bias', False))
            mlp_bias = bool(c.get('mlp_bias', False))
        if kind == 'gemma':  # hidden_activation overrides the legacy hidden_act
            act = c.get('hidden_activation') or c.get('hidden_act') or 'gelu_pytorch_tanh'
            norm, mlp_bias = GemmaRMSNorm, False
        self.embed_scale = c['hidden_size'] ** 0.5 if kind == 'gemma' else None
        self.sliding_window = c.get('sliding_window') if kind in ('mistral', 'phi3') else None
        self.embed_tokens = nn.Embedding(c['vocab_size'], c['hidden_size'], padding_idx=c.get('pad_token_id'))
        self.layers = nn.ModuleList([LlamaDecoderLayer(c, qkv_bias, o_bias, mlp_bias, act, norm, fused, resid_pdrop)
                                     for _ in range(c['num_hidden_layers'])])
        self.norm = norm(c['hidden_size'], c.get('rms_norm_eps', 1e-6))
        rotary_dim = llama_head_dim(c)
        self.longrope = None
        if kind == 'phi3':  # int(head_dim * partial_rotary_factor) features rotate; longrope (or 'su') scaling
            rotary_dim = int(rotary_dim * c.get('partial_rotary_factor', 1.0))
            scaling = c.get('rope_scaling')
            if scaling is not None:
                if scaling.get('type', scaling.get('rope_type')) not in ('longrope', 'su'):
                    raise ValueError('Phi-3 rope scaling other than longrope is not in the reference')
                self.longrope = phi3_longrope(c, rotary_dim)
                c = {**c, 'rope_scaling': None}
        self.register_buffer('inv_freq', rope_inv_freq(c, rotary_dim), persistent=False)

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        b, t = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(t)[None].expand(b, t)
        x = self.embed_tokens(input_ids)
        if self.embed_scale is not None:  # Gemma: the normalizer in the hidden states' dtype
            x = x * torch.tensor(self.embed_scale, dtype=x.dtype)
        inv_freq, scale = self.inv_freq, 1.0
        if self.longrope is not None:  # the hub's dynamic_rope_update: long factors once max(position_ids) + 1 > original
            short, long, original, scale = self.longrope
            inv_freq = long if int(position_ids.max()) + 1 > original else short
        freqs = position_ids[..., None].float() * inv_freq[None, None]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = (emb.cos() * scale).to(x.dtype), (emb.sin() * scale).to(x.dtype)
        mask = causal_mask(attention_mask, t, t, x.dtype, self.sliding_window)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.norm(x)


class LlamaForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.model = LlamaModel(c)
        self.lm_head = nn.Linear(c['hidden_size'], c['vocab_size'], bias=False)
        if c.get('tie_word_embeddings', c.get('model_type') == 'gemma'):  # Gemma ties by default
            self.lm_head.weight = self.model.embed_tokens.weight

    def forward(self, input_ids, attention_mask=None, position_ids=None, labels=None):
        logits = self.lm_head(self.model(input_ids, attention_mask, position_ids)).float()
        return logits, (causal_lm_loss(logits, labels) if labels is not None else None)


# ---- Gemma 2 -------------------------------------------------------------------------------

def gemma2_layer_types(c):
    """Each layer's attention: layer_types, else the hub's default (even-indexed layers slide)."""
    return c.get('layer_types') or ['sliding_attention' if i % 2 == 0 else 'full_attention' for i in range(c['num_hidden_layers'])]


class Gemma2DecoderLayer(nn.Module):
    """Four Gemma norms: the attention's and the MLP's outputs are normalised before each residual sum."""

    def __init__(self, c, sliding):
        super().__init__()
        eps, h = c.get('rms_norm_eps', 1e-6), c['hidden_size']
        bias = bool(c.get('attention_bias', False))
        self.self_attn = LlamaAttention(c, bias, bias)
        self.self_attn.scaling = c.get('query_pre_attn_scalar', 256) ** -0.5
        self.self_attn.softcap = c.get('attn_logit_softcapping', 50.0)
        self.mlp = LlamaMLP(c, False, c.get('hidden_activation') or c.get('hidden_act') or 'gelu_pytorch_tanh')
        self.input_layernorm = GemmaRMSNorm(h, eps)
        self.post_attention_layernorm = GemmaRMSNorm(h, eps)
        self.pre_feedforward_layernorm = GemmaRMSNorm(h, eps)
        self.post_feedforward_layernorm = GemmaRMSNorm(h, eps)
        self.sliding = sliding

    def forward(self, x, cos, sin, mask, sliding_mask):
        x = x + self.post_attention_layernorm(self.self_attn(self.input_layernorm(x), cos, sin, sliding_mask if self.sliding else mask))
        return x + self.post_feedforward_layernorm(self.mlp(self.pre_feedforward_layernorm(x)))


class Gemma2Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.hidden_size = c['hidden_size']
        self.sliding_window = c.get('sliding_window', 4096)
        self.embed_tokens = nn.Embedding(c['vocab_size'], c['hidden_size'], padding_idx=c.get('pad_token_id'))
        self.layers = nn.ModuleList([Gemma2DecoderLayer(c, t == 'sliding_attention') for t in gemma2_layer_types(c)])
        self.norm = GemmaRMSNorm(c['hidden_size'], c.get('rms_norm_eps', 1e-6))
        self.register_buffer('inv_freq', rope_inv_freq(c, c.get('head_dim') or 256), persistent=False)

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        b, t = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(t)[None].expand(b, t)
        x = self.embed_tokens(input_ids)
        x = x * torch.tensor(self.hidden_size ** 0.5, dtype=x.dtype)  # the normalizer in the hidden states' dtype
        freqs = position_ids[..., None].float() * self.inv_freq[None, None]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        mask = causal_mask(attention_mask, t, t, x.dtype)
        sliding = causal_mask(attention_mask, t, t, x.dtype, self.sliding_window)
        for layer in self.layers:
            x = layer(x, cos, sin, mask, sliding)
        return self.norm(x)


class Gemma2ForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.model = Gemma2Model(c)
        self.lm_head = nn.Linear(c['hidden_size'], c['vocab_size'], bias=False)
        if c.get('tie_word_embeddings', True):
            self.lm_head.weight = self.model.embed_tokens.weight
        self.final_softcap = c.get('final_logit_softcapping', 30.0)

    def forward(self, input_ids, attention_mask=None, position_ids=None, labels=None):
        logits = self.lm_head(self.model(input_ids, attention_mask, position_ids))
        if self.final_softcap is not None:
            logits = torch.tanh(logits / self.final_softcap) * self.final_softcap
        logits = logits.float()
        return logits, (causal_lm_loss(logits, labels) if labels is not None else None)


# ---- Mixtral -------------------------------------------------------------------------------

class MixtralExpert(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i = c['hidden_size'], c['intermediate_size']
        self.w1 = nn.Linear(h, i, bias=False)
        self.w2 = nn.Linear(i, h, bias=False)
        self.w3 = nn.Linear(h, i, bias=False)
        self.act = ACT[c.get('hidden_act', 'silu')]

    def forward(self, x):
        return self.w2(self.act(self.w1(x)) * self.w3(x))


class MixtralSparseMoeBlock(nn.Module):
    """Top-k routing: softmax of the router logits in float32, the k largest renormalised, each expert
    run on the tokens sent to it, its weighted output added back in expert order (index_add)."""

    def __init__(self, c):
        super().__init__()
        self.top_k = c.get('num_experts_per_tok', 2)
        self.gate = nn.Linear(c['hidden_size'], c.get('num_local_experts', 8), bias=False)
        self.experts = nn.ModuleList([MixtralExpert(c) for _ in range(c.get('num_local_experts', 8))])
        if c.get('router_jitter_noise', 0.0):
            raise ValueError('router jitter is not in the reference')

    def forward(self, x):
        b, t, h = x.shape
        flat = x.reshape(-1, h)
        router_logits = self.gate(flat)
        weights = F.softmax(router_logits, dim=1, dtype=torch.float)
        weights, chosen = torch.topk(weights, self.top_k, dim=-1)
        weights = (weights / weights.sum(dim=-1, keepdim=True)).to(flat.dtype)
        out = torch.zeros_like(flat)
        for e, expert in enumerate(self.experts):
            rows, slots = torch.where(chosen == e)
            if rows.numel() == 0:
                continue
            out = out.index_add(0, rows, expert(flat[rows]) * weights[rows, slots, None])
        return out.reshape(b, t, h), router_logits


class MixtralDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        eps = c.get('rms_norm_eps', 1e-5)
        self.self_attn = LlamaAttention(c, False, False)
        self.block_sparse_moe = MixtralSparseMoeBlock(c)
        self.input_layernorm = LlamaRMSNorm(c['hidden_size'], eps)
        self.post_attention_layernorm = LlamaRMSNorm(c['hidden_size'], eps)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        y, router_logits = self.block_sparse_moe(self.post_attention_layernorm(x))
        return x + y, router_logits


def load_balancing_loss(gate_logits, num_experts, top_k, attention_mask=None):
    """Switch Transformer's auxiliary loss as the hub's load_balancing_loss_func computes it, over all layers."""
    logits = torch.cat(gate_logits, dim=0)
    probs = F.softmax(logits, dim=-1)
    _, chosen = torch.topk(probs, top_k, dim=-1)
    expert_mask = F.one_hot(chosen, num_experts).float()  # [L*N, k, E]
    if attention_mask is None:
        tokens_per_expert = expert_mask.mean(0)
        prob_per_expert = probs.mean(0)
    else:
        layers = logits.shape[0] // attention_mask.numel()
        keep = attention_mask.reshape(-1).float().repeat(layers)
        tokens_per_expert = (expert_mask * keep[:, None, None]).sum(0) / keep.sum()
        prob_per_expert = (probs * keep[:, None]).sum(0) / keep.sum()
    return (tokens_per_expert * prob_per_expert[None]).sum() * num_experts


class MixtralModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.sliding_window = c.get('sliding_window')
        self.embed_tokens = nn.Embedding(c['vocab_size'], c['hidden_size'], padding_idx=c.get('pad_token_id'))
        self.layers = nn.ModuleList([MixtralDecoderLayer(c) for _ in range(c['num_hidden_layers'])])
        self.norm = LlamaRMSNorm(c['hidden_size'], c.get('rms_norm_eps', 1e-5))
        self.register_buffer('inv_freq', rope_inv_freq(c, llama_head_dim(c)), persistent=False)

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        b, t = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(t)[None].expand(b, t)
        x = self.embed_tokens(input_ids)
        freqs = position_ids[..., None].float() * self.inv_freq[None, None]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        mask = causal_mask(attention_mask, t, t, x.dtype, self.sliding_window)
        router_logits = []
        for layer in self.layers:
            x, logits = layer(x, cos, sin, mask)
            router_logits.append(logits)
        return self.norm(x), tuple(router_logits)


class MixtralForCausalLM(nn.Module):
    """With output_router_logits, the loss gains router_aux_loss_coef * the load-balancing loss
    over the sparse layers (kept in self.aux_loss). Qwen2-MoE's is this, over its own model and
    config keys."""

    model_class = MixtralModel
    experts_key = ('num_local_experts', 8)
    default_top_k = 2

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.model = self.model_class(c)
        self.lm_head = nn.Linear(c['hidden_size'], c['vocab_size'], bias=False)
        if c.get('tie_word_embeddings', False):
            self.lm_head.weight = self.model.embed_tokens.weight
        self.aux_loss = None

    def forward(self, input_ids, attention_mask=None, position_ids=None, labels=None):
        hidden, router_logits = self.model(input_ids, attention_mask, position_ids)
        logits = self.lm_head(hidden).float()
        loss = causal_lm_loss(logits, labels) if labels is not None else None
        c = self.config
        if c.get('output_router_logits', False):
            sparse = tuple(r for r in router_logits if r is not None)  # Qwen2-MoE's dense layers have none
            self.aux_loss = load_balancing_loss(sparse, c.get(*self.experts_key), c.get('num_experts_per_tok', self.default_top_k), attention_mask)
            if loss is not None:
                loss = loss + c.get('router_aux_loss_coef', 0.001) * self.aux_loss
        return logits, loss


# ---- Qwen2-MoE -----------------------------------------------------------------------------

class Qwen2MoeSparseMoeBlock(nn.Module):
    """Mixtral's routing (renormalised only with norm_topk_prob) plus sigmoid(shared_expert_gate(x)) * shared_expert(x)."""

    def __init__(self, c):
        super().__init__()
        h, experts = c['hidden_size'], c.get('num_experts', 60)
        act = c.get('hidden_act', 'silu')
        self.top_k = c.get('num_experts_per_tok', 4)
        self.norm_topk_prob = c.get('norm_topk_prob', False)
        self.gate = nn.Linear(h, experts, bias=False)
        self.experts = nn.ModuleList([LlamaMLP({**c, 'intermediate_size': c.get('moe_intermediate_size', 1408)}, False, act)
                                      for _ in range(experts)])
        self.shared_expert = LlamaMLP({**c, 'intermediate_size': c.get('shared_expert_intermediate_size', 5632)}, False, act)
        self.shared_expert_gate = nn.Linear(h, 1, bias=False)

    def forward(self, x):
        b, t, h = x.shape
        flat = x.reshape(-1, h)
        router_logits = self.gate(flat)
        weights = F.softmax(router_logits, dim=1, dtype=torch.float)
        weights, chosen = torch.topk(weights, self.top_k, dim=-1)
        if self.norm_topk_prob:
            weights = weights / weights.sum(dim=-1, keepdim=True)
        weights = weights.to(flat.dtype)
        out = torch.zeros_like(flat)
        for e, expert in enumerate(self.experts):
            rows, slots = torch.where(chosen == e)
            if rows.numel() == 0:
                continue
            out = out.index_add(0, rows, expert(flat[rows]) * weights[rows, slots, None])
        out = out + torch.sigmoid(self.shared_expert_gate(flat)) * self.shared_expert(flat)
        return out.reshape(b, t, h), router_logits


def qwen2_moe_sparse(c, i):
    """The hub's rule: sparse unless in mlp_only_layers, with experts, on every decoder_sparse_step-th layer."""
    return i not in (c.get('mlp_only_layers') or []) and c.get('num_experts', 60) > 0 and (i + 1) % c.get('decoder_sparse_step', 1) == 0


class Qwen2MoeDecoderLayer(nn.Module):
    def __init__(self, c, i):
        super().__init__()
        eps = c.get('rms_norm_eps', 1e-6)
        self.self_attn = LlamaAttention(c, c.get('qkv_bias', True), False)
        self.mlp = Qwen2MoeSparseMoeBlock(c) if qwen2_moe_sparse(c, i) else LlamaMLP(c, False, c.get('hidden_act', 'silu'))
        self.input_layernorm = LlamaRMSNorm(c['hidden_size'], eps)
        self.post_attention_layernorm = LlamaRMSNorm(c['hidden_size'], eps)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        y = self.mlp(self.post_attention_layernorm(x))
        y, router_logits = y if isinstance(y, tuple) else (y, None)
        return x + y, router_logits


class Qwen2MoeModel(MixtralModel):
    """Mixtral's forward (router logits per layer, None for the dense ones) over Qwen2-MoE's layers, no window."""

    def __init__(self, c):
        nn.Module.__init__(self)
        if c.get('use_sliding_window'):
            raise ValueError('Qwen2-MoE sliding windows are not in the reference')
        self.sliding_window = None
        self.embed_tokens = nn.Embedding(c['vocab_size'], c['hidden_size'], padding_idx=c.get('pad_token_id'))
        self.layers = nn.ModuleList([Qwen2MoeDecoderLayer(c, i) for i in range(c['num_hidden_layers'])])
        self.norm = LlamaRMSNorm(c['hidden_size'], c.get('rms_norm_eps', 1e-6))
        self.register_buffer('inv_freq', rope_inv_freq(c, llama_head_dim(c)), persistent=False)


class Qwen2MoeForCausalLM(MixtralForCausalLM):
    model_class = Qwen2MoeModel
    experts_key = ('num_experts', 60)
    default_top_k = 4


# ---- Phi -----------------------------------------------------------------------------------

class PhiAttention(nn.Module):
    """Biased q/k/v/dense, optional LayerNorms over each query and key head, rotary embeddings on
    the first int(head_dim * partial_rotary_factor) features of each head."""

    def __init__(self, c):
        super().__init__()
        h = c['hidden_size']
        self.num_heads = c['num_attention_heads']
        self.num_kv = c.get('num_key_value_heads') or self.num_heads
        self.head_dim = h // self.num_heads
        self.rotary_ndims = int(self.head_dim * c.get('partial_rotary_factor', 0.5))
        self.q_proj = nn.Linear(h, self.num_heads * self.head_dim, bias=True)
        self.k_proj = nn.Linear(h, self.num_kv * self.head_dim, bias=True)
        self.v_proj = nn.Linear(h, self.num_kv * self.head_dim, bias=True)
        self.dense = nn.Linear(self.num_heads * self.head_dim, h, bias=True)
        if c.get('qk_layernorm', False):
            eps = c.get('layer_norm_eps', 1e-5)
            self.q_layernorm = nn.LayerNorm(self.head_dim, eps=eps)
            self.k_layernorm = nn.LayerNorm(self.head_dim, eps=eps)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, -1, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, -1, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, -1, self.head_dim).transpose(1, 2)
        if hasattr(self, 'q_layernorm'):
            q, k = self.q_layernorm(q), self.k_layernorm(k)
        cos, sin = cos[:, None], sin[:, None]
        r = self.rotary_ndims
        q_rot, q_pass = q[..., :r], q[..., r:]
        k_rot, k_pass = k[..., :r], k[..., r:]
        q = torch.cat((q_rot * cos + rotate_half(q_rot) * sin, q_pass), dim=-1)
        k = torch.cat((k_rot * cos + rotate_half(k_rot) * sin, k_pass), dim=-1)
        rep = self.num_heads // self.num_kv
        k = k[:, :, None].expand(b, self.num_kv, rep, t, self.head_dim).reshape(b, self.num_heads, t, self.head_dim)
        v = v[:, :, None].expand(b, self.num_kv, rep, t, self.head_dim).reshape(b, self.num_heads, t, self.head_dim)
        w = (q @ k.transpose(2, 3)) * self.head_dim ** -0.5 + mask
        w = w.float().softmax(-1).to(q.dtype)
        y = (w @ v).transpose(1, 2).reshape(b, t, -1)
        return self.dense(y)


class PhiMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1 = nn.Linear(c['hidden_size'], c['intermediate_size'])
        self.fc2 = nn.Linear(c['intermediate_size'], c['hidden_size'])
        self.act = ACT[c.get('hidden_act', 'gelu_new')]

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class PhiDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = PhiAttention(c)
        self.mlp = PhiMLP(c)
        self.input_layernorm = nn.LayerNorm(c['hidden_size'], eps=c.get('layer_norm_eps', 1e-5))
        self.resid_dropout = nn.Dropout(c.get('resid_pdrop', 0.0))

    def forward(self, x, cos, sin, mask):
        h = self.input_layernorm(x)
        attn = self.resid_dropout(self.self_attn(h, cos, sin, mask))
        ff = self.resid_dropout(self.mlp(h))
        return attn + ff + x


class PhiModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c['vocab_size'], c['hidden_size'], padding_idx=c.get('pad_token_id'))
        self.embed_dropout = nn.Dropout(c.get('embd_pdrop', 0.0))
        self.layers = nn.ModuleList([PhiDecoderLayer(c) for _ in range(c['num_hidden_layers'])])
        self.final_layernorm = nn.LayerNorm(c['hidden_size'], eps=c.get('layer_norm_eps', 1e-5))
        head_dim = c['hidden_size'] // c['num_attention_heads']
        rotary = int(head_dim * c.get('partial_rotary_factor', 0.5))
        self.register_buffer('inv_freq', rope_inv_freq(c, rotary), persistent=False)

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        b, t = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(t)[None].expand(b, t)
        x = self.embed_dropout(self.embed_tokens(input_ids))
        freqs = position_ids[..., None].float() * self.inv_freq[None, None]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        mask = causal_mask(attention_mask, t, t, x.dtype)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.final_layernorm(x)


class PhiForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.model = PhiModel(c)
        self.lm_head = nn.Linear(c['hidden_size'], c['vocab_size'], bias=True)
        if c.get('tie_word_embeddings', False):
            self.lm_head.weight = self.model.embed_tokens.weight

    def forward(self, input_ids, attention_mask=None, position_ids=None, labels=None):
        logits = self.lm_head(self.model(input_ids, attention_mask, position_ids)).float()
        return logits, (causal_lm_loss(logits, labels) if labels is not None else None)


# ---- GPT-NeoX (Pythia), OPT ---------------------------------------------------------------

def gpt_neox_rotary(c):
    """(rotary_ndims, inv_freq): int(head_size * rotary_pct) features of each head rotate, base
    rotary_emb_base (the legacy names first, then partial_rotary_factor and rope_theta)."""
    head = c['hidden_size'] // c['num_attention_heads']
    pct = c['rotary_pct'] if c.get('rotary_pct') is not None else c.get('partial_rotary_factor', 0.25)
    base = c['rotary_emb_base'] if c.get('rotary_emb_base') is not None else c.get('rope_theta', 10000)
    dim = int(head * pct)
    return dim, rope_inv_freq({'rope_theta': base, 'rope_scaling': c.get('rope_scaling')}, dim)


class GPTNeoXAttention(nn.Module):
    """The fused query_key_value, its output laid out per head ([heads, 3, head_size]), rotary
    embeddings on the first rotary_ndims features of each query and key head."""

    def __init__(self, c):
        super().__init__()
        h = c['hidden_size']
        self.num_heads = c['num_attention_heads']
        self.head_size = h // self.num_heads
        self.rotary_ndims, _ = gpt_neox_rotary(c)
        bias = c.get('attention_bias', True)
        self.query_key_value = nn.Linear(h, 3 * h, bias=bias)
        self.dense = nn.Linear(h, h, bias=bias)
        self.attention_dropout = nn.Dropout(c.get('attention_dropout', 0.0))

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        hs = self.head_size
        qkv = self.query_key_value(x).view(b, t, self.num_heads, 3 * hs)
        q = qkv[..., :hs].permute(0, 2, 1, 3)
        k = qkv[..., hs:2 * hs].permute(0, 2, 1, 3)
        v = qkv[..., 2 * hs:].permute(0, 2, 1, 3)
        r = self.rotary_ndims
        cos, sin = cos[:, None], sin[:, None]
        q = torch.cat((q[..., :r] * cos + rotate_half(q[..., :r]) * sin, q[..., r:]), dim=-1)
        k = torch.cat((k[..., :r] * cos + rotate_half(k[..., :r]) * sin, k[..., r:]), dim=-1)
        w = (q @ k.transpose(2, 3)) * hs ** -0.5 + mask
        w = self.attention_dropout(w.float().softmax(-1).to(v.dtype))
        y = (w @ v).transpose(1, 2).reshape(b, t, -1)
        return self.dense(y)


class GPTNeoXMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense_h_to_4h = nn.Linear(c['hidden_size'], c['intermediate_size'])
        self.dense_4h_to_h = nn.Linear(c['intermediate_size'], c['hidden_size'])
        self.act = ACT[c.get('hidden_act', 'gelu')]

    def forward(self, x):
        return self.dense_4h_to_h(self.act(self.dense_h_to_4h(x)))


class GPTNeoXLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        eps = c.get('layer_norm_eps', 1e-5)
        self.use_parallel_residual = c.get('use_parallel_residual', True)
        self.input_layernorm = nn.LayerNorm(c['hidden_size'], eps=eps)
        self.post_attention_layernorm = nn.LayerNorm(c['hidden_size'], eps=eps)
        self.post_attention_dropout = nn.Dropout(c.get('hidden_dropout', 0.0))
        self.post_mlp_dropout = nn.Dropout(c.get('hidden_dropout', 0.0))
        self.attention = GPTNeoXAttention(c)
        self.mlp = GPTNeoXMLP(c)

    def forward(self, x, cos, sin, mask):
        attn = self.post_attention_dropout(self.attention(self.input_layernorm(x), cos, sin, mask))
        if self.use_parallel_residual:  # x + attn(ln1(x)) + mlp(ln2(x))
            mlp = self.post_mlp_dropout(self.mlp(self.post_attention_layernorm(x)))
            return mlp + attn + x
        attn = attn + x
        return self.post_mlp_dropout(self.mlp(self.post_attention_layernorm(attn))) + attn


class GPTNeoXModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_in = nn.Embedding(c['vocab_size'], c['hidden_size'])
        self.emb_dropout = nn.Dropout(c.get('hidden_dropout', 0.0))
        self.layers = nn.ModuleList([GPTNeoXLayer(c) for _ in range(c['num_hidden_layers'])])
        self.final_layer_norm = nn.LayerNorm(c['hidden_size'], eps=c.get('layer_norm_eps', 1e-5))
        _, inv_freq = gpt_neox_rotary(c)
        self.register_buffer('inv_freq', inv_freq, persistent=False)

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        b, t = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(t)[None].expand(b, t)
        x = self.emb_dropout(self.embed_in(input_ids))
        freqs = position_ids[..., None].float() * self.inv_freq[None, None]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        mask = causal_mask(attention_mask, t, t, x.dtype)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.final_layer_norm(x)


class GPTNeoXForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.gpt_neox = GPTNeoXModel(c)
        self.embed_out = nn.Linear(c['hidden_size'], c['vocab_size'], bias=False)
        if c.get('tie_word_embeddings', False):
            self.embed_out.weight = self.gpt_neox.embed_in.weight

    def forward(self, input_ids, attention_mask=None, position_ids=None, labels=None):
        logits = self.embed_out(self.gpt_neox(input_ids, attention_mask, position_ids))
        return logits, (causal_lm_loss(logits, labels) if labels is not None else None)


class OPTLearnedPositionalEmbedding(nn.Embedding):
    """Learned positions with fairseq's offset of 2; positions from the attention mask
    (cumsum(mask) * mask - 1, so padding at -1) unless given."""
    offset = 2

    def __init__(self, num_embeddings, dim):
        super().__init__(num_embeddings + self.offset, dim)

    def forward(self, attention_mask, position_ids=None):
        if position_ids is None:
            position_ids = (torch.cumsum(attention_mask, dim=1) * attention_mask - 1).long()
        return super().forward(position_ids + self.offset)


class OPTAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c['hidden_size']
        bias = c.get('enable_bias', True)
        self.num_heads = c['num_attention_heads']
        self.head_dim = h // self.num_heads
        self.scaling = self.head_dim ** -0.5
        self.k_proj = nn.Linear(h, h, bias=bias)
        self.v_proj = nn.Linear(h, h, bias=bias)
        self.q_proj = nn.Linear(h, h, bias=bias)
        self.out_proj = nn.Linear(h, h, bias=bias)
        self.dropout = nn.Dropout(c.get('attention_dropout', 0.0))

    def forward(self, x, mask):
        b, t, _ = x.shape
        q = (self.q_proj(x) * self.scaling).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        w = q @ k.transpose(2, 3) + mask
        w = self.dropout(w.float().softmax(-1).to(v.dtype))
        y = (w @ v).transpose(1, 2).reshape(b, t, -1)
        return self.out_proj(y)


class OPTDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, affine = c['hidden_size'], c.get('layer_norm_elementwise_affine', True)
        self.do_layer_norm_before = c.get('do_layer_norm_before', True)
        self.self_attn = OPTAttention(c)
        self.self_attn_layer_norm = nn.LayerNorm(h, elementwise_affine=affine)
        self.fc1 = nn.Linear(h, c['ffn_dim'], bias=c.get('enable_bias', True))
        self.fc2 = nn.Linear(c['ffn_dim'], h, bias=c.get('enable_bias', True))
        self.final_layer_norm = nn.LayerNorm(h, elementwise_affine=affine)
        self.act = ACT[c.get('activation_function', 'relu')]
        self.dropout = nn.Dropout(c.get('dropout', 0.1))

    def forward(self, x, mask):
        residual = x
        if self.do_layer_norm_before:
            x = self.self_attn_layer_norm(x)
        x = residual + self.dropout(self.self_attn(x, mask))
        if not self.do_layer_norm_before:
            x = self.self_attn_layer_norm(x)
        residual = x
        if self.do_layer_norm_before:
            x = self.final_layer_norm(x)
        x = residual + self.dropout(self.fc2(self.act(self.fc1(x))))
        if not self.do_layer_norm_before:
            x = self.final_layer_norm(x)
        return x


class OPTDecoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c['hidden_size']
        proj = c.get('word_embed_proj_dim') or h
        self.embed_tokens = nn.Embedding(c['vocab_size'], proj, c.get('pad_token_id', 1))
        self.embed_positions = OPTLearnedPositionalEmbedding(c.get('max_position_embeddings', 2048), h)
        self.project_out = nn.Linear(h, proj, bias=False) if proj != h else None
        self.project_in = nn.Linear(proj, h, bias=False) if proj != h else None
        if c.get('do_layer_norm_before', True) and not c.get('_remove_final_layer_norm', False):
            self.final_layer_norm = nn.LayerNorm(h, elementwise_affine=c.get('layer_norm_elementwise_affine', True))
        else:
            self.final_layer_norm = None
        self.layers = nn.ModuleList([OPTDecoderLayer(c) for _ in range(c['num_hidden_layers'])])

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        b, t = input_ids.shape
        if attention_mask is None:
            attention_mask = torch.ones(b, t, dtype=torch.long)
        x = self.embed_tokens(input_ids)
        if self.project_in is not None:
            x = self.project_in(x)
        x = x + self.embed_positions(attention_mask, position_ids)
        mask = causal_mask(attention_mask, t, t, x.dtype)
        for layer in self.layers:
            x = layer(x, mask)
        if self.final_layer_norm is not None:
            x = self.final_layer_norm(x)
        if self.project_out is not None:
            x = self.project_out(x)
        return x


class OPTModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.decoder = OPTDecoder(c)

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        return self.decoder(input_ids, attention_mask, position_ids)


class OPTForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.model = OPTModel(c)
        self.lm_head = nn.Linear(c.get('word_embed_proj_dim') or c['hidden_size'], c['vocab_size'], bias=False)
        if c.get('tie_word_embeddings', True):
            self.lm_head.weight = self.model.decoder.embed_tokens.weight

    def forward(self, input_ids, attention_mask=None, position_ids=None, labels=None):
        logits = self.lm_head(self.model(input_ids, attention_mask, position_ids))
        return logits, (causal_lm_loss(logits, labels) if labels is not None else None)


# ---- BERT ----------------------------------------------------------------------------------

class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c['hidden_size']
        self.word_embeddings = nn.Embedding(c['vocab_size'], h, padding_idx=c.get('pad_token_id', 0))
        self.position_embeddings = nn.Embedding(c['max_position_embeddings'], h)
        self.token_type_embeddings = nn.Embedding(c['type_vocab_size'], h)
        self.LayerNorm = nn.LayerNorm(h, eps=c.get('layer_norm_eps', 1e-12))
        self.register_buffer('position_ids', torch.arange(c['max_position_embeddings']).expand((1, -1)), persistent=False)

    def forward(self, input_ids, token_type_ids):
        t = input_ids.shape[1]
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(self.position_ids[:, :t])
        return self.LayerNorm(x)


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c['hidden_size']
        self.num_heads = c['num_attention_heads']
        self.head_dim = h // self.num_heads
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)

    def forward(self, x, mask):
        b, t, _ = x.shape
        q, k, v = (m(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2) for m in (self.query, self.key, self.value))
        w = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
        if mask is not None:
            w = w + mask
        return (w.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1)


class BertSelfOutput(nn.Module):
    def __init__(self, c, inner):
        super().__init__()
        self.dense = nn.Linear(inner, c['hidden_size'])
        self.LayerNorm = nn.LayerNorm(c['hidden_size'], eps=c.get('layer_norm_eps', 1e-12))

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c, c['hidden_size'])

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c['hidden_size'], c['intermediate_size'])
        self.act = ACT[c.get('hidden_act', 'gelu')]

    def forward(self, x):
        return self.act(self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertSelfOutput(c, c['intermediate_size'])

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c['num_hidden_layers'])])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c['hidden_size'], c['hidden_size'])

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)
        self.pooler = BertPooler(c)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        mask = None
        if attention_mask is not None:
            mask = (1.0 - attention_mask[:, None, None, :].float()) * min_value(torch.float32)
        h = self.encoder(self.embeddings(input_ids, token_type_ids), mask)
        return h, (self.pooler(h) if self.pooler is not None else None)


def classification_loss(c, logits, labels):
    n = c.get('num_labels', len(c.get('id2label', {})) or 2)
    problem = c.get('problem_type')
    if problem is None:
        if n == 1:
            problem = 'regression'
        elif labels.dtype in (torch.long, torch.int):
            problem = 'single_label_classification'
        else:
            problem = 'multi_label_classification'
    if problem == 'regression':
        return F.mse_loss(logits.squeeze(), labels.squeeze().float()) if n == 1 else F.mse_loss(logits, labels.float())
    if problem == 'single_label_classification':
        return F.cross_entropy(logits.view(-1, n), labels.view(-1))
    return F.binary_cross_entropy_with_logits(logits, labels.float())


def num_labels(c):
    return c.get('num_labels') or len(c.get('id2label', {})) or 2


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = BertModel(c)
        self.classifier = nn.Linear(c['hidden_size'], num_labels(c))

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        _, pooled = self.bert(input_ids, attention_mask, token_type_ids)
        logits = self.classifier(pooled)
        return logits, (classification_loss(self.config, logits, labels) if labels is not None else None)


# ---- RoBERTa (also XLM-RoBERTa, CamemBERT) ------------------------------------------------

def create_position_ids_from_input_ids(input_ids, padding_idx):
    """Padding ids keep `padding_idx`; the other tokens count on from padding_idx + 1."""
    mask = input_ids.ne(padding_idx).int()
    return (torch.cumsum(mask, dim=1) * mask).long() + padding_idx


class RobertaEmbeddings(BertEmbeddings):
    def __init__(self, c):
        super().__init__(c)
        self.padding_idx = c.get('pad_token_id', 1)
        self.word_embeddings = nn.Embedding(c['vocab_size'], c['hidden_size'], padding_idx=self.padding_idx)
        self.position_embeddings = nn.Embedding(c['max_position_embeddings'], c['hidden_size'], padding_idx=self.padding_idx)

    def forward(self, input_ids, token_type_ids):
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(create_position_ids_from_input_ids(input_ids, self.padding_idx))
        return self.LayerNorm(x)


class RobertaModel(BertModel):
    def __init__(self, c, add_pooling_layer=True):
        super().__init__(c)
        self.embeddings = RobertaEmbeddings(c)
        if not add_pooling_layer:
            self.pooler = None


class RobertaClassificationHead(nn.Module):
    """dense -> tanh -> out_proj on the first token (the dropouts around dense are identity in eval)."""

    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c['hidden_size'], c['hidden_size'])
        self.out_proj = nn.Linear(c['hidden_size'], num_labels(c))

    def forward(self, features):
        return self.out_proj(torch.tanh(self.dense(features[:, 0])))


class RobertaForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.roberta = RobertaModel(c, add_pooling_layer=False)
        self.classifier = RobertaClassificationHead(c)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        h, _ = self.roberta(input_ids, attention_mask, token_type_ids)
        logits = self.classifier(h)
        return logits, (classification_loss(self.config, logits, labels) if labels is not None else None)


# ---- DistilBERT ----------------------------------------------------------------------------

class DistilBertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        if c.get('sinusoidal_pos_embds', False):
            raise ValueError('sinusoidal_pos_embds not in the reference')
        self.word_embeddings = nn.Embedding(c['vocab_size'], c['dim'], padding_idx=c.get('pad_token_id', 0))
        self.position_embeddings = nn.Embedding(c['max_position_embeddings'], c['dim'])
        self.LayerNorm = nn.LayerNorm(c['dim'], eps=1e-12)
        self.register_buffer('position_ids', torch.arange(c['max_position_embeddings']).expand((1, -1)), persistent=False)

    def forward(self, input_ids):
        t = input_ids.shape[1]
        return self.LayerNorm(self.word_embeddings(input_ids) + self.position_embeddings(self.position_ids[:, :t]))


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n_heads = c['n_heads']
        self.dim = c['dim']
        self.q_lin = nn.Linear(self.dim, self.dim)
        self.k_lin = nn.Linear(self.dim, self.dim)
        self.v_lin = nn.Linear(self.dim, self.dim)
        self.out_lin = nn.Linear(self.dim, self.dim)

    def forward(self, x, mask):
        b, t, _ = x.shape
        d = self.dim // self.n_heads
        q, k, v = (m(x).view(b, t, self.n_heads, d).transpose(1, 2) for m in (self.q_lin, self.k_lin, self.v_lin))
        scores = (q / math.sqrt(d)) @ k.transpose(2, 3)
        if mask is not None:  # padding keys (mask 0) to the dtype's minimum
            scores = scores.masked_fill((mask == 0).view(b, 1, 1, t), min_value(scores.dtype))
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, self.dim)
        return self.out_lin(context)


class FFN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.lin1 = nn.Linear(c['dim'], c['hidden_dim'])
        self.lin2 = nn.Linear(c['hidden_dim'], c['dim'])
        self.act = ACT[c.get('activation', 'gelu')]

    def forward(self, x):
        return self.lin2(self.act(self.lin1(x)))


class TransformerBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = MultiHeadSelfAttention(c)
        self.sa_layer_norm = nn.LayerNorm(c['dim'], eps=1e-12)
        self.ffn = FFN(c)
        self.output_layer_norm = nn.LayerNorm(c['dim'], eps=1e-12)

    def forward(self, x, mask):
        sa = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn(sa) + sa)


class Transformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([TransformerBlock(c) for _ in range(c['n_layers'])])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class DistilBertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.embeddings = DistilBertEmbeddings(c)
        self.transformer = Transformer(c)

    def forward(self, input_ids, attention_mask=None):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        return self.transformer(self.embeddings(input_ids), attention_mask), None


class DistilBertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.distilbert = DistilBertModel(c)
        self.pre_classifier = nn.Linear(c['dim'], c['dim'])
        self.classifier = nn.Linear(c['dim'], num_labels(c))

    def forward(self, input_ids, attention_mask=None, labels=None):
        h, _ = self.distilbert(input_ids, attention_mask)
        logits = self.classifier(F.relu(self.pre_classifier(h[:, 0])))
        return logits, (classification_loss(self.config, logits, labels) if labels is not None else None)



# ---- encoder task heads (BERT, RoBERTa, DistilBERT) ------------------------------------------

def token_loss(logits, labels):
    """Masked LM and token classification: cross-entropy over every position, -100 ignored."""
    return F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1), ignore_index=-100)


def span_loss(start_logits, end_logits, start_positions, end_positions):
    """The hub's QA loss: positions clamped to [0, seq], seq ignored, mean of start and end."""
    if start_positions.dim() > 1:
        start_positions = start_positions.squeeze(-1)
    if end_positions.dim() > 1:
        end_positions = end_positions.squeeze(-1)
    ignored = start_logits.size(1)
    start_positions = start_positions.clamp(0, ignored)
    end_positions = end_positions.clamp(0, ignored)
    return (F.cross_entropy(start_logits, start_positions, ignore_index=ignored)
            + F.cross_entropy(end_logits, end_positions, ignore_index=ignored)) / 2


def tie_decoder(c, decoder, embedding):
    if c.get('tie_word_embeddings', True):
        decoder.weight = embedding.weight


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c['hidden_size'], c['hidden_size'])
        self.act = ACT[c.get('hidden_act', 'gelu')]
        self.LayerNorm = nn.LayerNorm(c['hidden_size'], eps=c.get('layer_norm_eps', 1e-12))

    def forward(self, x):
        return self.LayerNorm(self.act(self.dense(x)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = BertPredictionHeadTransform(c)
        self.decoder = nn.Linear(c['hidden_size'], c['vocab_size'], bias=False)
        self.bias = nn.Parameter(torch.zeros(c['vocab_size']))
        self.decoder.bias = self.bias  # tied, as the hub's

    def forward(self, x):
        return self.decoder(self.transform(x))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = BertLMPredictionHead(c)

    def forward(self, x):
        return self.predictions(x)


def encoder_without_pooler(model):
    model.pooler = None
    return model


class BertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = encoder_without_pooler(BertModel(c))
        self.cls = BertOnlyMLMHead(c)
        tie_decoder(c, self.cls.predictions.decoder, self.bert.embeddings.word_embeddings)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        h, _ = self.bert(input_ids, attention_mask, token_type_ids)
        logits = self.cls(h)
        return logits, (token_loss(logits, labels) if labels is not None else None)


class BertForTokenClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = encoder_without_pooler(BertModel(c))
        self.classifier = nn.Linear(c['hidden_size'], num_labels(c))

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        h, _ = self.bert(input_ids, attention_mask, token_type_ids)
        logits = self.classifier(h)
        return logits, (token_loss(logits, labels) if labels is not None else None)


class BertForQuestionAnswering(nn.Module):
    base = 'bert'

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = encoder_without_pooler(BertModel(c))
        self.qa_outputs = nn.Linear(c['hidden_size'], num_labels(c))

    def hidden(self, input_ids, attention_mask, token_type_ids):
        return self.bert(input_ids, attention_mask, token_type_ids)[0]

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, start_positions=None, end_positions=None):
        logits = self.qa_outputs(self.hidden(input_ids, attention_mask, token_type_ids))
        start, end = (t.squeeze(-1).contiguous() for t in logits.split(1, dim=-1))
        loss = span_loss(start, end, start_positions, end_positions) if start_positions is not None else None
        return (start, end), loss


class BertForMultipleChoice(nn.Module):
    """Each choice's pooled output, dropout (identity in eval), classifier hidden -> 1. RoBERTa's
    is this over its own encoder (which keeps its pooler here)."""

    base_name, base_class = 'bert', BertModel

    def __init__(self, c):
        super().__init__()
        self.config = c
        setattr(self, self.base_name, self.base_class(c))
        self.classifier = nn.Linear(c['hidden_size'], 1)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        b, n, t = input_ids.shape
        flat = lambda x: x.reshape(b * n, t) if x is not None else None  # noqa: E731
        _, pooled = getattr(self, self.base_name)(flat(input_ids), flat(attention_mask), flat(token_type_ids))
        logits = self.classifier(pooled).view(b, n)
        return logits, (F.cross_entropy(logits, labels) if labels is not None else None)


class RobertaLMHead(nn.Module):
    """dense -> gelu (always, as the hub's) -> layer_norm -> decoder (tied) + bias."""

    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c['hidden_size'], c['hidden_size'])
        self.layer_norm = nn.LayerNorm(c['hidden_size'], eps=c.get('layer_norm_eps', 1e-12))
        self.decoder = nn.Linear(c['hidden_size'], c['vocab_size'])
        self.bias = nn.Parameter(torch.zeros(c['vocab_size']))
        self.decoder.bias = self.bias

    def forward(self, x):
        return self.decoder(self.layer_norm(F.gelu(self.dense(x))))


class RobertaForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.roberta = RobertaModel(c, add_pooling_layer=False)
        self.lm_head = RobertaLMHead(c)
        tie_decoder(c, self.lm_head.decoder, self.roberta.embeddings.word_embeddings)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        h, _ = self.roberta(input_ids, attention_mask, token_type_ids)
        logits = self.lm_head(h)
        return logits, (token_loss(logits, labels) if labels is not None else None)


class RobertaForTokenClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.roberta = RobertaModel(c, add_pooling_layer=False)
        self.classifier = nn.Linear(c['hidden_size'], num_labels(c))

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        h, _ = self.roberta(input_ids, attention_mask, token_type_ids)
        logits = self.classifier(h)
        return logits, (token_loss(logits, labels) if labels is not None else None)


class RobertaForQuestionAnswering(BertForQuestionAnswering):
    def __init__(self, c):
        nn.Module.__init__(self)
        self.config = c
        self.roberta = RobertaModel(c, add_pooling_layer=False)
        self.qa_outputs = nn.Linear(c['hidden_size'], num_labels(c))

    def hidden(self, input_ids, attention_mask, token_type_ids):
        return self.roberta(input_ids, attention_mask, token_type_ids)[0]


class RobertaForMultipleChoice(BertForMultipleChoice):
    """The hub's: BERT's over RoBERTa's encoder (position ids from the padding idx); its dropout is hidden_dropout_prob."""

    base_name, base_class = 'roberta', RobertaModel


class DistilBertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.distilbert = DistilBertModel(c)
        self.vocab_transform = nn.Linear(c['dim'], c['dim'])
        self.activation = ACT[c.get('activation', 'gelu')]
        self.vocab_layer_norm = nn.LayerNorm(c['dim'], eps=1e-12)
        self.vocab_projector = nn.Linear(c['dim'], c['vocab_size'])
        tie_decoder(c, self.vocab_projector, self.distilbert.embeddings.word_embeddings)

    def forward(self, input_ids, attention_mask=None, labels=None):
        h, _ = self.distilbert(input_ids, attention_mask)
        logits = self.vocab_projector(self.vocab_layer_norm(self.activation(self.vocab_transform(h))))
        return logits, (token_loss(logits, labels) if labels is not None else None)


class DistilBertForTokenClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.distilbert = DistilBertModel(c)
        self.classifier = nn.Linear(c['dim'], num_labels(c))

    def forward(self, input_ids, attention_mask=None, labels=None):
        h, _ = self.distilbert(input_ids, attention_mask)
        logits = self.classifier(h)
        return logits, (token_loss(logits, labels) if labels is not None else None)


class DistilBertForQuestionAnswering(BertForQuestionAnswering):
    def __init__(self, c):
        nn.Module.__init__(self)
        self.config = c
        self.distilbert = DistilBertModel(c)
        self.qa_outputs = nn.Linear(c['dim'], num_labels(c))

    def hidden(self, input_ids, attention_mask, token_type_ids):
        return self.distilbert(input_ids, attention_mask)[0]


class DistilBertForMultipleChoice(nn.Module):
    """The hub's: each choice's first token through pre_classifier, ReLU, dropout
    (seq_classif_dropout, identity in eval) and classifier dim -> 1."""

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.distilbert = DistilBertModel(c)
        self.pre_classifier = nn.Linear(c['dim'], c['dim'])
        self.classifier = nn.Linear(c['dim'], 1)

    def forward(self, input_ids, attention_mask=None, labels=None):
        b, n, t = input_ids.shape
        flat = lambda x: x.reshape(b * n, t) if x is not None else None  # noqa: E731
        h, _ = self.distilbert(flat(input_ids), flat(attention_mask))
        logits = self.classifier(F.relu(self.pre_classifier(h[:, 0]))).view(b, n)
        return logits, (F.cross_entropy(logits, labels) if labels is not None else None)


# Keys a checkpoint may leave out because they share another's tensor (tied heads).
TIED_KEYS = ('lm_head.weight', 'embed_out.weight', 'cls.predictions.decoder.weight', 'cls.predictions.decoder.bias',
             'lm_head.decoder.weight', 'lm_head.decoder.bias', 'vocab_projector.weight')
DECODER_BIAS_ALIASES = {'cls.predictions.decoder.bias': 'cls.predictions.bias', 'lm_head.decoder.bias': 'lm_head.bias'}

# ---- ViT -----------------------------------------------------------------------------------

class ViTPatchEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        p = c['patch_size']
        self.projection = nn.Conv2d(c.get('num_channels', 3), c['hidden_size'], kernel_size=p, stride=p)

    def forward(self, x):
        return self.projection(x).flatten(2).transpose(1, 2)


def interpolate_pos_encoding(table, height, width, patch):
    """The hub's interpolate_pos_encoding (ViT, CLIP): the class position, then the patch grid's
    resized bicubically (align_corners False) to the image's patches; unchanged for the trained size."""
    n = table.shape[1] - 1
    new_h, new_w = height // patch, width // patch
    if new_h * new_w == n and height == width:
        return table
    side = int(n ** 0.5)
    grid = table[:, 1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
    grid = nn.functional.interpolate(grid, size=(new_h, new_w), mode='bicubic', align_corners=False)
    return torch.cat([table[:, :1], grid.permute(0, 2, 3, 1).reshape(1, new_h * new_w, -1)], dim=1)


class ViTEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        n = (c['image_size'] // c['patch_size']) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, c['hidden_size']))
        self.patch_embeddings = ViTPatchEmbeddings(c)
        self.position_embeddings = nn.Parameter(torch.zeros(1, n + 1, c['hidden_size']))
        self.patch_size = c['patch_size']

    def forward(self, pixels, interpolate=False):
        x = self.patch_embeddings(pixels)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        table = self.position_embeddings
        if interpolate:
            table = interpolate_pos_encoding(table, pixels.shape[2], pixels.shape[3], self.patch_size)
        return x + table


class ViTSelfAttention(BertSelfAttention):
    def __init__(self, c):
        super().__init__(c)
        h = c['hidden_size']
        bias = c.get('qkv_bias', True)
        self.query = nn.Linear(h, h, bias=bias)
        self.key = nn.Linear(h, h, bias=bias)
        self.value = nn.Linear(h, h, bias=bias)


class ViTSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c['hidden_size'], c['hidden_size'])

    def forward(self, x):
        return self.dense(x)


class ViTAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = ViTSelfAttention(c)
        self.output = ViTSelfOutput(c)

    def forward(self, x):
        return self.output(self.attention(x, None))


class ViTOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c['intermediate_size'], c['hidden_size'])

    def forward(self, x, residual):
        return self.dense(x) + residual


class ViTLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        eps = c.get('layer_norm_eps', 1e-12)
        self.attention = ViTAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = ViTOutput(c)
        self.layernorm_before = nn.LayerNorm(c['hidden_size'], eps=eps)
        self.layernorm_after = nn.LayerNorm(c['hidden_size'], eps=eps)

    def forward(self, x):
        x = self.attention(self.layernorm_before(x)) + x
        return self.output(self.intermediate(self.layernorm_after(x)), x)


class ViTEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([ViTLayer(c) for _ in range(c['num_hidden_layers'])])

    def forward(self, x):
        for layer in self.layer:
            x = layer(x)
        return x


class ViTModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = ViTEmbeddings(c)
        self.encoder = ViTEncoder(c)
        self.layernorm = nn.LayerNorm(c['hidden_size'], eps=c.get('layer_norm_eps', 1e-12))

    def forward(self, pixels, interpolate=False):
        return self.layernorm(self.encoder(self.embeddings(pixels, interpolate)))


class ViTForImageClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.vit = ViTModel(c)
        self.classifier = nn.Linear(c['hidden_size'], num_labels(c))

    def forward(self, pixel_values, labels=None, interpolate_pos_encoding=False):
        logits = self.classifier(self.vit(pixel_values, interpolate_pos_encoding)[:, 0])
        return logits, (classification_loss(self.config, logits, labels) if labels is not None else None)


# ---- CLIP ----------------------------------------------------------------------------------

CLIP_TEXT_DEFAULTS = {'vocab_size': 49408, 'hidden_size': 512, 'intermediate_size': 2048, 'projection_dim': 512,
                      'num_hidden_layers': 12, 'num_attention_heads': 8, 'max_position_embeddings': 77,
                      'hidden_act': 'quick_gelu', 'layer_norm_eps': 1e-5, 'attention_dropout': 0.0,
                      'eos_token_id': 49407}
CLIP_VISION_DEFAULTS = {'hidden_size': 768, 'intermediate_size': 3072, 'projection_dim': 512, 'num_hidden_layers': 12,
                        'num_attention_heads': 12, 'num_channels': 3, 'image_size': 224, 'patch_size': 32,
                        'hidden_act': 'quick_gelu', 'layer_norm_eps': 1e-5, 'attention_dropout': 0.0}
CLIP_ACT = {**ACT, 'quick_gelu': lambda x: x * torch.sigmoid(1.702 * x)}


def clip_sub_config(c, key, defaults):
    """A tower's config: the `text_config` / `vision_config` of a CLIPConfig, or the config itself."""
    return {**defaults, **(c.get(key) or (c if key not in c else {}))}


class CLIPAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c['hidden_size']
        self.num_heads = c['num_attention_heads']
        self.head_dim = h // self.num_heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(h, h) for _ in range(4))

    def forward(self, x, mask):
        b, t, _ = x.shape
        q, k, v = (m(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2) for m in (self.q_proj, self.k_proj, self.v_proj))
        w = q @ k.transpose(-1, -2) * self.head_dim ** -0.5
        if mask is not None:
            w = w + mask
        return self.out_proj((w.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1))


class CLIPMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.act = CLIP_ACT[c['hidden_act']]
        self.fc1 = nn.Linear(c['hidden_size'], c['intermediate_size'])
        self.fc2 = nn.Linear(c['intermediate_size'], c['hidden_size'])

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class CLIPEncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, eps = c['hidden_size'], c['layer_norm_eps']
        self.self_attn = CLIPAttention(c)
        self.layer_norm1 = nn.LayerNorm(h, eps=eps)
        self.mlp = CLIPMLP(c)
        self.layer_norm2 = nn.LayerNorm(h, eps=eps)

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class CLIPEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList([CLIPEncoderLayer(c) for _ in range(c['num_hidden_layers'])])

    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x, mask)
        return x


class CLIPTextEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.token_embedding = nn.Embedding(c['vocab_size'], c['hidden_size'])
        self.position_embedding = nn.Embedding(c['max_position_embeddings'], c['hidden_size'])
        self.register_buffer('position_ids', torch.arange(c['max_position_embeddings']).expand((1, -1)), persistent=False)

    def forward(self, input_ids):
        return self.token_embedding(input_ids) + self.position_embedding(self.position_ids[:, :input_ids.shape[1]])


class CLIPTextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.eos_token_id = c['eos_token_id']
        self.embeddings = CLIPTextEmbeddings(c)
        self.encoder = CLIPEncoder(c)
        self.final_layer_norm = nn.LayerNorm(c['hidden_size'], eps=c['layer_norm_eps'])

    def forward(self, input_ids, attention_mask=None):
        x = self.embeddings(input_ids)
        t = input_ids.shape[1]
        # The causal mask plus the expanded padding mask, both additive (finfo.min), as the hub adds them.
        mask = torch.full((t, t), min_value(x.dtype)).triu(1)[None, None]
        if attention_mask is not None:
            mask = mask + (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * min_value(x.dtype)
        hidden = self.final_layer_norm(self.encoder(x, mask))
        ids = input_ids.to(torch.int)
        # eos_token_id 2 (configs before the hub's fix): the largest id's position; else the first eos_token_id.
        at = ids.argmax(-1) if self.eos_token_id == 2 else (ids == self.eos_token_id).int().argmax(-1)
        return hidden, hidden[torch.arange(hidden.shape[0]), at]


class CLIPVisionEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, p = c['hidden_size'], c['patch_size']
        self.class_embedding = nn.Parameter(torch.randn(h))
        self.patch_embedding = nn.Conv2d(c['num_channels'], h, kernel_size=p, stride=p, bias=False)
        n = (c['image_size'] // p) ** 2 + 1
        self.position_embedding = nn.Embedding(n, h)
        self.register_buffer('position_ids', torch.arange(n).expand((1, -1)), persistent=False)
        self.patch_size = p

    def forward(self, pixels, interpolate=False):
        x = self.patch_embedding(pixels).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_embedding.expand(x.shape[0], 1, -1), x], dim=1)
        if interpolate:
            return x + interpolate_pos_encoding(self.position_embedding.weight.unsqueeze(0), pixels.shape[2], pixels.shape[3], self.patch_size)
        return x + self.position_embedding(self.position_ids)


class CLIPVisionTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, eps = c['hidden_size'], c['layer_norm_eps']
        self.embeddings = CLIPVisionEmbeddings(c)
        self.pre_layrnorm = nn.LayerNorm(h, eps=eps)
        self.encoder = CLIPEncoder(c)
        self.post_layernorm = nn.LayerNorm(h, eps=eps)

    def forward(self, pixels, interpolate=False):
        hidden = self.encoder(self.pre_layrnorm(self.embeddings(pixels, interpolate)))
        return hidden, self.post_layernorm(hidden[:, 0])


def clip_loss(logits_per_text):
    """The symmetric contrastive loss: cross-entropy over texts and over images, averaged."""
    target = torch.arange(len(logits_per_text))
    return (F.cross_entropy(logits_per_text, target) + F.cross_entropy(logits_per_text.t(), target)) / 2


class CLIPModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        tc = clip_sub_config(c, 'text_config', CLIP_TEXT_DEFAULTS)
        vc = clip_sub_config(c, 'vision_config', CLIP_VISION_DEFAULTS)
        d = c.get('projection_dim', 512)
        self.text_model = CLIPTextTransformer(tc)
        self.vision_model = CLIPVisionTransformer(vc)
        self.visual_projection = nn.Linear(vc['hidden_size'], d, bias=False)
        self.text_projection = nn.Linear(tc['hidden_size'], d, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(float(c.get('logit_scale_init_value', 2.6592))))

    def get_text_features(self, input_ids, attention_mask=None):
        return self.text_projection(self.text_model(input_ids, attention_mask)[1])

    def get_image_features(self, pixel_values, interpolate_pos_encoding=False):
        return self.visual_projection(self.vision_model(pixel_values, interpolate_pos_encoding)[1])

    def forward(self, input_ids, pixel_values, attention_mask=None, return_loss=False, interpolate_pos_encoding=False):
        """(logits_per_image, logits_per_text, text_embeds, image_embeds, loss or None)."""
        image = self.get_image_features(pixel_values, interpolate_pos_encoding)
        text = self.get_text_features(input_ids, attention_mask)
        image = image / image.pow(2).sum(-1, keepdim=True).pow(0.5)
        text = text / text.pow(2).sum(-1, keepdim=True).pow(0.5)
        logits_per_text = text @ image.t() * self.logit_scale.exp()
        loss = clip_loss(logits_per_text) if return_loss else None
        return logits_per_text.t(), logits_per_text, text, image, loss


class CLIPTextModelWithProjection(nn.Module):
    def __init__(self, c):
        super().__init__()
        tc = clip_sub_config(c, 'text_config', CLIP_TEXT_DEFAULTS)
        self.text_model = CLIPTextTransformer(tc)
        self.text_projection = nn.Linear(tc['hidden_size'], tc['projection_dim'], bias=False)

    def forward(self, input_ids, attention_mask=None):
        """(text_embeds, last_hidden_state)."""
        hidden, pooled = self.text_model(input_ids, attention_mask)
        return self.text_projection(pooled), hidden


class CLIPVisionModelWithProjection(nn.Module):
    def __init__(self, c):
        super().__init__()
        vc = clip_sub_config(c, 'vision_config', CLIP_VISION_DEFAULTS)
        self.vision_model = CLIPVisionTransformer(vc)
        self.visual_projection = nn.Linear(vc['hidden_size'], vc['projection_dim'], bias=False)

    def forward(self, pixel_values):
        """(image_embeds, last_hidden_state)."""
        hidden, pooled = self.vision_model(pixel_values)
        return self.visual_projection(pooled), hidden


# ---- T5 (also mT5): encoder-decoder -------------------------------------------------------

def t5_settings(c):
    """The hub's T5Config facts: feed_forward_proj 'ACT' or 'gated-ACT' ('gated-gelu' is the tanh gelu)."""
    proj = c.get('feed_forward_proj', 'relu')
    parts = proj.split('-')
    if len(parts) > 2 or (len(parts) == 2 and parts[0] != 'gated'):
        raise ValueError(f'feed_forward_proj {proj!r}')
    act = 'gelu_new' if proj == 'gated-gelu' else parts[-1]
    return {'gated': len(parts) == 2, 'act': act, 'inner': c['num_heads'] * c['d_kv'],
            'decoder_layers': c.get('num_decoder_layers') or c['num_layers'],
            'buckets': c.get('relative_attention_num_buckets', 32),
            'max_distance': c.get('relative_attention_max_distance', 128),
            'eps': c.get('layer_norm_epsilon', 1e-6), 'dropout': c.get('dropout_rate', 0.1),
            'tied': c.get('tie_word_embeddings', True)}


def t5_relative_bucket(relative_position, bidirectional, num_buckets, max_distance):
    """T5's bucket of each relative position (key - query): exact below max_exact, then log-spaced
    up to max_distance, clamped to the last bucket; the bidirectional form spends half the buckets
    on positive offsets."""
    buckets = torch.zeros_like(relative_position)
    if bidirectional:
        num_buckets //= 2
        buckets += (relative_position > 0).long() * num_buckets
        n = relative_position.abs()
    else:
        n = -torch.min(relative_position, torch.zeros_like(relative_position))
    max_exact = num_buckets // 2
    large = max_exact + (torch.log(n.float() / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return buckets + torch.where(n < max_exact, n, large)


class T5LayerNorm(nn.Module):
    """RMS norm without mean or bias, the variance in float32."""
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        var = x.float().pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(var + self.eps)
        if self.weight.dtype in (torch.float16, torch.bfloat16):
            x = x.to(self.weight.dtype)
        return self.weight * x


class T5Attention(nn.Module):
    def __init__(self, c, s, is_decoder, has_bias):
        super().__init__()
        self.heads, self.d_kv, self.is_decoder, self.s = c['num_heads'], c['d_kv'], is_decoder, s
        self.q = nn.Linear(c['d_model'], s['inner'], bias=False)
        self.k = nn.Linear(c['d_model'], s['inner'], bias=False)
        self.v = nn.Linear(c['d_model'], s['inner'], bias=False)
        self.o = nn.Linear(s['inner'], c['d_model'], bias=False)
        if has_bias:
            self.relative_attention_bias = nn.Embedding(s['buckets'], self.heads)

    def compute_bias(self, q_len, k_len):
        rel = torch.arange(k_len)[None, :] - torch.arange(q_len)[:, None]
        b = t5_relative_bucket(rel, not self.is_decoder, self.s['buckets'], self.s['max_distance'])
        return self.relative_attention_bias(b).permute(2, 0, 1)[None]  # [1, H, q, k]

    def forward(self, x, mask, kv=None, position_bias=None):
        """mask: additive [B, 1, q|1, k]; kv: the encoder's states for cross-attention; returns (out, bias)."""
        b, t, _ = x.shape
        src = x if kv is None else kv

        def split(m, y):
            return m(y).view(b, -1, self.heads, self.d_kv).transpose(1, 2)
        q, k, v = split(self.q, x), split(self.k, src), split(self.v, src)
        scores = q @ k.transpose(-1, -2)  # no 1/sqrt(d) scaling
        if position_bias is None:
            if hasattr(self, 'relative_attention_bias'):
                position_bias = self.compute_bias(t, k.shape[2])
            else:
                position_bias = torch.zeros(1, self.heads, t, k.shape[2], dtype=scores.dtype)
            position_bias = position_bias + mask
        w = F.softmax((scores + position_bias).float(), dim=-1).type_as(scores)
        w = F.dropout(w, self.s['dropout'], self.training)
        out = (w @ v).transpose(1, 2).reshape(b, t, -1)
        return self.o(out), position_bias


class T5LayerSelfAttention(nn.Module):
    def __init__(self, c, s, is_decoder, has_bias):
        super().__init__()
        self.SelfAttention = T5Attention(c, s, is_decoder, has_bias)
        self.layer_norm = T5LayerNorm(c['d_model'], s['eps'])
        self.p = s['dropout']

    def forward(self, x, mask, position_bias):
        y, position_bias = self.SelfAttention(self.layer_norm(x), mask, position_bias=position_bias)
        return x + F.dropout(y, self.p, self.training), position_bias


class T5LayerCrossAttention(nn.Module):
    def __init__(self, c, s):
        super().__init__()
        self.EncDecAttention = T5Attention(c, s, True, False)
        self.layer_norm = T5LayerNorm(c['d_model'], s['eps'])
        self.p = s['dropout']

    def forward(self, x, kv, mask, position_bias):
        y, position_bias = self.EncDecAttention(self.layer_norm(x), mask, kv=kv, position_bias=position_bias)
        return x + F.dropout(y, self.p, self.training), position_bias


class T5DenseActDense(nn.Module):
    def __init__(self, c, s):
        super().__init__()
        if s['gated']:
            self.wi_0 = nn.Linear(c['d_model'], c['d_ff'], bias=False)
            self.wi_1 = nn.Linear(c['d_model'], c['d_ff'], bias=False)
        else:
            self.wi = nn.Linear(c['d_model'], c['d_ff'], bias=False)
        self.wo = nn.Linear(c['d_ff'], c['d_model'], bias=False)
        self.act, self.gated, self.p = ACT[s['act']], s['gated'], s['dropout']

    def forward(self, x):
        h = self.act(self.wi_0(x)) * self.wi_1(x) if self.gated else self.act(self.wi(x))
        return self.wo(F.dropout(h, self.p, self.training))


class T5LayerFF(nn.Module):
    def __init__(self, c, s):
        super().__init__()
        self.DenseReluDense = T5DenseActDense(c, s)
        self.layer_norm = T5LayerNorm(c['d_model'], s['eps'])
        self.p = s['dropout']

    def forward(self, x):
        return x + F.dropout(self.DenseReluDense(self.layer_norm(x)), self.p, self.training)


class T5Block(nn.Module):
    def __init__(self, c, s, is_decoder, has_bias):
        super().__init__()
        layers = [T5LayerSelfAttention(c, s, is_decoder, has_bias)]
        if is_decoder:
            layers.append(T5LayerCrossAttention(c, s))
        layers.append(T5LayerFF(c, s))
        self.layer = nn.ModuleList(layers)

    def forward(self, x, mask, bias, enc=None, enc_mask=None, enc_bias=None):
        x, bias = self.layer[0](x, mask, bias)
        if enc is not None:
            x, enc_bias = self.layer[1](x, enc, enc_mask, enc_bias)
        return self.layer[-1](x), bias, enc_bias


def additive(mask, dtype):
    return (1.0 - mask[:, None, None, :].to(dtype)) * min_value(dtype)


class T5Stack(nn.Module):
    """The token embedding is the model's `shared` (passed in, so the stack holds no copy of it)."""
    def __init__(self, c, s, is_decoder):
        super().__init__()
        n = s['decoder_layers'] if is_decoder else c['num_layers']
        self.block = nn.ModuleList([T5Block(c, s, is_decoder, i == 0) for i in range(n)])
        self.final_layer_norm = T5LayerNorm(c['d_model'], s['eps'])
        self.is_decoder, self.p = is_decoder, s['dropout']

    def forward(self, embed, input_ids, attention_mask=None, enc=None, enc_mask=None):
        b, t = input_ids.shape
        x = F.dropout(embed(input_ids), self.p, self.training)
        if attention_mask is None:
            attention_mask = torch.ones(b, t, dtype=torch.long)
        mask = additive(attention_mask, x.dtype)
        if self.is_decoder:
            causal = torch.arange(t)[None, :] <= torch.arange(t)[:, None]
            mask = mask + (1.0 - causal[None, None].to(x.dtype)) * min_value(x.dtype)
        em = None
        if enc is not None:
            em = additive(enc_mask if enc_mask is not None else torch.ones(enc.shape[:2], dtype=torch.long), x.dtype)
        bias = enc_bias = None
        for blk in self.block:
            x, bias, enc_bias = blk(x, mask, bias, enc, em, enc_bias)
        return F.dropout(self.final_layer_norm(x), self.p, self.training)


def t5_shift_right(labels, start, pad):
    """Decoder inputs from labels: the start token, then the labels but the last; -100 becomes pad."""
    shifted = torch.cat([torch.full_like(labels[:, :1], start), labels[:, :-1]], 1)
    return shifted.masked_fill(shifted == -100, pad)


class T5EncoderModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.s = t5_settings(c)
        self.shared = nn.Embedding(c['vocab_size'], c['d_model'])
        self.encoder = T5Stack(c, self.s, False)

    def forward(self, input_ids, attention_mask=None):
        return self.encoder(self.shared, input_ids, attention_mask)


class T5ForConditionalGeneration(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c, self.s = c, t5_settings(c)
        self.shared = nn.Embedding(c['vocab_size'], c['d_model'])
        self.encoder = T5Stack(c, self.s, False)
        self.decoder = T5Stack(c, self.s, True)
        self.lm_head = nn.Linear(c['d_model'], c['vocab_size'], bias=False)
        if self.s['tied']:
            self.lm_head.weight = self.shared.weight

    def encode(self, input_ids, attention_mask=None):
        return self.encoder(self.shared, input_ids, attention_mask)

    def forward(self, input_ids, attention_mask=None, labels=None, decoder_input_ids=None,
                decoder_attention_mask=None, encoder_outputs=None, position_ids=None):
        """(logits, loss); `position_ids` is accepted and unused (T5's positions are relative)."""
        enc = encoder_outputs if encoder_outputs is not None else self.encode(input_ids, attention_mask)
        if decoder_input_ids is None:
            decoder_input_ids = t5_shift_right(labels, self.c.get('decoder_start_token_id', 0), self.c.get('pad_token_id', 0))
        h = self.decoder(self.shared, decoder_input_ids, decoder_attention_mask, enc, attention_mask)
        if self.s['tied']:
            h = h * self.c['d_model'] ** -0.5
        logits = self.lm_head(h)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), labels.view(-1), ignore_index=-100)
        return logits, loss


@torch.no_grad()
def seq2seq_greedy(model, input_ids, new_tokens, attention_mask=None, eos=None, pad=0):
    """Greedy decoding from decoder_start_token_id, the encoder run once, the decoder recomputed
    each step (no cache); rows that emitted eos get pad. Returns the decoder sequences."""
    enc = model.encode(input_ids, attention_mask)
    start = model.c.get('decoder_start_token_id', 0)
    dec = torch.full((input_ids.shape[0], 1), start, dtype=torch.long)
    done = torch.zeros(input_ids.shape[0], dtype=torch.bool)
    for _ in range(new_tokens):
        logits, _ = model(None, attention_mask, decoder_input_ids=dec, encoder_outputs=enc)
        nxt = logits[:, -1].argmax(-1)
        if eos is not None:
            nxt = torch.where(done, torch.tensor(pad), nxt)
        dec = torch.cat([dec, nxt[:, None]], 1)
        if eos is not None:
            done = done | (nxt == eos)
            if done.all():
                break
    return dec


# ---- building, loading, generating ---------------------------------------------------------

ARCHITECTURES = {
    'GPT2LMHeadModel': GPT2LMHeadModel,
    'GPTNeoXForCausalLM': GPTNeoXForCausalLM,
    'OPTForCausalLM': OPTForCausalLM,
    'LlamaForCausalLM': LlamaForCausalLM,
    'Qwen2ForCausalLM': LlamaForCausalLM,
    'MistralForCausalLM': LlamaForCausalLM,
    'GemmaForCausalLM': LlamaForCausalLM,
    'Phi3ForCausalLM': LlamaForCausalLM,
    'Qwen3ForCausalLM': LlamaForCausalLM,
    'Gemma2ForCausalLM': Gemma2ForCausalLM,
    'MixtralForCausalLM': MixtralForCausalLM,
    'Qwen2MoeForCausalLM': Qwen2MoeForCausalLM,
    'PhiForCausalLM': PhiForCausalLM,
    'BertModel': BertModel,
    'BertForSequenceClassification': BertForSequenceClassification,
    'RobertaModel': RobertaModel,
    'RobertaForSequenceClassification': RobertaForSequenceClassification,
    'DistilBertModel': DistilBertModel,
    'DistilBertForSequenceClassification': DistilBertForSequenceClassification,
    'BertForMaskedLM': BertForMaskedLM,
    'BertForTokenClassification': BertForTokenClassification,
    'BertForQuestionAnswering': BertForQuestionAnswering,
    'BertForMultipleChoice': BertForMultipleChoice,
    'RobertaForMaskedLM': RobertaForMaskedLM,
    'RobertaForTokenClassification': RobertaForTokenClassification,
    'RobertaForQuestionAnswering': RobertaForQuestionAnswering,
    'RobertaForMultipleChoice': RobertaForMultipleChoice,
    'DistilBertForMaskedLM': DistilBertForMaskedLM,
    'DistilBertForTokenClassification': DistilBertForTokenClassification,
    'DistilBertForQuestionAnswering': DistilBertForQuestionAnswering,
    'DistilBertForMultipleChoice': DistilBertForMultipleChoice,
    'ViTForImageClassification': ViTForImageClassification,
    'CLIPModel': CLIPModel,
    'CLIPTextModelWithProjection': CLIPTextModelWithProjection,
    'CLIPVisionModelWithProjection': CLIPVisionModelWithProjection,
    'T5ForConditionalGeneration': T5ForConditionalGeneration,
    'MT5ForConditionalGeneration': T5ForConditionalGeneration,
    'T5EncoderModel': T5EncoderModel,
}


def from_pretrained(directory):
    """Build the reference model a hub-layout directory names and load its weights strictly
    (keys with or without the base prefix; the tied head may be absent)."""
    import os
    with open(os.path.join(directory, 'config.json')) as f:
        c = json.load(f)
    model = ARCHITECTURES[c['architectures'][0]](c)
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_checkpoint(directory).items()}
    own = model.state_dict()
    fixed = {}
    for k, v in state.items():
        if k in DECODER_BIAS_ALIASES:  # the same tensor as the head's bias: load it under that name
            k = DECODER_BIAS_ALIASES[k]
        if k in own:
            fixed[k] = v
        elif 'transformer.' + k in own:
            fixed['transformer.' + k] = v
        elif 'model.' + k in own:  # OPT's checkpoints as facebook/opt-* store them, without `model.`
            fixed['model.' + k] = v
    for k in own:
        if k not in fixed and k in TIED_KEYS:  # tied heads (GPT-NeoX's is embed_out; the encoders' decoders)
            continue
        if k not in fixed:
            raise KeyError(f'{directory}: missing {k}')
    model.load_state_dict(fixed, strict=False)
    return model.eval()


@torch.no_grad()
def greedy(model, input_ids, new_tokens, attention_mask=None, eos=None, pad=None):
    """Greedy continuation recomputing the whole sequence each step (no cache)."""
    ids = input_ids.clone()
    mask = attention_mask.clone() if attention_mask is not None else torch.ones_like(ids)
    done = torch.zeros(ids.shape[0], dtype=torch.bool)
    for _ in range(new_tokens):
        logits, _ = model(ids, attention_mask=mask, position_ids=positions_from_mask(mask))
        nxt = logits[:, -1].argmax(-1)
        if eos is not None:
            nxt = torch.where(done, torch.tensor(pad), nxt)
        ids = torch.cat([ids, nxt[:, None]], 1)
        mask = torch.cat([mask, torch.ones_like(nxt[:, None])], 1)
        if eos is not None:
            done = done | (nxt == eos)
            if done.all():
                break
    return ids


# ---- Whisper -------------------------------------------------------------------------------
# The hub's modeling_whisper.py in plain PyTorch: conv1 (k3, pad 1) + GELU, conv2 (k3, stride 2,
# pad 1) + GELU, the stored sinusoidal `embed_positions` (frozen), pre-LN encoder and decoder
# layers, attention with q/v/out biases but a bias-free k_proj and q scaled by head_dim**-0.5,
# learned decoder positions, a final `layer_norm` per stack, `proj_out` tied to
# `embed_tokens`; labels shifted right after decoder_start_token_id (-100 as the pad token).
# And WhisperFeatureExtractor's log-mel spectrogram (slaney mel filters, periodic Hann window,
# centred reflect-padded STFT, the last frame dropped, log10, max - 8 floor, (x + 4) / 4).

def whisper_sinusoids(length, channels, max_timescale=10000):
    inc = math.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2))
    t = torch.arange(length)[:, None] * inv[None, :]
    return torch.cat([t.sin(), t.cos()], dim=1)


class WhisperAttention(nn.Module):
    def __init__(self, d, heads, dropout):
        super().__init__()
        self.heads, self.head_dim, self.p = heads, d // heads, dropout
        self.scaling = self.head_dim ** -0.5
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d)
        self.q_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, kv=None, mask=None):
        src = x if kv is None else kv
        q = self.split(self.q_proj(x) * self.scaling)
        k, v = self.split(self.k_proj(src)), self.split(self.v_proj(src))
        w = q @ k.transpose(-1, -2)
        if mask is not None:
            w = w + mask
        w = F.dropout(w.softmax(-1), self.p, self.training)
        o = (w @ v).transpose(1, 2)
        return self.out_proj(o.reshape(o.shape[0], o.shape[1], -1))


class WhisperEncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c['d_model']
        self.self_attn = WhisperAttention(d, c['encoder_attention_heads'], c.get('attention_dropout', 0.0))
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, c['encoder_ffn_dim'])
        self.fc2 = nn.Linear(c['encoder_ffn_dim'], d)
        self.final_layer_norm = nn.LayerNorm(d)
        self.act, self.p, self.pa = ACT[c.get('activation_function', 'gelu')], c.get('dropout', 0.0), c.get('activation_dropout', 0.0)

    def forward(self, x):
        x = x + F.dropout(self.self_attn(self.self_attn_layer_norm(x)), self.p, self.training)
        h = F.dropout(self.act(self.fc1(self.final_layer_norm(x))), self.pa, self.training)
        return x + F.dropout(self.fc2(h), self.p, self.training)


class WhisperDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, heads = c['d_model'], c['decoder_attention_heads']
        self.self_attn = WhisperAttention(d, heads, c.get('attention_dropout', 0.0))
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.encoder_attn = WhisperAttention(d, heads, c.get('attention_dropout', 0.0))
        self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, c['decoder_ffn_dim'])
        self.fc2 = nn.Linear(c['decoder_ffn_dim'], d)
        self.final_layer_norm = nn.LayerNorm(d)
        self.act, self.p, self.pa = ACT[c.get('activation_function', 'gelu')], c.get('dropout', 0.0), c.get('activation_dropout', 0.0)

    def forward(self, x, mask, enc):
        x = x + F.dropout(self.self_attn(self.self_attn_layer_norm(x), mask=mask), self.p, self.training)
        x = x + F.dropout(self.encoder_attn(self.encoder_attn_layer_norm(x), kv=enc), self.p, self.training)
        h = F.dropout(self.act(self.fc1(self.final_layer_norm(x))), self.pa, self.training)
        return x + F.dropout(self.fc2(h), self.p, self.training)


class WhisperEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c['d_model']
        self.conv1 = nn.Conv1d(c['num_mel_bins'], d, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(d, d, kernel_size=3, stride=2, padding=1)
        self.embed_positions = nn.Embedding(c['max_source_positions'], d)
        with torch.no_grad():
            self.embed_positions.weight.copy_(whisper_sinusoids(c['max_source_positions'], d))
        self.embed_positions.requires_grad_(False)
        self.layers = nn.ModuleList([WhisperEncoderLayer(c) for _ in range(c['encoder_layers'])])
        self.layer_norm = nn.LayerNorm(d)
        self.p = c.get('dropout', 0.0)

    def forward(self, features):
        if features.shape[-1] != 2 * self.embed_positions.weight.shape[0]:
            raise ValueError(f'Whisper expects {2 * self.embed_positions.weight.shape[0]} mel frames, got {features.shape[-1]}')
        x = F.gelu(self.conv1(features))
        x = F.gelu(self.conv2(x)).permute(0, 2, 1)
        x = F.dropout(x + self.embed_positions.weight, self.p, self.training)
        for layer in self.layers:
            x = layer(x)
        return self.layer_norm(x)


class WhisperDecoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c['d_model']
        self.embed_tokens = nn.Embedding(c['vocab_size'], d, c['pad_token_id'])
        self.embed_positions = nn.Embedding(c['max_target_positions'], d)
        self.layers = nn.ModuleList([WhisperDecoderLayer(c) for _ in range(c['decoder_layers'])])
        self.layer_norm = nn.LayerNorm(d)
        self.p = c.get('dropout', 0.0)

    def forward(self, ids, enc):
        t = ids.shape[1]
        x = self.embed_tokens(ids) + self.embed_positions.weight[:t]
        x = F.dropout(x, self.p, self.training)
        causal = torch.arange(t)[None, :] <= torch.arange(t)[:, None]
        mask = (1.0 - causal[None, None].to(x.dtype)) * min_value(x.dtype)
        for layer in self.layers:
            x = layer(x, mask, enc)
        return self.layer_norm(x)


class WhisperModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.encoder = WhisperEncoder(c)
        self.decoder = WhisperDecoder(c)


def whisper_shift_right(labels, pad, start):
    shifted = torch.cat([torch.full_like(labels[:, :1], start), labels[:, :-1]], 1)
    return shifted.masked_fill(shifted == -100, pad)


class WhisperForConditionalGeneration(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = WhisperModel(c)
        self.proj_out = nn.Linear(c['d_model'], c['vocab_size'], bias=False)
        self.proj_out.weight = self.model.decoder.embed_tokens.weight

    def encode(self, features):
        return self.model.encoder(features)

    def forward(self, input_features, decoder_input_ids=None, labels=None, encoder_outputs=None, attention_mask=None):
        """(logits, loss); `attention_mask` is accepted and unused, as the hub's Whisper ignores it."""
        enc = encoder_outputs if encoder_outputs is not None else self.encode(input_features)
        if decoder_input_ids is None:
            decoder_input_ids = whisper_shift_right(labels, self.c['pad_token_id'], self.c['decoder_start_token_id'])
        logits = self.proj_out(self.model.decoder(decoder_input_ids, enc))
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100)
        return logits, loss


@torch.no_grad()
def whisper_greedy(model, features, prompt, new_tokens, suppress=(), begin_suppress=()):
    """Greedy decoding after `prompt` ([batch, n] decoder ids), the encoder run once, the decoder
    recomputed each step; `suppress` tokens never come, `begin_suppress` not first."""
    enc = model.encode(features)
    dec = prompt.clone()
    for step in range(new_tokens):
        logits, _ = model(None, decoder_input_ids=dec, encoder_outputs=enc)
        last = logits[:, -1].clone()
        if len(suppress):
            last[:, list(suppress)] = -float('inf')
        if step == 0 and len(begin_suppress):
            last[:, list(begin_suppress)] = -float('inf')
        dec = torch.cat([dec, last.argmax(-1)[:, None]], 1)
    return dec


def hertz_to_mel_slaney(f):
    f = torch.as_tensor(f, dtype=torch.float64)
    mels = 3.0 * f / 200.0
    return torch.where(f >= 1000.0, 15.0 + torch.log(f / 1000.0) * (27.0 / math.log(6.4)), mels)


def mel_to_hertz_slaney(m):
    freq = 200.0 * m / 3.0
    return torch.where(m >= 15.0, 1000.0 * torch.exp(math.log(6.4) / 27.0 * (m - 15.0)), freq)


def mel_filter_bank(num_frequency_bins, num_mel_filters, min_frequency, max_frequency, sampling_rate):
    """transformers' audio_utils.mel_filter_bank with norm='slaney', mel_scale='slaney', in float64:
    [num_frequency_bins, num_mel_filters]."""
    mels = torch.linspace(float(hertz_to_mel_slaney(min_frequency)), float(hertz_to_mel_slaney(max_frequency)),
                          num_mel_filters + 2, dtype=torch.float64)
    filter_freqs = mel_to_hertz_slaney(mels)
    fft_freqs = torch.linspace(0, sampling_rate // 2, num_frequency_bins, dtype=torch.float64)
    diff = filter_freqs[1:] - filter_freqs[:-1]
    slopes = filter_freqs[None, :] - fft_freqs[:, None]
    down = -slopes[:, :-2] / diff[:-1]
    up = slopes[:, 2:] / diff[1:]
    bank = torch.clamp(torch.minimum(down, up), min=0.0)
    enorm = 2.0 / (filter_freqs[2:num_mel_filters + 2] - filter_freqs[:num_mel_filters])
    return bank * enorm[None, :]


def whisper_log_mel(waveform, mel_filters, n_fft=400, hop_length=160, n_samples=480000, dtype=torch.float64):
    """One waveform's log-mel features [n_mels, n_samples // hop_length] as WhisperFeatureExtractor
    computes them (its torch path when dtype is float32): padded or truncated to n_samples with 0."""
    w = torch.zeros(n_samples, dtype=dtype)
    n = min(n_samples, waveform.shape[0])
    w[:n] = waveform[:n].to(dtype)
    window = torch.hann_window(n_fft, dtype=dtype)
    stft = torch.stft(w, n_fft, hop_length, window=window, center=True, pad_mode='reflect', return_complex=True)
    power = stft[..., :-1].abs() ** 2
    mel = mel_filters.to(dtype).T @ power
    log = torch.clamp(mel, min=1e-10).log10()
    log = torch.maximum(log, log.max() - 8.0)
    return (log + 4.0) / 4.0


ARCHITECTURES['WhisperForConditionalGeneration'] = WhisperForConditionalGeneration
TIED_KEYS = TIED_KEYS + ('proj_out.weight',)
