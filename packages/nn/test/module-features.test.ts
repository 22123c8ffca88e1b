/**
 * Module features against PyTorch 1.13 (test/fixtures/module-features.json, written by
 * tools/module_features_fixtures.py): every layer's repr, ParameterList / ParameterDict,
 * non-persistent buffers, loadStateDict's messages, and forward / full backward hooks.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, BCELoss, BCEWithLogitsLoss, Buffer, Conv1d, Conv2d, CrossEntropyLoss,
  Dropout, Embedding, Flatten, GELU, GRU, HuberLoss, Identity, KLDivLoss, L1Loss, LayerNorm, LeakyReLU, Linear, LSTM, MaxPool2d,
  Module, ModuleDict, ModuleList, MSELoss, MultiheadAttention, NLLLoss, Parameter, ParameterDict, ParameterList, ReLU, RNN,
  Sequential, Sigmoid, Softmax, Tanh, Transformer, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
} from '../src/index.js';
import { expectClose, type FixtureTensor, fromFixture, loadFixture } from './helpers.js';

interface Fixture {
  reprs: Record<string, string>;
  containers: { namedBuffers: string[]; namedParameters: string[]; stateDictKeys: string[]; repr: string; numParameters: number };
  loadStateDict: Record<'nonPersistentIsUnexpected' | 'noneValue' | 'missingAndUnexpected', string>;
  hooks: {
    state: Record<string, FixtureTensor>;
    x: FixtureTensor;
    w: FixtureTensor;
    y: FixtureTensor;
    events: string[];
    seen: Record<string, FixtureTensor | (FixtureTensor | null)[]>;
    xGrad: FixtureTensor;
    paramGrads: Record<string, FixtureTensor>;
    noInputGrad: { state: Record<string, FixtureTensor>; x: FixtureTensor; gradInput: (FixtureTensor | null)[]; gradOutput: (FixtureTensor | null)[] };
  };
}

const fixture = loadFixture<Fixture>('module-features');

/** The Tensile constructor for each PyTorch expression in tools/module_features_fixtures.py's REPRS. */
const MAKERS: Record<string, () => Module> = {
  linear: () => new Linear(4, 2),
  linearNoBias: () => new Linear(4, 2, { bias: false }),
  conv2d: () => new Conv2d(3, 8, 3),
  conv2dFull: () => new Conv2d(3, 8, [3, 5], { stride: 2, padding: [1, 2], dilation: 2, bias: false }),
  conv2dGroups: () => new Conv2d(4, 8, 3, { groups: 2, padding: 'same' }),
  conv1d: () => new Conv1d(3, 6, 5, { stride: 2, padding: 2 }),
  conv1dValid: () => new Conv1d(3, 6, 5, { padding: 'valid', dilation: 2 }),
  maxPool2d: () => new MaxPool2d(2),
  maxPool2dFull: () => new MaxPool2d([3, 2], { stride: [2, 1], padding: 1 }),
  avgPool2d: () => new AvgPool2d(2),
  avgPool2dFull: () => new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
  adaptiveAvgPool2d: () => new AdaptiveAvgPool2d(2),
  adaptiveAvgPool2dNone: () => new AdaptiveAvgPool2d([null, 3]),
  batchNorm1d: () => new BatchNorm1d(4),
  batchNorm2dFull: () => new BatchNorm2d(4, { eps: 1e-3, momentum: null, affine: false, trackRunningStats: false }),
  layerNorm: () => new LayerNorm(8),
  layerNorm2d: () => new LayerNorm([3, 4], { eps: 1e-6, elementwiseAffine: false }),
  dropout: () => new Dropout(),
  dropout25: () => new Dropout(0.25),
  embedding: () => new Embedding(10, 3),
  embeddingPad: () => new Embedding(10, 3, { paddingIdx: 0 }),
  flatten: () => new Flatten(),
  flatten0: () => new Flatten(0, 2),
  relu: () => new ReLU(),
  leakyRelu: () => new LeakyReLU(),
  leakyRelu02: () => new LeakyReLU(0.2),
  gelu: () => new GELU(),
  geluTanh: () => new GELU('tanh'),
  sigmoid: () => new Sigmoid(),
  tanh: () => new Tanh(),
  softmax: () => new Softmax(1),
  identity: () => new Identity(),
  crossEntropy: () => new CrossEntropyLoss({ labelSmoothing: 0.1 }),
  nll: () => new NLLLoss(),
  mse: () => new MSELoss(),
  l1: () => new L1Loss('sum'),
  bce: () => new BCELoss(),
  bceLogits: () => new BCEWithLogitsLoss(),
  huber: () => new HuberLoss(),
  klDiv: () => new KLDivLoss({ reduction: 'batchmean' }),
  rnn: () => new RNN(3, 4),
  rnnRelu: () => new RNN(3, 4, { nonlinearity: 'relu', numLayers: 2, dropout: 0.5 }),
  lstm: () => new LSTM(3, 4, { batchFirst: true, bidirectional: true, bias: false }),
  lstmProj: () => new LSTM(3, 4, { projSize: 2, numLayers: 2 }),
  gru: () => new GRU(3, 4),
  mha: () => new MultiheadAttention(8, 2),
  mhaKv: () => new MultiheadAttention(8, 2, { kdim: 4, vdim: 6, batchFirst: true, addBiasKv: true }),
  encoderLayer: () => new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }),
  encoder: () => new TransformerEncoder(new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), 2, { norm: new LayerNorm(8) }),
  decoderLayer: () => new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, normFirst: true }),
  transformer: () => new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16 }),
  sequential: () => new Sequential(new Linear(4, 8), new ReLU(), new Sequential(new Linear(8, 2), new Sigmoid())),
  emptySequential: () => new Sequential(),
  moduleList: () => new ModuleList<Module>([new Linear(2, 2), new Tanh()]),
  moduleDict: () => new ModuleDict<Module>({ proj: new Linear(2, 3), act: new ReLU() }),
  parameterList: () => new ParameterList([tl.zeros([3, 4]), tl.zeros([2])]),
  parameterListOne: () => new ParameterList([tl.zeros([5])]),
  emptyParameterList: () => new ParameterList(),
};

describe('toString prints every layer as PyTorch 1.13', () => {
  test('every fixture has a maker and the reverse', () => {
    expect(Object.keys(MAKERS).sort()).toEqual(Object.keys(fixture.reprs).sort());
  });
  for (const [key, repr] of Object.entries(fixture.reprs)) {
    test(key, () => {
      const m = MAKERS[key]();
      expect(String(m)).toBe(repr);
      m.dispose();
    });
  }
});

/** tools/module_features_fixtures.py's WithBuffers: members are discovered in the order they are set. */
class WithBuffers extends Module {
  declare cache: Buffer;
  declare steps: Buffer;
  declare fc: Linear;
  declare scales: ParameterList;
  declare table: ParameterDict;
  constructor() {
    super();
    this.registerBuffer('cache', tl.zeros([2]), { persistent: false });
    this.registerBuffer('steps', tl.zeros([1]));
    this.fc = new Linear(2, 2);
    this.scales = new ParameterList([tl.ones([2]), tl.ones([3])]);
    this.table = new ParameterDict();
    this.table.set('b', tl.zeros([1]));
    this.table.set('a', tl.zeros([2]));
  }
  forward(x: Tensor): Tensor {
    return this.fc.forward(x);
  }
}

describe('containers and buffers match PyTorch', () => {
  test('ParameterList, ParameterDict and a non-persistent buffer: names, state dict, repr, count', () => {
    const m = new WithBuffers();
    const c = fixture.containers;
    expect(m.namedBuffers().map(([n]) => n)).toEqual(c.namedBuffers);
    expect(m.namedParameters().map(([n]) => n)).toEqual(c.namedParameters);
    expect(Object.keys(m.stateDict())).toEqual(c.stateDictKeys);
    expect(String(m)).toBe(c.repr);
    expect(m.numParameters()).toBe(c.numParameters);
    expect(m.cache.persistent).toBe(false);
    expect(m.getBuffer('cache')).toBe(m.cache);
    expect(m.getParameter('scales.1').shape).toEqual([3]);
    expect(m.getParameter('table.a').shape).toEqual([2]);
    m.dispose();
  });

  test('a non-persistent buffer is an unexpected key; a null value and missing keys are named as PyTorch does', () => {
    const m = new WithBuffers();
    const e = fixture.loadStateDict;
    const toTensile = (msg: string) =>
      msg
        .replace(/\. (\n|$)/g, '.$1')
        .replace("expected torch.Tensor or Tensor-like object from checkpoint but received <class 'NoneType'>", 'expected a Tensor from checkpoint but received null.');
    expect(() => m.loadStateDict({ ...m.stateDict(), cache: tl.zeros([2]) })).toThrow(toTensile(e.nonPersistentIsUnexpected));
    expect(() => m.loadStateDict({ ...m.stateDict(), 'fc.weight': null as unknown as Tensor })).toThrow(toTensile(e.noneValue));
    const sd: Record<string, Tensor> = { ...m.stateDict(), 'fc.extra': tl.zeros([1]) };
    delete sd['scales.1'];
    expect(() => m.loadStateDict(sd)).toThrow(toTensile(e.missingAndUnexpected));
    // undefined in a Map, and null even when not strict (PyTorch checks values either way).
    expect(() => m.loadStateDict(new Map([['fc.bias', undefined as unknown as Tensor]]), { strict: false })).toThrow(
      'While copying the parameter named "fc.bias", expected a Tensor from checkpoint but received undefined.',
    );
    expect(() => m.loadStateDict({ 'fc.bias': null as unknown as Tensor }, { strict: false })).toThrow(/received null/);
    expect(() => m.loadStateDict(null as unknown as Record<string, Tensor>)).toThrow('loadStateDict: expected a state dict (an object or a Map of tensors), got null');
    expect(() => m.loadStateDict({}, { strict: false, strcit: true } as never)).toThrow("loadStateDict: unknown option 'strcit'");
    // The strict round trip still loads, leaving the non-persistent buffer alone.
    const before = tl.memory().numTensors;
    const copy = new WithBuffers();
    copy.loadStateDict(m.stateDict());
    expect(copy.cache.arraySync()).toEqual([0, 0]);
    copy.dispose();
    m.dispose();
    expect(tl.memory().numTensors).toBeLessThanOrEqual(before);
  });
});

describe('hooks match PyTorch', () => {
  /** tools/module_features_fixtures.py's Net. */
  class Net extends Module {
    fc1 = new Linear(3, 4);
    act = new Tanh();
    fc2 = new Linear(4, 2);
    forward(x: Tensor): Tensor {
      return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
    }
  }
  const h = fixture.hooks;

  test('forward pre-hooks, forward hooks and full backward hooks: order, arguments, replacements, gradients', () => {
    const net = new Net();
    net.loadStateDict(Object.fromEntries(Object.entries(h.state).map(([k, v]) => [k, fromFixture(v)])));
    const x = fromFixture(h.x, true);
    const events: string[] = [];
    const seen: Record<string, Tensor | (Tensor | null)[]> = {};
    const copy = (t: Tensor | null) => (t ? tl.keep(t.mul(1)) : null);
    const pre = (name: string, scale?: number) => (_m: Module, args: Tensor[]) => {
      events.push(`pre:${name}`);
      seen[`pre:${name}`] = copy(args[0])!;
      return scale === undefined ? undefined : args[0].mul(scale);
    };
    const fwd = (name: string, scale?: number) => (_m: Module, args: Tensor[], out: Tensor) => {
      events.push(`forward:${name}`);
      seen[`forward:${name}:in`] = copy(args[0])!;
      seen[`forward:${name}:out`] = copy(out)!;
      return scale === undefined ? undefined : out.mul(scale);
    };
    const bwd = (name: string, scale?: number) => (_m: Module, gradInput: (Tensor | null)[], gradOutput: (Tensor | null)[]) => {
      events.push(`backward:${name}`);
      seen[`backward:${name}:gradInput`] = gradInput.map(copy);
      seen[`backward:${name}:gradOutput`] = gradOutput.map(copy);
      return scale === undefined ? undefined : gradInput.map((g) => (g ? g.mul(scale) : null));
    };
    const handles = [
      net.registerForwardPreHook(pre('net')),
      net.fc2.registerForwardPreHook(pre('fc2', 0.5)),
      net.act.registerForwardHook(fwd('act', 2)),
      net.fc1.registerForwardHook(fwd('fc1')),
      net.registerForwardHook(fwd('net')),
      net.fc1.registerFullBackwardHook(bwd('fc1')),
      net.fc2.registerFullBackwardHook(bwd('fc2', 3)),
      net.act.registerFullBackwardHook(bwd('act')),
      net.registerFullBackwardHook(bwd('net')),
    ];
    const removed = net.fc1.registerForwardPreHook((_m, [a]) => (a as Tensor).mul(100));
    removed.remove();
    const w = fromFixture(h.w);
    const y = net.call(x);
    expectClose(y, h.y, 'output');
    tl.tidy(() => y.mul(w).sum().backward());
    expect(events).toEqual(h.events);
    expect(Object.keys(seen).sort()).toEqual(Object.keys(h.seen).sort());
    for (const [key, expected] of Object.entries(h.seen)) {
      const got = seen[key];
      if (Array.isArray(expected)) {
        expect((got as (Tensor | null)[]).length, key).toBe(expected.length);
        expected.forEach((e, i) => (e === null ? expect((got as (Tensor | null)[])[i], key).toBeNull() : expectClose((got as Tensor[])[i], e, `${key}[${i}]`)));
      } else {
        expectClose(got as Tensor, expected, key);
      }
    }
    expectClose(x.grad, h.xGrad, 'x.grad');
    for (const [name, p] of net.namedParameters()) expectClose(p.grad, h.paramGrads[name], `${name}.grad`, 1e-4, 1e-5);
    // Removed hooks stop; the model runs as before.
    for (const handle of handles) handle.remove();
    events.length = 0;
    net.zeroGrad();
    tl.tidy(() => net.forward(x).sum().backward());
    expect(events).toEqual([]);
  });

  test('a module whose input needs no gradient: gradInput is [null]', () => {
    const lin = new Linear(3, 2);
    const e = h.noInputGrad;
    lin.loadStateDict(Object.fromEntries(Object.entries(e.state).map(([k, v]) => [k, fromFixture(v)])));
    let gradInput: (Tensor | null)[] = [];
    let gradOutput: Tensor | null = null;
    lin.registerFullBackwardHook((_m, gi, go) => {
      gradInput = gi;
      gradOutput = tl.keep(go[0]!.mul(1));
    });
    tl.tidy(() => lin.forward(fromFixture(e.x)).sum().backward());
    expect(gradInput).toEqual(e.gradInput);
    expectClose(gradOutput, e.gradOutput[0]!, 'gradOutput');
    lin.registerFullBackwardHook(() => [tl.ones([4, 3])]);
    expect(() => tl.tidy(() => lin.forward(fromFixture(e.x)).sum().backward())).toThrow(/must return nothing/);
  });
});

describe('module features', () => {
  test('requiresGrad_ freezes and unfreezes every parameter', () => {
    const m = new Sequential(new Linear(2, 2), new Linear(2, 1));
    expect(m.requiresGrad_(false)).toBe(m);
    expect(m.parameters().every((p) => !p.requiresGrad)).toBe(true);
    expect(m.numParameters(true)).toBe(0);
    m.requiresGrad_();
    expect(m.numParameters(true)).toBe(9);
    expect(() => m.requiresGrad_('no' as unknown as boolean)).toThrow(/requiresGrad_: expected a boolean/);
  });

  test('zeroGrad drops gradients, or with setToNone: false fills them with zeros', () => {
    const m = new Linear(2, 1);
    tl.tidy(() => m.forward(tl.ones([1, 2])).sum().backward());
    m.zeroGrad({ setToNone: false });
    expect(m.weight.grad!.arraySync()).toEqual([[0, 0]]);
    expect(m.weight.grad!.requiresGrad).toBe(false);
    m.zeroGrad();
    expect(m.weight.grad).toBeNull();
    m.zeroGrad({ setToNone: false }); // nothing to zero
    expect(m.weight.grad).toBeNull();
    expect(() => m.zeroGrad({ set_to_none: true } as never)).toThrow("zeroGrad: unknown option 'set_to_none'");
  });

  test('registerBuffer, registerParameter, addModule: discovery, PyTorch-style name checks', () => {
    class Custom extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new Custom();
    m.registerParameter('scale', new Parameter(tl.ones([1])));
    m.registerBuffer('mask', tl.ones([2]));
    m.registerBuffer('cache', tl.zeros([2]), { persistent: false });
    m.addModule('head', new Linear(2, 1));
    m.registerModule('absent', null);
    m.registerParameter('none', null);
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'mask', 'head.weight', 'head.bias']);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['mask', 'cache']);
    expect(m.namedChildren().map(([n]) => n)).toEqual(['head']);
    expect(() => m.registerBuffer('a.b', tl.zeros([1]))).toThrow(`registerBuffer: buffer name can't contain ".", got 'a.b'`);
    expect(() => m.registerBuffer('', tl.zeros([1]))).toThrow(`registerBuffer: buffer name can't be empty string ""`);
    expect(() => m.registerParameter('w', tl.zeros([1]) as Parameter)).toThrow(
      "registerParameter: cannot assign a Tensor to parameter 'w' (a Parameter or null required)",
    );
    expect(() => m.registerBuffer('scale', tl.zeros([1]))).toThrow("registerBuffer: attribute 'scale' already exists");
    expect(() => m.registerBuffer('train', tl.zeros([1]))).toThrow("registerBuffer: attribute 'train' already exists");
    expect(() => m.addModule('x', 3 as unknown as Module)).toThrow('addModule: number is not a Module subclass');
    expect(m.getSubmodule('head')).toBeInstanceOf(Linear);
    expect(m.getSubmodule('')).toBe(m);
    expect(() => m.getSubmodule('head.nope')).toThrow('getSubmodule: Linear has no attribute `nope`');
    expect(() => m.getSubmodule('scale')).toThrow('getSubmodule: `scale` is not a Module');
    expect(() => m.getParameter('head')).toThrow('getParameter: `head` is not a Parameter');
    expect(() => m.getBuffer('head.weight')).toThrow('getBuffer: `weight` is not a buffer');
    expect(m.getParameter('head.bias')).toBe((m.getSubmodule('head') as Linear).bias);
    m.dispose();
  });

  test('a Buffer with a bad option is refused and holds nothing', () => {
    const data = tl.zeros([3]);
    const before = tl.memory().numTensors;
    expect(() => new Buffer(data, { persistent: 'yes' as unknown as boolean })).toThrow('Buffer: persistent must be a boolean, got string');
    expect(() => new Buffer(data, { persistant: false } as never)).toThrow("Buffer: unknown option 'persistant'");
    expect(tl.memory().numTensors).toBe(before);
    data.dispose();
    expect(data.isDisposed).toBe(true);
  });

  test('Sequential, ModuleList and ModuleDict refuse non-modules clearly; Sequential takes a Map of names', () => {
    const a = new Linear(1, 1);
    expect(() => new Sequential([a, new ReLU()] as unknown as Module)).toThrow(
      'Sequential: argument 0 is an array; pass the modules themselves: new Sequential(...modules)',
    );
    expect(() => new Sequential(a, 'relu' as unknown as Module)).toThrow('Sequential: argument 1 is string, not a Module');
    expect(() => new ModuleList([a, 2 as unknown as Module])).toThrow('ModuleList: argument 1 is number, not a Module');
    expect(() => new ModuleDict({ a: {} as Module })).toThrow("ModuleDict.set: the value for 'a' is Object, not a Module");
    const named = new Sequential(new Map<string, Module>([['fc', a], ['act', new ReLU()]]));
    expect(Object.keys(named.stateDict())).toEqual(['fc.weight', 'fc.bias']);
    expect(String(named)).toBe('Sequential(\n  (fc): Linear(in_features=1, out_features=1, bias=True)\n  (act): ReLU()\n)');
    expect([...named.forward(tl.ones([2, 1])).shape]).toEqual([2, 1]);
  });

  test('ParameterList and ParameterDict: wrapping, order, errors', () => {
    const t = tl.ones([2]);
    const list = new ParameterList([t]);
    expect(list.get(0)).toBeInstanceOf(Parameter);
    list.push(new Parameter(tl.zeros([3])));
    expect(list.length).toBe(2);
    expect(Object.keys(list.stateDict())).toEqual(['0', '1']);
    expect(() => list.push(3 as unknown as Tensor)).toThrow('ParameterList.push: expected a Tensor or Parameter, got number');
    expect(() => list.forward()).toThrow(/ParameterList should not be called/);
    const dict = new ParameterDict({ z: tl.ones([1]), a: tl.ones([1]) });
    expect(dict.keys()).toEqual(['a', 'z']); // a plain object is sorted, as PyTorch sorts a dict
    const ordered = new ParameterDict(new Map([['z', tl.ones([1])], ['a', tl.ones([1])]]));
    expect(ordered.keys()).toEqual(['z', 'a']);
    expect(() => dict.set('a.b', tl.ones([1]))).toThrow(`ParameterDict.set: parameter name can't contain "."`);
  });

  test('to(dtype) casts floating parameters and buffers only; float() back; bad dtypes are refused', () => {
    const m = new BatchNorm1d(2);
    const before = m.weight!;
    if (tl.isDTypeSupported('float16', 'cpu')) {
      m.half();
      expect(m.weight!.dtype).toBe('float16');
      expect(m.runningMean!.dtype).toBe('float16');
      expect(m.numBatchesTracked!.dtype).toBe('int32');
      m.float();
    } else {
      expect(() => m.half()).toThrow("Module.to: float16 is not supported on the 'cpu' backend");
    }
    expect(m.weight!.dtype).toBe('float32');
    expect(() => m.to('int32')).toThrow(/only floating dtypes/);
    expect(() => m.to({ dtype: 'float32', device: 'cpu', bogus: 1 } as never)).toThrow("Module.to: unknown option 'bogus'");
    expect(m.to({ dtype: 'float32', device: 'cpu' }).weight).toBe(m.weight);
    void before;
  });

  test('clone: a deep copy with shared parameters kept shared, hooks kept, nothing else shared', () => {
    const fc = new Linear(2, 2);
    const m = new Sequential(fc, new ReLU(), fc, new BatchNorm1d(2));
    let calls = 0;
    m.get(1).registerForwardHook(() => {
      calls++;
    });
    m.eval();
    const before = tl.memory().numTensors;
    const c = m.clone();
    // Copies of fc's weight and bias (once: shared), BatchNorm's weight, bias and 3 buffers.
    expect(tl.memory().numTensors).toBe(before + 7);
    expect(c).toBeInstanceOf(Sequential);
    expect(c.training).toBe(false);
    expect(c.get(0)).toBe(c.get(2));
    expect(c.get(0)).not.toBe(fc);
    expect((c.get(0) as Linear).weight).not.toBe(fc.weight);
    expect((c.get(0) as Linear).weight.arraySync()).toEqual(fc.weight.arraySync());
    expect(String(c)).toBe(String(m));
    tl.tidy(() => {
      const x = tl.ones([3, 2]);
      expect(c.forward(x).arraySync()).toEqual(m.forward(x).arraySync());
      tl.noGrad(() => (c.get(0) as Linear).weight.assign(tl.zerosLike(fc.weight)));
    });
    expect(calls).toBe(2);
    expect(fc.weight.arraySync()).not.toEqual([[0, 0], [0, 0]]);
    c.dispose();
    expect(tl.memory().numTensors).toBe(before);
    m.dispose();
  });

  test('a failed hook call leaves the module usable; hooks can be disposed with using', () => {
    const m = new Linear(2, 2);
    const handle = m.registerForwardPreHook(() => {
      throw new Error('boom');
    });
    expect(() => m.forward(tl.ones([1, 2]))).toThrow('boom');
    handle[Symbol.dispose]();
    expect([...m.forward(tl.ones([1, 2])).shape]).toEqual([1, 2]);
    expect(() => m.registerForwardHook(42 as never)).toThrow('registerForwardHook: expected a function, got number');
  });
});
