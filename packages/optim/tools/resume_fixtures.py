#!/usr/bin/python3
"""Checkpoints of PyTorch optimisers mid-training, for resuming them in Tensile.

    /usr/bin/python3 tools/resume_fixtures.py               # write test/fixtures/resume/*
    /usr/bin/python3 tools/resume_fixtures.py --continue F  # resume a checkpoint Tensile wrote

Each case trains w [2, 3] and b [2] on a fixed least-squares problem for 3 steps and saves
{'model', 'optimizer', 'kind'} with torch.save (a few KB, committed), then trains 3 more
steps: expected.json holds the parameters after them. `--continue` loads a checkpoint of the
same layout into the PyTorch optimiser and prints the parameters after 3 more steps as JSON.
problem.json holds the problem's x and y, for the TypeScript side.

SCHEDULERS: the same with SGD and a learning-rate scheduler stepped after each step (with the
loss, for ReduceLROnPlateau); {'scheduler': scheduler.state_dict()} joins the checkpoint, and
expected-schedulers.json holds the parameters and each step's learning rate after it.
"""
import json
import os
import sys

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'resume')

CASES = {
    'adam': (torch.optim.Adam, {'lr': 0.05, 'weight_decay': 0.1, 'amsgrad': True}),
    'sgd': (torch.optim.SGD, {'lr': 0.1, 'momentum': 0.9, 'nesterov': True}),
    'rmsprop': (torch.optim.RMSprop, {'lr': 0.01, 'centered': True, 'momentum': 0.5}),
    'adagrad': (torch.optim.Adagrad, {'lr': 0.1, 'lr_decay': 0.01, 'initial_accumulator_value': 0.2}),
    'asgd': (torch.optim.ASGD, {'lr': 0.05, 't0': 1}),
}


SCHEDULERS = {
    'steplr': lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5),
    'multisteplr': lambda opt: torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4, 4], gamma=0.5),
    'warmrestarts': lambda opt: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.01),
    'onecycle': lambda opt: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=10),
    'plateau': lambda opt: torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0),
    'sequential': lambda opt: torch.optim.lr_scheduler.SequentialLR(opt, [
        torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2),
        torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)], milestones=[2]),
}


def scheduled(name):
    g = torch.Generator().manual_seed(11)
    params = [torch.randn(2, 3, generator=g).requires_grad_(True), torch.randn(2, generator=g).requires_grad_(True)]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    return params, opt, SCHEDULERS[name](opt)


def train_scheduled(params, opt, scheduler, steps):
    """Steps of train() with the scheduler stepped after each; the learning rate after each step."""
    x, y = problem()
    lrs = []
    for _ in range(steps):
        opt.zero_grad()
        w, b = params
        loss = ((x @ w.t() + b - y) ** 2).mean()
        loss.backward()
        opt.step()
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(loss.item())
        else:
            scheduler.step()
        lrs.append(opt.param_groups[0]['lr'])
    return lrs


def scheduler_state(scheduler):
    state = scheduler.state_dict()
    # PyTorch 1.13 pickles OneCycleLR's annealing function as a bound method, which no
    # weights-only reader loads; PyTorch 2 saves its name instead, as written here.
    if 'anneal_func' in state:
        del state['anneal_func']
        state['_anneal_func_type'] = 'cos'
    return state


def problem():
    g = torch.Generator().manual_seed(7)
    x = torch.randn(8, 3, generator=g)
    y = torch.randn(8, 2, generator=g)
    return x, y


def train(params, opt, steps):
    x, y = problem()
    for _ in range(steps):
        opt.zero_grad()
        w, b = params
        ((x @ w.t() + b - y) ** 2).mean().backward()
        opt.step()


def write():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for name, (cls, options) in CASES.items():
        g = torch.Generator().manual_seed(11)
        params = [torch.randn(2, 3, generator=g).requires_grad_(True), torch.randn(2, generator=g).requires_grad_(True)]
        opt = cls(params, **options)
        train(params, opt, 3)
        torch.save({'model': {'w': params[0].detach(), 'b': params[1].detach()}, 'optimizer': opt.state_dict(), 'kind': name},
                   os.path.join(OUT, f'{name}.pt'))
        train(params, opt, 3)
        expected[name] = {'w': params[0].detach().reshape(-1).tolist(), 'b': params[1].detach().tolist()}
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f)
    expected = {}
    for name in SCHEDULERS:
        params, opt, scheduler = scheduled(name)
        train_scheduled(params, opt, scheduler, 3)
        torch.save({'model': {'w': params[0].detach(), 'b': params[1].detach()}, 'optimizer': opt.state_dict(),
                    'scheduler': scheduler_state(scheduler), 'kind': name}, os.path.join(OUT, f'sched-{name}.pt'))
        lrs = train_scheduled(params, opt, scheduler, 3)
        expected[name] = {'w': params[0].detach().reshape(-1).tolist(), 'b': params[1].detach().tolist(), 'lrs': lrs}
    with open(os.path.join(OUT, 'expected-schedulers.json'), 'w') as f:
        json.dump(expected, f)
    x, y = problem()
    with open(os.path.join(OUT, 'problem.json'), 'w') as f:
        json.dump({'x': x.tolist(), 'y': y.tolist()}, f)


def resume(path):
    # Not weights_only: PyTorch 1.13's weights-only reader lacks the float opcode (BINFLOAT)
    # that every optimiser state dict needs for its hyper-parameters; PyTorch 2 has it.
    saved = torch.load(path)
    if saved['kind'] in SCHEDULERS:
        params, opt, scheduler = scheduled(saved['kind'])
        with torch.no_grad():
            params[0].copy_(saved['model']['w'])
            params[1].copy_(saved['model']['b'])
        opt.load_state_dict(saved['optimizer'])
        scheduler.load_state_dict(saved['scheduler'])
        lrs = train_scheduled(params, opt, scheduler, 3)
        print(json.dumps({'w': params[0].detach().reshape(-1).tolist(), 'b': params[1].detach().tolist(), 'lrs': lrs}))
        return
    cls, options = CASES[saved['kind']]
    params = [saved['model']['w'].clone().requires_grad_(True), saved['model']['b'].clone().requires_grad_(True)]
    opt = cls(params, **options)
    opt.load_state_dict(saved['optimizer'])
    train(params, opt, 3)
    print(json.dumps({'w': params[0].detach().reshape(-1).tolist(), 'b': params[1].detach().tolist()}))


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--continue':
        resume(sys.argv[2])
    else:
        write()
