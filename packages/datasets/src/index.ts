/**
 * @tensile/datasets: datasets and data loading for Tensile.
 *
 * @example
 * ```ts
 * import * as tl from '@tensile/core';
 * import '@tensile/backend-cpu';
 * import { DataLoader, MNIST } from '@tensile/datasets';
 *
 * const train = await MNIST.load({ train: true, download: true });
 * const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 0 });
 * for await (const [images, labels] of loader) {
 *   // images: [64, 1, 28, 28] float32 in [0, 1]; labels: [64] int32
 * }
 * ```
 */
export {
  type Dataset,
  type BatchDataset,
  type HostDataset,
  type WorkerInfo,
  TensorDataset,
  Subset,
  ConcatDataset,
  IterableDataset,
  ChainDataset,
  randomSplit,
  getWorkerInfo,
  hasGetBatch,
} from './dataset.js';
export { DataLoader, type DataLoaderOptions, type CollateFn } from './dataloader.js';
export { defaultCollate, collate, defaultConvert, padSequence, type Batch, type PadSequenceOptions } from './collate.js';
export {
  SequentialSampler,
  RandomSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
  BatchSampler,
  DistributedSampler,
  type Sampler,
  type RandomSamplerOptions,
  type WeightedRandomSamplerOptions,
  type DistributedSamplerOptions,
} from './sampler.js';
export { type WorkerRecipe, type HasWorkerRecipe } from './recipe.js';
export { type WorkerSettings } from './worker-pool.js';
export { hostTensor, fromHost, toHost, type HostTensor } from './host.js';
export { Rng } from './rng.js';
export {
  normalize,
  resize,
  centerCrop,
  pad,
  grayscale,
  toTensor,
  randomCrop,
  randomHorizontalFlip,
  randomVerticalFlip,
  randomResizedCrop,
  randomResizedCropParams,
  colorJitter,
  randomRotation,
  randomAffine,
  gaussianBlur,
  randomErasing,
  randomGrayscale,
  compose,
  randomApply,
  randomChoice,
  randomOrder,
  type Transform,
  type ImageTransform,
  type AnyTransform,
  type RandomOptions,
  type RandomCropOptions,
  type RandomResizedCropOptions,
  type ColorJitterOptions,
  type RandomRotationOptions,
  type RandomAffineOptions,
  type RandomErasingOptions,
} from './transforms.js';
export type { ImageArray, Image, Interpolation, PaddingMode } from './image.js';
export * as functional from './functional.js';
export type { ResizeOptions, PadOptions, RotateOptions, AffineOptions, PixelArray } from './functional.js';
export { DatasetFilesMissingError, ImageDataset, MNIST, FashionMNIST, CIFAR10, CIFAR100, KNOWN_FILES, type VisionLoadOptions } from './vision.js';
export { ImageFolder, IMG_EXTENSIONS, type ImageFolderOptions } from './folder.js';
export { decodeImage } from './decode.js';
export { downloadFile, downloadFromMirrors, defaultCacheDir, verifyBytes, type Checksum, type DownloadOptions } from './download.js';
/** Re-exported from @tensile/core, where every package's progress bar now lives. */
export { ProgressBar, type ProgressOptions } from '@tensile/core';
export { gunzipFile, parseIdx, parseCifarBatch, parseCifar100Batch, tarEntries, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, CIFAR_RECORD_BYTES, CIFAR100_RECORD_BYTES, type IdxArray } from './formats.js';
