import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { LayerNorm } from '../src/layers/layer-norm.js';
import { TransformerEncoder, TransformerEncoderLayer, type TransformerEncoderLayerOptions } from '../src/layers/transformer.js';
import { Module } from '../src/module.js';
import { casesOf, checkCase, type SequenceCase } from './fixtures/sequence-cases.js';

function build(c: SequenceCase): Module {
  const [dModel, nhead] = c.args;
  if (c.kind === 'TransformerEncoderLayer') return new TransformerEncoderLayer(dModel, nhead, c.options);
  const o = c.options as { layer: TransformerEncoderLayerOptions; numLayers: number; norm: boolean };
  return new TransformerEncoder(new TransformerEncoderLayer(dModel, nhead, o.layer), o.numLayers, { norm: o.norm ? new LayerNorm(dModel) : null });
}

describe('transformer encoder matches PyTorch (eval, dropout 0; outputs, input and parameter gradients)', () => {
  for (const name of [...casesOf('TransformerEncoderLayer'), ...casesOf('TransformerEncoder')]) {
    it(name, () => {
      checkCase(name, build, (m, x) =>
        (m as TransformerEncoderLayer).forward(x.src, { srcMask: x.srcMask, srcKeyPaddingMask: x.srcKeyPaddingMask }),
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
