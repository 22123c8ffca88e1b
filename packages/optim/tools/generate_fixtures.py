#!/usr/bin/python3
"""Write the PyTorch reference fixtures for @tensile/optim's tests.

Run with Debian's PyTorch 1.13:  /usr/bin/python3 packages/optim/tools/generate_fixtures.py

Every optimiser case starts from the same seeded parameters and replays the same seeded
sequence of gradients, recording every parameter after every step. Scheduler cases record
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
}


def torch_kwargs(options):
    out = {}
    for key, value in options.items():
        out[TORCH_NAMES.get(key, key)] = tuple(value) if key == 'betas' else value
    return out


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


OPTIMIZERS = {
    'SGD': torch.optim.SGD,
    'Adam': torch.optim.Adam,
    'AdamW': torch.optim.AdamW,
    'RMSprop': torch.optim.RMSprop,
    'Adagrad': torch.optim.Adagrad,
}

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
]

SHAPES = [[3, 4], [5]]


def optimizer_case(name, kind, options, groups):
    gen = torch.Generator().manual_seed(1234)
    initial = [torch.randn(shape, generator=gen, dtype=torch.float32) for shape in SHAPES]
    grads = [[torch.randn(shape, generator=gen, dtype=torch.float32) for shape in SHAPES] for _ in range(STEPS)]
    params = [t.clone().requires_grad_(True) for t in initial]
    if groups is None:
        target = params
    else:
        target = []
        for g in groups:
            extra = {k: v for k, v in g.items() if k != 'params'}
            target.append({'params': [params[i] for i in g['params']], **torch_kwargs(extra)})
    opt = OPTIMIZERS[kind](target, foreach=False, **torch_kwargs(options))
    trajectory = []
    for step in range(STEPS):
        for p, g in zip(params, grads[step]):
            p.grad = g.clone()
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
    }


SCHEDULERS = {
    'StepLR': torch.optim.lr_scheduler.StepLR,
    'MultiStepLR': torch.optim.lr_scheduler.MultiStepLR,
    'ExponentialLR': torch.optim.lr_scheduler.ExponentialLR,
    'CosineAnnealingLR': torch.optim.lr_scheduler.CosineAnnealingLR,
    'LinearLR': torch.optim.lr_scheduler.LinearLR,
    'OneCycleLR': torch.optim.lr_scheduler.OneCycleLR,
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
]


def momentum_of(group):
    if 'betas' in group:
        return group['betas'][0]
    return group.get('momentum')


def scheduler_case(name, kind, options, opt_kind, opt_defaults, second_lr):
    p0 = torch.zeros(2, requires_grad=True)
    p1 = torch.zeros(3, requires_grad=True)
    groups = [{'params': [p0]}]
    if second_lr is not None:
        groups.append({'params': [p1], 'lr': second_lr})
    opt = OPTIMIZERS[opt_kind](groups, **torch_kwargs(opt_defaults))
    sched = SCHEDULERS[kind](opt, **torch_kwargs(options))
    lrs = [list(sched.get_last_lr())]
    momenta = [[momentum_of(g) for g in opt.param_groups]]
    for _ in range(EPOCHS):
        opt.step()
        sched.step()
        lrs.append(list(sched.get_last_lr()))
        momenta.append([momentum_of(g) for g in opt.param_groups])
    return {
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
                              'cases': [optimizer_case(*c) for c in OPTIMIZER_CASES]})
    write('schedulers.json', {'torch': torch.__version__, 'epochs': EPOCHS,
                              'cases': [scheduler_case(*c) for c in SCHEDULER_CASES],
                              'plateau': [plateau_case(*c) for c in PLATEAU_CASES]})
    write('clip.json', {'torch': torch.__version__, **clip_cases()})


if __name__ == '__main__':
    main()
