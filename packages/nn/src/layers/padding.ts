/**
 * Padding layers: `ZeroPad1d/2d`, `ConstantPad1d/2d`, `ReflectionPad1d/2d`,
 * `ReplicationPad1d/2d` and `CircularPad1d/2d`, each `F.pad` with fixed amounts.
 */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import type { PadMode } from '../functional/padding.js';
import { Module } from '../module.js';
import { pyFloat } from './util.js';

/** What the padding layers share: `[left, right]` (1-D) or `[left, right, top, bottom]` (2-D). */
export abstract class PadBase extends Module {
  readonly padding: number[];
  protected abstract readonly mode: PadMode;
  protected readonly value: number = 0;

  constructor(padding: number | readonly number[], dims: number) {
    super();
    const p = typeof padding === 'number' ? new Array<number>(2 * dims).fill(padding) : [...padding];
    if (p.length !== 2 * dims || !p.every(Number.isInteger)) {
      throw new Error(`${new.target.name}: padding must be an integer or ${2 * dims} integers, got ${JSON.stringify(padding)}`);
    }
    this.padding = p;
  }

  forward(x: Tensor): Tensor {
    return F.pad(x, this.padding, this.mode, this.mode === 'constant' ? this.value : null);
  }

  override extraRepr(): string {
    return `(${this.padding.join(', ')})`;
  }
}

/** A padding layer of the last dim: `[left, right]`, or one number for both. */
abstract class Pad1d extends PadBase {
  constructor(padding: number | readonly [number, number]) {
    super(padding, 1);
  }
}

/** A padding layer of the last two dims: `[left, right, top, bottom]`, or one number for all four. */
abstract class Pad2d extends PadBase {
  constructor(padding: number | readonly [number, number, number, number]) {
    super(padding, 2);
  }
}

/** What `ConstantPad1d` and `ConstantPad2d` share: the fill `value`, which their repr shows. */
abstract class ConstantPadNd extends PadBase {
  protected readonly mode = 'constant' as const;
  protected override readonly value: number;

  constructor(padding: number | readonly number[], dims: number, value: number) {
    super(padding, dims);
    this.value = value;
  }

  override extraRepr(): string {
    return `padding=(${this.padding.join(', ')}), value=${pyFloat(this.value)}`;
  }
}

/**
 * Zero padding of the last dim.
 *
 * @example
 * ```ts
 * new ZeroPad1d([1, 2]).forward(tl.ones([1, 2, 3])); // [1, 2, 6]
 * ```
 */
export class ZeroPad1d extends Pad1d {
  protected readonly mode = 'constant' as const;
}

/**
 * Zero padding of the last two dims.
 *
 * @example
 * ```ts
 * new ZeroPad2d(1).forward(tl.ones([1, 1, 3, 3])); // [1, 1, 5, 5]
 * ```
 */
export class ZeroPad2d extends Pad2d {
  protected readonly mode = 'constant' as const;
}

/**
 * Constant padding of the last dim with `value`.
 *
 * @example
 * ```ts
 * new ConstantPad1d(2, 3.5).forward(x);
 * ```
 */
export class ConstantPad1d extends ConstantPadNd {
  constructor(padding: number | readonly [number, number], value: number) {
    super(padding, 1, value);
  }
}

/**
 * Constant padding of the last two dims with `value`.
 *
 * @example
 * ```ts
 * new ConstantPad2d([1, 1, 2, 0], -1).forward(x);
 * ```
 */
export class ConstantPad2d extends ConstantPadNd {
  constructor(padding: number | readonly [number, number, number, number], value: number) {
    super(padding, 2, value);
  }
}

/**
 * Reflection padding (mirror, without the edge) of the last dim.
 *
 * @example
 * ```ts
 * new ReflectionPad1d(2).forward(x);
 * ```
 */
export class ReflectionPad1d extends Pad1d {
  protected readonly mode = 'reflect' as const;
}

/**
 * Reflection padding of the last two dims.
 *
 * @example
 * ```ts
 * new ReflectionPad2d(1).forward(images);
 * ```
 */
export class ReflectionPad2d extends Pad2d {
  protected readonly mode = 'reflect' as const;
}

/**
 * Replication padding (the edge repeated) of the last dim.
 *
 * @example
 * ```ts
 * new ReplicationPad1d(2).forward(x);
 * ```
 */
export class ReplicationPad1d extends Pad1d {
  protected readonly mode = 'replicate' as const;
}

/**
 * Replication padding of the last two dims.
 *
 * @example
 * ```ts
 * new ReplicationPad2d(1).forward(images);
 * ```
 */
export class ReplicationPad2d extends Pad2d {
  protected readonly mode = 'replicate' as const;
}

/**
 * Circular padding (wrapping around) of the last dim.
 *
 * @example
 * ```ts
 * new CircularPad1d(1).forward(x);
 * ```
 */
export class CircularPad1d extends Pad1d {
  protected readonly mode = 'circular' as const;
}

/**
 * Circular padding of the last two dims.
 *
 * @example
 * ```ts
 * new CircularPad2d(1).forward(images);
 * ```
 */
export class CircularPad2d extends Pad2d {
  protected readonly mode = 'circular' as const;
}
