// The torch.save reader and writer against files PyTorch 1.13 wrote (tools/torch_checkpoint_fixtures.py,
// committed under test/fixtures/torch), and files Tensile writes read back by torch.load.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { PYTHON, skipReason } from '@tensile/conformance/required-tools';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BatchNorm1d, Linear, Module, loadTorchCheckpoint, parseTorchCheckpoint, saveTorchCheckpoint,
  serializeTorchCheckpoint, serializeTorchCheckpointSync,
} from '../src/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = join(here, 'fixtures', 'torch');
const tool = join(here, '..', 'tools', 'torch_checkpoint_fixtures.py');
const dir = mkdtempSync(join(tmpdir(), 'tensile-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Described { dtype: string; shape: number[]; values: (number | boolean)[]; requiresGrad: boolean }
const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as Record<string, { tensors: Record<string, Described>; input?: number[][]; output?: number[][] }>;
const bytesOf = (name: string) => new Uint8Array(readFileSync(join(fixtures, name)));

/** The Tensile dtype each stored dtype loads as on cpu (no float16 there). */
const LOADS_AS: Record<string, tl.DType> = { F32: 'float32', F16: 'float32', BF16: 'float32', F64: 'float32', I64: 'int32', I32: 'int32', I16: 'int32', I8: 'int32', U8: 'int32', BOOL: 'bool' };

function expectMatches(name: string, parsed: ReturnType<typeof parseTorchCheckpoint>): void {
  const want = expected[name].tensors;
  expect(Object.keys(parsed.tensors).sort()).toEqual(Object.keys(want).sort());
  for (const [path, w] of Object.entries(want)) {
    const t = parsed.tensors[path];
    expect(t.shape, path).toEqual(w.shape);
    expect(parsed.dtypes[path], path).toBe(w.dtype);
    expect(t.dtype, path).toBe(LOADS_AS[w.dtype]);
    expect(t.requiresGrad, path).toBe(w.requiresGrad);
    const got = Array.from(t.dataSync() as ArrayLike<number>);
    const values = w.values.map(Number);
    // float64 → float32 rounds; every other dtype arrives exactly.
    if (w.dtype === 'F64') for (let i = 0; i < values.length; i++) expect(got[i]).toBeCloseTo(values[i], 6);
    else expect(got, path).toEqual(values);
  }
}

function disposeAll(parsed: ReturnType<typeof parseTorchCheckpoint>): void {
  for (const t of Object.values(parsed.tensors)) t.dispose();
}

class Net extends Module {
  fc1 = new Linear(4, 3);
  bn = new BatchNorm1d(3);
  fc2 = new Linear(3, 2);
  forward(x: tl.Tensor): tl.Tensor {
    return this.fc2.forward(this.bn.forward(this.fc1.forward(x)).relu());
  }
}

describe('parseTorchCheckpoint: files torch.save wrote', () => {
  it("a module's state_dict() loads into the same Tensile module, with PyTorch's outputs", () => {
    const parsed = parseTorchCheckpoint(bytesOf('state-dict.pt'));
    expectMatches('state-dict.pt', parsed);
    expect(parsed.dtypes['bn.num_batches_tracked']).toBe('I64');
    const net = new Net();
    net.loadStateDict(parsed.tensors);
    net.eval();
    const out = net.forward(tl.tensor(expected['state-dict.pt'].input!));
    const want = expected['state-dict.pt'].output!.flat();
    const got = out.dataSync();
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
    disposeAll(parsed);
  });

  it('every dtype, 0-d and empty tensors, and views (transposed, permuted, sliced, expanded, sharing a storage)', () => {
    const parsed = parseTorchCheckpoint(bytesOf('views.pt'));
    expectMatches('views.pt', parsed);
    expect(parsed.tensors.scalar.shape).toEqual([]);
    expect(parsed.tensors.parameter.requiresGrad).toBe(true);
    disposeAll(parsed);
  });

  it('a training checkpoint: model and optimizer state beside plain Python values', () => {
    const parsed = parseTorchCheckpoint(bytesOf('nested.pt'));
    expectMatches('nested.pt', parsed);
    const v = parsed.value as Record<string, any>;
    expect(v.epoch).toBe(7);
    expect(v.name).toBe('run-1');
    expect(v.big).toBe(2n ** 70n);
    expect(v.negative).toBe(-5);
    expect(v.ratio).toBe(1.5);
    expect(v.none).toBeNull();
    expect(v.flag).toBe(true);
    expect(v.blob).toEqual(new Uint8Array([0x61, 0x62, 0x00, 0xff]));
    expect(v.pair).toEqual([1, 'two']);
    expect(v.labels).toEqual({ 0: 'cat', 1: 'dog' });
    expect(v.model['fc1.weight']).toBe(parsed.tensors['model.fc1.weight']);
    expect(v.optimizer.param_groups[0].lr).toBe(1e-3);
    expect(v.optimizer.param_groups[0].betas).toEqual([0.9, 0.999]);
    expect(Object.keys(v.optimizer.state)).toEqual(['0', '1', '2', '3', '4', '5']); // Adam's state per parameter index
    disposeAll(parsed);
  });

  it("a big-endian machine's file (byteorder 'big') reads the same values", () => {
    const parsed = parseTorchCheckpoint(bytesOf('big-endian.pt'));
    expectMatches('big-endian.pt', parsed);
    disposeAll(parsed);
  });

  it('a device without float16 refuses floatDType float16, leaving nothing allocated', () => {
    const before = tl.memory().numTensors;
    expect(() => parseTorchCheckpoint(bytesOf('views.pt'), { floatDType: 'float16' })).toThrow(/float16 tensors are not supported on the 'cpu' backend/);
    expect(tl.memory().numTensors).toBe(before);
  });

  it('loadTorchCheckpoint reads a file, and names it in errors', async () => {
    const parsed = await loadTorchCheckpoint(join(fixtures, 'state-dict.pt'));
    expect(Object.keys(parsed.tensors)).toContain('fc1.weight');
    disposeAll(parsed);
    await expect(loadTorchCheckpoint(join(dir, 'missing.pt'))).rejects.toThrow(/^loadTorchCheckpoint: no such file '.*missing\.pt'/);
    await expect(loadTorchCheckpoint(join(fixtures, 'scripted.pt'))).rejects.toThrow(/^loadTorchCheckpoint: '.*scripted\.pt': this is a TorchScript archive/);
  });
});

describe('parseTorchCheckpoint: the legacy format (before PyTorch 1.6)', () => {
  it('every dtype, 0-d and empty tensors, and views sharing a storage, as the archive format reads them', async () => {
    const parsed = parseTorchCheckpoint(bytesOf('legacy-views.pt'));
    expectMatches('legacy-views.pt', parsed);
    expect(parsed.tensors.parameter.requiresGrad).toBe(true);
    disposeAll(parsed);
    const loaded = await loadTorchCheckpoint(join(fixtures, 'legacy-views.pt'));
    expectMatches('legacy-views.pt', loaded);
    disposeAll(loaded);
  });

  it('a training checkpoint: model and optimizer state beside plain Python values', () => {
    const parsed = parseTorchCheckpoint(bytesOf('legacy-nested.pt'));
    expectMatches('legacy-nested.pt', parsed);
    const v = parsed.value as Record<string, any>;
    expect([v.epoch, v.name, v.big, v.blob, v.labels]).toEqual([7, 'run-1', 2n ** 70n, new Uint8Array([0x61, 0x62, 0x00, 0xff]), { 0: 'cat', 1: 'dog' }]);
    expect(v.model['fc1.weight']).toBe(parsed.tensors['model.fc1.weight']);
    expect(v.optimizer.param_groups[0].betas).toEqual([0.9, 0.999]);
    disposeAll(parsed);
  });

  it('a storage view (view metadata, as PyTorch before 0.4 wrote) reads the elements torch.load shows', () => {
    const parsed = parseTorchCheckpoint(bytesOf('legacy-storage-view.pt'));
    expectMatches('legacy-storage-view.pt', parsed);
    expect((parsed.value as Record<string, unknown>).step).toBe(3);
    disposeAll(parsed);
  });

  it('refuses code, a wrong magic number or protocol, a truncated file and a wrong element count, leaving nothing allocated', () => {
    const refuses = (bytes: Uint8Array, message: RegExp) => {
      const before = tl.memory();
      expect(() => parseTorchCheckpoint(bytes)).toThrow(message);
      expect([tl.memory().numTensors, tl.memory().numBytes]).toEqual([before.numTensors, before.numBytes]);
    };
    refuses(bytesOf('legacy-evil.pt'), /parseTorchCheckpoint: the pickle names the global 'posix\.system'/);
    const good = bytesOf('legacy-views.pt');
    const edited = (at: number, byte: number) => Uint8Array.from(good, (b, i) => (i === at ? byte : b));
    // The magic number: LONG1 at byte 2, its length at 3, its bytes from 4; the protocol version: BININT2 at 17.
    refuses(edited(4, good[4] ^ 1), /parseTorchCheckpoint: not a PyTorch checkpoint: it starts with a pickle, but not with the legacy torch\.save magic number/);
    expect([good[17], good[18], good[19]]).toEqual([0x4d, 0xe9, 0x03]);
    refuses(edited(18, 0xea), /the legacy format's protocol version is 1002; expected 1001/);
    // The last storage (the parameter's): an 8-byte count and two float32 elements.
    refuses(good.subarray(0, good.length - 3), /parseTorchCheckpoint: storage '\d+' needs 8 bytes at byte \d+, but the file ends at \d+; it is truncated/);
    refuses(good.subarray(0, good.length - 12), /parseTorchCheckpoint: storage '\d+': its element count at byte \d+ is cut off by the end of the file \(\d+ bytes\); it is truncated/);
    refuses(good.subarray(0, 1000), /pickle byte \d+: .*truncated/);
    const view = bytesOf('legacy-storage-view.pt');
    // Its one storage: an int64 count (10) and ten float32 elements, at the end.
    refuses(Uint8Array.from(view, (b, i) => (i === view.length - 48 ? 11 : b)), /storage 'root' records 11 elements, but the pickle says 10/);
    const tar = new Uint8Array(1024);
    tar.set(new TextEncoder().encode('ustar'), 257);
    refuses(tar, /parseTorchCheckpoint: this is the tar-based torch\.save format of PyTorch before 0\.4/);
  });
});

describe('parseTorchCheckpoint: what it refuses, leaving nothing allocated', () => {
  const refuses = (bytes: Uint8Array, message: RegExp) => {
    const before = tl.memory();
    expect(() => parseTorchCheckpoint(bytes)).toThrow(message);
    expect([tl.memory().numTensors, tl.memory().numBytes]).toEqual([before.numTensors, before.numBytes]);
  };

  it('code a pickle names (the os.system of a malicious file) is refused, never run', () => {
    refuses(bytesOf('evil.pt'), /parseTorchCheckpoint: the pickle names the global 'posix\.system', which is not a tensor, storage or plain container/);
  });

  it('complex tensors and TorchScript archives, each named', () => {
    refuses(bytesOf('complex.pt'), /complex64 tensor \(torch\.ComplexFloatStorage\), which Tensile has no dtype for/);
    refuses(bytesOf('scripted.pt'), /TorchScript archive \(torch\.jit\.save\)/);
  });

  it('bytes that are not a checkpoint, a truncated file, a missing or short storage, a truncated pickle', () => {
    refuses(new TextEncoder().encode('{"not": "a checkpoint"}'), /not a PyTorch checkpoint: it does not start as a zip archive or a pickle does/);
    const good = bytesOf('state-dict.pt');
    refuses(good.subarray(0, good.length - 40), /the zip archive is corrupt or truncated/);
    const files = unzipSync(good);
    const prefix = Object.keys(files).find((n) => n.endsWith('/data.pkl'))!.slice(0, -'data.pkl'.length);
    const without = { ...files };
    delete without[`${prefix}data/8`]; // the last storage: eight tensors exist when it is missed
    refuses(zipSync(without), /storage '8' has no record state-dict\/data\/8 in the archive/);
    refuses(zipSync({ ...files, [`${prefix}data/0`]: files[`${prefix}data/0`].subarray(4) }), /storage '0' holds 44 bytes, but 12 F32 elements need 48/);
    const pkl = files[`${prefix}data.pkl`];
    refuses(zipSync({ ...files, [`${prefix}data.pkl`]: pkl.subarray(0, pkl.length - 30) }), /parseTorchCheckpoint: pickle byte \d+: .*truncated/);
    refuses(zipSync({ 'a/other.txt': new Uint8Array(1) }), /no <folder>\/data\.pkl record/);
  });
});

describe('serializeTorchCheckpoint', () => {
  it('round-trips a state dict and plain values through the reader', async () => {
    tl.manualSeed(3);
    const value = {
      model: { w: tl.randn([2, 3]), t: tl.arange(0, 6).reshape([2, 3]).t(), ids: tl.tensor(new Int32Array([-7, 2 ** 31 - 1])), on: tl.tensor([true, false]), s: tl.tensor(0.25) },
      epoch: 3, lr: 0.01, big: 2n ** 64n, name: 'x', none: null, list: [1, 'a', false],
    };
    const parsed = parseTorchCheckpoint(await serializeTorchCheckpoint(value));
    expect(Object.keys(parsed.tensors).sort()).toEqual(['model.ids', 'model.on', 'model.s', 'model.t', 'model.w']);
    for (const [k, t] of Object.entries(value.model)) {
      expect(parsed.tensors[`model.${k}`].shape).toEqual(t.shape);
      expect(Array.from(parsed.tensors[`model.${k}`].dataSync() as ArrayLike<number>)).toEqual(Array.from(t.dataSync() as ArrayLike<number>));
    }
    const v = parsed.value as Record<string, unknown>;
    expect([v.epoch, v.lr, v.big, v.name, v.none, v.list]).toEqual([3, 0.01, 2n ** 64n, 'x', null, [1, 'a', false]]);
    expect(serializeTorchCheckpointSync(value)).toEqual(await serializeTorchCheckpoint(value));
    disposeAll(parsed);
  });

  it('refuses what a checkpoint cannot hold, naming where it is', async () => {
    await expect(serializeTorchCheckpoint({ a: { f: (() => 1) as never } })).rejects.toThrow(/serializeTorchCheckpoint: 'a\.f' is function; only tensors, numbers, strings/);
    await expect(serializeTorchCheckpoint({ m: new Set() as never })).rejects.toThrow(/'m' is Set; only tensors, numbers, strings, booleans, null, arrays, plain objects and Maps/);
    await expect(serializeTorchCheckpoint({ m: new Map([[1.5, 1]]) })).rejects.toThrow(/'m' has the key 1.5; Map keys must be strings or integers/);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    await expect(serializeTorchCheckpoint(loop as never)).rejects.toThrow(/'self' refers back to itself/);
  });

  const torchMissing = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0
    ? null
    : skipReason(`${PYTHON} cannot import torch, so torch.load does not check the file Tensile writes (CI installs python3-torch)`);
  it.skipIf(torchMissing !== null)(`a file Tensile saves is read by torch.load(weights_only=True) with the same values${torchMissing ? ` (skipped: ${torchMissing})` : ''}`, async () => {
    tl.manualSeed(5);
    const net = new Net();
    const path = join(dir, 'from-tensile.pt');
    await saveTorchCheckpoint({ ...net.stateDict(), transposed: tl.tensor([[0, 1, 2], [3, 4, 5]]).t(), flags: tl.tensor([true, false]), count: 12 }, path);
    const seen = JSON.parse(execFileSync(PYTHON, [tool, '--verify', path], { encoding: 'utf8' })) as { tensors: Record<string, Described>; plain: Record<string, unknown> };
    for (const [k, t] of Object.entries(net.stateDict())) {
      expect(seen.tensors[k].shape, k).toEqual(t.shape);
      expect(seen.tensors[k].values, k).toEqual(Array.from(t.dataSync() as ArrayLike<number>));
    }
    expect(seen.tensors['bn.num_batches_tracked'].dtype).toBe('I32');
    expect(seen.tensors.transposed).toMatchObject({ dtype: 'F32', shape: [3, 2], values: [0, 3, 1, 4, 2, 5] });
    expect(seen.tensors.flags).toMatchObject({ dtype: 'BOOL', values: [true, false] });
    expect(seen.plain.count).toBe(12);
  });
});
