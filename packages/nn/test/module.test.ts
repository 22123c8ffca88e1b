import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import {
  AdaptiveAvgPool2d, BatchNorm1d, BatchNorm2d, Buffer, Conv2d, Dropout, Flatten, LayerNorm, Linear, Module, ModuleDict,
  ModuleList, Parameter, ReLU, Sequential, init,
} from '../src/index.js';
import { expectClose, type FixtureTensor, fromFixture, loadFixture } from './helpers.js';

/** The same model as tools/generate_fixtures.py's `Net`. */
class Net extends Module {
  conv = new Conv2d(1, 4, 3, { padding: 1 });
  bn = new BatchNorm2d(4);
  pool = new AdaptiveAvgPool2d(2);
  flatten = new Flatten();
  head = new Sequential(new Linear(16, 8), new BatchNorm1d(8), new ReLU(), new Sequential(new Linear(8, 8), new Dropout(0.1)), new Linear(8, 3));
  blocks = new ModuleList<Module>([new Linear(3, 3), new LayerNorm(3)]);
  heads = new ModuleDict({ a: new Linear(3, 2), b: new Linear(3, 1, { bias: false }) });

  forward(x: Tensor): Tensor {
    return tl.tidy(() => {
      let h = this.flatten.forward(this.pool.forward(this.bn.forward(this.conv.forward(x)).relu()));
      h = this.head.forward(h);
      for (const block of this.blocks) h = block.forward(h);
      return tl.cat([this.heads.get('a').forward(h), this.heads.get('b').forward(h)], 1);
    });
  }
}

interface ModulesFixture {
  namedParameters: [string, number[]][];
  namedBuffers: [string, number[]][];
  namedModules: string[];
  namedChildren: string[];
  stateDictKeys: string[];
  numParameters: number;
  repr: string;
  state: Record<string, FixtureTensor>;
  input: FixtureTensor;
  output: FixtureTensor;
}

const fixture = loadFixture<ModulesFixture>('modules');

describe('discovery matches PyTorch for a nested model', () => {
  const net = new Net();
  test('parameter, buffer, module and child names', () => {
    expect(net.namedParameters().map(([n, p]) => [n, [...p.shape]])).toEqual(fixture.namedParameters);
    expect(net.namedBuffers().map(([n, b]) => [n, [...b.shape]])).toEqual(fixture.namedBuffers);
    expect(net.namedModules().map(([n]) => n)).toEqual(fixture.namedModules);
    expect(net.namedChildren().map(([n]) => n)).toEqual(fixture.namedChildren);
    expect(Object.keys(net.stateDict())).toEqual(fixture.stateDictKeys);
    expect(net.numParameters()).toBe(fixture.numParameters);
    expect(net.parameters().every((p) => p instanceof Parameter && p.requiresGrad)).toBe(true);
    expect(net.buffers().every((b) => b instanceof Buffer && !b.requiresGrad)).toBe(true);
  });
  test('namedParameters takes a prefix and can stay shallow', () => {
    expect(net.head.namedParameters('head').slice(0, 2).map(([n]) => n)).toEqual(['head.0.weight', 'head.0.bias']);
    expect(net.namedParameters('', false)).toEqual([]);
    expect(net.conv.parameters(false).length).toBe(2);
  });
  test('toString prints the tree as PyTorch', () => {
    expect(String(net)).toBe(fixture.repr);
  });
  test('a PyTorch state dict loads and gives PyTorch outputs', () => {
    const state = Object.fromEntries(Object.entries(fixture.state).map(([k, v]) => [k, fromFixture(v)]));
    const result = net.loadStateDict(state);
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    expectClose(net.forward(fromFixture(fixture.input)), fixture.output, 'Net output');
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
  });
});

describe('Module basics', () => {
  class Tiny extends Module {
    fc = new Linear(2, 2);
    extra: Linear | null = null;
    scale = new Parameter(tl.ones([1]));
    stats = new Buffer(tl.zeros([2]));
    forward(x: Tensor): Tensor {
      return this.fc.forward(x).mul(this.scale);
    }
  }

  test('fields in insertion order; null fields skipped; Parameter, Buffer, Module kinds', () => {
    const m = new Tiny();
    expect(m.namedParameters().map(([n]) => n)).toEqual(['scale', 'fc.weight', 'fc.bias']); // own first, then children's, as PyTorch
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'stats', 'fc.weight', 'fc.bias']);
    expect(m.namedChildren().map(([n]) => n)).toEqual(['fc']);
    m.extra = new Linear(2, 1);
    expect(m.namedChildren().map(([n]) => n)).toEqual(['fc', 'extra']);
  });

  test('shared parameters are listed once', () => {
    const fc = new Linear(3, 3);
    const seq = new Sequential(fc, new ReLU(), fc);
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias']);
    expect(seq.numParameters()).toBe(12);
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  test('Parameter shares storage, requires grad and survives tidy', () => {
    const data = tl.tensor([1, 2, 3]);
    const p = tl.tidy(() => new Parameter(data));
    expect(p.isDisposed).toBe(false);
    expect(p.requiresGrad).toBe(true);
    expect(new Parameter(data, false).requiresGrad).toBe(false);
    data.dispose();
    expect(p.arraySync()).toEqual([1, 2, 3]);
    const model = tl.tidy(() => new Linear(2, 2));
    expect(model.weight.isDisposed).toBe(false);
  });

  test('zeroGrad drops gradients, apply visits children first, dispose frees', () => {
    const m = new Tiny();
    m.forward(tl.ones([1, 2])).sum().backward();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    const order: string[] = [];
    m.apply((mod) => order.push(mod.constructor.name));
    expect(order).toEqual(['Linear', 'Tiny']);
    m.apply((mod) => {
      if (mod instanceof Linear) init.zeros_(mod.weight);
    });
    expect(m.fc.weight.arraySync()).toEqual([[0, 0], [0, 0]]);
    const before = tl.memory().numTensors;
    m.dispose();
    expect(tl.memory().numTensors).toBe(before - 4);
    expect(m.fc.weight.isDisposed).toBe(true);
  });

  test('to() on the same device keeps the tensors', () => {
    const m = new Tiny();
    const w = m.fc.weight;
    expect(m.to('cpu').fc.weight).toBe(w);
  });

  test('to() replaces parameters and buffers with moved ones, dropping grads', () => {
    // A second backend under another name, backed by the cpu one.
    const cpu = tl.getBackend('cpu');
    const other = Object.create(cpu, { name: { value: 'cpu-copy' } });
    tl.registerBackend(other, { priority: -1 });
    const m = new Tiny();
    const old = m.fc.weight;
    const values = old.arraySync();
    m.forward(tl.ones([1, 2])).sum().backward();
    m.to('cpu-copy');
    expect(old.isDisposed).toBe(true);
    expect(m.fc.weight).not.toBe(old);
    expect(m.fc.weight.device).toBe('cpu-copy');
    expect(m.stats.device).toBe('cpu-copy');
    expect(m.fc.weight.requiresGrad).toBe(true);
    expect(m.fc.weight.grad).toBeNull();
    expect(m.fc.weight.arraySync()).toEqual(values);
  });
});

describe('loadStateDict', () => {
  const make = () => new Sequential(new Linear(2, 3), new BatchNorm1d(3));
  const source = () => {
    const m = make();
    const sd = { ...m.stateDict() };
    return sd;
  };

  test('copies values (and casts dtypes) into the live tensors', () => {
    const a = make();
    const b = make();
    const weight = b.get(0) as Linear;
    const ref = weight.weight;
    b.loadStateDict(a.stateDict());
    expect(weight.weight).toBe(ref);
    expect(weight.weight.arraySync()).toEqual((a.get(0) as Linear).weight.arraySync());
    b.loadStateDict({ ...a.stateDict(), '1.num_batches_tracked': tl.tensor(5) });
    expect((b.get(1) as BatchNorm1d).numBatchesTracked!.itemSync()).toBe(5);
    expect((b.get(1) as BatchNorm1d).numBatchesTracked!.dtype).toBe('int32');
  });

  test('names missing and unexpected keys', () => {
    const sd = source();
    delete sd['0.bias'];
    sd['2.weight'] = tl.zeros([1]);
    // PyTorch lists missing keys before unexpected ones.
    expect(() => make().loadStateDict(sd)).toThrow(
      'Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: "0.bias".\n\tUnexpected key(s) in state_dict: "2.weight".',
    );
    const result = make().loadStateDict(sd, { strict: false });
    expect(result).toEqual({ missingKeys: ['0.bias'], unexpectedKeys: ['2.weight'] });
  });

  test('names mis-shaped keys with both shapes, strict or not, and copies nothing', () => {
    const sd = source();
    sd['0.weight'] = tl.zeros([2, 3]);
    sd['1.running_mean'] = tl.ones([3]);
    const target = make();
    const mean = (target.get(1) as BatchNorm1d).runningMean!;
    for (const strict of [true, false]) {
      expect(() => target.loadStateDict(sd, { strict })).toThrow(
        'size mismatch for 0.weight: copying a param with shape [2,3] from checkpoint, the shape in current model is [3,2].',
      );
    }
    expect(mean.arraySync()).toEqual([0, 0, 0]);
  });

  test('accepts a Map', () => {
    const a = make();
    const b = make();
    b.loadStateDict(new Map(Object.entries(a.stateDict())));
    expect((b.get(1) as BatchNorm1d).weight!.arraySync()).toEqual([1, 1, 1]);
  });
});

describe('containers', () => {
  test('Sequential', () => {
    const seq = new Sequential(new Linear(4, 3), new ReLU());
    seq.push(new Linear(3, 1));
    expect(seq.length).toBe(3);
    expect(seq.get(-1)).toBeInstanceOf(Linear);
    expect([...seq].length).toBe(3);
    expect([...seq.forward(tl.zeros([5, 4])).shape]).toEqual([5, 1]);
    expect(() => seq.get(3)).toThrow(RangeError);
  });
  test('ModuleList', () => {
    const list = new ModuleList([new Linear(2, 2)]);
    list.push(new Linear(2, 2));
    expect(list.length).toBe(2);
    expect(list.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    list.set(0, new Linear(2, 2, { bias: false }));
    expect(list.namedParameters().map(([n]) => n)).toEqual(['0.weight', '1.weight', '1.bias']);
    expect(() => list.forward()).toThrow(/no forward/);
  });
  test('ModuleDict', () => {
    const dict = new ModuleDict({ b: new Linear(2, 2), a: new ReLU() });
    dict.set('forward', new Linear(1, 1, { bias: false }));
    expect(dict.keys()).toEqual(['b', 'a', 'forward']);
    expect(dict.namedParameters().map(([n]) => n)).toEqual(['b.weight', 'b.bias', 'forward.weight']);
    expect(dict.has('a')).toBe(true);
    expect(() => dict.get('c')).toThrow(/no module named 'c'/);
  });
});
