import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { PYTHON, skipReason } from '@tensile/conformance/required-tools';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadSafetensors, parseSafetensors, saveSafetensors, serializeSafetensors, serializeSafetensorsSync,
} from '../src/safetensors/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = join(here, 'fixtures');
const tool = join(here, '..', 'tools', 'safetensors_fixtures.py');
const dir = mkdtempSync(join(tmpdir(), 'tensile-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Without torch the PyTorch check skips, naming why, unless TENSILE_REQUIRE_TOOLS (CI) makes that a failure.
const torchMissing = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0
  ? null
  : skipReason(`${PYTHON} cannot import torch, so the file Tensile writes is not checked by PyTorch here (CI installs python3-torch)`);

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThan(tol);
}

/** Build safetensors bytes by hand, for malformed-file tests. */
function raw(header: unknown, data: Uint8Array = new Uint8Array(0), lengthOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lengthOverride ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('parseSafetensors: a file written by PyTorch', () => {
  const { tensors, metadata, dtypes } = parseSafetensors(readFileSync(join(fixtures, 'safetensors-known.safetensors')));

  it('reads metadata and native dtypes exactly', () => {
    expect(metadata).toEqual({ format: 'pt', note: 'known values' });
    expect(tensors.f32.dtype).toBe('float32');
    expect(tensors.f32.shape).toEqual([3, 4]);
    expect(tensors.f32.arraySync()).toEqual([[-1, -0.75, -0.5, -0.25], [0, 0.25, 0.5, 0.75], [1, 1.25, 1.5, 1.75]]);
    expect(tensors.i32.dtype).toBe('int32');
    expect(Array.from(tensors.i32.dataSync())).toEqual([-3, -2, -1, 0, 1, 2147483647]);
    expect(tensors.mask.dtype).toBe('bool');
    expect(tensors.mask.arraySync()).toEqual([[true, false, true], [false, false, true]]);
    expect(tensors.scalar.shape).toEqual([]);
    expect(tensors.scalar.itemSync()).toBe(2.5);
    expect(tensors.empty.shape).toEqual([0, 3]);
    expect(tensors['layer.0.weight'].arraySync()).toEqual([[0.5, 0.5], [0.5, 0.5]]);
  });

  it('converts F64/F16/BF16 to float32 and I64/U8 to int32, recording the file dtype', () => {
    expect(dtypes).toMatchObject({ f64: 'F64', f16: 'F16', bf16: 'BF16', i64: 'I64', u8: 'U8', f32: 'F32', mask: 'BOOL' });
    expect(tensors.f64.dtype).toBe('float32');
    close(tensors.f64.dataSync(), [0.1, -1e10, 3], 1e-3);
    const f16 = Array.from(tensors.f16.dataSync());
    expect(f16.slice(0, 3)).toEqual([1, -2.5, 65504]);
    expect(f16[3]).toBeCloseTo(5.960464477539063e-8, 12); // a subnormal half
    expect(f16[4]).toBe(Infinity);
    const bf16 = Array.from(tensors.bf16.dataSync());
    expect(bf16[0]).toBe(1);
    expect(bf16[1]).toBe(-3.140625);
    expect(bf16[2] / 1e30).toBeCloseTo(1, 2);
    expect(tensors.i64.dtype).toBe('int32');
    expect(tensors.i64.arraySync()).toEqual([[-5, 7], [1 << 30, 0]]);
    expect(Array.from(tensors.u8.dataSync())).toEqual([0, 255]);
  });
});

describe('serializeSafetensors', () => {
  const dict = () => ({
    'b.weight': tl.tensor([[1, 2, 3], [4, 5, 6]]),
    'a.bias': tl.tensor([0.5, -0.5]),
    counts: tl.tensor(new Int32Array([7, -8, 9])),
    flags: tl.tensor([true, false, true, true]),
    zero_d: tl.tensor(3.25),
  });

  it('round-trips values, dtypes, shapes and metadata; async and sync bytes agree', async () => {
    const d = dict();
    const bytes = await serializeSafetensors(d, { format: 'pt', b: 'ü' });
    expect(serializeSafetensorsSync(d, { format: 'pt', b: 'ü' })).toEqual(bytes);
    const back = parseSafetensors(bytes);
    expect(back.metadata).toEqual({ b: 'ü', format: 'pt' });
    for (const [name, t] of Object.entries(d)) {
      expect(back.tensors[name].dtype).toBe(t.dtype);
      expect(back.tensors[name].shape).toEqual(t.shape);
      expect(back.tensors[name].arraySync()).toEqual(t.arraySync());
    }
  });

  it("lays bytes out as Hugging Face's writer does", async () => {
    const bytes = await serializeSafetensors(dict(), { format: 'pt' });
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.trimEnd().length).toBeGreaterThan(n - 8); // padded with at most 7 spaces
    expect(text.trimEnd()).toBe(
      '{"__metadata__":{"format":"pt"},' +
        '"a.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
        '"b.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]},' +
        '"zero_d":{"dtype":"F32","shape":[],"data_offsets":[32,36]},' +
        '"counts":{"dtype":"I32","shape":[3],"data_offsets":[36,48]},' +
        '"flags":{"dtype":"BOOL","shape":[4],"data_offsets":[48,52]}}',
    );
    expect(bytes.length).toBe(8 + n + 52);
    // Little-endian float32 data straight after the header.
    expect(new DataView(bytes.buffer, bytes.byteOffset).getFloat32(8 + n, true)).toBe(0.5);
  });

  it('writes a non-contiguous view in logical order', async () => {
    const t = tl.arange(0, 6).reshape([2, 3]).transpose(0, 1);
    const back = parseSafetensors(await serializeSafetensors({ t })).tensors.t;
    expect(back.arraySync()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });

  it('writes an empty dict as a valid file', async () => {
    const bytes = await serializeSafetensors({});
    expect(parseSafetensors(bytes)).toEqual({ tensors: {}, metadata: {}, dtypes: {} });
  });

  it('rejects non-tensors, bad metadata and the reserved name', async () => {
    await expect(serializeSafetensors({ x: 3 as unknown as tl.Tensor })).rejects.toThrow(/'x' is not a Tensor/);
    await expect(serializeSafetensors({ x: tl.ones([1]) }, { a: 1 as unknown as string })).rejects.toThrow(/metadata\['a'\] must be a string/);
    expect(() => serializeSafetensorsSync({ __metadata__: tl.ones([1]) })).toThrow(/reserved/);
  });
});

describe('parseSafetensors: malformed files name the problem', () => {
  const f32 = (n: number) => new Uint8Array(n * 4);
  it('a file shorter than the length prefix', () => {
    expect(() => parseSafetensors(new Uint8Array(5))).toThrow(/truncated: 5 bytes/);
  });
  it('a header length beyond the file', () => {
    expect(() => parseSafetensors(raw({}, new Uint8Array(0), 1000))).toThrow(/header length 1000 runs beyond the end of the file/);
  });
  it('malformed JSON', () => {
    expect(() => parseSafetensors(raw('{"a": [1, 2'))).toThrow(/malformed header JSON/);
    expect(() => parseSafetensors(raw('[1]'))).toThrow(/malformed header JSON/);
  });
  it('an unknown dtype', () => {
    expect(() => parseSafetensors(raw({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)))).toThrow(
      /tensor 'w': unknown dtype "F8_E4M3"/,
    );
  });
  it('offsets beyond the data (a truncated file)', () => {
    expect(() => parseSafetensors(raw({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2)))).toThrow(
      /tensor 'w': data_offsets \[0, 16\] run beyond the data \(8 bytes\); the file is truncated/,
    );
  });
  it('a truncated file written by Tensile', async () => {
    const bytes = await serializeSafetensors({ a: tl.ones([4]), b: tl.ones([4]) });
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
    expect(() => parseSafetensors(bytes.subarray(0, 20))).toThrow(/header length \d+ runs beyond the end/);
  });
  it('overlapping offsets', () => {
    const header = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } };
    expect(() => parseSafetensors(raw(header, f32(3)))).toThrow(/tensor 'b': data_offsets \[4, 12\] overlap/);
  });
  it('offsets that leave a gap or do not cover the data', () => {
    const gap = { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } };
    expect(() => parseSafetensors(raw(gap, f32(2)))).toThrow(/leave a gap/);
    const short = { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } };
    expect(() => parseSafetensors(raw(short, f32(2)))).toThrow(/cover 4 bytes of data but the file holds 8/);
  });
  it('a shape that does not match the offsets', () => {
    const header = { a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 16] } };
    expect(() => parseSafetensors(raw(header, f32(4)))).toThrow(/shape \[2, 3\] of F32 needs 24 bytes but data_offsets \[0, 16\] hold 16/);
  });
  it('reversed offsets and a bad shape', () => {
    expect(() => parseSafetensors(raw({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, f32(1)))).toThrow(/end before they begin/);
    expect(() => parseSafetensors(raw({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)))).toThrow(/non-negative integers/);
  });
  it('an int64 value that does not fit in int32', () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigInt64(0, 1n << 40n, true);
    expect(() => parseSafetensors(raw({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, data))).toThrow(/does not fit in int32/);
  });
});

describe('saveSafetensors / loadSafetensors (Node)', () => {
  it('saves atomically (no temporary left behind) and loads back', async () => {
    const path = join(dir, 'atomic.safetensors');
    writeFileSync(path, 'old contents');
    await saveSafetensors({ w: tl.tensor([[1, 2], [3, 4]]) }, path, { step: '3' });
    expect(readdirSync(dir).filter((f) => f.includes('atomic'))).toEqual(['atomic.safetensors']);
    const { tensors, metadata } = await loadSafetensors(path);
    expect(metadata).toEqual({ step: '3' });
    expect(tensors.w.arraySync()).toEqual([[1, 2], [3, 4]]);
  });

  it('names the path of a missing file', async () => {
    const path = join(dir, 'nope.safetensors');
    await expect(loadSafetensors(path)).rejects.toThrow(`loadSafetensors: no such file '${path}'`);
  });

  it('names the path of a corrupt file', async () => {
    const path = join(dir, 'corrupt.safetensors');
    writeFileSync(path, new Uint8Array([1, 2, 3]));
    await expect(loadSafetensors(path)).rejects.toThrow(`loadSafetensors: '${path}': file is truncated`);
  });

  it('names the path it cannot write', async () => {
    const path = join(dir, 'no-such-dir', 'x.safetensors');
    await expect(saveSafetensors({ w: tl.ones([1]) }, path)).rejects.toThrow(`saveSafetensors: cannot write '${path}'`);
  });
});

/** The fixture model: conv(1->3, 3x3, pad 1) -> relu -> flatten -> linear(48 -> 5), as functional ops. */
function netForward(s: Record<string, tl.Tensor>, x: tl.Tensor): tl.Tensor {
  const h = tl.conv2d(x, s['conv.weight'], s['conv.bias'], { padding: 1 }).relu().flatten(1);
  return h.matmul(s['fc.weight'].t()).add(s['fc.bias']);
}

describe('PyTorch round trip (Linear + Conv model)', () => {
  it('a state dict saved by PyTorch gives PyTorch’s logits in Tensile', async () => {
    const { tensors } = await loadSafetensors(join(fixtures, 'safetensors-model.safetensors'));
    expect(Object.keys(tensors).sort()).toEqual(['conv.bias', 'conv.weight', 'fc.bias', 'fc.weight']);
    const expected = JSON.parse(readFileSync(join(fixtures, 'safetensors-model.json'), 'utf8'));
    const logits = netForward(tensors, tl.tensor(expected.input));
    close(logits.dataSync(), (expected.logits as number[][]).flat(), 1e-5);
  });

  it.skipIf(torchMissing !== null)(`a file saved by Tensile loads into a PyTorch model with the same logits${torchMissing ? ` (skipped: ${torchMissing})` : ''}`, async () => {
    tl.manualSeed(1234);
    const state = {
      'conv.weight': tl.randn([3, 1, 3, 3]).mul(0.5),
      'conv.bias': tl.randn([3]),
      'fc.weight': tl.randn([5, 48]).mul(0.2),
      'fc.bias': tl.randn([5]),
    };
    const input = tl.randn([2, 1, 4, 4]);
    const logits = netForward(state, input);
    const dict: Record<string, tl.Tensor> = {
      input,
      logits,
      ints: tl.tensor(new Int32Array([-2, -1, 0, 1, 2, 2147483647])).reshape([2, 3]),
      flags: tl.tensor([true, false, false, true]),
      transposed: tl.arange(0, 6).reshape([2, 3]).t(),
      zero_d: tl.tensor(-0.75),
    };
    for (const [k, v] of Object.entries(state)) dict[`model.${k}`] = v;
    const path = join(dir, 'from-tensile.safetensors');
    await saveSafetensors(dict, path, { framework: 'tensile', kind: 'verify' });
    const out = execFileSync(PYTHON, [tool, '--verify', path], { encoding: 'utf8' });
    console.log(out.trim());
    expect(out).toMatch(/max \|torch logits - tensile logits\| = /);
    expect(out).toMatch(/OK\s*$/);
  });
});
