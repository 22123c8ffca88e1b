// Datasets for the worker-thread tests: each has a workerRecipe() naming this module, so a
// DataLoader can rebuild it in its workers. The module imports a backend, as a dataset of
// your own that makes tensors in a worker must.
import { threadId } from 'node:worker_threads';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { IterableDataset, getWorkerInfo, type WorkerRecipe } from '../../src/index.js';

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Item i: { x: [i * i] float32, i, thread }; throws at `failAt`; sleeps `sleepMs` per item. */
export class Squares {
  constructor(
    readonly length: number,
    readonly failAt = -1,
    readonly sleepMs = 0,
  ) {}

  get(i: number): { x: tl.Tensor; i: number; thread: number } {
    if (i === this.failAt) throw new Error(`item ${i} cannot be read`);
    if (this.sleepMs) sleep(this.sleepMs);
    return { x: tl.tensor([i * i]), i, thread: threadId };
  }

  workerRecipe(): WorkerRecipe {
    return { module: import.meta.url, export: 'createSquares', args: [this.length, this.failAt, this.sleepMs] };
  }
}

export function createSquares(length: number, failAt: number, sleepMs: number): Squares {
  return new Squares(length, failAt, sleepMs);
}

/** 0 .. n-1, each worker taking every numWorkers-th number (split with getWorkerInfo). */
export class Numbers extends IterableDataset<[number, number]> {
  constructor(readonly n: number) {
    super();
  }

  override *[Symbol.iterator](): Iterator<[number, number]> {
    const info = getWorkerInfo();
    const [id, count] = info ? [info.id, info.numWorkers] : [0, 1];
    for (let i = id; i < this.n; i += count) yield [i, id];
  }

  workerRecipe(): WorkerRecipe {
    return { module: import.meta.url, export: 'createNumbers', args: [this.n] };
  }
}

export function createNumbers(n: number): Numbers {
  return new Numbers(n);
}

/** A dataset that cannot be built in a worker: its factory throws. */
export class Broken {
  readonly length = 3;
  get(i: number): number {
    return i;
  }
  workerRecipe(): WorkerRecipe {
    return { module: import.meta.url, export: 'createBroken', args: [] };
  }
}

export function createBroken(): never {
  throw new Error('the data directory is missing');
}

/** A target transform for the ImageFolder worker test. */
export function addHundred(): (t: number) => number {
  return (t) => t + 100;
}
