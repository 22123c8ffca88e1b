/**
 * PyTorch's checkpoint format, read and written in plain TypeScript so it works in browsers
 * and on every backend. `torch.save` since PyTorch 1.6 is read and written; the legacy
 * format before it is read (see `legacyRecords`).
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
import { unpickleAt, type PickleCallable, type PickleHooks } from './pickle.js';
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

/**
 * A tensor the pickle rebuilds, made once the storages' bytes are at hand (the legacy format
 * stores them after the pickle).
 */
class PendingTensor {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly strides: number[],
    public requiresGrad: boolean,
  ) {}
}

function isIntArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/**
 * Where a checkpoint keeps its pickle and its storages' bytes: a zip archive since PyTorch
 * 1.6, a stream of pickles followed by the storages before.
 */
interface Records {
  pickle: Uint8Array;
  /** Where the main pickle starts in `pickle`. */
  start: number;
  littleEndian: boolean;
  /** Entries in a storage's persistent id: 5 in an archive, 6 (view metadata last) in the legacy stream. */
  pidLength: number;
  /** Given where the main pickle ended and the storages it named, the raw bytes of each storage by key. */
  storages(end: number, named: ReadonlyMap<string, { dtype: SafetensorsDType; numel: number }>): (key: string) => Uint8Array;
}

function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** The archive `torch.save` writes since PyTorch 1.6: `<folder>/data.pkl`, `<folder>/data/<key>`, `byteorder`. */
function archiveRecords(bytes: Uint8Array): Records {
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
  const read = (name: string) => unzip((info) => info.name === name)[name];
  const order = names.includes(`${prefix}byteorder`) ? new TextDecoder().decode(read(`${prefix}byteorder`)).trim() : 'little';
  if (order !== 'little' && order !== 'big') fail(`byteorder record says '${order}'; expected 'little' or 'big'`);
  return {
    pickle: read(`${prefix}data.pkl`),
    start: 0,
    littleEndian: order === 'little',
    pidLength: 5,
    storages: () => (key) => {
      const name = `${prefix}data/${key}`;
      return read(name) ?? fail(`storage '${key}' has no record ${name} in the archive; the file is incomplete`);
    },
  };
}

/** The legacy format's magic number and protocol version (torch/serialization.py). */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/**
 * The format of PyTorch before 1.6 (and `_use_new_zipfile_serialization=False`): pickles of
 * the magic number, the protocol version and the writer's sys info, the main pickle, a
 * pickled list of storage keys, then per key an int64 element count and the elements, always
 * little-endian.
 */
function legacyRecords(bytes: Uint8Array): Records {
  const refuse: PickleHooks = {
    global: (module, name) => fail(`the legacy format's header names the global '${module}.${name}'; the file is corrupt`),
    persistentLoad: () => fail("the legacy format's header holds a persistent id; the file is corrupt"),
    build: () => fail("the legacy format's header holds a BUILD; the file is corrupt"),
  };
  const magic = unpickleAt(bytes, 0, refuse, OP);
  if (magic.value !== LEGACY_MAGIC) fail('not a PyTorch checkpoint: it starts with a pickle, but not with the legacy torch.save magic number');
  const protocol = unpickleAt(bytes, magic.end, refuse, OP);
  if (protocol.value !== LEGACY_PROTOCOL) fail(`the legacy format's protocol version is ${String(protocol.value)}; expected ${LEGACY_PROTOCOL}`);
  const sysInfo = unpickleAt(bytes, protocol.end, refuse, OP);
  if (sysInfo.value === null || typeof sysInfo.value !== 'object') fail("the legacy format's sys info is not a dict; the file is corrupt");
  return {
    pickle: bytes,
    start: sysInfo.end,
    littleEndian: true,
    pidLength: 6,
    storages: (end, named) => {
      const { value: keys, end: dataStart } = unpickleAt(bytes, end, refuse, OP);
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) fail('the list of storage keys after the pickle is not a list of strings; the file is corrupt');
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const found = new Map<string, Uint8Array>();
      let at = dataStart;
      for (const key of keys as string[]) {
        const storage = named.get(key) ?? fail(`the storage list names '${key}', which no tensor in the pickle uses; the file is corrupt`);
        if (at + 8 > bytes.length) fail(`storage '${key}': its element count at byte ${at} is cut off by the end of the file (${bytes.length} bytes); it is truncated`);
        const count = view.getBigInt64(at, true);
        if (count !== BigInt(storage.numel)) fail(`storage '${key}' records ${count} elements, but the pickle says ${storage.numel}`);
        const size = storage.numel * DTYPE_BYTES[storage.dtype];
        if (at + 8 + size > bytes.length) fail(`storage '${key}' needs ${size} bytes at byte ${at + 8}, but the file ends at ${bytes.length}; it is truncated`);
        found.set(key, bytes.subarray(at + 8, at + 8 + size));
        at += 8 + size;
      }
      return (key) => found.get(key) ?? fail(`storage '${key}' is not in the list of storages after the pickle; the file is incomplete`);
    },
  };
}

function openRecords(bytes: Uint8Array): Records {
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array');
  if (isZip(bytes)) return archiveRecords(bytes);
  // Both legacy formats begin with pickles; the oldest (before PyTorch 0.4) is a tar archive.
  if (bytes[0] === 0x80) return legacyRecords(bytes);
  if (bytes.length >= 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') {
    fail('this is the tar-based torch.save format of PyTorch before 0.4, which is not read here: load it in PyTorch and save it again with torch.save, or convert it to safetensors');
  }
  return fail(`not a PyTorch checkpoint: it does not start as a zip archive or a pickle does (${bytes.length} bytes)`);
}

/**
 * Parse the bytes of a `torch.save` file (`.pt`, `.pth`, `pytorch_model.bin`) into tensors,
 * refusing anything but tensors and plain containers, as `torch.load(weights_only=True)`
 * does. Both formats are read: the zip archive PyTorch writes since 1.6, and the legacy
 * stream of pickles before it (old hub checkpoints; `_use_new_zipfile_serialization=False`).
 * Views keep their values: a transposed or sliced tensor, or two tensors sharing a storage,
 * load as the values PyTorch shows (each a tensor of its own).
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
  const records = openRecords(bytes);
  const storages = new Map<string, Storage>();
  // Each root storage's bytes, known once the main pickle is read.
  let rawOf: ((key: string) => Uint8Array) | null = null;

  const storageFor = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length !== records.pidLength) {
      return fail(`persistent id ${JSON.stringify(Array.isArray(pid) ? pid.map(String) : String(pid))} is not a storage reference`);
    }
    const [, type, key, , numel, viewOf] = pid as [string, unknown, unknown, unknown, unknown, unknown];
    if (!(type instanceof StorageType)) return fail(`storage '${String(key)}' names no storage class`);
    if (typeof key !== 'string' || !Number.isSafeInteger(numel) || (numel as number) < 0) fail(`storage reference ${String(key)} is malformed`);
    let root = storages.get(key as string);
    if (!root) {
      let cached: Float32Array | Int32Array | Uint8Array | undefined;
      const dtype = type.dtype;
      root = {
        key: key as string,
        dtype,
        numel: numel as number,
        elements: () => {
          if (cached) return cached;
          const raw = rawOf!(key as string);
          const want = (numel as number) * DTYPE_BYTES[dtype];
          if (raw.length !== want) fail(`storage '${key as string}' holds ${raw.length} bytes, but ${numel as number} ${dtype} elements need ${want}`);
          cached = decodeElements(dtype, raw, `storage '${key as string}'`, fail, records.littleEndian);
          return cached;
        },
      };
      storages.set(root.key, root);
    }
    if (viewOf === null || viewOf === undefined) return root;
    // A legacy storage view: (its key, offset, size) in the root's elements.
    const [viewKey, offset, size] = Array.isArray(viewOf) ? viewOf : [];
    if (typeof viewKey !== 'string' || !Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > root.numel) {
      return fail(`storage '${root.key}' has malformed view metadata ${JSON.stringify(viewOf)}`);
    }
    const parent = root;
    return {
      key: viewKey,
      dtype: parent.dtype,
      numel: size as number,
      elements: () => parent.elements().subarray(offset as number, (offset as number) + (size as number)),
    };
  };

  const rebuildTensor = (args: unknown[], name: string): PendingTensor => {
    const [storage, offset, size, stride, requiresGrad] = args as [Storage, unknown, unknown, unknown, unknown];
    if (!storage || typeof storage !== 'object' || !('elements' in storage)) fail(`${name} is not given a storage`);
    if (!Number.isSafeInteger(offset) || (offset as number) < 0 || !isIntArray(size) || !isIntArray(stride) || size.length !== stride.length) {
      fail(`${name} of storage '${storage.key}' has a malformed offset, size or stride`);
    }
    const shape = size as number[];
    const numel = shape.reduce((a, b) => a * b, 1);
    let last = offset as number;
    for (let d = 0; d < shape.length; d++) if (shape[d] > 0) last += (shape[d] - 1) * (stride as number[])[d];
    if (numel > 0 && last >= storage.numel) {
      fail(`a tensor of shape [${shape.join(', ')}] at offset ${offset as number} reaches element ${last} of storage '${storage.key}', which has ${storage.numel}`);
    }
    return new PendingTensor(storage, offset as number, shape, stride as number[], requiresGrad === true);
  };

  // nn.Parameter(data, requires_grad): the tensor itself, tracking gradients as the Parameter did.
  const parameter = ([data, requiresGrad]: unknown[]): unknown => {
    if (!(data instanceof PendingTensor)) fail('_rebuild_parameter is not given a tensor');
    if (requiresGrad === true) (data as PendingTensor).requiresGrad = true;
    return data;
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

  const { value: pickled, end } = unpickleAt(records.pickle, records.start, {
    global: globals,
    persistentLoad: storageFor,
    // OrderedDict state (a state dict's `_metadata` of module versions) and attributes
    // of Tensor subclasses carry no values; they are not kept.
    build: (obj, state) => {
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) fail('BUILD applies to something that is not an object');
      if (state !== null && typeof state !== 'object') fail('BUILD with a state that is not a dict or tuple');
    },
  }, OP);
  rawOf = records.storages(end, storages);

  // Every tensor made, with its stored dtype: for the paths, and to free them on failure.
  const made = new Map<PendingTensor, Tensor>();
  const byTensor = new Map<Tensor, SafetensorsDType>();
  const materialize = (p: PendingTensor): Tensor => {
    const known = made.get(p);
    if (known) return known;
    const { storage, offset, shape, strides } = p;
    const numel = shape.reduce((a, b) => a * b, 1);
    const all = storage.elements();
    let values: Float32Array | Int32Array | Uint8Array;
    const contiguous = strides.every((s, d) => shape[d] === 1 || s === shape.slice(d + 1).reduce((a, b) => a * b, 1));
    if (contiguous) {
      values = all.subarray(offset, offset + numel);
    } else {
      values = new (all.constructor as Float32ArrayConstructor)(numel);
      const index = new Array<number>(shape.length).fill(0);
      let at = offset;
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
    made.set(p, t);
    byTensor.set(t, storage.dtype);
    if (p.requiresGrad && (dtype === 'float32' || dtype === 'float16')) t.requiresGrad_(true);
    return t;
  };

  try {
    const tensors: Record<string, Tensor> = {};
    const dtypes: Record<string, SafetensorsDType> = {};
    // Tensors in place of what the pickle rebuilt, and every one's paths.
    const walk = (v: unknown, path: string, seen: Set<unknown>): unknown => {
      if (v instanceof PendingTensor) {
        const t = materialize(v);
        putOwn(tensors, path, t);
        Object.defineProperty(dtypes, path, { value: byTensor.get(t), enumerable: true, writable: true, configurable: true });
        return t;
      }
      if (v === null || typeof v !== 'object' || seen.has(v) || v instanceof Uint8Array) return v;
      seen.add(v);
      const at = (k: string) => (path ? `${path}.${k}` : k);
      if (v instanceof Set) {
        const items = [...v].map((item, i) => walk(item, at(String(i)), seen));
        v.clear();
        for (const item of items) v.add(item);
      } else {
        for (const [k, child] of Object.entries(v)) {
          const next = walk(child, at(k), seen);
          // An own property already (putOwn made it), so assigning never reaches a prototype.
          if (next !== child) (v as Record<string, unknown>)[k] = next;
        }
      }
      seen.delete(v);
      return v;
    };
    const value = walk(pickled, '', new Set());
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
