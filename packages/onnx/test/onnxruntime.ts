// A graph run by onnxruntime-node and by loadOnnx on the same inputs, for the tests of
// operators that need more than one node (sequences, quantization).
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { loadOnnx } from '../src/index.js';
import { buildModel, type ModelSpec } from './build-model.js';

const TOL = 1e-5;

function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(seed * 31 + i * 1.7) * 1.5);
}

/** Run `model` in onnxruntime and in Tensile on the same float inputs; every output within TOL. */
export async function matchesOnnxruntime(model: ModelSpec, shapes: number[][]): Promise<void> {
  const feeds = model.inputs.map((input, i) => ({ name: input.name, shape: shapes[i]!, data: values(shapes[i]!.reduce((a, b) => a * b, 1), i + 1) }));
  const bytes = buildModel(model);
  const session = await ort.InferenceSession.create(bytes);
  const want = await session.run(Object.fromEntries(feeds.map((f) => [f.name, new ort.Tensor('float32', Float32Array.from(f.data), f.shape)])));
  const out = (await loadOnnx(bytes)).forward(...feeds.map((f) => tl.tensor(f.data).reshape(f.shape)));
  const outs: tl.Tensor[] = model.outputs.length === 1 ? [out] : out;
  model.outputs.forEach((name, i) => {
    expect(outs[i]!.shape, `${name} shape`).toEqual([...want[name]!.dims]);
    const a = Array.from(outs[i]!.dataSync() as ArrayLike<number>, Number);
    const b = Array.from(want[name]!.data as ArrayLike<number | bigint>, Number);
    // NaN where onnxruntime has NaN, and the same infinities.
    expect(a.filter((v, k) => !(Object.is(v, b[k]) || Math.abs(v - b[k]!) <= TOL + TOL * Math.abs(b[k]!))), `${name}: ${a} vs ${b}`).toEqual([]);
  });
}

