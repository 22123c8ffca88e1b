#!/usr/bin/python3
"""Write the PyTorch reference fixtures for @tensile/optim's tests.

Run with Debian's PyTorch 1.13:  /usr/bin/python3 packages/optim/tools/generate_fixtures.py

Every optimiser case starts from the same seeded parameters and replays the same seeded
sequence of gradients, recording every parameter after every step and each parameter's
state after the last step. NAdam and RAdam gained `maximize` and `decoupled_weight_decay`
after 1.13; those cases run 1.13's optimiser on what those flags are defined as (the
negated gradient; `p *= 1 - lr * weight_decay` before the step, with no L2 term), see
`emulated_flags`. LBFGS cases minimise fixed objectives through `step(closure)`, recording
the parameters, the returned loss and the evaluation counts after every step. Scheduler cases record
the learning rate (and momentum, for OneCycleLR) of every param group for 30 epochs. Clip
cases record total norms and clipped gradients. Option names are written the way the
TypeScript API spells them (camelCase); `TORCH_NAMES` maps them to PyTorch's.
"""
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')
STEPS = 10
EPOCHS = 30

TORCH_NAMES = {
    'weightDecay': 'weight_decay',
    'initialAccumulatorValue': 'initial_accumulator_value',
    'lrDecay': 'lr_decay',
    'stepSize': 'step_size',
    'tMax': 'T_max',
    'etaMin': 'eta_min',
    'startFactor': 'start_factor',
    'endFactor': 'end_factor',
    'totalIters': 'total_iters',
    'maxLr': 'max_lr',
    'totalSteps': 'total_steps',
    'stepsPerEpoch': 'steps_per_epoch',
    'pctStart': 'pct_start',
    'annealStrategy': 'anneal_strategy',
    'cycleMomentum': 'cycle_momentum',
    'baseMomentum': 'base_momentum',
    'maxMomentum': 'max_momentum',
    'divFactor': 'div_factor',
    'finalDivFactor': 'final_div_factor',
    'threePhase': 'three_phase',
    'thresholdMode': 'threshold_mode',
    'minLr': 'min_lr',
    'momentumDecay': 'momentum_decay',
    'decoupledWeightDecay': 'decoupled_weight_decay',
    'stepSizes': 'step_sizes',
    'maxIter': 'max_iter',
    'maxEval': 'max_eval',
    'toleranceGrad': 'tolerance_grad',
    'toleranceChange': 'tolerance_change',
    'historySize': 'history_size',
    'lineSearchFn': 'line_search_fn',
    'lrLambda': 'lr_lambda',
    'baseLr': 'base_lr',
    'stepSizeUp': 'step_size_up',
    'stepSizeDown': 'step_size_down',
    'scaleFn': 'scale_fn',
    'scaleMode': 'scale_mode',
}

# State keys as Tensile spells them.
STATE_NAMES = {
    'exp_avg': 'expAvg', 'exp_avg_sq': 'expAvgSq', 'max_exp_avg_sq': 'maxExpAvgSq', 'momentum_buffer': 'momentumBuffer',
    'square_avg': 'squareAvg', 'grad_avg': 'gradAvg', 'acc_delta': 'accDelta', 'exp_inf': 'expInf',
    'mu_product': 'muProduct', 'step_size': 'stepSize',
}


def torch_kwargs(options):
    out = {}
    for key, value in options.items():
        out[TORCH_NAMES.get(key, key)] = tuple(value) if key in ('betas', 'etas', 'stepSizes') else value
    return out


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


OPTIMIZERS = {
    'SGD': torch.optim.SGD,
    'Adam': torch.optim.Adam,
    'AdamW': torch.optim.AdamW,
    'RMSprop': torch.optim.RMSprop,
    'Adagrad': torch.optim.Adagrad,
    'NAdam': torch.optim.NAdam,
    'RAdam': torch.optim.RAdam,
    'Adamax': torch.optim.Adamax,
    'Adadelta': torch.optim.Adadelta,
    'ASGD': torch.optim.ASGD,
    'Rprop': torch.optim.Rprop,
}

# Flags that PyTorch 1.13's optimiser lacks (PyTorch 2 added them): replayed by `emulated_flags`.
EMULATED = {'NAdam': ('maximize', 'decoupledWeightDecay'), 'RAdam': ('maximize', 'decoupledWeightDecay')}

OPTIMIZER_CASES = [
    ('sgd', 'SGD', {'lr': 0.1}, None),
    ('sgd_momentum', 'SGD', {'lr': 0.1, 'momentum': 0.9}, None),
    ('sgd_dampening', 'SGD', {'lr': 0.05, 'momentum': 0.9, 'dampening': 0.5}, None),
    ('sgd_nesterov', 'SGD', {'lr': 0.1, 'momentum': 0.9, 'nesterov': True}, None),
    ('sgd_weight_decay', 'SGD', {'lr': 0.1, 'momentum': 0.8, 'weightDecay': 0.05}, None),
    ('sgd_weight_decay_no_momentum', 'SGD', {'lr': 0.1, 'weightDecay': 0.1}, None),
    ('sgd_maximize', 'SGD', {'lr': 0.1, 'momentum': 0.5, 'maximize': True}, None),
    ('sgd_groups', 'SGD', {'lr': 0.1, 'momentum': 0.9}, [{'params': [0]}, {'params': [1], 'lr': 0.01, 'momentum': 0.5}]),
    ('adam', 'Adam', {'lr': 0.01}, None),
    ('adam_betas_eps', 'Adam', {'lr': 0.02, 'betas': [0.8, 0.9], 'eps': 1e-6}, None),
    ('adam_weight_decay', 'Adam', {'lr': 0.01, 'weightDecay': 0.1}, None),
    ('adam_amsgrad', 'Adam', {'lr': 0.01, 'amsgrad': True}, None),
    ('adam_maximize', 'Adam', {'lr': 0.01, 'maximize': True, 'weightDecay': 0.01}, None),
    ('adam_groups', 'Adam', {'lr': 0.01}, [{'params': [0], 'amsgrad': True}, {'params': [1], 'lr': 0.001, 'betas': [0.5, 0.99]}]),
    ('adamw', 'AdamW', {'lr': 0.01}, None),
    ('adamw_weight_decay', 'AdamW', {'lr': 0.01, 'weightDecay': 0.5}, None),
    ('adamw_amsgrad', 'AdamW', {'lr': 0.01, 'weightDecay': 0.1, 'amsgrad': True}, None),
    ('adamw_maximize', 'AdamW', {'lr': 0.01, 'maximize': True}, None),
    ('rmsprop', 'RMSprop', {'lr': 0.01}, None),
    ('rmsprop_alpha_eps', 'RMSprop', {'lr': 0.01, 'alpha': 0.9, 'eps': 1e-4}, None),
    ('rmsprop_momentum', 'RMSprop', {'lr': 0.01, 'momentum': 0.9}, None),
    ('rmsprop_centered', 'RMSprop', {'lr': 0.01, 'centered': True}, None),
    ('rmsprop_centered_momentum_wd', 'RMSprop', {'lr': 0.01, 'centered': True, 'momentum': 0.5, 'weightDecay': 0.1}, None),
    ('rmsprop_maximize', 'RMSprop', {'lr': 0.01, 'maximize': True}, None),
    ('adagrad', 'Adagrad', {'lr': 0.1}, None),
    ('adagrad_lr_decay', 'Adagrad', {'lr': 0.1, 'lrDecay': 0.05}, None),
    ('adagrad_wd_init', 'Adagrad', {'lr': 0.1, 'weightDecay': 0.1, 'initialAccumulatorValue': 0.5, 'eps': 1e-6}, None),
    ('adagrad_maximize', 'Adagrad', {'lr': 0.1, 'maximize': True}, None),
    ('nadam', 'NAdam', {'lr': 0.01}, None),
    ('nadam_betas_eps_momentum_decay', 'NAdam', {'lr': 0.02, 'betas': [0.8, 0.9], 'eps': 1e-6, 'momentumDecay': 0.01}, None),
    ('nadam_weight_decay', 'NAdam', {'lr': 0.01, 'weightDecay': 0.1}, None),
    ('nadam_decoupled_weight_decay', 'NAdam', {'lr': 0.01, 'weightDecay': 0.1, 'decoupledWeightDecay': True}, None),
    ('nadam_maximize', 'NAdam', {'lr': 0.01, 'maximize': True, 'weightDecay': 0.05}, None),
    ('nadam_groups', 'NAdam', {'lr': 0.01}, [{'params': [0], 'momentumDecay': 0.02}, {'params': [1], 'lr': 0.002, 'weightDecay': 0.1}]),
    ('radam', 'RAdam', {'lr': 0.01}, None),
    ('radam_short_horizon', 'RAdam', {'lr': 0.02, 'betas': [0.8, 0.9], 'eps': 1e-6}, None),
    ('radam_weight_decay', 'RAdam', {'lr': 0.01, 'betas': [0.9, 0.95], 'weightDecay': 0.1}, None),
    ('radam_decoupled_weight_decay', 'RAdam', {'lr': 0.01, 'betas': [0.9, 0.95], 'weightDecay': 0.1, 'decoupledWeightDecay': True}, None),
    ('radam_maximize', 'RAdam', {'lr': 0.01, 'betas': [0.9, 0.9], 'maximize': True}, None),
    ('radam_groups', 'RAdam', {'lr': 0.01}, [{'params': [0], 'betas': [0.9, 0.9]}, {'params': [1], 'lr': 0.05}]),
    ('adamax', 'Adamax', {'lr': 0.01}, None),
    ('adamax_betas_eps', 'Adamax', {'lr': 0.02, 'betas': [0.8, 0.9], 'eps': 1e-3}, None),
    ('adamax_weight_decay', 'Adamax', {'lr': 0.01, 'weightDecay': 0.1}, None),
    ('adamax_maximize', 'Adamax', {'lr': 0.01, 'maximize': True}, None),
    ('adamax_groups', 'Adamax', {'lr': 0.01}, [{'params': [0]}, {'params': [1], 'lr': 0.1, 'betas': [0.5, 0.99]}]),
    ('adadelta', 'Adadelta', {}, None),
    ('adadelta_rho_eps', 'Adadelta', {'lr': 0.5, 'rho': 0.8, 'eps': 1e-4}, None),
    ('adadelta_weight_decay', 'Adadelta', {'lr': 1.0, 'weightDecay': 0.1}, None),
    ('adadelta_maximize', 'Adadelta', {'lr': 1.0, 'maximize': True}, None),
    ('adadelta_groups', 'Adadelta', {'lr': 1.0}, [{'params': [0], 'rho': 0.5}, {'params': [1], 'lr': 2.0}]),
    ('asgd', 'ASGD', {'lr': 0.01}, None),
    ('asgd_averaging', 'ASGD', {'lr': 0.05, 'lambd': 0.01, 'alpha': 0.5, 't0': 3.0}, None),
    ('asgd_weight_decay', 'ASGD', {'lr': 0.05, 'weightDecay': 0.1, 't0': 0.0}, None),
    ('asgd_maximize', 'ASGD', {'lr': 0.05, 'maximize': True, 'lambd': 0.1, 't0': 5.0}, None),
    ('asgd_groups', 'ASGD', {'lr': 0.01, 't0': 2.0}, [{'params': [0]}, {'params': [1], 'lr': 0.1, 'alpha': 1.0}]),
    ('rprop', 'Rprop', {'lr': 0.01}, None),
    ('rprop_etas_step_sizes', 'Rprop', {'lr': 0.05, 'etas': [0.3, 1.5], 'stepSizes': [1e-3, 0.1]}, None),
    ('rprop_maximize', 'Rprop', {'lr': 0.01, 'maximize': True}, None),
    ('rprop_groups', 'Rprop', {'lr': 0.01}, [{'params': [0], 'etas': [0.4, 1.1]}, {'params': [1], 'lr': 0.1}]),
]

SHAPES = [[3, 4], [5]]


def emulated_flags(kind, options):
    """Split off the flags 1.13's `kind` lacks: (options for 1.13, maximize, decoupled weight decay or 0)."""
    options = dict(options)
    maximize = decoupled = False
    if kind in EMULATED:
        maximize = options.pop('maximize', False)
        decoupled = options.pop('decoupledWeightDecay', False)
    decay = 0.0
    if decoupled:
        decay = options.pop('weightDecay', 0.0)
    return options, maximize, decay


def state_of(state, numel):
    """One parameter's optimiser state, keyed as Tensile spells it: tensors flat, 0-d values as numbers."""
    out = {}
    for key, value in state.items():
        if value is None:
            continue
        name = STATE_NAMES.get(key, key)
        if torch.is_tensor(value) and value.numel() == numel:
            out[name] = flat(value)
        else:
            out[name] = float(value)
    return out


def optimizer_case(name, kind, options, groups):
    gen = torch.Generator().manual_seed(1234)
    initial = [torch.randn(shape, generator=gen, dtype=torch.float32) for shape in SHAPES]
    grads = [[torch.randn(shape, generator=gen, dtype=torch.float32) for shape in SHAPES] for _ in range(STEPS)]
    params = [t.clone().requires_grad_(True) for t in initial]
    torch_options, maximize, decoupled_decay = emulated_flags(kind, options)
    if groups is None:
        target = params
    else:
        assert not maximize and not decoupled_decay, 'emulated flags are replayed for a single group only'
        target = []
        for g in groups:
            extra = {k: v for k, v in g.items() if k != 'params'}
            target.append({'params': [params[i] for i in g['params']], **torch_kwargs(extra)})
    opt = OPTIMIZERS[kind](target, foreach=False, **torch_kwargs(torch_options))
    trajectory = []
    for step in range(STEPS):
        for p, g in zip(params, grads[step]):
            p.grad = -g if maximize else g.clone()
        if decoupled_decay:
            with torch.no_grad():
                for p in params:
                    p.mul_(1 - options['lr'] * decoupled_decay)
        opt.step()
        trajectory.append([flat(p) for p in params])
    return {
        'name': name,
        'optimizer': kind,
        'options': options,
        'groups': groups,
        'shapes': SHAPES,
        'initial': [flat(t) for t in initial],
        'grads': [[flat(g) for g in step] for step in grads],
        'trajectory': trajectory,
        'finalState': [state_of(opt.state[p], p.numel()) for p in params],
    }


# LBFGS: fixed objectives, the same in tests/optimizers.test.ts. `quartic` is a consistent
# least-squares fit plus a quartic pull towards the same solution, so its minimum is 0 and
# float32 rounding shrinks as it converges.
def rosenbrock(params, _data):
    a, b = params
    return ((1 - a) ** 2 + 100 * (b - a ** 2) ** 2).sum()


def quartic(params, data):
    w, b = params
    x, y, w_true = data
    return (x.matmul(w).add(b).sub(y) ** 2).mean() + 0.1 * ((w - w_true) ** 4).sum()


def lbfgs_problem(problem):
    """(objective, initial parameters, data) as float32 tensors."""
    if problem == 'rosenbrock':
        return rosenbrock, [torch.tensor([-1.5]), torch.tensor([2.0])], []
    gen = torch.Generator().manual_seed(4321)
    w0, b0 = torch.randn([3, 2], generator=gen), torch.randn([2], generator=gen)
    x = torch.randn([6, 3], generator=gen)
    w_true, b_true = torch.randn([3, 2], generator=gen), torch.randn([2], generator=gen)
    return quartic, [w0, b0], [x, x.matmul(w_true).add(b_true), w_true]


# (name, problem, options, steps)
LBFGS_CASES = [
    ('lbfgs_rosenbrock_strong_wolfe', 'rosenbrock', {'lineSearchFn': 'strong_wolfe', 'maxIter': 3}, 4),
    ('lbfgs_rosenbrock_fixed_step', 'rosenbrock', {'lr': 0.05, 'maxIter': 10}, 4),
    ('lbfgs_rosenbrock_fixed_step_history', 'rosenbrock', {'lr': 0.1, 'maxIter': 5, 'historySize': 3}, 4),
    ('lbfgs_quartic_strong_wolfe', 'quartic', {'lineSearchFn': 'strong_wolfe'}, 4),
    ('lbfgs_quartic_strong_wolfe_history', 'quartic', {'lineSearchFn': 'strong_wolfe', 'maxIter': 4, 'historySize': 2}, 5),
    ('lbfgs_quartic_strong_wolfe_lr2', 'quartic', {'lr': 2.0, 'lineSearchFn': 'strong_wolfe', 'maxIter': 5}, 4),
    ('lbfgs_quartic_max_eval', 'quartic', {'lineSearchFn': 'strong_wolfe', 'maxEval': 6}, 3),
    ('lbfgs_quartic_tolerance_grad', 'quartic', {'lineSearchFn': 'strong_wolfe', 'toleranceGrad': 1e-2}, 3),
    ('lbfgs_quartic_tolerance_change', 'quartic', {'lineSearchFn': 'strong_wolfe', 'toleranceChange': 1e-3}, 3),
    ('lbfgs_quartic_fixed_step', 'quartic', {'lr': 0.5, 'maxIter': 5, 'historySize': 3}, 3),
]

# LBFGS amplifies rounding (its line search compares and interpolates losses), so each case
# also runs in float64 and records, per value, how far PyTorch's own float32 and float64 runs
# land apart (`spread`); the tests allow that on top of the usual tolerance. Cases are chosen
# where the spread stays small, and this bound keeps it so.
MAX_LBFGS_SPREAD = 1e-4


def lbfgs_run(problem, options, steps, dtype):
    fn, initial, data = lbfgs_problem(problem)
    params = [t.clone().to(dtype).requires_grad_(True) for t in initial]
    data = [t.to(dtype) for t in data]
    opt = torch.optim.LBFGS(params, **torch_kwargs(options))

    def closure():
        opt.zero_grad()
        loss = fn(params, data)
        loss.backward()
        return loss

    trajectory, losses, counts = [], [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        trajectory.append([flat(p) for p in params])
        state = opt.state[params[0]]
        counts.append((state['func_evals'], state['n_iter']))
    return initial, data, trajectory, losses, counts


def lbfgs_case(name, problem, options, steps):
    initial, data, trajectory, losses, counts = lbfgs_run(problem, options, steps, torch.float32)
    _, _, trajectory64, losses64, counts64 = lbfgs_run(problem, options, steps, torch.float64)
    spread = [[[abs(a - b) for a, b in zip(p, q)] for p, q in zip(s, s64)] for s, s64 in zip(trajectory, trajectory64)]
    worst = max(v for step in spread for p in step for v in p)
    assert worst < MAX_LBFGS_SPREAD, f'{name}: float32 and float64 differ by {worst}; choose a better-conditioned case'
    assert counts == counts64, f'{name}: float32 and float64 take different numbers of evaluations'
    return {
        'name': name,
        'problem': problem,
        'options': options,
        'initial': [flat(t) for t in initial],
        'shapes': [list(t.shape) for t in initial],
        'data': [flat(t) for t in data],
        'trajectory': trajectory,
        'spread': spread,
        'losses': losses,
        'lossSpread': [abs(a - b) for a, b in zip(losses, losses64)],
        'funcEvals': [c[0] for c in counts],
        'nIter': [c[1] for c in counts],
    }


SCHEDULERS = {
    'StepLR': torch.optim.lr_scheduler.StepLR,
    'MultiStepLR': torch.optim.lr_scheduler.MultiStepLR,
    'ExponentialLR': torch.optim.lr_scheduler.ExponentialLR,
    'CosineAnnealingLR': torch.optim.lr_scheduler.CosineAnnealingLR,
    'LinearLR': torch.optim.lr_scheduler.LinearLR,
    'OneCycleLR': torch.optim.lr_scheduler.OneCycleLR,
    'LambdaLR': torch.optim.lr_scheduler.LambdaLR,
    'MultiplicativeLR': torch.optim.lr_scheduler.MultiplicativeLR,
    'ConstantLR': torch.optim.lr_scheduler.ConstantLR,
    'PolynomialLR': torch.optim.lr_scheduler.PolynomialLR,
    'CosineAnnealingWarmRestarts': torch.optim.lr_scheduler.CosineAnnealingWarmRestarts,
    'CyclicLR': torch.optim.lr_scheduler.CyclicLR,
    'SequentialLR': torch.optim.lr_scheduler.SequentialLR,
    'ChainedScheduler': torch.optim.lr_scheduler.ChainedScheduler,
}

# Option names that differ per scheduler (ASGD's `t0` is PyTorch's `t0`, SGDR's is `T_0`).
SCHEDULER_TORCH_NAMES = {
    'CosineAnnealingWarmRestarts': {'t0': 'T_0', 'tMult': 'T_mult'},
}

# Functions a fixture names by key (lrLambda, scaleFn); the tests define the same ones.
LAMBDAS = {
    'warmup': lambda epoch: min(1.0, (epoch + 1) / 5),
    'decay': lambda epoch: 0.95 ** epoch,
    'stairs': lambda epoch: 0.5 ** (epoch // 7),
    'times09': lambda epoch: 0.9,
    'alternate': lambda epoch: 0.8 if epoch % 3 == 0 else 1.02,
    'harmonic': lambda x: 1 / (1 + 0.1 * x),
}

# (name, scheduler, options, optimizer, optimizer defaults, second group's lr)
SCHEDULER_CASES = [
    ('step_lr', 'StepLR', {'stepSize': 7, 'gamma': 0.5}, 'SGD', {'lr': 0.1}, 0.05),
    ('step_lr_default_gamma', 'StepLR', {'stepSize': 3}, 'SGD', {'lr': 0.1}, None),
    ('multi_step_lr', 'MultiStepLR', {'milestones': [5, 12, 12, 20], 'gamma': 0.3}, 'SGD', {'lr': 0.1}, 0.05),
    ('exponential_lr', 'ExponentialLR', {'gamma': 0.9}, 'SGD', {'lr': 0.1}, 0.05),
    ('cosine_annealing_lr', 'CosineAnnealingLR', {'tMax': 10, 'etaMin': 0.001}, 'SGD', {'lr': 0.1}, 0.05),
    ('cosine_annealing_lr_zero_min', 'CosineAnnealingLR', {'tMax': 7}, 'Adam', {'lr': 0.01}, None),
    ('linear_lr_warmup', 'LinearLR', {'startFactor': 0.25, 'endFactor': 1.0, 'totalIters': 8}, 'SGD', {'lr': 0.1}, 0.05),
    ('linear_lr_decay', 'LinearLR', {'startFactor': 1.0, 'endFactor': 0.1, 'totalIters': 10}, 'SGD', {'lr': 0.1}, None),
    ('linear_lr_default', 'LinearLR', {}, 'SGD', {'lr': 0.1}, None),
    ('one_cycle_cos_sgd', 'OneCycleLR', {'maxLr': 1.0, 'totalSteps': 30}, 'SGD', {'lr': 0.1, 'momentum': 0.9}, 0.05),
    ('one_cycle_linear_three_phase', 'OneCycleLR',
     {'maxLr': [0.5, 0.2], 'totalSteps': 30, 'annealStrategy': 'linear', 'threePhase': True, 'pctStart': 0.25,
      'divFactor': 10.0, 'finalDivFactor': 100.0}, 'SGD', {'lr': 0.1, 'momentum': 0.9}, 0.05),
    ('one_cycle_adam', 'OneCycleLR',
     {'maxLr': 0.01, 'epochs': 5, 'stepsPerEpoch': 6, 'baseMomentum': 0.8, 'maxMomentum': 0.9}, 'Adam', {'lr': 0.001}, None),
    ('one_cycle_no_momentum', 'OneCycleLR',
     {'maxLr': 0.3, 'totalSteps': 30, 'cycleMomentum': False, 'pctStart': 0.4}, 'SGD', {'lr': 0.1}, None),
    ('lambda_lr', 'LambdaLR', {'lrLambda': 'warmup'}, 'SGD', {'lr': 0.1}, 0.05),
    ('lambda_lr_per_group', 'LambdaLR', {'lrLambda': ['decay', 'stairs']}, 'SGD', {'lr': 0.1}, 0.05),
    ('multiplicative_lr', 'MultiplicativeLR', {'lrLambda': 'times09'}, 'SGD', {'lr': 0.1}, 0.05),
    ('multiplicative_lr_per_group', 'MultiplicativeLR', {'lrLambda': ['alternate', 'times09']}, 'Adam', {'lr': 0.01}, 0.05),
    ('constant_lr', 'ConstantLR', {'factor': 0.5, 'totalIters': 4}, 'SGD', {'lr': 0.1}, 0.05),
    ('constant_lr_default', 'ConstantLR', {}, 'SGD', {'lr': 0.1}, None),
    ('polynomial_lr', 'PolynomialLR', {'totalIters': 20, 'power': 2.0}, 'SGD', {'lr': 0.1}, 0.05),
    ('polynomial_lr_default', 'PolynomialLR', {}, 'SGD', {'lr': 0.1}, None),
    ('polynomial_lr_sqrt', 'PolynomialLR', {'totalIters': 25, 'power': 0.5}, 'Adam', {'lr': 0.01}, None),
    ('cosine_warm_restarts', 'CosineAnnealingWarmRestarts', {'t0': 5}, 'SGD', {'lr': 0.1}, 0.05),
    ('cosine_warm_restarts_mult', 'CosineAnnealingWarmRestarts', {'t0': 3, 'tMult': 2, 'etaMin': 0.001}, 'SGD', {'lr': 0.1}, 0.05),
    ('cyclic_triangular', 'CyclicLR', {'baseLr': 0.01, 'maxLr': 0.1, 'stepSizeUp': 4}, 'SGD', {'lr': 0.1, 'momentum': 0.9}, 0.05),
    ('cyclic_triangular2_asymmetric', 'CyclicLR',
     {'baseLr': [0.01, 0.001], 'maxLr': [0.1, 0.05], 'stepSizeUp': 3, 'stepSizeDown': 5, 'mode': 'triangular2',
      'baseMomentum': [0.8, 0.7], 'maxMomentum': 0.95}, 'SGD', {'lr': 0.1, 'momentum': 0.9}, 0.05),
    ('cyclic_exp_range', 'CyclicLR',
     {'baseLr': 0.001, 'maxLr': 0.1, 'stepSizeUp': 5, 'mode': 'exp_range', 'gamma': 0.97, 'cycleMomentum': False}, 'SGD', {'lr': 0.1}, None),
    ('cyclic_scale_fn_cycle', 'CyclicLR',
     {'baseLr': 0.01, 'maxLr': 0.2, 'stepSizeUp': 2, 'stepSizeDown': 4, 'scaleFn': 'harmonic', 'cycleMomentum': False},
     'SGD', {'lr': 0.1}, None),
    ('cyclic_scale_fn_iterations', 'CyclicLR',
     {'baseLr': 0.01, 'maxLr': 0.2, 'stepSizeUp': 3, 'scaleFn': 'harmonic', 'scaleMode': 'iterations'},
     'SGD', {'lr': 0.1, 'momentum': 0.5}, 0.05),
    ('sequential_warmup_cosine', 'SequentialLR',
     {'schedulers': [{'scheduler': 'LinearLR', 'options': {'startFactor': 0.1, 'totalIters': 5}},
                     {'scheduler': 'CosineAnnealingLR', 'options': {'tMax': 20, 'etaMin': 0.001}}],
      'milestones': [5]}, 'SGD', {'lr': 0.1}, 0.05),
    ('sequential_three', 'SequentialLR',
     {'schedulers': [{'scheduler': 'ConstantLR', 'options': {'factor': 0.2, 'totalIters': 10}},
                     {'scheduler': 'ExponentialLR', 'options': {'gamma': 0.9}},
                     {'scheduler': 'StepLR', 'options': {'stepSize': 4, 'gamma': 0.5}}],
      'milestones': [6, 15]}, 'SGD', {'lr': 0.1}, 0.05),
    ('sequential_lambda_multistep_polynomial', 'SequentialLR',
     {'schedulers': [{'scheduler': 'LambdaLR', 'options': {'lrLambda': 'warmup'}},
                     {'scheduler': 'MultiStepLR', 'options': {'milestones': [3, 6], 'gamma': 0.5}},
                     {'scheduler': 'PolynomialLR', 'options': {'totalIters': 10, 'power': 1.5}}],
      'milestones': [5, 14]}, 'Adam', {'lr': 0.01}, None),
    ('sequential_warmup_restarts', 'SequentialLR',
     {'schedulers': [{'scheduler': 'LinearLR', 'options': {'startFactor': 0.5, 'totalIters': 3}},
                     {'scheduler': 'CosineAnnealingWarmRestarts', 'options': {'t0': 4, 'tMult': 2}}],
      'milestones': [3]}, 'SGD', {'lr': 0.1}, 0.05),
    ('sequential_multiplicative', 'SequentialLR',
     {'schedulers': [{'scheduler': 'ConstantLR', 'options': {'factor': 0.5, 'totalIters': 2}},
                     {'scheduler': 'MultiplicativeLR', 'options': {'lrLambda': 'times09'}}],
      'milestones': [4]}, 'SGD', {'lr': 0.1}, None),
    ('chained_constant_exponential', 'ChainedScheduler',
     {'schedulers': [{'scheduler': 'ConstantLR', 'options': {'factor': 0.1, 'totalIters': 4}},
                     {'scheduler': 'ExponentialLR', 'options': {'gamma': 0.9}}]}, 'SGD', {'lr': 1.0}, 0.5),
    ('chained_linear_step_cosine', 'ChainedScheduler',
     {'schedulers': [{'scheduler': 'LinearLR', 'options': {'startFactor': 0.2, 'totalIters': 6}},
                     {'scheduler': 'StepLR', 'options': {'stepSize': 10, 'gamma': 0.3}},
                     {'scheduler': 'CosineAnnealingLR', 'options': {'tMax': 30}}]}, 'SGD', {'lr': 0.1}, 0.05),
]

# SGDR is usually stepped with fractional epochs: `step(epoch + i / iters)`.
SCHEDULER_EPOCH_CASES = [
    ('cosine_warm_restarts_fractional', 'CosineAnnealingWarmRestarts', {'t0': 2, 'tMult': 2, 'etaMin': 0.01}, 'SGD', {'lr': 0.1}, 0.05,
     [epoch + i / 3 for epoch in range(10) for i in range(3)]),
    ('cosine_warm_restarts_fractional_mult1', 'CosineAnnealingWarmRestarts', {'t0': 3}, 'SGD', {'lr': 0.1}, None,
     [epoch + i / 4 for epoch in range(7) for i in range(4)] + [2.5, 1.0]),
]


def momentum_of(group):
    if 'betas' in group:
        return group['betas'][0]
    return group.get('momentum')


def make_scheduler(kind, options, opt):
    """The scheduler `kind` on `opt`, with function names resolved and child schedulers built first."""
    names = {**TORCH_NAMES, **SCHEDULER_TORCH_NAMES.get(kind, {})}
    kwargs = {}
    for key, value in options.items():
        if key in ('lrLambda', 'scaleFn'):
            value = [LAMBDAS[v] for v in value] if isinstance(value, list) else LAMBDAS[value]
        elif key == 'schedulers':
            value = [make_scheduler(c['scheduler'], c['options'], opt) for c in value]
        kwargs[names.get(key, key)] = value
    if kind == 'ChainedScheduler':
        return SCHEDULERS[kind](kwargs['schedulers'])
    return SCHEDULERS[kind](opt, **kwargs)


def scheduler_case(name, kind, options, opt_kind, opt_defaults, second_lr, step_epochs=None):
    p0 = torch.zeros(2, requires_grad=True)
    p1 = torch.zeros(3, requires_grad=True)
    groups = [{'params': [p0]}]
    if second_lr is not None:
        groups.append({'params': [p1], 'lr': second_lr})
    opt = OPTIMIZERS[opt_kind](groups, **torch_kwargs(opt_defaults))
    sched = make_scheduler(kind, options, opt)
    lrs = [list(sched.get_last_lr())]
    momenta = [[momentum_of(g) for g in opt.param_groups]]
    for epoch in range(EPOCHS if step_epochs is None else len(step_epochs)):
        opt.step()
        if step_epochs is None:
            sched.step()
        else:
            sched.step(step_epochs[epoch])
        lrs.append(list(sched.get_last_lr()))
        momenta.append([momentum_of(g) for g in opt.param_groups])
    extra = {} if step_epochs is None else {'stepEpochs': step_epochs}
    return {**extra,
        'name': name,
        'scheduler': kind,
        'options': options,
        'optimizer': opt_kind,
        'optimizerOptions': opt_defaults,
        'groupLrs': [opt_defaults['lr']] + ([second_lr] if second_lr is not None else []),
        'lrs': lrs,
        'momenta': momenta,
    }


METRICS = [1.0, 0.9, 0.95, 0.91, 0.92, 0.9, 0.85, 0.86, 0.86, 0.87, 0.88, 0.84, 0.849, 0.8399, 0.85, 0.86,
           0.87, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.69, 0.70, 0.71, 0.72, 0.73, 0.74]

PLATEAU_CASES = [
    ('plateau_min_rel', {'mode': 'min', 'factor': 0.5, 'patience': 2, 'cooldown': 1, 'minLr': 0.01}, METRICS),
    ('plateau_min_abs', {'mode': 'min', 'factor': 0.3, 'patience': 1, 'threshold': 0.02, 'thresholdMode': 'abs'}, METRICS),
    ('plateau_max_rel', {'mode': 'max', 'factor': 0.5, 'patience': 1, 'threshold': 0.01, 'minLr': [0.02, 0.001]},
     [-m for m in METRICS]),
    ('plateau_max_abs_cooldown', {'mode': 'max', 'patience': 0, 'threshold': 0.05, 'thresholdMode': 'abs', 'cooldown': 3},
     [2 - m for m in METRICS]),
    ('plateau_defaults', {}, METRICS),
]


def plateau_case(name, options, metrics):
    p0 = torch.zeros(2, requires_grad=True)
    p1 = torch.zeros(3, requires_grad=True)
    opt = torch.optim.SGD([{'params': [p0]}, {'params': [p1], 'lr': 0.05}], lr=0.1)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **torch_kwargs(options))
    lrs = []
    for m in metrics:
        opt.step()
        sched.step(m)
        lrs.append([g['lr'] for g in opt.param_groups])
    return {'name': name, 'options': options, 'groupLrs': [0.1, 0.05], 'metrics': metrics, 'lrs': lrs}


def clip_cases():
    gen = torch.Generator().manual_seed(99)
    shapes = [[4, 3], [6], [2, 2, 2]]
    grads = [torch.randn(s, generator=gen) * 2 for s in shapes]
    cases = []
    for max_norm in [0.5, 100.0]:
        for norm_type in [2.0, 1.0, 3.0, 'inf']:
            ps = [torch.zeros(s, requires_grad=True) for s in shapes]
            for p, g in zip(ps, grads):
                p.grad = g.clone()
            total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=math.inf if norm_type == 'inf' else norm_type)
            cases.append({
                'kind': 'norm', 'maxNorm': max_norm, 'normType': norm_type, 'totalNorm': float(total),
                'clipped': [flat(p.grad) for p in ps],
            })
    for clip_value in [0.5, 1.5]:
        ps = [torch.zeros(s, requires_grad=True) for s in shapes]
        for p, g in zip(ps, grads):
            p.grad = g.clone()
        torch.nn.utils.clip_grad_value_(ps, clip_value)
        cases.append({'kind': 'value', 'clipValue': clip_value, 'clipped': [flat(p.grad) for p in ps]})
    return {'shapes': shapes, 'grads': [flat(g) for g in grads], 'cases': cases}


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, 'w') as f:
        json.dump(data, f, separators=(',', ':'))
        f.write('\n')
    print('wrote', os.path.relpath(path))


def main():
    os.makedirs(OUT, exist_ok=True)
    write('optimizers.json', {'torch': torch.__version__, 'steps': STEPS,
                              'cases': [optimizer_case(*c) for c in OPTIMIZER_CASES],
                              'lbfgs': [lbfgs_case(*c) for c in LBFGS_CASES]})
    write('schedulers.json', {'torch': torch.__version__, 'epochs': EPOCHS,
                              'cases': [scheduler_case(*c) for c in SCHEDULER_CASES + SCHEDULER_EPOCH_CASES],
                              'plateau': [plateau_case(*c) for c in PLATEAU_CASES]})
    write('clip.json', {'torch': torch.__version__, **clip_cases()})


if __name__ == '__main__':
    main()
