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
 * onnxruntime runs `intraOpNumThreads` = the wasm row's thread count (1 beside cpu, which is
 * single-threaded, and beside webgpu), one inter-op thread, no spinning (its idle workers would
 * take the cores from the interleaved Tensile runs).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@tensile/core';
import type { InferenceSession } from 'onnxruntime-node';
import { uniform } from '../data.js';
import { type Case, tlForward, tlFrom } from './types.js';

const PYTHON = '/usr/bin/python3';
const SIZE = 224;
const CLASSES = 1000;
/** packages/bench (this file is src/workloads/resnet18.ts or dist/workloads/resnet18.js). */
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = path.join(packageDir, 'tools', 'export_resnet18.py');
const CACHE = path.join(packageDir, '.tensile-cache', 'resnet18');

/** onnxruntime's threads beside a Tensile run with `threads` wasm threads (0: not wasm). */
const ortThreads = (threads: number): number => Math.max(1, threads);

let exported: Promise<Uint8Array> | undefined;

/** The model's bytes, exported first when the cache is missing or older than the script. */
function modelBytes(): Promise<Uint8Array> {
  exported ??= (async () => {
    const file = path.join(CACHE, 'model.onnx');
    const stamp = path.join(CACHE, 'source-hash');
    const hash = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex');
    if (!(existsSync(file) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash)) {
      const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore' });
      if (probe.status !== 0) {
        throw new Error(`the model is exported by ${PYTHON} with torch and torchvision, which are not installed (apt-get install python3-torch python3-torchvision)`);
      }
      mkdirSync(CACHE, { recursive: true });
      const partial = `${file}.partial`;
      const run = spawnSync(PYTHON, [SCRIPT, partial], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`export_resnet18.py failed: ${(run.stderr || run.error?.message || '').trim().split('\n').pop()}`);
      renameSync(partial, file);
      writeFileSync(stamp, hash);
    }
    return new Uint8Array(readFileSync(file));
  })();
  return exported;
}

function resnetCase(batch: number): Case {
  return {
    id: `resnet18/b${batch}`,
    family: 'resnet18',
    title: `ResNet-18 b${batch} ${SIZE}x${SIZE} inference`,
    metric: { unit: 'ms' },
    quick: batch === 1,
    tolerance: 1e-3,
    ownPeer: { label: (threads) => `ort-cpu ${ortThreads(threads)}t` },
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
          const bytes = await modelBytes();
          let ort: typeof import('onnxruntime-node');
          try {
            ort = (await import('onnxruntime-node')).default;
          } catch (cause) {
            throw new Error(`onnxruntime-node is not installed (${(cause as Error).message.split('\n')[0]})`);
          }
          const session: InferenceSession = await ort.InferenceSession.create(bytes, {
            executionProviders: ['cpu'],
            intraOpNumThreads: ortThreads(threads),
            interOpNumThreads: 1,
            executionMode: 'sequential',
            graphOptimizationLevel: 'all',
            extra: { 'session.intra_op.allow_spinning': '0' },
          });
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
