/** Array-backed image datasets: MNIST, Fashion-MNIST and CIFAR-10. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { checkIndex, type BatchDataset, type HostDataset } from './dataset.js';
import { defaultCacheDir, downloadFromMirrors, verifyBytes, type Checksum } from './download.js';
import { gunzipFile, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseCifar100Batch, parseCifarBatch, parseIdx, tarEntries } from './formats.js';
import { fromHost, hostTensor, type HostTensor } from './host.js';
import { nestedRecipe, type WorkerRecipe } from './recipe.js';
import type { Rng } from './rng.js';
import type { ImageArray, Transform } from './transforms.js';

/** Options of `MNIST.load`, `FashionMNIST.load` and `CIFAR10.load`. */
export interface VisionLoadOptions {
  /**
   * Directory holding the files: either the dataset folder itself or its parent (the one
   * containing `mnist/`, `fashion-mnist/`, `cifar-10-batches-bin/`). Searched first, then
   * `TENSILE_DATA`, then the cache.
   */
  root?: string;
  /** The training split (default) or the test split. */
  train?: boolean;
  /** Fetch missing files from the canonical mirror into `cacheDir`. Default false. */
  download?: boolean;
  /** Where downloads go: default `TENSILE_CACHE` or `~/.cache/tensile`. */
  cacheDir?: string;
  /** Applied to each image (float32 [C, H, W] in [0, 1]) when it is read. */
  transform?: Transform;
  /** Check files against the known sha256 checksums. Default true. */
  verify?: boolean;
  /** Show download progress on stderr. Default true. */
  progress?: boolean;
  /**
   * Override the download base URLs (tests, internal mirrors); each ends with '/' and is
   * followed by the file name (`cifar-10-binary.tar.gz` for CIFAR-10).
   */
  mirrors?: readonly string[];
  /**
   * Expected checksums by file name, replacing the built-in ones for those files: for a mirror
   * that serves its own build of the files (e.g. `{ 'cifar-10-binary.tar.gz': { sha256: '...' } }`).
   * Downloads are always verified against the expected checksum.
   */
  checksums?: Readonly<Record<string, Checksum>>;
}

/** The checksum `file` is expected to have: the `checksums` option's, else the built-in one. */
function expectedChecksum(file: FileSpec, options: VisionLoadOptions): Checksum {
  const override = options.checksums?.[file.name];
  return override ? { sha256: override.sha256, md5: override.md5 } : { sha256: file.sha256, md5: file.md5 };
}

/** A failed download, with how to provide the files by hand. */
function downloadError(dataset: string, error: unknown, manual: string): Error {
  return new Error(`${dataset}: ${(error as Error).message}\nTo provide the files manually, ${manual}`, { cause: error });
}

const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** What an image transform may return inside a dataset: an image array, or a tensor. */
type TransformOutput = ImageArray | Tensor;

function shareBytes(bytes: Uint8Array): Uint8Array {
  if (typeof SharedArrayBuffer === 'undefined' || bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  shared.set(bytes);
  return shared;
}

/**
 * Images stored as uint8 [N, C, H, W] with uint8 labels. Item `i` is
 * `[image float32 [C, H, W] in [0, 1], label int32 scalar]`; `getBatch` builds
 * `[images [B, C, H, W], labels [B]]` from the arrays in one write.
 */
export class ImageDataset implements BatchDataset<[Tensor, Tensor]>, HostDataset {
  images: Uint8Array;
  readonly labels: Uint8Array;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly classes: readonly string[];
  transform: Transform | undefined;
  /** The files the data was read from. */
  readonly files: readonly string[];
  /** Label byte per image for datasets with more than one label (CIFAR-100's coarse labels). */
  readonly extraLabels: Readonly<Record<string, Uint8Array>>;

  constructor(init: {
    images: Uint8Array;
    labels: Uint8Array;
    shape: readonly [number, number, number];
    classes?: readonly string[];
    transform?: Transform;
    files?: readonly string[];
    extraLabels?: Readonly<Record<string, Uint8Array>>;
  }) {
    const [c, h, w] = init.shape;
    if (init.images.length !== init.labels.length * c * h * w) {
      throw new Error(`ImageDataset: ${init.images.length} image bytes do not make ${init.labels.length} images of [${c}, ${h}, ${w}]`);
    }
    if (init.transform !== undefined && typeof init.transform !== 'function') {
      throw new TypeError(`ImageDataset: transform must be a function (image) => image, got ${typeof init.transform}`);
    }
    this.images = init.images;
    this.labels = init.labels;
    this.channels = c;
    this.height = h;
    this.width = w;
    this.classes = init.classes ?? [];
    this.transform = init.transform;
    this.files = init.files ?? [];
    this.extraLabels = init.extraLabels ?? {};
  }

  get length(): number {
    return this.labels.length;
  }

  /** Image `index` as float32 in [0, 1], before the transform. */
  imageArray(index: number): ImageArray {
    const size = this.channels * this.height * this.width;
    const data = new Float32Array(size);
    const src = this.images.subarray(index * size, (index + 1) * size);
    for (let j = 0; j < size; j++) data[j] = BYTE_TO_UNIT[src[j]];
    return { data, channels: this.channels, height: this.height, width: this.width };
  }

  private transformed(i: number, rng: Rng | undefined): TransformOutput {
    const image = this.imageArray(i);
    return this.transform ? (this.transform as (img: ImageArray, rng?: Rng) => TransformOutput)(image, rng) : image;
  }

  get(index: number, rng?: Rng): [Tensor, Tensor] {
    const i = checkIndex(`${this.constructor.name}.get`, index, this.length);
    const image = this.transformed(i, rng);
    const x = image instanceof tl.Tensor ? image : fromHost(hostTensor(image.data, [image.channels, image.height, image.width]));
    return [x, tl.tensor(this.labels[i], { dtype: 'int32' })];
  }

  /** Item `index` as host tensors (for worker threads). */
  getHost(index: number, rng?: Rng): [HostTensor, HostTensor] {
    const i = checkIndex(`${this.constructor.name}.get`, index, this.length);
    const image = this.transformed(i, rng);
    if (image instanceof tl.Tensor) {
      throw new Error(`${this.constructor.name}: the transform returned a tensor; in a worker thread transforms must keep image arrays (drop toTensor: the dataset makes tensors itself)`);
    }
    return [hostTensor(image.data, [image.channels, image.height, image.width]), hostTensor(Int32Array.of(this.labels[i]), [], 'int32')];
  }

  /** `[images, labels]` as host tensors, built in one pass over the bytes. */
  getBatchHost(indices: ArrayLike<number>, rng?: Rng): [HostTensor, HostTensor] {
    const n = indices.length;
    if (n === 0) throw new Error(`${this.constructor.name}.getBatch: no indices`);
    const size = this.channels * this.height * this.width;
    const labels = new Int32Array(n);
    if (!this.transform) {
      const out = new Float32Array(n * size);
      const images = this.images;
      for (let k = 0; k < n; k++) {
        const i = checkIndex(`${this.constructor.name}.getBatch`, indices[k], this.length);
        labels[k] = this.labels[i];
        const src = i * size;
        const dst = k * size;
        for (let j = 0; j < size; j++) out[dst + j] = BYTE_TO_UNIT[images[src + j]];
      }
      return [hostTensor(out, [n, this.channels, this.height, this.width]), hostTensor(labels, [n], 'int32')];
    }
    let first: ImageArray | null = null;
    let out = new Float32Array(0);
    for (let k = 0; k < n; k++) {
      const i = checkIndex(`${this.constructor.name}.getBatch`, indices[k], this.length);
      labels[k] = this.labels[i];
      const image = this.transformed(i, rng);
      if (image instanceof tl.Tensor) {
        image.dispose();
        throw new Error(`${this.constructor.name}.getBatch: the transform returned a tensor; keep image arrays (drop toTensor: the dataset makes tensors itself)`);
      }
      if (!first) {
        first = image;
        out = new Float32Array(n * image.data.length);
      } else if (image.channels !== first.channels || image.height !== first.height || image.width !== first.width) {
        throw new Error(
          `${this.constructor.name}.getBatch: the transform made images of different shapes ` +
            `([${first.channels}, ${first.height}, ${first.width}] and [${image.channels}, ${image.height}, ${image.width}])`,
        );
      }
      out.set(image.data, k * image.data.length);
    }
    return [hostTensor(out, [n, first!.channels, first!.height, first!.width]), hostTensor(labels, [n], 'int32')];
  }

  getBatch(indices: ArrayLike<number>, rng?: Rng): [Tensor, Tensor] {
    const [images, labels] = this.getBatchHost(indices, rng);
    const x = fromHost(images);
    try {
      return [x, fromHost(labels)];
    } catch (error) {
      x.dispose();
      throw error;
    }
  }

  /** Rebuilt in each worker thread over the same (shared) bytes. */
  async workerRecipe(): Promise<WorkerRecipe> {
    this.images = shareBytes(this.images);
    const labels = shareBytes(this.labels);
    const transform = this.transform ? await nestedRecipe(this.transform, `${this.constructor.name}: the transform`) : undefined;
    return {
      module: import.meta.url,
      export: 'createImageDataset',
      args: [{ images: this.images, labels, shape: [this.channels, this.height, this.width], classes: [...this.classes], transform }],
    };
  }
}

/** @internal The worker recipe's factory for the image datasets. */
export function createImageDataset(init: ConstructorParameters<typeof ImageDataset>[0]): ImageDataset {
  return new ImageDataset(init);
}

// ---- locating files -----------------------------------------------------------------------

interface FileSpec extends Checksum {
  name: string;
}

interface Candidate {
  dir: string;
  why: string;
}

function candidates(folder: string, options: VisionLoadOptions, cacheDir: string): Candidate[] {
  const list: Candidate[] = [];
  if (options.root) {
    const root = path.resolve(options.root);
    list.push({ dir: path.join(root, folder), why: 'root option' }, { dir: root, why: 'root option' });
  }
  if (process.env.TENSILE_DATA) {
    const env = path.resolve(process.env.TENSILE_DATA);
    list.push({ dir: path.join(env, folder), why: 'TENSILE_DATA' }, { dir: env, why: 'TENSILE_DATA' });
  }
  list.push({ dir: path.join(cacheDir, folder), why: 'cache' });
  return list;
}

function findDir(files: readonly string[], list: readonly Candidate[]): string | null {
  for (const c of list) if (files.every((f) => existsSync(path.join(c.dir, f)))) return c.dir;
  return null;
}

/**
 * The files of a dataset are in none of the places looked at, and `download` was not set.
 * Carries what a command line needs to give its own hint (its flag rather than the option).
 */
export class DatasetFilesMissingError extends Error {
  readonly code = 'ERR_TENSILE_DATA_MISSING';
  constructor(
    message: string,
    /** The dataset's title, e.g. 'MNIST'. */
    readonly dataset: string,
    /** The files that are missing. */
    readonly files: readonly string[],
    /** The directories looked in, in order. */
    readonly looked: readonly string[],
    /** The first download mirror. */
    readonly mirror: string,
    /** Where `download: true` would put the files. */
    readonly cacheDir: string,
  ) {
    super(message);
    this.name = 'DatasetFilesMissingError';
  }
}

function missingError(dataset: string, split: string, files: readonly string[], list: readonly Candidate[], mirror: string, cacheDir: string): Error {
  const lines = list.map((c) => {
    const present = files.filter((f) => existsSync(path.join(c.dir, f)));
    const note = present.length ? ` (has ${present.join(', ')} but not the rest)` : '';
    return `  ${c.dir} (${c.why})${note}`;
  });
  return new DatasetFilesMissingError(
    `${dataset} (${split}): files not found: ${files.join(', ')}\n` +
      `Looked in:\n${lines.join('\n')}\n` +
      `Pass the directory that holds them with { root: '/path/to/data' } (the dataset folder or its parent), ` +
      `set TENSILE_DATA=/path/to/data (the folder containing ${path.basename(list[list.length - 1].dir)}/), ` +
      `or pass { download: true } to fetch them from ${mirror} into ${cacheDir}.`,
    dataset,
    files,
    list.map((c) => c.dir),
    mirror,
    cacheDir,
  );
}

// ---- MNIST and Fashion-MNIST --------------------------------------------------------------

interface IdxSpec {
  title: string;
  folder: string;
  mirrors: readonly string[];
  train: readonly [FileSpec, FileSpec];
  test: readonly [FileSpec, FileSpec];
  classes: readonly string[];
}

const MNIST_SPEC: IdxSpec = {
  title: 'MNIST',
  folder: 'mnist',
  mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/'],
  train: [
    { name: 'train-images-idx3-ubyte.gz', sha256: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609', md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
    { name: 'train-labels-idx1-ubyte.gz', sha256: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c', md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
  ],
  test: [
    { name: 't10k-images-idx3-ubyte.gz', sha256: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6', md5: '9fb629c4189551a2d022fa330f9573f3' },
    { name: 't10k-labels-idx1-ubyte.gz', sha256: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6', md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
  ],
  classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
};

const FASHION_SPEC: IdxSpec = {
  title: 'FashionMNIST',
  folder: 'fashion-mnist',
  mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
  train: [
    { name: 'train-images-idx3-ubyte.gz', sha256: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
    { name: 'train-labels-idx1-ubyte.gz', sha256: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845', md5: '25c81989df183df01b3e8a0aad5dffbe' },
  ],
  test: [
    { name: 't10k-images-idx3-ubyte.gz', sha256: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073', md5: 'bef4ecab320f06d8554ea6380940ec79' },
    { name: 't10k-labels-idx1-ubyte.gz', sha256: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5', md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
  ],
  classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};

/** The known files, for tools and tests. */
export const KNOWN_FILES = {
  mnist: { train: MNIST_SPEC.train, test: MNIST_SPEC.test, mirrors: MNIST_SPEC.mirrors },
  'fashion-mnist': { train: FASHION_SPEC.train, test: FASHION_SPEC.test, mirrors: FASHION_SPEC.mirrors },
} as const;

async function loadIdx(spec: IdxSpec, options: VisionLoadOptions) {
  const train = options.train ?? true;
  const split = train ? 'train' : 'test';
  const [imageSpec, labelSpec] = train ? spec.train : spec.test;
  const names = [imageSpec.name, labelSpec.name];
  const cacheDir = options.cacheDir ? path.resolve(options.cacheDir) : defaultCacheDir();
  const list = candidates(spec.folder, options, cacheDir);
  const mirrors = options.mirrors ?? spec.mirrors;
  let dir = findDir(names, list);
  if (!dir) {
    if (!options.download) throw missingError(spec.title, split, names, list, mirrors[0], cacheDir);
    dir = path.join(cacheDir, spec.folder);
    for (const file of [imageSpec, labelSpec]) {
      const dest = path.join(dir, file.name);
      if (existsSync(dest)) continue;
      try {
        await downloadFromMirrors(
          mirrors.map((m) => m + file.name),
          dest,
          { ...expectedChecksum(file, options), progress: options.progress, label: `${spec.folder}/${file.name}` },
        );
      } catch (error) {
        throw downloadError(
          spec.title,
          error,
          `download ${names.join(' and ')} from ${mirrors[0]} yourself and put them in ${dir}, ` +
            `or in a directory passed as { root: '/path/to/data' } or TENSILE_DATA (the folder itself or its parent).`,
        );
      }
    }
  }
  const read = async (file: FileSpec, magic: number) => {
    const where = path.join(dir, file.name);
    const bytes = await readFile(where);
    const parsed = parseIdx(where, gunzipFile(where, bytes), magic);
    if (options.verify ?? true) {
      try {
        verifyBytes(where, bytes, { sha256: expectedChecksum(file, options).sha256 });
      } catch (error) {
        throw new Error(`${(error as Error).message} (the file is corrupt or not the official ${spec.title} file; delete it and load again, or pass verify: false to use it anyway)`);
      }
    }
    return { where, parsed };
  };
  const images = await read(imageSpec, IDX_IMAGES_MAGIC);
  const labels = await read(labelSpec, IDX_LABELS_MAGIC);
  if (images.parsed.itemShape.length !== 2) {
    throw new Error(`${images.where}: wrong shape: expected images of [rows, cols], the header gives [${images.parsed.itemShape.join(', ')}]`);
  }
  if (labels.parsed.itemShape.length !== 0) {
    throw new Error(`${labels.where}: wrong shape: expected one byte per label, the header gives items of [${labels.parsed.itemShape.join(', ')}]`);
  }
  if (images.parsed.count !== labels.parsed.count) {
    throw new Error(`${spec.title} (${split}): wrong count: ${images.where} has ${images.parsed.count} images but ${labels.where} has ${labels.parsed.count} labels`);
  }
  const bad = labels.parsed.data.findIndex((l) => l >= spec.classes.length);
  if (bad >= 0) throw new Error(`${labels.where}: bad label ${labels.parsed.data[bad]} at item ${bad}; expected 0-${spec.classes.length - 1}`);
  const [h, w] = images.parsed.itemShape;
  return {
    images: images.parsed.data,
    labels: labels.parsed.data,
    shape: [1, h, w] as const,
    classes: spec.classes,
    transform: options.transform,
    files: [images.where, labels.where],
  };
}

/**
 * The MNIST handwritten digits: 60,000 training and 10,000 test images, 1x28x28.
 *
 * @example
 * ```ts
 * const train = await MNIST.load({ train: true, download: true });
 * const [image, label] = train.get(0); // [1, 28, 28] float32, int32 scalar (5)
 * ```
 */
export class MNIST extends ImageDataset {
  static async load(options: VisionLoadOptions = {}): Promise<MNIST> {
    return new MNIST(await loadIdx(MNIST_SPEC, options));
  }
}

/**
 * Zalando's Fashion-MNIST: the MNIST format with ten kinds of clothing.
 *
 * @example
 * ```ts
 * const test = await FashionMNIST.load({ train: false });
 * test.classes[test.labels[0]]; // 'Ankle boot'
 * ```
 */
export class FashionMNIST extends ImageDataset {
  static async load(options: VisionLoadOptions = {}): Promise<FashionMNIST> {
    return new FashionMNIST(await loadIdx(FASHION_SPEC, options));
  }
}

// ---- CIFAR-10 and CIFAR-100 ----------------------------------------------------------------

interface CifarSpec {
  title: string;
  folder: string;
  archive: FileSpec & { url: string };
  train: readonly string[];
  test: readonly string[];
  parse(where: string, bytes: Uint8Array): { images: Uint8Array; labels: Uint8Array; count: number; coarseLabels?: Uint8Array };
}

const CIFAR10_SPEC: CifarSpec = {
  title: 'CIFAR10',
  folder: 'cifar-10-batches-bin',
  archive: {
    name: 'cifar-10-binary.tar.gz',
    url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
    sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd',
    md5: 'c32a1d4ab5d03f1284b67883e8d87530',
  },
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: ['test_batch.bin'],
  parse: parseCifarBatch,
};
const CIFAR_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

const CIFAR100_SPEC: CifarSpec = {
  title: 'CIFAR100',
  folder: 'cifar-100-binary',
  // The published md5 of the binary version (no sha256 is published).
  archive: { name: 'cifar-100-binary.tar.gz', url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz', md5: '03b5dce01913d631647c71ecec9e9cb8' },
  train: ['train.bin'],
  test: ['test.bin'],
  parse: parseCifar100Batch,
};
const CIFAR100_FINE = (
  'apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can castle caterpillar cattle ' +
  'chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard ' +
  'lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree ' +
  'plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper snail snake spider ' +
  'squirrel streetcar sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm'
).split(' ');
const CIFAR100_COARSE = (
  'aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices household_furniture insects large_carnivores ' +
  'large_man-made_outdoor_things large_natural_outdoor_scenes large_omnivores_and_herbivores medium_mammals non-insect_invertebrates people reptiles ' +
  'small_mammals trees vehicles_1 vehicles_2'
).split(' ');

/**
 * Download (unless already in the cache) and extract a CIFAR archive into
 * `cacheDir/<folder>/`. The archive is verified, then every batch is checked (present, a
 * whole number of records, labels in range) before anything is written, so a bad archive
 * leaves no batch files behind; each file is written to a temporary name and renamed.
 */
async function fetchCifar(spec: CifarSpec, cacheDir: string, options: VisionLoadOptions): Promise<void> {
  const name = spec.archive.name;
  const archive = path.join(cacheDir, name);
  const expected = expectedChecksum(spec.archive, options);
  const urls = options.mirrors ? options.mirrors.map((m) => m + name) : [spec.archive.url];
  const dir = path.join(cacheDir, spec.folder);
  let downloaded = false;
  if (!existsSync(archive)) {
    try {
      await downloadFromMirrors(urls, archive, { ...expected, progress: options.progress, label: name });
    } catch (error) {
      throw downloadError(
        spec.title,
        error,
        `download ${urls[0]} yourself and either extract it and pass the directory holding ${spec.folder}/ ` +
          `as { root: '/path/to/data' } or TENSILE_DATA, or put the archive itself at ${archive} and load again.`,
      );
    }
    downloaded = true;
  }
  // A bad archive we downloaded is removed; one found in the cache is the user's to delete.
  const reject = async (message: string, cause: unknown): Promise<Error> => {
    if (downloaded) await rm(archive, { force: true });
    const what = downloaded ? `the downloaded archive was removed` : `delete ${archive} and load again`;
    return new Error(`${spec.title}: ${message} (${what})`, { cause });
  };
  const bytes = await readFile(archive);
  if (!downloaded && (options.verify ?? true)) {
    try {
      verifyBytes(archive, bytes, expected);
    } catch (error) {
      throw await reject(`${(error as Error).message}; the file is corrupt or not the official ${name}`, error);
    }
  }
  const entries = new Map<string, Uint8Array>();
  try {
    for (const entry of tarEntries(archive, gunzipFile(archive, bytes))) {
      const base = path.posix.basename(entry.name);
      if (path.posix.dirname(entry.name) !== spec.folder || !/^[\w.-]+$/.test(base)) continue;
      entries.set(base, entry.data);
    }
    const batches = [...spec.train, ...spec.test];
    const missing = batches.filter((f) => !entries.has(f));
    if (missing.length) {
      throw new Error(`${archive}: missing files: the archive has no ${missing.map((f) => `${spec.folder}/${f}`).join(', ')}`);
    }
    for (const f of batches) spec.parse(`${archive}: ${spec.folder}/${f}`, entries.get(f)!);
  } catch (error) {
    throw await reject((error as Error).message, error);
  }
  await mkdir(dir, { recursive: true });
  for (const [base, data] of entries) {
    const temp = path.join(dir, `${base}.${process.pid}.${Date.now()}.part`);
    try {
      await writeFile(temp, data);
      await rename(temp, path.join(dir, base));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
  await rm(archive, { force: true });
}

/** Find (or download) and read the batches of `spec` for the chosen split. */
async function loadCifar(spec: CifarSpec, options: VisionLoadOptions) {
  const train = options.train ?? true;
  const split = train ? 'train' : 'test';
  const names = train ? spec.train : spec.test;
  const cacheDir = options.cacheDir ? path.resolve(options.cacheDir) : defaultCacheDir();
  const list = candidates(spec.folder, options, cacheDir);
  let dir = findDir(names, list);
  if (!dir) {
    const mirror = options.mirrors ? options.mirrors[0] + spec.archive.name : spec.archive.url;
    if (!options.download) throw missingError(spec.title, split, names, list, mirror, cacheDir);
    await fetchCifar(spec, cacheDir, options);
    dir = path.join(cacheDir, spec.folder);
    const missing = names.filter((f) => !existsSync(path.join(dir!, f)));
    if (missing.length) throw new Error(`${spec.title}: the archive ${spec.archive.name} did not contain ${missing.join(', ')}`);
  }
  const parts = [];
  const files: string[] = [];
  for (const name of names) {
    const where = path.join(dir, name);
    files.push(where);
    parts.push(spec.parse(where, await readFile(where)));
  }
  const count = parts.reduce((n, p) => n + p.count, 0);
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  const coarse = new Uint8Array(count);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * 3072);
    labels.set(p.labels, at);
    if (p.coarseLabels) coarse.set(p.coarseLabels, at);
    at += p.count;
  }
  return { dir, files, images, labels, coarse };
}

/**
 * CIFAR-10: 50,000 training and 10,000 test colour images, 3x32x32, read from the binary
 * batches (`data_batch_1.bin` ... `data_batch_5.bin`, `test_batch.bin`).
 *
 * @example
 * ```ts
 * const train = await CIFAR10.load({ download: true, transform: compose([randomCrop(32, 4), randomHorizontalFlip()]) });
 * ```
 */
export class CIFAR10 extends ImageDataset {
  static async load(options: VisionLoadOptions = {}): Promise<CIFAR10> {
    const { images, labels, files } = await loadCifar(CIFAR10_SPEC, options);
    return new CIFAR10({ images, labels, shape: [3, 32, 32], classes: CIFAR_CLASSES, transform: options.transform, files });
  }
}

/** The label names listed in `file` (one per line), or `fallback` when the file is absent. */
async function labelNames(file: string, fallback: readonly string[]): Promise<readonly string[]> {
  if (!existsSync(file)) return fallback;
  const names = (await readFile(file, 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (names.length !== fallback.length) throw new Error(`${file}: expected ${fallback.length} label names, found ${names.length}`);
  return names;
}

/**
 * CIFAR-100: 50,000 training and 10,000 test colour images, 3x32x32, in 100 classes (the
 * item label) grouped in 20 superclasses (`coarseLabels`, `coarseClasses`), read from the
 * binary version (`cifar-100-binary/train.bin`, `test.bin`; records of a coarse label byte,
 * a fine label byte and 3072 pixel bytes). Downloads are checked against the published md5.
 *
 * @example
 * ```ts
 * const train = await CIFAR100.load({ download: true });
 * const [image, label] = train.get(0); // [3, 32, 32], fine label (0-99)
 * train.coarseClasses[train.coarseLabels[0]]; // its superclass
 * ```
 */
export class CIFAR100 extends ImageDataset {
  /** The superclass (0-19) of each image. */
  get coarseLabels(): Uint8Array {
    return this.extraLabels.coarse;
  }

  /** The 20 superclass names. */
  coarseClasses: readonly string[] = CIFAR100_COARSE;

  static async load(options: VisionLoadOptions = {}): Promise<CIFAR100> {
    const { dir, images, labels, coarse, files } = await loadCifar(CIFAR100_SPEC, options);
    const classes = await labelNames(path.join(dir, 'fine_label_names.txt'), CIFAR100_FINE);
    const dataset = new CIFAR100({ images, labels, shape: [3, 32, 32], classes, transform: options.transform, files, extraLabels: { coarse } });
    dataset.coarseClasses = await labelNames(path.join(dir, 'coarse_label_names.txt'), CIFAR100_COARSE);
    return dataset;
  }
}
