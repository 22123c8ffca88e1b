#!/usr/bin/python3
"""PyTorch fixtures for @tensile/nn's recurrent, attention and transformer layers.

    /usr/bin/python3 tools/sequence_fixtures.py   # writes test/fixtures/sequence-fixtures.safetensors

One safetensors file holds every case. For case `c`:
  c.state.<key>   the module's state dict (loaded into the Tensile module)
  c.in.<name>     the forward inputs (tensors; masks as BOOL or F32)
  c.out.<i>       the forward outputs, flattened in order (LSTM's [out, [h, c]] -> 0, 1, 2)
  c.r.<i>         fixed random weights: loss = sum_i sum(out_i * r_i)
  c.grad.<name>   d loss / d input, for each float input
  c.pgrad.<key>   d loss / d parameter
The metadata entry `cases` is JSON: {case: {kind, args, options, inputs, call, outputs,
stateKeys}} where `options` uses Tensile's camelCase names and `stateKeys` is the module's
state-dict key order.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_fixtures import FIXTURES, save  # noqa: E402

torch.manual_seed(0)
tensors = {}
cases = {}


def flat(outputs):
    out = []
    for o in outputs:
        if isinstance(o, (tuple, list)):
            out.extend(flat(o))
        elif o is not None:
            out.append(o)
    return out


def record(name, kind, args, options, module, inputs, call=None, float_inputs=None):
    """Run `module` on `inputs` (dict, passed in order), store everything under `name`."""
    module.eval()
    call = call or {}
    for k, v in module.state_dict().items():
        tensors[f'{name}.state.{k}'] = v.detach().clone().contiguous()
    leaves = {}
    for k, v in inputs.items():
        if v is None:
            continue
        if v.dtype == torch.float32 and (float_inputs is None or k in float_inputs):
            v = v.detach().clone().requires_grad_(True)
        leaves[k] = v
        tensors[f'{name}.in.{k}'] = v.detach().clone().contiguous()
    result = module(*[leaves.get(k) for k in inputs], **call_kwargs(call, leaves))
    outputs = flat([result] if torch.is_tensor(result) else result)
    loss = 0
    for i, o in enumerate(outputs):
        r = torch.randn(o.shape)
        tensors[f'{name}.out.{i}'] = o.detach().clone().contiguous()
        tensors[f'{name}.r.{i}'] = r
        loss = loss + (o * r).sum()
    loss.backward()
    for k, v in leaves.items():
        if v.requires_grad:
            tensors[f'{name}.grad.{k}'] = v.grad.detach().clone()
    for k, p in module.named_parameters():
        tensors[f'{name}.pgrad.{k}'] = p.grad.detach().clone()
    cases[name] = {'kind': kind, 'args': args, 'options': options, 'inputs': list(k for k in inputs if inputs[k] is not None),
                   'call': call, 'outputs': len(outputs), 'stateKeys': list(module.state_dict().keys())}


def call_kwargs(call, leaves):
    kw = {}
    for k, v in call.items():
        py = {'needWeights': 'need_weights', 'averageAttnWeights': 'average_attn_weights'}.get(k, k)
        kw[py] = v
    return kw


class LSTMWrap(torch.nn.Module):  # (x, h0, c0) -> lstm(x, (h0, c0))
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x, h, c):
        return self.m(x, (h, c))

    def state_dict(self, *a, **k):
        return self.m.state_dict(*a, **k)

    def named_parameters(self, *a, **k):
        return self.m.named_parameters(*a, **k)


def rnn_cases():
    record('rnn_tanh', 'RNN', [3, 4], {'numLayers': 2}, torch.nn.RNN(3, 4, num_layers=2),
           {'x': torch.randn(5, 2, 3), 'h0': torch.randn(2, 2, 4)})
    record('rnn_relu_bf_nobias', 'RNN', [3, 4], {'nonlinearity': 'relu', 'batchFirst': True, 'bias': False},
           torch.nn.RNN(3, 4, nonlinearity='relu', batch_first=True, bias=False), {'x': torch.randn(2, 5, 3)})
    record('rnn_bidir', 'RNN', [3, 4], {'numLayers': 2, 'bidirectional': True},
           torch.nn.RNN(3, 4, num_layers=2, bidirectional=True), {'x': torch.randn(4, 3, 3), 'h0': torch.randn(4, 3, 4)})
    lstm = torch.nn.LSTM(3, 5, num_layers=2)
    h0, c0 = torch.randn(2, 2, 5), torch.randn(2, 2, 5)

    record('lstm', 'LSTM', [3, 5], {'numLayers': 2}, LSTMWrap(lstm), {'x': torch.randn(5, 2, 3), 'h0': h0, 'c0': c0})
    record('lstm_bidir_bf', 'LSTM', [3, 4], {'bidirectional': True, 'batchFirst': True},
           torch.nn.LSTM(3, 4, bidirectional=True, batch_first=True), {'x': torch.randn(2, 4, 3)})
    record('lstm_unbatched', 'LSTM', [3, 4], {}, LSTMWrap(torch.nn.LSTM(3, 4)),
           {'x': torch.randn(4, 3), 'h0': torch.randn(1, 4), 'c0': torch.randn(1, 4)})
    record('gru', 'GRU', [3, 5], {'numLayers': 2}, torch.nn.GRU(3, 5, num_layers=2),
           {'x': torch.randn(5, 2, 3), 'h0': torch.randn(2, 2, 5)})
    record('gru_bidir_bf_nobias', 'GRU', [3, 4], {'bidirectional': True, 'batchFirst': True, 'bias': False, 'numLayers': 2},
           torch.nn.GRU(3, 4, bidirectional=True, batch_first=True, bias=False, num_layers=2), {'x': torch.randn(3, 4, 3)})


def causal(n):
    return torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)


def mha_cases():
    x = torch.randn(4, 2, 8)
    record('mha_self_causal', 'MultiheadAttention', [8, 2], {}, torch.nn.MultiheadAttention(8, 2),
           {'query': x, 'key': x, 'value': x, 'attnMask': causal(4)})
    kpm = torch.tensor([[False, False, True, False, True], [False, False, False, False, False]])
    fmask = torch.randn(3, 5)
    record('mha_cross_bf_kpm', 'MultiheadAttention', [8, 4], {'batchFirst': True, 'bias': False},
           torch.nn.MultiheadAttention(8, 4, batch_first=True, bias=False),
           {'query': torch.randn(2, 3, 8), 'key': torch.randn(2, 5, 8), 'value': torch.randn(2, 5, 8),
            'keyPaddingMask': kpm, 'attnMask': fmask}, call={'averageAttnWeights': False})
    record('mha_3d_mask_noweights', 'MultiheadAttention', [6, 3], {}, torch.nn.MultiheadAttention(6, 3),
           {'query': torch.randn(2, 2, 6), 'key': torch.randn(3, 2, 6), 'value': torch.randn(3, 2, 6),
            'attnMask': torch.randn(6, 2, 3)}, call={'needWeights': False})
    record('mha_unbatched', 'MultiheadAttention', [8, 2], {}, torch.nn.MultiheadAttention(8, 2),
           {'query': torch.randn(3, 8), 'key': torch.randn(4, 8), 'value': torch.randn(4, 8)})


class MHAWrap(torch.nn.Module):
    """Map the fixture's named inputs onto MultiheadAttention's keyword arguments."""

    def __init__(self, m, names):
        super().__init__()
        self.m = m
        self.names = names

    def forward(self, *args, **kw):
        named = dict(zip(self.names, args))
        return self.m(named['query'], named['key'], named['value'], key_padding_mask=named.get('keyPaddingMask'),
                      attn_mask=named.get('attnMask'), **kw)

    def state_dict(self, *a, **k):
        return self.m.state_dict(*a, **k)

    def named_parameters(self, *a, **k):
        return self.m.named_parameters(*a, **k)


class EncWrap(MHAWrap):
    def forward(self, *args, **kw):
        named = dict(zip(self.names, args))
        if isinstance(self.m, torch.nn.TransformerEncoder):
            return self.m(named['src'], mask=named.get('srcMask'), src_key_padding_mask=named.get('srcKeyPaddingMask'))
        return self.m(named['src'], src_mask=named.get('srcMask'), src_key_padding_mask=named.get('srcKeyPaddingMask'))


class DecWrap(MHAWrap):
    def forward(self, *args, **kw):
        named = dict(zip(self.names, args))
        return self.m(named['tgt'], named['memory'], tgt_mask=named.get('tgtMask'), memory_mask=named.get('memoryMask'),
                      tgt_key_padding_mask=named.get('tgtKeyPaddingMask'),
                      memory_key_padding_mask=named.get('memoryKeyPaddingMask'))


class TransformerWrap(MHAWrap):
    def forward(self, *args, **kw):
        named = dict(zip(self.names, args))
        return self.m(named['src'], named['tgt'], src_mask=named.get('srcMask'), tgt_mask=named.get('tgtMask'),
                      memory_mask=named.get('memoryMask'), src_key_padding_mask=named.get('srcKeyPaddingMask'),
                      tgt_key_padding_mask=named.get('tgtKeyPaddingMask'),
                      memory_key_padding_mask=named.get('memoryKeyPaddingMask'))


WRAPPERS = {
    'MultiheadAttention': MHAWrap,
    'TransformerEncoderLayer': EncWrap,
    'TransformerEncoder': EncWrap,
    'TransformerDecoderLayer': DecWrap,
    'TransformerDecoder': DecWrap,
    'Transformer': TransformerWrap,
}

_record = record


def record(name, kind, args, options, module, inputs, call=None, float_inputs=None):  # noqa: F811
    if kind in WRAPPERS:
        module = WRAPPERS[kind](module, list(inputs))
    _record(name, kind, args, options, module, inputs, call, float_inputs)


def transformer_cases():
    record('enc_post_relu_mask', 'TransformerEncoderLayer', [8, 2], {'dimFeedforward': 16, 'dropout': 0},
           torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0),
           {'src': torch.randn(5, 2, 8), 'srcMask': causal(5)})
    kpm = torch.tensor([[False, False, False, True], [False, True, False, False], [False] * 4])
    record('enc_pre_gelu_bf_kpm', 'TransformerEncoderLayer', [8, 4],
           {'dimFeedforward': 12, 'dropout': 0, 'activation': 'gelu', 'normFirst': True, 'batchFirst': True, 'layerNormEps': 1e-6},
           torch.nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, dropout=0.0, activation='gelu', norm_first=True,
                                            batch_first=True, layer_norm_eps=1e-6),
           {'src': torch.randn(3, 4, 8), 'srcKeyPaddingMask': kpm})
    layer = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
    enc = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(8))
    with torch.no_grad():  # make the two copies differ
        for p in enc.layers[1].parameters():
            p.add_(0.1 * torch.randn_like(p))
    kpm = torch.tensor([[False, False, False, False, True], [False, False, True, False, False]])
    record('encoder_stack_norm', 'TransformerEncoder', [8, 2], {'layer': {'dimFeedforward': 16, 'dropout': 0}, 'numLayers': 2, 'norm': True},
           enc, {'src': torch.randn(5, 2, 8), 'srcMask': causal(5), 'srcKeyPaddingMask': kpm})


def square_subsequent(n):
    return torch.nn.Transformer.generate_square_subsequent_mask(n)


def mha_extra_cases():
    """kdim/vdim (separate q/k/v projection weights), add_bias_kv, add_zero_attn, the causal mask."""
    kpm = torch.tensor([[False, True, False, False, False], [False, False, False, True, True]])
    record('mha_kdim_vdim', 'MultiheadAttention', [8, 2], {'kdim': 6, 'vdim': 4},
           torch.nn.MultiheadAttention(8, 2, kdim=6, vdim=4),
           {'query': torch.randn(3, 2, 8), 'key': torch.randn(5, 2, 6), 'value': torch.randn(5, 2, 4), 'keyPaddingMask': kpm})
    record('mha_kdim_bf_nobias', 'MultiheadAttention', [8, 4], {'kdim': 5, 'bias': False, 'batchFirst': True},
           torch.nn.MultiheadAttention(8, 4, kdim=5, bias=False, batch_first=True),
           {'query': torch.randn(2, 3, 8), 'key': torch.randn(2, 4, 5), 'value': torch.randn(2, 4, 8),
            'attnMask': torch.randn(3, 4)})
    x = torch.randn(4, 2, 8)
    kpm = torch.tensor([[False, False, True, False], [False, False, False, True]])
    record('mha_bias_kv', 'MultiheadAttention', [8, 2], {'addBiasKv': True}, torch.nn.MultiheadAttention(8, 2, add_bias_kv=True),
           {'query': x, 'key': x, 'value': x, 'keyPaddingMask': kpm, 'attnMask': causal(4)}, call={'averageAttnWeights': False})
    record('mha_zero_attn_3d_mask', 'MultiheadAttention', [8, 2], {'addZeroAttn': True},
           torch.nn.MultiheadAttention(8, 2, add_zero_attn=True),
           {'query': torch.randn(3, 2, 8), 'key': torch.randn(4, 2, 8), 'value': torch.randn(4, 2, 8),
            'keyPaddingMask': kpm, 'attnMask': torch.randn(4, 3, 4)})
    record('mha_bias_kv_zero_attn_kdim_unbatched', 'MultiheadAttention', [8, 2],
           {'addBiasKv': True, 'addZeroAttn': True, 'kdim': 6, 'vdim': 6},
           torch.nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True, kdim=6, vdim=6),
           {'query': torch.randn(3, 8), 'key': torch.randn(4, 6), 'value': torch.randn(4, 6),
            'keyPaddingMask': torch.tensor([False, False, True, False])})
    x = torch.randn(2, 5, 8)
    record('mha_causal_bf', 'MultiheadAttention', [8, 2], {'batchFirst': True}, torch.nn.MultiheadAttention(8, 2, batch_first=True),
           {'query': x, 'key': x, 'value': x, 'attnMask': square_subsequent(5)}, float_inputs=['query', 'key', 'value'])


def perturbed(stack):
    """Make a stack's layer copies differ, as training would."""
    with torch.no_grad():
        for layer in stack.layers[1:]:
            for p in layer.parameters():
                p.add_(0.1 * torch.randn_like(p))
    return stack


def decoder_cases():
    tkpm = torch.tensor([[False, False, True, False], [False, False, False, True]])
    mkpm = torch.tensor([[False, False, False, True, True], [False, True, False, False, False]])
    record('dec_post_relu_causal_kpm', 'TransformerDecoderLayer', [8, 2], {'dimFeedforward': 16, 'dropout': 0},
           torch.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0),
           {'tgt': torch.randn(4, 2, 8), 'memory': torch.randn(5, 2, 8), 'tgtMask': causal(4),
            'tgtKeyPaddingMask': tkpm, 'memoryKeyPaddingMask': mkpm})
    record('dec_pre_gelu_bf_float_masks', 'TransformerDecoderLayer', [8, 4],
           {'dimFeedforward': 12, 'dropout': 0, 'activation': 'gelu', 'normFirst': True, 'batchFirst': True, 'layerNormEps': 1e-6},
           torch.nn.TransformerDecoderLayer(8, 4, dim_feedforward=12, dropout=0.0, activation='gelu', norm_first=True,
                                            batch_first=True, layer_norm_eps=1e-6),
           {'tgt': torch.randn(2, 3, 8), 'memory': torch.randn(2, 5, 8), 'tgtMask': square_subsequent(3),
            'memoryMask': torch.randn(3, 5), 'memoryKeyPaddingMask': mkpm})
    record('dec_post_unbatched', 'TransformerDecoderLayer', [8, 2], {'dimFeedforward': 16, 'dropout': 0},
           torch.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0),
           {'tgt': torch.randn(3, 8), 'memory': torch.randn(4, 8), 'tgtMask': causal(3),
            'memoryKeyPaddingMask': torch.tensor([False, True, False, False])})
    dec = perturbed(torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0), 2,
                                                norm=torch.nn.LayerNorm(8)))
    record('decoder_stack_norm', 'TransformerDecoder', [8, 2], {'layer': {'dimFeedforward': 16, 'dropout': 0}, 'numLayers': 2, 'norm': True},
           dec, {'tgt': torch.randn(4, 2, 8), 'memory': torch.randn(5, 2, 8), 'tgtMask': causal(4),
                 'tgtKeyPaddingMask': tkpm, 'memoryKeyPaddingMask': mkpm})


def full_transformer_cases():
    skpm = torch.tensor([[False, False, False, True, True], [False, False, False, False, False]])
    record('transformer_post', 'Transformer', [],
           {'dModel': 8, 'nhead': 2, 'numEncoderLayers': 2, 'numDecoderLayers': 1, 'dimFeedforward': 16, 'dropout': 0},
           torch.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16, dropout=0.0),
           {'src': torch.randn(5, 2, 8), 'tgt': torch.randn(4, 2, 8), 'tgtMask': square_subsequent(4),
            'srcKeyPaddingMask': skpm, 'memoryKeyPaddingMask': skpm})
    record('transformer_pre_gelu_bf', 'Transformer', [],
           {'dModel': 8, 'nhead': 2, 'numEncoderLayers': 1, 'numDecoderLayers': 2, 'dimFeedforward': 12, 'dropout': 0,
            'activation': 'gelu', 'batchFirst': True, 'normFirst': True},
           torch.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=12, dropout=0.0,
                                activation='gelu', batch_first=True, norm_first=True),
           {'src': torch.randn(2, 5, 8), 'tgt': torch.randn(2, 3, 8), 'srcMask': causal(5), 'tgtMask': causal(3),
            'memoryMask': torch.randn(3, 5), 'tgtKeyPaddingMask': torch.tensor([[False, False, True], [False, False, False]])})


def lstm_proj_cases():
    """LSTM with proj_size: weight_hr_l{k}, h and output of size proj_size, c of size hidden_size."""
    record('lstm_proj', 'LSTM', [3, 5], {'projSize': 2}, torch.nn.LSTM(3, 5, proj_size=2), {'x': torch.randn(5, 2, 3)})
    record('lstm_proj_h0', 'LSTM', [3, 5], {'projSize': 2}, LSTMWrap(torch.nn.LSTM(3, 5, proj_size=2)),
           {'x': torch.randn(5, 2, 3), 'h0': torch.randn(1, 2, 2), 'c0': torch.randn(1, 2, 5)})
    opts = {'projSize': 3, 'numLayers': 2, 'bidirectional': True, 'batchFirst': True}
    record('lstm_proj_bidir_bf', 'LSTM', [3, 5], opts,
           torch.nn.LSTM(3, 5, proj_size=3, num_layers=2, bidirectional=True, batch_first=True), {'x': torch.randn(2, 4, 3)})
    record('lstm_proj_bidir_bf_h0', 'LSTM', [3, 5], opts,
           LSTMWrap(torch.nn.LSTM(3, 5, proj_size=3, num_layers=2, bidirectional=True, batch_first=True)),
           {'x': torch.randn(2, 4, 3), 'h0': torch.randn(4, 2, 3), 'c0': torch.randn(4, 2, 5)})
    record('lstm_proj_unbatched_nobias', 'LSTM', [3, 4], {'projSize': 2, 'bias': False},
           LSTMWrap(torch.nn.LSTM(3, 4, proj_size=2, bias=False)),
           {'x': torch.randn(4, 3), 'h0': torch.randn(1, 2), 'c0': torch.randn(1, 4)})


if __name__ == '__main__':
    rnn_cases()
    mha_cases()
    transformer_cases()
    # Appended after the original cases so their random draws stay the same.
    mha_extra_cases()
    decoder_cases()
    full_transformer_cases()
    lstm_proj_cases()
    os.makedirs(FIXTURES, exist_ok=True)
    path = os.path.join(FIXTURES, 'sequence-fixtures.safetensors')
    save(tensors, path, {'generator': 'tools/sequence_fixtures.py', 'torch': torch.__version__, 'cases': json.dumps(cases, sort_keys=True)})
    print('wrote', path, os.path.getsize(path), 'bytes,', len(cases), 'cases')
