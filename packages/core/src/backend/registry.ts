/**
 * The backend registry. It lives on a global symbol so that two copies of core in one
 * process (a bundler duplicate, a linked package) still see one set of backends.
 */
import { CONTRACT_VERSION, type Backend } from './contract.js';
import { BINARY_TABLE, UNARY_TABLE } from './op-table.js';

type BackendFactory = () => Backend | Promise<Backend>;

interface Entry {
  name: string;
  priority: number;
  factory: BackendFactory;
  instance?: Backend;
  pending?: Promise<Backend>;
  failure?: Error;
}

interface RegistryState {
  entries: Map<string, Entry>;
  /** Name chosen by `setBackend`, or null for "highest priority that is ready". */
  selected: string | null;
}

const REGISTRY_KEY = Symbol.for('tensile.registry');

function registry(): RegistryState {
  const holder = globalThis as unknown as Record<symbol, RegistryState | undefined>;
  return (holder[REGISTRY_KEY] ??= { entries: new Map(), selected: null });
}

function checkContract(backend: Backend): void {
  if (backend.contractVersion !== CONTRACT_VERSION) {
    throw new Error(
      `backend '${backend.name}' implements kernel contract version ${backend.contractVersion}, ` +
        `but this @tensile/core speaks version ${CONTRACT_VERSION}; install matching versions of ` +
        `@tensile/core and the backend package`,
    );
  }
  // Only ops with a composite can be left out; a listed op that is not one is a mistake.
  const listed = backend.accelerates;
  for (const [family, table] of [['unary', UNARY_TABLE], ['binary', BINARY_TABLE]] as const) {
    const ops: readonly string[] | undefined = listed?.[family];
    if (!Array.isArray(ops)) throw new Error(`backend '${backend.name}': accelerates.${family} must list the composite ops it runs as kernels`);
    for (const op of ops) {
      const facts = (table as Record<string, { composite?: unknown }>)[op];
      if (!facts || !facts.composite) {
        throw new Error(
          `backend '${backend.name}': accelerates.${family} lists '${op}', which is ${facts ? 'a primitive (every backend runs it)' : 'not an op of the op table'}`,
        );
      }
    }
  }
}

export interface RegisterOptions {
  /** Higher wins when no backend was chosen with `setBackend` (cpu is 0). */
  priority?: number;
}

/**
 * Make a backend available under its name. Pass an instance for a backend that is ready at
 * once, or `{ name, factory }` for one that needs asynchronous set-up (a GPU device), which
 * runs on the first `setBackend(name)` or `ready(name)`.
 *
 * @example
 * ```ts
 * registerBackend(new CpuBackend(), { priority: 0 });
 * registerBackend({ name: 'webgpu', factory: async () => WebGPUBackend.create() }, { priority: 2 });
 * ```
 */
export function registerBackend(
  backend: Backend | { name: string; factory: BackendFactory },
  options: RegisterOptions = {},
): void {
  const state = registry();
  const priority = options.priority ?? 0;
  if ('factory' in backend) {
    state.entries.set(backend.name, { name: backend.name, priority, factory: backend.factory });
    return;
  }
  checkContract(backend);
  state.entries.set(backend.name, { name: backend.name, priority, factory: () => backend, instance: backend });
}

/** Remove a backend (tests and hot reload). Tensors already on it keep working until freed. */
export function unregisterBackend(name: string): void {
  const state = registry();
  state.entries.delete(name);
  if (state.selected === name) state.selected = null;
}

/** Names of registered backends, highest priority first. */
export function listBackends(): string[] {
  return [...registry().entries.values()].sort((a, b) => b.priority - a.priority).map((e) => e.name);
}

/** The backends Tensile ships as packages; other names are typos or someone else's device. */
const TENSILE_BACKENDS = ['cpu', 'wasm', 'webgpu', 'cuda'];

function entryFor(name: string): Entry {
  const entry = registry().entries.get(name);
  if (!entry) {
    const registered = `registered: ${listBackends().join(', ') || 'none'}`;
    if (!TENSILE_BACKENDS.includes(name)) {
      throw new Error(`no backend named '${name}' (${registered}; Tensile's backends are ${TENSILE_BACKENDS.join(', ')})`);
    }
    throw new Error(`backend '${name}' is not registered (${registered}); import its package, e.g. import '@tensile/backend-${name}'`);
  }
  return entry;
}

/** Initialise a backend (running its factory once) and return it. */
export async function ready(name: string = currentBackendName()): Promise<Backend> {
  const entry = entryFor(name);
  if (entry.instance) return entry.instance;
  if (entry.failure) throw entry.failure;
  entry.pending ??= (async () => {
    try {
      const backend = await entry.factory();
      checkContract(backend);
      entry.instance = backend;
      return backend;
    } catch (cause) {
      entry.failure = cause instanceof Error ? cause : new Error(String(cause));
      throw entry.failure;
    } finally {
      entry.pending = undefined;
    }
  })();
  return entry.pending;
}

/**
 * Choose the default device for new tensors. Resolves once the backend is initialised;
 * rejects with the backend's own message when it cannot start (no GPU, missing package).
 */
export async function setBackend(name: string): Promise<void> {
  await ready(name);
  registry().selected = name;
}

/** The name of the default device: the one chosen by `setBackend`, else the highest priority one that is ready. */
export function currentBackendName(): string {
  const state = registry();
  if (state.selected) return state.selected;
  const readyEntries = [...state.entries.values()].filter((e) => e.instance).sort((a, b) => b.priority - a.priority);
  if (readyEntries.length === 0) {
    throw new Error(
      `no backend is ready; import one, e.g. import '@tensile/backend-cpu', ` +
        `or await setBackend(name) for a backend that needs set-up`,
    );
  }
  return readyEntries[0].name;
}

/** The initialised backend called `name` (default: the current one). */
export function getBackend(name: string = currentBackendName()): Backend {
  const entry = entryFor(name);
  if (!entry.instance) {
    throw new Error(`backend '${name}' is registered but not initialised; call await setBackend('${name}') or await ready('${name}') first`);
  }
  return entry.instance;
}
