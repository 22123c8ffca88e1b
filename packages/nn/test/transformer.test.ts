import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { generateSquareSubsequentMask } from '../src/layers/attention.js';
import { LayerNorm } from '../src/layers/layer-norm.js';
import {
  Transformer,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions,
} from '../src/layers/transformer.js';
import { Module } from '../src/module.js';
import { casesOf, checkCase, pick, type SequenceCase } from './fixtures/sequence-cases.js';

function build(c: SequenceCase): Module {
  const [dModel, nhead] = c.args;
  const stack = c.options as { layer: TransformerEncoderLayerOptions; numLayers: number; norm: boolean };
  const norm = () => (stack.norm ? new LayerNorm(dModel) : null);
  switch (c.kind) {
    case 'TransformerEncoderLayer':
      return new TransformerEncoderLayer(dModel, nhead, c.options);
    case 'TransformerEncoder':
      return new TransformerEncoder(new TransformerEncoderLayer(dModel, nhead, stack.layer), stack.numLayers, { norm: norm() });
    case 'TransformerDecoderLayer':
      return new TransformerDecoderLayer(dModel, nhead, c.options);
    case 'TransformerDecoder':
      return new TransformerDecoder(new TransformerDecoderLayer(dModel, nhead, stack.layer), stack.numLayers, { norm: norm() });
    default:
      return new Transformer(c.options);
  }
}

describe('transformer encoder matches PyTorch (eval, dropout 0; outputs, input and parameter gradients)', () => {
  for (const name of [...casesOf('TransformerEncoderLayer'), ...casesOf('TransformerEncoder')]) {
    it(name, () => {
      checkCase(name, build, (m, x) =>
        (m as TransformerEncoderLayer).forward(x.src, pick(x, 'srcMask', 'srcKeyPaddingMask')),
      );
    });
  }
});

describe('transformer decoder matches PyTorch (eval, dropout 0; outputs, input and parameter gradients)', () => {
  for (const name of [...casesOf('TransformerDecoderLayer'), ...casesOf('TransformerDecoder')]) {
    it(name, () => {
      checkCase(name, build, (m, x) =>
        (m as TransformerDecoderLayer).forward(x.tgt, x.memory, pick(x, 'tgtMask', 'memoryMask', 'tgtKeyPaddingMask', 'memoryKeyPaddingMask')),
      );
    });
  }
});

describe('Transformer matches PyTorch (eval, dropout 0; outputs, input and parameter gradients)', () => {
  for (const name of casesOf('Transformer')) {
    it(name, () => {
      checkCase(name, build, (m, x) =>
        (m as Transformer).forward(
          x.src,
          x.tgt,
          pick(x, 'srcMask', 'tgtMask', 'memoryMask', 'srcKeyPaddingMask', 'tgtKeyPaddingMask', 'memoryKeyPaddingMask'),
        ),
      );
    });
  }
});

describe('TransformerEncoderLayer: names, modes, errors', () => {
  it("uses PyTorch's submodule names and state-dict order", () => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    expect(Object.keys(layer.stateDict())).toEqual([
      'self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias',
      'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias',
      'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias',
    ]);
    expect(layer.namedChildren().map(([n]) => n)).toEqual(['self_attn', 'linear1', 'dropout', 'linear2', 'norm1', 'norm2', 'dropout1', 'dropout2']);
    const enc = new TransformerEncoder(layer, 2, { norm: new LayerNorm(8) });
    expect(Object.keys(enc.stateDict()).filter((k) => !k.startsWith('layers.'))).toEqual(['norm.weight', 'norm.bias']);
    expect(Object.keys(enc.stateDict())).toContain('layers.1.self_attn.out_proj.weight');
    // Copies start equal but are independent.
    const a = enc.stateDict();
    expect(a['layers.0.linear1.weight'].arraySync()).toEqual(a['layers.1.linear1.weight'].arraySync());
    expect(a['layers.0.linear1.weight']).not.toBe(a['layers.1.linear1.weight']);
  });

  it('applies dropout only while training, and keeps shapes (batchFirst)', () => {
    tl.manualSeed(5);
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.5, batchFirst: true, activation: (x) => x.silu() });
    const x = tl.randn([2, 3, 8]);
    expect(layer.forward(x).shape).toEqual([2, 3, 8]);
    expect(Array.from(layer.forward(x).dataSync())).not.toEqual(Array.from(layer.forward(x).dataSync()));
    layer.eval();
    expect(Array.from(layer.forward(x).dataSync())).toEqual(Array.from(layer.forward(x).dataSync()));
  });

  it('names the problem with bad arguments', () => {
    expect(() => new TransformerEncoderLayer(8, 3)).toThrow(/embedDim \(8\) must be divisible by numHeads \(3\)/);
    expect(() => new TransformerEncoderLayer(8, 2, { activation: 'tanh' as 'relu' })).toThrow(/activation should be relu\/gelu/);
    expect(() => new TransformerEncoderLayer(8, 2).forward(tl.randn([3, 2, 6]))).toThrow(/must end in embedDim=8/);
  });
});

describe('TransformerDecoderLayer and TransformerDecoder: names, modes, errors', () => {
  it("uses PyTorch's submodule names and state-dict order", () => {
    const layer = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    const attn = (m: string) => [`${m}.in_proj_weight`, `${m}.in_proj_bias`, `${m}.out_proj.weight`, `${m}.out_proj.bias`];
    expect(Object.keys(layer.stateDict())).toEqual([
      ...attn('self_attn'), ...attn('multihead_attn'),
      'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias',
      'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias', 'norm3.weight', 'norm3.bias',
    ]);
    expect(layer.namedChildren().map(([n]) => n)).toEqual([
      'self_attn', 'multihead_attn', 'linear1', 'dropout', 'linear2', 'norm1', 'norm2', 'norm3', 'dropout1', 'dropout2', 'dropout3',
    ]);
    const dec = new TransformerDecoder(layer, 2, { norm: new LayerNorm(8) });
    expect(Object.keys(dec.stateDict())).toContain('layers.1.multihead_attn.out_proj.bias');
    expect(Object.keys(dec.stateDict()).slice(-2)).toEqual(['norm.weight', 'norm.bias']);
    const a = dec.stateDict();
    expect(a['layers.0.linear1.weight'].arraySync()).toEqual(a['layers.1.linear1.weight'].arraySync());
    expect(a['layers.0.linear1.weight']).not.toBe(a['layers.1.linear1.weight']);
    // PyTorch prints the children only (test/module-features.test.ts checks whole reprs).
    expect(String(layer)).toMatch(/^TransformerDecoderLayer\(\n  \(self_attn\): MultiheadAttention\(\n    \(out_proj\): NonDynamicallyQuantizableLinear\(in_features=8, out_features=8, bias=True\)\n  \)\n  \(multihead_attn\)/);
  });

  it('applies dropout only while training, and keeps shapes (batchFirst)', () => {
    tl.manualSeed(5);
    const layer = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.5, batchFirst: true });
    const tgt = tl.randn([2, 3, 8]);
    const memory = tl.randn([2, 4, 8]);
    const run = () => Array.from(layer.forward(tgt, memory, { tgtMask: generateSquareSubsequentMask(3) }).dataSync());
    expect(layer.forward(tgt, memory).shape).toEqual([2, 3, 8]);
    expect(run()).not.toEqual(run());
    layer.eval();
    expect(run()).toEqual(run());
  });

  it('names the problem with bad arguments', () => {
    expect(() => new TransformerDecoderLayer(8, 3)).toThrow(/embedDim \(8\) must be divisible by numHeads \(3\)/);
    expect(() => new TransformerDecoderLayer(8, 2, { activation: 'tanh' as 'relu' })).toThrow(/TransformerDecoderLayer: activation should be relu\/gelu/);
    expect(() => new TransformerDecoder(new TransformerDecoderLayer(8, 2), -1)).toThrow(/numLayers must be a non-negative integer, got -1/);
    const layer = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    const tgt = tl.randn([3, 2, 8]);
    const memory = tl.randn([5, 2, 8]);
    expect(() => layer.forward(tgt, tl.randn([5, 2, 6]))).toThrow(/key \[5,\s?2,\s?6\] must end in embedDim=8/);
    expect(() => layer.forward(tgt, memory, { tgtMask: generateSquareSubsequentMask(5) })).toThrow(/shape of the 2D attnMask is \[5,\s?5\], but should be \[3,\s?3\]/);
    expect(() => layer.forward(tgt, memory, { memoryMask: tl.zeros([3, 4]) })).toThrow(/shape of the 2D attnMask is \[3,\s?4\], but should be \[3,\s?5\]/);
    expect(() => layer.forward(tgt, memory, { memoryKeyPaddingMask: tl.zeros([2, 3]) })).toThrow(/expected keyPaddingMask of shape \[2,\s?5\]/);
  });
});

describe('Transformer: defaults, names, errors', () => {
  it("mirrors PyTorch's constructor defaults and names", () => {
    const model = new Transformer({ dModel: 8, nhead: 2, dimFeedforward: 16 });
    const encoder = model.encoder as TransformerEncoder;
    const decoder = model.decoder as TransformerDecoder;
    expect([encoder.numLayers, decoder.numLayers]).toEqual([6, 6]);
    expect(encoder.layers.get(0).dropout.p).toBe(0.1);
    expect(encoder.norm).toBeInstanceOf(LayerNorm);
    expect(decoder.norm).toBeInstanceOf(LayerNorm);
    expect(model.batchFirst).toBe(false);
    const keys = Object.keys(model.stateDict());
    expect(keys[0]).toBe('encoder.layers.0.self_attn.in_proj_weight');
    expect(keys).toContain('encoder.norm.weight');
    expect(keys).toContain('decoder.layers.5.multihead_attn.in_proj_weight');
    expect(keys.at(-1)).toBe('decoder.norm.bias');
    // Every matrix is re-initialised on its own, so the layer copies differ.
    const a = model.stateDict();
    expect(a['encoder.layers.0.linear1.weight'].arraySync()).not.toEqual(a['encoder.layers.1.linear1.weight'].arraySync());
    expect(Transformer.generateSquareSubsequentMask(2).arraySync()).toEqual([[0, -Infinity], [0, 0]]);
  });

  it('uses a custom encoder and decoder, re-initialised', () => {
    const encoder = new TransformerEncoder(new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), 1);
    const decoder = new TransformerDecoder(new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 }), 1);
    const before = encoder.layers.get(0).linear1.weight.arraySync();
    const model = new Transformer({ dModel: 8, nhead: 2, customEncoder: encoder, customDecoder: decoder });
    expect(model.encoder).toBe(encoder);
    expect(model.decoder).toBe(decoder);
    expect(encoder.layers.get(0).linear1.weight.arraySync()).not.toEqual(before);
    expect(model.forward(tl.randn([5, 2, 8]), tl.randn([3, 2, 8])).shape).toEqual([3, 2, 8]);
  });

  it('names the problem with bad arguments', () => {
    const model = new Transformer({ dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16, batchFirst: true });
    expect(() => model.forward(tl.randn([2, 5, 8]), tl.randn([3, 4, 8]))).toThrow(/batch number of src and tgt must be equal, got 2 and 3/);
    expect(() => model.forward(tl.randn([2, 5, 8]), tl.randn([2, 4, 6]))).toThrow(/feature number of src and tgt must be equal to dModel=8, got 8 and 6/);
    expect(() => new Transformer({ dModel: 8, nhead: 3 })).toThrow(/embedDim \(8\) must be divisible by numHeads \(3\)/);
  });
});
