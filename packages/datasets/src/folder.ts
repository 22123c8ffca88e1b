/** ImageFolder: a dataset of image files laid out one folder per class, as torchvision's. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { checkIndex, type Dataset, type HostDataset } from './dataset.js';
import { decodeImage } from './decode.js';
import { toImageArray, type PixelArray } from './functional.js';
import { fromHost, hostTensor, type HostTensor } from './host.js';
import { isImageArray, type ImageArray } from './image.js';
import { hasWorkerRecipe, nestedRecipe, type WorkerRecipe } from './recipe.js';
import type { Rng } from './rng.js';
import { checkOptions, describe } from './sampler.js';

/** The file extensions torchvision's ImageFolder accepts (compared in lower case). */
export const IMG_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'];

export interface ImageFolderOptions<Target = Tensor> {
  /** Applied to each image (an ImageArray, float32 [3, H, W] in [0, 1]); may return a tensor. */
  transform?: (image: ImageArray, rng?: Rng) => ImageArray | Tensor;
  /** Applied to each class index; the item's label is what it returns. Default: an int32 scalar tensor. */
  targetTransform?: (target: number) => Target;
  /**
   * Reads one file into an image: an ImageArray, or bytes H x W x C (`{ data, width,
   * height, channels }`). Default: Tensile's decoder for PNG, BMP and PPM/PGM, in RGB.
   */
  loader?: (file: string) => ImageArray | PixelArray;
  /** Accepted extensions (case-insensitive). Default IMG_EXTENSIONS. Excludes `isValidFile`. */
  extensions?: readonly string[];
  /** Decides which files are samples instead of `extensions`. */
  isValidFile?: (file: string) => boolean;
}

/** Every file under `dir` (following links), sorted as Python's sorted(os.walk(...)) then file names. */
function walk(dir: string): string[] {
  const groups: [string, string[]][] = [];
  const visit = (d: string, seen: Set<string>) => {
    const files: string[] = [];
    const subdirs: string[] = [];
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      const isDir = entry.isDirectory() || (entry.isSymbolicLink() && statSync(full, { throwIfNoEntry: false })?.isDirectory());
      if (isDir) subdirs.push(full);
      else files.push(entry.name);
    }
    groups.push([d, files.sort()]);
    for (const s of subdirs) {
      if (seen.has(s)) continue;
      visit(s, new Set([...seen, s]));
    }
  };
  visit(dir, new Set([dir]));
  groups.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return groups.flatMap(([d, files]) => files.map((f) => path.join(d, f)));
}

/**
 * Images in `root/<class>/**` with the class folder as the label, as torchvision's
 * `ImageFolder`: classes are the sorted folder names, samples are sorted by class then
 * path, and a class folder without a valid file is an error. Items are
 * `[image float32 [3, H, W] in [0, 1], label int32 scalar]` after `transform`; images of
 * different sizes need a transform that gives them one size (e.g. `resize` then `centerCrop`)
 * before the default collate can stack them.
 *
 * PNG, BMP and PPM/PGM files are decoded without any dependency; pass a `loader` for JPEG
 * and other formats.
 *
 * @example
 * ```ts
 * const train = new ImageFolder('data/train', { transform: compose([resize(256), centerCrop(224), normalize(MEAN, STD)]) });
 * train.classes; // ['cat', 'dog']
 * const loader = new DataLoader(train, { batchSize: 32, shuffle: true, numWorkers: 4 });
 * ```
 */
export class ImageFolder<Target = Tensor> implements Dataset<[Tensor, Target]>, HostDataset {
  readonly root: string;
  /** The class names: the sorted names of the folders in `root`. */
  readonly classes: readonly string[];
  /** Class name to index. */
  readonly classToIdx: Readonly<Record<string, number>>;
  /** `[path, classIndex]` for every image. */
  readonly samples: readonly (readonly [string, number])[];
  /** The class index of every image. */
  readonly targets: readonly number[];
  transform: ImageFolderOptions['transform'];
  targetTransform: ImageFolderOptions<Target>['targetTransform'];
  private readonly loader: ImageFolderOptions['loader'];
  private readonly options: ImageFolderOptions<Target>;

  constructor(root: string, options: ImageFolderOptions<Target> = {}) {
    if (typeof root !== 'string' || root === '') throw new TypeError(`ImageFolder: root must be a directory path, got ${describe(root)}`);
    checkOptions('ImageFolder', options, ['transform', 'targetTransform', 'loader', 'extensions', 'isValidFile'], {
      target_transform: 'targetTransform',
      is_valid_file: 'isValidFile',
    });
    for (const key of ['transform', 'targetTransform', 'loader', 'isValidFile'] as const) {
      if (options[key] !== undefined && typeof options[key] !== 'function') throw new TypeError(`ImageFolder: ${key} must be a function, got ${describe(options[key])}`);
    }
    if (options.extensions !== undefined && options.isValidFile !== undefined) {
      throw new Error('ImageFolder: pass extensions or isValidFile, not both');
    }
    const extensions = (options.extensions ?? IMG_EXTENSIONS).map((e) => e.toLowerCase());
    const valid = options.isValidFile ?? ((file: string) => extensions.some((e) => file.toLowerCase().endsWith(e)));
    const dir = path.resolve(root);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      throw new Error(`ImageFolder: cannot read ${dir}: ${(error as Error).message}`, { cause: error });
    }
    const classes = entries
      .filter((e) => e.isDirectory() || (e.isSymbolicLink() && statSync(path.join(dir, e.name), { throwIfNoEntry: false })?.isDirectory()))
      .map((e) => e.name)
      .sort();
    if (classes.length === 0) throw new Error(`ImageFolder: couldn't find any class folder in ${dir}`);
    const samples: [string, number][] = [];
    const empty: string[] = [];
    classes.forEach((name, index) => {
      const files = walk(path.join(dir, name)).filter((f) => valid(f));
      if (files.length === 0) empty.push(name);
      for (const f of files) samples.push([f, index]);
    });
    if (empty.length) {
      const what = options.isValidFile ? 'accepted by isValidFile' : `with the extensions ${extensions.join(', ')}`;
      throw new Error(`ImageFolder: found no valid file for the classes ${empty.join(', ')} in ${dir} (looked for files ${what})`);
    }
    this.root = dir;
    this.classes = classes;
    this.classToIdx = Object.fromEntries(classes.map((c, i) => [c, i]));
    this.samples = samples;
    this.targets = samples.map(([, t]) => t);
    this.transform = options.transform;
    this.targetTransform = options.targetTransform;
    this.loader = options.loader;
    this.options = options;
  }

  get length(): number {
    return this.samples.length;
  }

  /** Image `index` as an ImageArray, before the transform. */
  loadImage(index: number): ImageArray {
    const i = checkIndex('ImageFolder.loadImage', index, this.length);
    const file = this.samples[i][0];
    const loaded = this.loader ? this.loader(file) : decodeImage(file, readFileSync(file));
    if (isImageArray(loaded)) return loaded;
    const p = loaded as Partial<PixelArray> | null;
    if (!p || !(p.data instanceof Uint8Array || p.data instanceof Uint8ClampedArray) || typeof p.width !== 'number' || typeof p.height !== 'number') {
      throw new TypeError(`ImageFolder: the loader returned ${describe(loaded)} for ${file}; expected an ImageArray or { data: Uint8Array, width, height, channels }`);
    }
    return toImageArray(p as PixelArray);
  }

  private image(i: number, rng: Rng | undefined): ImageArray | Tensor {
    const image = this.loadImage(i);
    return this.transform ? this.transform(image, rng) : image;
  }

  get(index: number, rng?: Rng): [Tensor, Target] {
    const i = checkIndex('ImageFolder.get', index, this.length);
    const image = this.image(i, rng);
    const x = image instanceof tl.Tensor ? image : fromHost(hostTensor(image.data, [image.channels, image.height, image.width]));
    const target = this.samples[i][1];
    return [x, this.targetTransform ? this.targetTransform(target) : (tl.tensor(target, { dtype: 'int32' }) as Target)];
  }

  /** Item `index` as host tensors (for worker threads). */
  getHost(index: number, rng?: Rng): [HostTensor, unknown] {
    const i = checkIndex('ImageFolder.get', index, this.length);
    const image = this.image(i, rng);
    if (image instanceof tl.Tensor) throw new Error('ImageFolder: the transform returned a tensor; in a worker thread keep image arrays (drop toTensor: the dataset makes tensors itself)');
    const target = this.samples[i][1];
    return [hostTensor(image.data, [image.channels, image.height, image.width]), this.targetTransform ? this.targetTransform(target) : hostTensor(Int32Array.of(target), [], 'int32')];
  }

  /** Rebuilt in each worker from the root folder and the options (functions need their own recipes). */
  async workerRecipe(): Promise<WorkerRecipe> {
    const o = this.options;
    const args: Record<string, unknown> = {};
    if (o.extensions) args.extensions = [...o.extensions];
    for (const key of ['transform', 'targetTransform', 'loader', 'isValidFile'] as const) {
      const fn = key === 'transform' ? this.transform : key === 'targetTransform' ? this.targetTransform : o[key];
      if (fn === undefined) continue;
      if (!hasWorkerRecipe(fn)) {
        throw new Error(`ImageFolder: the ${key} (${describe(fn)}) cannot be rebuilt in a worker thread: it has no workerRecipe(); use numWorkers: 0, or give it one`);
      }
      args[key] = await nestedRecipe(fn, `ImageFolder: the ${key}`);
    }
    return { module: import.meta.url, export: 'createImageFolder', args: [this.root, args] };
  }
}

/** @internal The worker recipe's factory for ImageFolder. */
export function createImageFolder(root: string, options: ImageFolderOptions<unknown>): ImageFolder<unknown> {
  return new ImageFolder(root, options);
}
