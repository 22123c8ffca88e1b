/**
 * Fixture cases: PyTorch's values and gradients for every public op (written by
 * `tools/generate_fixtures.py`), replayed on the backend under test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import { expectTensor, type Expected } from './compare.js';
import { HOST } from './kernels/views.js';
import type { Suite } from './context.js';
import { gradTolerance, secondTolerance, TOLERANCES, type ToleranceClass } from './tolerances.js';

export interface InputSpec extends Expected {
  /** Whether the case differentiates with respect to this input. */
  grad: boolean;
}

/** An expression of the fixture DSL (see tools/generate_fixtures.py). */
export type Expr = unknown;

export interface FixtureCase {
  name: string;
  call: Expr;
  inputs: InputSpec[];
  tol: ToleranceClass;
  out: Expected[];
  /** One weight per output: the loss is sum_i (out_i * w_i).sum(). */
  w?: Expected[];
  /** Gradient of the loss for each input (null where the input takes none). */
  grads?: (Expected | null)[];
  /** Second derivatives (higher.json): weights `u` and grad(sum_i (grads_i * u_i).sum()). */
  u?: Expected[];
  second?: Expected[];
}

interface FixtureFile {
  generator: string;
  torch: string;
  cases: FixtureCase[];
}

/** The fixtures directory, found relative to this file. */
export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** Every fixture file, by name without `.json`. */
export function loadFixtures(): Map<string, FixtureCase[]> {
  const files = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort();
  const out = new Map<string, FixtureCase[]>();
  for (const f of files) {
    const parsed = JSON.parse(readFileSync(join(FIXTURE_DIR, f), 'utf8')) as FixtureFile;
    out.set(f.replace(/\.json$/, ''), parsed.cases);
  }
  return out;
}

/** A tensor on `device` from a fixture spec (a leaf, requiring grad when asked). */
export function makeTensor(spec: Expected, device: string, requiresGrad = false): tl.Tensor {
  const host = new HOST[spec.dtype](spec.data.length);
  spec.data.forEach((v, i) => (host[i] = Number(v)));
  const flat = tl.tensor(host, { dtype: spec.dtype, device });
  const shaped = flat.reshape(spec.shape);
  flat.dispose();
  if (requiresGrad) shaped.requiresGrad = true;
  return shaped;
}

/** Interpret one DSL expression. */
export function evaluate(expr: Expr, inputs: tl.Tensor[], device: string): unknown {
  if (Array.isArray(expr)) return expr.map((e) => evaluate(e, inputs, device));
  if (expr === null || typeof expr !== 'object') return expr;
  const node = expr as Record<string, unknown>;
  if ('$t' in node) return inputs[node.$t as number];
  if ('$undef' in node) return undefined;
  if ('$opts' in node) return { ...(node.$opts as object), device };
  if ('$num' in node) return Number(node.$num);
  if ('$get' in node) {
    const [inner, key] = node.$get as [Expr, string];
    return (evaluate(inner, inputs, device) as Record<string, unknown>)[key];
  }
  if ('op' in node) {
    const op = node.op as string;
    const args = (node.args as Expr[]).map((a) => evaluate(a, inputs, device));
    if (node.method) {
      const self = args[0] as Record<string, unknown>;
      const method = self[op];
      if (typeof method !== 'function') throw new Error(`fixture calls missing method Tensor.${op}`);
      return (method as (...a: unknown[]) => unknown).apply(self, args.slice(1));
    }
    // A dotted name reaches into a namespace: 'linalg.vectorNorm' is tl.linalg.vectorNorm.
    const fn = op.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], tl);
    if (typeof fn !== 'function') throw new Error(`fixture calls missing function tl.${op}`);
    return (fn as (...a: unknown[]) => unknown)(...args);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, evaluate(v, inputs, device)]));
}

/** Whether `expr` is one op on inputs and constants: no nested op makes tensors of its own. */
function callsOneOp(expr: Expr): boolean {
  if (expr === null || typeof expr !== 'object' || !('op' in (expr as object))) return false;
  return opsIn((expr as { args: Expr[] }).args).size === 0;
}

/** Every op name an expression calls. */
export function opsIn(expr: Expr, into = new Set<string>()): Set<string> {
  if (Array.isArray(expr)) expr.forEach((e) => opsIn(e, into));
  else if (expr !== null && typeof expr === 'object') {
    const node = expr as Record<string, unknown>;
    if (typeof node.op === 'string') into.add(node.op);
    Object.values(node).forEach((v) => opsIn(v, into));
  }
  return into;
}

/**
 * An op's result as tensors: awaited when it is a promise (ops whose output depends on the
 * values, and those that resolve to booleans), booleans as 0-d bool tensors.
 */
async function settle(result: unknown, device: string): Promise<unknown> {
  const value = await result;
  return typeof value === 'boolean' ? tl.tensor(value, { dtype: 'bool', device }) : value;
}

function asList(result: unknown): tl.Tensor[] {
  if (Array.isArray(result)) return result as tl.Tensor[];
  // Named results ({ values, indices }, { min, max }) in PyTorch's tuple order.
  if (result !== null && typeof result === 'object' && !(result instanceof tl.Tensor)) return Object.values(result) as tl.Tensor[];
  return [result as tl.Tensor];
}

async function runCase(c: FixtureCase, device: string, composites = false): Promise<void> {
  const created: tl.Tensor[] = [];
  try {
    const inputs = c.inputs.map((spec) => makeTensor(spec, device, spec.grad));
    created.push(...inputs);
    // tidy frees the call's intermediates now, rather than leaving them to the GC net, whose
    // finalizers could change tl.memory() counts under other tests during an awaited read.
    const call = () => evaluate(c.call, inputs, device);
    const result = tl.tidy(() => (composites ? tl.withComposites(call) : call()));
    const outs = asList(await settle(result, device));
    created.push(...outs);
    if (!(result instanceof Promise) && typeof result !== 'boolean' && callsOneOp(c.call)) {
      // Once more without tidy: the op must leave exactly its outputs alive (a leaked
      // intermediate would stay counted until a GC). Asynchronous ops are left out.
      const before = tl.memory().numTensors;
      const fresh = asList(composites ? tl.withComposites(call) : call());
      const left = tl.memory().numTensors - before;
      fresh.forEach((t) => t.dispose());
      expect(left, 'tensors the op left alive beyond its outputs').toBe(fresh.length);
    }
    expect(outs.length).toBe(c.out.length);
    for (const [i, o] of outs.entries()) {
      expect(o.device).toBe(device);
      await expectTensor(o, c.out[i], TOLERANCES[c.tol], `output ${i}`);
    }
    if (!c.grads || !c.w) return;
    const loss = tl.tidy(() => {
      let total: tl.Tensor | null = null;
      outs.forEach((o, i) => {
        const term = o.mul(makeTensor(c.w![i], device)).sum();
        total = total ? total.add(term) : term;
      });
      return total!;
    });
    created.push(loss);
    loss.backward();
    for (const [i, expected] of c.grads.entries()) {
      const g = inputs[i].grad;
      if (!expected) {
        // PyTorch found no dependence: no gradient, or zeros.
        if (g) expect(Array.from(await g.data()).every((v) => v === 0)).toBe(true);
        continue;
      }
      if (!g) throw new Error(`input ${i}: expected a gradient, got none`);
      await expectTensor(g, expected, gradTolerance(c.tol), `grad of input ${i}`);
    }
  } finally {
    for (const t of created) {
      t.grad = null;
      t.dispose();
    }
  }
}

async function runHigher(c: FixtureCase, device: string): Promise<void> {
  const created: tl.Tensor[] = [];
  try {
    const inputs = c.inputs.map((spec) => makeTensor(spec, device, true));
    created.push(...inputs);
    const outs = asList(tl.tidy(() => evaluate(c.call, inputs, device)));
    created.push(...outs);
    const out = outs[0];
    await expectTensor(out, c.out[0], TOLERANCES[c.tol]);
    const w = makeTensor(c.w![0], device);
    const loss = out.mul(w).sum();
    created.push(w, loss);
    const grads = tl.grad(loss, inputs, { createGraph: true });
    for (const [i, g] of grads.entries()) {
      created.push(g!);
      await expectTensor(g!, c.grads![i]!, gradTolerance(c.tol), `grad of input ${i}`);
    }
    const second = tl.tidy(() => {
      let total: tl.Tensor | null = null;
      grads.forEach((g, i) => {
        const term = g!.mul(makeTensor(c.u![i], device)).sum();
        total = total ? total.add(term) : term;
      });
      return total!;
    });
    created.push(second);
    const grads2 = tl.grad(second, inputs, { allowUnused: true });
    for (const [i, g] of grads2.entries()) {
      if (g) created.push(g);
      const actual = g ?? tl.zerosLike(inputs[i]);
      if (!g) created.push(actual);
      await expectTensor(actual, c.second![i], secondTolerance(c.tol), `second derivative for input ${i}`);
    }
  } finally {
    created.forEach((t) => t.dispose());
  }
}

/**
 * Public ops that no fixture needs to call: PyTorch has no equal to compare with, or
 * another group checks them.
 */
const NOT_FIXTURED = new Set([
  // Random draws and the generator's state: the `random` group checks them against core's
  // Philox reference bit for bit.
  'rand', 'randn', 'randint', 'randLike', 'randnLike', 'manualSeed', 'getRngState', 'setRngState',
  'randintLike', 'randperm', 'normal', 'bernoulli', 'multinomial', 'poisson', 'Generator', 'defaultGenerator',
  // Uninitialised memory: the `random` group checks shape, dtype and device.
  'empty', 'emptyLike',
  // Devices: moves between them (the `edge` and `error` groups) and what one holds (the half fixtures).
  'toDevice', 'toDeviceAsync', 'isDTypeSupported',
]);

/** Ops the fixture DSL calls by their method name. */
const CALLED_AS: Record<string, string> = { variance: 'var' };

/**
 * Every public op (core's `ops` namespace, and the functions of its namespaces such as
 * `linalg`) but those above, each of which a fixture must call. Synchronous forms (`*Sync`)
 * run the same computation after a synchronous read: the edge group checks them.
 */
export const REQUIRED_OPS = Object.entries(tl.ops)
  .flatMap(([name, value]) => (typeof value === 'function' ? [name] : Object.keys(value as object).map((member) => `${name}.${member}`)))
  .filter((name) => !NOT_FIXTURED.has(name) && !name.endsWith('Sync'))
  .map((name) => CALLED_AS[name] ?? name)
  .sort();

/** Whether the backend under test holds float16 tensors (known once it is ready). */
function halfSupport(device: string): boolean {
  try {
    return tl.isDTypeSupported('float16', device);
  } catch {
    return false; // not ready: the suite's first test reports that
  }
}

/** The ops on the optional `scan` kernel. */
const SCAN_OPS = ['cumsum', 'cumprod', 'cummax', 'cummin', 'logcumsumexp'];

/** The composite ops that `device` runs as kernels: their cases also run on the composite. */
function acceleratedComposites(device: string): Set<string> {
  try {
    const backend = tl.getBackend(device);
    const { unary, binary } = backend.accelerates;
    // Ops on an optional kernel run their composite where the backend lacks it: check both.
    const scans = backend.scan ? SCAN_OPS : [];
    const attention = backend.attention ? ['scaledDotProductAttention'] : [];
    return new Set<string>([...unary, ...binary, ...scans, ...attention]);
  } catch {
    return new Set(); // not ready: the suite's first test reports that
  }
}

export function fixtureTests(suite: Suite): void {
  const files = loadFixtures();
  const accelerated = acceleratedComposites(suite.device);
  describe('fixtures (values and gradients against PyTorch)', () => {
    const called = new Set<string>();
    const half = halfSupport(suite.device);
    for (const [file, cases] of files) {
      if (file === 'half' && !half) {
        // float16 is optional (DESIGN.md): a backend without it must refuse it clearly.
        suite.test('fixture:half', 'float16 is refused with a clear error', () => {
          const tensorsBefore = tl.memory().numTensors;
          expect(() => tl.zeros([2], { dtype: 'float16', device: suite.device })).toThrow(
            new RegExp(`float16 tensors are not supported on the '${suite.device}' backend`),
          );
          expect(() => tl.randn([2], { dtype: 'float16', device: suite.device })).toThrow(/float16 tensors are not supported/);
          expect(tl.memory().numTensors).toBe(tensorsBefore);
        });
        continue;
      }
      describe(file, () => {
        for (const c of cases) {
          const ops = opsIn(c.call);
          ops.forEach((op) => called.add(op));
          const run = file === 'higher' ? runHigher : runCase;
          suite.test(`fixture:${file}`, c.name, () => run(c, suite.device));
          // Where the backend has kernels for a composite op, check its composite here too.
          if (file !== 'higher' && [...ops].some((op) => accelerated.has(op))) {
            suite.test(`fixture:${file}`, `${c.name} (composite)`, () => runCase(c, suite.device, true));
          }
        }
      });
    }
    suite.test('fixture:coverage', 'every public op has a fixture', () => {
      const missing = REQUIRED_OPS.filter((op) => !called.has(op));
      expect(missing).toEqual([]);
      expect(files.get('higher')?.length ?? 0).toBeGreaterThan(0);
    });
  });
}
