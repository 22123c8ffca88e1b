/** `F.pad` with PyTorch's signature and modes. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { checkChoice } from '../options.js';
import { int32, shape } from './common.js';

/** How `pad` fills: a constant, the mirror image without the edge, the edge repeated, or wrapped around. */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

const MODES: readonly PadMode[] = ['constant', 'reflect', 'replicate', 'circular'];

/** Where output position `o` of a padded dim of `size` reads from, by mode. */
function source(mode: Exclude<PadMode, 'constant'>, i: number, size: number): number {
  switch (mode) {
    case 'reflect':
      return i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i;
    case 'replicate':
      return Math.min(Math.max(i, 0), size - 1);
    case 'circular':
      return ((i % size) + size) % size;
  }
}

/**
 * Pad `x` as PyTorch's `F.pad(input, pad, mode='constant', value=0)`: `pad` lists
 * `[left, right]` for the last dim, then `[top, bottom]` for the one before, and so on
 * (negative amounts crop). `'constant'` fills with `value`; `'reflect'` mirrors without
 * repeating the edge (each amount below the dim's size), `'replicate'` repeats the edge and
 * `'circular'` wraps around (each amount at most the dim's size). Gradients flow back to
 * every element that was copied.
 *
 * @example
 * ```ts
 * F.pad(x, [1, 1]);                 // one zero on each side of the last dim
 * F.pad(images, [2, 2, 2, 2], 'reflect');
 * F.pad(x, [0, 3], 'constant', -1);
 * ```
 */
export function pad(x: Tensor, pad: readonly number[], mode: PadMode = 'constant', value: number | null = null): Tensor {
  if (!(x instanceof tl.Tensor)) throw new TypeError(`pad: expected a tensor, got ${x === null ? 'null' : typeof x}`);
  if (typeof mode === 'number') {
    throw new TypeError(`pad: the third argument is the mode ('constant', 'reflect', 'replicate' or 'circular'), got the number ${mode}; pass the fill value fourth: F.pad(x, pad, 'constant', ${mode})`);
  }
  checkChoice('pad', 'mode', mode, MODES);
  if (!Array.isArray(pad) || pad.length % 2 !== 0 || pad.length / 2 > x.rank || !pad.every((p) => Number.isInteger(p))) {
    throw new Error(`pad: padding length must be divisible by 2 and hold integers for at most ${x.rank} dims, got ${JSON.stringify(pad)}`);
  }
  if (value !== null && value !== undefined && typeof value !== 'number') throw new TypeError(`pad: value must be a number, got ${JSON.stringify(value)}`);
  if (mode === 'constant') return tl.pad(x, pad, value ?? 0);
  if (value !== null && value !== undefined && value !== 0) throw new Error(`pad: padding mode '${mode}' doesn't take in value argument`);
  // Each dim's copy is owned: a bad pad for a later dim leaves nothing half-padded behind.
  return tl.owned((own) => {
    let out = own(x.cast(x.dtype));
    for (let p = 0; p < pad.length / 2; p++) {
      const dim = x.rank - 1 - p;
      const before = pad[2 * p];
      const after = pad[2 * p + 1];
      if (before === 0 && after === 0) continue;
      const size = x.shape[dim];
      const length = size + before + after;
      if (length < 0) throw new Error(`pad: padding ${JSON.stringify(pad)} crops dim ${dim} of ${shape(x.shape)} below zero`);
      if (mode === 'reflect' && (before >= size || after >= size)) {
        throw new Error(`pad: argument (${before}, ${after}) should be less than the size ${size} of dim ${dim} of ${shape(x.shape)} for reflect padding`);
      }
      if (mode === 'circular' && (before > size || after > size)) {
        throw new Error(`pad: padding (${before}, ${after}) of dim ${dim} should be at most its size ${size} for circular padding`);
      }
      if (size === 0) throw new Error(`pad: cannot ${mode}-pad dim ${dim} of size 0 in ${shape(x.shape)}`);
      const index = Array.from({ length }, (_, o) => source(mode, o - before, size));
      const next = own(out.indexSelect(dim, own(int32(index, x.device))));
      out.dispose(); // the previous dim's copy, freed early (owned as well)
      out = next;
    }
    return out;
  });
}
