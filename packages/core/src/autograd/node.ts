/**
 * A recorded operation in the dynamic graph: the inputs' nodes (edges towards the leaves),
 * the tensors its backward pass needs, and the backward function itself. Nodes hold their
 * own references to saved tensors, so users may dispose intermediates freely; the references
 * go when the graph is consumed by `backward` (unless `retainGraph`) or garbage collected.
 */
import type { Tensor } from '../tensor/tensor.js';

/** Gradients for each input (null where an input needs none), given the output's gradient. */
export type BackwardFn = (grad: Tensor, saved: Tensor[], needsGrad: boolean[]) => (Tensor | null)[];

// Held values must not reach the node (saved outputs point back at it), so the net holds
// the storages alone.
const savedReleaser = new FinalizationRegistry<{ release(): void }[]>((storages) => {
  for (const s of storages) s.release();
});

export class Node {
  released = false;

  constructor(
    readonly name: string,
    /** The node producing each input, or null where no gradient flows. */
    readonly next: (Node | null)[],
    private saved: Tensor[],
    private backwardFn: BackwardFn | null,
  ) {
    if (saved.length > 0) savedReleaser.register(this, saved.map((t) => t.storage), this);
  }

  /** Compute input gradients. */
  apply(grad: Tensor): (Tensor | null)[] {
    if (this.released || !this.backwardFn) {
      throw new Error(
        `backward: trying to run '${this.name}' backward a second time, but its saved tensors were ` +
          `already freed; pass { retainGraph: true } to the first backward() or tl.grad() call`,
      );
    }
    return this.backwardFn(
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
