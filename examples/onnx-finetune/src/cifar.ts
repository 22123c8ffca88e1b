/**
 * CIFAR-10 binary batches read in the page: fetch a `data_batch_N.bin` / `test_batch.bin` by
 * URL and split its records (1 label byte, then 3072 pixel bytes: 1024 red, 1024 green, 1024
 * blue, each 32x32 row-major). `@tensile/datasets` reads the same files in Node with node:fs
 * (`CIFAR10.load`), so the page gets this small reader instead.
 */
export const RECORD_BYTES = 1 + 3 * 32 * 32;

export interface CifarBatch {
  count: number;
  /** uint8 pixels, [count, 3, 32, 32] row-major. */
  images: Uint8Array;
  labels: Uint8Array;
}

export function parseCifarBatch(bytes: Uint8Array, where = 'CIFAR-10 batch'): CifarBatch {
  if (bytes.length === 0 || bytes.length % RECORD_BYTES !== 0) {
    throw new Error(`${where}: ${bytes.length} bytes is not a whole number of ${RECORD_BYTES}-byte CIFAR-10 records`);
  }
  const count = bytes.length / RECORD_BYTES;
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * RECORD_BYTES;
    if (bytes[at] > 9) throw new Error(`${where}: bad label ${bytes[at]} in record ${i}; CIFAR-10 labels are 0-9`);
    labels[i] = bytes[at];
    images.set(bytes.subarray(at + 1, at + RECORD_BYTES), i * 3072);
  }
  return { count, images, labels };
}

/** Fetch and parse one batch file. */
export async function fetchCifarBatch(url: string): Promise<CifarBatch> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url}: HTTP ${response.status}`);
  return parseCifarBatch(new Uint8Array(await response.arrayBuffer()), url);
}
