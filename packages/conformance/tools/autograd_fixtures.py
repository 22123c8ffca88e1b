#!/usr/bin/python3
"""Write fixtures/autograd/*.json: PyTorch 1.13's answers for the autograd tools.

Run with Debian's python3-torch (`pnpm --filter @tensile/conformance fixtures`); the output is
committed, so the TypeScript suite needs no Python.

functional.json holds torch.autograd.functional results. Each case names a function from
FUNCS below; src/autograd-tools.ts defines the same functions with Tensile ops, by the same
names. A case is
    { name, op, fn, inputs, inputsTuple, v?, vTuple?, options, output?, result, post? }
where `result` mirrors PyTorch's structure (a tensor, a list, or a list of lists) and, for
createGraph cases, `post` holds the gradients of sum(result_k * w_k) over the flattened
result with respect to each input (its `w` and `grads`).

vmap.json holds functorch.vmap results (torch.func.vmap in PyTorch 2): each case names a
function of VMAP_FUNCS and gives its inputs, the mapped result, and the gradients of
sum(result_k * w_k) with respect to each input.

hooks.json holds tensor-hook scenarios (hook call order, what each hook saw, .grad of leaves
and retained non-leaves, tl.grad's captured values), each written out below and in
src/autograd-tools.ts by name.
"""
import json
import os
import zlib

import functorch
import torch
import torch.autograd.functional as AF

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, '..', 'fixtures', 'autograd')


def T(t):
    t = t.detach()
    return {'shape': list(t.shape), 'dtype': 'float32', 'data': [float(v) for v in t.reshape(-1).tolist()]}


def structure(r):
    if isinstance(r, torch.Tensor):
        return T(r)
    return [structure(x) for x in r]


def flat(r):
    if isinstance(r, torch.Tensor):
        return [r]
    out = []
    for x in r:
        out.extend(flat(x))
    return out


def gen(name):
    g = torch.Generator()
    g.manual_seed(zlib.crc32(name.encode()))
    return g


def rand(g, *shape, lo=-1.0, hi=1.0):
    return torch.rand(shape, generator=g) * (hi - lo) + lo


# ---- the functions (src/autograd-tools.ts has the same ones, by name) ----------------------

FUNCS = {
    'expSum1': lambda x: x.exp().sum(1),
    'adder': lambda x, y: 2 * x + 3 * y,
    'matmulTanh': lambda x, y: (x @ y).tanh(),
    'pair': lambda x, y: (x.sin() * y, (x * y).sum()),
    'cubeSum': lambda x: x.pow(3).sum(),
    'logsumexp': lambda x: x.logsumexp(0),
    'quadratic': lambda x, y: (2 * x.pow(2) + 3 * y.pow(2)).sum(),
    'mlp': lambda w1, w2, x: ((x @ w1).tanh() @ w2).sigmoid().sum(),
    'softmaxPick': lambda x, w: (x @ w).log_softmax(1).select(1, 0).sum(),
    'independent': lambda x, y: x.exp().sum(),
    'linear': lambda x: (3 * x).sum(),
}


CASES = []


def add(name, op, fn, inputs, inputs_tuple=True, v=None, v_tuple=None, options=None, post=False):
    options = options or {}
    torch_opts = {}
    if options.get('createGraph'):
        torch_opts['create_graph'] = True
    if options.get('strict'):
        torch_opts['strict'] = True
    if 'strategy' in options:
        torch_opts['strategy'] = options['strategy']
        if options['strategy'] == 'forward-mode':
            torch_opts['vectorize'] = True  # torch 1.13 needs it for forward mode; Tensile loops instead
    if 'outerJacobianStrategy' in options:
        torch_opts['outer_jacobian_strategy'] = options['outerJacobianStrategy']
    leaves = [x.clone().requires_grad_(post) for x in inputs]
    arg = tuple(leaves) if inputs_tuple else leaves[0]
    f = FUNCS[fn]
    vv = None
    if v is not None:
        vv = tuple(v) if v_tuple else v[0]
    output = None
    if op == 'jacobian':
        result = AF.jacobian(f, arg, **torch_opts)
    elif op == 'hessian':
        result = AF.hessian(f, arg, **torch_opts)
    else:
        output, result = getattr(AF, op)(f, arg, vv, **torch_opts)
    case = {
        'name': name, 'op': op, 'fn': fn, 'inputs': [T(x) for x in inputs], 'inputsTuple': inputs_tuple,
        'options': options, 'result': structure(result),
    }
    if v is not None:
        case['v'] = [T(x) for x in v]
        case['vTuple'] = bool(v_tuple)
    if output is not None:
        case['output'] = structure(output)
    if post:
        g = gen(name + '/w')
        rs = flat(result)
        ws = [rand(g, *r.shape) for r in rs]
        loss = sum((r * w).sum() for r, w in zip(rs, ws))
        grads = torch.autograd.grad(loss, leaves, allow_unused=True)
        case['post'] = {'w': [T(w) for w in ws], 'grads': [T(gr) if gr is not None else T(torch.zeros_like(x))
                                                              for gr, x in zip(grads, leaves)]}
    CASES.append(case)


def functional():
    g = gen('functional')
    x23 = rand(g, 2, 3)
    x2, y2 = rand(g, 2), rand(g, 2)
    a23, b32 = rand(g, 2, 3), rand(g, 3, 2)
    p3, q3 = rand(g, 3), rand(g, 3)
    w1, w2, xm = rand(g, 3, 4), rand(g, 4, 2), rand(g, 5, 3)
    xs, ws = rand(g, 4, 3), rand(g, 3, 5)
    l5 = rand(g, 5, lo=-2, hi=2)

    add('jacobian/single in, single out', 'jacobian', 'expSum1', [x23], inputs_tuple=False)
    add('jacobian/two inputs', 'jacobian', 'matmulTanh', [a23, b32])
    add('jacobian/two inputs, two outputs', 'jacobian', 'pair', [p3, q3])
    add('jacobian/forward-mode', 'jacobian', 'matmulTanh', [a23, b32], options={'strategy': 'forward-mode'})
    add('jacobian/an unused input gives zeros', 'jacobian', 'independent', [x2, y2])
    add('jacobian/createGraph then differentiate', 'jacobian', 'matmulTanh', [a23, b32], options={'createGraph': True},
        post=True)

    add('hessian/cube sum', 'hessian', 'cubeSum', [p3], inputs_tuple=False)
    add('hessian/logsumexp', 'hessian', 'logsumexp', [l5], inputs_tuple=False)
    add('hessian/two inputs', 'hessian', 'quadratic', [x2, y2])
    add('hessian/mlp, three inputs', 'hessian', 'mlp', [w1, w2, xm])
    add('hessian/log-softmax', 'hessian', 'softmaxPick', [xs, ws])
    add('hessian/a linear function gives zeros', 'hessian', 'linear', [p3], inputs_tuple=False)
    add('hessian/createGraph then differentiate (third derivative)', 'hessian', 'cubeSum', [p3], inputs_tuple=False,
        options={'createGraph': True}, post=True)

    add('vjp/single', 'vjp', 'expSum1', [x23], inputs_tuple=False, v=[rand(g, 2)])
    add('vjp/two inputs', 'vjp', 'adder', [x2, y2], v=[rand(g, 2)])
    add('vjp/two outputs', 'vjp', 'pair', [p3, q3], v=[rand(g, 3), rand(g)], v_tuple=True)
    add('vjp/scalar output without v', 'vjp', 'cubeSum', [p3], inputs_tuple=False)
    add('vjp/createGraph then differentiate', 'vjp', 'matmulTanh', [a23, b32], v=[rand(g, 2, 2)],
        options={'createGraph': True}, post=True)

    add('jvp/single', 'jvp', 'expSum1', [x23], inputs_tuple=False, v=[rand(g, 2, 3)])
    add('jvp/two inputs', 'jvp', 'adder', [x2, y2], v=[rand(g, 2), rand(g, 2)], v_tuple=True)
    add('jvp/two inputs, two outputs', 'jvp', 'pair', [p3, q3], v=[rand(g, 3), rand(g, 3)], v_tuple=True)
    add('jvp/matmul tanh', 'jvp', 'matmulTanh', [a23, b32], v=[rand(g, 2, 3), rand(g, 3, 2)], v_tuple=True)
    add('jvp/createGraph then differentiate', 'jvp', 'matmulTanh', [a23, b32], v=[rand(g, 2, 3), rand(g, 3, 2)],
        v_tuple=True, options={'createGraph': True}, post=True)

    vm = [rand(g, 3, 4), rand(g, 4, 2), rand(g, 5, 3)]
    add('vhp/mlp', 'vhp', 'mlp', [w1, w2, xm], v=vm, v_tuple=True)
    add('hvp/mlp', 'hvp', 'mlp', [w1, w2, xm], v=vm, v_tuple=True)
    add('hvp/cube sum', 'hvp', 'cubeSum', [p3], inputs_tuple=False, v=[rand(g, 3)])
    add('hvp/logsumexp', 'hvp', 'logsumexp', [l5], inputs_tuple=False, v=[rand(g, 5)])
    add('hvp/createGraph then differentiate', 'hvp', 'mlp', [w1, w2, xm], v=vm, v_tuple=True,
        options={'createGraph': True}, post=True)
    add('vhp/createGraph then differentiate', 'vhp', 'softmaxPick', [xs, ws], v=[rand(g, 4, 3), rand(g, 3, 5)],
        v_tuple=True, options={'createGraph': True}, post=True)


# ---- tensor hooks -------------------------------------------------------------------------

def hooks():
    out = {}

    # Hooks on a non-leaf run in order, each seeing the previous one's result; retain_grad
    # keeps the final gradient; the leaf gets the modified one.
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda gr: (seen.append(T(gr)), gr * 10)[1])
    y.retain_grad()
    y.register_hook(lambda gr: (seen.append(T(gr)), gr + 1)[1])
    (y * y).sum().backward()
    out['non-leaf hooks in order, retainGrad last'] = {'seen': seen, 'yGrad': T(y.grad), 'xGrad': T(x.grad)}

    # A leaf's hook changes what accumulates; a removed hook does nothing.
    x = torch.tensor([1., 2.], requires_grad=True)
    x.register_hook(lambda gr: gr * 3)
    removed = x.register_hook(lambda gr: gr * 100)
    removed.remove()
    (x * x).sum().backward()
    out['leaf hook, removed hook'] = {'xGrad': T(x.grad)}

    # A tensor used twice: its hook runs once, on the summed gradient.
    x = torch.tensor([1., -2.], requires_grad=True)
    y = x.exp()
    seen = []
    y.register_hook(lambda gr: seen.append(T(gr)))
    (y * 3 + y.pow(2)).sum().backward()
    out['one hook call for a tensor used twice'] = {'seen': seen, 'xGrad': T(x.grad)}

    # tl.grad: captured inputs get their gradient before their hooks; hooks run where the
    # pass goes through the tensor; retain_grad fills .grad there too.
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 2
    y.register_hook(lambda gr: gr * 3)
    y.retain_grad()
    x.register_hook(lambda gr: gr * 5)
    (gy,) = torch.autograd.grad((y * y).sum(), [y], retain_graph=True)
    y_grad_after_first = None if y.grad is None else T(y.grad)
    gx, gy2 = torch.autograd.grad((y * y).sum(), [x, y])
    out['grad captures before hooks'] = {
        'onlyY': T(gy), 'yGradAfterOnlyY': y_grad_after_first, 'x': T(gx), 'y': T(gy2), 'yGrad': T(y.grad),
    }

    # Retained gradients accumulate across backward passes.
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward(retain_graph=True)
    (y * y).sum().backward()
    out['retained gradients accumulate'] = {'yGrad': T(y.grad), 'xGrad': T(x.grad)}

    # Hooks on both outputs of a multi-output op (split) and on its input.
    x = torch.tensor([1., 2., 3., 4.], requires_grad=True)
    z = x * 1.5
    a, b = z.split(2)
    a.register_hook(lambda gr: gr * 2)
    b.register_hook(lambda gr: -gr)
    z.retain_grad()
    (a.pow(2).sum() + (b * 3).sum()).backward()
    out['hooks on split outputs'] = {'zGrad': T(z.grad), 'xGrad': T(x.grad)}

    # Under create_graph a hook's result keeps its graph; the hook fires again when a later
    # pass goes through the tensor, and the retained gradient accumulates there too.
    # (The hook is registered before retain_grad: 1.13 runs retain_grad before hooks registered
    # when no hook existed yet, an ordering PyTorch 2 dropped; Tensile, like PyTorch 2, always
    # retains the gradient after every hook.)
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * x
    y.register_hook(lambda gr: gr * y)
    y.retain_grad()
    y.pow(2).sum().backward(create_graph=True)
    first = {'xGrad': T(x.grad), 'yGrad': T(y.grad)}
    (g2,) = torch.autograd.grad(x.grad.sum(), [x])
    out['hooks under createGraph, and again in a later pass'] = {**first, 'second': T(g2), 'yGradAfter': T(y.grad)}
    return out


# ---- vmap (src/autograd-tools.ts has the same functions, by name) ----------------------------

def per_sample_grad(w, x, y):
    loss = lambda w, x, y: ((x @ w).tanh() - y).pow(2).sum()
    return functorch.vmap(functorch.grad(loss), in_dims=(None, 0, 0))(w, x, y)


VMAP_FUNCS = {
    # name: (function of the inputs, the inputs' shapes)
    'matvec': (lambda a, v: functorch.vmap(lambda row, vec: row @ vec, in_dims=(0, None))(a, v), [(4, 3), (3,)]),
    'softmaxDim1': (lambda x: functorch.vmap(lambda col: col.softmax(0), in_dims=1)(x), [(3, 5)]),
    'pairOutDims': (lambda x: functorch.vmap(lambda r: (r.sin(), r.sum()), out_dims=(1, 0))(x), [(4, 3)]),
    'nestedOuter': (lambda x, y: functorch.vmap(lambda a: functorch.vmap(lambda b: (a * b).exp())(y))(x), [(3,), (4,)]),
    'perSampleGrad': (per_sample_grad, [(3, 2), (5, 3), (5, 2)]),
}


def vmap_cases():
    cases = []
    for name, (fn, shapes) in VMAP_FUNCS.items():
        g = gen('vmap/' + name)
        inputs = [rand(g, *shape).requires_grad_(True) for shape in shapes]
        result = fn(*inputs)
        outs = flat(result)
        ws = [rand(g, *o.shape) for o in outs]
        grads = torch.autograd.grad(sum((o * w).sum() for o, w in zip(outs, ws)), inputs, allow_unused=True)
        cases.append({'name': name, 'inputs': [T(x) for x in inputs], 'result': structure(result), 'w': [T(w) for w in ws],
                      'grads': [T(gr) if gr is not None else None for gr in grads]})
    return cases


def main():
    functional()
    os.makedirs(OUT_DIR, exist_ok=True)
    files = {
        'functional': {'generator': 'tools/autograd_fixtures.py', 'torch': torch.__version__, 'cases': CASES},
        'hooks': {'generator': 'tools/autograd_fixtures.py', 'torch': torch.__version__, 'scenarios': hooks()},
        'vmap': {'generator': 'tools/autograd_fixtures.py', 'torch': torch.__version__, 'cases': vmap_cases()},
    }
    for name, data in files.items():
        text = json.dumps(data, separators=(',', ':'))
        with open(os.path.join(OUT_DIR, f'{name}.json'), 'w') as fh:
            fh.write(text + '\n')
        print(f'autograd/{name}.json: {len(text) / 1024:.1f} KiB')


if __name__ == '__main__':
    main()
