// Sequence operators in small graphs against onnxruntime-node: lists built in a loop (what
// PyTorch's exports of TorchScript lists make), constructed, edited, split and mapped; and
// the optionals, which hold a tensor, a sequence or nothing.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { loadOnnx } from '../src/index.js';
import { buildModel, type GraphSpec, type ModelSpec } from './build-model.js';
import { matchesOnnxruntime } from './onnxruntime.js';

const int64 = (name: string, v: number[], dims: number[] = []) => ({ name, type: 'int64' as const, dims, values: v });

describe('sequences match onnxruntime', () => {
  it('a list appended to in a Loop, then stacked, concatenated and counted', async () => {
    const body: GraphSpec = {
      inputs: [{ name: 'i', type: 'int64', shape: [] }, { name: 'c', type: 'bool', shape: [] }, { name: 'h' }, { name: 'list', sequence: true }],
      outputs: ['c_out', 'h1', 'list1'], outputTypes: { c_out: 'bool' }, sequenceOutputs: ['list1'],
      nodes: [
        { op: 'Identity', inputs: ['c'], outputs: ['c_out'] },
        { op: 'MatMul', inputs: ['h', 'w'], outputs: ['m'] },
        { op: 'Tanh', inputs: ['m'], outputs: ['h1'] },
        { op: 'SequenceInsert', inputs: ['list', 'h1'], outputs: ['list1'] },
      ],
    };
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [2, 3] }, { name: 'w', shape: [3, 3] }], outputs: ['stacked', 'joined', 'count'], outputTypes: { count: 'int64' },
      initializers: [int64('n', [3])],
      nodes: [
        { op: 'SequenceEmpty', inputs: [], outputs: ['empty'], attrs: { dtype: 1 } },
        { op: 'Loop', inputs: ['n', '', 'x', 'empty'], outputs: ['h', 'list'], attrs: { body: { graph: body } } },
        { op: 'ConcatFromSequence', inputs: ['list'], outputs: ['stacked'], attrs: { axis: 0, new_axis: 1 } },
        { op: 'ConcatFromSequence', inputs: ['list'], outputs: ['joined'], attrs: { axis: 1 } },
        { op: 'SequenceLength', inputs: ['list'], outputs: ['count'] },
      ],
    }, [[2, 3], [3, 3]]);
  });

  it('SequenceConstruct, SequenceInsert at a position, SequenceErase and SequenceAt from the end', async () => {
    await matchesOnnxruntime({
      inputs: ['a', 'b', 'c', 'd'].map((name) => ({ name, shape: [2, 2] })), outputs: ['at', 'joined', 'count'], outputTypes: { count: 'int64' },
      initializers: [int64('one', [1]), int64('last', [-1]), int64('back2', [-2])],
      nodes: [
        { op: 'SequenceConstruct', inputs: ['a', 'b', 'c'], outputs: ['s0'] },
        { op: 'SequenceInsert', inputs: ['s0', 'd', 'one'], outputs: ['s1'] },
        { op: 'SequenceErase', inputs: ['s1', 'last'], outputs: ['s2'] },
        { op: 'SequenceErase', inputs: ['s2'], outputs: ['s3'] },
        { op: 'SequenceAt', inputs: ['s3', 'back2'], outputs: ['at'] },
        { op: 'ConcatFromSequence', inputs: ['s1'], outputs: ['joined'], attrs: { axis: -1 } },
        { op: 'SequenceLength', inputs: ['s3'], outputs: ['count'] },
      ],
    }, [[2, 2], [2, 2], [2, 2], [2, 2]]);
  });

  it('SplitToSequence: pieces of one with and without the axis, equal pieces with a smaller last one, given sizes', async () => {
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [2, 5, 3] }], outputs: ['moved', 'kept', 'last', 'middle', 'pieces'], outputTypes: { pieces: 'int64' },
      initializers: [int64('two', [2]), int64('sizes', [1, 3, 1], [3]), int64('back', [-1]), int64('one', [1])],
      nodes: [
        { op: 'SplitToSequence', inputs: ['x'], outputs: ['ones'], attrs: { axis: 1, keepdims: 0 } },
        { op: 'ConcatFromSequence', inputs: ['ones'], outputs: ['moved'], attrs: { axis: 2, new_axis: 1 } },
        { op: 'SplitToSequence', inputs: ['x'], outputs: ['kept1'], attrs: { axis: -1 } },
        { op: 'SequenceAt', inputs: ['kept1', 'one'], outputs: ['kept'] },
        { op: 'SplitToSequence', inputs: ['x', 'two'], outputs: ['halves'], attrs: { axis: 1 } },
        { op: 'SequenceAt', inputs: ['halves', 'back'], outputs: ['last'] },
        { op: 'SequenceLength', inputs: ['halves'], outputs: ['pieces'] },
        { op: 'SplitToSequence', inputs: ['x', 'sizes'], outputs: ['parts'], attrs: { axis: 1 } },
        { op: 'SequenceAt', inputs: ['parts', 'one'], outputs: ['middle'] },
      ],
    }, [[2, 5, 3]]);
  });

  it('SequenceMap over a sequence, with a sequence and a tensor as additional inputs', async () => {
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [4, 3] }, { name: 'y', shape: [4, 3] }, { name: 'z', shape: [3] }], outputs: ['out', 'sums'], opset: 17,
      nodes: [
        { op: 'SplitToSequence', inputs: ['x'], outputs: ['xs'], attrs: { axis: 0, keepdims: 0 } },
        { op: 'SplitToSequence', inputs: ['y'], outputs: ['ys'], attrs: { axis: 0, keepdims: 0 } },
        {
          op: 'SequenceMap', inputs: ['xs', 'ys', 'z'], outputs: ['products', 'totals'],
          attrs: { body: { graph: {
            inputs: [{ name: 'a', shape: [3] }, { name: 'b', shape: [3] }, { name: 'c', shape: [3] }], outputs: ['p', 't'],
            nodes: [{ op: 'Mul', inputs: ['a', 'b'], outputs: ['ab'] }, { op: 'Add', inputs: ['ab', 'c'], outputs: ['p'] }, { op: 'ReduceSum', inputs: ['p'], outputs: ['t'], attrs: { keepdims: 1 } }],
          } } },
        },
        { op: 'ConcatFromSequence', inputs: ['products'], outputs: ['out'], attrs: { axis: 0, new_axis: 1 } },
        { op: 'ConcatFromSequence', inputs: ['totals'], outputs: ['sums'], attrs: { axis: 0 } },
      ],
    }, [[4, 3], [4, 3], [3]]);
  });

  it('shape values through a sequence (a shape split into its dims)', async () => {
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [2, 3, 4] }], outputs: ['r'],
      initializers: [int64('zero', [0]), int64('back', [-1]), int64('rest', [-1], [1])],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'SplitToSequence', inputs: ['s'], outputs: ['dims'], attrs: { keepdims: 0 } },
        { op: 'SequenceAt', inputs: ['dims', 'zero'], outputs: ['first'] },
        { op: 'SequenceAt', inputs: ['dims', 'back'], outputs: ['last'] },
        { op: 'Mul', inputs: ['first', 'last'], outputs: ['rows'] },
        { op: 'Unsqueeze', inputs: ['rows', 'zero'], outputs: ['rows1'] },
        { op: 'Concat', inputs: ['rows1', 'rest'], outputs: ['target'], attrs: { axis: 0 } },
        { op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: [0, 2, 1] } },
        { op: 'Reshape', inputs: ['xt', 'target'], outputs: ['r'] },
      ],
    }, [[2, 3, 4]]);
  });
});

describe('optionals match onnxruntime', () => {
  it('Optional of a tensor, of a sequence and empty; OptionalHasElement and OptionalGetElement, on tensors too from opset 18', async () => {
    await matchesOnnxruntime({
      inputs: [{ name: 'x', shape: [2, 3] }], opset: 18,
      outputs: ['has', 'got', 'empty', 'joined', 'tensorHas', 'absent', 'passed'], outputTypes: { has: 'bool', empty: 'bool', tensorHas: 'bool', absent: 'bool' },
      nodes: [
        { op: 'Optional', inputs: ['x'], outputs: ['o'] },
        { op: 'OptionalHasElement', inputs: ['o'], outputs: ['has'] },
        { op: 'OptionalGetElement', inputs: ['o'], outputs: ['got'] },
        { op: 'Optional', inputs: [], outputs: ['e'], attrs: { type: { tensorType: 'float' } } },
        { op: 'OptionalHasElement', inputs: ['e'], outputs: ['empty'] },
        { op: 'SequenceConstruct', inputs: ['x', 'got'], outputs: ['s'] },
        { op: 'Optional', inputs: ['s'], outputs: ['os'] },
        { op: 'OptionalGetElement', inputs: ['os'], outputs: ['s2'] },
        { op: 'ConcatFromSequence', inputs: ['s2'], outputs: ['joined'], attrs: { axis: 1 } },
        { op: 'OptionalHasElement', inputs: ['x'], outputs: ['tensorHas'] },
        { op: 'OptionalHasElement', inputs: [''], outputs: ['absent'] },
        { op: 'OptionalGetElement', inputs: ['x'], outputs: ['passed'] },
      ],
    }, [[2, 3]]);
  });

  it('names an empty optional read, and an optional given to a tensor operator', async () => {
    const m = (nodes: ModelSpec['nodes']) => loadOnnx(buildModel({ inputs: [{ name: 'x', shape: [2] }], outputs: ['y'], opset: 18, nodes }));
    const empty = await m([{ op: 'Optional', inputs: [], outputs: ['e'], attrs: { type: { tensorType: 'float' } } }, { op: 'OptionalGetElement', inputs: ['e'], outputs: ['y'], name: 'get' }]);
    expect(() => empty.forward(tl.tensor([1, 2]))).toThrow("OptionalGetElement 'get': the optional is empty (of type tensor(float))");
    const relu = await m([{ op: 'Optional', inputs: ['x'], outputs: ['o'] }, { op: 'Relu', inputs: ['o'], outputs: ['y'], name: 'r' }]);
    expect(() => relu.forward(tl.tensor([1, 2]))).toThrow("Relu 'r': input 'o' is an optional; Relu takes tensors");
  });
});

describe('sequence errors', () => {
  const model = (nodes: ModelSpec['nodes'], initializers: ModelSpec['initializers'] = []) =>
    loadOnnx(buildModel({ inputs: [{ name: 'x', shape: [2] }], outputs: ['y'], initializers, nodes }));

  it('names a sequence given to a tensor operator, and positions out of range', async () => {
    const relu = await model([{ op: 'SequenceConstruct', inputs: ['x'], outputs: ['s'] }, { op: 'Relu', inputs: ['s'], outputs: ['y'], name: 'r' }]);
    expect(() => relu.forward(tl.tensor([1, 2]))).toThrow("Relu 'r': input 's' is a sequence; Relu takes tensors");
    const at = await model([{ op: 'SequenceConstruct', inputs: ['x', 'x'], outputs: ['s'] }, { op: 'SequenceAt', inputs: ['s', 'p'], outputs: ['y'], name: 'at' }], [int64('p', [2])]);
    expect(() => at.forward(tl.tensor([1, 2]))).toThrow("SequenceAt 'at': position 2 is out of range for a sequence of 2 (-2 to 1)");
  });

  it('refuses a tensor of another kind inserted into a sequence, and an empty concatenation', async () => {
    const mixed = await model([
      { op: 'SequenceEmpty', inputs: [], outputs: ['e'], attrs: { dtype: 7 } },
      { op: 'SequenceInsert', inputs: ['e', 'x'], outputs: ['y'], name: 'ins' },
    ]);
    expect(() => mixed.forward(tl.tensor([1, 2]))).toThrow("SequenceInsert 'ins': the sequence holds integer tensors, got a float one");
    const empty = await model([{ op: 'SequenceEmpty', inputs: [], outputs: ['e'] }, { op: 'ConcatFromSequence', inputs: ['e'], outputs: ['y'], name: 'cat', attrs: { axis: 0 } }]);
    expect(() => empty.forward(tl.tensor([1, 2]))).toThrow("ConcatFromSequence 'cat': cannot concatenate an empty sequence");
  });

  it('returns a sequence output as an array of tensors', async () => {
    const m = await model([{ op: 'SplitToSequence', inputs: ['x'], outputs: ['y'], attrs: { keepdims: 0 } }]);
    const out = m.forward(tl.tensor([3, 4])) as tl.Tensor[];
    expect(out.map((t) => t.dataSync()[0])).toEqual([3, 4]);
  });
});
