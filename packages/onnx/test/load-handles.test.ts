// loadOnnx leaves exactly one live tensor handle per state entry: the tensors its parameters
// and buffers are made from are disposed at load, not left for the garbage collector, so
// tl.memory() right after loading counts only the model's state (and a training loop's memory
// check sees the same count before and after a collection).
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { loadOnnx } from '../src/index.js';
import { buildModel, type ModelSpec } from './build-model.js';

/** y = BatchNorm(x @ W + b) reshaped through an int64 shape constant: float parameters, BatchNorm buffers, an int buffer. */
const spec: ModelSpec = {
  inputs: [{ name: 'x', shape: ['batch', 2] }],
  outputs: ['y'],
  initializers: [
    { name: 'fc.weight', dims: [2, 3], values: [1, 2, 3, 4, 5, 6] },
    { name: 'fc.bias', dims: [3], values: [0.5, -1, 2] },
    { name: 'bn.weight', dims: [3], values: [1, 2, 3] },
    { name: 'bn.bias', dims: [3], values: [0, 1, 0] },
    { name: 'bn.running_mean', dims: [3], values: [0.1, 0.2, 0.3] },
    { name: 'bn.running_var', dims: [3], values: [1, 2, 4] },
    { name: 'shape', type: 'int64', dims: [4], values: [-1, 3, 1, 1] },
    { name: 'flat', type: 'int64', dims: [2], values: [-1, 3] },
  ],
  nodes: [
    { op: 'MatMul', inputs: ['x', 'fc.weight'], outputs: ['m'] },
    { op: 'Add', inputs: ['m', 'fc.bias'], outputs: ['a'] },
    { op: 'Reshape', inputs: ['a', 'shape'], outputs: ['a4'] },
    { op: 'BatchNormalization', inputs: ['a4', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'], outputs: ['n'] },
    { op: 'Reshape', inputs: ['n', 'flat'], outputs: ['y'] },
  ],
};

describe('loadOnnx handles', () => {
  it('holds one live handle per parameter and buffer after loading, and none after dispose', async () => {
    const before = tl.memory().numTensors;
    for (const trainable of [true, false]) {
      const model = await loadOnnx(buildModel(spec), { trainable });
      const entries = model.parameters().length + model.buffers().length;
      expect(entries).toBe(8);
      expect(tl.memory().numTensors - before).toBe(entries);
      const x = tl.ones([2, 2]);
      const y = tl.noGrad(() => model.forward(x));
      expect(tl.memory().numTensors - before).toBe(entries + 2); // x and y
      x.dispose();
      y.dispose();
      model.dispose();
      expect(tl.memory().numTensors).toBe(before);
    }
  });

  it('keeps what a node unpacks once (MatMulNBits\' weights) across forwards, and frees it with the model', async () => {
    const before = tl.memory().numTensors;
    const model = await loadOnnx(buildModel({
      inputs: [{ name: 'a', shape: [2, 16] }], outputs: ['y'],
      initializers: [{ name: 'b', type: 'uint8', dims: [3, 1, 8], values: Array.from({ length: 24 }, (_, i) => (i * 37) % 256) }, { name: 's', dims: [3, 1], values: [0.1, 0.2, 0.3] }],
      nodes: [{ op: 'MatMulNBits', domain: 'com.microsoft', inputs: ['a', 'b', 's'], outputs: ['y'], attrs: { K: 16, N: 3, bits: 4, block_size: 16 } }],
    }));
    const state = tl.memory().numTensors - before;
    const a = tl.ones([2, 16]);
    const first = tl.noGrad(() => model.forward(a));
    // The unpacked weights stay with the model: one more handle, and no more on the next forward.
    expect(tl.memory().numTensors - before).toBe(state + 3);
    const second = tl.noGrad(() => model.forward(a));
    expect(Array.from(second.dataSync() as Float32Array)).toEqual(Array.from(first.dataSync() as Float32Array));
    expect(tl.memory().numTensors - before).toBe(state + 4);
    for (const t of [a, first, second]) t.dispose();
    model.dispose();
    expect(tl.memory().numTensors).toBe(before);
  });
});
