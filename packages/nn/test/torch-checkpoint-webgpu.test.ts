// torch.save files on webgpu, the backend that holds float16 and reads asynchronously: float16
// weights stay float16, floatDType converts on the host, and the async writer's file is what
// torch.load reads. Skips (naming why) without an adapter with 'shader-f16', unless
// TENSILE_REQUIRE_TOOLS makes that a failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import '@tensile/backend-webgpu';
import { PYTHON, backendUnavailable, skipReason } from '@tensile/conformance/required-tools';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTorchCheckpoint, saveTorchCheckpoint } from '../src/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = join(here, 'fixtures', 'torch');
const tool = join(here, '..', 'tools', 'torch_checkpoint_fixtures.py');
const unavailable = (await backendUnavailable('webgpu')) ?? (tl.isDTypeSupported('float16', 'webgpu') ? null : skipReason("the WebGPU adapter has no 'shader-f16'"));
const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8'))['views.pt'].tensors as Record<string, { values: number[] }>;
const dir = mkdtempSync(join(tmpdir(), 'tensile-torch-webgpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(unavailable !== null)(`torch.save files on webgpu${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const views = new Uint8Array(readFileSync(join(fixtures, 'views.pt')));

  it('float16 weights load as float16 with their exact values; other floats as float32', async () => {
    const parsed = parseTorchCheckpoint(views, { device: 'webgpu' });
    expect(parsed.tensors.f16.dtype).toBe('float16');
    expect(parsed.tensors.f16.device).toBe('webgpu');
    expect(Array.from(await parsed.tensors.f16.data())).toEqual(expected.f16.values);
    expect(parsed.tensors.bf16.dtype).toBe('float32');
    expect(Array.from(await parsed.tensors.permuted.data())).toEqual(expected.permuted.values.map(Math.fround));
    for (const t of Object.values(parsed.tensors)) t.dispose();
  });

  it('floatDType float16 converts every floating tensor on the host; int and bool tensors stay', async () => {
    const parsed = parseTorchCheckpoint(views, { device: 'webgpu', floatDType: 'float16' });
    for (const k of ['f32', 'bf16', 'f64', 'transposed', 'scalar']) expect(parsed.tensors[k].dtype, k).toBe('float16');
    expect(parsed.tensors.i64.dtype).toBe('int32');
    expect(parsed.tensors.bool.dtype).toBe('bool');
    expect(Array.from(await parsed.tensors.bf16.data())).toEqual(expected.bf16.values.map((v) => tl.roundToFloat16(v)));
    for (const t of Object.values(parsed.tensors)) t.dispose();
  });

  const torchMissing = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0
    ? null
    : skipReason(`${PYTHON} cannot import torch, so torch.load does not check the file (CI installs python3-torch)`);
  it.skipIf(torchMissing !== null)('a float16 state dict saved from webgpu is read by torch.load as float16', async () => {
    const half = tl.tensor([0.5, -2, 65504, 1e-3], { dtype: 'float16', device: 'webgpu' });
    const path = join(dir, 'half.pt');
    await saveTorchCheckpoint({ half, ids: tl.tensor(new Int32Array([3, -4]), { device: 'webgpu' }) }, path);
    const seen = JSON.parse(execFileSync(PYTHON, [tool, '--verify', path], { encoding: 'utf8' }));
    expect(seen.tensors.half).toMatchObject({ dtype: 'F16', shape: [4], values: Array.from(await half.data()) });
    expect(seen.tensors.ids).toMatchObject({ dtype: 'I32', values: [3, -4] });
    half.dispose();
  });
});
