/**
 * Synthetic CIFAR-10 in the documented binary format (records of <1 label byte><3072 pixel
 * bytes: 1024 red, 1024 green, 1024 blue, each 32x32 row-major>), as @tensile/datasets' own
 * tests build them: a class is a colour and a stripe direction, plus noise, so a linear head on
 * the (random) backbone's features can learn it in a few steps.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const RECORD = 1 + 3 * 32 * 32;
const PALETTE = [
  [230, 40, 40], [40, 200, 60], [50, 80, 230], [230, 220, 40], [200, 50, 210],
  [40, 210, 220], [240, 140, 30], [120, 120, 120], [250, 250, 250], [20, 20, 20],
];

/** `count` records with labels cycling through the classes, from a seeded generator. */
export function syntheticBatch(count: number, seed: number): Uint8Array {
  let state = seed >>> 0 || 1;
  const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296);
  const out = new Uint8Array(count * RECORD);
  for (let r = 0; r < count; r++) {
    const label = (r * 7 + seed) % 10;
    const at = r * RECORD;
    out[at] = label;
    const vertical = label % 2 === 0;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const stripe = ((vertical ? x : y) >> 2) % 2 === 0 ? 30 : -30;
          const v = PALETTE[label][c] + stripe + (random() - 0.5) * 80;
          out[at + 1 + c * 1024 + y * 32 + x] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  return out;
}

/** A temporary data root holding cifar-10-batches-bin/ with five training batches and a test batch. */
export function syntheticCifar(perBatch = 32, testCount = 64): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tensile-onnx-finetune-'));
  const dir = path.join(root, 'cifar-10-batches-bin');
  mkdirSync(dir);
  for (let b = 1; b <= 5; b++) writeFileSync(path.join(dir, `data_batch_${b}.bin`), syntheticBatch(perBatch, b));
  writeFileSync(path.join(dir, 'test_batch.bin'), syntheticBatch(testCount, 99));
  return root;
}
