/**
 * Anomaly detection (PyTorch's `torch.autograd.detect_anomaly` / `set_detect_anomaly`): while
 * on, every recorded op keeps the stack of the forward call that made it, and the backward
 * pass checks each gradient it computes for NaN, naming the op and showing that stack.
 */
import type { Tensor } from '../tensor/tensor.js';

let enabled = false;

/** Whether anomaly detection is on. */
export function isAnomalyEnabled(): boolean {
  return enabled;
}

/**
 * Turn anomaly detection on or off: with `fn`, only while it runs; without, from now on.
 * It slows every op (a stack trace per recorded op) and every backward step (each gradient
 * is read back to look for NaN), so use it to debug, not to train. The checks read values
 * synchronously, so they need a backend that can (cpu, wasm, cuda).
 *
 * @example
 * ```ts
 * tl.autograd.setDetectAnomaly(true, () => loss.backward());
 * // Error: backward: function 'div' returned nan values in its 0th output.
 * // Traceback of the forward call that made it: ...
 * ```
 */
export function setDetectAnomaly(on: boolean): void;
export function setDetectAnomaly<T>(on: boolean, fn: () => T): T;
export function setDetectAnomaly<T>(on: boolean, fn?: () => T): T | void {
  if (typeof on !== 'boolean') throw new TypeError(`setDetectAnomaly: expected a boolean, got ${typeof on}`);
  if (fn === undefined) {
    enabled = on;
    return;
  }
  const previous = enabled;
  enabled = on;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/** Run `fn` with anomaly detection on (PyTorch's `with torch.autograd.detect_anomaly():`). */
export function detectAnomaly<T>(fn: () => T): T {
  return setDetectAnomaly(true, fn);
}

/** The stack of the current call, for a node made while anomaly detection is on. */
export function forwardStack(): string | undefined {
  if (!enabled) return undefined;
  // Deep enough to reach the user's call through an op's own frames (V8 keeps 10 by default;
  // other engines have no such setting).
  const v8 = Error as unknown as { stackTraceLimit?: number };
  const limit = v8.stackTraceLimit;
  if (typeof limit === 'number') v8.stackTraceLimit = Math.max(limit, 50);
  const stack = new Error().stack ?? '';
  if (typeof limit === 'number') v8.stackTraceLimit = limit;
  // Drop the error line and the frames inside this module and the node constructor.
  return stack.split('\n').slice(3).join('\n');
}

/** Throw if `grad` holds a NaN: the check of anomaly mode after a node's backward. */
export function checkGradient(nodeName: string, index: number, grad: Tensor, stack: string | undefined): void {
  const backend = grad.backend;
  if (!backend.readSync) {
    throw new Error(
      `detectAnomaly: backend '${grad.device}' cannot read synchronously, so gradients cannot be checked during ` +
        `backward; run the failing step on cpu or wasm with anomaly detection`,
    );
  }
  const data = grad.dataSync();
  for (let i = 0; i < data.length; i++) {
    if (Number.isNaN(data[i])) {
      throw new Error(
        `backward: function '${nodeName}' returned nan values in its ${index}th output.` +
          (stack ? `\nTraceback of the forward call that made it:\n${stack}` : ''),
      );
    }
  }
}
