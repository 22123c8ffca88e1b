/** Readers for the on-disk formats: gzipped IDX (MNIST), CIFAR-10 binary batches, and tar. */
import { gunzipSync } from 'node:zlib';

/** Gunzip `bytes` read from `file`; a corrupt or truncated stream becomes an error naming it. */
export function gunzipFile(file: string, bytes: Uint8Array): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw new Error(`${file}: gzip error: not a gzip file (it does not start with the gzip signature 1f 8b)`);
  }
  try {
    return gunzipSync(bytes);
  } catch (error) {
    const message = (error as Error).message;
    const hint = /unexpected end/i.test(message) ? ' (the file is truncated)' : '';
    throw new Error(`${file}: gzip error: ${message}${hint}`, { cause: error });
  }
}

export interface IdxArray {
  /** Dims after the item count, e.g. [28, 28]. */
  itemShape: number[];
  count: number;
  data: Uint8Array;
}

export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

/**
 * Parse an uncompressed IDX file of unsigned bytes (magic 0x0000080N with N dims, then N
 * big-endian int32 sizes, then the data), checking it against `expectedMagic`.
 */
export function parseIdx(file: string, bytes: Uint8Array, expectedMagic: number): IdxArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) throw new Error(`${file}: truncated data: ${bytes.length} bytes is shorter than an IDX header`);
  const magic = view.getInt32(0, false);
  if (magic !== expectedMagic) {
    const kind = expectedMagic === IDX_IMAGES_MAGIC ? 'an image' : 'a label';
    throw new Error(
      `${file}: bad magic number ${magic} (0x${(magic >>> 0).toString(16).padStart(8, '0')}), expected ${expectedMagic} ` +
        `(0x${expectedMagic.toString(16).padStart(8, '0')}) for ${kind} file in IDX format`,
    );
  }
  const rank = magic & 0xff;
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw new Error(`${file}: truncated data: the header needs ${headerBytes} bytes, the file has ${bytes.length}`);
  const dims = Array.from({ length: rank }, (_, i) => view.getInt32(4 + 4 * i, false));
  if (dims.some((d) => d < 0)) throw new Error(`${file}: wrong count: negative size in header [${dims.join(', ')}]`);
  const [count, ...itemShape] = dims;
  const expected = dims.reduce((a, b) => a * b, 1);
  const body = bytes.length - headerBytes;
  if (body < expected) {
    throw new Error(
      `${file}: truncated data: the header promises ${count} items of [${itemShape.join(', ')}] (${expected} bytes), ` +
        `but only ${body} bytes follow it`,
    );
  }
  if (body > expected) {
    throw new Error(`${file}: wrong count: the header says ${count} items (${expected} bytes), but ${body} bytes follow it`);
  }
  return { itemShape, count, data: bytes.subarray(headerBytes) };
}

export const CIFAR_RECORD_BYTES = 1 + 3 * 32 * 32;

/** How many `recordBytes`-byte records `bytes` holds, or a truncated-data error naming `file` and `format`. */
function wholeRecords(file: string, bytes: Uint8Array, recordBytes: number, format: string): number {
  if (bytes.length === 0) throw new Error(`${file}: truncated data: the file is empty`);
  if (bytes.length % recordBytes !== 0) {
    throw new Error(
      `${file}: truncated data: ${bytes.length} bytes is not a whole number of ${recordBytes}-byte ${format} records ` +
        `(${Math.floor(bytes.length / recordBytes)} records and ${bytes.length % recordBytes} bytes left over)`,
    );
  }
  return bytes.length / recordBytes;
}

/**
 * Split a CIFAR-10 binary batch (records of 1 label byte then 3072 pixel bytes: 1024 red,
 * 1024 green, 1024 blue, each 32x32 row-major) into labels and CHW images.
 */
export function parseCifarBatch(file: string, bytes: Uint8Array): { images: Uint8Array; labels: Uint8Array; count: number } {
  const count = wholeRecords(file, bytes, CIFAR_RECORD_BYTES, 'CIFAR-10');
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * CIFAR_RECORD_BYTES;
    const label = bytes[at];
    if (label > 9) throw new Error(`${file}: bad label ${label} in record ${i}; CIFAR-10 labels are 0-9 (is this a CIFAR-100 file?)`);
    labels[i] = label;
    images.set(bytes.subarray(at + 1, at + CIFAR_RECORD_BYTES), i * 3072);
  }
  return { images, labels, count };
}

export const CIFAR100_RECORD_BYTES = 2 + 3 * 32 * 32;

/**
 * Split a CIFAR-100 binary file (records of 1 coarse label byte, 1 fine label byte, then
 * 3072 pixel bytes as in CIFAR-10) into fine labels, coarse labels and CHW images.
 */
export function parseCifar100Batch(file: string, bytes: Uint8Array): { images: Uint8Array; labels: Uint8Array; coarseLabels: Uint8Array; count: number } {
  const count = wholeRecords(file, bytes, CIFAR100_RECORD_BYTES, 'CIFAR-100');
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  const coarseLabels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * CIFAR100_RECORD_BYTES;
    if (bytes[at] > 19) throw new Error(`${file}: bad coarse label ${bytes[at]} in record ${i}; CIFAR-100 coarse labels are 0-19`);
    if (bytes[at + 1] > 99) throw new Error(`${file}: bad fine label ${bytes[at + 1]} in record ${i}; CIFAR-100 fine labels are 0-99`);
    coarseLabels[i] = bytes[at];
    labels[i] = bytes[at + 1];
    images.set(bytes.subarray(at + 2, at + CIFAR100_RECORD_BYTES), i * 3072);
  }
  return { images, labels, coarseLabels, count };
}

/** Regular files in an (uncompressed) ustar/GNU tar archive, by path. */
export function* tarEntries(archive: string, bytes: Uint8Array): Generator<{ name: string; data: Uint8Array }> {
  const text = (start: number, length: number): string => {
    let end = start;
    while (end < start + length && bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(start, end));
  };
  let at = 0;
  let longName: string | null = null;
  while (at + 512 <= bytes.length) {
    if (bytes[at] === 0) return; // end-of-archive block
    const sizeField = text(at + 124, 12).trim();
    const size = parseInt(sizeField || '0', 8);
    if (!Number.isFinite(size) || size < 0) throw new Error(`${archive}: corrupt tar header at byte ${at} (size '${sizeField}')`);
    const type = String.fromCharCode(bytes[at + 156] || 48);
    const prefix = text(at + 345, 155);
    let name = longName ?? (prefix ? `${prefix}/${text(at, 100)}` : text(at, 100));
    longName = null;
    const dataStart = at + 512;
    if (dataStart + size > bytes.length) throw new Error(`${archive}: truncated data: tar entry '${name}' needs ${size} bytes past the end`);
    const data = bytes.subarray(dataStart, dataStart + size);
    if (type === 'L') longName = text(dataStart, size);
    else if (type === '0' || type === '\0' || type === '7') {
      name = name.replace(/^\.\//, '');
      yield { name, data };
    }
    at = dataStart + Math.ceil(size / 512) * 512;
  }
  if (at < bytes.length) throw new Error(`${archive}: truncated data: the archive ends inside a tar header at byte ${at}`);
}
