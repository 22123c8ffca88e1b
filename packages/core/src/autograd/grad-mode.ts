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
