/**
 * A recorded operation in the dynamic graph: the inputs' nodes (edges towards the leaves),
 * the tensors its backward pass needs, and the backward function itself. Nodes hold their
 * own references to saved tensors, so users may dispose intermediates freely; the references
 * go when the graph is consumed by `backward` (unless `retainGraph`) or garbage collected.
 *
 * Most ops have one output, and the gradient arriving at a node is the gradient of that
 * output. An op with several outputs records one `MultiOutputNode` and, per output, an
 * `OutputNode` that routes that output's gradient into its slot.
 */
import type { Tensor } from '../tensor/tensor.js';
import { forwardStack } from './anomaly.js';

/** Gradients for each input (null where an input needs none), given the output's gradient. */
export type BackwardFn = (grad: Tensor, saved: Tensor[], needsGrad: boolean[]) => (Tensor | null)[];

/** Gradients for each input, given each output's gradient (null for an output that got none). */
export type MultiBackwardFn = (grads: (Tensor | null)[], saved: Tensor[], needsGrad: boolean[]) => (Tensor | null)[];

/** A tensor hook: sees the gradient of one tensor, and may return a replacement. */
export type TensorHook = (grad: Tensor) => Tensor | null | undefined | void;

// Held values must not reach the node (saved outputs point back at it), so the net holds
// the storages alone.
const savedReleaser = new FinalizationRegistry<{ release(): void }[]>((storages) => {
  for (const s of storages) s.release();
});

let nextSequenceNr = 0;

/** The number the next node will get; nodes created later have larger numbers. */
export function currentSequenceNr(): number {
  return nextSequenceNr;
}

export class Node {
  released = false;
  /** Creation order (PyTorch's `sequence_nr`): a node is newer than every node it points to. */
  readonly sequenceNr = nextSequenceNr++;
  /** Hooks registered on the tensor this node produces (`t.registerHook`), in order. */
  hooks: Map<number, TensorHook> | null = null;
  /** Tensors that `retainGrad()` asked to keep this node's gradient in `.grad`. */
  retainers: WeakRef<Tensor>[] | null = null;
  /** Where the forward call that made this node came from (only while anomaly detection is on). */
  readonly forwardStack = forwardStack();

  constructor(
    readonly name: string,
    /** The node producing each input, or null where no gradient flows. */
    readonly next: (Node | null)[],
    protected saved: Tensor[],
    private backwardFn: BackwardFn | null,
  ) {
    if (saved.length > 0) savedReleaser.register(this, saved.map((t) => t.storage), this);
  }

  /** The output slot of `next[i]` that this node's input `i` is (non-zero only for multi-output ops). */
  slotOf(_i: number): number {
    return 0;
  }

  protected checkRunnable(): void {
    if (this.released) {
      throw new Error(
        `backward: trying to run '${this.name}' backward a second time, but its saved tensors were ` +
          `already freed; pass { retainGraph: true } to the first backward() or tl.grad() call`,
      );
    }
  }

  /** Compute input gradients. */
  apply(grad: Tensor): (Tensor | null)[] {
    this.checkRunnable();
    return this.backwardFn!(
      grad,
      this.saved,
      this.next.map((n) => n !== null),
    );
  }

  /** Drop the saved tensors; the node can no longer run. */
  release(): void {
    if (this.released) return;
    this.released = true;
    savedReleaser.unregister(this);
    for (const t of this.saved) t.dispose();
    this.saved = [];
    this.backwardFn = null;
  }
}

/** The node at a leaf that requires grad: gradients arriving here go into `leaf.grad`. */
export class AccumulateGrad extends Node {
  constructor(readonly leaf: Tensor) {
    super('AccumulateGrad', [], [], () => []);
  }
  override release(): void {
    // Leaves outlive every graph built on them.
  }
}

/**
 * An op with several outputs: it runs once, after every reachable output has passed its
 * gradient into its slot.
 */
export class MultiOutputNode extends Node {
  private multiBackward: MultiBackwardFn | null;

  constructor(name: string, next: (Node | null)[], saved: Tensor[], backward: MultiBackwardFn, readonly numOutputs: number) {
    super(name, next, saved, null);
    this.multiBackward = backward;
  }

  override apply(): never {
    throw new Error(`internal: '${this.name}' has ${this.numOutputs} outputs; use applyMulti`);
  }

  applyMulti(grads: (Tensor | null)[]): (Tensor | null)[] {
    this.checkRunnable();
    return this.multiBackward!(grads, this.saved, this.next.map((n) => n !== null));
  }

  override release(): void {
    super.release();
    this.multiBackward = null;
  }
}

/** Output `index` of a multi-output op: its gradient goes into the op's slot `index`. */
export class OutputNode extends Node {
  constructor(readonly op: MultiOutputNode, readonly index: number) {
    super(op.name, [op], [], (g) => [g]);
  }
  override slotOf(): number {
    return this.index;
  }
  override release(): void {
    // Nothing saved; the op releases its own tensors.
    this.released = true;
  }
}
