/** What a workload file exports: cases, each with a Tensile and a tfjs implementation. */
import type * as TL from '@tensile/core';
import type * as TF from '@tensorflow/tfjs-core';
import type { Runner } from '../harness.js';

export type Tl = typeof TL;
export type Tf = typeof TF;

/**
 * How a case's time is reported. Rates are `perRun / seconds` (GFLOP/s counts 1e9 flops,
 * GB/s 1e9 bytes, steps/s one training step, tokens/s one token); `ms` reports the time itself.
 */
export type Metric = { unit: 'GFLOP/s' | 'GB/s' | 'steps/s' | 'tokens/s'; perRun: number } | { unit: 'ms' };

export interface PeerContext {
  tf: Tf;
  /** Read results with `dataSync()` (cpu, wasm) rather than `await data()`. */
  syncRead: boolean;
  /** The Tensile run's wasm thread count (0 on other backends), for a case's own peer. */
  threads: number;
}

/**
 * A peer that a case names for itself, in place of the backend's tfjs peer (src/peers.ts):
 * onnxruntime-node for the ONNX rows. Its `CaseInstance.peer` loads and runs it (`ctx.tf`
 * unused); a set-up error is reported in the peer column. Its tensors are not counted.
 */
export interface OwnPeer {
  /** Label for the table's peer column, for a run with `threads` wasm threads: "ort-cpu 2t". */
  label(threads: number): string;
}

/** One case's data and its two implementations, made by `Case.init()` and dropped after it. */
export interface CaseInstance {
  /** Set up inputs/parameters on Tensile device `device` (the current backend). */
  tensile(tl: Tl, device: string): Runner | Promise<Runner>;
  /**
   * Set up the same inputs/parameters in tfjs (the current tfjs backend), or in the case's own
   * peer. Not called where `Case.noPeer` gives a reason (and may then be left out).
   */
  peer?(ctx: PeerContext): Runner | Promise<Runner>;
  /** Reorder the peer's first output to Tensile's layout (NHWC → NCHW) for the agreement check. */
  peerToTensile?(output: ArrayLike<number>): ArrayLike<number>;
}

export interface Case {
  /** Stable id, used by --filter and in JSON: "matmul/1024". */
  id: string;
  /** Workload family: matmul, conv2d, elementwise, reduce, softmax, mlp, cnn. */
  family: string;
  /** Row label for the table: "matmul 1024x1024". */
  title: string;
  metric: Metric;
  /** Part of the `--quick` run. */
  quick: boolean;
  /** Agreement tolerance for the relative difference between the two first outputs. */
  tolerance: number;
  /**
   * Called before the peer side runs with the results measured so far (id → peer median
   * ms); returns a reason to skip the peer (too slow to run at all), or undefined.
   */
  skipPeer?(peerMedianMs: (id: string) => number | undefined): string | undefined;
  /** Compare with this peer instead of the backend's tfjs peer. */
  ownPeer?: OwnPeer;
  /**
   * Why the case has no peer on Tensile backend `backend` (undefined: it has one): the row is
   * Tensile only, its peer column reads "none" and the reason is printed under the table.
   */
  noPeer?(backend: string): string | undefined;
  /**
   * The Tensile backends the case runs on (default: every one), and a note for the others
   * ("too slow on cpu"), printed under the table when the case is skipped.
   */
  backends?: { only: readonly string[]; note: string };
  init(): CaseInstance;
}

/** Tensile tensor from host data: flat copy, then a reshape view. */
export function tlFrom(tl: Tl, data: Float32Array | Int32Array, shape: number[], device: string, requiresGrad = false): TL.Tensor {
  const flat = tl.tensor(data, { device });
  const t = flat.reshape(shape);
  flat.dispose();
  if (requiresGrad) t.requiresGrad_(true);
  return t;
}

/** A Runner that computes one tensor under `tidy` and reads it back with `await data()`. */
export function tlForward(tl: Tl, compute: () => TL.Tensor, owned: TL.Tensor[]): Runner {
  return {
    async run() {
      const out = tl.tidy(compute);
      const values = await out.data();
      out.dispose();
      return values;
    },
    dispose() {
      for (const t of owned) t.dispose();
    },
  };
}

/** A Runner that computes one tensor under `tf.tidy` and reads it back (dataSync where possible). */
export function tfForward(ctx: PeerContext, compute: () => TF.Tensor, owned: TF.Tensor[]): Runner {
  const { tf } = ctx;
  return {
    async run() {
      const out = tf.tidy(compute);
      const values = ctx.syncRead ? out.dataSync() : await out.data();
      out.dispose();
      return values as ArrayLike<number>;
    },
    dispose() {
      for (const t of owned) t.dispose();
    },
  };
}

/** A tfjs variable holding `initial`'s values; `initial` itself is disposed. */
export function tfVariable(tf: Tf, initial: TF.Tensor): TF.Variable {
  const v = tf.variable(initial);
  initial.dispose();
  return v;
}
