// The exported files run in onnxruntime-node against the Tensile module they came from.
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import type { Module } from '@tensile/nn';
import ort from 'onnxruntime-node';
import { expect } from 'vitest';

/** Largest |onnxruntime - Tensile| of `module`'s output on `inputs`. */
export async function difference(session: ort.InferenceSession, module: Module & { forward(...x: Tensor[]): Tensor }, inputs: Tensor[]): Promise<number> {
  const feeds: Record<string, ort.Tensor> = {};
  inputs.forEach((x, i) => (feeds[session.inputNames[i]] = new ort.Tensor(x.dtype === 'int32' ? 'int32' : 'float32', x.dataSync() as Int32Array | Float32Array, [...x.shape])));
  const out = (await session.run(feeds))[session.outputNames[0]];
  const want = tl.noGrad(() => module.forward(...inputs));
  expect([...out.dims]).toEqual(want.shape);
  const b = want.dataSync() as Float32Array;
  want.dispose();
  const a = out.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
