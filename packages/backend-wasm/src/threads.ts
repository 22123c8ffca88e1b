/**
 * The worker pool. Every worker instantiates the same compiled module over the same shared
 * WebAssembly.Memory, then sleeps on its own mailbox word (Atomics.wait). A parallel kernel
 * call writes the function number and arguments into a control block in linear memory,
 * posts a new generation into the mailbox of each participating worker, runs its own share
 * on the calling thread (tid 0), and waits until every participant has counted itself done.
 * Kernel calls stay synchronous, as the contract requires.
 *
 * Only workers that have finished starting take part, so a call never waits on a worker
 * that is still booting; workers are unref'd, so they never keep Node alive.
 *
 * Kernels whose threads claim work from a shared counter (the pool's `claiming` set) can be
 * finished by the caller alone. For those, a worker takes a posted call by a compare-and-
 * swap on its slot, and once the caller is done with the work it withdraws the calls that
 * no worker took, so it never waits for a worker that the OS has not woken yet.
 */
import { createWorkerFactory } from '#platform';

/** Control block layout, in i32 slots from its base. */
const DONE = 0, FN = 1, NT = 2, ARGC = 3, ERROR = 4;
const MAILBOX = 16, TID = 48, READY = 80;
/** Per worker: the generation posted to it, -1 once it took the call, 0 once the caller withdrew it. */
const TAKEN = 192;
const ARGS_BYTE_OFFSET = 512;
export const MAX_WORKERS = 31;
export const CONTROL_BYTES = 1024;
const WAIT_LIMIT_MS = 120_000;
/** Mailbox / done-count polls before sleeping (on the order of 50 µs). */
const SPIN_ITERATIONS = 20_000;

/** Runs inside each worker; `start` receives the init message. */
const WORKER_BODY = `
function start(init) {
  const { module, memory, ctrl, index, names } = init;
  const instance = new WebAssembly.Instance(module, { env: { memory, hostLog: Math.log, hostCos: Math.cos } });
  const fns = names.map((n) => instance.exports[n]);
  const i32 = new Int32Array(memory.buffer, ctrl, ${CONTROL_BYTES / 4});
  const f64 = new Float64Array(memory.buffer, ctrl + ${ARGS_BYTE_OFFSET}, 32);
  const box = ${MAILBOX} + index;
  let seen = Atomics.load(i32, box);
  Atomics.store(i32, ${READY} + index, 1);
  for (;;) {
    // Kernels often come in quick succession (a training step): spin briefly on the
    // mailbox before sleeping, so the next call does not pay a futex wake-up.
    for (let spin = 0; spin < ${SPIN_ITERATIONS} && Atomics.load(i32, box) === seen; spin++);
    Atomics.wait(i32, box, seen);
    const gen = Atomics.load(i32, box);
    if (gen === seen) continue;
    seen = gen;
    if (gen === -1) break;
    if (Atomics.compareExchange(i32, ${TAKEN} + index, gen, -1) !== gen) continue; // withdrawn
    try {
      const argc = i32[${ARGC}];
      const args = new Array(argc + 2);
      for (let i = 0; i < argc; i++) args[i] = f64[i];
      args[argc] = i32[${TID} + index];
      args[argc + 1] = i32[${NT}];
      fns[i32[${FN}]](...args);
    } catch (e) {
      Atomics.store(i32, ${ERROR}, 1);
    }
    Atomics.add(i32, ${DONE}, 1);
    Atomics.notify(i32, ${DONE});
  }
}
`;

export interface WorkerLike {
  terminate(): unknown;
}

let warnedSingle = false;

export class ThreadPool {
  private readonly workers: WorkerLike[] = [];
  private generation = 0;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly fnIndex: Map<string, number>;
  private readonly fns: ((...args: number[]) => void)[];
  /** Threads requested (including the calling one). */
  threads = 1;
  private spawning = false;
  private canWaitOnMain: boolean | undefined;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly ctrl: number,
    private readonly exports: Record<string, unknown>,
    private readonly names: readonly string[],
    private readonly createWorker: ((index: number) => WorkerLike) | null,
    /** Kernels (of `names`) that the caller can finish alone: their threads claim work. */
    private readonly claiming: ReadonlySet<string> = new Set(),
  ) {
    this.i32 = new Int32Array(memory.buffer, ctrl, CONTROL_BYTES / 4);
    this.f64 = new Float64Array(memory.buffer, ctrl + ARGS_BYTE_OFFSET, 32);
    this.fnIndex = new Map(names.map((n, i) => [n, i]));
    this.fns = names.map((n) => exports[n] as (...args: number[]) => void);
  }

  /** Whether threads are possible here at all (SharedArrayBuffer and a way to start workers). */
  get supported(): boolean {
    return this.createWorker !== null;
  }

  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: expected a positive integer, got ${n}`);
    if (n > 1 && !this.supported) {
      if (!warnedSingle) {
        warnedSingle = true;
        console.warn('@tensile/backend-wasm: SharedArrayBuffer or workers are unavailable here (cross-origin isolation is needed in browsers); running single-threaded');
      }
    }
    this.threads = Math.min(n, MAX_WORKERS + 1);
    // Workers beyond the new count stay idle (they are only woken when they take part).
  }

  /** Number of threads a parallel call would use now (workers still booting are left out). */
  available(): number {
    const wanted = this.threads - 1;
    if (wanted <= 0 || !this.supported) return 1;
    this.spawn(wanted);
    let ready = 0;
    while (ready < wanted && ready < this.workers.length && Atomics.load(this.i32, READY + ready) === 1) ready++;
    return ready + 1;
  }

  private spawn(count: number): void {
    if (this.spawning || this.workers.length >= count) return;
    this.spawning = true;
    try {
      while (this.workers.length < count) this.workers.push(this.createWorker!(this.workers.length));
    } finally {
      this.spawning = false;
    }
  }

  /** The init message a worker receives. */
  initFor(index: number): object {
    return { module: this.module, memory: this.memory, ctrl: this.ctrl, index, names: this.names };
  }

  /**
   * Run export `name(...args, tid, nt)` on `nt` threads (the caller is tid 0) and return
   * when all are done.
   */
  run(name: string, args: readonly number[], nt = this.available()): void {
    const fn = this.fnIndex.get(name);
    if (fn === undefined) throw new Error(`wasm backend: no parallel kernel '${name}'`);
    if (nt <= 1) {
      this.fns[fn](...args, 0, 1);
      return;
    }
    const i32 = this.i32;
    Atomics.store(i32, DONE, 0);
    Atomics.store(i32, ERROR, 0);
    i32[FN] = fn;
    i32[NT] = nt;
    i32[ARGC] = args.length;
    for (let i = 0; i < args.length; i++) this.f64[i] = args[i];
    const gen = (this.generation = (this.generation % 0x3fffffff) + 1);
    for (let w = 0; w < nt - 1; w++) {
      i32[TID + w] = w + 1;
      Atomics.store(i32, TAKEN + w, gen);
      Atomics.store(i32, MAILBOX + w, gen);
      Atomics.notify(i32, MAILBOX + w);
    }
    let failure: unknown;
    try {
      this.fns[fn](...args, 0, nt);
    } catch (e) {
      failure = e;
    }
    let taken = nt - 1;
    if (failure === undefined && this.claiming.has(name)) {
      for (let w = 0; w < nt - 1; w++) if (Atomics.compareExchange(i32, TAKEN + w, gen, 0) === gen) taken--;
    }
    this.waitDone(taken);
    if (failure) throw failure;
    if (Atomics.load(i32, ERROR)) throw new Error(`wasm backend: kernel '${name}' failed on a worker thread`);
  }

  private waitDone(count: number): void {
    const i32 = this.i32;
    const start = Date.now();
    for (let spin = 0; spin < SPIN_ITERATIONS; spin++) if (Atomics.load(i32, DONE) >= count) return;
    for (;;) {
      const done = Atomics.load(i32, DONE);
      if (done >= count) return;
      if (this.canWaitOnMain !== false) {
        try {
          Atomics.wait(i32, DONE, done, 1000);
          this.canWaitOnMain = true;
        } catch {
          this.canWaitOnMain = false; // browser main thread: spin instead
        }
      }
      if (Date.now() - start > WAIT_LIMIT_MS) {
        // A worker that died mid-call never reports: start every worker afresh for later calls.
        this.terminate();
        throw new Error(`wasm backend: worker threads did not finish within ${WAIT_LIMIT_MS / 1000} s (a worker may have died); the thread pool was restarted`);
      }
    }
  }

  /**
   * A worker exited on its own (a crash, or terminated from outside): later calls leave it
   * out, and a new worker starts in its slot. (One that dies inside a call is found by the
   * call's time limit, which restarts the pool.)
   */
  workerExited(index: number, worker: WorkerLike, reason: string): void {
    if (this.workers[index] !== worker) return; // terminated by the pool itself
    Atomics.store(this.i32, READY + index, 0);
    console.warn(`@tensile/backend-wasm: worker thread ${index + 1} exited (${reason}); starting a new one`);
    this.workers[index] = this.createWorker!(index);
  }

  /** Stop all workers (tests, or before dropping the backend). */
  terminate(): void {
    const workers = this.workers.splice(0);
    for (let w = 0; w < workers.length; w++) {
      Atomics.store(this.i32, MAILBOX + w, -1);
      Atomics.notify(this.i32, MAILBOX + w);
      Atomics.store(this.i32, READY + w, 0);
    }
    for (const w of workers) w.terminate();
  }
}

/** A worker factory for this platform (worker_threads or Web Workers), or null when threads cannot run here. */
export async function workerFactory(pool: () => ThreadPool): Promise<((index: number) => WorkerLike) | null> {
  return createWorkerFactory(WORKER_BODY, (index) => pool().initFor(index), (index, worker, reason) => pool().workerExited(index, worker, reason));
}
