#!/usr/bin/python3
"""Write the conformance fixtures: every public Tensile op evaluated by PyTorch.

Run with Debian's python3-torch (`pnpm --filter @tensile/conformance fixtures`). The output,
`fixtures/*.json`, is committed, so the TypeScript suite needs no Python.

A case is
    { name, call, inputs, out, w?, grads?, tol }
where `inputs` are tensors (data, shape, dtype, grad), `call` is an expression in a small
JSON DSL the TypeScript runner interprets:
    {"$t": i}                  input tensor i
    {"$undef": 1}              the argument is left undefined (TypeScript `undefined`)
    {"$opts": {...}}           a creation options object; the runner adds `device`
    {"$num": "Infinity"}       a number JSON cannot hold (Infinity, -Infinity, NaN)
    {"$get": [expr, key]}      one field of a named result (`.values` of `sort(...)`)
    {"op": name, "args": [..]} the function `tl[name](...args)`
    {"op": name, "method": true, "args": [self, ..]}   the method `self[name](...)`
    lists and plain objects    passed through (lists may hold tensor expressions)
and `out` is the list of outputs (one for most ops; several for split/chunk). For
differentiable float outputs, `w` holds one fixed random tensor per output and `grads` the
gradients of sum_i (out_i * w_i).sum() with respect to every input with `grad: true`.
`higher.json` holds second derivatives: g = grad(sum(out * w), inputs, create_graph), then
gg = grad(sum_i (g_i * u_i).sum(), inputs).

Inputs are seeded per case, ties are avoided in max/min/maxPool/argmax inputs, and
non-differentiable points (relu(0), abs(0), clamp bounds) are avoided.
"""
import json
import math
import os
import zlib

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float32)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, '..', 'fixtures')

UNDEF = {'$undef': 1}
DT = {'float32': torch.float32, 'int32': torch.int32, 'bool': torch.bool}


def dtype_name(t):
    if t.dtype in (torch.float32, torch.float64):
        return 'float32'
    if t.dtype in (torch.int32, torch.int64):
        return 'int32'
    if t.dtype == torch.bool:
        return 'bool'
    raise ValueError(t.dtype)


def is_undef(v):
    return isinstance(v, dict) and v.get('$undef') == 1


def T(i):
    return {'$t': i}


def E(op, *args):
    return {'op': op, 'args': list(args)}


def M(op, *args):
    return {'op': op, 'method': True, 'args': list(args)}


def NUM(v):
    """A number JSON cannot hold ('Infinity', '-Infinity', 'NaN') as an argument."""
    return {'$num': v}


def OPTS(**kw):
    return {'$opts': kw}


def G(expr, key):
    """The field `key` of a named result: G(E('sort', T(0)), 'values') is sort(x).values."""
    return {'$get': [expr, key]}


# ---- torch semantics of each Tensile op, on evaluated arguments ------------------------------

def scalar_like(v, anchor):
    """A plain number next to a tensor, as Tensile's scalarDType: bools keep the tensor's
    dtype, integers take it (int32 next to bool), other numbers are float32."""
    if isinstance(v, torch.Tensor):
        return v
    if isinstance(v, bool):
        return torch.tensor(v, dtype=anchor.dtype)
    if isinstance(v, int):
        return torch.tensor(v, dtype=torch.int32 if anchor.dtype == torch.bool else anchor.dtype)
    return torch.tensor(v, dtype=torch.float32)


def operands(a, b):
    ta = a if isinstance(a, torch.Tensor) else None
    tb = b if isinstance(b, torch.Tensor) else None
    anchor = ta if ta is not None else tb
    return scalar_like(a, anchor), scalar_like(b, anchor)


def undef_or(v, default):
    return default if is_undef(v) else v


def creation_dtype(opts, fallback):
    return DT[opts.get('dtype', fallback)]


def all_dims(x):
    return tuple(range(x.dim()))


def dims_of(x, dim):
    if is_undef(dim) or dim is None:
        return all_dims(x)
    return (dim,) if isinstance(dim, int) else tuple(dim)


def t_sum(x, dim=UNDEF, keepdim=False):
    if x.dtype == torch.bool:
        x = x.int()
    d = dims_of(x, dim)
    if x.dim() == 0:
        return x.sum()
    return torch.sum(x, dim=d, keepdim=keepdim)


def t_mean(x, dim=UNDEF, keepdim=False):
    if x.dim() == 0:
        return x.mean()
    return torch.mean(x, dim=dims_of(x, dim), keepdim=keepdim)


def t_prod(x, dim=UNDEF, keepdim=False):
    if x.dim() == 0:
        return x.prod()
    out = x
    for d in sorted([d % x.dim() for d in dims_of(x, dim)], reverse=True):
        out = torch.prod(out, dim=d, keepdim=True)
    if not keepdim:
        keep = [s for i, s in enumerate(out.shape) if i not in [d % x.dim() for d in dims_of(x, dim)]]
        out = out.reshape(keep)
    return out


def t_extreme(fn):
    """torch.amax/amin over Tensile's dims; a 0-d tensor is its own max and min."""
    def run(x, dim=UNDEF, keepdim=False):
        if x.dim() == 0:
            return x.clone()
        return fn(x, dim=dims_of(x, dim), keepdim=keepdim)
    return run


def t_arg(fn):
    def run(x, dim=UNDEF, keepdim=False):
        if is_undef(dim):
            return fn(x)
        return fn(x, dim=dim, keepdim=keepdim)
    return run


def var_args(keepdim, correction):
    """Tensile's (keepdim, correction) or PyTorch 2's ({ correction, keepdim })."""
    if isinstance(keepdim, dict):
        return keepdim.get('keepdim', False), keepdim.get('correction', 1)
    return undef_or(keepdim, False), undef_or(correction, 1)


def t_var(x, dim=UNDEF, keepdim=False, correction=1):
    k, c = var_args(keepdim, correction)
    return torch.var(x, dim=dims_of(x, dim), correction=c, keepdim=k)


def t_std(x, dim=UNDEF, keepdim=False, correction=1):
    k, c = var_args(keepdim, correction)
    return torch.std(x, dim=dims_of(x, dim), correction=c, keepdim=k)


def t_squeeze(x, dim=UNDEF):
    if is_undef(dim):
        return torch.squeeze(x)
    dims = [dim] if isinstance(dim, int) else dim
    dims = [d % x.dim() for d in dims]
    return x.reshape([s for i, s in enumerate(x.shape) if not (i in dims and s == 1)])


def t_index(x, *specs):
    key = []
    for s in specs:
        if isinstance(s, torch.Tensor):
            key.append(s if s.dtype == torch.bool else s.long())
        elif s == 'newaxis':
            key.append(None)
        elif s is None:
            key.append(slice(None))
        elif isinstance(s, int):
            key.append(s)
        else:
            s = list(s) + [None] * (3 - len(s))
            key.append(slice(s[0], s[1], s[2]))
    return x[tuple(key)]


def t_unique(x, o, consecutive=False):
    kw = dict(return_inverse=o.get('returnInverse', False), return_counts=o.get('returnCounts', False), dim=o.get('dim'))
    # Tensile sorts with sorted=False too (PyTorch leaves that order unspecified).
    out = torch.unique_consecutive(x, **kw) if consecutive else torch.unique(x, sorted=True, **kw)
    if not isinstance(out, tuple):
        return out
    return [t.int() if t.dtype == torch.int64 else t for t in out]


def pair(v, default):
    if v is None:
        return (default, default)
    return (v, v) if isinstance(v, int) else tuple(v)


def t_conv2d(x, w, bias=None, opts=None):
    opts = opts or {}
    padding = opts.get('padding', 0)
    if not isinstance(padding, str):
        padding = pair(padding, 0)
    return F.conv2d(x, w, bias, stride=pair(opts.get('stride'), 1), padding=padding,
                    dilation=pair(opts.get('dilation'), 1), groups=opts.get('groups', 1))


def t_conv1d(x, w, bias=None, opts=None):
    opts = opts or {}
    return F.conv1d(x, w, bias, stride=opts.get('stride', 1), padding=opts.get('padding', 0),
                    dilation=opts.get('dilation', 1), groups=opts.get('groups', 1))


def t_maxpool(x, opts):
    k = pair(opts['kernelSize'], 1)
    return F.max_pool2d(x, k, stride=pair(opts['stride'], 1) if 'stride' in opts else k,
                        padding=pair(opts.get('padding'), 0), dilation=pair(opts.get('dilation'), 1),
                        ceil_mode=opts.get('ceilMode', False), return_indices=opts.get('returnIndices', False))


def t_avgpool(x, opts):
    k = pair(opts['kernelSize'], 1)
    return F.avg_pool2d(x, k, stride=pair(opts['stride'], 1) if 'stride' in opts else k,
                        padding=pair(opts.get('padding'), 0), count_include_pad=opts.get('countIncludePad', True),
                        ceil_mode=opts.get('ceilMode', False), divisor_override=opts.get('divisorOverride'))


def triple(v, default):
    if v is None:
        return (default, default, default)
    return (v, v, v) if isinstance(v, int) else tuple(v)


def t_conv3d(x, w, bias=None, opts=None):
    opts = opts or {}
    padding = opts.get('padding', 0)
    if not isinstance(padding, str):
        padding = triple(padding, 0)
    return F.conv3d(x, w, bias, stride=triple(opts.get('stride'), 1), padding=padding,
                    dilation=triple(opts.get('dilation'), 1), groups=opts.get('groups', 1))


def t_maxpool3d(x, opts):
    k = triple(opts['kernelSize'], 1)
    return F.max_pool3d(x, k, stride=triple(opts['stride'], 1) if 'stride' in opts else k,
                        padding=triple(opts.get('padding'), 0), dilation=triple(opts.get('dilation'), 1),
                        ceil_mode=opts.get('ceilMode', False), return_indices=opts.get('returnIndices', False))


def t_avgpool3d(x, opts):
    k = triple(opts['kernelSize'], 1)
    return F.avg_pool3d(x, k, stride=triple(opts['stride'], 1) if 'stride' in opts else k,
                        padding=triple(opts.get('padding'), 0), count_include_pad=opts.get('countIncludePad', True),
                        ceil_mode=opts.get('ceilMode', False), divisor_override=opts.get('divisorOverride'))


def t_conv_transpose2d(x, w, bias=None, opts=None):
    opts = opts or {}
    return F.conv_transpose2d(x, w, bias, stride=pair(opts.get('stride'), 1), padding=pair(opts.get('padding'), 0),
                              output_padding=pair(opts.get('outputPadding'), 0), groups=opts.get('groups', 1),
                              dilation=pair(opts.get('dilation'), 1))


def t_conv_transpose3d(x, w, bias=None, opts=None):
    opts = opts or {}
    return F.conv_transpose3d(x, w, bias, stride=triple(opts.get('stride'), 1), padding=triple(opts.get('padding'), 0),
                              output_padding=triple(opts.get('outputPadding'), 0), groups=opts.get('groups', 1),
                              dilation=triple(opts.get('dilation'), 1))


def t_conv_transpose1d(x, w, bias=None, opts=None):
    opts = opts or {}
    return F.conv_transpose1d(x, w, bias, stride=opts.get('stride', 1), padding=opts.get('padding', 0),
                              output_padding=opts.get('outputPadding', 0), groups=opts.get('groups', 1),
                              dilation=opts.get('dilation', 1))


def t_where(c, a, b):
    a, b = operands(a, b)
    return torch.where(c.bool(), a, b)


def binary(fn):
    def run(a, b):
        ta, tb = operands(a, b)
        return fn(ta, tb)
    return run


def t_add(a, b, alpha=1):
    ta, tb = operands(a, b)
    return ta + tb * alpha if alpha != 1 else ta + tb


def t_sub(a, b, alpha=1):
    ta, tb = operands(a, b)
    return ta - tb * alpha if alpha != 1 else ta - tb


def t_div(a, b, o=None):
    ta, tb = operands(a, b)
    mode = (o or {}).get('roundingMode')
    return torch.div(ta, tb, rounding_mode=mode) if mode else torch.div(ta.float(), tb.float())


def t_arange(start, end=UNDEF, step=1, opts=None):
    if is_undef(end):
        start, end = 0, start
    integral = all(float(v).is_integer() for v in (start, end, step))
    return torch.arange(start, end, step, dtype=creation_dtype(opts or {}, 'int32' if integral else 'float32'))


def t_tensor(data, opts):
    def first(d):
        while isinstance(d, list) and d:
            d = d[0]
        return d
    return torch.tensor(data, dtype=creation_dtype(opts, 'bool' if isinstance(first(data), bool) else 'float32'))


def t_full(shape, value, opts):
    return torch.full(shape, value, dtype=creation_dtype(opts, 'bool' if isinstance(value, bool) else 'float32'))


def t_float_unary(fn):
    def run(x):
        return fn(x.float() if x.dtype != torch.float32 else x)
    return run


def t_clamp(x, lo=None, hi=None):
    return torch.clamp(x, min=lo, max=hi)


TORCH = {
    # creation
    'tensor': t_tensor,
    'zeros': lambda s, o: torch.zeros(s, dtype=creation_dtype(o, 'float32')),
    'ones': lambda s, o: torch.ones(s, dtype=creation_dtype(o, 'float32')),
    'full': t_full,
    'arange': t_arange,
    'linspace': lambda a, b, n, o: torch.linspace(a, b, n, dtype=creation_dtype(o, 'float32')),
    'eye': lambda n, m=UNDEF, o=None: torch.eye(n, undef_or(m, n), dtype=creation_dtype(o or {}, 'float32')),
    'zerosLike': lambda t: torch.zeros_like(t), 'onesLike': lambda t: torch.ones_like(t),
    'fullLike': lambda t, v: torch.full_like(t, v),
    'cast': lambda x, d: x.to(DT[d]), 'clone': torch.clone,
    # unary
    'neg': torch.neg, 'abs': torch.abs, 'sign': torch.sign,
    'exp': t_float_unary(torch.exp), 'expm1': t_float_unary(torch.expm1), 'log': t_float_unary(torch.log),
    'log1p': t_float_unary(torch.log1p), 'sqrt': t_float_unary(torch.sqrt), 'rsqrt': t_float_unary(torch.rsqrt),
    'reciprocal': t_float_unary(torch.reciprocal), 'square': torch.square, 'sin': t_float_unary(torch.sin),
    'cos': t_float_unary(torch.cos), 'tanh': t_float_unary(torch.tanh), 'sigmoid': t_float_unary(torch.sigmoid),
    'relu': torch.relu, 'leakyRelu': lambda x, s=0.01: F.leaky_relu(x, undef_or(s, 0.01)),
    'gelu': lambda x, a='none': F.gelu(x, approximate=undef_or(a, 'none')), 'silu': F.silu,
    'softplus': F.softplus, 'erf': t_float_unary(torch.erf), 'floor': torch.floor, 'ceil': torch.ceil,
    'round': lambda x, o=None: torch.round(x, decimals=o['decimals']) if o and o.get('decimals') else torch.round(x), 'clamp': t_clamp, 'logicalNot': torch.logical_not,
    **{name: t_float_unary(getattr(torch, name)) for name in [
        'tan', 'sinh', 'cosh', 'asin', 'acos', 'atan', 'asinh', 'acosh', 'atanh', 'log2', 'log10', 'exp2',
        'erfc', 'erfinv', 'lgamma', 'digamma', 'sinc']},
    'trunc': torch.trunc, 'frac': torch.frac,
    'isnan': torch.isnan, 'isinf': torch.isinf, 'isposinf': torch.isposinf, 'isneginf': torch.isneginf,
    'isfinite': torch.isfinite,
    # binary
    'add': t_add, 'sub': t_sub, 'mul': binary(torch.mul), 'div': t_div,
    'pow': binary(torch.pow), 'maximum': binary(torch.maximum), 'minimum': binary(torch.minimum),
    'eq': binary(torch.eq), 'ne': binary(torch.ne), 'lt': binary(torch.lt), 'le': binary(torch.le),
    'gt': binary(torch.gt), 'ge': binary(torch.ge), 'logicalAnd': binary(torch.logical_and),
    'logicalOr': binary(torch.logical_or), 'where': t_where,
    'logicalXor': binary(torch.logical_xor),
    'atan2': binary(lambda a, b: torch.atan2(a.float(), b.float())), 'hypot': binary(torch.hypot),
    'copysign': binary(lambda a, b: torch.copysign(a.float(), b.float())), 'logaddexp': binary(torch.logaddexp),
    'logaddexp2': binary(torch.logaddexp2), 'xlogy': binary(lambda a, b: torch.xlogy(a.float(), b.float())),
    # reductions
    'sum': t_sum, 'mean': t_mean, 'prod': t_prod, 'max': t_extreme(torch.amax), 'min': t_extreme(torch.amin),
    'argmax': t_arg(torch.argmax), 'argmin': t_arg(torch.argmin), 'var': t_var, 'variance': t_var, 'std': t_std,
    'logsumexp': lambda x, d, k=False: torch.logsumexp(x, dim=d, keepdim=k),
    'softmax': lambda x, d: torch.softmax(x, d), 'logSoftmax': lambda x, d: torch.log_softmax(x, d),
    'matmul': torch.matmul,
    'remainder': binary(torch.remainder), 'fmod': binary(torch.fmod), 'floorDivide': binary(torch.floor_divide),
    'bitwiseAnd': binary(torch.bitwise_and), 'bitwiseOr': binary(torch.bitwise_or), 'bitwiseXor': binary(torch.bitwise_xor),
    'bitwiseLeftShift': binary(torch.bitwise_left_shift), 'bitwiseRightShift': binary(torch.bitwise_right_shift),
    'bitwiseNot': torch.bitwise_not, 'fmax': binary(torch.fmax), 'fmin': binary(torch.fmin),
    'addcmul': lambda x, a, b, o=None: torch.addcmul(x, a, b, value=(o or {}).get('value', 1)),
    'addcdiv': lambda x, a, b, o=None: torch.addcdiv(x, a, b, value=(o or {}).get('value', 1)),
    'einsum': lambda eq, *xs: torch.einsum(eq, *xs),
    'mm': torch.mm, 'bmm': torch.bmm, 'mv': torch.mv, 'dot': torch.dot, 'vdot': torch.vdot,
    'outer': torch.outer, 'inner': torch.inner, 'kron': torch.kron,
    'tensordot': lambda a, b, d=2: torch.tensordot(a, b, dims=d),
    'addmm': lambda c, a, b, o=None: torch.addmm(c, a, b, beta=(o or {}).get('beta', 1), alpha=(o or {}).get('alpha', 1)),
    'baddbmm': lambda c, a, b, o=None: torch.baddbmm(c, a, b, beta=(o or {}).get('beta', 1), alpha=(o or {}).get('alpha', 1)),
    'cross': lambda a, b, d=UNDEF: torch.cross(a, b) if is_undef(d) else torch.cross(a, b, dim=d),
    'all': lambda x, d=UNDEF, k=False: x.bool().all() if is_undef(d) or d is None else torch.all(x.bool(), dim=d, keepdim=k),
    'any': lambda x, d=UNDEF, k=False: x.bool().any() if is_undef(d) or d is None else torch.any(x.bool(), dim=d, keepdim=k),
    'countNonzero': lambda x, d=UNDEF: torch.count_nonzero(x, dim=None if is_undef(d) else d).int(),
    'amax': lambda x, d=UNDEF, k=False: torch.amax(x, dim=dims_of(x, d), keepdim=k),
    'amin': lambda x, d=UNDEF, k=False: torch.amin(x, dim=dims_of(x, d), keepdim=k),
    'aminmax': lambda x, o=None: list(torch.aminmax(x, **({'dim': o['dim']} if o and 'dim' in o else {}), keepdim=(o or {}).get('keepdim', False))),
    'nansum': lambda x, d=UNDEF, k=False: torch.nansum(x, dim=dims_of(x, d), keepdim=k),
    'nanmean': lambda x, d=UNDEF, k=False: torch.nanmean(x, dim=dims_of(x, d), keepdim=k),
    'varMean': lambda x, d=UNDEF, o=None: list(torch.var_mean(x, dim=dims_of(x, d), correction=(o or {}).get('correction', 1), keepdim=(o or {}).get('keepdim', False))),
    'stdMean': lambda x, d=UNDEF, o=None: list(torch.std_mean(x, dim=dims_of(x, d), correction=(o or {}).get('correction', 1), keepdim=(o or {}).get('keepdim', False))),
    'norm': lambda x, p='fro', d=UNDEF, k=False: torch.norm(x, p=p, dim=None if is_undef(d) else d, keepdim=k),
    'linalg.solve': torch.linalg.solve, 'linalg.inv': torch.linalg.inv, 'linalg.det': torch.linalg.det,
    'linalg.slogdet': lambda a: tuple(torch.linalg.slogdet(a)),
    'linalg.solveTriangular': lambda a, b, o: torch.linalg.solve_triangular(
        a, b, upper=o['upper'], left=o.get('left', True), unitriangular=o.get('unitriangular', False)),
    'linalg.qr': lambda a, mode='reduced': tuple(torch.linalg.qr(a, mode=undef_or(mode, 'reduced'))),
    'linalg.matrixPower': torch.linalg.matrix_power, 'linalg.matrixExp': torch.linalg.matrix_exp,
    'linalg.cholesky': lambda a, o=None: torch.linalg.cholesky(a, upper=(o or {}).get('upper', False)),
    'linalg.eigh': lambda a, uplo='L': torch.linalg.eigh(a, UPLO=undef_or(uplo, 'L')),
    'linalg.eigvalsh': lambda a, uplo='L': torch.linalg.eigvalsh(a, UPLO=undef_or(uplo, 'L')),
    'linalg.svd': lambda a, full=True: torch.linalg.svd(a, full_matrices=undef_or(full, True)),
    'linalg.svdvals': torch.linalg.svdvals,
    'linalg.lstsq': lambda a, b, rcond=None, o=None: torch.linalg.lstsq(a, b, rcond=undef_or(rcond, None), driver=(o or {}).get('driver', 'gelsd')),
    'linalg.pinv': lambda a, o=None: torch.linalg.pinv(a, atol=(o or {}).get('atol'), rtol=(o or {}).get('rtol'), hermitian=(o or {}).get('hermitian', False)),
    'linalg.matrixRank': lambda a, o=None: torch.linalg.matrix_rank(a, atol=(o or {}).get('atol'), rtol=(o or {}).get('rtol'), hermitian=(o or {}).get('hermitian', False)),
    'linalg.vectorNorm': lambda x, o=2, d=UNDEF, k=False: torch.linalg.vector_norm(x, ord=o, dim=None if is_undef(d) else d, keepdim=k),
    'linalg.matrixNorm': lambda a, o='fro', d=UNDEF, k=False: torch.linalg.matrix_norm(a, ord=o, dim=(-2, -1) if is_undef(d) else tuple(d), keepdim=k),
    'cdist': lambda a, b, p=2: torch.cdist(a, b, p=p),
    'cov': lambda x, o=None: torch.cov(x, correction=(o or {}).get('correction', 1), fweights=(o or {}).get('fweights'), aweights=(o or {}).get('aweights')),
    'corrcoef': torch.corrcoef,
    'diff': lambda x, n=1, d=-1, o=None: torch.diff(x, n=n, dim=d, prepend=(o or {}).get('prepend'), append=(o or {}).get('append')),
    'histc': lambda x, bins=100, lo=0, hi=0: torch.histc(x, bins=bins, min=lo, max=hi),
    'bincount': lambda x, w=None, m=0: torch.bincount(x.long(), weights=w, minlength=m).float() if w is not None else torch.bincount(x.long(), minlength=m).int(),
    'isclose': lambda a, b, r=1e-5, at=1e-8, e=False: torch.isclose(a, scalar_like(b, a), rtol=r, atol=at, equal_nan=e),
    'allclose': lambda a, b, r=1e-5, at=1e-8, e=False: torch.tensor(torch.allclose(a, scalar_like(b, a), rtol=r, atol=at, equal_nan=e)),
    'equal': lambda a, b: torch.tensor(torch.equal(a, b)),
    'nanToNum': lambda x, n=0.0, p=None, ng=None: torch.nan_to_num(x, nan=n, posinf=p, neginf=ng),
    'lerp': lambda a, b, w: torch.lerp(a, b, w),
    'logit': lambda x, e=None: torch.logit(x, eps=e),
    # shape
    'reshape': torch.reshape, 'view': lambda x, s: x.view(s), 'transpose': torch.transpose,
    'permute': lambda x, d: x.permute(d), 'squeeze': t_squeeze, 'unsqueeze': torch.unsqueeze,
    'expand': lambda x, s: x.expand(s), 'flatten': lambda x, s=0, e=-1: torch.flatten(x, undef_or(s, 0), undef_or(e, -1)),
    'cat': lambda ts, d=0: torch.cat(ts, d), 'stack': lambda ts, d=0: torch.stack(ts, d),
    'split': lambda x, s, d=0: torch.split(x, s, d), 'chunk': lambda x, c, d=0: torch.chunk(x, c, d),
    'indexAsync': t_index,
    'nonzero': lambda x, o=None: list(torch.nonzero(x, as_tuple=True)) if (o or {}).get('asTuple') else torch.nonzero(x),
    'maskedSelect': torch.masked_select,
    'maskedFill': lambda x, m, v: x.masked_fill(m, v),
    'takeAlongDim': lambda x, i, d=UNDEF: torch.take_along_dim(x, i.long(), dim=None if is_undef(d) else d),
    'take': lambda x, i: torch.take(x, i.long()),
    'asStrided': lambda x, size, stride, offset=0: torch.as_strided(x.contiguous(), size, stride, offset),
    'indexAdd': lambda x, d, i, s, o=None: torch.index_add(x, d, i.long(), s, alpha=(o or {}).get('alpha', 1)),
    'indexFill': lambda x, d, i, v: x.index_fill(d, i.long(), v),
    'searchsorted': lambda s, v, o=None: torch.searchsorted(s, v, right=(o or {}).get('right', False) or (o or {}).get('side') == 'right',
                                                            sorter=None if (o or {}).get('sorter') is None else o['sorter'].long()).int(),
    'bucketize': lambda x, b, o=None: torch.bucketize(x, b, right=(o or {}).get('right', False)).int(),
    'unique': lambda x, o=None: t_unique(x, o or {}),
    'uniqueConsecutive': lambda x, o=None: t_unique(x, o or {}, consecutive=True),
    'narrow': torch.narrow, 'select': torch.select,
    'slice': lambda x, d, a, b, st=1: x[(slice(None),) * (d % x.dim()) + (slice(a, b, st),)], 'index': t_index, 'contiguous': lambda x: x.contiguous(),
    't': lambda x: x.t(),
    'gather': lambda x, d, i: torch.gather(x, d, i.long()),
    'scatterAdd': lambda x, d, i, s: torch.scatter_add(x, d, i.long(), s[tuple(slice(0, n) for n in i.shape)]),
    'indexSelect': lambda x, d, i: torch.index_select(x, d, i.long()),
    'pad': lambda x, p, v=0: F.pad(x, p, value=v),
    'conv2d': t_conv2d, 'conv1d': t_conv1d, 'maxPool2d': t_maxpool, 'avgPool2d': t_avgpool,
    'conv3d': t_conv3d, 'maxPool3d': t_maxpool3d, 'avgPool3d': t_avgpool3d,
    'convTranspose2d': t_conv_transpose2d, 'convTranspose1d': t_conv_transpose1d, 'convTranspose3d': t_conv_transpose3d,
}


# ---- shape ops (flip ... meshgrid) ----------------------------------------------------------
def as_list(v):
    return list(v) if isinstance(v, (list, tuple)) else [v]


def t_roll(x, shifts, dims=UNDEF):
    return torch.roll(x, shifts, None if is_undef(dims) else dims)


def t_repeat_interleave(x, repeats=UNDEF, dim=UNDEF, opts=None):
    size = (opts or {}).get('outputSize')
    if is_undef(repeats):
        return torch.repeat_interleave(x.long(), output_size=size).int()
    r = repeats.long() if torch.is_tensor(repeats) else repeats
    return torch.repeat_interleave(x, r, None if is_undef(dim) else dim, output_size=size)


def t_tri_indices(fn):
    return lambda r, c, off=0, o=None: fn(r, c, undef_or(off, 0)).int()


SHAPE_MORE = {
    'flip': lambda x, d: torch.flip(x, as_list(d)), 'fliplr': torch.fliplr, 'flipud': torch.flipud,
    'roll': t_roll, 'rot90': lambda x, k=1, d=UNDEF: torch.rot90(x, undef_or(k, 1), undef_or(d, [0, 1])),
    'repeat': lambda x, s: x.repeat(*s), 'tile': lambda x, d: torch.tile(x, d),
    'repeatInterleave': t_repeat_interleave, 'unbind': lambda x, d=0: torch.unbind(x, undef_or(d, 0)),
    'tensorSplit': lambda x, s, d=0: torch.tensor_split(x, s, undef_or(d, 0)),
    'unflatten': lambda x, d, s: x.unflatten(d, s),
    'tril': lambda x, k=0: torch.tril(x, undef_or(k, 0)), 'triu': lambda x, k=0: torch.triu(x, undef_or(k, 0)),
    'trilIndices': t_tri_indices(torch.tril_indices), 'triuIndices': t_tri_indices(torch.triu_indices),
    'diag': lambda x, k=0: torch.diag(x, undef_or(k, 0)),
    'diagonal': lambda x, o=0, a=0, b=1: torch.diagonal(x, undef_or(o, 0), undef_or(a, 0), undef_or(b, 1)),
    'trace': torch.trace,
    'diagEmbed': lambda x, o=0, a=-2, b=-1: torch.diag_embed(x, undef_or(o, 0), undef_or(a, -2), undef_or(b, -1)),
    'movedim': torch.movedim, 'swapaxes': torch.swapaxes, 'swapdims': torch.swapdims,
    'broadcastTo': torch.broadcast_to, 'broadcastTensors': lambda *ts: torch.broadcast_tensors(*ts),
    'meshgrid': lambda ts, o=None: torch.meshgrid(*ts, indexing=(o or {}).get('indexing', 'ij')),
    'hstack': torch.hstack, 'vstack': torch.vstack, 'dstack': torch.dstack, 'columnStack': torch.column_stack,
    'unfold': lambda x, d, size, step: x.unfold(d, size, step),
}
TORCH.update(SHAPE_MORE)


# ---- scatter family and creation (scatter, scatterReduce, indexCopy, indexPut, logspace) ------
def t_scatter_src(s, i):
    return s[tuple(slice(0, n) for n in i.shape)] if torch.is_tensor(s) else s


SCATTER = {
    'scatter': lambda x, d, i, s: torch.scatter(x, d, i.long(), t_scatter_src(s, i)),
    'scatterReduce': lambda x, d, i, s, r, o=None: torch.scatter_reduce(
        x, d, i.long(), s, r, include_self=(o or {}).get('includeSelf', True)),
    'indexCopy': lambda x, d, i, s: torch.index_copy(x, d, i.long(), s),
    'indexPut': lambda x, ids, v, acc=False: torch.index_put(x, tuple(i.long() if i.dtype == torch.int32 else i for i in ids), v, accumulate=acc),
    'logspace': lambda a, b, n, base=10, o=None: torch.logspace(a, b, n, base=undef_or(base, 10), dtype=torch.float32),
    'sliceScatter': lambda x, s, d=0, start=None, end=None, step=1: torch.slice_scatter(x, s, d, start, end, step),
    'selectScatter': lambda x, s, d, i: torch.select_scatter(x, s, d, i),
    'diagonalScatter': lambda x, s, o=0, d1=0, d2=1: torch.diagonal_scatter(x, s, o, d1, d2),
    'maskedScatter': lambda x, m, s: torch.masked_scatter(x, m, s),
}
TORCH.update(SCATTER)


# ---- sorting and selection ------------------------------------------------------------------
def t_sort(x, dim=-1, descending=False, opts=None):
    # Tensile's sort is always stable; so is PyTorch's with stable=True.
    return torch.sort(x, dim=undef_or(dim, -1), descending=undef_or(descending, False), stable=True)


SORT = {
    'sort': t_sort,
    'argsort': lambda x, dim=-1, descending=False, opts=None: t_sort(x, dim, descending).indices,
    'msort': torch.msort,
    'topk': lambda x, k, dim=-1, largest=True, s=True: torch.topk(x, k, dim=undef_or(dim, -1), largest=undef_or(largest, True), sorted=undef_or(s, True)),
    'kthvalue': lambda x, k, dim=-1, keepdim=False: torch.kthvalue(x, k, dim=undef_or(dim, -1), keepdim=undef_or(keepdim, False)),
    'mode': lambda x, dim=-1, keepdim=False: torch.mode(x, undef_or(dim, -1), undef_or(keepdim, False)),
    'median': lambda x, dim=UNDEF, keepdim=False: torch.median(x) if is_undef(dim) else torch.median(x, dim, undef_or(keepdim, False)),
    'nanmedian': lambda x, dim=UNDEF, keepdim=False: torch.nanmedian(x) if is_undef(dim) else torch.nanmedian(x, dim, undef_or(keepdim, False)),
    'quantile': lambda x, q, dim=None, keepdim=False, o=None: torch.quantile(
        x, q, dim=undef_or(dim, None), keepdim=undef_or(keepdim, False), interpolation=(o or {}).get('interpolation', 'linear')),
    'nanquantile': lambda x, q, dim=None, keepdim=False, o=None: torch.nanquantile(
        x, q, dim=undef_or(dim, None), keepdim=undef_or(keepdim, False), interpolation=(o or {}).get('interpolation', 'linear')),
}
TORCH.update(SORT)


def t_cumulative(fn):
    def run(x, d, o=None):
        o = o or {}
        return fn(x, d, dtype=DT[o['dtype']] if 'dtype' in o else None)
    return run


SCAN = {
    'cumsum': t_cumulative(torch.cumsum), 'cumprod': t_cumulative(torch.cumprod),
    'cummax': torch.cummax, 'cummin': torch.cummin, 'logcumsumexp': torch.logcumsumexp,
}
TORCH.update(SCAN)


def t_sdpa(q, k, v, o=None):
    # PyTorch 1.13 has no F.scaled_dot_product_attention: its 2.x math path, written out.
    o = o or {}
    mask, causal, scale = o.get('attnMask'), o.get('isCausal', False), o.get('scale')
    factor = scale if scale is not None else 1 / math.sqrt(q.shape[-1])
    scores = (q * factor) @ k.transpose(-2, -1)
    if causal:
        mask = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
    if mask is not None:
        scores = scores.masked_fill(~mask, float('-inf')) if mask.dtype == torch.bool else scores + mask
    return torch.softmax(scores, -1) @ v


TORCH['scaledDotProductAttention'] = t_sdpa


def evaluate(expr, tensors):
    if isinstance(expr, list):
        return [evaluate(e, tensors) for e in expr]
    if isinstance(expr, dict):
        if '$t' in expr:
            return tensors[expr['$t']]
        if '$undef' in expr:
            return expr
        if '$opts' in expr:
            return expr['$opts']
        if '$num' in expr:
            return float(expr['$num'])
        if '$get' in expr:
            return getattr(evaluate(expr['$get'][0], tensors), expr['$get'][1])
        if 'op' in expr:
            args = [evaluate(a, tensors) for a in expr['args']]
            # Trailing undefined arguments fall back to the defaults.
            while args and is_undef(args[-1]):
                args.pop()
            if expr.get('method') and expr['op'] == 'where':
                # x.where(condition, other) is where(condition, x, other).
                args = [args[1], args[0], args[2]]
            return TORCH[expr['op']](*args)
        return {k: evaluate(v, tensors) for k, v in expr.items()}
    return expr


# ---- encoding -------------------------------------------------------------------------------

SPECIAL = {'on': False}


def num(v, dtype):
    if dtype == 'bool':
        return bool(v)
    if dtype == 'int32':
        return int(v)
    f = float(v)
    if not math.isfinite(f):
        # Cases about NaN and infinities opt in; the runner reads these strings with Number().
        if not SPECIAL['on']:
            raise ValueError('fixtures must be finite (add_case(..., special=True) for cases about NaN and infinities)')
        return 'NaN' if f != f else ('Infinity' if f > 0 else '-Infinity')
    return float('%.9g' % f)


def enc(t, extra=None):
    name = dtype_name(t)
    flat = t.detach().reshape(-1).tolist()
    d = {'shape': list(t.shape), 'dtype': name, 'data': [num(v, name) for v in flat]}
    if extra:
        d.update(extra)
    return d


# ---- inputs ---------------------------------------------------------------------------------

class Gen:
    def __init__(self, name):
        self.g = torch.Generator().manual_seed(zlib.crc32(name.encode()))

    def randn(self, *shape, scale=1.0):
        return (torch.randn(shape, generator=self.g) * scale).float()

    def uniform(self, lo, hi, *shape):
        return (torch.rand(shape, generator=self.g) * (hi - lo) + lo).float()

    def away(self, *shape, lo=0.3, hi=2.0):
        """Values with |x| in [lo, hi), random sign: away from 0 and from kinks."""
        mag = self.uniform(lo, hi, *shape)
        sgn = torch.where(torch.rand(shape, generator=self.g) < 0.5, -1.0, 1.0)
        return (mag * sgn).float()

    def ints(self, lo, hi, *shape, dtype=torch.int32):
        return torch.randint(lo, hi, shape, generator=self.g).to(dtype)

    def distinct(self, *shape, scale=1.0):
        """Float values with no ties (a shuffled, jittered ramp)."""
        n = int(torch.tensor(shape).prod().item()) if shape else 1
        perm = torch.randperm(n, generator=self.g).float()
        jitter = torch.rand(n, generator=self.g) * 0.5
        return ((perm + jitter - n / 2) * (scale * 4 / max(n, 1))).reshape(shape).float()


FILES = {}


def add_case(file, name, call, inputs, tol='elementwise', grad=True, special=False):
    """inputs: list of torch tensors, or (tensor, requires_grad) pairs. special: values may be
    NaN or infinite (no gradients then)."""
    if special:
        SPECIAL['on'] = True
        try:
            add_case(file, name, call, inputs, tol, grad=False)
        finally:
            SPECIAL['on'] = False
        return
    g = Gen(name)
    tensors, specs = [], []
    for item in inputs:
        t, wants = (item if isinstance(item, tuple) else (item, True))
        t = t.detach().clone()
        wants = wants and grad and t.dtype == torch.float32
        if wants:
            t.requires_grad_(True)
        tensors.append(t)
        specs.append(enc(t, {'grad': wants}))
    result = evaluate(call, tensors)
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    case = {'name': name, 'call': call, 'inputs': specs, 'tol': tol, 'out': [enc(o.float() if o.dtype == torch.float64 else o) for o in outs]}
    diff = [t for t in tensors if t.requires_grad]
    if diff and all(o.dtype == torch.float32 and o.requires_grad for o in outs):
        ws = [g.randn(*o.shape) for o in outs]
        loss = sum((o * w).sum() for o, w in zip(outs, ws))
        grads = torch.autograd.grad(loss, diff, allow_unused=True)
        it = iter(grads)
        gl = []
        for t in tensors:
            if t.requires_grad:
                gr = next(it)
                # None: torch sees no dependence; Tensile leaves .grad null (or zeros).
                gl.append(enc(gr) if gr is not None else None)
            else:
                gl.append(None)
        case['w'] = [enc(w) for w in ws]
        case['grads'] = gl
    FILES.setdefault(file, []).append(case)


def add_higher(name, call, inputs, tol='matmul'):
    g = Gen(name)
    tensors = [t.detach().clone().requires_grad_(True) for t in inputs]
    out = evaluate(call, tensors)
    w = g.randn(*out.shape)
    gs = torch.autograd.grad((out * w).sum(), tensors, create_graph=True)
    us = [g.randn(*t.shape) for t in tensors]
    second = sum((gi * ui).sum() for gi, ui in zip(gs, us))
    ggs = torch.autograd.grad(second, tensors, allow_unused=True)
    FILES.setdefault('higher', []).append({
        'name': name, 'call': call, 'inputs': [enc(t, {'grad': True}) for t in tensors], 'tol': tol,
        'out': [enc(out)], 'w': [enc(w)], 'grads': [enc(gi) for gi in gs], 'u': [enc(u) for u in us],
        'second': [enc(gg if gg is not None else torch.zeros_like(t)) for gg, t in zip(ggs, tensors)],
    })


# ---- the cases ------------------------------------------------------------------------------

def creation():
    f = 'creation'
    add_case(f, 'tensor/nested', E('tensor', [[1.5, -2], [3, 4.25]], OPTS()), [])
    add_case(f, 'tensor/bool', E('tensor', [True, False, True], OPTS()), [])
    add_case(f, 'tensor/int32', E('tensor', [[1, -2, 3]], OPTS(dtype='int32')), [])
    add_case(f, 'tensor/scalar', E('tensor', 3.5, OPTS()), [])
    add_case(f, 'zeros', E('zeros', [2, 3], OPTS()), [])
    add_case(f, 'zeros/int32', E('zeros', [4], OPTS(dtype='int32')), [])
    add_case(f, 'ones', E('ones', [3, 1, 2], OPTS()), [])
    add_case(f, 'ones/bool', E('ones', [2, 2], OPTS(dtype='bool')), [])
    add_case(f, 'full', E('full', [2, 3], 7.5, OPTS()), [])
    add_case(f, 'full/int32', E('full', [3], -4, OPTS(dtype='int32')), [])
    add_case(f, 'full/0d', E('full', [], 2.0, OPTS()), [])
    add_case(f, 'arange/one-arg', E('arange', 5, UNDEF, 1, OPTS()), [])
    add_case(f, 'arange/start-end', E('arange', 2, 9, 3, OPTS()), [])
    add_case(f, 'arange/float-step', E('arange', 0, 1, 0.25, OPTS()), [])
    add_case(f, 'arange/negative-step', E('arange', 5, -1, -2, OPTS()), [])
    add_case(f, 'arange/float-dtype', E('arange', 4, UNDEF, 1, OPTS(dtype='float32')), [])
    add_case(f, 'linspace', E('linspace', 0, 1, 5, OPTS()), [])
    add_case(f, 'linspace/negative', E('linspace', -3, 7, 11, OPTS()), [])
    add_case(f, 'linspace/one', E('linspace', 2, 5, 1, OPTS()), [])
    add_case(f, 'eye', E('eye', 3, UNDEF, OPTS()), [])
    add_case(f, 'eye/rect', E('eye', 2, 4, OPTS()), [])
    g = Gen('creation-like')
    add_case(f, 'zerosLike', E('zerosLike', T(0)), [g.randn(2, 3)])
    add_case(f, 'onesLike/int32', E('onesLike', T(0)), [g.ints(0, 5, 4)])
    add_case(f, 'fullLike', E('fullLike', T(0), -2.5), [g.randn(3, 1)])
    add_case(f, 'cast/float-to-int32', E('cast', T(0), 'int32'), [torch.tensor([-2.7, -0.5, 0.0, 0.5, 2.7, 7.0])])
    add_case(f, 'cast/int32-to-float', M('cast', T(0), 'float32'), [g.ints(-9, 9, 2, 3)])
    add_case(f, 'cast/float-to-bool', E('cast', T(0), 'bool'), [torch.tensor([0.0, -0.0, 1.5, -2.0])])
    add_case(f, 'clone', E('clone', E('transpose', T(0), 0, 1)), [g.randn(2, 3)])


def unary():
    f = 'unary'
    any_ = lambda g, *s: g.away(*s, lo=0.05, hi=2.5)
    pos = lambda g, *s: g.uniform(0.2, 3.0, *s)
    specs = [
        ('neg', any_), ('abs', any_), ('sign', any_), ('exp', any_), ('expm1', any_), ('log', pos),
        ('log1p', lambda g, *s: g.uniform(-0.6, 3.0, *s)), ('sqrt', pos), ('rsqrt', pos),
        ('reciprocal', lambda g, *s: g.away(*s, lo=0.4, hi=2.0)), ('square', any_), ('sin', any_), ('cos', any_),
        ('tanh', any_), ('sigmoid', any_), ('relu', any_), ('silu', any_), ('softplus', any_), ('erf', any_),
        ('floor', lambda g, *s: g.away(*s, lo=0.05, hi=3.0) + 0.01), ('ceil', lambda g, *s: g.away(*s, lo=0.05, hi=3.0) + 0.01),
    ]
    for op, make in specs:
        g = Gen(op)
        add_case(f, f'{op}/2d', E(op, T(0)), [make(g, 3, 4)])
        add_case(f, f'{op}/method-0d', M(op, T(0)), [make(g)])
    add_case(f, 'round/half-even', E('round', T(0)), [torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 1.3, -2.7, 3.49])])
    add_case(f, 'softplus/large', E('softplus', T(0)), [torch.tensor([-30.0, -3.0, 0.5, 19.0, 21.0, 40.0])])
    g = Gen('unary-more')
    add_case(f, 'leakyRelu/default', E('leakyRelu', T(0)), [g.away(3, 4)])
    add_case(f, 'leakyRelu/slope', E('leakyRelu', T(0), 0.2), [g.away(2, 5)])
    add_case(f, 'gelu/none', E('gelu', T(0)), [g.away(3, 4, lo=0.01, hi=3)])
    add_case(f, 'gelu/tanh', E('gelu', T(0), 'tanh'), [g.away(3, 4, lo=0.01, hi=3)])
    add_case(f, 'clamp/both', E('clamp', T(0), -0.5, 0.7), [g.randn(4, 5)])
    add_case(f, 'clamp/min-only', E('clamp', T(0), 0.1), [g.randn(4, 5)])
    add_case(f, 'clamp/max-only', E('clamp', T(0), None, 0.2), [g.randn(4, 5)])
    add_case(f, 'logicalNot/float', E('logicalNot', T(0)), [torch.tensor([0.0, 1.5, -2.0, 0.0])])
    add_case(f, 'logicalNot/bool', E('logicalNot', T(0)), [torch.tensor([True, False, True])])
    add_case(f, 'neg/int32', E('neg', T(0)), [g.ints(-5, 5, 6)])
    add_case(f, 'abs/int32', E('abs', T(0)), [g.ints(-5, 5, 6)])
    add_case(f, 'exp/int32-promotes', E('exp', T(0)), [g.ints(-3, 3, 5)])
    add_case(f, 'sqrt/int32-promotes', E('sqrt', T(0)), [g.ints(1, 9, 5)])
    add_case(f, 'relu/int32', E('relu', T(0)), [g.ints(-5, 5, 6)])
    add_case(f, 'tanh/4d', E('tanh', T(0)), [g.randn(2, 1, 3, 2)])
    more = [
        ('tan', lambda g, *s: g.uniform(-1.3, 1.3, *s)), ('sinh', any_), ('cosh', any_),
        ('asin', lambda g, *s: g.uniform(-0.95, 0.95, *s)), ('acos', lambda g, *s: g.uniform(-0.95, 0.95, *s)),
        ('atan', lambda g, *s: g.away(*s, lo=0.05, hi=6.0)), ('asinh', lambda g, *s: g.away(*s, lo=0.05, hi=6.0)),
        ('acosh', lambda g, *s: g.uniform(1.1, 6.0, *s)), ('atanh', lambda g, *s: g.uniform(-0.9, 0.9, *s)),
        ('log2', pos), ('log10', pos), ('exp2', any_), ('trunc', lambda g, *s: g.away(*s, lo=0.05, hi=3.0) + 0.01),
        ('frac', lambda g, *s: g.away(*s, lo=0.05, hi=3.0) + 0.01), ('erfc', lambda g, *s: g.uniform(-3.0, 4.0, *s)),
        ('erfinv', lambda g, *s: g.uniform(-0.95, 0.95, *s)), ('lgamma', lambda g, *s: g.uniform(0.2, 6.0, *s)),
        ('digamma', lambda g, *s: g.uniform(0.3, 6.0, *s)), ('sinc', any_),
    ]
    for op, make in more:
        g2 = Gen(op)
        add_case(f, f'{op}/2d', E(op, T(0)), [make(g2, 3, 4)])
        add_case(f, f'{op}/method-0d', M(op, T(0)), [make(g2)])
    add_case(f, 'lgamma/negative', E('lgamma', T(0)), [torch.tensor([-0.5, -1.5, -2.3, -3.7, 0.7])])
    add_case(f, 'digamma/negative', E('digamma', T(0)), [torch.tensor([-0.5, -1.5, -2.3, -3.7, 0.7])])
    add_case(f, 'erfc/tail', E('erfc', T(0)), [torch.tensor([2.5, 3.5, 5.0, 7.0, -6.0])], grad=False)
    add_case(f, 'erfinv/near-one', E('erfinv', T(0)), [torch.tensor([0.999, -0.9999, 0.99999, 0.0])], grad=False)
    add_case(f, 'asinh/large', E('asinh', T(0)), [torch.tensor([1e10, -3e20, 1e-20, 0.0])], grad=False)
    add_case(f, 'sinc/zero', E('sinc', T(0)), [torch.tensor([0.0, 1.0, -2.5, 1e-6])])
    add_case(f, 'trunc/int32', E('trunc', T(0)), [g.ints(-9, 9, 5)])
    add_case(f, 'exp2/int32-promotes', E('exp2', T(0)), [g.ints(-3, 9, 5)])
    specials = torch.tensor([0.0, -0.0, 1.5, -2.0, float('nan'), float('inf'), float('-inf')])
    for op in ['isnan', 'isinf', 'isposinf', 'isneginf', 'isfinite']:
        add_case(f, f'{op}/specials', E(op, T(0)), [specials], special=True)
        add_case(f, f'{op}/int32', M(op, T(0)), [g.ints(-9, 9, 4)])
    for op in ['atan', 'erfc', 'erfinv', 'lgamma', 'digamma', 'tan', 'exp2', 'log2', 'asinh', 'acosh', 'atanh', 'asin', 'acos']:
        add_case(f, f'{op}/specials', E(op, T(0)), [torch.tensor([0.0, -0.0, 1.0, -1.0, float('nan'), float('inf'), float('-inf')])],
                 special=True)


def binary_ops():
    f = 'binary'
    g = Gen('binary')
    shapes = [('same', (3, 4), (3, 4)), ('bcast-row', (3, 4), (4,)), ('bcast-both', (2, 1, 4), (3, 1)), ('scalar-tensor', (3, 4), ())]
    for op in ['add', 'sub', 'mul', 'div', 'maximum', 'minimum']:
        for tag, sa, sb in shapes:
            a = g.away(*sa, lo=0.5, hi=2.0)
            b = g.away(*sb, lo=0.5, hi=2.0) if op in ('div',) else g.randn(*sb)
            add_case(f, f'{op}/{tag}', E(op, T(0), T(1)), [a, b])
        add_case(f, f'{op}/number-right', E(op, T(0), 1.5), [g.away(2, 3, lo=0.5, hi=2.0)])
        add_case(f, f'{op}/number-left', E(op, 2.5, T(0)), [g.away(2, 3, lo=0.5, hi=2.0)])
        add_case(f, f'{op}/method', M(op, T(0), T(1)), [g.away(2, 3, lo=0.5, hi=2.0), g.away(3, lo=0.5, hi=2.0)])
    add_case(f, 'add/alpha', E('add', T(0), T(1), 2.5), [g.randn(3, 4), g.randn(4)])
    add_case(f, 'sub/alpha', E('sub', T(0), T(1), -0.5), [g.randn(3, 4), g.randn(3, 1)])
    add_case(f, 'sub/alpha-method', M('sub', T(0), T(1), 3), [g.randn(2, 2), g.randn(2, 2)])
    add_case(f, 'pow/tensor-tensor', E('pow', T(0), T(1)), [g.uniform(0.3, 2.0, 3, 4), g.uniform(-1.5, 2.5, 3, 4)])
    add_case(f, 'pow/bcast', E('pow', T(0), T(1)), [g.uniform(0.3, 2.0, 2, 3), g.uniform(-1, 2, 3)])
    add_case(f, 'pow/square', E('pow', T(0), 2), [g.randn(3, 4)])
    add_case(f, 'pow/cube', E('pow', T(0), 3), [g.randn(5)])
    add_case(f, 'pow/sqrt', E('pow', T(0), 0.5), [g.uniform(0.3, 3, 5)])
    add_case(f, 'pow/number-base', E('pow', 2, T(0)), [g.randn(5)])
    add_case(f, 'add/int32', E('add', T(0), T(1)), [g.ints(-9, 9, 2, 3), g.ints(-9, 9, 3)])
    add_case(f, 'mul/int32', E('mul', T(0), T(1)), [g.ints(-9, 9, 2, 3), g.ints(-9, 9, 2, 3)])
    add_case(f, 'sub/int32-number', E('sub', T(0), 4), [g.ints(-9, 9, 5)])
    add_case(f, 'add/int-float-promotes', E('add', T(0), T(1)), [g.ints(-9, 9, 2, 3), g.randn(2, 3)])
    add_case(f, 'mul/int-by-float-number', E('mul', T(0), 0.5), [g.ints(-9, 9, 4)])
    add_case(f, 'div/int-int-is-float', E('div', T(0), T(1)), [g.ints(-9, 9, 5), torch.tensor([2, 3, -4, 7, 5], dtype=torch.int32)])
    add_case(f, 'add/bool-int', E('add', T(0), T(1)), [torch.tensor([True, False, True]), torch.tensor([1, 2, 3], dtype=torch.int32)])
    add_case(f, 'maximum/int32', E('maximum', T(0), T(1)), [g.ints(-9, 9, 6), g.ints(-9, 9, 6)])
    ia = g.ints(-2, 3, 3, 4).float()
    ib = g.ints(-2, 3, 4).float()
    for op in ['eq', 'ne', 'lt', 'le', 'gt', 'ge']:
        add_case(f, f'{op}/bcast', E(op, T(0), T(1)), [ia, ib])
        add_case(f, f'{op}/number', E(op, T(0), 1), [ia])
        add_case(f, f'{op}/int32', M(op, T(0), T(1)), [ia.int(), ia.int().flip(0)])
    add_case(f, 'eq/int-float', E('eq', T(0), T(1)), [ia.int(), ib])
    for op in ['logicalAnd', 'logicalOr']:
        add_case(f, f'{op}/bool', E(op, T(0), T(1)), [torch.tensor([[True, False], [True, True]]), torch.tensor([True, False])])
        add_case(f, f'{op}/float', E(op, T(0), T(1)), [ia, ib])
        add_case(f, f'{op}/method-int', M(op, T(0), T(1)), [ia.int(), ib.int()])
    for op in ['atan2', 'hypot', 'logaddexp', 'logaddexp2', 'copysign']:
        add_case(f, f'{op}/bcast', E(op, T(0), T(1)), [g.away(3, 4, lo=0.2, hi=3.0), g.away(4, lo=0.2, hi=3.0)])
        add_case(f, f'{op}/method-number', M(op, T(0), -1.5), [g.away(2, 3, lo=0.2, hi=3.0)])
    add_case(f, 'xlogy/bcast', E('xlogy', T(0), T(1)), [g.randn(3, 4), g.uniform(0.2, 3.0, 4)])
    add_case(f, 'xlogy/zero-x', E('xlogy', T(0), T(1)), [torch.tensor([0.0, 0.0, 2.0, -1.0]), torch.tensor([0.0, 5.0, 3.0, 0.5])], grad=False)
    add_case(f, 'atan2/int32-promotes', E('atan2', T(0), T(1)), [g.ints(-5, 5, 6), g.ints(-5, 5, 6)])
    sp = [0.0, -0.0, 1.0, -1.0, float('inf'), float('-inf'), float('nan')]
    ys = torch.tensor([a for a in sp for _ in sp])
    xs = torch.tensor([b for _ in sp for b in sp])
    for op in ['atan2', 'hypot', 'logaddexp', 'logaddexp2', 'copysign', 'xlogy']:
        add_case(f, f'{op}/specials', E(op, T(0), T(1)), [ys, xs], special=True)
    add_case(f, 'logicalXor/bool', E('logicalXor', T(0), T(1)), [torch.tensor([[True, False], [True, True]]), torch.tensor([True, False])])
    add_case(f, 'logicalXor/float', M('logicalXor', T(0), T(1)), [ia, ib])
    cond = g.randn(3, 4) > 0
    add_case(f, 'where/same', E('where', T(0), T(1), T(2)), [cond, g.randn(3, 4), g.randn(3, 4)])
    add_case(f, 'where/bcast', E('where', T(0), T(1), T(2)), [g.randn(3, 1) > 0, g.randn(4), g.randn(3, 4)])
    add_case(f, 'where/bcast-3', E('where', T(0), T(1), T(2)), [g.randn(2, 1, 4) > 0, g.randn(3, 1), g.randn(1, 4)])
    add_case(f, 'where/number', E('where', T(0), T(1), 0), [cond, g.randn(3, 4)])
    add_case(f, 'where/float-cond', E('where', T(0), T(1), T(2)), [(torch.tensor([0.0, 2.0, -1.0, 0.0]), False), g.randn(4), g.randn(4)])
    add_case(f, 'where/method', M('where', T(1), T(0), T(2)), [cond, g.randn(3, 4), g.randn(4)])


def reductions():
    f = 'reduce'
    g = Gen('reduce')
    x = g.distinct(2, 3, 4)
    dims = [('all', UNDEF, False), ('d0', 0, False), ('d1-keep', 1, True), ('neg', -1, False),
            ('list', [0, 2], False), ('list-neg-keep', [-1, -3], True), ('all-keep', UNDEF, True)]
    for op in ['sum', 'mean', 'prod', 'max', 'min', 'var', 'std']:
        for tag, d, k in dims:
            data = x if op != 'prod' else g.uniform(0.5, 1.5, 2, 3, 4) * torch.where(g.randn(2, 3, 4) > 0, 1.0, -1.0)
            call = M(op, T(0), d, k) if op in ('var', 'std') else E(op, T(0), d, k)
            add_case(f, f'{op}/{tag}', call, [data], tol='reduce')
    add_case(f, 'var/biased', M('var', T(0), 1, False, 0), [x], tol='reduce')
    add_case(f, 'std/biased-all', M('std', T(0), UNDEF, False, 0), [x], tol='reduce')
    add_case(f, 'variance/function', E('variance', T(0), -1), [x], tol='reduce')
    add_case(f, 'prod/with-one-zero', E('prod', T(0), 1), [torch.tensor([[1.5, 0.0, -2.0], [0.5, 3.0, 1.25]])], tol='reduce')
    add_case(f, 'prod/with-two-zeros', E('prod', T(0), 1), [torch.tensor([[0.0, 2.0, 0.0], [0.5, 0.0, 1.25]])], tol='reduce')
    add_case(f, 'prod/all-with-zero', E('prod', T(0)), [torch.tensor([[1.5, 0.0], [-2.0, 0.75]])], tol='reduce')
    add_case(f, 'sum/0d', E('sum', T(0)), [torch.tensor(2.5)], tol='reduce')
    add_case(f, 'sum/0d-dim', E('sum', T(0), 0), [torch.tensor(2.5)], tol='reduce')
    add_case(f, 'sum/int32', E('sum', T(0), 1), [g.ints(-9, 9, 3, 4)], tol='reduce')
    add_case(f, 'sum/bool-is-int32', E('sum', T(0)), [g.randn(3, 4) > 0], tol='reduce')
    add_case(f, 'sum/bool-dim', E('sum', T(0), 0), [g.randn(3, 4) > 0], tol='reduce')
    add_case(f, 'max/int32', E('max', T(0), 1), [torch.tensor([[3, -1, 7], [0, 9, -4]], dtype=torch.int32)], tol='reduce')
    add_case(f, 'max/0d', E('max', T(0)), [torch.tensor(-1.5)], tol='reduce')
    # An empty tensor reduces along a non-empty dim to an empty result (found by the fuzz suite).
    add_case(f, 'max/empty-along-full-dim', E('max', T(0), 1, True), [torch.empty(2, 5, 0)], tol='reduce', grad=False)
    add_case(f, 'min/empty-along-full-dim', E('min', T(0), [0, 1]), [torch.empty(2, 5, 0)], tol='reduce', grad=False)
    for op in ['argmax', 'argmin']:
        add_case(f, f'{op}/flat', E(op, T(0)), [x], tol='reduce')
        add_case(f, f'{op}/dim', E(op, T(0), 1), [x], tol='reduce')
        add_case(f, f'{op}/neg-keep', E(op, T(0), -1, True), [x], tol='reduce')
        add_case(f, f'{op}/int32', M(op, T(0), 0), [torch.tensor([[3, -1, 7], [0, 9, -4]], dtype=torch.int32)], tol='reduce')
    add_case(f, 'argmax/ties-first', E('argmax', T(0), 1), [torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])], tol='reduce')
    add_case(f, 'argmin/ties-first', E('argmin', T(0), 1), [torch.tensor([[1.0, 0.0, 0.0], [2.0, 2.0, 5.0]])], tol='reduce')
    for tag, d, k in [('last', -1, False), ('d0-keep', 0, True), ('list', [1, 2], False)]:
        add_case(f, f'logsumexp/{tag}', E('logsumexp', T(0), d, k), [g.randn(2, 3, 4) * 3], tol='reduce')
    add_case(f, 'logsumexp/large', E('logsumexp', T(0), 1), [torch.tensor([[100.0, 101.0, 99.0], [-100.0, -101.0, -99.5]])], tol='reduce')
    for op in ['softmax', 'logSoftmax']:
        add_case(f, f'{op}/last', E(op, T(0), -1), [g.randn(3, 5) * 2], tol='reduce')
        add_case(f, f'{op}/d0', E(op, T(0), 0), [g.randn(3, 5) * 2], tol='reduce')
        add_case(f, f'{op}/3d-mid', M(op, T(0), 1), [g.randn(2, 3, 4)], tol='reduce')
        add_case(f, f'{op}/large', E(op, T(0), 1), [torch.tensor([[1000.0, 1001.0, 999.0], [-50.0, 0.0, 50.0]])], tol='reduce')
        add_case(f, f'{op}/1d', E(op, T(0), 0), [g.randn(6)], tol='reduce')


def statistics():
    f = 'statistics'
    g = Gen('statistics')
    x = g.distinct(2, 3, 4)
    b = g.randn(3, 4) > 0.3
    for op in ['all', 'any']:
        add_case(f, f'{op}/all', E(op, T(0)), [b])
        add_case(f, f'{op}/dim-keep', M(op, T(0), 1, True), [b])
        add_case(f, f'{op}/float', E(op, T(0), 0), [torch.tensor([[0.0, 1.5, 0.0], [2.0, -1.0, 0.0]])])
    add_case(f, 'all/empty', E('all', T(0)), [torch.zeros(0)])
    add_case(f, 'countNonzero/all', E('countNonzero', T(0)), [torch.tensor([[0.0, 1.5, 0.0], [2.0, -1.0, 0.0]])])
    add_case(f, 'countNonzero/dim', M('countNonzero', T(0), 1), [g.ints(-1, 2, 3, 4)])
    for op in ['amax', 'amin']:
        add_case(f, f'{op}/list', E(op, T(0), [0, 2]), [x], tol='reduce')
        add_case(f, f'{op}/method-keep', M(op, T(0), -1, True), [x], tol='reduce')
    add_case(f, 'aminmax/dim', E('aminmax', T(0), {'dim': 1}), [x], tol='reduce', grad=False)
    add_case(f, 'aminmax/all', M('aminmax', T(0)), [x], tol='reduce', grad=False)
    withnan = torch.tensor([[1.5, float('nan'), -2.0], [float('nan'), float('nan'), 4.0]])
    add_case(f, 'nansum/dim', E('nansum', T(0), 1), [withnan], special=True)
    add_case(f, 'nanmean/all', M('nanmean', T(0)), [withnan], special=True)
    add_case(f, 'nansum/finite-grad', E('nansum', T(0), 0), [x], tol='reduce')
    add_case(f, 'nanmean/finite-grad', E('nanmean', T(0), [0, 1], True), [x], tol='reduce')
    add_case(f, 'var/correction-option', M('var', T(0), 1, {'correction': 0}), [x], tol='reduce')
    add_case(f, 'std/correction-keep', E('std', T(0), [0, 2], {'correction': 2, 'keepdim': True}), [x], tol='reduce')
    add_case(f, 'varMean', E('varMean', T(0), 1), [x], tol='reduce')
    add_case(f, 'stdMean/options', E('stdMean', T(0), [0, 1], {'correction': 0, 'keepdim': True}), [x], tol='reduce')
    for tag, p, d, k in [('fro', 'fro', UNDEF, False), ('p1-dim', 1, 1, False), ('p3-keep', 3, -1, True), ('inf', float('inf'), 0, False)]:
        if p == float('inf'):
            add_case(f, f'norm/{tag}', E('linalg.vectorNorm', T(0), NUM('Infinity'), d, k), [x], tol='reduce')
        else:
            add_case(f, f'norm/{tag}', E('norm', T(0), p, d, k), [x], tol='reduce')
    add_case(f, 'norm/method-2', M('norm', T(0), 2, [0, 2]), [x], tol='reduce')
    add_case(f, 'linalg.vectorNorm/default', E('linalg.vectorNorm', T(0)), [x], tol='reduce')
    add_case(f, 'linalg.vectorNorm/p0', E('linalg.vectorNorm', T(0), 0, 1), [torch.tensor([[0.0, 1.5, 0.0], [2.0, -1.0, 0.0]])], tol='reduce', grad=False)
    add_case(f, 'linalg.vectorNorm/neg-inf', E('linalg.vectorNorm', T(0), NUM('-Infinity'), -1, True), [x], tol='reduce')
    a = g.distinct(2, 3, 4)
    for tag, o in [('fro', 'fro'), ('1', 1), ('-1', -1), ('inf', NUM('Infinity')), ('-inf', NUM('-Infinity'))]:
        add_case(f, f'linalg.matrixNorm/{tag}', E('linalg.matrixNorm', T(0), o), [a], tol='reduce')
    add_case(f, 'linalg.matrixNorm/dims-keep', E('linalg.matrixNorm', T(0), 1, [0, 2], True), [a], tol='reduce')
    add_case(f, 'cdist/2', E('cdist', T(0), T(1)), [g.randn(4, 3), g.randn(5, 3)], tol='matmul')
    add_case(f, 'cdist/1-batched', E('cdist', T(0), T(1), 1), [g.randn(2, 4, 3), g.randn(2, 5, 3)], tol='matmul')
    add_case(f, 'cdist/3', E('cdist', T(0), T(1), 3), [g.randn(3, 2), g.randn(2, 2)], tol='matmul')
    obs = g.randn(3, 6)
    add_case(f, 'cov', E('cov', T(0)), [obs], tol='reduce')
    add_case(f, 'cov/1d', M('cov', T(0)), [g.randn(7)], tol='reduce')
    add_case(f, 'cov/weights', E('cov', T(0), {'correction': 0, 'fweights': T(1), 'aweights': T(2)}),
             [obs, torch.tensor([1, 2, 1, 3, 1, 2], dtype=torch.int32), g.uniform(0.2, 1.0, 6)], tol='reduce')
    add_case(f, 'corrcoef', E('corrcoef', T(0)), [obs], tol='reduce')
    add_case(f, 'diff/default', E('diff', T(0)), [x])
    add_case(f, 'diff/n2-dim0', M('diff', T(0), 2, 0), [g.randn(4, 3)])
    add_case(f, 'diff/prepend-append', E('diff', T(0), 1, -1, {'prepend': T(1), 'append': T(2)}), [g.randn(2, 3), g.randn(2, 1), g.randn(2, 2)])
    add_case(f, 'diff/bool', E('diff', T(0)), [torch.tensor([True, True, False, True])])
    add_case(f, 'histc/range', E('histc', T(0), 5, -2, 2), [g.randn(20)], grad=False)
    add_case(f, 'histc/auto', M('histc', T(0), 4), [torch.tensor([0.5, 1.0, 1.5, 2.0, 3.5, 4.0])], grad=False)
    add_case(f, 'bincount', E('bincount', T(0)), [torch.tensor([0, 2, 2, 5, 1], dtype=torch.int32)])
    add_case(f, 'bincount/weights-minlength', M('bincount', T(0), T(1), 8), [torch.tensor([0, 2, 2, 5, 1], dtype=torch.int32), g.randn(5)], grad=False)
    y = x + g.randn(2, 3, 4) * 1e-6
    add_case(f, 'isclose', E('isclose', T(0), T(1)), [x, y])
    add_case(f, 'isclose/tolerances', M('isclose', T(0), T(1), 1e-2, 1e-3), [x, x + g.randn(2, 3, 4) * 1e-2])
    nanpair = [torch.tensor([1.0, float('nan'), float('inf'), 2.0]), torch.tensor([1.0, float('nan'), float('inf'), 2.1])]
    add_case(f, 'isclose/equal-nan', E('isclose', T(0), T(1), 1e-5, 1e-8, True), nanpair, special=True)
    add_case(f, 'isclose/number', E('isclose', T(0), 1.5), [torch.tensor([1.5, 1.50001, 2.0])])
    add_case(f, 'allclose', E('allclose', T(0), T(1)), [x, y])
    add_case(f, 'allclose/no', M('allclose', T(0), T(1)), [x, x + 1e-3])
    add_case(f, 'equal', E('equal', T(0), T(1)), [x, x.clone()])
    add_case(f, 'equal/no', M('equal', T(0), T(1)), [x, y])
    add_case(f, 'nanToNum/default', E('nanToNum', T(0)), [torch.tensor([1.0, float('nan'), float('inf'), float('-inf')])], special=True)
    add_case(f, 'nanToNum/values', M('nanToNum', T(0), 2.0, 100.0, -100.0), [torch.tensor([1.0, float('nan'), float('inf'), float('-inf')])], special=True)
    add_case(f, 'nanToNum/grad', E('nanToNum', T(0), 0.5), [g.randn(3, 2)])
    add_case(f, 'lerp/number', E('lerp', T(0), T(1), 0.3), [g.randn(3, 4), g.randn(4)])
    add_case(f, 'lerp/tensor-weight', M('lerp', T(0), T(1), T(2)), [g.randn(3, 4), g.randn(3, 4), g.uniform(0, 1, 3, 4)])
    add_case(f, 'logit', E('logit', T(0)), [g.uniform(0.05, 0.95, 3, 4)])
    add_case(f, 'logit/eps', M('logit', T(0), 0.1), [g.uniform(0.01, 0.99, 3, 4)])
    add_case(f, 'round/decimals', E('round', T(0), {'decimals': 2}), [torch.tensor([3.14159, -2.71828, 0.125, 1234.5678])])
    add_case(f, 'round/negative-decimals', M('round', T(0), {'decimals': -2}), [torch.tensor([1234.5678, -250.0, 149.9])])
    add_case(f, 'clamp/tensor-bounds', E('clamp', T(0), T(1), T(2)), [g.randn(3, 4), torch.full((4,), -0.5), g.uniform(0.2, 1.0, 3, 1)])
    add_case(f, 'clamp/tensor-min', M('clamp', T(0), T(1)), [g.randn(3, 4), g.randn(3, 4)])


def linalg():
    f = 'matmul'
    g = Gen('matmul')
    cases = [('dot', (5,), (5,)), ('2d', (3, 4), (4, 5)), ('vec-mat', (4,), (4, 3)), ('mat-vec', (3, 4), (4,)),
             ('batched', (2, 3, 4), (2, 4, 5)), ('batched-bcast', (2, 1, 3, 4), (3, 4, 2)), ('batch-by-2d', (3, 2, 4), (4, 3)),
             ('2d-by-batch', (2, 4), (3, 4, 5)), ('vec-by-batch', (4,), (2, 4, 3)), ('batch-by-vec', (2, 3, 4), (4,)),
             ('bigger', (17, 33), (33, 9))]
    for tag, sa, sb in cases:
        add_case(f, f'matmul/{tag}', E('matmul', T(0), T(1)), [g.randn(*sa), g.randn(*sb)], tol='matmul')
    add_case(f, 'matmul/transposed-lhs', E('matmul', E('transpose', T(0), 0, 1), T(1)), [g.randn(4, 3), g.randn(4, 5)], tol='matmul')
    add_case(f, 'matmul/transposed-both', M('matmul', M('t', T(0)), E('permute', T(1), [1, 0])), [g.randn(4, 3), g.randn(2, 4)], tol='matmul')
    add_case(f, 'matmul/expanded', E('matmul', E('expand', T(0), [3, 2, 4]), T(1)), [g.randn(2, 4), g.randn(3, 4, 2)], tol='matmul')
    add_case(f, 'composite/mlp', E('logSoftmax', E('matmul', E('tanh', E('add', E('matmul', T(0), T(1)), T(2))), T(3)), -1),
             [g.randn(4, 5), g.randn(5, 6) * 0.5, g.randn(6), g.randn(6, 3) * 0.5], tol='matmul')


def solvers():
    f = 'linalg'
    g = Gen('linalg')

    def conditioned(*shape):
        # Random, with n on the diagonal: well away from singular, so float32 elimination
        # and LAPACK agree to float32 rounding.
        n = shape[-1]
        return g.randn(*shape) + n * torch.eye(n)

    permuted = torch.tensor([[0.0, 2.0, 1.0], [1.0, 0.0, 3.0], [2.0, 1.0, 0.5]])  # a zero pivot without row swaps
    add_case(f, 'linalg.solve', E('linalg.solve', T(0), T(1)), [conditioned(3, 3), g.randn(3, 2)], tol='matmul')
    add_case(f, 'linalg.solve/vector', E('linalg.solve', T(0), T(1)), [conditioned(4, 4), g.randn(4)], tol='matmul')
    add_case(f, 'linalg.solve/batched-broadcast-b', E('linalg.solve', T(0), T(1)), [conditioned(2, 3, 3), g.randn(3, 2)], tol='matmul')
    add_case(f, 'linalg.solve/broadcast-a', E('linalg.solve', T(0), T(1)), [conditioned(1, 3, 3), g.randn(2, 3, 1)], tol='matmul')
    add_case(f, 'linalg.solve/pivoting', E('linalg.solve', T(0), T(1)), [permuted, g.randn(3, 2)], tol='matmul')
    add_case(f, 'linalg.inv', E('linalg.inv', T(0)), [conditioned(3, 3)], tol='matmul')
    add_case(f, 'linalg.inv/batched', E('linalg.inv', T(0)), [conditioned(2, 4, 4)], tol='matmul')
    add_case(f, 'linalg.inv/pivoting', E('linalg.inv', T(0)), [permuted], tol='matmul')
    add_case(f, 'linalg.inv/1x1', E('linalg.inv', T(0)), [torch.tensor([[4.0]])], tol='matmul')
    add_case(f, 'linalg.det', E('linalg.det', T(0)), [conditioned(3, 3)], tol='matmul')
    add_case(f, 'linalg.det/batched', E('linalg.det', T(0)), [g.randn(2, 3, 4, 4)], tol='matmul')
    add_case(f, 'linalg.det/pivoting', E('linalg.det', T(0)), [permuted], tol='matmul')
    add_case(f, 'linalg.det/singular', E('linalg.det', T(0)), [torch.tensor([[1.0, 2.0], [2.0, 4.0]])], tol='matmul', grad=False)
    add_case(f, 'linalg.slogdet', E('linalg.slogdet', T(0)), [conditioned(3, 3)], tol='matmul')
    add_case(f, 'linalg.slogdet/negative-batched', E('linalg.slogdet', T(0)), [torch.stack([permuted, -conditioned(3, 3)])], tol='matmul')
    def spd(*shape):
        m = g.randn(*shape)
        return m @ m.transpose(-1, -2) + shape[-1] * torch.eye(shape[-1])

    add_case(f, 'linalg.cholesky', E('linalg.cholesky', T(0)), [spd(4, 4)], tol='matmul')
    add_case(f, 'linalg.cholesky/batched-upper', E('linalg.cholesky', T(0), {'upper': True}), [spd(2, 3, 3)], tol='matmul')
    add_case(f, 'linalg.cholesky/1x1', E('linalg.cholesky', T(0)), [torch.tensor([[9.0]])], tol='matmul')
    def triangular(upper, *shape):
        m = g.randn(*shape) + 3 * torch.eye(shape[-1])
        return m.triu() if upper else m.tril()

    # The other triangle holds values the op must not read (and whose gradient is zero).
    junk = lambda upper, *shape: triangular(upper, *shape) + (g.randn(*shape).tril(-1) if upper else g.randn(*shape).triu(1))
    add_case(f, 'linalg.solveTriangular/lower', E('linalg.solveTriangular', T(0), T(1), {'upper': False}), [junk(False, 4, 4), g.randn(4, 2)], tol='matmul')
    add_case(f, 'linalg.solveTriangular/upper-batched', E('linalg.solveTriangular', T(0), T(1), {'upper': True}), [junk(True, 2, 3, 3), g.randn(3, 2)], tol='matmul')
    add_case(f, 'linalg.solveTriangular/right', E('linalg.solveTriangular', T(0), T(1), {'upper': False, 'left': False}), [junk(False, 3, 3), g.randn(2, 3)], tol='matmul')
    add_case(f, 'linalg.solveTriangular/unit-upper', E('linalg.solveTriangular', T(0), T(1), {'upper': True, 'unitriangular': True}), [junk(True, 3, 3), g.randn(3, 3)], tol='matmul')
    add_case(f, 'linalg.qr/tall', E('linalg.qr', T(0)), [g.randn(5, 3)], tol='matmul')
    add_case(f, 'linalg.qr/square-batched', E('linalg.qr', T(0)), [g.randn(2, 4, 4)], tol='matmul')
    add_case(f, 'linalg.qr/wide', E('linalg.qr', T(0)), [g.randn(2, 4)], tol='matmul', grad=False)
    add_case(f, 'linalg.qr/complete', E('linalg.qr', T(0), 'complete'), [g.randn(4, 2)], tol='matmul', grad=False)
    add_case(f, 'linalg.matrixPower/5', E('linalg.matrixPower', T(0), 5), [g.randn(3, 3) * 0.5], tol='matmul')
    add_case(f, 'linalg.matrixPower/0-batched', E('linalg.matrixPower', T(0), 0), [g.randn(2, 3, 3)], tol='matmul')
    add_case(f, 'linalg.matrixPower/-2', E('linalg.matrixPower', T(0), -2), [conditioned(3, 3)], tol='matmul')
    add_case(f, 'linalg.matrixPower/1', E('linalg.matrixPower', T(0), 1), [g.randn(2, 2)], tol='matmul')
    add_case(f, 'linalg.matrixExp/small', E('linalg.matrixExp', T(0)), [g.randn(3, 3) * 0.3], tol='matmul')
    add_case(f, 'linalg.matrixExp/scaled-batch', E('linalg.matrixExp', T(0)),
             [torch.stack([g.randn(3, 3) * 2, torch.zeros(3, 3), torch.tensor([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 0.5]])])], tol='matmul')
    add_case(f, 'linalg.slogdet/singular', E('linalg.slogdet', T(0)), [torch.tensor([[1.0, 2.0], [2.0, 4.0]])], tol='matmul', grad=False, special=True)
    # eigh: eigenvector signs are arbitrary, so the vectors are compared with each column's sign
    # fixed by its first entry (sign has a zero gradient); eigenvalues well apart, so the
    # eigenvectors and their gradient are well defined.
    def eigh_cases(name, a, *args):
        vectors = G(E('linalg.eigh', T(0), *args), 'eigenvectors')
        add_case(f, f'{name}/values', G(E('linalg.eigh', T(0), *args), 'eigenvalues'), [a], tol='matmul')
        add_case(f, f'{name}/vectors', E('mul', vectors, E('sign', M('unsqueeze', M('select', vectors, -2, 0), -2))), [a], tol='matmul')

    def symmetric(*shape):
        m = g.randn(*shape)
        return (m + m.transpose(-1, -2)) / 2

    eigh_cases('linalg.eigh', symmetric(4, 4))
    eigh_cases('linalg.eigh/odd-batched', symmetric(2, 5, 5))
    # Only the lower triangle is read (UPLO 'U': the upper); the other one holds values to ignore.
    eigh_cases('linalg.eigh/lower-only', g.randn(3, 3))
    eigh_cases('linalg.eigh/upper', g.randn(2, 4, 4), 'U')
    eigh_cases('linalg.eigh/bigger', symmetric(12, 12))
    eigh_cases('linalg.eigh/1x1', torch.tensor([[-2.5]]))
    # svd: each pair of singular vectors has an arbitrary common sign, fixed here by the first
    # row of U (sign has a zero gradient); reduced factors, singular values well apart.
    def svd_cases(name, a):
        u = G(E('linalg.svd', T(0), False), 'U')
        vh = G(E('linalg.svd', T(0), False), 'Vh')
        signs = E('sign', M('select', u, -2, 0))
        add_case(f, f'{name}/S', G(E('linalg.svd', T(0), False), 'S'), [a], tol='matmul')
        add_case(f, f'{name}/U', E('mul', u, M('unsqueeze', signs, -2)), [a], tol='matmul')
        add_case(f, f'{name}/Vh', E('mul', vh, M('unsqueeze', signs, -1)), [a], tol='matmul')

    svd_cases('linalg.svd/tall', g.randn(5, 3))
    svd_cases('linalg.svd/wide', g.randn(3, 5))
    svd_cases('linalg.svd/square-batched', g.randn(2, 4, 4))
    svd_cases('linalg.svd/odd', g.randn(7, 5))
    add_case(f, 'linalg.svd/full-S', G(E('linalg.svd', T(0)), 'S'), [g.randn(4, 6)], tol='matmul')
    add_case(f, 'linalg.svdvals', E('linalg.svdvals', T(0)), [g.randn(6, 4)], tol='matmul')
    add_case(f, 'linalg.svdvals/batched-wide', E('linalg.svdvals', T(0)), [g.randn(3, 2, 5)], tol='matmul')
    rank1 = torch.tensor([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    add_case(f, 'linalg.pinv/tall', E('linalg.pinv', T(0)), [g.randn(5, 3)], tol='matmul')
    add_case(f, 'linalg.pinv/wide-batched', E('linalg.pinv', T(0)), [g.randn(2, 3, 4)], tol='matmul')
    add_case(f, 'linalg.pinv/rank-deficient', E('linalg.pinv', T(0)), [rank1], tol='matmul')
    add_case(f, 'linalg.pinv/hermitian', E('linalg.pinv', T(0), {'hermitian': True}), [symmetric(4, 4)], tol='matmul')
    add_case(f, 'linalg.pinv/atol', E('linalg.pinv', T(0), {'atol': 1.0}), [torch.diag(torch.tensor([3.0, 0.5, 2.0]))], tol='matmul')
    add_case(f, 'linalg.matrixRank', E('linalg.matrixRank', T(0)), [torch.stack([rank1, g.randn(3, 2)])])
    add_case(f, 'linalg.matrixRank/tolerances', E('linalg.matrixRank', T(0), {'atol': 0.75, 'rtol': 0.0}), [torch.diag(torch.tensor([3.0, 0.5, 2.0, 1.0]))])
    add_case(f, 'linalg.matrixRank/hermitian', E('linalg.matrixRank', T(0), {'hermitian': True}), [torch.tensor([[2.0, 1.0], [1.0, 0.5]])])
    add_case(f, 'linalg.matrixNorm/nuc', E('linalg.matrixNorm', T(0), 'nuc'), [g.randn(4, 3)], tol='matmul')
    add_case(f, 'linalg.matrixNorm/2-dims-keepdim', E('linalg.matrixNorm', T(0), 2, [0, 2], True), [g.randn(3, 2, 4)], tol='matmul')
    add_case(f, 'linalg.matrixNorm/-2', E('linalg.matrixNorm', T(0), -2), [g.randn(2, 3, 3)], tol='matmul')
    add_case(f, 'norm/nuc', E('norm', T(0), 'nuc'), [g.randn(3, 5)], tol='matmul')
    add_case(f, 'linalg.eigh/diagonal', G(E('linalg.eigh', T(0)), 'eigenvalues'), [torch.diag(torch.tensor([3.0, -1.0, 2.0, 0.5]))], tol='matmul')
    add_case(f, 'linalg.eigvalsh', E('linalg.eigvalsh', T(0)), [symmetric(6, 6)], tol='matmul')
    add_case(f, 'linalg.eigvalsh/upper-batched', E('linalg.eigvalsh', T(0), 'U'), [g.randn(3, 3, 3)], tol='matmul')
    add_case(f, 'linalg.lstsq/tall', E('linalg.lstsq', T(0), T(1)), [g.randn(6, 3), g.randn(6, 2)], tol='matmul')
    add_case(f, 'linalg.lstsq/wide-vector', E('linalg.lstsq', T(0), T(1)), [g.randn(2, 4), g.randn(2)], tol='matmul')
    # At rank deficiency the residuals are empty in PyTorch; GPU backends cannot read the rank
    # to choose that shape (see edge-cases.ts), so these compare the solution and the rank.
    low, rhs = g.randn(2, 5, 3), g.randn(2, 5, 1)
    add_case(f, 'linalg.lstsq/batched-rcond/solution', G(E('linalg.lstsq', T(0), T(1), 0.3), 'solution'), [low, rhs], tol='matmul')
    add_case(f, 'linalg.lstsq/batched-rcond/rank', G(E('linalg.lstsq', T(0), T(1), 0.3), 'rank'), [low, rhs], tol='matmul')
    rhs = g.randn(3, 2)
    add_case(f, 'linalg.lstsq/rank-deficient/solution', G(E('linalg.lstsq', T(0), T(1), None, {'driver': 'gelss'}), 'solution'), [rank1, rhs], tol='matmul')
    add_case(f, 'linalg.lstsq/rank-deficient/rank', G(E('linalg.lstsq', T(0), T(1), None, {'driver': 'gelss'}), 'rank'), [rank1, rhs], tol='matmul')


def contractions():
    f = 'contractions'
    g = Gen('contractions')
    einsums = [
        ('attention-scores', 'bhqd,bhkd->bhqk', [(2, 3, 4, 5), (2, 3, 6, 5)]),
        ('matmul', 'ij,jk->ik', [(3, 4), (4, 5)]),
        ('matmul-implicit', 'ij,jk', [(3, 4), (4, 5)]),
        ('diagonal', 'ii->i', [(4, 4)]),
        ('trace', 'ii', [(4, 4)]),
        ('ellipsis-batched', '...ij,...jk->...ik', [(2, 3, 4), (2, 4, 5)]),
        ('ellipsis-broadcast', '...ij,...jk->...ik', [(2, 1, 3, 4), (3, 4, 2)]),
        ('outer', 'i,j->ij', [(4,), (5,)]),
        ('sum-all', 'bij->', [(2, 3, 4)]),
        ('reverse', 'ijk->kji', [(2, 3, 4)]),
        ('transpose-implicit', 'ba', [(3, 4)]),
        ('dot', 'i,i->', [(6,)] * 2),
        ('bilinear', 'bn,anm,bm->ba', [(2, 3), (4, 3, 5), (2, 5)]),
        ('chain', 'ij,jk,kl->il', [(2, 3), (3, 4), (4, 5)]),
        ('sum-unshared', 'ij,kl->jk', [(2, 3), (4, 5)]),
        ('batch-diagonal', 'bii->bi', [(3, 4, 4)]),
        ('diagonal-times', 'iij,jk->ik', [(3, 3, 4), (4, 2)]),
        ('hadamard-sum', 'ij,ij->i', [(3, 4), (3, 4)]),
        ('size-one-broadcast', 'ij,ij->ij', [(1, 4), (3, 4)]),
        ('ellipsis-sum', '...ij->ij', [(2, 3, 4)]),
        ('ellipsis-middle', 'i...j,j...k->...ik', [(2, 3, 4), (4, 3, 5)]),
        ('uppercase', 'Bij,Bjk->Bik', [(2, 3, 4), (2, 4, 2)]),
        ('spaces', 'i j , j k -> i k', [(2, 3), (3, 2)]),
    ]
    for tag, eq, shapes in einsums:
        add_case(f, f'einsum/{tag}', E('einsum', eq, *[T(i) for i in range(len(shapes))]), [g.randn(*s) for s in shapes], tol='matmul')
    add_case(f, 'einsum/transposed-operand', E('einsum', 'ij,jk->ik', E('transpose', T(0), 0, 1), T(1)), [g.randn(4, 3), g.randn(4, 5)], tol='matmul')
    add_case(f, 'einsum/operand-list', E('einsum', 'ij,jk->ik', [T(0), T(1)]), [g.randn(2, 3), g.randn(3, 2)], tol='matmul')
    add_case(f, 'mm', E('mm', T(0), T(1)), [g.randn(3, 4), g.randn(4, 5)], tol='matmul')
    add_case(f, 'mm/method-transposed', M('mm', M('t', T(0)), T(1)), [g.randn(4, 3), g.randn(4, 2)], tol='matmul')
    add_case(f, 'bmm', E('bmm', T(0), T(1)), [g.randn(2, 3, 4), g.randn(2, 4, 5)], tol='matmul')
    add_case(f, 'bmm/method', M('bmm', T(0), T(1)), [g.randn(3, 2, 4), g.randn(3, 4, 2)], tol='matmul')
    add_case(f, 'mv', E('mv', T(0), T(1)), [g.randn(3, 4), g.randn(4)], tol='matmul')
    add_case(f, 'mv/method', M('mv', T(0), T(1)), [g.randn(5, 2), g.randn(2)], tol='matmul')
    add_case(f, 'dot', E('dot', T(0), T(1)), [g.randn(7), g.randn(7)], tol='matmul')
    add_case(f, 'dot/method', M('dot', T(0), T(1)), [g.randn(3), g.randn(3)], tol='matmul')
    add_case(f, 'vdot', E('vdot', T(0), T(1)), [g.randn(7), g.randn(7)], tol='matmul')
    add_case(f, 'vdot/method', M('vdot', T(0), T(1)), [g.randn(4), g.randn(4)], tol='matmul')
    add_case(f, 'outer', E('outer', T(0), T(1)), [g.randn(3), g.randn(4)])
    add_case(f, 'outer/method', M('outer', T(0), T(1)), [g.randn(2), g.randn(5)])
    add_case(f, 'inner/vectors', E('inner', T(0), T(1)), [g.randn(5), g.randn(5)], tol='matmul')
    add_case(f, 'inner/batched', E('inner', T(0), T(1)), [g.randn(2, 3, 4), g.randn(5, 4)], tol='matmul')
    add_case(f, 'inner/scalar', E('inner', T(0), T(1)), [g.randn(), g.randn(2, 3)], tol='matmul')
    add_case(f, 'inner/method', M('inner', T(0), T(1)), [g.randn(3, 4), g.randn(2, 4)], tol='matmul')
    add_case(f, 'tensordot/number', E('tensordot', T(0), T(1), 2), [g.randn(3, 4, 5), g.randn(4, 5, 2)], tol='matmul')
    add_case(f, 'tensordot/default', E('tensordot', T(0), T(1)), [g.randn(2, 3, 4), g.randn(3, 4, 2)], tol='matmul')
    add_case(f, 'tensordot/pairs', E('tensordot', T(0), T(1), [[1, 2], [1, 0]]), [g.randn(3, 4, 5), g.randn(5, 4, 2)], tol='matmul')
    add_case(f, 'tensordot/zero', E('tensordot', T(0), T(1), 0), [g.randn(2, 3), g.randn(4)], tol='matmul')
    add_case(f, 'kron/2d', E('kron', T(0), T(1)), [g.randn(2, 3), g.randn(4, 2)])
    add_case(f, 'kron/ranks', E('kron', T(0), T(1)), [g.randn(3), g.randn(2, 2)])
    add_case(f, 'kron/method', M('kron', T(0), T(1)), [g.randn(2, 1, 2), g.randn(2, 3, 1)])
    add_case(f, 'addmm', E('addmm', T(0), T(1), T(2)), [g.randn(3, 5), g.randn(3, 4), g.randn(4, 5)], tol='matmul')
    add_case(f, 'addmm/scaled-broadcast', E('addmm', T(0), T(1), T(2), {'beta': 0.5, 'alpha': -2}), [g.randn(5), g.randn(3, 4), g.randn(4, 5)], tol='matmul')
    add_case(f, 'addmm/method', M('addmm', T(0), T(1), T(2), {'alpha': 3}), [g.randn(2, 2), g.randn(2, 3), g.randn(3, 2)], tol='matmul')
    add_case(f, 'baddbmm', E('baddbmm', T(0), T(1), T(2)), [g.randn(2, 3, 5), g.randn(2, 3, 4), g.randn(2, 4, 5)], tol='matmul')
    add_case(f, 'baddbmm/scaled-broadcast', E('baddbmm', T(0), T(1), T(2), {'beta': 2, 'alpha': 0.25}), [g.randn(3, 1), g.randn(2, 3, 4), g.randn(2, 4, 5)], tol='matmul')
    add_case(f, 'baddbmm/method', M('baddbmm', T(0), T(1), T(2), {'beta': -1}), [g.randn(2, 2, 2), g.randn(2, 2, 3), g.randn(2, 3, 2)], tol='matmul')
    add_case(f, 'cross/vectors', E('cross', T(0), T(1)), [g.randn(3), g.randn(3)])
    add_case(f, 'cross/dim', E('cross', T(0), T(1), 0), [g.randn(3, 4), g.randn(3, 4)])
    add_case(f, 'cross/default-first-size-3', E('cross', T(0), T(1)), [g.randn(2, 3, 3), g.randn(2, 3, 3)])
    add_case(f, 'cross/negative-dim', M('cross', T(0), T(1), -1), [g.randn(4, 3), g.randn(4, 3)])


def shape_ops():
    f = 'shape'
    g = Gen('shape')
    x = g.randn(2, 3, 4)
    add_case(f, 'reshape/infer', E('reshape', T(0), [4, -1]), [x])
    add_case(f, 'reshape/flat', M('reshape', T(0), [24]), [x])
    add_case(f, 'reshape/of-transposed', E('reshape', E('transpose', T(0), 0, 2), [4, 6]), [x])
    add_case(f, 'reshape/to-0d', E('reshape', T(0), []), [g.randn(1, 1)])
    add_case(f, 'view', E('view', T(0), [6, 4]), [x])
    add_case(f, 'transpose', E('transpose', T(0), 0, 2), [x])
    add_case(f, 'transpose/neg', M('transpose', T(0), -1, -2), [x])
    add_case(f, 't', M('t', T(0)), [g.randn(3, 5)])
    add_case(f, 'permute', E('permute', T(0), [2, 0, 1]), [x])
    add_case(f, 'permute/neg', M('permute', T(0), [-1, 1, 0]), [x])
    add_case(f, 'squeeze/all', E('squeeze', T(0)), [g.randn(1, 3, 1, 2)])
    add_case(f, 'squeeze/dim', E('squeeze', T(0), 2), [g.randn(1, 3, 1, 2)])
    add_case(f, 'squeeze/list', E('squeeze', T(0), [0, -2]), [g.randn(1, 3, 1, 2)])
    add_case(f, 'squeeze/not-1', M('squeeze', T(0), 1), [g.randn(1, 3, 1, 2)])
    add_case(f, 'unsqueeze/0', E('unsqueeze', T(0), 0), [x])
    add_case(f, 'unsqueeze/neg', M('unsqueeze', T(0), -1), [x])
    add_case(f, 'unsqueeze/mid', E('unsqueeze', T(0), 2), [x])
    add_case(f, 'expand', E('expand', T(0), [4, 3]), [g.randn(3)])
    add_case(f, 'expand/keep-dims', E('expand', T(0), [2, -1, 5]), [g.randn(3, 1)])
    add_case(f, 'expand/then-mul', E('mul', E('expand', T(0), [2, 3, 4]), T(1)), [g.randn(1, 3, 1), g.randn(2, 3, 4)])
    add_case(f, 'flatten/all', E('flatten', T(0)), [x])
    add_case(f, 'flatten/from-1', M('flatten', T(0), 1), [x])
    add_case(f, 'flatten/range', E('flatten', T(0), 0, 1), [x])
    add_case(f, 'cat/d0', E('cat', [T(0), T(1)], 0), [g.randn(2, 3), g.randn(4, 3)])
    add_case(f, 'cat/d1-three', E('cat', [T(0), T(1), T(2)], 1), [g.randn(2, 1), g.randn(2, 3), g.randn(2, 2)])
    add_case(f, 'cat/neg', E('cat', [T(0), T(1)], -1), [g.randn(2, 2, 2), g.randn(2, 2, 3)])
    add_case(f, 'cat/int-float-promotes', E('cat', [T(0), T(1)], 0), [g.ints(0, 5, 2), g.randn(3)])
    add_case(f, 'cat/non-contiguous', E('cat', [E('transpose', T(0), 0, 1), T(1)], 0), [g.randn(3, 2), g.randn(1, 3)])
    add_case(f, 'stack/d0', E('stack', [T(0), T(1), T(2)], 0), [g.randn(2, 3), g.randn(2, 3), g.randn(2, 3)])
    add_case(f, 'stack/last', E('stack', [T(0), T(1)], -1), [g.randn(2, 3), g.randn(2, 3)])
    add_case(f, 'split/size', E('split', T(0), 2, 1), [g.randn(2, 5)])
    add_case(f, 'split/sizes', M('split', T(0), [1, 3, 1], -1), [g.randn(2, 5)])
    add_case(f, 'chunk', E('chunk', T(0), 3, 0), [g.randn(7, 2)])
    add_case(f, 'chunk/method', M('chunk', T(0), 2, 1), [g.randn(2, 5)])
    add_case(f, 'narrow', E('narrow', T(0), 1, 1, 2), [x])
    add_case(f, 'narrow/neg-start', M('narrow', T(0), -1, -3, 2), [x])
    add_case(f, 'slice/step', E('slice', T(0), 2, 0, 4, 2), [x])
    add_case(f, 'slice/negative', E('slice', T(0), -2, -2, 3), [x])
    add_case(f, 'select', E('select', T(0), 1, 2), [x])
    add_case(f, 'select/neg', M('select', T(0), 0, -1), [x])
    add_case(f, 'index/mixed', E('index', T(0), 0, [1, 3], None), [x])
    add_case(f, 'index/step', M('index', T(0), None, None, [0, None, 2]), [x])
    add_case(f, 'index/newaxis', E('index', T(0), 'newaxis', 1), [x])
    add_case(f, 'index/negative', E('index', T(0), -1, [-2]), [x])
    add_case(f, 'contiguous/of-permuted', E('contiguous', E('permute', T(0), [2, 0, 1])), [x])
    add_case(f, 'contiguous/method-of-slice', M('contiguous', E('narrow', T(0), 2, 1, 2)), [x])
    add_case(f, 'reshape/int32', E('reshape', T(0), [3, 2]), [g.ints(0, 9, 6)])
    add_case(f, 'transpose/bool', E('contiguous', E('transpose', T(0), 0, 1)), [g.randn(2, 3) > 0])


def indexing():
    f = 'indexing'
    g = Gen('indexing')
    add_case(f, 'gather/d1', E('gather', T(0), 1, T(1)), [g.randn(3, 4), g.ints(0, 4, 3, 2)])
    add_case(f, 'gather/d0', E('gather', T(0), 0, T(1)), [g.randn(3, 4), g.ints(0, 3, 2, 4)])
    add_case(f, 'gather/neg-repeat', M('gather', T(0), -1, T(1)), [g.randn(2, 3, 4), g.ints(0, 4, 2, 3, 5)])
    add_case(f, 'gather/int32', E('gather', T(0), 1, T(1)), [g.ints(-9, 9, 3, 4), g.ints(0, 4, 3, 2)])
    add_case(f, 'scatterAdd/d0', E('scatterAdd', T(0), 0, T(1), T(2)), [g.randn(3, 4), g.ints(0, 3, 2, 4), g.randn(2, 4)])
    add_case(f, 'scatterAdd/d1-repeat', M('scatterAdd', T(0), 1, T(1), T(2)),
             [g.randn(2, 5), torch.tensor([[0, 0, 4], [1, 3, 1]], dtype=torch.int32), g.randn(2, 3)])
    add_case(f, 'scatterAdd/src-larger', E('scatterAdd', T(0), 1, T(1), T(2)),
             [g.randn(2, 4), torch.tensor([[3, 0], [1, 1]], dtype=torch.int32), g.randn(2, 3)])
    add_case(f, 'scatterAdd/int32', E('scatterAdd', T(0), 0, T(1), T(2)), [g.ints(0, 5, 3), torch.tensor([0, 2, 0, 0], dtype=torch.int32), g.ints(0, 5, 4)])
    add_case(f, 'indexSelect/d0', E('indexSelect', T(0), 0, T(1)), [g.randn(5, 3), torch.tensor([4, 0, 0, 2], dtype=torch.int32)])
    add_case(f, 'indexSelect/d1', M('indexSelect', T(0), -1, T(1)), [g.randn(2, 5, 3), torch.tensor([2, 1], dtype=torch.int32)])
    add_case(f, 'pad/last', E('pad', T(0), [1, 2]), [g.randn(2, 3)])
    add_case(f, 'pad/two-dims-value', E('pad', T(0), [1, 0, 2, 1], -1.5), [g.randn(2, 3, 4)])
    add_case(f, 'pad/negative', E('pad', T(0), [-1, 1, 0, -2]), [g.randn(2, 3, 4)])
    add_case(f, 'pad/mixed-negative', M('pad', T(0), [2, -1, -1, 1]), [g.randn(4, 5)])
    add_case(f, 'pad/int32', E('pad', T(0), [1, 1], 7), [g.ints(0, 5, 2, 2)])


def indexing_more():
    f = 'indexing-more'
    g = Gen('indexing-more')
    x = g.randn(4, 5, 3)
    i = lambda *vals: torch.tensor(vals, dtype=torch.int32)
    add_case(f, 'index/int-tensors', E('index', T(0), T(1), T(2)), [x, i(0, 3, -1), i(4, 0, 2)])
    add_case(f, 'index/tensor-after-slice', M('index', T(0), None, T(1)), [x, i(1, 1, -5, 3)])
    add_case(f, 'index/separated', E('index', T(0), T(1), None, T(2)), [x, i(0, 2), i(1, -1)])
    add_case(f, 'index/2d-index', E('index', T(0), T(1)), [x, torch.tensor([[0, 1], [3, 3]], dtype=torch.int32)])
    add_case(f, 'index/mixed-number', E('index', T(0), 1, T(1)), [x, i(4, 0)])
    add_case(f, 'indexAsync/bool-mask', E('indexAsync', T(0), T(1)), [g.randn(3, 4), g.randn(3, 4) > 0])
    add_case(f, 'indexAsync/row-mask', M('indexAsync', T(0), None, T(1)), [x, torch.tensor([True, False, True, True, False])])
    add_case(f, 'nonzero', E('nonzero', T(0)), [torch.tensor([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])])
    add_case(f, 'nonzero/as-tuple', M('nonzero', T(0), {'asTuple': True}), [torch.tensor([[0, 3, 0], [2, 0, 1]], dtype=torch.int32)])
    add_case(f, 'maskedSelect', E('maskedSelect', T(0), T(1)), [g.randn(3, 4), g.randn(4) > 0])
    add_case(f, 'maskedFill/number', E('maskedFill', T(0), T(1), -1.5), [g.randn(3, 4), g.randn(3, 4) > 0])
    add_case(f, 'maskedFill/bcast-tensor', M('maskedFill', T(0), T(1), T(2)), [g.randn(3, 4), g.randn(4) > 0, (torch.tensor(2.5), False)])
    add_case(f, 'takeAlongDim', E('takeAlongDim', T(0), T(1), 1), [g.randn(3, 4), g.ints(0, 4, 3, 2)])
    add_case(f, 'takeAlongDim/flat', M('takeAlongDim', T(0), T(1)), [g.randn(3, 4), g.ints(0, 12, 5)])
    add_case(f, 'take', E('take', T(0), T(1)), [g.randn(3, 4), torch.tensor([[0, -1], [5, 11]], dtype=torch.int32)])
    add_case(f, 'indexAdd', E('indexAdd', T(0), 0, T(1), T(2)), [g.randn(4, 3), i(0, 2, 0), g.randn(3, 3)])
    add_case(f, 'indexAdd/alpha-dim1', M('indexAdd', T(0), 1, T(1), T(2), {'alpha': -2}), [g.randn(2, 4), i(3, 1), g.randn(2, 2)])
    add_case(f, 'indexFill', E('indexFill', T(0), 1, T(1), 0.5), [g.randn(3, 4), i(0, 2)])
    srt = torch.tensor([-1.0, 0.0, 0.5, 2.0, 2.0, 3.5])
    vals = torch.tensor([[-2.0, 0.0, 2.0], [2.5, 3.5, 9.0]])
    add_case(f, 'searchsorted/left', E('searchsorted', T(0), T(1)), [srt, vals])
    add_case(f, 'searchsorted/right', E('searchsorted', T(0), T(1), {'right': True}), [srt, vals])
    add_case(f, 'searchsorted/batched-side', E('searchsorted', T(0), T(1), {'side': 'right'}),
             [torch.tensor([[0.0, 1.0, 2.0], [-1.0, 5.0, 6.0]]), torch.tensor([[1.0, 1.5], [5.0, -3.0]])])
    add_case(f, 'bucketize', E('bucketize', T(0), T(1)), [vals, srt])
    add_case(f, 'bucketize/right', E('bucketize', T(0), T(1), {'right': True}), [vals, srt])
    add_case(f, 'unique', E('unique', T(0)), [torch.tensor([3.0, 1.0, 3.0, -2.0, 1.0])], grad=False)
    add_case(f, 'unique/inverse-counts', M('unique', T(0), {'returnInverse': True, 'returnCounts': True}),
             [torch.tensor([[2, 7, 2], [0, 7, 7]], dtype=torch.int32)])
    add_case(f, 'asStrided/transpose', E('asStrided', T(0), [3, 2], [1, 3]), [g.randn(2, 3)])
    add_case(f, 'asStrided/overlapping-windows', M('asStrided', T(0), [4, 3], [1, 1], 1), [g.randn(7)])
    add_case(f, 'asStrided/zero-stride-broadcast', E('asStrided', T(0), [2, 3, 2], [0, 2, 1], 2), [g.randn(2, 4)])
    add_case(f, 'asStrided/non-contiguous-input', E('asStrided', E('transpose', T(0), 0, 1), [2, 2], [2, 1]), [g.randn(2, 3)])


def pointwise_int():
    f = 'pointwise-int'
    g = Gen('pointwise-int')
    i32 = lambda *v: torch.tensor(v, dtype=torch.int32)
    dividends = i32(7, -7, 7, -7, 0, 9, -2147483648, 2147483647)
    divisors = i32(2, 2, -2, -2, 3, 3, 7, -5)
    fa = g.away(3, 4, lo=0.5, hi=6.0)
    fb = g.away(4, lo=0.7, hi=2.5)
    for op in ['remainder', 'fmod', 'floorDivide']:
        add_case(f, f'{op}/int32', E(op, T(0), T(1)), [dividends, divisors])
        add_case(f, f'{op}/int32-number', M(op, T(0), 3), [g.ints(-20, 20, 6)])
        add_case(f, f'{op}/number-int32', E(op, 17, T(0)), [i32(5, -5, 3, -4)])
        add_case(f, f'{op}/float-bcast', E(op, T(0), T(1)), [fa, fb], grad=op != 'floorDivide')
        add_case(f, f'{op}/int-float-promotes', E(op, T(0), 2.5), [g.ints(-9, 9, 5)])
        add_case(f, f'{op}/specials', E(op, T(0), T(1)),
                 [torch.tensor([-0.0, 5.0, -5.0, 1.0, 0.0, float('inf'), 4.0]), torch.tensor([2.0, float('inf'), float('inf'), float('nan'), -2.0, 2.0, 0.0])], special=True)
    add_case(f, 'remainder/float-grad', M('remainder', T(0), T(1)), [fa, fb])
    for mode in ['trunc', 'floor']:
        add_case(f, f'div/{mode}-int32', E('div', T(0), T(1), {'roundingMode': mode}), [dividends, divisors])
        add_case(f, f'div/{mode}-float', E('div', T(0), T(1), {'roundingMode': mode}), [fa, fb])
        add_case(f, f'div/{mode}-number', E('div', T(0), -3, {'roundingMode': mode}), [g.ints(-20, 20, 6)])
    bits_a = i32(12, -1, 0, 5, -2147483648, 2147483647, -8, 255)
    bits_b = i32(10, 7, -1, 3, -1, 1, -3, 15)
    ba = torch.tensor([True, True, False, False])
    bb = torch.tensor([True, False, True, False])
    for op in ['bitwiseAnd', 'bitwiseOr', 'bitwiseXor']:
        add_case(f, f'{op}/int32', E(op, T(0), T(1)), [bits_a, bits_b])
        add_case(f, f'{op}/bool', M(op, T(0), T(1)), [ba, bb])
        add_case(f, f'{op}/int32-number', E(op, T(0), 6), [bits_a])
        add_case(f, f'{op}/bcast', E(op, T(0), T(1)), [g.ints(-100, 100, 3, 4), g.ints(-100, 100, 4)])
    shifts = i32(0, 1, 4, 31, 3, 30, 2, 5)
    for op in ['bitwiseLeftShift', 'bitwiseRightShift']:
        add_case(f, f'{op}/int32', E(op, T(0), T(1)), [bits_a, shifts])
        add_case(f, f'{op}/number', M(op, T(0), 3), [bits_a])
    add_case(f, 'bitwiseNot/int32', E('bitwiseNot', T(0)), [bits_a])
    add_case(f, 'bitwiseNot/bool', M('bitwiseNot', T(0)), [ba])
    nan = float('nan')
    for op in ['fmax', 'fmin']:
        add_case(f, f'{op}/nan', E(op, T(0), T(1)), [torch.tensor([1.0, nan, nan, 2.0, -1.0]), torch.tensor([nan, 2.0, nan, 1.0, -1.0])], special=True)
        add_case(f, f'{op}/bcast', E(op, T(0), T(1)), [g.randn(3, 4), g.randn(4)])
        add_case(f, f'{op}/number', M(op, T(0), 0.25), [g.randn(5)])
        add_case(f, f'{op}/int32', E(op, T(0), T(1)), [g.ints(-9, 9, 6), g.ints(-9, 9, 6)])
        add_case(f, f'{op}/bool', E(op, T(0), T(1)), [ba, bb])
    add_case(f, 'addcmul', E('addcmul', T(0), T(1), T(2), {'value': 0.5}), [g.randn(3, 4), g.randn(3, 4), g.randn(4)])
    add_case(f, 'addcmul/default', M('addcmul', T(0), T(1), T(2)), [g.randn(3), g.randn(2, 3), g.randn(3)])
    add_case(f, 'addcmul/int32', E('addcmul', T(0), T(1), T(2), {'value': 2}), [g.ints(-9, 9, 4), g.ints(-9, 9, 4), g.ints(-9, 9, 4)])
    add_case(f, 'addcdiv', E('addcdiv', T(0), T(1), T(2), {'value': -1.5}), [g.randn(3, 4), g.randn(3, 4), g.away(4, lo=0.5, hi=2.0)])
    add_case(f, 'addcdiv/method', M('addcdiv', T(0), T(1), T(2)), [g.randn(2, 3), g.randn(3), g.away(2, 3, lo=0.5, hi=2.0)])
    # int32 matmul: exact and wrapping modulo 2^32, as PyTorch's CPU.
    add_case(f, 'matmul/int32', E('matmul', T(0), T(1)), [i32(1, 2, 3, 4).reshape(2, 2), i32(1073741824, 1, 2, 3).reshape(2, 2)])
    add_case(f, 'matmul/int32-batched', M('matmul', T(0), T(1)), [g.ints(-50, 50, 2, 3, 4), g.ints(-50, 50, 4, 5)])
    add_case(f, 'matmul/int32-vector', E('matmul', T(0), T(1)), [g.ints(-9, 9, 4), g.ints(-9, 9, 4, 3)])
    add_case(f, 'matmul/int32-dot', E('matmul', T(0), T(1)), [g.ints(-9, 9, 5), g.ints(-9, 9, 5)])
    add_case(f, 'tensor/int32-truncates', E('tensor', [2.7, -2.7, 0.5, -0.5, 2147483647, -2147483648], OPTS(dtype='int32')), [])
    add_case(f, 'pow/int32', E('pow', T(0), T(1)), [i32(2, -3, 1, -1, 0, 7), i32(3, 3, 0, 5, 2, 11)])


def shape_more():
    f = 'shape-more'
    g = Gen('shape-more')
    x = g.randn(2, 3, 4)
    m = g.randn(4, 5)
    add_case(f, 'flip/list', E('flip', T(0), [0, 2]), [x])
    add_case(f, 'flip/number-neg', M('flip', T(0), -1), [x])
    add_case(f, 'fliplr', E('fliplr', T(0)), [m])
    add_case(f, 'flipud', M('flipud', T(0)), [m])
    add_case(f, 'roll/flat', E('roll', T(0), 5), [x])
    add_case(f, 'roll/dims', M('roll', T(0), [1, -2], [0, 2]), [x])
    add_case(f, 'rot90/default', E('rot90', T(0)), [m])
    add_case(f, 'rot90/k-dims', M('rot90', T(0), -3, [1, 2]), [x])
    add_case(f, 'repeat', E('repeat', T(0), [2, 1, 3]), [g.randn(3, 2)])
    add_case(f, 'repeat/method', M('repeat', T(0), [2, 2]), [g.randn(3)])
    add_case(f, 'tile/short', E('tile', T(0), [2]), [g.randn(2, 3)])
    add_case(f, 'repeatInterleave/number', E('repeatInterleave', T(0), 2, 1), [g.randn(2, 3)])
    add_case(f, 'repeatInterleave/flat', M('repeatInterleave', T(0), 3), [g.randn(2, 2)])
    # Tensor repeats give a value-dependent length: with outputSize every backend computes the
    # indices on the device (the edge group checks the synchronous read without it).
    add_case(f, 'repeatInterleave/tensor', E('repeatInterleave', T(0), T(1), 0, {'outputSize': 3}), [g.randn(3, 2), torch.tensor([1, 0, 2], dtype=torch.int32)])
    add_case(f, 'repeatInterleave/tensor-method', M('repeatInterleave', T(0), T(1), 1, {'outputSize': 6}), [g.randn(2, 3), torch.tensor([2, 1, 3], dtype=torch.int32)])
    add_case(f, 'repeatInterleave/counts', E('repeatInterleave', T(0), UNDEF, UNDEF, {'outputSize': 3}), [torch.tensor([2, 0, 1], dtype=torch.int32)])
    add_case(f, 'unbind', E('unbind', T(0), 1), [x])
    add_case(f, 'tensorSplit/sections', E('tensorSplit', T(0), 3, 1), [g.randn(2, 7)])
    add_case(f, 'tensorSplit/indices', M('tensorSplit', T(0), [1, 5]), [g.randn(7, 2)])
    add_case(f, 'unflatten', E('unflatten', T(0), 1, [3, 2]), [g.randn(2, 6)])
    add_case(f, 'unflatten/infer', M('unflatten', T(0), -1, [2, -1]), [g.randn(2, 6)])
    add_case(f, 'tril', E('tril', T(0)), [m])
    add_case(f, 'tril/batched-neg', M('tril', T(0), -1), [x])
    add_case(f, 'triu/offset', E('triu', T(0), 2), [m])
    add_case(f, 'trilIndices', E('trilIndices', 4, 3, -1), [])
    add_case(f, 'triuIndices', E('triuIndices', 3, 4, 1), [])
    add_case(f, 'diag/vector', E('diag', T(0), 1), [g.randn(3)])
    add_case(f, 'diag/matrix', M('diag', T(0), -1), [m])
    add_case(f, 'diagonal', E('diagonal', T(0)), [m])
    add_case(f, 'diagonal/dims', M('diagonal', T(0), 1, 2, 0), [x])
    add_case(f, 'diagEmbed', E('diagEmbed', T(0)), [g.randn(2, 3)])
    add_case(f, 'diagEmbed/offset-dims', M('diagEmbed', T(0), -1, 0, 2), [g.randn(2, 3)])
    add_case(f, 'movedim', E('movedim', T(0), 0, -1), [x])
    add_case(f, 'movedim/lists', M('movedim', T(0), [0, 1], [2, 0]), [x])
    add_case(f, 'swapaxes', E('swapaxes', T(0), 0, 2), [x])
    add_case(f, 'swapdims', M('swapdims', T(0), -1, 1), [x])
    add_case(f, 'broadcastTo', E('broadcastTo', T(0), [2, 3, 4]), [g.randn(3, 1)])
    add_case(f, 'broadcastTensors', E('broadcastTensors', T(0), T(1)), [g.randn(3, 1), g.randn(1, 4)])
    add_case(f, 'meshgrid/ij', E('meshgrid', [T(0), T(1)]), [g.randn(3), g.randn(2)])
    add_case(f, 'meshgrid/xy', E('meshgrid', [T(0), T(1)], {'indexing': 'xy'}), [g.randn(3), g.randn(2)])
    add_case(f, 'hstack', E('hstack', [T(0), T(1)]), [g.randn(2, 3), g.randn(2, 1)])
    add_case(f, 'hstack/1d', E('hstack', [T(0), T(1)]), [g.randn(2), g.randn(3)])
    add_case(f, 'vstack', E('vstack', [T(0), T(1)]), [g.randn(3), g.randn(2, 3)])
    add_case(f, 'dstack', E('dstack', [T(0), T(1)]), [g.randn(2, 3), g.randn(2, 3)])
    add_case(f, 'columnStack', E('columnStack', [T(0), T(1)]), [g.randn(3), g.randn(3, 2)])
    add_case(f, 'unfold', M('unfold', T(0), 1, 3, 2), [g.randn(2, 7)])
    add_case(f, 'unfold/overlap', M('unfold', T(0), 0, 2, 1), [g.randn(4, 3)])
    add_case(f, 't/1d', M('t', T(0)), [g.randn(3)])
    # Non-contiguous inputs, other dtypes, degenerate counts.
    add_case(f, 'flip/of-transposed', E('flip', E('transpose', T(0), 0, 1), [0, 1]), [g.randn(3, 4)])
    add_case(f, 'flip/int32', E('flip', T(0), 0), [torch.tensor([[1, 2], [3, 4], [5, 6]], dtype=torch.int32)])
    add_case(f, 'roll/of-transposed', M('roll', E('transpose', T(0), 0, 1), 7, 0), [g.randn(3, 4)])
    add_case(f, 'rot90/k2', E('rot90', T(0), 2), [m])
    add_case(f, 'rot90/k0', E('rot90', T(0), 0, [-1, 0]), [x])
    add_case(f, 'repeat/zero', E('repeat', T(0), [0, 2]), [g.randn(2, 3)])
    add_case(f, 'triu/int32', M('triu', T(0), -1), [torch.arange(12, dtype=torch.int32).reshape(3, 4)])
    add_case(f, 'tril/bool', E('tril', T(0)), [torch.ones(3, 3, dtype=torch.bool)])
    add_case(f, 'diagonal/of-transposed', E('diagonal', E('transpose', T(0), 0, 1), -1), [g.randn(3, 4)])
    add_case(f, 'diagonal/offset-past-end', E('diagonal', T(0), 5), [m])
    add_case(f, 'diagEmbed/3d', M('diagEmbed', T(0), 1, 1, 0), [g.randn(2, 2, 3)])
    add_case(f, 'unfold/of-transposed', M('unfold', E('transpose', T(0), 0, 1), 0, 2, 2), [g.randn(3, 5)])
    add_case(f, 'unfold/0d', M('unfold', T(0), 0, 1, 1), [g.randn()])
    add_case(f, 'movedim/of-transposed', E('movedim', E('transpose', T(0), 0, 2), [0], [1]), [x])
    add_case(f, 'broadcastTensors/0d', E('broadcastTensors', T(0), T(1)), [g.randn(), g.randn(2, 3)])
    add_case(f, 'tensorSplit/uneven', E('tensorSplit', T(0), 4, -1), [g.randn(2, 5)])
    add_case(f, 'trace', E('trace', T(0)), [g.randn(3, 4)])
    add_case(f, 'trace/method-int32', M('trace', T(0)), [torch.arange(12, dtype=torch.int32).reshape(4, 3)])
    # Wide matrices only: PyTorch 1.13's trace gradient of a tall one fills every (cols + 1)-th
    # element of the flat gradient, off the diagonal (the finite-difference check covers tall ones).
    add_case(f, 'trace/of-transposed', E('trace', E('transpose', T(0), 0, 1)), [g.randn(5, 2)])
    add_case(f, 'trace/empty', E('trace', T(0)), [torch.zeros(0, 3)])


def sort_ops():
    f = 'sort'
    g = Gen('sort')
    x = g.distinct(3, 5)
    x3 = g.distinct(2, 3, 4)
    values = lambda e: G(e, 'values')
    # Both results: values and indices (PyTorch's order), without gradients.
    add_case(f, 'sort', E('sort', T(0)), [x], grad=False)
    add_case(f, 'sort/dim0-descending', E('sort', T(0), 0, True), [x], grad=False)
    add_case(f, 'sort/3d-middle', M('sort', T(0), 1), [x3], grad=False)
    add_case(f, 'sort/stable-option', E('sort', T(0), -1, True, {'stable': True}), [x], grad=False)
    add_case(f, 'sort/of-transposed', E('sort', E('transpose', T(0), 0, 1), -1), [x], grad=False)
    add_case(f, 'sort/of-permuted-3d', E('sort', E('permute', T(0), [2, 0, 1]), 1, True), [x3], grad=False)
    add_case(f, 'sort/int32-ties-stable', E('sort', T(0), 1), [torch.tensor([[3, 1, 3, 2, 1, 3], [0, 0, -5, 7, 0, 7]], dtype=torch.int32)])
    add_case(f, 'sort/int32-ties-descending', E('sort', T(0), 1, True), [torch.tensor([[3, 1, 3, 2, 1, 3], [0, 0, -5, 7, 0, 7]], dtype=torch.int32)])
    add_case(f, 'sort/float-ties-descending', E('sort', T(0), -1, True), [torch.tensor([[1.5, -2, 1.5, 0, -2, 1.5]])], grad=False)
    add_case(f, 'sort/bool', E('sort', T(0)), [torch.tensor([True, False, True, False])])
    add_case(f, 'sort/0d', E('sort', T(0)), [torch.tensor(2.5)], grad=False)
    add_case(f, 'sort/empty-dim', E('sort', T(0), 0), [torch.zeros(0, 3)], grad=False)
    add_case(f, 'sort/empty-rows', E('sort', T(0), 1), [torch.zeros(0, 3)], grad=False)
    add_case(f, 'sort/nan-inf-signed-zero', E('sort', T(0)), [torch.tensor([3, float('nan'), -0.0, 0.0, float('inf'), -1, float('-inf'), float('nan')])], special=True)
    add_case(f, 'sort/nan-descending', E('sort', T(0), 0, True), [torch.tensor([[1, float('nan')], [float('nan'), -2], [0.5, 3]])], special=True)
    add_case(f, 'sort/long-rows', E('sort', T(0), -1, True), [g.distinct(2, 700)], grad=False)
    # Values with gradients (each value's gradient goes back to its position).
    add_case(f, 'sort/values', values(E('sort', T(0), 1)), [x])
    add_case(f, 'sort/values-dim0-descending', values(M('sort', T(0), 0, True)), [x])
    add_case(f, 'sort/values-3d', values(E('sort', T(0), -3)), [x3])
    add_case(f, 'argsort', E('argsort', T(0)), [x])
    add_case(f, 'argsort/descending-dim0', E('argsort', T(0), 0, True), [x])
    add_case(f, 'argsort/method-stable', M('argsort', T(0), -1, False, {'stable': True}), [torch.tensor([[2, 2, 1, 2, 1]], dtype=torch.int32)])
    add_case(f, 'msort', E('msort', T(0)), [x])
    add_case(f, 'msort/method-3d', M('msort', T(0)), [x3])
    add_case(f, 'topk', E('topk', T(0), 2), [x], grad=False)
    add_case(f, 'topk/smallest-dim0', E('topk', T(0), 2, 0, False), [x], grad=False)
    add_case(f, 'topk/values', values(E('topk', T(0), 3)), [x])
    add_case(f, 'topk/values-method-dim', values(M('topk', T(0), 2, 1)), [x3])
    add_case(f, 'topk/values-smallest', values(E('topk', T(0), 2, -1, False)), [x])
    # sorted=False leaves the order to the implementation: compare the values sorted.
    add_case(f, 'topk/unsorted', values(E('sort', values(E('topk', T(0), 3, -1, True, False)), -1, True)), [x])
    add_case(f, 'topk/k-equals-size', E('topk', T(0), 5), [x], grad=False)
    add_case(f, 'topk/k-zero', E('topk', T(0), 0), [x], grad=False)
    add_case(f, 'topk/int32', E('topk', T(0), 2), [torch.tensor([[4, -1, 9, 3], [0, 8, 2, 5]], dtype=torch.int32)])
    add_case(f, 'topk/0d', E('topk', T(0), 1), [torch.tensor(-1.5)], grad=False)
    add_case(f, 'topk/of-transposed', E('topk', E('transpose', T(0), 0, 1), 2), [x], grad=False)
    add_case(f, 'topk/long-rows', E('topk', T(0), 7), [g.distinct(4, 300)], grad=False)
    add_case(f, 'topk/long-rows-values', values(E('topk', T(0), 4, -1, False)), [g.distinct(3, 200)])
    add_case(f, 'topk/nan-largest', E('topk', T(0), 2), [torch.tensor([1, float('nan'), 3, -1])], special=True)
    add_case(f, 'kthvalue', E('kthvalue', T(0), 2), [x], grad=False)
    add_case(f, 'kthvalue/values', values(E('kthvalue', T(0), 3)), [x])
    add_case(f, 'kthvalue/values-dim0-keepdim', values(M('kthvalue', T(0), 2, 0, True)), [x])
    add_case(f, 'kthvalue/last-keepdim', E('kthvalue', T(0), 3, 1, True), [x3], grad=False)
    add_case(f, 'kthvalue/int32', M('kthvalue', T(0), 1, 0), [torch.tensor([[4, -1, 9], [0, 8, 2]], dtype=torch.int32)])
    add_case(f, 'kthvalue/0d', E('kthvalue', T(0), 1), [torch.tensor(0.25)], grad=False)
    # median and nanmedian: the lower middle; NaN propagates (median) or is skipped (nanmedian).
    rows = torch.tensor([[1, float('nan'), 3, 2], [4, 2, 1, 3], [float('nan'), 0, float('nan'), 1]])
    add_case(f, 'median/all-odd', E('median', T(0)), [g.distinct(3, 5)])
    add_case(f, 'median/all-even', M('median', T(0)), [g.distinct(4, 4)])
    add_case(f, 'median/dim', E('median', T(0), 1), [g.distinct(3, 6)], grad=False)
    add_case(f, 'median/values-dim', values(E('median', T(0), 1)), [g.distinct(3, 6)])
    add_case(f, 'median/keepdim-dim0', M('median', T(0), 0, True), [g.distinct(5, 2)], grad=False)
    add_case(f, 'median/values-keepdim-dim0', values(M('median', T(0), 0, True)), [g.distinct(5, 2)])
    add_case(f, 'median/of-transposed', E('median', E('transpose', T(0), 0, 1), 0), [g.distinct(4, 3)], grad=False)
    add_case(f, 'median/int32', E('median', T(0), -1), [torch.randperm(24, generator=g.g).int().reshape(4, 6)])
    add_case(f, 'median/int32-all', M('median', T(0)), [torch.randperm(10, generator=g.g).int()])
    add_case(f, 'median/0d', E('median', T(0), 0), [torch.tensor(0.75)], grad=False)
    add_case(f, 'median/nan', E('median', T(0), 1), [rows], special=True)
    add_case(f, 'median/nan-all', E('median', T(0)), [torch.tensor([1, float('nan'), 3, 2])], special=True)
    add_case(f, 'nanmedian/all', E('nanmedian', T(0)), [g.distinct(7)])
    add_case(f, 'nanmedian/dim', M('nanmedian', T(0), 1), [g.distinct(3, 4)], grad=False)
    add_case(f, 'nanmedian/values-dim', values(M('nanmedian', T(0), 1)), [g.distinct(3, 4)])
    add_case(f, 'nanmedian/nan', E('nanmedian', T(0), 1, True), [rows], special=True)
    # Only NaN: the value is NaN (PyTorch's index among the tied NaNs is unspecified: values only).
    add_case(f, 'nanmedian/only-nan', E('nanmedian', T(0)), [torch.tensor([[float('nan'), float('nan')], [float('nan'), float('nan')]])], special=True)
    add_case(f, 'nanmedian/nan-all', M('nanmedian', T(0)), [torch.tensor([float('nan'), 5, float('nan'), 3, 1, 2])], special=True)
    add_case(f, 'nanmedian/int32', E('nanmedian', T(0), 0), [torch.randperm(9, generator=g.g).int().reshape(3, 3)])
    # mode: the smallest of the most frequent values, at its last position (rows of at most 16,
    # where PyTorch's CPU sort keeps equal values in order).
    reps = torch.tensor([[1.5, 2.0, 2.0, -1.0, 1.5, 2.0], [3.0, -1.0, 3.0, -1.0, 0.5, 0.25], [4.0, 4.0, 4.0, 4.0, 4.0, 4.0]])
    add_case(f, 'mode', E('mode', T(0)), [reps], grad=False)
    add_case(f, 'mode/values', G(E('mode', T(0)), 'values'), [reps])
    add_case(f, 'mode/dim0-keepdim', M('mode', T(0), 0, True), [reps.t().contiguous()], grad=False)
    add_case(f, 'mode/distinct', E('mode', T(0), 1), [g.distinct(3, 5)], grad=False)
    add_case(f, 'mode/int32', M('mode', T(0), -1), [torch.tensor([[3, 1, 3, 1, 2, 2, 2, 0], [7, 7, -2, -2, -2, 5, 7, 5]], dtype=torch.int32)])
    add_case(f, 'mode/bool', E('mode', T(0), 0), [torch.tensor([[True, False], [False, False], [True, True]])])
    add_case(f, 'mode/3d-middle', E('mode', T(0), 1), [torch.tensor([[[1.0, 2.0], [1.0, 3.0], [2.0, 3.0]], [[0.0, 0.0], [5.0, 0.0], [5.0, 1.0]]])], grad=False)
    add_case(f, 'mode/0d', E('mode', T(0)), [torch.tensor(1.25)], grad=False)
    # searchsorted and bucketize: a binary search on the device with PyTorch's predicate.
    cdf = torch.cumsum(g.uniform(0.1, 1, 300), 0)
    add_case(f, 'searchsorted/long', E('searchsorted', T(0), T(1)), [cdf, g.uniform(0, float(cdf[-1]) + 1, 7, 5)])
    add_case(f, 'searchsorted/long-right-ties', E('searchsorted', T(0), T(1), {'right': True}),
             [torch.arange(200, dtype=torch.int32) // 3, torch.tensor([0, 5, 66, 67, -1, 1000], dtype=torch.int32)])
    add_case(f, 'searchsorted/batched-rows', E('searchsorted', T(0), T(1)), [torch.sort(g.randn(4, 40), 1).values, g.randn(4, 6)])
    add_case(f, 'searchsorted/scalar', E('searchsorted', T(0), 2.5), [torch.tensor([1, 2, 3, 4], dtype=torch.int32)])
    add_case(f, 'searchsorted/sorter', E('searchsorted', T(0), T(1), {'sorter': T(2)}),
             [torch.tensor([3.0, -1.0, 2.0, 0.5]), torch.tensor([0.0, 2.0, 5.0]), torch.tensor([1, 3, 2, 0], dtype=torch.int32)])
    add_case(f, 'searchsorted/nan', E('searchsorted', T(0), T(1)), [torch.tensor([1.0, 2.0, 3.0]), torch.tensor([float('nan'), 2.0, float('-inf')])], special=True)
    add_case(f, 'searchsorted/empty-sequence', E('searchsorted', T(0), T(1)), [torch.zeros(0), torch.tensor([1.0, -1.0])])
    add_case(f, 'bucketize/long', E('bucketize', T(0), T(1), {'right': True}), [g.uniform(-3, 3, 4, 8), torch.linspace(-2, 2, 100)])
    # unique: slices along a dim, sorted false, and uniqueConsecutive.
    rows = torch.tensor([[1, 2, 0], [0, 5, 1], [1, 2, 0], [0, 5, -1], [1, 2, 0]], dtype=torch.int32)
    add_case(f, 'unique/dim0', E('unique', T(0), {'dim': 0, 'returnInverse': True, 'returnCounts': True}), [rows])
    add_case(f, 'unique/dim1', M('unique', T(0), {'dim': 1, 'returnCounts': True}), [torch.tensor([[2.0, 1.0, 2.0, 1.0], [0.5, 3.0, 0.5, -3.0]])], grad=False)
    add_case(f, 'unique/sorted-false', E('unique', T(0), {'sorted': False, 'returnInverse': True}), [torch.tensor([4, 1, 4, 3, 1], dtype=torch.int32)])
    # Values only: PyTorch 1.13 gives each NaN a count of 0 and an inverse of 0 (later versions: 1 and its own).
    add_case(f, 'unique/nan-distinct', E('unique', T(0)), [torch.tensor([float('nan'), 1.0, float('nan'), 1.0])], special=True)
    add_case(f, 'unique/bool', E('unique', T(0), {'returnInverse': True}), [torch.tensor([[True, False], [True, True]])])
    add_case(f, 'uniqueConsecutive', E('uniqueConsecutive', T(0)), [torch.tensor([1, 1, 2, 2, 3, 1, 1, 2], dtype=torch.int32)])
    add_case(f, 'uniqueConsecutive/inverse-counts', M('uniqueConsecutive', T(0), {'returnInverse': True, 'returnCounts': True}),
             [torch.tensor([[1.5, 1.5, 2.0], [2.0, 2.0, -1.0]])], grad=False)
    add_case(f, 'uniqueConsecutive/dim0', E('uniqueConsecutive', T(0), {'dim': 0, 'returnInverse': True, 'returnCounts': True}), [rows[[0, 2, 1, 1, 4]]])
    add_case(f, 'uniqueConsecutive/empty', E('uniqueConsecutive', T(0), {'returnCounts': True}), [torch.zeros(0, dtype=torch.int32)])

    # quantile and nanquantile: sorted lines, a position q (n - 1) between two values.
    qs = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0])
    add_case(f, 'quantile/all', E('quantile', T(0), 0.3), [g.distinct(3, 5)])
    add_case(f, 'quantile/dim', M('quantile', T(0), 0.75, 1), [g.distinct(4, 6)])
    add_case(f, 'quantile/tensor-q-dim0-keepdim', E('quantile', T(0), T(1), 0, True), [g.distinct(5, 3), (qs, False)])
    add_case(f, 'quantile/grad-of-q', E('quantile', T(0), T(1), -1), [g.distinct(2, 6), torch.tensor([0.15, 0.6])])
    add_case(f, 'quantile/0d-q-all-keepdim', M('quantile', T(0), T(1), None, True), [g.distinct(2, 3), (torch.tensor(0.4), False)])
    for how in ['lower', 'higher', 'nearest', 'midpoint', 'linear']:
        # 0.5 (n - 1) = 2.5 and 0.3 (n - 1) = 1.5 sit halfway: 'nearest' rounds them to even.
        add_case(f, f'quantile/{how}', E('quantile', T(0), T(1), 1, False, {'interpolation': how}),
                 [g.distinct(3, 6), (torch.tensor([0.3, 0.5, 0.77]), False)])
    add_case(f, 'quantile/of-transposed', E('quantile', E('transpose', T(0), 0, 1), 0.6, 0), [g.distinct(4, 3)])
    add_case(f, 'quantile/0d', E('quantile', T(0), 0.3, 0), [torch.tensor(1.25)])
    gaps = torch.tensor([[1, float('nan'), 3, 2], [4, 2, 1, 3], [float('nan'), 0, float('nan'), 1]])
    add_case(f, 'quantile/nan', E('quantile', T(0), 0.5, 1), [gaps], special=True)
    add_case(f, 'nanquantile/all', E('nanquantile', T(0), 0.45), [g.distinct(9)])
    add_case(f, 'nanquantile/nan', M('nanquantile', T(0), T(1), 1, True), [gaps, (qs, False)], special=True)
    add_case(f, 'nanquantile/only-nan', E('nanquantile', T(0), 0.5, 0), [torch.tensor([[float('nan'), 1.0], [float('nan'), 2.0]])], special=True)

def nn_ops():
    f = 'conv'
    g = Gen('conv')
    x = g.randn(2, 3, 7, 6)
    conv_cases = [
        ('basic', (2, 3, 7, 6), (4, 3, 3, 3), True, {}),
        ('no-bias', (1, 2, 5, 5), (3, 2, 3, 2), False, {}),
        ('stride', (2, 3, 7, 6), (4, 3, 3, 3), True, {'stride': 2}),
        ('stride-pair', (1, 2, 8, 7), (2, 2, 3, 3), True, {'stride': [2, 1], 'padding': [1, 0]}),
        ('padding', (2, 3, 5, 5), (4, 3, 3, 3), True, {'padding': 1}),
        ('same-odd', (1, 2, 6, 5), (3, 2, 3, 3), True, {'padding': 'same'}),
        ('same-even', (1, 2, 6, 5), (3, 2, 4, 2), False, {'padding': 'same'}),
        ('valid', (1, 2, 6, 5), (3, 2, 3, 3), True, {'padding': 'valid'}),
        ('dilation', (1, 2, 9, 8), (3, 2, 3, 3), True, {'dilation': 2, 'padding': 1}),
        ('groups', (2, 4, 6, 6), (6, 2, 3, 3), True, {'groups': 2, 'padding': 1}),
        ('depthwise', (1, 3, 5, 5), (3, 1, 3, 3), True, {'groups': 3, 'stride': 2, 'padding': 1}),
        ('1x1', (2, 4, 3, 3), (5, 4, 1, 1), True, {}),
        ('all', (2, 4, 9, 9), (4, 2, 3, 2), True, {'stride': [2, 1], 'padding': [2, 1], 'dilation': [1, 2], 'groups': 2}),
    ]
    for tag, xs, ws, has_bias, opts in conv_cases:
        ins = [g.randn(*xs), g.randn(*ws) * 0.5]
        args = [T(0), T(1), T(2) if has_bias else None, opts]
        if has_bias:
            ins.append(g.randn(ws[0]))
        add_case(f, f'conv2d/{tag}', E('conv2d', *args), ins, tol='conv')
    add_case(f, 'conv2d/unbatched', E('conv2d', T(0), T(1), None, {'padding': 1}), [g.randn(2, 5, 4), g.randn(3, 2, 3, 3)], tol='conv')
    add_case(f, 'conv2d/non-contiguous', E('conv2d', E('permute', T(0), [0, 3, 1, 2]), T(1), T(2), {}), [g.randn(2, 5, 4, 3), g.randn(2, 3, 2, 2), g.randn(2)], tol='conv')
    add_case(f, 'conv1d/basic', E('conv1d', T(0), T(1), T(2), {}), [g.randn(2, 3, 10), g.randn(4, 3, 3), g.randn(4)], tol='conv')
    add_case(f, 'conv1d/stride-pad', E('conv1d', T(0), T(1), None, {'stride': 2, 'padding': 2}), [g.randn(2, 3, 10), g.randn(4, 3, 3)], tol='conv')
    add_case(f, 'conv1d/same-dilation', E('conv1d', T(0), T(1), T(2), {'padding': 'same', 'dilation': 2}), [g.randn(1, 2, 9), g.randn(3, 2, 4), g.randn(3)], tol='conv')
    add_case(f, 'conv1d/groups', E('conv1d', T(0), T(1), None, {'groups': 2}), [g.randn(2, 4, 7), g.randn(6, 2, 3)], tol='conv')
    add_case(f, 'conv1d/unbatched', E('conv1d', T(0), T(1), None, {}), [g.randn(3, 8), g.randn(2, 3, 3)], tol='conv')
    pool_cases = [
        ('k2', (2, 3, 6, 6), {'kernelSize': 2}),
        ('k3-s2', (1, 2, 7, 7), {'kernelSize': 3, 'stride': 2}),
        ('pad', (1, 2, 5, 5), {'kernelSize': 3, 'stride': 2, 'padding': 1}),
        ('rect', (2, 2, 6, 7), {'kernelSize': [2, 3], 'stride': [2, 1], 'padding': [1, 1]}),
        ('overlap', (1, 1, 5, 5), {'kernelSize': 3, 'stride': 1}),
    ]
    for tag, xs, opts in pool_cases:
        add_case(f, f'maxPool2d/{tag}', E('maxPool2d', T(0), opts), [g.distinct(*xs)], tol='conv')
        add_case(f, f'avgPool2d/{tag}', E('avgPool2d', T(0), opts), [g.randn(*xs)], tol='conv')
    add_case(f, 'maxPool2d/dilation', E('maxPool2d', T(0), {'kernelSize': 2, 'stride': 1, 'dilation': 2}), [g.distinct(1, 2, 6, 6)], tol='conv')
    add_case(f, 'maxPool2d/unbatched', E('maxPool2d', T(0), {'kernelSize': 2}), [g.distinct(2, 4, 4)], tol='conv')
    add_case(f, 'avgPool2d/no-count-pad', E('avgPool2d', T(0), {'kernelSize': 3, 'stride': 2, 'padding': 1, 'countIncludePad': False}), [g.randn(2, 2, 5, 6)], tol='conv')
    add_case(f, 'avgPool2d/no-count-pad-rect', E('avgPool2d', T(0), {'kernelSize': [2, 3], 'stride': 1, 'padding': [1, 1], 'countIncludePad': False}), [g.randn(1, 2, 4, 4)], tol='conv')
    add_case(f, 'maxPool2d/non-contiguous', E('maxPool2d', E('transpose', T(0), 2, 3), {'kernelSize': 2}), [g.distinct(1, 2, 4, 6)], tol='conv')


def volume_ops():
    """3-D convolution and pooling (composites of the 2-D ops), in a file of their own."""
    f = 'volume'
    g = Gen('volume')
    add_case(f, 'conv3d/basic', E('conv3d', T(0), T(1), T(2), {}), [g.randn(2, 3, 4, 5, 5), g.randn(4, 3, 3, 3, 3), g.randn(4)], tol='conv')
    add_case(f, 'conv3d/stride-pad', E('conv3d', T(0), T(1), None, {'stride': [2, 1, 2], 'padding': [1, 0, 1]}), [g.randn(1, 2, 5, 4, 6), g.randn(3, 2, 3, 2, 3)], tol='conv')
    add_case(f, 'conv3d/dilation-groups', E('conv3d', T(0), T(1), T(2), {'dilation': [2, 1, 1], 'groups': 2}), [g.randn(2, 4, 6, 3, 3), g.randn(4, 2, 2, 2, 2), g.randn(4)], tol='conv')
    add_case(f, 'conv3d/same', E('conv3d', T(0), T(1), None, {'padding': 'same'}), [g.randn(1, 2, 4, 4, 4), g.randn(2, 2, 2, 3, 2)], tol='conv')
    add_case(f, 'conv3d/unbatched', E('conv3d', T(0), T(1), None, {}), [g.randn(2, 3, 4, 4), g.randn(3, 2, 1, 2, 2)], tol='conv')
    add_case(f, 'conv3d/non-contiguous', E('conv3d', E('transpose', T(0), 2, 4), T(1), None, {}), [g.randn(1, 2, 4, 3, 5), g.randn(2, 2, 2, 2, 2)], tol='conv')
    pool_cases = [
        ('k2', (2, 2, 4, 4, 4), {'kernelSize': 2}),
        ('k3-s2-pad', (1, 2, 5, 6, 5), {'kernelSize': 3, 'stride': 2, 'padding': 1}),
        ('rect', (1, 1, 4, 6, 5), {'kernelSize': [2, 3, 1], 'stride': [1, 2, 1], 'padding': [1, 1, 0]}),
        ('ceil', (1, 2, 5, 5, 5), {'kernelSize': 2, 'stride': 2, 'ceilMode': True}),
    ]
    for tag, xs, opts in pool_cases:
        add_case(f, f'maxPool3d/{tag}', E('maxPool3d', T(0), opts), [g.distinct(*xs)], tol='conv')
        add_case(f, f'avgPool3d/{tag}', E('avgPool3d', T(0), opts), [g.randn(*xs)], tol='conv')
    add_case(f, 'maxPool3d/dilation', E('maxPool3d', T(0), {'kernelSize': 2, 'stride': 1, 'dilation': [2, 1, 2]}), [g.distinct(1, 1, 5, 4, 5)], tol='conv')
    add_case(f, 'maxPool3d/unbatched', E('maxPool3d', T(0), {'kernelSize': [1, 2, 2]}), [g.distinct(2, 3, 4, 4)], tol='conv')
    add_case(f, 'avgPool3d/no-count-pad-ceil', E('avgPool3d', T(0), {'kernelSize': 3, 'stride': 2, 'padding': 1, 'ceilMode': True, 'countIncludePad': False}), [g.randn(1, 2, 6, 5, 6)], tol='conv')
    add_case(f, 'avgPool3d/divisor', E('avgPool3d', T(0), {'kernelSize': 2, 'divisorOverride': 3}), [g.randn(1, 1, 4, 4, 4)], tol='conv')
    add_case(f, 'convTranspose3d/basic', E('convTranspose3d', T(0), T(1), T(2), {}), [g.randn(2, 3, 3, 4, 4), g.randn(3, 2, 2, 3, 2), g.randn(2)], tol='conv')
    add_case(f, 'convTranspose3d/stride-pad-output-pad', E('convTranspose3d', T(0), T(1), None, {'stride': [2, 1, 2], 'padding': [1, 0, 1], 'outputPadding': [1, 0, 1]}), [g.randn(1, 2, 3, 3, 4), g.randn(2, 3, 3, 2, 3)], tol='conv')
    add_case(f, 'convTranspose3d/dilation-groups', E('convTranspose3d', T(0), T(1), T(2), {'dilation': [2, 1, 1], 'groups': 2, 'stride': 2, 'padding': [2, 0, 0]}), [g.randn(2, 4, 3, 3, 3), g.randn(4, 1, 2, 2, 2), g.randn(2)], tol='conv')
    add_case(f, 'convTranspose3d/unbatched', E('convTranspose3d', T(0), T(1), None, {'stride': 3}), [g.randn(2, 2, 3, 2), g.randn(2, 2, 2, 2, 2)], tol='conv')
    add_case(f, 'maxPool3d/indices-pad-dilation', E('maxPool3d', T(0), {'kernelSize': [3, 2, 2], 'stride': [2, 1, 2], 'padding': [1, 1, 0], 'dilation': [1, 2, 1], 'returnIndices': True}), [g.distinct(1, 2, 5, 5, 4)], tol='conv')
    add_case(f, 'maxPool3d/indices-ceil-unbatched', E('maxPool3d', T(0), {'kernelSize': 2, 'stride': 2, 'ceilMode': True, 'returnIndices': True}), [g.distinct(2, 5, 3, 5)], tol='conv')
    add_case(f, 'maxPool3d/indices-one-tap', E('maxPool3d', T(0), {'kernelSize': [1, 2, 2], 'returnIndices': True}), [g.distinct(1, 1, 3, 4, 4)], tol='conv')


def network_options():
    """Transposed convolutions and the pooling options ceilMode, returnIndices and
    divisorOverride (conv-transpose.json, pool-options.json)."""
    f = 'conv-transpose'
    g = Gen('conv-transpose')
    cases = [
        ('basic', (2, 3, 4, 5), (3, 4, 3, 3), True, {}),
        ('stride', (1, 2, 4, 4), (2, 3, 3, 3), True, {'stride': 2}),
        ('stride-pad-outpad', (2, 3, 4, 5), (3, 2, 3, 3), True, {'stride': 2, 'padding': 1, 'outputPadding': 1}),
        ('rect', (1, 2, 3, 4), (2, 3, 2, 3), False, {'stride': [2, 3], 'padding': [1, 0], 'outputPadding': [0, 2]}),
        ('groups', (2, 4, 3, 3), (4, 3, 3, 3), True, {'groups': 2, 'stride': 2, 'padding': 1}),
        ('dilation', (1, 2, 4, 4), (2, 2, 3, 3), True, {'dilation': 2, 'padding': 1}),
        ('outpad-below-dilation', (1, 2, 3, 3), (2, 2, 3, 3), True, {'dilation': 3, 'outputPadding': 2, 'padding': 1}),
        ('outpad-beyond-padding', (1, 1, 3, 3), (1, 2, 2, 2), False, {'dilation': 3, 'outputPadding': 2}),
        ('depthwise-k4-s2', (1, 3, 4, 4), (3, 1, 4, 4), True, {'groups': 3, 'stride': 2, 'padding': 1}),
    ]
    for tag, xs, ws, has_bias, opts in cases:
        ins = [g.randn(*xs), g.randn(*ws) * 0.5]
        if has_bias:
            ins.append(g.randn(ws[1] * opts.get('groups', 1)))
        add_case(f, f'convTranspose2d/{tag}', E('convTranspose2d', T(0), T(1), T(2) if has_bias else None, opts), ins, tol='conv')
    add_case(f, 'convTranspose2d/unbatched', E('convTranspose2d', T(0), T(1), None, {'stride': 2}), [g.randn(2, 3, 3), g.randn(2, 3, 2, 2)], tol='conv')
    add_case(f, 'convTranspose2d/non-contiguous', E('convTranspose2d', E('transpose', T(0), 2, 3), T(1), T(2), {'stride': 2, 'padding': 1}),
             [g.randn(1, 2, 5, 4), g.randn(2, 3, 3, 3), g.randn(3)], tol='conv')
    add_case(f, 'convTranspose1d/basic', E('convTranspose1d', T(0), T(1), T(2), {}), [g.randn(2, 3, 6), g.randn(3, 4, 3), g.randn(4)], tol='conv')
    add_case(f, 'convTranspose1d/stride-pad-outpad', E('convTranspose1d', T(0), T(1), None, {'stride': 3, 'padding': 1, 'outputPadding': 2}),
             [g.randn(2, 2, 5), g.randn(2, 3, 4)], tol='conv')
    add_case(f, 'convTranspose1d/groups-dilation', E('convTranspose1d', T(0), T(1), T(2), {'groups': 2, 'dilation': 2}),
             [g.randn(1, 4, 5), g.randn(4, 1, 3), g.randn(2)], tol='conv')
    add_case(f, 'convTranspose1d/unbatched', E('convTranspose1d', T(0), T(1), None, {'stride': 2}), [g.randn(3, 4), g.randn(3, 2, 3)], tol='conv')

    f = 'pool-options'
    g = Gen('pool-options')
    ceil = [
        ('k2-odd', (1, 2, 5, 5), {'kernelSize': 2, 'ceilMode': True}),
        ('k3-s2', (2, 2, 6, 7), {'kernelSize': 3, 'stride': 2, 'ceilMode': True}),
        ('pad', (1, 2, 6, 6), {'kernelSize': 3, 'stride': 2, 'padding': 1, 'ceilMode': True}),
        ('rect', (1, 1, 7, 5), {'kernelSize': [3, 2], 'stride': [2, 2], 'padding': [1, 0], 'ceilMode': True}),
        ('last-window-dropped', (1, 1, 4, 4), {'kernelSize': 2, 'stride': 3, 'padding': 1, 'ceilMode': True}),
    ]
    for tag, xs, opts in ceil:
        add_case(f, f'maxPool2d/ceil-{tag}', E('maxPool2d', T(0), opts), [g.distinct(*xs)], tol='conv')
        add_case(f, f'avgPool2d/ceil-{tag}', E('avgPool2d', T(0), opts), [g.randn(*xs)], tol='conv')
        add_case(f, f'avgPool2d/ceil-no-count-pad-{tag}', E('avgPool2d', T(0), dict(opts, countIncludePad=False)), [g.randn(*xs)], tol='conv')
    add_case(f, 'maxPool2d/ceil-dilation', E('maxPool2d', T(0), {'kernelSize': 2, 'stride': 2, 'dilation': 2, 'ceilMode': True}), [g.distinct(1, 2, 7, 6)], tol='conv')
    add_case(f, 'avgPool2d/divisor', E('avgPool2d', T(0), {'kernelSize': 2, 'divisorOverride': 3}), [g.randn(2, 2, 4, 6)], tol='conv')
    add_case(f, 'avgPool2d/divisor-pad-ceil', E('avgPool2d', T(0), {'kernelSize': 3, 'stride': 2, 'padding': 1, 'ceilMode': True, 'divisorOverride': 5}),
             [g.randn(1, 2, 6, 5)], tol='conv')
    add_case(f, 'avgPool2d/divisor-unbatched', E('avgPool2d', T(0), {'kernelSize': [2, 3], 'stride': 1, 'divisorOverride': 2}), [g.randn(2, 4, 5)], tol='conv')
    indices = [
        ('k2', (2, 3, 4, 6), {'kernelSize': 2}),
        ('pad', (1, 2, 5, 5), {'kernelSize': 3, 'stride': 2, 'padding': 1}),
        ('dilation', (1, 2, 6, 6), {'kernelSize': 2, 'stride': 1, 'dilation': 2}),
        ('ceil', (1, 2, 5, 7), {'kernelSize': 3, 'stride': 2, 'ceilMode': True}),
        ('rect-overlap', (2, 1, 5, 6), {'kernelSize': [2, 3], 'stride': [1, 2], 'padding': [1, 1]}),
    ]
    for tag, xs, opts in indices:
        add_case(f, f'maxPool2d/indices-{tag}', E('maxPool2d', T(0), dict(opts, returnIndices=True)), [g.distinct(*xs)], tol='conv')
    add_case(f, 'maxPool2d/indices-unbatched', E('maxPool2d', T(0), {'kernelSize': 2, 'returnIndices': True}), [g.distinct(2, 4, 4)], tol='conv')


def higher():
    g = Gen('higher')
    add_higher('cube', E('pow', T(0), 3), [g.randn(5)], tol='reduce')
    add_higher('cube/0d', E('mul', E('mul', T(0), T(0)), T(0)), [torch.tensor(3.0)], tol='reduce')
    add_higher('tanh', E('tanh', T(0)), [g.randn(2, 3)], tol='reduce')
    add_higher('sigmoid-exp', E('mul', E('sigmoid', T(0)), E('exp', T(1))), [g.randn(4), g.randn(4) * 0.5], tol='reduce')
    add_higher('sin-div', E('div', E('sin', T(0)), T(1)), [g.randn(3), g.uniform(0.5, 2, 3)], tol='reduce')
    add_higher('softmax', E('softmax', T(0), -1), [g.randn(2, 4)], tol='reduce')
    add_higher('logSoftmax-square', E('logSoftmax', E('mul', T(0), T(0)), 1), [g.randn(2, 4)], tol='reduce')
    add_higher('mlp', E('sum', E('matmul', E('tanh', E('add', E('matmul', T(0), T(1)), T(2))), T(3)), 1),
               [g.randn(3, 4), g.randn(4, 5) * 0.5, g.randn(5), g.randn(5, 2) * 0.5], tol='matmul')
    add_higher('conv2d', E('conv2d', T(0), T(1), None, {'padding': 1}), [g.randn(1, 2, 5, 5), g.randn(3, 2, 3, 3)], tol='conv')
    add_higher('conv2d-stride-tanh', E('tanh', E('conv2d', T(0), T(1), None, {'stride': 2})), [g.randn(1, 2, 6, 6), g.randn(2, 2, 3, 3) * 0.3], tol='conv')
    add_higher('avgPool2d-square', E('avgPool2d', E('mul', T(0), T(0)), {'kernelSize': 2}), [g.randn(1, 1, 4, 4)], tol='conv')
    # Shape ops whose backward is recorded by hand: their gradients must be differentiable too.
    add_higher('unfold-square', E('mul', M('unfold', T(0), 0, 3, 1), M('unfold', T(0), 0, 3, 1)), [g.randn(5, 2)], tol='reduce')
    add_higher('diagEmbed-diagonal-times-x', E('mul', E('diagEmbed', E('diagonal', T(0))), T(0)), [g.randn(3, 3)], tol='reduce')
    add_higher('flip-times-x', E('mul', E('flip', T(0), [0, 1]), T(0)), [g.randn(2, 3)], tol='reduce')
    # Selections scatter their gradient back: that scatter must be differentiable too.
    add_higher('sort-values-square', E('mul', G(E('sort', T(0), 1, True), 'values'), G(E('sort', T(0), 1, True), 'values')), [g.distinct(2, 4)], tol='reduce')
    add_higher('topk-values-times-x', E('mul', G(E('topk', T(0), 2), 'values'), E('narrow', T(0), 1, 0, 2)), [g.distinct(3, 4)], tol='reduce')


# ---- float16 ----------------------------------------------------------------------------------

HALF_FILES = ('unary', 'binary', 'reduce', 'statistics', 'matmul', 'shape', 'indexing', 'indexing-more', 'conv', 'sort', 'linalg', 'volume')


def dec(spec):
    dtype = {'float32': torch.float32, 'int32': torch.int32, 'bool': torch.bool}[spec['dtype']]
    return torch.tensor([float(v) if isinstance(v, str) else v for v in spec['data']], dtype=dtype).reshape(spec['shape'])


def uses_opts(expr):
    if isinstance(expr, list):
        return any(uses_opts(e) for e in expr)
    if isinstance(expr, dict):
        return '$opts' in expr or any(uses_opts(v) for v in expr.values())
    return False


def half_enc(t, extra=None):
    """Encode a float result as float16: rounded to half, the dtype named float16."""
    if t.dtype != torch.float32:
        return enc(t, extra)
    d = enc(t.detach().half().float(), extra)
    d['dtype'] = 'float16'
    return d


def half_cases():
    """float16 versions of the float cases, with the semantics of PyTorch's half kernels on
    GPUs (opmath): inputs rounded to half, the op computed in float32, the result rounded to
    half. CPU PyTorch lacks half matmul/conv, so the float32 evaluation stands in for it."""
    for file in HALF_FILES:
        for case in FILES[file]:
            if uses_opts(case['call']) or not any(s['dtype'] == 'float32' for s in case['inputs']):
                continue
            tensors = []
            for spec in case['inputs']:
                t = dec(spec)
                if t.dtype == torch.float32:
                    t = t.half().float()
                    if spec['grad']:
                        t.requires_grad_(True)
                tensors.append(t)
            result = evaluate(case['call'], tensors)
            outs = list(result) if isinstance(result, (tuple, list)) else [result]
            # Values beyond half's range are infinities there: half cases may hold them.
            SPECIAL['on'] = True
            half = {
                'name': f"{file}/{case['name']}", 'call': case['call'], 'tol': 'half',
                'inputs': [half_enc(t, {'grad': spec['grad']}) for t, spec in zip(tensors, case['inputs'])],
                'out': [half_enc(o) for o in outs],
            }
            diff = [t for t in tensors if t.requires_grad]
            if case.get('grads') and diff:
                ws = [dec(w).half().float() for w in case['w']]
                loss = sum((o * w).sum() for o, w in zip(outs, ws))
                grads = iter(torch.autograd.grad(loss, diff, allow_unused=True))
                half['w'] = [half_enc(w) for w in ws]
                half['grads'] = []
                for t in tensors:
                    gr = next(grads) if t.requires_grad else None
                    half['grads'].append(half_enc(gr) if gr is not None else None)
            SPECIAL['on'] = False
            FILES.setdefault('half', []).append(half)


def scatter_ops():
    f = 'scatter'
    g = Gen('scatter')
    x = g.distinct(3, 4)
    idx = torch.tensor([[0, 2, 0, 1], [1, 2, 2, 0]], dtype=torch.int32)
    src = g.distinct(2, 4)
    add_case(f, 'scatter', E('scatter', T(0), 0, T(1), T(2)), [x, torch.tensor([[0, 2, 1, 1], [1, 0, 2, 0]], dtype=torch.int32), src])
    add_case(f, 'scatter/dim1-larger-src', M('scatter', T(0), 1, T(1), T(2)), [x, torch.tensor([[3, 0], [1, 2], [0, 3]], dtype=torch.int32), g.distinct(3, 3)])
    add_case(f, 'scatter/number', E('scatter', T(0), -1, T(1), 1.5), [x, torch.tensor([[1], [3], [0]], dtype=torch.int32)])
    add_case(f, 'scatter/int32', E('scatter', T(0), 0, T(1), T(2)), [g.ints(-5, 5, 3, 4), torch.tensor([[2, 0, 1, 2]], dtype=torch.int32), g.ints(-9, 9, 1, 4)], grad=False)
    for r in ['sum', 'prod', 'mean', 'amax', 'amin']:
        for inc in [True, False]:
            name = f'scatterReduce/{r}' + ('' if inc else '/exclude-self')
            add_case(f, name, M('scatterReduce', T(0), 0, T(1), T(2), r, {'includeSelf': inc}), [x, idx, src])
    # No position receiving two values: the reductions that place each value once.
    unique = torch.tensor([[2, 0, 1, 2], [0, 2, 0, 1]], dtype=torch.int32)
    for r in ['prod', 'amax', 'amin']:
        for inc in [True, False]:
            add_case(f, f'scatterReduce/{r}/unique' + ('' if inc else '/exclude-self'), M('scatterReduce', T(0), 0, T(1), T(2), r, {'includeSelf': inc}), [x, unique, src])
    add_case(f, 'scatterReduce/amax-dim1-3d', E('scatterReduce', T(0), 1, T(1), T(2), 'amax'),
             [g.distinct(2, 3, 2), g.ints(0, 3, 2, 4, 2), g.distinct(2, 4, 2)])
    add_case(f, 'scatterReduce/int32-mean', E('scatterReduce', T(0), 0, T(1), T(2), 'mean'),
             [g.ints(-9, 9, 3, 2), torch.tensor([[0, 0], [0, 2]], dtype=torch.int32), g.ints(-9, 9, 2, 2)], grad=False)
    add_case(f, 'scatterReduce/int32-amin', E('scatterReduce', T(0), 0, T(1), T(2), 'amin', {'includeSelf': False}),
             [g.ints(-9, 9, 3, 2), torch.tensor([[0, 0], [0, 2]], dtype=torch.int32), g.ints(-9, 9, 2, 2)], grad=False)
    add_case(f, 'indexCopy', E('indexCopy', T(0), 0, T(1), T(2)), [g.distinct(5, 3), torch.tensor([4, 0, 2], dtype=torch.int32), g.distinct(3, 3)])
    add_case(f, 'indexCopy/dim1', M('indexCopy', T(0), 1, T(1), T(2)), [g.distinct(2, 4), torch.tensor([3, 1], dtype=torch.int32), g.distinct(2, 2)])
    add_case(f, 'indexPut', E('indexPut', T(0), [T(1), T(2)], T(3)),
             [g.distinct(3, 4), torch.tensor([0, 2, -1], dtype=torch.int32), torch.tensor([1, -1, 0], dtype=torch.int32), g.distinct(3)])
    add_case(f, 'indexPut/rows-broadcast-value', M('indexPut', T(0), [T(1)], T(2)), [g.distinct(4, 3), torch.tensor([3, 1], dtype=torch.int32), g.distinct(3)])
    add_case(f, 'indexPut/accumulate', E('indexPut', T(0), [T(1)], T(2), True), [g.distinct(4, 2), torch.tensor([0, 3, 0], dtype=torch.int32), g.distinct(3, 2)])
    add_case(f, 'indexPut/bool-mask', E('indexPut', T(0), [T(1)], T(2)), [g.distinct(3, 4), g.randn(3, 4) > 0, (torch.tensor(-2.0), False)])
    add_case(f, 'sliceScatter', E('sliceScatter', T(0), T(1), 0, 1, 3), [g.distinct(5, 3), g.distinct(2, 3)])
    add_case(f, 'sliceScatter/step2-to-end', M('sliceScatter', T(0), T(1), 1, 0, None, 2), [g.distinct(2, 5), g.distinct(2, 3)])
    add_case(f, 'sliceScatter/negative-bounds', E('sliceScatter', T(0), T(1), -1, -3, -1), [g.distinct(2, 6), g.distinct(2, 2)])
    add_case(f, 'sliceScatter/clamped-3d', M('sliceScatter', T(0), T(1), 1, 2, 100, 2), [g.distinct(2, 5, 2), g.distinct(2, 2, 2)])
    add_case(f, 'sliceScatter/int32', E('sliceScatter', T(0), T(1), 0, 0, 2), [g.ints(-9, 9, 3, 2), g.ints(-9, 9, 2, 2)], grad=False)
    add_case(f, 'selectScatter', E('selectScatter', T(0), T(1), 1, -1), [g.distinct(3, 4), g.distinct(3)])
    add_case(f, 'selectScatter/3d-dim0', M('selectScatter', T(0), T(1), 0, 1), [g.distinct(2, 3, 4), g.distinct(3, 4)])
    add_case(f, 'selectScatter/bool', E('selectScatter', T(0), T(1), 0, 0), [g.randn(2, 3) > 0, g.randn(3) > 0], grad=False)
    add_case(f, 'diagonalScatter', E('diagonalScatter', T(0), T(1)), [g.distinct(3, 3), g.distinct(3)])
    add_case(f, 'diagonalScatter/offset1-wide', M('diagonalScatter', T(0), T(1), 1), [g.distinct(3, 5), g.distinct(3)])
    add_case(f, 'diagonalScatter/offset-1-tall', E('diagonalScatter', T(0), T(1), -1), [g.distinct(4, 3), g.distinct(3)])
    add_case(f, 'diagonalScatter/3d-dims12', E('diagonalScatter', T(0), T(1), 0, 1, 2), [g.distinct(2, 3, 4), g.distinct(2, 3)])
    add_case(f, 'diagonalScatter/reversed-dims', M('diagonalScatter', T(0), T(1), 1, 2, 0), [g.distinct(3, 2, 4), g.distinct(2, 2)])
    mask = torch.tensor([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
    add_case(f, 'maskedScatter', E('maskedScatter', T(0), T(1), T(2)), [g.distinct(3, 4), mask, g.distinct(7)])
    add_case(f, 'maskedScatter/broadcast-mask-larger-source', M('maskedScatter', T(0), T(1), T(2)),
             [g.distinct(3, 4), torch.tensor([True, False, False, True]), g.distinct(3, 3)])
    add_case(f, 'maskedScatter/no-trues', E('maskedScatter', T(0), T(1), T(2)), [g.distinct(2, 3), torch.zeros(2, 3, dtype=torch.bool), g.distinct(2)])
    add_case(f, 'maskedScatter/int32', E('maskedScatter', T(0), T(1), T(2)), [g.ints(-9, 9, 2, 3), mask[:2, :3], g.ints(-9, 9, 5)], grad=False)
    add_case(f, 'logspace', E('logspace', 0, 3, 4), [], grad=False)
    add_case(f, 'logspace/base2-negative', E('logspace', -2, 3, 6, 2), [], grad=False)
    add_case(f, 'logspace/one', E('logspace', 1.5, 9, 1), [], grad=False)


def attention():
    f = 'attention'
    g = Gen('attention')
    sdpa = lambda *extra: E('scaledDotProductAttention', T(0), T(1), T(2), *extra)
    qkv = lambda b, L, S, e, ev: [g.randn(*b, L, e), g.randn(*b, S, e), g.randn(*b, S, ev)]
    add_case(f, 'sdpa/heads', sdpa(), qkv([2, 3], 5, 6, 4, 5), tol='matmul')
    add_case(f, 'sdpa/2d', sdpa(), qkv([], 7, 3, 8, 2), tol='matmul')
    add_case(f, 'sdpa/scale', sdpa({'scale': 0.7}), qkv([2], 4, 9, 3, 3), tol='matmul')
    for L, S in ((6, 6), (4, 7), (7, 4)):
        add_case(f, f'sdpa/causal-{L}x{S}', sdpa({'isCausal': True}), qkv([2, 2], L, S, 4, 3), tol='matmul')
    # Every query row keeps at least one key, so no row is NaN.
    keep = g.uniform(0, 1, 5, 6) < 0.6
    keep[:, 0] = True
    add_case(f, 'sdpa/bool-mask', sdpa({'attnMask': T(3)}), qkv([2, 3], 5, 6, 4, 4) + [(keep, False)], tol='matmul')
    add_case(f, 'sdpa/float-mask', sdpa({'attnMask': T(3)}), qkv([2, 3], 5, 6, 4, 4) + [g.randn(2, 1, 1, 6)], tol='matmul')
    # The mask's batch dims widen the output's: [3, 5, 6] heads under a [2, 1, 5, 6] mask.
    add_case(f, 'sdpa/float-mask-batch', sdpa({'attnMask': T(3)}), qkv([3], 5, 6, 4, 2) + [g.randn(2, 1, 5, 6)], tol='matmul')
    # Batch dims broadcast between query, key and value (one key/value head for three queries).
    add_case(f, 'sdpa/broadcast', sdpa(), [g.randn(2, 3, 5, 4), g.randn(2, 1, 6, 4), g.randn(1, 1, 6, 3)], tol='matmul')
    add_case(f, 'sdpa/transposed', E('scaledDotProductAttention', E('transpose', T(0), 1, 2), E('transpose', T(1), 1, 2), E('transpose', T(2), 1, 2)),
             [g.randn(2, 5, 3, 4), g.randn(2, 6, 3, 4), g.randn(2, 6, 3, 5)], tol='matmul')
    add_case(f, 'sdpa/long', sdpa(), qkv([1], 33, 70, 8, 4), tol='matmul')
    masked = torch.ones(3, 4, dtype=torch.bool)
    masked[1] = False
    add_case(f, 'sdpa/masked-row', sdpa({'attnMask': T(3)}), qkv([], 3, 4, 2, 2) + [masked], special=True)
    add_higher('scaledDotProductAttention', sdpa(), [g.randn(2, 3, 4), g.randn(2, 5, 4), g.randn(2, 5, 3)], tol='matmul')
    add_higher('scaledDotProductAttention/causal', sdpa({'isCausal': True}), [g.randn(1, 4, 3), g.randn(1, 4, 3), g.randn(1, 4, 2)], tol='matmul')


def scan():
    f = 'scan'
    g = Gen('scan')
    x = g.randn(3, 4, 5)
    inf, nan = float('inf'), float('nan')
    # cumsum: every dim (negative ones wrap), the method, dtypes and degenerate shapes.
    for d in (0, 1, 2, -1, -3):
        add_case(f, f'cumsum/dim{d}', E('cumsum', T(0), d), [x], tol='reduce')
    add_case(f, 'cumsum/method', M('cumsum', T(0), 0), [g.randn(6)], tol='reduce')
    add_case(f, 'cumsum/transposed', E('cumsum', E('transpose', T(0), 0, 1), 1), [g.randn(4, 3)], tol='reduce')
    add_case(f, 'cumsum/long', E('cumsum', T(0), 0), [g.randn(1500)], tol='reduce', grad=False)
    add_case(f, 'cumsum/rows-long', E('cumsum', T(0), 1), [g.randn(2, 300)], tol='reduce')
    add_case(f, 'cumsum/int32', E('cumsum', T(0), 1), [g.ints(-50, 50, 3, 6)])
    add_case(f, 'cumsum/bool', M('cumsum', T(0), 0), [torch.tensor([True, False, True, True])])
    add_case(f, 'cumsum/dtype-float', E('cumsum', T(0), -1, {'dtype': 'float32'}), [g.ints(-5, 5, 2, 5)])
    add_case(f, 'cumsum/dtype-int', M('cumsum', T(0), 0, {'dtype': 'int32'}), [(g.uniform(-4, 4, 5, 2), False)])
    add_case(f, 'cumsum/0d', E('cumsum', T(0), 0), [g.randn()])
    add_case(f, 'cumsum/0d-neg', M('cumsum', T(0), -1), [g.randn()])
    add_case(f, 'cumsum/empty', E('cumsum', T(0), 1), [torch.zeros(2, 0)])
    add_case(f, 'cumsum/size1', E('cumsum', T(0), 1), [g.randn(3, 1)])
    add_case(f, 'cumsum/special', E('cumsum', T(0), 0), [torch.tensor([1.0, inf, -inf, 2.0, nan, 3.0])], special=True)
    # cumprod: away from zero, then with zeros (PyTorch's gradient at and after the first zero).
    for d in (0, 1, -1):
        add_case(f, f'cumprod/dim{d}', E('cumprod', T(0), d), [g.away(3, 4, 5, lo=0.5, hi=1.5)], tol='reduce')
    add_case(f, 'cumprod/method', M('cumprod', T(0), 0), [g.away(7)], tol='reduce')
    add_case(f, 'cumprod/one-zero', E('cumprod', T(0), 0), [torch.tensor([2.0, -1.5, 0.0, 3.0, 0.5])], tol='reduce')
    add_case(f, 'cumprod/zeros', E('cumprod', T(0), 1), [torch.tensor([[0.0, 2.0, 3.0, 0.0, 1.5], [1.5, 0.0, 0.0, 2.0, -1.0], [1.0, 2.0, -0.5, 1.5, 0.0]])], tol='reduce')
    add_case(f, 'cumprod/zeros-dim0', E('cumprod', T(0), 0), [torch.tensor([[1.5, 0.0], [0.0, 2.0], [3.0, -1.0], [0.5, 0.0]])], tol='reduce')
    add_case(f, 'cumprod/int32', M('cumprod', T(0), -1), [g.ints(-3, 4, 2, 6)])
    add_case(f, 'cumprod/bool', E('cumprod', T(0), 0), [torch.tensor([True, True, False, True])])
    add_case(f, 'cumprod/dtype-float', E('cumprod', T(0), 0, {'dtype': 'float32'}), [g.ints(1, 4, 5)])
    add_case(f, 'cumprod/0d', E('cumprod', T(0), 0), [g.randn()])
    add_case(f, 'cumprod/size1', E('cumprod', T(0), 0), [g.randn(1, 3)])
    # cummax / cummin: values (with gradients) and indices; ties take the latest position.
    for op in ('cummax', 'cummin'):
        for d in (0, 1, -1):
            add_case(f, f'{op}/dim{d}', E(op, T(0), d), [g.distinct(3, 4, 5)], grad=False)
            add_case(f, f'{op}/values-dim{d}', G(E(op, T(0), d), 'values'), [g.distinct(3, 4, 5)])
        add_case(f, f'{op}/method', M(op, T(0), 0), [g.distinct(8)], grad=False)
        ties = torch.tensor([[1.0, 3.0, 3.0, 2.0, 3.0, 1.0, 1.0], [2.0, 2.0, 2.0, 5.0, 5.0, 0.0, 0.0]])
        add_case(f, f'{op}/ties', E(op, T(0), 1), [ties], grad=False)
        add_case(f, f'{op}/ties-grad', G(E(op, T(0), 1), 'values'), [ties])
        add_case(f, f'{op}/ties-dim0', E(op, T(0), 0), [ties.t().contiguous()], grad=False)
        add_case(f, f'{op}/transposed', E(op, E('transpose', T(0), 0, 1), 1), [g.distinct(5, 3)], grad=False)
        add_case(f, f'{op}/nan', E(op, T(0), 0), [torch.tensor([1.0, 3.0, nan, 5.0, nan, -1.0, inf, -inf])], special=True)
        add_case(f, f'{op}/infinities', E(op, T(0), 0), [torch.tensor([-inf, 2.0, inf, inf, -inf, 0.0])], special=True)
        add_case(f, f'{op}/int32', E(op, T(0), 1), [g.ints(-4, 4, 3, 7)])
        add_case(f, f'{op}/bool', E(op, T(0), 0), [torch.tensor([False, True, False, True, True])])
        add_case(f, f'{op}/0d', E(op, T(0), 0), [g.randn()], grad=False)
        add_case(f, f'{op}/0d-grad', G(E(op, T(0), -1), 'values'), [g.randn()])
        add_case(f, f'{op}/long', E(op, T(0), 0), [g.distinct(700)], grad=False)
        add_case(f, f'{op}/empty', E(op, T(0), 0), [torch.zeros(0, 3)], grad=False)
    # logcumsumexp: stable for large inputs, exact with -Infinity entries.
    for d in (0, 1, -1):
        add_case(f, f'logcumsumexp/dim{d}', E('logcumsumexp', T(0), d), [g.randn(3, 4, 5, scale=2.0)], tol='reduce')
    add_case(f, 'logcumsumexp/method', M('logcumsumexp', T(0), 0), [g.randn(9)], tol='reduce')
    add_case(f, 'logcumsumexp/large', E('logcumsumexp', T(0), 1), [g.randn(2, 6, scale=1.0) + torch.tensor([[1000.0], [-1000.0]])], tol='reduce')
    add_case(f, 'logcumsumexp/long', E('logcumsumexp', T(0), 0), [g.randn(700, scale=3.0)], tol='reduce', grad=False)
    add_case(f, 'logcumsumexp/transposed', E('logcumsumexp', E('transpose', T(0), 0, 1), 1), [g.randn(4, 3)], tol='reduce')
    add_case(f, 'logcumsumexp/neg-inf', E('logcumsumexp', T(0), 0), [torch.tensor([-inf, -inf, 1.0, -inf, 2.0, -inf])], special=True)
    add_case(f, 'logcumsumexp/special', E('logcumsumexp', T(0), 0), [torch.tensor([0.0, inf, 1.0, nan, 2.0])], special=True)
    add_case(f, 'logcumsumexp/0d', E('logcumsumexp', T(0), 0), [g.randn()], tol='reduce')


def main():
    creation(); unary(); binary_ops(); reductions(); statistics(); linalg(); solvers(); contractions(); shape_ops(); indexing(); indexing_more(); nn_ops(); network_options(); higher(); shape_more(); scatter_ops(); sort_ops(); scan(); attention(); pointwise_int(); volume_ops()
    half_cases()
    os.makedirs(OUT_DIR, exist_ok=True)
    total = 0
    for name, cases in sorted(FILES.items()):
        path = os.path.join(OUT_DIR, f'{name}.json')
        text = json.dumps({'generator': 'tools/generate_fixtures.py', 'torch': torch.__version__, 'cases': cases},
                          separators=(',', ':'))
        with open(path, 'w') as fh:
            fh.write(text + '\n')
        total += len(text)
        print(f'{name}.json: {len(cases)} cases, {len(text) / 1024:.1f} KiB')
    print(f'total {total / 1024:.1f} KiB')


if __name__ == '__main__':
    main()
