/**
 * MNIST's gzipped IDX files, read in the page: fetch, gunzip with DecompressionStream,
 * parse the big-endian header. (`@tensile/datasets` reads the same files in Node with
 * node:zlib and node:fs, so the browser gets this small parser instead.)
 */

export interface IdxArray {
  /** Dimensions from the header: [n, 28, 28] for images, [n] for labels. */
  shape: number[];
  /** The unsigned bytes after the header. */
  data: Uint8Array;
}

/** Parse an (already decompressed) IDX file of unsigned bytes (type 0x08). */
export function parseIdx(bytes: Uint8Array): IdxArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 4 || view.getUint16(0) !== 0) throw new Error('IDX: bad magic number (is this a decompressed IDX file?)');
  const type = view.getUint8(2);
  const rank = view.getUint8(3);
  if (type !== 0x08) throw new Error(`IDX: element type 0x${type.toString(16)} is not unsigned bytes (0x08)`);
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) shape.push(view.getUint32(4 + 4 * d));
  const start = 4 + 4 * rank;
  const size = shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength - start < size) throw new Error(`IDX: ${bytes.byteLength - start} bytes of data, expected ${size} for shape [${shape}]`);
  return { shape, data: bytes.subarray(start, start + size) };
}

/** Fetch `url` and gunzip it in the browser. */
export async function fetchGunzip(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`fetching ${url}: HTTP ${response.status}`);
  const stream = response.body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export interface Mnist {
  trainImages: IdxArray;
  trainLabels: IdxArray;
  testImages: IdxArray;
  testLabels: IdxArray;
}

export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

/** The four MNIST files from a base URL (ending in '/'). */
export async function loadMnist(base: string): Promise<Mnist> {
  const dir = base.endsWith('/') ? base : `${base}/`;
  const entries = await Promise.all(
    Object.entries(MNIST_FILES).map(async ([key, file]) => [key, parseIdx(await fetchGunzip(new URL(file, new URL(dir, location.href)).href))] as const),
  );
  const mnist = Object.fromEntries(entries) as unknown as Mnist;
  if (mnist.trainImages.shape[0] !== mnist.trainLabels.shape[0] || mnist.testImages.shape[0] !== mnist.testLabels.shape[0]) {
    throw new Error('MNIST: image and label counts differ');
  }
  return mnist;
}
