/**
 * Tensor hooks (`t.registerHook`) and `t.retainGrad()`, and the handle every hook
 * registration returns (module hooks in `@tensile/nn` use it too).
 */
import type { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../shape.js';
import { gradNodeOf } from './engine.js';
import type { TensorHook } from './node.js';

export type { TensorHook } from './node.js';

let nextHookId = 0;
const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');

/**
 * What registering a hook returns: `remove()` unregisters it (safe to call twice), as
 * PyTorch's `RemovableHandle`. Also disposable, so `using handle = t.registerHook(...)`
 * removes the hook at the end of the block.
 *
 * @example
 * ```ts
 * const handle = x.registerHook((g) => g.mul(2));
 * y.backward();
 * handle.remove();
 * ```
 */
export class RemovableHandle {
  /** A number unique to this registration, as PyTorch's `handle.id`. */
  readonly id = nextHookId++;
  #dicts: Map<number, unknown>[];

  /** `dicts` hold the hook under `id`; `remove()` deletes it from each. */
  constructor(...dicts: Map<number, unknown>[]) {
    this.#dicts = dicts;
  }

  remove(): void {
    for (const dict of this.#dicts) dict.delete(this.id);
    this.#dicts = [];
  }

  [disposeSymbol](): void {
    this.remove();
  }
}

/**
 * `t.registerHook(hook)`: call `hook(grad)` each time the gradient of `t` is computed in a
 * backward pass (the full gradient, summed over every use of `t`), before it flows on: into
 * `t.grad` for a leaf, into the op that made `t` otherwise. A hook that returns a tensor (of
 * the same shape and dtype) replaces the gradient; one that returns nothing only looks.
 * Hooks run in registration order. As in PyTorch 1.13, `tl.grad` returns the gradients of its
 * `inputs` as they arrive, before their hooks, and runs a hook only where the pass goes
 * through that tensor (so never on a leaf).
 *
 * The `grad` a hook receives belongs to the backward pass: read it, do not dispose it.
 * Tensors the hook creates are disposed when it returns, except the one it returns, which
 * the pass takes over.
 */
export function registerTensorHook(t: Tensor, hook: TensorHook): RemovableHandle {
  if (typeof hook !== 'function') throw new TypeError(`registerHook: expected a function, got ${typeof hook}`);
  const node = gradNodeOf(t);
  if (!node) {
    throw new Error(
      `registerHook: cannot register a hook on a tensor that does not require grad (${formatShape(t.shape)} ${t.dtype}); ` +
        `set requiresGrad first`,
    );
  }
  node.hooks ??= new Map();
  const handle = new RemovableHandle(node.hooks);
  node.hooks.set(handle.id, hook);
  return handle;
}

/**
 * `t.retainGrad()`: keep the gradient of a non-leaf tensor in its `.grad` after backward
 * (accumulating across passes, as for leaves). A no-op on leaves, which keep theirs anyway.
 * The retained gradient is the one after every hook of `t`, whenever they were registered
 * (PyTorch 2's rule; PyTorch 1.13 gave the gradient before the hooks when `retain_grad()` came
 * before the first `register_hook`).
 *
 * @example
 * ```ts
 * const h = x.matmul(w);
 * h.retainGrad();
 * h.relu().sum().backward();
 * h.grad; // d loss / d h
 * ```
 */
export function retainGrad(t: Tensor): void {
  if (!t.requiresGrad) {
    throw new Error(`retainGrad: cannot retain the gradient of a tensor that does not require grad (${formatShape(t.shape)} ${t.dtype})`);
  }
  const node = t.gradFn;
  if (!node) return;
  node.retainers ??= [];
  if (node.retainers.some((ref) => ref.deref() === t)) return;
  node.retainers.push(new WeakRef(t));
}

/** Whether `retainGrad()` was called on this non-leaf tensor (false for leaves, as PyTorch). */
export function retainsGrad(t: Tensor): boolean {
  return t.gradFn?.retainers?.some((ref) => ref.deref() === t) ?? false;
}
