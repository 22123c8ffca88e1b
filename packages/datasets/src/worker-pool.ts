/**
 * The main thread's side of DataLoader workers: start `numWorkers` worker threads, each of
 * which rebuilds the dataset from its recipe, hand them batches round-robin, and collect
 * the host values they send back. Node only (worker_threads); elsewhere it refuses clearly.
 */
import { recipeOf, type WorkerRecipe } from './recipe.js';

/** What each worker thread is set up with. */
export interface WorkerSettings {
  /**
   * Modules each worker imports before it builds the dataset, in order: a backend that a
   * dataset of your own needs to make tensors (`'@tensile/backend-cpu'`), or a module that
   * registers loader hooks. Bare specifiers resolve from the current working directory;
   * pass `import.meta.resolve('...')` (or a URL) to resolve from your own module.
   */
  imports?: readonly (string | URL)[];
  /** Node's per-thread memory limits (`worker_threads` `resourceLimits`). */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; codeRangeSizeMb?: number; stackSizeMb?: number };
}

/** The loader settings that both the pool and each of its worker threads are given. */
interface LoaderSettings {
  numWorkers: number;
  iterable: boolean;
  customCollate: boolean;
  autoBatch: boolean;
  batchSize: number;
  dropLast: boolean;
}

/** Everything a worker thread is started with (structured-cloneable). */
export interface WorkerInit extends LoaderSettings {
  entry: string;
  imports: string[];
  recipe: WorkerRecipe;
  id: number;
}

/** A message a worker thread sends. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'end'; id: number }
  | { type: 'error'; id: number; message: string; stack?: string }
  | { type: 'fatal'; message: string; stack?: string };

interface PoolConfig extends LoaderSettings {
  dataset: unknown;
  timeout: number;
  settings: WorkerSettings;
}

interface NodeWorker {
  postMessage(value: unknown, transfer?: readonly unknown[]): void;
  on(event: 'message', fn: (value: WorkerReply) => void): void;
  on(event: 'error', fn: (error: Error) => void): void;
  on(event: 'exit', fn: (code: number) => void): void;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  worker: number;
  timer: ReturnType<typeof setTimeout> | null;
}

const BOOTSTRAP = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  for (const m of workerData.imports) await import(m);
  const entry = await import(workerData.entry);
  await entry.runWorker(parentPort, workerData);
})().catch((error) => {
  parentPort.postMessage({ type: 'fatal', message: String((error && error.message) || error), stack: error && error.stack });
});
`;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

function workerError(id: number, message: string, stack: string | undefined): Error {
  const error = new Error(`DataLoader worker ${id}: ${message}`);
  if (stack) error.stack = `${error.message}\n  in the worker thread:\n${stack}`;
  return error;
}

export class WorkerPool {
  /** What a worker sends when its stream has no more batches. */
  static readonly END: unique symbol = Symbol('end');

  private readonly workers: NodeWorker[];
  private readonly pending = new Map<number, Pending>();
  private readonly load: number[];
  private readonly ended: boolean[];
  private nextId = 0;
  private cursor = 0;
  private terminating = false;
  private failure: Error | null = null;

  private constructor(workers: NodeWorker[], private readonly config: PoolConfig) {
    this.workers = workers;
    this.load = workers.map(() => 0);
    this.ended = workers.map(() => false);
  }

  get alive(): boolean {
    return !this.terminating && this.failure === null;
  }

  /** Workers whose stream has not ended this epoch (iterable datasets). */
  get activeCount(): number {
    return this.ended.filter((e) => !e).length;
  }

  /** Start the workers and wait until each has built its dataset. */
  static async start(config: PoolConfig): Promise<WorkerPool> {
    const n = config.numWorkers;
    if (!isNode()) {
      throw new Error(`DataLoader: numWorkers: ${n} needs Node's worker_threads, which this runtime does not have; in a browser use numWorkers: 0`);
    }
    if (typeof SharedArrayBuffer === 'undefined') throw new Error(`DataLoader: numWorkers: ${n} needs SharedArrayBuffer`);
    const recipe = await recipeOf(config.dataset, `DataLoader: numWorkers: ${n} rebuilds the dataset in each worker thread, but the dataset`);
    // Checked by the DataLoader's constructor.
    const imports = (config.settings.imports ?? []).map((m) => (m instanceof URL ? m.href : m));
    const { Worker } = await import('node:worker_threads');
    const entry = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url).href;
    const workers: NodeWorker[] = [];
    for (let id = 0; id < n; id++) {
      const init: WorkerInit = {
        entry,
        imports,
        recipe,
        id,
        numWorkers: n,
        iterable: config.iterable,
        customCollate: config.customCollate,
        autoBatch: config.autoBatch,
        batchSize: config.batchSize,
        dropLast: config.dropLast,
      };
      workers.push(new Worker(BOOTSTRAP, { eval: true, workerData: init, resourceLimits: config.settings.resourceLimits }) as unknown as NodeWorker);
    }
    const pool = new WorkerPool(workers, config);
    await pool.ready();
    return pool;
  }

  private ready(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let waiting = this.workers.length;
      let done = false;
      const fail = (error: Error) => {
        if (done) return;
        done = true;
        void this.terminate();
        reject(error);
      };
      this.workers.forEach((w, id) => {
        w.on('message', (reply) => {
          if (reply.type === 'ready') {
            if (--waiting === 0 && !done) {
              done = true;
              this.workers.forEach((x) => x.unref());
              resolve();
            }
          } else if (reply.type === 'fatal') {
            const error = workerError(id, `could not build the dataset: ${reply.message}`, reply.stack);
            this.fail(error);
            fail(error);
          } else {
            this.settle(reply);
          }
        });
        w.on('error', (error) => {
          const e = workerError(id, error.message, error.stack);
          this.fail(e);
          fail(e);
        });
        w.on('exit', (code) => {
          if (this.terminating) return;
          const e = new Error(`DataLoader worker ${id} exited unexpectedly (exit code ${code})`);
          this.fail(e);
          fail(e);
        });
      });
    });
  }

  /** Reject everything in flight: the pool is unusable. */
  private fail(error: Error): void {
    if (!this.failure) this.failure = error;
    for (const [id, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(error);
    }
  }

  private settle(reply: WorkerReply): void {
    if (reply.type === 'ready' || reply.type === 'fatal') return;
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (p.timer) clearTimeout(p.timer);
    if (--this.load[p.worker] === 0) this.workers[p.worker].unref();
    if (reply.type === 'result') p.resolve(reply.value);
    else if (reply.type === 'end') {
      this.ended[p.worker] = true;
      p.resolve(WorkerPool.END);
    } else p.reject(workerError(p.worker, reply.message, reply.stack));
  }

  private post(worker: number, message: Record<string, unknown>, what: string): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.terminating) return Promise.reject(new Error('DataLoader: the worker threads were stopped'));
    const id = this.nextId++;
    const promise = new Promise<unknown>((resolve, reject) => {
      const timeout = this.config.timeout;
      const timer =
        timeout > 0
          ? setTimeout(() => {
              if (!this.pending.has(id)) return;
              this.pending.delete(id);
              reject(new Error(`DataLoader: timed out after ${timeout} ms waiting for ${what} from worker ${worker}`));
            }, timeout)
          : null;
      this.pending.set(id, { resolve, reject, worker, timer });
    });
    if (this.load[worker]++ === 0) this.workers[worker].ref();
    this.workers[worker].postMessage({ ...message, id });
    promise.catch(() => {}); // awaited in order by the loader
    return promise;
  }

  /** Batch `b` of a map-style dataset (its indices, or one index without automatic batching). */
  run(b: number, indices: number[] | number, seed: number): Promise<unknown> {
    return this.post(b % this.workers.length, { type: 'batch', b, indices, seed }, `batch ${b}`);
  }

  /** Begin a pass over an iterable dataset: every worker restarts its stream. */
  async startEpoch(seed: number): Promise<void> {
    if (this.failure) throw this.failure;
    this.ended.fill(false);
    this.cursor = 0;
    this.workers.forEach((w) => w.postMessage({ type: 'epoch', seed }));
  }

  /** The next batch of an iterable dataset from the next worker still streaming, or END. */
  next(t: number): Promise<unknown> {
    const n = this.workers.length;
    let worker = this.cursor;
    for (let k = 0; k < n && this.ended[worker]; k++) worker = (worker + 1) % n;
    this.cursor = (worker + 1) % n;
    return this.post(worker, { type: 'next' }, `batch ${t}`);
  }

  /**
   * Stop the workers. Each is asked to finish and exit on its own, and only stopped by force
   * if it does not within `grace` ms: a worker torn down by force while V8 is still compiling
   * on a background thread can crash Node (an assertion in NodePlatform::ForIsolate).
   */
  async terminate(grace = 2000): Promise<void> {
    if (this.terminating) return;
    this.terminating = true;
    this.fail(new Error('DataLoader: the worker threads were stopped'));
    this.failure = null;
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            let done = false;
            const finish = () => {
              if (done) return;
              done = true;
              clearTimeout(timer);
              resolve();
            };
            const timer = setTimeout(() => {
              w.terminate().then(finish, finish);
            }, grace);
            w.on('exit', finish);
            try {
              w.postMessage({ type: 'close' });
            } catch {
              w.terminate().then(finish, finish);
            }
          }),
      ),
    );
  }
}
