/**
 * Recording one forward pass as a list of ops, for exporters (`exportOnnx`). While a trace
 * runs, with grad mode on or off, every op that records itself on the tape, and the few that
 * never do (comparisons, integer casts, arg-reductions, pooling indices), reports its name,
 * inputs, outputs and attributes. An op with several results (sort's values and indices,
 * cummax's) is reported once with all of them.
 * Ops that run inside another op (`withinOp`: composites, custom ops) are not reported:
 * their outer op is. Values that no reported op made (parameters, inputs, constants) come
 * first as inputs of an op; an exporter names them.
 */
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad-mode.js';

/** One op of a trace; tensors are value ids of the trace. */
export interface TracedOp {
  readonly op: string;
  /** Value ids; null where an optional input is absent. */
  readonly inputs: readonly (number | null)[];
  readonly outputs: readonly number[];
  /** The op's settings (dims, strides, ...): what its inputs' shapes do not say. */
  readonly attrs: Readonly<Record<string, unknown>>;
}

/** What an op adds to its tape record for a trace. */
export interface TraceInfo {
  /** Every input, when the tape's list leaves some out (a mask, an index). */
  inputs?: readonly (Tensor | null)[];
  attrs?: Readonly<Record<string, unknown>>;
  /** The output was reported already, by the ops that made it: the record adds only a gradient. */
  reported?: boolean;
}

/** The ops of one `trace` call and the tensors behind its value ids. */
export class Trace {
  readonly ops: TracedOp[] = [];
  /** A handle on each value as it was when first seen, kept alive until `dispose`. */
  private readonly handles: Tensor[] = [];
  /** Value id by storage, then by view (dtype, offset, shape, strides): handles on one view are one value. */
  private readonly views = new Map<object, Map<string, number>>();
  private disposed = false;

  /** The value id of `t`; a view first seen here gets a new id. */
  idOf(t: Tensor): number {
    return this.views.get(t.storage)?.get(viewKey(t)) ?? this.define(t);
  }

  /** The tensor behind value `id` (owned by the trace: do not dispose it). */
  tensorOf(id: number): Tensor {
    const t = this.handles[id];
    if (!t) throw new Error(`trace: no value ${id}`);
    return t;
  }

  /** Release every handle the trace keeps. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.handles.forEach((t) => t.dispose());
    this.views.clear();
  }

  /** @internal Report one op: its outputs become new values, even on a view seen before (an in-place op). */
  record(op: string, inputs: readonly (Tensor | null)[], outputs: readonly Tensor[], attrs: Readonly<Record<string, unknown>> = {}): void {
    const ins = inputs.map((t) => (t ? this.idOf(t) : null));
    this.ops.push({ op, inputs: ins, outputs: outputs.map((t) => this.define(t)), attrs });
  }

  private define(t: Tensor): number {
    const id = this.handles.length;
    this.handles.push(t.internalAlias());
    let byView = this.views.get(t.storage);
    if (!byView) this.views.set(t.storage, (byView = new Map()));
    byView.set(viewKey(t), id);
    return id;
  }
}

function viewKey(t: Tensor): string {
  return `${t.dtype}|${t.offset}|${t.shape.join(',')}|${t.strides.join(',')}`;
}

let active: Trace | null = null;

/**
 * Run `fn` (synchronously) and record the ops it runs, as `torch.jit.trace` records them:
 * under `noGrad` too, since grad mode changes gradients, not values (a mask made under
 * `noGrad` is part of the forward). Values read to the host and used as numbers are
 * constants to the trace. The caller disposes the trace.
 */
export function trace<T>(fn: (trace: Trace) => T): { result: T; trace: Trace } {
  if (active) throw new Error('trace: a trace is already running (traces do not nest)');
  const t = new Trace();
  active = t;
  try {
    const result = fn(t);
    if (result instanceof Promise) throw new Error('trace: the traced function must be synchronous (it returned a Promise)');
    return { result, trace: t };
  } catch (e) {
    t.dispose();
    throw e;
  } finally {
    active = null;
  }
}

/**
 * Whether a `trace` is running (and not suspended by `withinOp`): code whose host-side
 * computation would become a constant with a baked shape (positions or masks built as
 * number arrays) can compute it with tensor ops instead while it is traced, and stay as
 * it is otherwise.
 *
 * @example
 * ```ts
 * tl.autograd.isTracing(); // false
 * tl.autograd.trace(() => tl.autograd.isTracing()).result; // true
 * ```
 */
export function isTracing(): boolean {
  return active !== null;
}

/** Report an op to the running trace, if any (a no-op otherwise). */
export function traceOp(op: string, inputs: readonly (Tensor | null)[], outputs: readonly Tensor[], attrs?: Readonly<Record<string, unknown>>): void {
  if (active) active.record(op, inputs, outputs, attrs);
}

/**
 * Run an op's building blocks (a composite's ops, a custom op's forward): gradient recording
 * off, and not reported to a running trace, since the op reports itself. User code's
 * `noGrad` is reported: it changes gradients, not the values a graph computes.
 */
export function withinOp<T>(fn: () => T): T {
  const outer = active;
  active = null;
  try {
    return noGrad(fn);
  } finally {
    active = outer;
  }
}
