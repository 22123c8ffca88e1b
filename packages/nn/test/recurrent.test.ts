import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { GRU, LSTM, RNN, type RNNBase } from '../src/layers/recurrent.js';
import { casesOf, checkCase, type SequenceCase } from './fixtures/sequence-cases.js';

function build(c: SequenceCase): RNNBase {
  const [inputSize, hiddenSize] = c.args;
  if (c.kind === 'RNN') return new RNN(inputSize, hiddenSize, c.options);
  if (c.kind === 'LSTM') return new LSTM(inputSize, hiddenSize, c.options);
  return new GRU(inputSize, hiddenSize, c.options);
}

describe('recurrent layers match PyTorch (outputs, input and parameter gradients)', () => {
  for (const kind of ['RNN', 'LSTM', 'GRU']) {
    for (const name of casesOf(kind)) {
      it(name, () => {
        checkCase(name, build, (m, inputs) => {
          if (m instanceof LSTM) return m.forward(inputs.x, inputs.h0 ? [inputs.h0, inputs.c0] : undefined);
          return (m as RNN | GRU).forward(inputs.x, inputs.h0);
        });
      });
    }
  }
});

describe('recurrent layers: names, shapes, init, errors', () => {
  it("uses PyTorch's state-dict names in PyTorch's order", () => {
    expect(Object.keys(new LSTM(3, 4, { numLayers: 2, bidirectional: true }).stateDict())).toEqual([
      'weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0',
      'weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse',
      'weight_ih_l1', 'weight_hh_l1', 'bias_ih_l1', 'bias_hh_l1',
      'weight_ih_l1_reverse', 'weight_hh_l1_reverse', 'bias_ih_l1_reverse', 'bias_hh_l1_reverse',
    ]);
    expect(Object.keys(new GRU(3, 4, { bias: false }).stateDict())).toEqual(['weight_ih_l0', 'weight_hh_l0']);
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true });
    expect(lstm.weight_ih_l0.shape).toEqual([16, 3]);
    expect(lstm.getParameter('weight_ih_l1').shape).toEqual([16, 8]);
    expect(new GRU(3, 5).weight_hh_l0.shape).toEqual([15, 5]);
    expect(new RNN(3, 5).bias_ih_l0!.shape).toEqual([5]);
  });

  it('initialises every parameter from U(±1/√hidden)', () => {
    tl.manualSeed(3);
    const m = new LSTM(6, 16, { numLayers: 2 });
    const values = m.parameters().flatMap((p) => Array.from(p.dataSync()));
    const k = 1 / 4;
    expect(Math.max(...values)).toBeLessThanOrEqual(k);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-k);
    expect(Math.max(...values)).toBeGreaterThan(0.9 * k);
    expect(Math.min(...values)).toBeLessThan(-0.9 * k);
  });

  it('returns the documented shapes (batched, batchFirst, unbatched, bidirectional)', () => {
    const [out, hN] = new RNN(3, 4, { numLayers: 2 }).forward(tl.randn([5, 2, 3]));
    expect(out.shape).toEqual([5, 2, 4]);
    expect(hN.shape).toEqual([2, 2, 4]);
    const [o2, [h2, c2]] = new LSTM(3, 4, { batchFirst: true, bidirectional: true }).forward(tl.randn([2, 5, 3]));
    expect(o2.shape).toEqual([2, 5, 8]);
    expect(h2.shape).toEqual([2, 2, 4]);
    expect(c2.shape).toEqual([2, 2, 4]);
    const [o3, h3] = new GRU(3, 4, { numLayers: 3 }).forward(tl.randn([5, 3]));
    expect(o3.shape).toEqual([5, 4]);
    expect(h3.shape).toEqual([3, 4]);
  });

  it('the last output step equals the final hidden state (unidirectional)', () => {
    const gru = new GRU(3, 4);
    const [out, hN] = gru.forward(tl.randn([6, 2, 3]));
    expect(out.select(0, 5).arraySync()).toEqual(hN.select(0, 0).arraySync());
  });

  it('applies dropout between layers only while training', () => {
    tl.manualSeed(0);
    const m = new RNN(3, 8, { numLayers: 2, dropout: 0.5 });
    const x = tl.randn([4, 2, 3]);
    const a = m.forward(x)[0].dataSync();
    const b = m.forward(x)[0].dataSync();
    expect(Array.from(a)).not.toEqual(Array.from(b));
    m.eval();
    expect(Array.from(m.forward(x)[0].dataSync())).toEqual(Array.from(m.forward(x)[0].dataSync()));
  });

  it('names the problem with bad arguments', () => {
    const lstm = new LSTM(3, 4);
    expect(() => lstm.forward(tl.randn([5, 2, 7]))).toThrow(/LSTM: input.size\(-1\) must be equal to input_size. Expected 3, got 7/);
    expect(() => lstm.forward(tl.randn([5]))).toThrow(/LSTM: expected a 2-D \(unbatched\) or 3-D \(batched\) input, got shape \[5\]/);
    expect(() => lstm.forward(tl.randn([5, 2, 3]), [tl.zeros([1, 3, 4]), tl.zeros([1, 2, 4])])).toThrow(
      /LSTM: expected hidden\[0\] size \[1,\s?2,\s?4\], got \[1,\s?3,\s?4\]/,
    );
    expect(() => new GRU(3, 4).forward(tl.randn([5, 2, 3]), tl.zeros([2, 2, 4]))).toThrow(/GRU: expected hidden size/);
    expect(() => new RNN(3, 0)).toThrow(/RNN: hiddenSize must be a positive integer, got 0/);
    expect(() => new RNN(3, 4, { nonlinearity: 'sigmoid' as 'tanh' })).toThrow(/unknown nonlinearity 'sigmoid'/);
    expect(() => new GRU(3, 4, { dropout: 2 })).toThrow(/dropout should be a number in \[0, 1\]/);
  });

  it('projSize: weight_hr after the biases, projected h and output, full-size c', () => {
    expect(Object.keys(new LSTM(3, 5, { projSize: 2, numLayers: 2, bidirectional: true, bias: false }).stateDict())).toEqual([
      'weight_ih_l0', 'weight_hh_l0', 'weight_hr_l0', 'weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'weight_hr_l0_reverse',
      'weight_ih_l1', 'weight_hh_l1', 'weight_hr_l1', 'weight_ih_l1_reverse', 'weight_hh_l1_reverse', 'weight_hr_l1_reverse',
    ]);
    const lstm = new LSTM(3, 5, { projSize: 2, numLayers: 2, bidirectional: true });
    expect(lstm.projSize).toBe(2);
    expect(lstm.weight_hh_l0.shape).toEqual([20, 2]);
    expect(lstm.getParameter('weight_hr_l0').shape).toEqual([2, 5]);
    expect(lstm.getParameter('weight_hr_l1_reverse').shape).toEqual([2, 5]);
    expect(lstm.getParameter('weight_ih_l1').shape).toEqual([20, 4]);
    const [out, [hN, cN]] = lstm.forward(tl.randn([6, 3, 3]));
    expect(out.shape).toEqual([6, 3, 4]);
    expect(hN.shape).toEqual([4, 3, 2]);
    expect(cN.shape).toEqual([4, 3, 5]);
    const [o2, [h2, c2]] = new LSTM(3, 5, { projSize: 2 }).forward(tl.randn([6, 3]), [tl.zeros([1, 2]), tl.zeros([1, 5])]);
    expect(o2.shape).toEqual([6, 2]);
    expect(h2.shape).toEqual([1, 2]);
    expect(c2.shape).toEqual([1, 5]);
    expect(new LSTM(3, 5).projSize).toBe(0);
    expect(new GRU(3, 5).projSize).toBe(0);
  });

  it('projSize: names the problem with bad values and hidden states', () => {
    expect(() => new LSTM(3, 4, { projSize: 4 })).toThrow(/LSTM: projSize has to be smaller than hiddenSize, got projSize 4 and hiddenSize 4/);
    expect(() => new LSTM(3, 4, { projSize: 7 })).toThrow(/LSTM: projSize has to be smaller than hiddenSize/);
    expect(() => new LSTM(3, 4, { projSize: -1 })).toThrow(/LSTM: projSize should be a positive integer or zero to disable projections, got -1/);
    expect(() => new LSTM(3, 4, { projSize: 1.5 })).toThrow(/LSTM: projSize should be a positive integer or zero/);
    expect(() => new GRU(3, 4, { projSize: 2 } as object)).toThrow(/GRU: projSize is only supported for LSTM, not RNN or GRU/);
    const lstm = new LSTM(3, 5, { projSize: 2 });
    const x = tl.randn([4, 2, 3]);
    // h0 must have projSize features; c0 keeps hiddenSize.
    expect(() => lstm.forward(x, [tl.zeros([1, 2, 5]), tl.zeros([1, 2, 5])])).toThrow(
      /LSTM: expected hidden\[0\] size \[1,\s?2,\s?2\], got \[1,\s?2,\s?5\]/,
    );
    expect(() => lstm.forward(x, [tl.zeros([1, 2, 2]), tl.zeros([1, 2, 2])])).toThrow(
      /LSTM: expected hidden\[1\] size \[1,\s?2,\s?5\], got \[1,\s?2,\s?2\]/,
    );
    expect(() => new LSTM(3, 5, { projSize: 2, numLayers: 2 }).forward(x, [tl.zeros([1, 2, 2]), tl.zeros([2, 2, 5])])).toThrow(
      /LSTM: expected hidden\[0\] size \[2,\s?2,\s?2\], got \[1,\s?2,\s?2\]/,
    );
  });

  it("prints like PyTorch's repr", () => {
    expect(String(new LSTM(10, 20, { numLayers: 2, batchFirst: true }))).toBe('LSTM(10, 20, num_layers=2, batch_first=True)');
    expect(String(new GRU(3, 4, { bidirectional: true, dropout: 0.1 }))).toBe('GRU(3, 4, dropout=0.1, bidirectional=True)');
    expect(String(new LSTM(3, 5, { projSize: 2, numLayers: 2, bias: false, bidirectional: true }))).toBe(
      'LSTM(3, 5, proj_size=2, num_layers=2, bias=False, bidirectional=True)',
    );
  });
});
