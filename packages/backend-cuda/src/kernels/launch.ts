/**
 * What every family file launches through: the addon, the device, one reusable argument
 * block per struct, and the grid of a grid-stride loop. Pure host code, tested on a fake addon.
 */
import { CORE_DTYPES, DTYPE_CODES, kernelDTypes, type CoreDType, type DType } from '@tensile/core';
import type { DeviceInfo, NativeModule } from '../native.js';
import { ArgBlock, MAX_DIMS, type StructName } from '../params.js';

/**
 * A kernel as the addon files it: its family (`'unary'`, `'matmulTf32'`, `'gather'`, ...),
 * an op code within the family (the op table's code for unary, binary, reduce and
 * argReduce; the target dtype's code for cast; 0 elsewhere) and its input dtype. The addon
 * looks kernels up by these codes, never by an op's name.
 */
export interface KernelRef {
  readonly family: string;
  readonly op: number;
  readonly dtype: DType;
}

/**
 * The dtypes core sends the kernel of an op with these rules (`kernelDTypes`), of those this
 * backend holds: float16 never reaches it (it has no supportsDType).
 */
export function dtypesSent(facts: { float: string; int: string; bool: string }): CoreDType[] {
  const sent = kernelDTypes(facts);
  return CORE_DTYPES.filter((d) => sent.includes(d));
}

/** Threads per block of the grid-stride kernels (elementwise, pool, indexing, random). */
export const BLOCK = 256;
/** Cap on blocks of a grid-stride loop (enough to fill any GPU; the loop covers the rest). */
export const MAX_GRID_BLOCKS = 1 << 20;
/** CUDA's limit on gridDim.y and gridDim.z. */
export const MAX_GRID_YZ = 65535;

/** Blocks for a grid-stride loop over `n` items with `block` threads each. */
export function gridFor(n: number, block = BLOCK): number {
  return Math.max(1, Math.min(Math.ceil(n / block), MAX_GRID_BLOCKS));
}

/** Throw when a (merged) walk needs more dims than the kernels index. */
export function checkRank(rank: number, kernel: string): void {
  if (rank > MAX_DIMS) {
    throw new Error(`cuda backend: ${kernel} needs ${rank} non-mergeable dims; the kernels index at most ${MAX_DIMS}`);
  }
}

export class Launcher {
  private readonly blocks = new Map<StructName, ArgBlock<StructName>>();

  constructor(
    readonly native: NativeModule,
    readonly device: DeviceInfo,
    /** Whether matmul and convolutions may use TF32 tensor cores, read at each launch. */
    readonly allowTF32: () => boolean,
  ) {}

  /** The reusable argument block of a struct, zeroed (the addon copies it at launch). */
  args<S extends StructName>(struct: S): ArgBlock<S> {
    let block = this.blocks.get(struct);
    if (!block) this.blocks.set(struct, (block = new ArgBlock(struct)));
    return (block as ArgBlock<S>).reset();
  }

  launch(kernel: KernelRef, grid: readonly [number, number, number], block: number, args: ArgBlock<StructName>): void {
    this.native.launch(kernel.family, kernel.op, DTYPE_CODES[kernel.dtype], grid[0], grid[1], grid[2], block, 1, 1, 0, args.bytes);
  }
}
