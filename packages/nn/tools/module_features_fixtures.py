#!/usr/bin/python3
"""Write packages/nn/test/fixtures/module-features.json: PyTorch 1.13's answers for Module
features. Run from anywhere with Debian's python3-torch:

    /usr/bin/python3 packages/nn/tools/module_features_fixtures.py

- reprs: `repr(module)` for every layer Tensile has, with default and non-default arguments,
  keyed by a name that test/module-features.test.ts maps to the same Tensile constructor;
- containers: ParameterList / ParameterDict reprs and state-dict keys, non-persistent buffers;
- loadStateDict: the error messages of load_state_dict;
- hooks: a model with forward pre-hooks, forward hooks and full backward hooks (one of which
  changes grad_input): the order the hooks ran in, what each saw, and the gradients.
"""
import torch
import torch.nn as nn

from fixture_utils import exact as T, seeded, write_json


REPRS = {
    'linear': 'nn.Linear(4, 2)',
    'linearNoBias': 'nn.Linear(4, 2, bias=False)',
    'conv2d': 'nn.Conv2d(3, 8, 3)',
    'conv2dFull': 'nn.Conv2d(3, 8, (3, 5), stride=2, padding=(1, 2), dilation=2, bias=False)',
    'conv2dGroups': 'nn.Conv2d(4, 8, 3, groups=2, padding="same")',
    'conv1d': 'nn.Conv1d(3, 6, 5, stride=2, padding=2)',
    'conv1dValid': 'nn.Conv1d(3, 6, 5, padding="valid", dilation=2)',
    'maxPool2d': 'nn.MaxPool2d(2)',
    'maxPool2dFull': 'nn.MaxPool2d((3, 2), stride=(2, 1), padding=1)',
    'avgPool2d': 'nn.AvgPool2d(2)',
    'avgPool2dFull': 'nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)',
    'adaptiveAvgPool2d': 'nn.AdaptiveAvgPool2d(2)',
    'adaptiveAvgPool2dNone': 'nn.AdaptiveAvgPool2d((None, 3))',
    'batchNorm1d': 'nn.BatchNorm1d(4)',
    'batchNorm2dFull': 'nn.BatchNorm2d(4, eps=1e-3, momentum=None, affine=False, track_running_stats=False)',
    'layerNorm': 'nn.LayerNorm(8)',
    'layerNorm2d': 'nn.LayerNorm([3, 4], eps=1e-6, elementwise_affine=False)',
    'dropout': 'nn.Dropout()',
    'dropout25': 'nn.Dropout(0.25)',
    'embedding': 'nn.Embedding(10, 3)',
    'embeddingPad': 'nn.Embedding(10, 3, padding_idx=0)',
    'flatten': 'nn.Flatten()',
    'flatten0': 'nn.Flatten(0, 2)',
    'relu': 'nn.ReLU()',
    'leakyRelu': 'nn.LeakyReLU()',
    'leakyRelu02': 'nn.LeakyReLU(0.2)',
    'gelu': 'nn.GELU()',
    'geluTanh': 'nn.GELU(approximate="tanh")',
    'sigmoid': 'nn.Sigmoid()',
    'tanh': 'nn.Tanh()',
    'softmax': 'nn.Softmax(dim=1)',
    'identity': 'nn.Identity()',
    'crossEntropy': 'nn.CrossEntropyLoss(label_smoothing=0.1)',
    'nll': 'nn.NLLLoss()',
    'mse': 'nn.MSELoss()',
    'l1': 'nn.L1Loss(reduction="sum")',
    'bce': 'nn.BCELoss()',
    'bceLogits': 'nn.BCEWithLogitsLoss()',
    'huber': 'nn.HuberLoss()',
    'klDiv': 'nn.KLDivLoss(reduction="batchmean")',
    'rnn': 'nn.RNN(3, 4)',
    'rnnRelu': 'nn.RNN(3, 4, nonlinearity="relu", num_layers=2, dropout=0.5)',
    'lstm': 'nn.LSTM(3, 4, batch_first=True, bidirectional=True, bias=False)',
    'lstmProj': 'nn.LSTM(3, 4, proj_size=2, num_layers=2)',
    'gru': 'nn.GRU(3, 4)',
    'mha': 'nn.MultiheadAttention(8, 2)',
    'mhaKv': 'nn.MultiheadAttention(8, 2, kdim=4, vdim=6, batch_first=True, add_bias_kv=True)',
    'encoderLayer': 'nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)',
    'encoder': 'nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16), 2, norm=nn.LayerNorm(8))',
    'decoderLayer': 'nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, norm_first=True)',
    'transformer': 'nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)',
    'sequential': 'nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 2), nn.Sigmoid()))',
    'emptySequential': 'nn.Sequential()',
    'moduleList': 'nn.ModuleList([nn.Linear(2, 2), nn.Tanh()])',
    'moduleDict': 'nn.ModuleDict({"proj": nn.Linear(2, 3), "act": nn.ReLU()})',
    'parameterList': 'nn.ParameterList([nn.Parameter(torch.zeros(3, 4)), nn.Parameter(torch.zeros(2))])',
    'parameterListOne': 'nn.ParameterList([nn.Parameter(torch.zeros(5))])',
    'emptyParameterList': 'nn.ParameterList()',
}


def reprs():
    return {key: repr(eval(expr)) for key, expr in REPRS.items()}


class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('cache', torch.zeros(2), persistent=False)
        self.register_buffer('steps', torch.zeros(1))
        self.fc = nn.Linear(2, 2)
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(3))])
        self.table = nn.ParameterDict()
        self.table['b'] = nn.Parameter(torch.zeros(1))
        self.table['a'] = nn.Parameter(torch.zeros(2))


def containers():
    m = WithBuffers()
    return {
        'namedBuffers': [n for n, _ in m.named_buffers()],
        'namedParameters': [n for n, _ in m.named_parameters()],
        'stateDictKeys': list(m.state_dict().keys()),
        'repr': repr(m),
        'numParameters': sum(p.numel() for p in m.parameters()),
    }


def load_errors():
    out = {}
    m = WithBuffers()
    sd = dict(m.state_dict())
    sd['cache'] = torch.zeros(2)
    try:
        m.load_state_dict(sd)
    except RuntimeError as e:
        out['nonPersistentIsUnexpected'] = str(e)
    sd = dict(m.state_dict())
    sd['fc.weight'] = None
    try:
        m.load_state_dict(sd)
    except RuntimeError as e:
        out['noneValue'] = str(e)
    sd = dict(m.state_dict())
    del sd['scales.1']
    sd['fc.extra'] = torch.zeros(1)
    try:
        m.load_state_dict(sd)
    except RuntimeError as e:
        out['missingAndUnexpected'] = str(e)
    return out


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def hooks():
    seeded('hooks')
    net = Net()
    x = torch.randn(5, 3, requires_grad=True)
    events = []
    seen = {}

    def pre(name, scale=None):
        def hook(module, args):
            events.append('pre:' + name)
            seen['pre:' + name] = T(args[0])
            if scale is not None:
                return args[0] * scale
        return hook

    def fwd(name, scale=None):
        def hook(module, args, output):
            events.append('forward:' + name)
            seen['forward:' + name + ':in'] = T(args[0])
            seen['forward:' + name + ':out'] = T(output)
            if scale is not None:
                return output * scale
        return hook

    def bwd(name, scale=None):
        def hook(module, grad_input, grad_output):
            events.append('backward:' + name)
            seen['backward:' + name + ':gradInput'] = [None if g is None else T(g) for g in grad_input]
            seen['backward:' + name + ':gradOutput'] = [None if g is None else T(g) for g in grad_output]
            if scale is not None:
                return tuple(None if g is None else g * scale for g in grad_input)
        return hook

    handles = [
        net.register_forward_pre_hook(pre('net')),
        net.fc2.register_forward_pre_hook(pre('fc2', 0.5)),
        net.act.register_forward_hook(fwd('act', 2.0)),
        net.fc1.register_forward_hook(fwd('fc1')),
        net.register_forward_hook(fwd('net')),
        net.fc1.register_full_backward_hook(bwd('fc1')),
        net.fc2.register_full_backward_hook(bwd('fc2', 3.0)),
        net.act.register_full_backward_hook(bwd('act')),
        net.register_full_backward_hook(bwd('net')),
    ]
    removed = net.fc1.register_forward_pre_hook(lambda m, a: a[0] * 100)
    removed.remove()
    w = torch.randn(5, 2)
    y = net(x)
    (y * w).sum().backward()
    result = {
        'state': {k: T(v) for k, v in net.state_dict().items()},
        'x': T(x), 'w': T(w), 'y': T(y),
        'events': events, 'seen': seen,
        'xGrad': T(x.grad),
        'paramGrads': {n: T(p.grad) for n, p in net.named_parameters()},
    }
    for h in handles:
        h.remove()

    # An input that does not require grad: the hook sees grad_input (None,).
    seeded('hooks/no-input-grad')
    lin = nn.Linear(3, 2)
    xs = torch.randn(4, 3)
    got = {}

    def record(module, grad_input, grad_output):
        got['gradInput'] = [None if g is None else T(g) for g in grad_input]
        got['gradOutput'] = [None if g is None else T(g) for g in grad_output]
    lin.register_full_backward_hook(record)
    lin(xs).sum().backward()
    result['noInputGrad'] = {'state': {k: T(v) for k, v in lin.state_dict().items()}, 'x': T(xs), **got}
    return result


def main():
    data = {
        'generator': 'tools/module_features_fixtures.py', 'torch': torch.__version__,
        'reprs': reprs(), 'containers': containers(), 'loadStateDict': load_errors(), 'hooks': hooks(),
    }
    write_json('module-features.json', data)


if __name__ == '__main__':
    main()
