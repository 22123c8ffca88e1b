/**
 * The worker thread's side of DataLoader workers: rebuild the dataset from its recipe, then
 * answer requests one at a time with host values (typed arrays), which the main thread turns
 * into tensors. A worker never needs a backend for the built-in datasets: they build batches
 * as host arrays; tensors that a dataset of your own returns are copied out with `data()`.
 */
import * as tl from '@tensile/core';
import { collateHost } from './collate.js';
import { hasGetBatch, hasGetBatchHost, hasGetHost, setWorkerInfo, type Dataset } from './dataset.js';
import { encodeTensors, transferList } from './host.js';
import { buildFromRecipe } from './recipe.js';
import { Rng } from './rng.js';
import type { WorkerInit } from './worker-pool.js';

interface Port {
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', fn: (message: Request) => void): void;
  close(): void;
}

type Request =
  | { type: 'close' }
  | { type: 'batch'; id: number; b: number; indices: number[] | number; seed: number }
  | { type: 'epoch'; seed: number }
  | { type: 'next'; id: number };

function reply(port: Port, value: unknown, id: number): void {
  port.postMessage({ type: 'result', id, value }, transferList(value));
}

function errorReply(port: Port, id: number, error: unknown): void {
  const e = error as Error;
  port.postMessage({ type: 'error', id, message: String(e?.message ?? error), stack: e?.stack });
}

/** One batch (or item) of a map-style dataset, as host values. */
async function mapBatch(dataset: Dataset<unknown>, init: WorkerInit, request: Extract<Request, { type: 'batch' }>): Promise<unknown> {
  const rng = new Rng(request.seed, 0x7472, request.b);
  return tl.tidy(async () => {
    if (typeof request.indices === 'number') {
      const item = hasGetHost(dataset) ? dataset.getHost(request.indices, rng) : dataset.get(request.indices, rng);
      return encodeTensors(item);
    }
    const indices = request.indices;
    if (!init.customCollate) {
      if (hasGetBatchHost(dataset)) return dataset.getBatchHost(indices, rng);
      if (hasGetBatch(dataset)) return encodeTensors(dataset.getBatch(indices, rng));
    }
    const items: unknown[] = [];
    for (const i of indices) items.push(hasGetHost(dataset) ? dataset.getHost(i, rng) : dataset.get(i, rng));
    const host = await encodeTensors(items);
    return init.customCollate ? host : collateHost(host as unknown[]);
  });
}

/** Entry point, called by the bootstrap script with the thread's port and init data. */
export async function runWorker(port: Port, init: WorkerInit): Promise<void> {
  let dataset: unknown;
  let chain: Promise<unknown> = (async () => {
    dataset = await buildFromRecipe(init.recipe);
    setWorkerInfo({ id: init.id, numWorkers: init.numWorkers, seed: 0, dataset });
  })().then(
    () => port.postMessage({ type: 'ready' }),
    (error: Error) => port.postMessage({ type: 'fatal', message: String(error?.message ?? error), stack: error?.stack }),
  );

  // Iterable datasets: one stream per epoch.
  let iterator: Iterator<unknown> | AsyncIterator<unknown> | null = null;
  let isAsync = false;
  let ended = false;
  const open = () => {
    const d = dataset as Partial<Iterable<unknown> & AsyncIterable<unknown>>;
    isAsync = typeof d[Symbol.asyncIterator] === 'function';
    iterator = isAsync ? d[Symbol.asyncIterator]!() : d[Symbol.iterator]!();
  };
  const nextBatch = async (): Promise<unknown> => {
    if (ended) return null;
    if (!iterator) open();
    const items: unknown[] = [];
    while (items.length < init.batchSize) {
      const r = isAsync ? await (iterator as AsyncIterator<unknown>).next() : (iterator as Iterator<unknown>).next();
      if (r.done) {
        ended = true;
        break;
      }
      items.push(r.value);
    }
    if (items.length === 0 || (ended && init.dropLast && items.length < init.batchSize)) return null;
    return tl.tidy(async () => {
      const host = await encodeTensors(items);
      if (!init.autoBatch) return (host as unknown[])[0];
      return init.customCollate ? host : collateHost(host as unknown[]);
    });
  };

  const handle = async (request: Request): Promise<void> => {
    if (request.type === 'close') {
      // With the port closed the thread has nothing left to do, and exits.
      port.close();
      return;
    }
    if (request.type === 'epoch') {
      setWorkerInfo({ id: init.id, numWorkers: init.numWorkers, seed: request.seed, dataset });
      iterator = null;
      ended = false;
      return;
    }
    try {
      if (request.type === 'batch') {
        reply(port, await mapBatch(dataset as Dataset<unknown>, init, request), request.id);
      } else {
        const value = await nextBatch();
        if (value === null) port.postMessage({ type: 'end', id: request.id });
        else reply(port, value, request.id);
      }
    } catch (error) {
      errorReply(port, request.id, error);
    }
  };

  port.on('message', (request) => {
    chain = chain.then(() => handle(request));
  });
  await chain;
}
