/**
 * PyTorch's checkpoint format (`torch.save` since PyTorch 1.6), read and written in plain
 * TypeScript so it works in browsers and on every backend.
 *
 * Layout: a zip archive (entries stored, not compressed) with one top folder holding
 * `data.pkl` (the pickled object, protocol 2, tensors as `torch._utils._rebuild_tensor_v2`
 * calls whose storages are persistent ids), `data/<key>` (each storage's raw bytes),
 * `version`, and since PyTorch 2.1 `byteorder`. The reader is restricted as
 * `torch.load(weights_only=True)` is: tensors, storages and plain containers only.
 */
import { unzipSync, zipSync, type UnzipFileInfo } from 'fflate';
import { tensor, type Tensor } from '@tensile/core';
import { DTYPE_BYTES, decodeElements, encodeElements, loadedDType, type SafetensorsDType } from '../safetensors/elements.js';
import type { ParseSafetensorsOptions } from '../safetensors/format.js';
import { putOwn } from '../own-property.js';
import { unpickle, type PickleCallable } from './pickle.js';
import { Pickler } from './pickler.js';

/** Options of `parseTorchCheckpoint`: the same as `parseSafetensors`'. */
export type ParseTorchCheckpointOptions = ParseSafetensorsOptions;

/** What `parseTorchCheckpoint` returns. */
export interface TorchCheckpoint {
  /**
   * The object `torch.save` was given, with tensors in place: a state dict is an object of
   * tensors; dicts, lists, tuples, numbers, strings and bytes come as `unpickle` describes.
   */
  value: unknown;
  /**
   * Every tensor in `value` reached through dicts, lists and tuples, by its path of keys
   * joined with `.`: for a state dict, its own keys; for `{ model: sd, epoch }`, `model.<key>`.
   */
  tensors: Record<string, Tensor>;
  /** The dtype each tensor had in the file, by the same paths, named as safetensors names dtypes. */
  dtypes: Record<string, SafetensorsDType>;
}

const OP = 'parseTorchCheckpoint';

function fail(message: string): never {
  throw new Error(`${OP}: ${message}`);
}

/** PyTorch's typed storage classes, by the dtype code of their elements. */
const STORAGES: Record<string, SafetensorsDType> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};
/** Storage classes PyTorch has and Tensile cannot hold, with the dtype they mean. */
const FOREIGN_STORAGES: Record<string, string> = {
  ComplexFloatStorage: 'complex64', ComplexDoubleStorage: 'complex128', QInt8Storage: 'qint8', QUInt8Storage: 'quint8',
  QInt32Storage: 'qint32', QUInt4x2Storage: 'quint4x2', QUInt2x4Storage: 'quint2x4',
};
const STORAGE_OF: Partial<Record<Tensor['dtype'], string>> = { float32: 'FloatStorage', float16: 'HalfStorage', int32: 'IntStorage', bool: 'BoolStorage' };

/** A storage class named by the pickle. */
class StorageType implements PickleCallable {
  constructor(readonly qualifiedName: string, readonly dtype: SafetensorsDType) {}
  call(): never {
    return fail(`the pickle calls ${this.qualifiedName} directly, which torch.save never does`);
  }
}

/** A storage a tensor views: its elements decoded once, on first use. */
interface Storage {
  key: string;
  dtype: SafetensorsDType;
  numel: number;
  elements(): Float32Array | Int32Array | Uint8Array;
}

function isIntArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** The archive's entries by name, and the folder `data.pkl` sits in. */
function openArchive(bytes: Uint8Array): { prefix: string; read(name: string): Uint8Array | undefined; names: string[] } {
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array');
  const zip = bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  if (!zip) {
    // The legacy format starts with a protocol-2 pickle of a LONG1 magic number.
    if (bytes[0] === 0x80 && bytes[1] === 0x02 && bytes[2] === 0x8a) {
      fail('this is the legacy torch.save format (PyTorch before 1.6, or _use_new_zipfile_serialization=False), which is not read here: load it in PyTorch and save it again with torch.save, or convert it to safetensors');
    }
    fail(`not a PyTorch checkpoint: it does not start as a zip archive does (${bytes.length} bytes)`);
  }
  const names: string[] = [];
  const list = (info: UnzipFileInfo) => {
    names.push(info.name);
    return false;
  };
  const unzip = (filter: (info: UnzipFileInfo) => boolean) => {
    try {
      return unzipSync(bytes, { filter });
    } catch (e) {
      return fail(`the zip archive is corrupt or truncated (${(e as Error).message})`);
    }
  };
  unzip(list);
  if (names.some((n) => /^[^/]+\/constants\.pkl$/.test(n))) {
    fail('this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint: save model.state_dict() with torch.save instead');
  }
  const pickles = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1) {
    fail(pickles.length ? `the archive holds ${pickles.length} data.pkl records (${pickles.join(', ')}); expected one` : 'the zip archive has no <folder>/data.pkl record, so it is not a torch.save checkpoint');
  }
  const prefix = pickles[0].slice(0, -'data.pkl'.length);
  return { prefix, names, read: (name) => unzip((info) => info.name === name)[name] };
}

/**
 * Parse the bytes of a `torch.save` file (`.pt`, `.pth`, `pytorch_model.bin`) into tensors,
 * refusing anything but tensors and plain containers, as `torch.load(weights_only=True)`
 * does. Views keep their values: a transposed or sliced tensor, or two tensors sharing a
 * storage, load as the values PyTorch shows (each a tensor of its own).
 *
 * Dtypes convert as `parseSafetensors` converts them: float32, int32 and bool stay;
 * float16 stays where the device holds it (else float32); bfloat16 and float64 become
 * float32; int64, int16, int8 and uint8 become int32 (a value outside int32 is an error).
 * Complex, quantized and sparse tensors are refused, naming them.
 *
 * @example
 * ```ts
 * const { tensors } = parseTorchCheckpoint(bytes);
 * model.loadStateDict(tensors);
 * ```
 */
export function parseTorchCheckpoint(bytes: Uint8Array, options: ParseTorchCheckpointOptions = {}): TorchCheckpoint {
  const archive = openArchive(bytes);
  const { prefix } = archive;
  const order = archive.names.includes(`${prefix}byteorder`) ? new TextDecoder().decode(archive.read(`${prefix}byteorder`)).trim() : 'little';
  if (order !== 'little' && order !== 'big') fail(`byteorder record says '${order}'; expected 'little' or 'big'`);
  const storages = new Map<string, Storage>();
  // Every tensor made, with its stored dtype: for the paths, and to free them on failure.
  const byTensor = new Map<Tensor, SafetensorsDType>();

  const storageFor = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length !== 5) {
      return fail(`persistent id ${JSON.stringify(Array.isArray(pid) ? pid.map(String) : String(pid))} is not a storage reference`);
    }
    const [, type, key, , numel] = pid as [string, unknown, unknown, unknown, unknown];
    if (!(type instanceof StorageType)) return fail(`storage '${String(key)}' names no storage class`);
    if (typeof key !== 'string' || !Number.isSafeInteger(numel) || (numel as number) < 0) fail(`storage reference ${String(key)} is malformed`);
    const known = storages.get(key as string);
    if (known) return known;
    let cached: Float32Array | Int32Array | Uint8Array | undefined;
    const storage: Storage = {
      key: key as string,
      dtype: type.dtype,
      numel: numel as number,
      elements: () => {
        if (cached) return cached;
        const name = `${prefix}data/${key as string}`;
        const raw = archive.read(name);
        if (!raw) return fail(`storage '${key as string}' has no record ${name} in the archive; the file is incomplete`);
        const want = (numel as number) * DTYPE_BYTES[type.dtype];
        if (raw.length !== want) fail(`storage '${key as string}' holds ${raw.length} bytes, but ${numel as number} ${type.dtype} elements need ${want}`);
        cached = decodeElements(type.dtype, raw, `storage '${key as string}'`, fail, order === 'little');
        return cached;
      },
    };
    storages.set(storage.key, storage);
    return storage;
  };

  const rebuildTensor = (args: unknown[], name: string): Tensor => {
    const [storage, offset, size, stride, requiresGrad] = args as [Storage, unknown, unknown, unknown, unknown];
    if (!storage || typeof storage !== 'object' || !('elements' in storage)) fail(`${name} is not given a storage`);
    if (!Number.isSafeInteger(offset) || (offset as number) < 0 || !isIntArray(size) || !isIntArray(stride) || size.length !== stride.length) {
      fail(`${name} of storage '${storage.key}' has a malformed offset, size or stride`);
    }
    const shape = size as number[];
    const strides = stride as number[];
    const numel = shape.reduce((a, b) => a * b, 1);
    let last = offset as number;
    for (let d = 0; d < shape.length; d++) if (shape[d] > 0) last += (shape[d] - 1) * strides[d];
    if (numel > 0 && last >= storage.numel) {
      fail(`a tensor of shape [${shape.join(', ')}] at offset ${offset as number} reaches element ${last} of storage '${storage.key}', which has ${storage.numel}`);
    }
    const all = storage.elements();
    let values: Float32Array | Int32Array | Uint8Array;
    const contiguous = strides.every((s, d) => shape[d] === 1 || s === shape.slice(d + 1).reduce((a, b) => a * b, 1));
    if (contiguous) {
      values = all.subarray(offset as number, (offset as number) + numel);
    } else {
      values = new (all.constructor as Float32ArrayConstructor)(numel);
      const index = new Array<number>(shape.length).fill(0);
      let at = offset as number;
      for (let i = 0; i < numel; i++) {
        values[i] = all[at];
        for (let d = shape.length - 1; d >= 0; d--) {
          index[d]++;
          at += strides[d];
          if (index[d] < shape[d]) break;
          at -= index[d] * strides[d];
          index[d] = 0;
        }
      }
    }
    const dtype = loadedDType(storage.dtype, options.floatDType, options.device);
    let t = tensor(values, { dtype, device: options.device });
    if (shape.length !== 1) {
      const flat = t;
      try {
        t = flat.reshape(shape);
      } finally {
        if (t !== flat) flat.dispose();
      }
    }
    byTensor.set(t, storage.dtype);
    if (requiresGrad === true && (dtype === 'float32' || dtype === 'float16')) t.requiresGrad_(true);
    return t;
  };

  // nn.Parameter(data, requires_grad): the tensor itself, tracking gradients as the Parameter did.
  const parameter = ([data, requiresGrad]: unknown[]): unknown => {
    if (!byTensor.has(data as Tensor)) fail('_rebuild_parameter is not given a tensor');
    const t = data as Tensor;
    if (requiresGrad === true && (t.dtype === 'float32' || t.dtype === 'float16') && !t.requiresGrad) t.requiresGrad_(true);
    return t;
  };
  const rebuilders: Record<string, (args: unknown[]) => unknown> = {
    _rebuild_tensor: (args) => rebuildTensor([...args.slice(0, 4), false], '_rebuild_tensor'),
    _rebuild_tensor_v2: (args) => rebuildTensor(args, '_rebuild_tensor_v2'),
    _rebuild_parameter: (args) => parameter(args),
    _rebuild_parameter_with_state: (args) => parameter(args),
  };
  const globals = (module: string, name: string): PickleCallable => {
    const qualifiedName = `${module}.${name}`;
    const fn = (call: (args: unknown[]) => unknown): PickleCallable => ({ qualifiedName, call });
    if (module === 'torch' && name in STORAGES) return new StorageType(qualifiedName, STORAGES[name]);
    if (module === 'torch' && name in FOREIGN_STORAGES) fail(`the checkpoint holds a ${FOREIGN_STORAGES[name]} tensor (${qualifiedName}), which Tensile has no dtype for`);
    if (module === 'torch._utils' && name in rebuilders) return fn(rebuilders[name]);
    if (module === 'torch._utils' && /^_rebuild_(sparse|meta|nested|qtensor|wrapper|device)/.test(name)) {
      fail(`the checkpoint holds a tensor Tensile cannot rebuild (${qualifiedName}: sparse, quantized, meta or nested tensors are not read)`);
    }
    if (module === 'collections' && name === 'OrderedDict') return fn(() => ({}));
    // Counter pickles as Counter(dict): the counts (MultiStepLR's milestones in a scheduler's state).
    if (module === 'collections' && name === 'Counter') return fn((args) => args[0] ?? {});
    if (module === 'torch' && name === 'Size') return fn((args) => [...(args[0] as unknown[])]);
    if ((module === '__builtin__' || module === 'builtins') && (name === 'set' || name === 'frozenset')) return fn((args) => new Set((args[0] as unknown[]) ?? []));
    if (module === '_codecs' && name === 'encode') {
      // Protocol 2 writes bytes as _codecs.encode(text, 'latin1').
      return fn(([text, encoding]) => {
        if (typeof text !== 'string' || encoding !== 'latin1') fail(`${qualifiedName} with arguments other than (str, 'latin1')`);
        return Uint8Array.from(text as string, (c) => c.charCodeAt(0));
      });
    }
    return fail(`the pickle names the global '${qualifiedName}', which is not a tensor, storage or plain container; only weights are loaded, as torch.load(weights_only=True) loads them`);
  };

  try {
    const pickle = archive.read(`${prefix}data.pkl`)!;
    const value = unpickle(pickle, {
      global: globals,
      persistentLoad: storageFor,
      // OrderedDict state (a state dict's `_metadata` of module versions) and attributes
      // of Tensor subclasses carry no values; they are not kept.
      build: (obj, state) => {
        if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) fail('BUILD applies to something that is not an object');
        if (state !== null && typeof state !== 'object') fail('BUILD with a state that is not a dict or tuple');
      },
    }, OP);
    const tensors: Record<string, Tensor> = {};
    const dtypes: Record<string, SafetensorsDType> = {};
    const walk = (v: unknown, path: string, seen: Set<unknown>) => {
      if (byTensor.has(v as Tensor)) {
        putOwn(tensors, path, v);
        Object.defineProperty(dtypes, path, { value: byTensor.get(v as Tensor), enumerable: true, writable: true, configurable: true });
        return;
      }
      if (v === null || typeof v !== 'object' || seen.has(v) || v instanceof Uint8Array || v instanceof Set) return;
      seen.add(v);
      for (const [k, child] of Object.entries(v)) walk(child, path ? `${path}.${k}` : k, seen);
      seen.delete(v);
    };
    walk(value, '', new Set());
    return { value, tensors, dtypes };
  } catch (e) {
    for (const t of byTensor.keys()) t.dispose();
    throw e;
  }
}

/**
 * What `serializeTorchCheckpoint` writes: tensors in dicts and lists, with plain values beside
 * them. The savers also take any object (a state dict typed by its own interface) and check
 * its contents when they run, naming what cannot be saved.
 */
export type TorchSaveable =
  | Tensor | number | bigint | string | boolean | null
  | readonly TorchSaveable[]
  | { readonly [key: string]: TorchSaveable }
  /** A dict whose number keys stay Python ints (an optimizer's `state`), where an object's keys are all strings. */
  | ReadonlyMap<string | number, TorchSaveable>;

function isTensorLike(v: unknown): v is Tensor {
  return v !== null && typeof v === 'object' && 'dtype' in v && 'shape' in v && typeof (v as Tensor).data === 'function';
}

/** Every tensor in `value`, checking that everything else is something a pickle can say. */
function tensorsIn(op: string, value: unknown): Tensor[] {
  const found: Tensor[] = [];
  const visit = (v: unknown, path: string, seen: Set<unknown>) => {
    const where = path ? `'${path}'` : 'the value';
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return;
    if (typeof v === 'number') return;
    if (isTensorLike(v)) {
      if (!STORAGE_OF[v.dtype]) throw new Error(`${op}: ${where} has dtype ${String(v.dtype)}, which a checkpoint cannot store here (float32, float16, int32, bool)`);
      found.push(v);
      return;
    }
    const plain = Array.isArray(v) || v instanceof Map || (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype);
    if (!plain) throw new TypeError(`${op}: ${where} is ${typeof v === 'object' ? v.constructor?.name ?? 'an object' : typeof v}; only tensors, numbers, strings, booleans, null, arrays, plain objects and Maps can be saved`);
    if (seen.has(v)) throw new TypeError(`${op}: ${where} refers back to itself`);
    seen.add(v);
    const entries = v instanceof Map ? [...v] : Object.entries(v as object);
    for (const [k, child] of entries) {
      if (v instanceof Map && !(typeof k === 'string' || Number.isSafeInteger(k))) throw new TypeError(`${op}: ${where} has the key ${String(k)}; Map keys must be strings or integers`);
      visit(child, path ? `${path}.${String(k)}` : String(k), seen);
    }
    seen.delete(v);
  };
  visit(value, '', new Set());
  return found;
}

function assembleCheckpoint(value: unknown, datas: Map<Tensor, Float32Array | Int32Array | Uint8Array>): Uint8Array {
  const p = new Pickler();
  const records: Record<string, Uint8Array> = {};
  let key = 0;
  const tuple = (items: readonly number[]) => {
    p.mark();
    for (const i of items) p.int(i);
    p.tuple();
  };
  const write = (v: unknown): void => {
    if (v === null) return p.none();
    if (typeof v === 'boolean') return p.bool(v);
    if (typeof v === 'bigint') return p.int(v);
    if (typeof v === 'number') return Number.isSafeInteger(v) ? p.int(v) : p.float(v);
    if (typeof v === 'string') return p.string(v);
    if (isTensorLike(v)) {
      const name = String(key++);
      const shape = [...v.shape];
      records[`archive/data/${name}`] = encodeElements(v.dtype, datas.get(v)!);
      // _rebuild_tensor_v2((storage, type, key, location, numel), offset, size, stride, requires_grad, hooks)
      p.global('torch._utils', '_rebuild_tensor_v2');
      p.mark();
      p.mark();
      p.string('storage');
      p.global('torch', STORAGE_OF[v.dtype]!);
      p.string(name);
      p.string('cpu');
      p.int(v.size);
      p.tuple();
      p.binpersid();
      p.int(0);
      tuple(shape);
      tuple(shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1)));
      p.bool(false);
      p.global('collections', 'OrderedDict');
      p.emptyTuple();
      p.reduce();
      p.tuple();
      p.reduce();
      return;
    }
    if (Array.isArray(v)) return p.list(() => v.forEach(write));
    p.dict(() => {
      for (const [k, child] of v instanceof Map ? [...v] : Object.entries(v as object)) {
        if (typeof k === 'number') p.int(k);
        else p.string(k as string);
        write(child);
      }
    });
  };
  write(value);
  const files: Record<string, [Uint8Array, { level: 0 }]> = {};
  const stored = (bytes: Uint8Array): [Uint8Array, { level: 0 }] => [bytes, { level: 0 }];
  files['archive/data.pkl'] = stored(p.finish());
  files['archive/byteorder'] = stored(new TextEncoder().encode('little'));
  for (const [name, bytes] of Object.entries(records)) files[name] = stored(bytes);
  files['archive/version'] = stored(new TextEncoder().encode('3\n'));
  return zipSync(files);
}

/**
 * Serialize tensors (a state dict, or an object holding one beside plain values) to the
 * bytes `torch.save` writes, which `torch.load` reads (with `weights_only=True` too, except
 * that PyTorch 1.13's weights-only reader has no opcode for the floats a file may hold). Tensors
 * are saved contiguous, in their own dtype (float32, float16, int32, bool); objects and Maps
 * become Python dicts (a Map's number keys Python ints), arrays lists. Values are read asynchronously, so it works on every backend.
 *
 * @example
 * ```ts
 * const bytes = await serializeTorchCheckpoint(model.stateDict());
 * ```
 */
export async function serializeTorchCheckpoint(value: TorchSaveable | object): Promise<Uint8Array> {
  const found = tensorsIn('serializeTorchCheckpoint', value);
  const datas = new Map<Tensor, Float32Array | Int32Array | Uint8Array>();
  await Promise.all(found.map(async (t) => datas.set(t, await t.data())));
  return assembleCheckpoint(value, datas);
}

/** `serializeTorchCheckpoint` for backends that can read synchronously (cpu, wasm, cuda). */
export function serializeTorchCheckpointSync(value: TorchSaveable | object): Uint8Array {
  const found = tensorsIn('serializeTorchCheckpointSync', value);
  return assembleCheckpoint(value, new Map(found.map((t) => [t, t.dataSync()])));
}
