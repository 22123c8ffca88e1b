/**
 * Deterministic memory management: `tidy` scopes, `keep`, and `memory()`.
 *
 * The ownership model, in one place: a Tensor handle owns one reference to its storage.
 * `dispose()` (or `using`, or the end of the `tidy` that made it) drops that reference; a
 * FinalizationRegistry drops it for handles that were forgotten. Views hold their own
 * reference to shared storage, and a recorded graph holds references to the tensors its
 * backward pass needs, so disposing a handle never breaks a pending `backward()`.
 */
import { getBackend, listBackends } from './backend/registry.js';
import { deviceCounts } from './tensor/storage.js';

/** Anything with a `dispose()` that a scope can track. */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

interface Scope {
  tracked: Set<Disposable>;
  closed: boolean;
}

const scopes: Scope[] = [];
const kept = new WeakSet<Disposable>();

/** Called by every new Tensor handle: the innermost open scope takes it. */
export function trackInScope(t: Disposable): void {
  const scope = scopes[scopes.length - 1];
  if (scope) scope.tracked.add(t);
}

/** Exempt a tensor from every enclosing `tidy`; it lives until disposed. */
export function keep<T extends Disposable>(t: T): T {
  kept.add(t);
  for (const scope of scopes) scope.tracked.delete(t);
  return t;
}

function collectDisposables(value: unknown, into: Set<Disposable>, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (typeof (value as Disposable).dispose === 'function' && 'isDisposed' in (value as object)) {
    into.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectDisposables(v, into, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectDisposables(v, into, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectDisposables(v, into, seen);
  }
}

function closeScope(scope: Scope, result: unknown): void {
  scope.closed = true;
  const index = scopes.lastIndexOf(scope);
  if (index >= 0) scopes.splice(index, 1);
  const returned = new Set<Disposable>();
  collectDisposables(result, returned);
  const parent = scopes[scopes.length - 1];
  for (const t of scope.tracked) {
    if (returned.has(t)) {
      parent?.tracked.add(t);
    } else if (!kept.has(t)) {
      t.dispose();
    }
  }
  scope.tracked.clear();
}

/** Run `fn` in a new scope, still open when it returns; if it throws, the scope is closed first. */
function runInScope<T>(fn: () => T): { scope: Scope; result: T } {
  const scope: Scope = { tracked: new Set(), closed: false };
  scopes.push(scope);
  try {
    return { scope, result: fn() };
  } catch (error) {
    closeScope(scope, undefined);
    throw error;
  }
}

/**
 * Run `fn` and dispose every tensor it created, except those it returns (found in arrays,
 * plain objects and Maps) and those passed to `keep`. Works with async functions: the scope
 * closes when the promise settles. While an async scope is open, tensors created by other
 * concurrent code also land in it, so do not interleave unrelated work with an async tidy.
 *
 * @example
 * ```ts
 * const loss = tl.tidy(() => model.forward(x).sub(y).square().mean());
 * ```
 */
export function tidy<T>(fn: () => T): T {
  const { scope, result } = runInScope(fn);
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        closeScope(scope, value);
        return value;
      },
      (error) => {
        closeScope(scope, undefined);
        throw error;
      },
    ) as T;
  }
  closeScope(scope, result);
  return result;
}

/**
 * @internal `tidy` for a synchronous `fn` that also says which of the disposables it
 * returns were created inside it (and so belong to the caller), as opposed to ones it
 * returned from outside (a captured tensor, an argument).
 */
export function tidyCreated<T>(fn: () => T): { result: T; created: Set<Disposable> } {
  const { scope, result } = runInScope(fn);
  const created = new Set(scope.tracked);
  closeScope(scope, result);
  const returned = new Set<Disposable>();
  collectDisposables(result, returned);
  for (const t of created) if (!returned.has(t)) created.delete(t);
  return { result, created };
}

/** What {@link owned} hands to its function: take ownership of a temporary, return it. */
export type Own = <T extends Disposable>(t: T) => T;

/**
 * How deep the running code is inside ops: an op's `owned` scope raises it, so the ops it
 * composes know they are internals (autocast applies to the outermost call only).
 */
let opDepth = 0;

/** @internal Run `fn` as one op's internals. */
export function insideOp<R>(fn: () => R): R {
  opDepth++;
  try {
    return fn();
  } finally {
    opDepth--;
  }
}

/** @internal Run `fn`, user code that an op calls (a checkpointed segment), as the user's own: outside any op. */
export function outsideOp<R>(fn: () => R): R {
  const depth = opDepth;
  opDepth = 0;
  try {
    return fn();
  } finally {
    opDepth = depth;
  }
}

/** @internal Whether the running code is inside an op. */
export function isInsideOp(): boolean {
  return opDepth > 0;
}

/**
 * @internal How an op (and `backward`, `customOp`, the DataLoader's batch assembly) owns its
 * temporaries: `fn(own)` runs, and every disposable passed to `own(t)` (which returns `t`)
 * is disposed when `fn` returns or throws, except those that are part of what it returns
 * (found as `tidy` finds them: the value itself, arrays, plain objects, Maps), which are
 * handed to the caller. One mechanism instead of a try/finally per op, so that a failed op
 * leaves nothing behind. Unlike `tidy` it tracks only what it is given, in one array, with
 * no global scope: cheap enough for the hottest op. `fn` must be synchronous.
 *
 * @example
 * ```ts
 * owned((own) => own(own(x.abs()).add(1)).log()); // abs and add freed, log returned
 * ```
 */
export function owned<R>(fn: (own: Own) => R): R {
  const temps: Disposable[] = [];
  const own: Own = (t) => {
    temps.push(t);
    return t;
  };
  let result: R;
  // Inside an op (see opDepth), counted here rather than through insideOp: no closure per op.
  opDepth++;
  try {
    result = fn(own);
  } catch (error) {
    for (const t of temps) t.dispose();
    throw error;
  } finally {
    opDepth--;
  }
  if (result instanceof Promise) {
    for (const t of temps) t.dispose();
    result.catch(() => {}); // refused below; not an unhandled rejection as well
    throw new Error('internal error: owned(fn) needs a synchronous fn (it returned a Promise); use tidy for async work');
  }
  if (temps.length > 0) releaseExcept(temps, result);
  return result;
}

/** Dispose `temps`, sparing those that `result` holds. */
function releaseExcept(temps: Disposable[], result: unknown): void {
  if (result === null || typeof result !== 'object') {
    for (const t of temps) t.dispose();
    return;
  }
  if (typeof (result as Disposable).dispose === 'function' && 'isDisposed' in result) {
    for (const t of temps) if (t !== result) t.dispose();
    return;
  }
  const returned = new Set<Disposable>();
  collectDisposables(result, returned);
  for (const t of temps) if (!returned.has(t)) t.dispose();
}

/** Live tensor handles, buffers and bytes, in total and per backend. */
export interface MemoryInfo {
  numTensors: number;
  numBuffers: number;
  numBytes: number;
  /**
   * Per backend; `cachedBytes` is memory a backend keeps from freed buffers for reuse (not
   * counted in `bytes`), which `tl.emptyCache()` releases.
   */
  backends: Record<string, { tensors: number; buffers: number; bytes: number; cachedBytes: number }>;
}

/**
 * What is alive now. `numTensors` counts tensor handles a user can reach (not the internal
 * references a recorded graph holds); `numBytes` counts every live buffer.
 *
 * @example
 * ```ts
 * const before = tl.memory().numTensors;
 * trainStep();
 * console.assert(tl.memory().numTensors === before);
 * ```
 */
export function memory(): MemoryInfo {
  const info: MemoryInfo = { numTensors: 0, numBuffers: 0, numBytes: 0, backends: {} };
  for (const [name, counts] of deviceCounts) {
    // A backend unregistered since (a test's alias of another) keeps its counts but has no cache.
    const cachedBytes = listBackends().includes(name) ? (getBackend(name).memoryInfo().cachedBytes ?? 0) : 0;
    info.backends[name] = { ...counts, cachedBytes };
    info.numTensors += counts.tensors;
    info.numBuffers += counts.buffers;
    info.numBytes += counts.bytes;
  }
  return info;
}

/**
 * Release the memory a backend keeps from freed buffers for reuse (the current backend, or
 * `device`); live tensors are untouched. Like `torch.cuda.empty_cache()`.
 *
 * @example
 * ```ts
 * tl.emptyCache('webgpu');
 * ```
 */
export function emptyCache(device?: string): void {
  getBackend(device).emptyCache?.();
}
