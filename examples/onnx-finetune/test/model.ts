// The backbone the tests train on: tools/export_mobilenet.py's export (random weights,
// BatchNorm calibrated) in the git-ignored .tensile-cache/test/, remade when the script changes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const exampleDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXPORTER = path.join(exampleDir, 'tools', 'export_mobilenet.py');
export const TEST_MODEL_DIR = path.join(exampleDir, '.tensile-cache', 'test');
export const TEST_MODEL = path.join(TEST_MODEL_DIR, 'mobilenet_v2.onnx');
const STAMP = path.join(TEST_MODEL_DIR, 'source-hash');

/** Export the test model unless it is current; the reason when it cannot be made (no PyTorch). */
export function modelReady(): string | null {
  const hash = createHash('sha256').update(readFileSync(EXPORTER)).digest('hex');
  if (existsSync(TEST_MODEL) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash) return null;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    const why = `${PYTHON} with torch and torchvision is not installed (apt-get install python3-torch python3-torchvision)`;
    if (process.env.TENSILE_REQUIRE_TOOLS) throw new Error(`${why}; TENSILE_REQUIRE_TOOLS is set`);
    return why;
  }
  rmSync(TEST_MODEL_DIR, { recursive: true, force: true });
  mkdirSync(TEST_MODEL_DIR, { recursive: true });
  const run = spawnSync(PYTHON, [EXPORTER, TEST_MODEL], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`export_mobilenet.py failed:\n${run.stderr}`);
  writeFileSync(STAMP, hash);
  return null;
}

/** Why the model tests skip, or null when the model is there. */
export function modelMissing(): string | null {
  return existsSync(STAMP) ? null : 'the MobileNet v2 backbone could not be exported (see the global setup\'s warning)';
}
