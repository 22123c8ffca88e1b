/**
 * Worker recipes: how a dataset or transform is rebuilt inside a worker thread. JavaScript
 * cannot send objects with methods (or closures) to another thread, so a DataLoader with
 * `numWorkers > 0` asks each dataset for a recipe: a module to import there, the name of a
 * function it exports, and arguments the structured-clone algorithm can copy (numbers,
 * strings, typed arrays, shared memory, plain objects and arrays, and nested recipes). The
 * built-in datasets and transforms have recipes; a dataset of your own gets one by adding a
 * `workerRecipe()` method.
 */
import { describe } from './sampler.js';

/** A module, one of its exported functions, and the arguments to call it with. */
export interface WorkerRecipe {
  /** An absolute URL (`import.meta.url`) or a specifier the worker can import. */
  module: string;
  /** The name of the exported function that returns the object (it may be async). */
  export: string;
  /** Structured-cloneable arguments; `nestedRecipe(obj)` places another object's recipe. */
  args?: readonly unknown[];
}

/** An object that can be rebuilt in a worker thread. */
export interface HasWorkerRecipe {
  workerRecipe(): WorkerRecipe | Promise<WorkerRecipe>;
}

const NESTED = '$tensileWorkerRecipe';

/** A marker placing `value`'s own recipe among another recipe's arguments. */
export interface NestedRecipe {
  readonly [NESTED]: WorkerRecipe;
}

export function hasWorkerRecipe(value: unknown): value is HasWorkerRecipe {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as Partial<HasWorkerRecipe>).workerRecipe === 'function';
}

/** The recipe of `value`, or an error saying what lacks one. */
export async function recipeOf(value: unknown, what: string): Promise<WorkerRecipe> {
  if (!hasWorkerRecipe(value)) {
    throw new Error(
      `${what} (${describe(value)}) cannot be rebuilt in a worker thread: it has no workerRecipe(). ` +
        'Use the datasets and transforms of @tensile/datasets, give your dataset a workerRecipe() method ' +
        "returning { module: import.meta.url, export: 'createMyDataset', args: [...] }, or use numWorkers: 0",
    );
  }
  const recipe = await value.workerRecipe();
  checkRecipe(recipe, what);
  return recipe;
}

/** A nested recipe for `value` (for a recipe's arguments). */
export async function nestedRecipe(value: unknown, what: string): Promise<NestedRecipe> {
  return { [NESTED]: await recipeOf(value, what) };
}

function checkRecipe(recipe: unknown, what: string): asserts recipe is WorkerRecipe {
  const r = recipe as Partial<WorkerRecipe> | null;
  if (!r || typeof r !== 'object' || typeof r.module !== 'string' || typeof r.export !== 'string' || (r.args !== undefined && !Array.isArray(r.args))) {
    throw new TypeError(`${what}: workerRecipe() must return { module: string, export: string, args?: unknown[] }, got ${describe(recipe)}`);
  }
}

function isNested(value: unknown): value is NestedRecipe {
  return value !== null && typeof value === 'object' && NESTED in (value as object);
}

async function resolveArgs(value: unknown): Promise<unknown> {
  if (isNested(value)) return buildFromRecipe(value[NESTED]);
  if (Array.isArray(value)) return Promise.all(value.map(resolveArgs));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveArgs(v)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

/** Import the recipe's module and call its function with the (rebuilt) arguments. */
export async function buildFromRecipe(recipe: WorkerRecipe): Promise<unknown> {
  checkRecipe(recipe, 'worker recipe');
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ recipe.module)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`worker recipe: cannot import ${recipe.module}: ${(error as Error).message}`, { cause: error });
  }
  const fn = mod[recipe.export];
  if (typeof fn !== 'function') {
    throw new TypeError(`worker recipe: ${recipe.module} has no exported function '${recipe.export}' (got ${describe(fn)})`);
  }
  const args = (await resolveArgs(recipe.args ?? [])) as unknown[];
  return await (fn as (...a: unknown[]) => unknown)(...args);
}

/** Attach a recipe to a transform function (the built-in transforms use this). */
export function withRecipe<F extends object>(fn: F, recipe: () => WorkerRecipe | Promise<WorkerRecipe>): F & HasWorkerRecipe {
  Object.defineProperty(fn, 'workerRecipe', { value: recipe, enumerable: false });
  return fn as F & HasWorkerRecipe;
}
