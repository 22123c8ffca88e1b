/** Whether ops record a graph. Off inside `noGrad` and during a backward pass without `createGraph`. */
let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Run `fn` with gradient recording set to `on`, restoring the previous mode afterwards. */
export function withGradMode<T>(on: boolean, fn: () => T): T {
  const previous = enabled;
  enabled = on;
  let result: T;
  try {
    result = fn();
  } catch (error) {
    enabled = previous;
    throw error;
  }
  if (result instanceof Promise) {
    // An async body keeps the mode until it settles.
    return result.finally(() => {
      enabled = previous;
    }) as T;
  }
  enabled = previous;
  return result;
}

/**
 * Run `fn` without recording gradients: what it computes has no `gradFn` and keeps no
 * tensors alive for a backward pass. Use it for inference and optimiser updates.
 *
 * @example
 * ```ts
 * const logits = tl.noGrad(() => model.forward(x));
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Run `fn` with gradient recording on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/**
 * Turn gradient recording on or off (PyTorch's `torch.set_grad_enabled`). With `fn`, only
 * while `fn` runs (as PyTorch's context-manager form); without, from now on.
 *
 * @example
 * ```ts
 * const y = tl.setGradEnabled(isTraining, () => model.forward(x));
 * tl.setGradEnabled(false); // global, until switched back
 * ```
 */
export function setGradEnabled(on: boolean): void;
export function setGradEnabled<T>(on: boolean, fn: () => T): T;
export function setGradEnabled<T>(on: boolean, fn?: () => T): T | void {
  if (typeof on !== 'boolean') throw new TypeError(`setGradEnabled: expected a boolean, got ${typeof on}`);
  if (fn === undefined) {
    enabled = on;
    return;
  }
  return withGradMode(on, fn);
}

/**
 * Run `fn` for inference (PyTorch's `torch.inference_mode`): nothing is recorded, as in
 * `noGrad`. Tensile has no separate inference tensors, so results may later enter a graph
 * as constants (PyTorch would refuse them there).
 *
 * @example
 * ```ts
 * const logits = tl.inferenceMode(() => model.forward(x));
 * ```
 */
export function inferenceMode<T>(fn: () => T): T {
  return withGradMode(false, fn);
}
