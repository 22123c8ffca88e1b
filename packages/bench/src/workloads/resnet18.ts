/**
 * ResNet-18 inference (torchvision, 224x224, 1000 classes, eval mode) at batch 1 and 8, in ms
 * per forward: the same ONNX file run by `@tensile/onnx` (`loadOnnx(bytes, { trainable: false })`,
 * forward under `noGrad`) and by onnxruntime-node's CPU execution provider, on the same input
 * values; the check compares the logits.
 *
 * The model has random weights (torchvision's seeded initialisation: no pretrained download
 * here). It is exported on first use by tools/export_resnet18.py with /usr/bin/python3 (torch,
 * torchvision) into the git-ignored .tensile-cache/resnet18/, remade when the script changes.
 * Without torch both sides report the error and the rest of the bench runs.
 *
 * onnxruntime-node's session settings (threads beside each Tensile row) are in exported.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Tensor } from '@tensile/core';
import { uniform } from '../data.js';
import { exported, loadOrt, ORT_PEER, ortSession } from './exported.js';
import { type Case, tlForward, tlFrom } from './types.js';

const SIZE = 224;
const CLASSES = 1000;

let bytes: Promise<Uint8Array> | undefined;

/** The model's bytes, exported first when the cache is missing or older than the script. */
function modelBytes(): Promise<Uint8Array> {
  bytes ??= exported({
    name: 'resnet18',
    script: 'export_resnet18.py',
    modules: ['torch', 'torchvision'],
    args: (folder) => [path.join(folder, 'model.onnx')],
  }).then((folder) => new Uint8Array(readFileSync(path.join(folder, 'model.onnx'))));
  return bytes;
}

function resnetCase(batch: number): Case {
  return {
    id: `resnet18/b${batch}`,
    family: 'resnet18',
    title: `ResNet-18 b${batch} ${SIZE}x${SIZE} inference`,
    metric: { unit: 'ms' },
    quick: batch === 1,
    tolerance: 1e-3,
    ownPeer: ORT_PEER,
    init() {
      const shape = [batch, 3, SIZE, SIZE];
      const x = uniform(batch * 3 * SIZE * SIZE, -1, 1, 180 + batch);
      return {
        async tensile(tl, device) {
          const { loadOnnx } = await import('@tensile/onnx');
          const model = await loadOnnx(await modelBytes(), { trainable: false, device });
          const tx = tlFrom(tl, x, shape, device);
          const runner = tlForward(tl, () => tl.noGrad(() => model.forward(tx) as Tensor), [tx]);
          return {
            run: runner.run,
            dispose() {
              runner.dispose();
              model.dispose();
            },
          };
        },
        async peer({ threads }) {
          const ort = await loadOrt();
          const session = await ortSession(ort, await modelBytes(), threads);
          const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', x, shape) };
          const output = session.outputNames[0]!;
          return {
            async run() {
              const result = await session.run(feeds);
              const logits = result[output]!;
              const values = logits.data as Float32Array;
              if (values.length !== batch * CLASSES) throw new Error(`onnxruntime returned ${values.length} logits, expected ${batch * CLASSES}`);
              return values;
            },
            dispose() {
              void session.release();
            },
          };
        },
      };
    },
  };
}

export function resnet18Cases(): Case[] {
  return [resnetCase(1), resnetCase(8)];
}
