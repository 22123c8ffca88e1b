/**
 * The safetensors format (https://huggingface.co/docs/safetensors), read and written in
 * plain TypeScript so it works in browsers and on every backend.
 *
 * Layout: an 8-byte little-endian unsigned header length `N`, then `N` bytes of UTF-8 JSON
 * `{"__metadata__": {...}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}`,
 * then the raw little-endian tensor bytes, offsets relative to the end of the header.
 *
 * The writer follows Hugging Face's Rust writer byte for byte: tensors ordered by dtype
 * (wider first) then name, header keys in that order after `__metadata__`, compact JSON,
 * header padded with spaces to a multiple of 8 bytes, tensors packed back to back. The
 * reader applies the same checks as Hugging Face's `validate`.
 */
import { tensor, type Tensor, type DType } from '@tensile/core';
import { DTYPE_BYTES, decodeElements, encodeElements, loadedDType, type SafetensorsDType } from './elements.js';
import { putOwn } from '../own-property.js';

export type { SafetensorsDType } from './elements.js';

/** Hugging Face's `Dtype` enum order, which its writer sorts by (descending). */
const DTYPE_RANK: Record<string, number> = {
  BOOL: 0, U8: 4, I8: 5, I16: 9, U16: 10, F16: 11, BF16: 12, I32: 13, U32: 14, F32: 15, F64: 17, I64: 18, U64: 19,
};

const TO_SAFETENSORS: Record<DType, SafetensorsDType> = { float32: 'F32', float16: 'F16', int32: 'I32', bool: 'BOOL' };

/** The largest header Hugging Face accepts (100 MB). */
const MAX_HEADER_SIZE = 100_000_000;

/** One entry of the JSON header. */
export interface SafetensorsTensorInfo {
  dtype: SafetensorsDType;
  shape: number[];
  data_offsets: [number, number];
}

/** What `parseSafetensors` returns. */
export interface SafetensorsFile {
  /** Tensors by name; F32/I32/BOOL load as float32/int32/bool; see `parseSafetensors` for the rest. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` string map (empty if absent). */
  metadata: Record<string, string>;
  /** The dtype each tensor had in the file, before any conversion. */
  dtypes: Record<string, SafetensorsDType>;
}

export interface ParseSafetensorsOptions {
  /** Backend to place the tensors on; the current default backend if omitted. */
  device?: string;
  /**
   * Convert every floating tensor (F32, F16, BF16, F64) to this dtype on the host, before it
   * reaches the device (a float16 model never holds a float32 copy). Default: by the file.
   */
  floatDType?: 'float32' | 'float16';
}

const encoder = new TextEncoder();

function compareUtf8(a: string, b: string): number {
  // Rust compares strings by UTF-8 bytes; JavaScript by UTF-16 units. They differ only
  // around astral characters, but the header order should match byte for byte.
  if (a === b) return 0;
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function checkTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (t === null || typeof t !== 'object' || !('dtype' in t) || !('shape' in t) || typeof (t as Tensor).data !== 'function') {
    throw new TypeError(`${op}: '${name}' is not a Tensor`);
  }
  if (!(t.dtype as string in TO_SAFETENSORS)) {
    throw new Error(`${op}: '${name}' has dtype ${String(t.dtype)}, which safetensors cannot store here (float32, int32, bool)`);
  }
}

function checkMetadata(op: string, metadata: Record<string, string> | undefined): void {
  if (metadata === undefined) return;
  if (metadata === null || typeof metadata !== 'object') throw new TypeError(`${op}: metadata must be an object of strings`);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new TypeError(`${op}: metadata['${k}'] must be a string, got ${typeof v}`);
  }
}

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  bytes: Uint8Array;
}

function assemble(entries: Entry[], metadata: Record<string, string> | undefined): Uint8Array {
  entries.sort((a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareUtf8(a.name, b.name));
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const sorted: Record<string, string> = {};
    for (const k of Object.keys(metadata).sort(compareUtf8)) sorted[k] = metadata[k];
    header.__metadata__ = sorted;
  }
  let offset = 0;
  for (const e of entries) {
    const end = offset + e.bytes.length;
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, end] };
    offset = end;
  }
  // JSON.stringify keeps insertion order for string keys, except integer-like keys
  // ("0", "1", ...) which objects hoist; write the header by hand to keep our order.
  const parts: string[] = [];
  if (header.__metadata__) parts.push(`"__metadata__":${JSON.stringify(header.__metadata__)}`);
  for (const e of entries) parts.push(`${JSON.stringify(e.name)}:${JSON.stringify(header[e.name])}`);
  const json = encoder.encode(`{${parts.join(',')}}`);
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const e of entries) {
    out.set(e.bytes, at);
    at += e.bytes.length;
  }
  return out;
}

function entryFor(name: string, t: Tensor, data: Float32Array | Int32Array | Uint8Array): Entry {
  return { name, dtype: TO_SAFETENSORS[t.dtype], shape: [...t.shape], bytes: encodeElements(t.dtype, data) };
}

function checkDict(op: string, stateDict: Record<string, Tensor>, metadata?: Record<string, string>): [string, Tensor][] {
  if (stateDict === null || typeof stateDict !== 'object') throw new TypeError(`${op}: expected an object of tensors`);
  checkMetadata(op, metadata);
  const items = Object.entries(stateDict);
  for (const [name, t] of items) {
    if (name === '__metadata__') throw new Error(`${op}: '__metadata__' is reserved and cannot name a tensor`);
    checkTensor(op, name, t);
  }
  return items;
}

/**
 * Serialize tensors (a state dict) to safetensors bytes, reading values asynchronously so
 * that it works on every backend. Non-contiguous views are written in logical order.
 *
 * @example
 * ```ts
 * const bytes = await serializeSafetensors(model.stateDict(), { format: 'pt' });
 * ```
 */
export async function serializeSafetensors(
  stateDict: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<Uint8Array> {
  const items = checkDict('serializeSafetensors', stateDict, metadata);
  const datas = await Promise.all(items.map(([, t]) => t.data()));
  return assemble(items.map(([name, t], i) => entryFor(name, t, datas[i])), metadata);
}

/** `serializeSafetensors` for backends that can read synchronously (cpu, wasm, cuda). */
export function serializeSafetensorsSync(stateDict: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const items = checkDict('serializeSafetensorsSync', stateDict, metadata);
  return assemble(items.map(([name, t]) => entryFor(name, t, t.dataSync())), metadata);
}

function fail(message: string): never {
  throw new Error(`parseSafetensors: ${message}`);
}

/** Parse and validate the header; returns entries sorted by offset, and where the data starts. */
export function parseSafetensorsHeader(bytes: Uint8Array): {
  header: Record<string, SafetensorsTensorInfo>;
  metadata: Record<string, string>;
  dataStart: number;
} {
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array');
  if (bytes.length < 8) fail(`file is truncated: ${bytes.length} bytes, fewer than the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) {
    fail(`header length ${n64} runs beyond the end of the file (${bytes.length - 8} bytes after the length); the file is truncated or not safetensors`);
  }
  const n = Number(n64);
  if (n > MAX_HEADER_SIZE) fail(`header length ${n} is larger than the ${MAX_HEADER_SIZE}-byte limit`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`malformed header JSON: it must start with '{', got ${JSON.stringify(text.slice(0, 16))}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`malformed header JSON: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('malformed header JSON: expected an object');
  const metadata: Record<string, string> = {};
  const header: Record<string, SafetensorsTensorInfo> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__['${k}'] must be a string, got ${JSON.stringify(v)}`);
        putOwn(metadata, k, v);
      }
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`tensor '${name}': entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      fail(`tensor '${name}': unknown dtype ${JSON.stringify(dtype)}; supported: ${Object.keys(DTYPE_BYTES).join(', ')}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}': data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`);
    }
    putOwn(header, name, { dtype: dtype as SafetensorsDType, shape: shape as number[], data_offsets: offsets as [number, number] });
  }
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const ordered = Object.entries(header).sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  let expected = 0;
  for (const [name, info] of ordered) {
    const [begin, end] = info.data_offsets;
    if (end < begin) fail(`tensor '${name}': data_offsets [${begin}, ${end}] end before they begin`);
    if (begin < expected) fail(`tensor '${name}': data_offsets [${begin}, ${end}] overlap the previous tensor, which ends at ${expected}`);
    if (begin > expected) fail(`tensor '${name}': data_offsets [${begin}, ${end}] leave a gap after byte ${expected}; tensors must cover the data exactly`);
    if (end > dataLength) {
      fail(`tensor '${name}': data_offsets [${begin}, ${end}] run beyond the data (${dataLength} bytes); the file is truncated`);
    }
    const elements = info.shape.reduce((a, b) => a * b, 1);
    const size = elements * DTYPE_BYTES[info.dtype];
    if (size !== end - begin) {
      fail(`tensor '${name}': shape [${info.shape.join(', ')}] of ${info.dtype} needs ${size} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    expected = end;
  }
  if (expected !== dataLength) {
    fail(`the tensors cover ${expected} bytes of data but the file holds ${dataLength}; the offsets do not cover the data`);
  }
  return { header, metadata, dataStart };
}

/**
 * Parse safetensors bytes into tensors, validating the header as Hugging Face does (header
 * length within the file, well-formed JSON, known dtypes, offsets that tile the data
 * exactly, sizes matching shapes).
 *
 * F32, I32 and BOOL load as float32, int32 and bool; F16 as float16 where the device
 * supports it (`tl.isDTypeSupported`), else as float32. Tensile has no other dtypes, so
 * BF16 and F64 are converted to float32 (F64 loses precision), and U8, I8, I16, U16,
 * U32, I64, U64 to int32 (a value outside int32's range is an error). `dtypes` records
 * what the file held.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = parseSafetensors(bytes);
 * model.loadStateDict(tensors);
 * ```
 */
export function parseSafetensors(bytes: Uint8Array, options: ParseSafetensorsOptions = {}): SafetensorsFile {
  const { header, metadata, dataStart } = parseSafetensorsHeader(bytes);
  const tensors: Record<string, Tensor> = {};
  const dtypes: Record<string, SafetensorsDType> = {};
  const made: Tensor[] = [];
  try {
    for (const [name, info] of Object.entries(header)) {
      const [begin, end] = info.data_offsets;
      const values = decodeElements(info.dtype, bytes.subarray(dataStart + begin, dataStart + end), `tensor '${name}'`, fail);
      const flat = tensor(values, { dtype: loadedDType(info.dtype, options.floatDType, options.device), device: options.device });
      made.push(flat);
      const shaped = info.shape.length === 1 ? flat : flat.reshape(info.shape);
      if (shaped !== flat) {
        made.push(shaped);
        flat.dispose();
      }
      putOwn(tensors, name, shaped);
      putOwn(dtypes, name, info.dtype);
    }
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
  return { tensors, metadata, dtypes };
}
