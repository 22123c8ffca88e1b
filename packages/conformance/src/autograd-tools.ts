/**
 * The autograd tools: `tl.autograd.functional` (vjp, jvp, jacobian, hessian, vhp, hvp) and
 * tensor hooks / `retainGrad` against PyTorch 1.13 (`fixtures/autograd/*.json`, written by
 * `tools/autograd_fixtures.py`); gradient checkpointing against the same computation without
 * it; multi-output custom ops, `tl.autograd.backward`, `setGradEnabled` and `inferenceMode`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import { expectSame, expectTensor, expectValues, randoms, type Expected } from './compare.js';
import type { Suite } from './context.js';
import { FIXTURE_DIR, makeTensor } from './fixtures.js';
import { EXACT, TOLERANCES } from './tolerances.js';

const F = tl.autograd.functional;
type T = tl.Tensor;

/** The functions of tools/autograd_fixtures.py's FUNCS, with Tensile ops. */
export const AUTOGRAD_FUNCS: Record<string, (...xs: T[]) => T | T[]> & Record<'linear' | 'independent' | 'cubeSum', (...xs: T[]) => T> = {
  expSum1: (x) => x.exp().sum(1),
  adder: (x, y) => x.mul(2).add(y.mul(3)),
  matmulTanh: (x, y) => x.matmul(y).tanh(),
  pair: (x, y) => [x.sin().mul(y), x.mul(y).sum()],
  cubeSum: (x) => x.pow(3).sum(),
  logsumexp: (x) => x.logsumexp(0),
  quadratic: (x, y) => x.pow(2).mul(2).add(y.pow(2).mul(3)).sum(),
  mlp: (w1, w2, x) => x.matmul(w1).tanh().matmul(w2).sigmoid().sum(),
  softmaxPick: (x, w) => x.matmul(w).logSoftmax(1).select(1, 0).sum(),
  independent: (x) => x.exp().sum(),
  linear: (x) => x.mul(3).sum(),
};

type Nested = Expected | Nested[];

/** The functions of tools/autograd_fixtures.py's VMAP_FUNCS, with Tensile ops. */
const VMAP_FUNCS: Record<string, (...xs: T[]) => T | T[]> = {
  matvec: (a, v) => tl.func.vmap((row: T, vec: T) => row.matmul(vec), { inDims: [0, null] })(a, v),
  softmaxDim1: (x) => tl.func.vmap((col: T) => col.softmax(0), { inDims: 1 })(x),
  pairOutDims: (x) => tl.func.vmap((r: T) => [r.sin(), r.sum()], { outDims: [1, 0] })(x) as T[],
  nestedOuter: (x, y) => tl.func.vmap((a: T) => tl.func.vmap((b: T) => a.mul(b).exp())(y))(x),
  perSampleGrad: (w, x, y) => {
    const loss = (w: T, x: T, y: T) => x.matmul(w).tanh().sub(y).pow(2).sum();
    return tl.func.vmap(tl.func.grad(loss) as (w: T, x: T, y: T) => T, { inDims: [null, 0, 0] })(w, x, y);
  },
};

interface VmapCase {
  name: string;
  inputs: Expected[];
  result: Nested;
  w: Expected[];
  grads: (Expected | null)[];
}

interface FunctionalCase {
  name: string;
  op: 'jacobian' | 'hessian' | 'vjp' | 'jvp' | 'vhp' | 'hvp';
  fn: string;
  inputs: Expected[];
  inputsTuple: boolean;
  v?: Expected[];
  vTuple?: boolean;
  options: Record<string, unknown>;
  output?: Nested;
  result: Nested;
  post?: { w: Expected[]; grads: Expected[] };
}

interface HookScenarios {
  scenarios: Record<string, Record<string, Expected | Expected[] | null>>;
}

function readJson<R>(name: string): R {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, 'autograd', `${name}.json`), 'utf8')) as R;
}

function flatten(value: unknown): T[] {
  return Array.isArray(value) ? value.flatMap(flatten) : [value as T];
}

/** Jacobians and Hessians are sums over a few terms, twice differentiated: the second-order tolerance. */
const FUNCTIONAL = { rtol: 2e-3, atol: 5e-4 };
/** One more derivative (createGraph results, differentiated again). */
const THIRD = { rtol: 5e-3, atol: 1e-3 };

async function expectNested(actual: unknown, expected: Nested, what: string, tol = FUNCTIONAL): Promise<void> {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${what}: expected an array`).toBe(true);
    const list = actual as unknown[];
    expect(list.length, `${what}: length`).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) await expectNested(list[i], expected[i], `${what}[${i}]`, tol);
    return;
  }
  expect(actual instanceof tl.Tensor, `${what}: expected a Tensor`).toBe(true);
  await expectTensor(actual as T, expected, tol, what);
}

export function autogradToolTests(suite: Suite): void {
  const device = suite.device;
  const t = (data: tl.TensorData) => tl.tensor(data, { device });
  const leaf = (data: tl.TensorData) => tl.tensor(data, { device, requiresGrad: true });
  /** A leaf of `shape` (optionally requiring grad) holding `data`. */
  const shaped = (data: number[], shape: number[], requiresGrad = false) => {
    const x = tl.tidy(() => t(data).reshape(shape));
    if (requiresGrad) x.requiresGrad = true;
    return x;
  };
  const free = (...xs: unknown[]) =>
    flatten(xs).forEach((x) => {
      if (!x) return;
      x.grad = null;
      x.dispose();
    });

  describe('autograd.functional (against PyTorch)', () => {
    const { cases } = readJson<{ cases: FunctionalCase[] }>('functional');
    for (const c of cases) {
      suite.test('autograd:functional', c.name, async () => {
        const before = tl.memory().numTensors;
        const post = c.post !== undefined;
        const inputs = c.inputs.map((spec) => makeTensor(spec, device, post));
        const arg = c.inputsTuple ? inputs : inputs[0];
        const vs = c.v?.map((spec) => makeTensor(spec, device));
        const v = vs && (c.vTuple ? vs : vs[0]);
        const fn = AUTOGRAD_FUNCS[c.fn];
        const opts = c.options as tl.JacobianOptions & tl.HessianOptions;
        let output: unknown;
        let result: unknown;
        switch (c.op) {
          case 'jacobian':
            result = F.jacobian(fn, arg, opts);
            break;
          case 'hessian':
            result = F.hessian(fn as (...xs: T[]) => T, arg, opts);
            break;
          default:
            [output, result] = (F[c.op] as (f: unknown, i: unknown, v: unknown, o: unknown) => [unknown, unknown])(fn, arg, v, opts);
        }
        const made = [...flatten(result), ...(output === undefined ? [] : flatten(output))];
        // The call returns its results and nothing else.
        expect(tl.memory().numTensors).toBe(before + inputs.length + (vs?.length ?? 0) + made.length);
        if (c.output !== undefined) await expectNested(output, c.output, 'output');
        await expectNested(result, c.result, 'result');
        for (const r of made) expect(r.requiresGrad).toBe(post);
        if (c.post) {
          const base = tl.memory().numTensors;
          const loss = tl.tidy(() =>
            flatten(result)
              .map((r, i) => r.mul(makeTensor(c.post!.w[i], device)).sum())
              .reduce((a, b) => a.add(b)),
          );
          const grads = tl.tidy(() => tl.grad(loss, inputs, { allowUnused: true }));
          // Counted before the first await, as below: across an await the GC may release
          // handles that earlier tests forgot, which would disturb an absolute count.
          const postMade = [loss, ...grads.filter((g): g is T => g !== null)];
          expect(tl.memory().numTensors).toBe(base + postMade.length);
          for (const [i, g] of grads.entries()) {
            if (g) await expectTensor(g, c.post.grads[i], THIRD, `post grad ${i}`);
            else expect(c.post.grads[i].data.every((x) => x === 0)).toBe(true);
          }
          const live = tl.memory().numTensors;
          free(postMade);
          expect(tl.memory().numTensors).toBe(live - postMade.length);
        }
        const live = tl.memory().numTensors;
        const ours = [...inputs, ...(vs ?? []), ...made];
        free(ours);
        // Disposing what the case made frees exactly those handles: nothing else was kept alive.
        expect(tl.memory().numTensors).toBe(live - ours.length);
      });
    }

    suite.test('autograd:functional', 'inputs are not changed and their .grad stays untouched', async () => {
      const x = leaf([0.5, -1]);
      const [out, g] = F.vjp((a: T) => a.pow(2).sum(), x);
      expect(x.grad).toBeNull();
      expect(x.requiresGrad).toBe(true);
      await expectValues(g as T, [2], [1, -2], TOLERANCES.elementwise);
      free(x, out, g);
    });

    suite.test('autograd:functional', 'strict mode names the independent input and allocates nothing', () => {
      const x = t([1, 2]);
      const y = t([3, 4]);
      const before = tl.memory().numTensors;
      expect(() => F.jacobian(AUTOGRAD_FUNCS.independent, [x, y], { strict: true })).toThrow(
        'jacobian: output 0 of the function is independent of input 1; this is not allowed in strict mode',
      );
      expect(() => F.vjp(AUTOGRAD_FUNCS.independent, [x, y], undefined, { strict: true })).toThrow(
        'vjp: the output of the function is independent of input 1; this is not allowed in strict mode',
      );
      expect(() => F.hessian(AUTOGRAD_FUNCS.linear, x, { strict: true })).toThrow(/hessian: while computing the hessian, found that the jacobian of the function with respect to input 0 is independent/);
      expect(() => F.vjp(() => t([1]).mul(2), x, undefined, { strict: true })).toThrow(/vjp: output 0 of the function does not require grad/);
      expect(tl.memory().numTensors).toBe(before);
      free(x, y);
    });

    suite.test('autograd:functional', 'bad arguments are clear errors that allocate nothing', () => {
      const x = t([1, 2]);
      const row = x.reshape([1, 2]);
      const before = tl.memory().numTensors;
      expect(() => F.vjp(AUTOGRAD_FUNCS.expSum1, row, x)).toThrow(
        'vjp: v has invalid size: should be [1] but got [2]',
      );
      expect(() => F.vjp((a: T) => a.exp(), x)).toThrow(
        'vjp: the vector v can only be omitted if the function returns a single Tensor with a single element',
      );
      expect(() => F.jvp((a: T) => a.exp(), x)).toThrow('jvp: the vector v can only be omitted if the input is a single Tensor with a single element');
      expect(() => F.jvp(AUTOGRAD_FUNCS.adder, [x, x], [x])).toThrow('jvp: v is an array of invalid length: should be 2 but got 1');
      expect(() => F.jacobian((a: T) => a, [x, 3 as unknown as T])).toThrow(
        'jacobian: the inputs must be a Tensor or an array of Tensors, but the value at index 1 is number',
      );
      expect(() => F.jacobian((() => 'no') as unknown as (a: T) => T, x)).toThrow(/jacobian: the outputs of the function must be a Tensor/);
      expect(() => F.hessian((a: T) => a.exp(), x)).toThrow('hessian: the function should return a Tensor with a single element, got shape [2]');
      expect(() => F.hvp((a: T) => [a.sum(), a.sum()] as unknown as T, x, x)).toThrow(/hvp: the function should return a single Tensor/);
      expect(() => F.jacobian((a: T) => a, x, { vectorize: true as false })).toThrow(/vectorize is not supported/);
      expect(() => F.jacobian((a: T) => a, x, { createGraph: true, strategy: 'forward-mode' })).toThrow(/createGraph and strategy 'forward-mode'/);
      expect(() => F.jacobian((a: T) => a, x, { strategy: 'sideways' as 'forward-mode' })).toThrow(/strategy must be/);
      expect(() => F.vjp((a: T) => a.sum(), x, undefined, { create_graph: true } as tl.FunctionalOptions)).toThrow(
        "vjp: unknown option 'create_graph'; supported: createGraph, strict",
      );
      expect(() => F.jacobian((a: T) => a.mul(a.reshape([1, 2, 1])).reshape([3]), x)).toThrow(/reshape/);
      expect(tl.memory().numTensors).toBe(before);
      free(x, row);
    });
  });

  describe('tensor hooks and retainGrad (against PyTorch)', () => {
    const { scenarios } = readJson<HookScenarios>('hooks');
    const scenario = (name: string, body: (expected: Record<string, Expected | Expected[] | null>) => Promise<void>) =>
      suite.test('autograd:hooks', name, () => body(scenarios[name]));
    const tol = TOLERANCES.elementwise;

    scenario('non-leaf hooks in order, retainGrad last', async (e) => {
      const x = leaf([1, 2, 3]);
      const y = x.mul(2);
      // Copies of what each hook saw, read after backward (GPU backends cannot read inside it).
      const seen: tl.Tensor[] = [];
      y.registerHook((g) => {
        seen.push(tl.keep(g.clone()));
        return g.mul(10);
      });
      y.retainGrad();
      expect(y.retainsGrad).toBe(true);
      y.registerHook((g) => {
        seen.push(tl.keep(g.clone()));
        return g.add(1);
      });
      tl.tidy(() => y.mul(y).sum().backward());
      const seenValues = await Promise.all(seen.map(async (g) => Array.from(await g.data())));
      free(seen);
      expect(seenValues).toEqual((e.seen as Expected[]).map((s) => s.data));
      await expectTensor(y.grad!, e.yGrad as Expected, tol, 'y.grad');
      await expectTensor(x.grad!, e.xGrad as Expected, tol, 'x.grad');
      free(x, y);
    });

    scenario('leaf hook, removed hook', async (e) => {
      const x = leaf([1, 2]);
      x.registerHook((g) => g.mul(3));
      const removed = x.registerHook((g) => g.mul(100));
      removed.remove();
      removed.remove();
      expect(x.retainsGrad).toBe(false);
      tl.tidy(() => x.mul(x).sum().backward());
      await expectTensor(x.grad!, e.xGrad as Expected, tol, 'x.grad');
      free(x);
    });

    scenario('one hook call for a tensor used twice', async (e) => {
      const x = leaf([1, -2]);
      const y = x.exp();
      const seen: tl.Tensor[] = [];
      y.registerHook((g) => {
        // The pass owns g, and what a hook makes is freed when it returns: keep a copy.
        seen.push(tl.keep(g.mul(1)));
      });
      tl.tidy(() => y.mul(3).add(y.pow(2)).sum().backward());
      expect(seen.length).toBe(1);
      await expectTensor(seen[0], (e.seen as Expected[])[0], tol, 'seen');
      await expectTensor(x.grad!, e.xGrad as Expected, tol, 'x.grad');
      free(x, y, seen);
    });

    scenario('grad captures before hooks', async (e) => {
      const x = leaf([1, 2]);
      const y = x.mul(2);
      y.registerHook((g) => g.mul(3));
      y.retainGrad();
      x.registerHook((g) => g.mul(5));
      const loss1 = y.mul(y).sum();
      const [gy] = tl.grad(loss1, [y]);
      await expectTensor(gy!, e.onlyY as Expected, tol, 'grad w.r.t. y alone');
      expect(e.yGradAfterOnlyY).toBeNull();
      expect(y.grad).toBeNull();
      const loss2 = y.mul(y).sum();
      const [gx, gy2] = tl.grad(loss2, [x, y]);
      await expectTensor(gx!, e.x as Expected, tol, 'x');
      await expectTensor(gy2!, e.y as Expected, tol, 'y');
      await expectTensor(y.grad!, e.yGrad as Expected, tol, 'y.grad');
      expect(x.grad).toBeNull();
      free(x, y, loss1, loss2, gy, gx, gy2);
    });

    scenario('retained gradients accumulate', async (e) => {
      const x = leaf([1, 2]);
      const y = x.mul(2);
      y.retainGrad();
      y.retainGrad(); // twice is once
      const loss = y.mul(y).sum();
      loss.backward(undefined, { retainGraph: true });
      loss.backward();
      await expectTensor(y.grad!, e.yGrad as Expected, tol, 'y.grad');
      await expectTensor(x.grad!, e.xGrad as Expected, tol, 'x.grad');
      free(x, y, loss);
    });

    scenario('hooks on split outputs', async (e) => {
      const x = leaf([1, 2, 3, 4]);
      const z = x.mul(1.5);
      const [a, b] = z.split(2);
      a.registerHook((g) => g.mul(2));
      b.registerHook((g) => g.neg());
      z.retainGrad();
      tl.tidy(() => a.pow(2).sum().add(b.mul(3).sum()).backward());
      await expectTensor(z.grad!, e.zGrad as Expected, tol, 'z.grad');
      await expectTensor(x.grad!, e.xGrad as Expected, tol, 'x.grad');
      free(x, z, a, b);
    });

    suite.test('autograd:hooks', 'errors: no grad, a changed shape, a non-tensor; nothing leaks', async () => {
      const plain = t([1, 2]);
      expect(() => plain.registerHook((g) => g)).toThrow(/registerHook: cannot register a hook on a tensor that does not require grad \(\[2\] float32\)/);
      expect(() => plain.retainGrad()).toThrow(/retainGrad: cannot retain the gradient of a tensor that does not require grad/);
      expect(() => (plain.registerHook as (h: unknown) => unknown)(42)).toThrow(/expected a function/);
      const x = leaf([1, 2]);
      const before = tl.memory().numTensors;
      const h = x.registerHook(() => tl.ones([3], { device }));
      expect(() => tl.tidy(() => x.mul(2).sum().backward())).toThrow(
        'registerHook: a hook returned [3] float32 for a gradient of [2] float32; a hook may change values, not the shape or dtype',
      );
      h.remove();
      const h2 = x.registerHook(() => 'nope' as unknown as T);
      expect(() => tl.tidy(() => x.mul(2).sum().backward())).toThrow(/a hook must return a Tensor or nothing, got string/);
      h2.remove();
      expect(x.grad).toBeNull();
      expect(tl.memory().numTensors).toBe(before);
      free(plain, x);
    });

    suite.test('autograd:hooks', 'a hook may return a tensor it did not create; its intermediates are freed', async () => {
      const x = leaf([1, 2]);
      const fixed = t([7, 8]);
      x.registerHook(() => fixed);
      const y = x.mul(3);
      y.registerHook((g) => g.mul(2).add(1).sub(1));
      const before = tl.memory().numTensors;
      tl.tidy(() => y.sum().backward());
      // Only x.grad is new: the hook's intermediates are gone and `fixed` is still the caller's.
      expect(tl.memory().numTensors).toBe(before + 1);
      await expectValues(x.grad!, [2], [7, 8], EXACT);
      await expectValues(fixed, [2], [7, 8], EXACT);
      free(x, y, fixed);
    });

    scenario('hooks under createGraph, and again in a later pass', async (e) => {
      const x = leaf([1, 2]);
      const y = x.mul(x);
      y.registerHook((g) => g.mul(y));
      y.retainGrad();
      const z = y.pow(2).sum();
      z.backward(undefined, { createGraph: true });
      await expectTensor(x.grad!, e.xGrad as Expected, tol, 'x.grad');
      await expectTensor(y.grad!, e.yGrad as Expected, tol, 'y.grad');
      expect(x.grad!.requiresGrad).toBe(true);
      expect(y.grad!.requiresGrad).toBe(true);
      const total = x.grad!.sum();
      const [g2] = tl.tidy(() => tl.grad(total, [x]));
      await expectTensor(g2!, e.second as Expected, tol, 'second derivative');
      await expectTensor(y.grad!, e.yGradAfter as Expected, tol, 'y.grad after the second pass');
      free(x, y, z, total, g2);
    });
  });

  describe('checkpoint', () => {
    const block = (w1: T, w2: T) => (x: T) => {
      const h = x.matmul(w1).tanh();
      const keepMask = tl.rand(h.shape, { device }).gt(0.3);
      return h.mul(keepMask).div(0.7).matmul(w2).sigmoid();
    };

    suite.test('autograd:checkpoint', 'same values and gradients as without it, dropout included', async () => {
      const mk = () => {
        const w1 = tl.tensor(randoms(12, 5), { device, requiresGrad: true });
        const w2 = tl.tensor(randoms(8, 6), { device, requiresGrad: true });
        return { w1: w1.reshape([3, 4]), w2: w2.reshape([4, 2]), leaves: [w1, w2] };
      };
      const a = mk();
      const b = mk();
      const xa = tl.tensor(randoms(15, 7), { device, requiresGrad: true });
      const xb = tl.tensor(randoms(15, 7), { device, requiresGrad: true });
      tl.manualSeed(11);
      const ya = tl.tidy(() => block(a.w1, a.w2)(xa.reshape([5, 3])));
      tl.tidy(() => ya.mul(ya).sum().backward());
      const afterPlain = tl.getRngState();
      tl.manualSeed(11);
      const yb = tl.checkpoint(block(b.w1, b.w2), tl.tidy(() => xb.reshape([5, 3])));
      expect(yb.gradFn?.name).toBe('CheckpointBackward');
      tl.rand([3], { device }).dispose(); // draws between forward and backward do not disturb the replay
      const drawn = tl.getRngState();
      tl.tidy(() => yb.mul(yb).sum().backward());
      // The replay restores the generator afterwards.
      expect(tl.getRngState()).toEqual(drawn);
      expect(afterPlain.offset + 3).toBe(drawn.offset);
      await expectSame(yb, ya, EXACT, 'output');
      for (let i = 0; i < 2; i++) await expectSame(b.leaves[i].grad!, a.leaves[i].grad!, EXACT, `parameter ${i} gradient`);
      await expectSame(xb.grad!, xa.grad!, EXACT, 'input gradient');
      free(a.leaves, b.leaves, a.w1, a.w2, b.w1, b.w2, xa, xb, ya, yb);
    });

    suite.test('autograd:checkpoint', 'works under tl.grad and createGraph, with several outputs and non-tensor arguments', async () => {
      const w = leaf([0.5, -1.5]);
      const x = leaf([1, 2]);
      const seg = (a: T, scale: number) => [a.mul(w).sin().mul(scale), a.exp().sum()];
      const [p, q] = tl.checkpoint(seg, x, 3);
      const loss = p.sum().add(q);
      const [gw, gx] = tl.grad(loss, [w, x], { createGraph: true });
      // d/dw sum 3 sin(w x) = 3 x cos(w x); d/dx = 3 w cos(w x) + e^x
      const cw = [Math.cos(0.5), Math.cos(-3)];
      await expectValues(gw!, [2], [3 * cw[0], 6 * cw[1]], TOLERANCES.elementwise);
      await expectValues(gx!, [2], [1.5 * cw[0] + Math.E, -4.5 * cw[1] + Math.exp(2)], TOLERANCES.elementwise);
      // Second derivative through the replayed segment: d/dx of gx.sum() = -3 w² sin(wx) + e^x.
      const [gxx] = tl.grad(gx!.sum(), [x]);
      await expectValues(gxx!, [2], [-0.75 * Math.sin(0.5) + Math.E, -6.75 * Math.sin(-3) + Math.exp(2)], TOLERANCES.reduce);
      expect(w.grad).toBeNull();
      free(w, x, p, q, loss, gw, gx, gxx);
    });

    suite.test('autograd:checkpoint', 'frees the segment: flat memory over steps, nothing kept after backward', async () => {
      const m1 = shaped(randoms(12, 8), [3, 4], true);
      const m2 = shaped(randoms(8, 9), [4, 2], true);
      const x = shaped(randoms(15, 10), [5, 3]);
      const step = () => {
        const y = tl.checkpoint(block(m1, m2), x);
        tl.tidy(() => y.sum().backward());
        y.dispose();
      };
      step();
      const before = tl.memory();
      for (let i = 0; i < 3; i++) step();
      const after = tl.memory();
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
      // A checkpointed output holds its inputs only, not the segment's activations.
      const big = shaped(randoms(3 * 64, 12), [64, 3]);
      const bytes0 = tl.memory().numBytes;
      const y = tl.checkpoint(block(m1, m2), big);
      const heldCheckpointed = tl.memory().numBytes - bytes0;
      y.dispose();
      const bytes1 = tl.memory().numBytes;
      const z = tl.tidy(() => block(m1, m2)(big));
      const heldPlain = tl.memory().numBytes - bytes1;
      expect(heldCheckpointed).toBeLessThan(heldPlain);
      free(m1, m2, x, big, z);
    });

    suite.test('autograd:checkpoint', 'without grad it just runs; a bad function is a clear error that leaks nothing', async () => {
      const x = leaf([1, 2]);
      const y = tl.noGrad(() => tl.checkpoint((a: T) => a.mul(2), x));
      expect(y.gradFn).toBeNull();
      const before = tl.memory().numTensors;
      expect(() => tl.checkpoint((a: T) => [a.mul(2), 'x'] as unknown as T[], x)).toThrow(
        'checkpoint: the function must return a Tensor or a non-empty array of Tensors',
      );
      expect(() => tl.checkpoint(null as unknown as (a: T) => T, x)).toThrow('checkpoint: expected a function, got null');
      expect(tl.memory().numTensors).toBe(before);
      // The identity, and a segment returning a captured parameter, still route gradients.
      const w = leaf([3, 4]);
      const [same, captured] = tl.checkpoint((a: T) => [a, w], x);
      tl.tidy(() => same.mul(captured).sum().backward());
      await expectValues(x.grad!, [2], [3, 4], EXACT);
      await expectValues(w.grad!, [2], [1, 2], EXACT);
      free(x, y, w, same, captured);
    });
  });

  describe('gradcheck, anomaly detection, func.grad', () => {
    const syncReads = () => tl.getBackend(device).readSync !== undefined;

    suite.test('autograd:debug', 'gradcheck passes for core ops and names the mismatch of a wrong backward', () => {
      const x = leaf([0.3, -0.7, 1.2]);
      const y = shaped([0.5, 2, -1, 0.25, 1.5, -0.5], [3, 2], true);
      const constant = t([1]);
      if (!syncReads()) {
        expect(() => tl.autograd.gradcheck((a: T) => a.exp(), x)).toThrow(/cannot read synchronously/);
        free(x, y, constant);
        return;
      }
      const before = tl.memory().numTensors;
      expect(tl.autograd.gradcheck((a: T, b: T) => a.sin().unsqueeze(0).matmul(b).tanh(), [x, y])).toBe(true);
      const wrong = tl.customOp({ name: 'badSquare', forward: (a: T) => a.mul(a), backward: (g, { inputs: [a] }) => [g.mul(a)] });
      expect(() => tl.autograd.gradcheck(wrong, x)).toThrow(/^gradcheck: Jacobian mismatch for output 0 with respect to input 0/);
      expect(tl.autograd.gradcheck(wrong, x, { raiseException: false })).toBe(false);
      expect(() => tl.autograd.gradcheck((a: T) => a, constant)).toThrow('gradcheck: expected at least one input tensor to require gradient');
      expect(tl.memory().numTensors).toBe(before);
      free(x, y, constant);
    });

    suite.test('autograd:debug', 'detectAnomaly names the op whose backward made NaN and where it was called', () => {
      const x = leaf([0, 4]);
      if (!syncReads()) {
        expect(() => tl.autograd.detectAnomaly(() => tl.tidy(() => x.sqrt().mul(0).sum().backward()))).toThrow(/cannot read synchronously/);
        free(x);
        return;
      }
      const before = tl.memory().numTensors;
      let error: Error | null = null;
      try {
        tl.autograd.detectAnomaly(() => tl.tidy(() => x.sqrt().mul(0).sum().backward()));
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).toMatch(/^backward: function '\w+' returned nan values in its 0th output\.\nTraceback of the forward call that made it:\n/);
      expect(error?.message).toMatch(/autograd-tools/);
      expect(x.grad).toBeNull();
      expect(tl.memory().numTensors).toBe(before);
      expect(tl.autograd.isAnomalyEnabled()).toBe(false);
      // Off, the NaN goes through, as PyTorch.
      tl.tidy(() => x.sqrt().mul(0).sum().backward());
      expect(Number.isNaN(x.grad!.dataSync()[0])).toBe(true);
      free(x);
    });

    suite.test('autograd:debug', 'func.grad and func.gradAndValue: argnums, hasAux, composition, errors', async () => {
      const x = t([0.5, -1]);
      const y = t([2, 3]);
      const two = t([2]);
      const f = (a: T, b: T) => a.sin().mul(b).sum();
      // Every transform runs before the first await and the counts are taken around them:
      // across an await the GC may release handles that earlier tests forgot.
      const before = tl.memory().numTensors;
      const gx = tl.func.grad(f)(x, y) as T;
      const [ga, gb] = tl.func.grad(f, { argnums: [0, 1] })(x, y) as T[];
      const [g, [value, aux]] = tl.func.gradAndValue((a: T) => [a.pow(2).sum(), 'aux'], { hasAux: true })(x) as [T, [T, string]];
      // d²/da² of a³ at 2: 12, by composing the transform.
      const d2 = tl.func.grad((a: T) => (tl.func.grad((b: T) => b.pow(3).sum())(a) as T).sum())(two) as T;
      expect(tl.memory().numTensors).toBe(before + 6);
      expect(() => tl.func.grad((a: T) => a)(x)).toThrow('grad: the function must return a Tensor with a single element, got shape [2]');
      expect(() => tl.func.grad(f, { argnums: 2 })(x, y)).toThrow('grad: argnums 2 is out of range for 2 positional arguments');
      expect(() => tl.func.grad((a: T) => a.sum(), { hasAux: true })(x)).toThrow(/with hasAux the function must return \[output, aux\]/);
      expect(tl.memory().numTensors).toBe(before + 6);
      await expectValues(gx, [2], [2 * Math.cos(0.5), 3 * Math.cos(-1)], TOLERANCES.elementwise);
      await expectValues(gb, [2], [Math.sin(0.5), Math.sin(-1)], TOLERANCES.elementwise);
      await expectValues(g, [2], [1, -2], TOLERANCES.elementwise);
      await expectValues(value, [], [1.25], TOLERANCES.elementwise);
      expect(aux).toBe('aux');
      expect(value.requiresGrad).toBe(false);
      await expectValues(d2, [1], [12], TOLERANCES.elementwise);
      free(x, y, two, gx, ga, gb, g, value, d2);
    });
  });

  describe('func.vmap', () => {
    for (const c of readJson<{ cases: VmapCase[] }>('vmap').cases) {
      suite.test('autograd:vmap', `${c.name}: values and gradients against functorch.vmap`, async () => {
        const inputs = c.inputs.map((e) => shaped(e.data as number[], e.shape, true));
        const before = tl.memory().numTensors;
        const result = VMAP_FUNCS[c.name](...inputs);
        const outs = flatten(result);
        const loss = tl.tidy(() => outs.map((o, i) => o.mul(shaped(c.w[i].data as number[], c.w[i].shape))).reduce((a, b) => a.sum().add(b.sum()), tl.zeros([], { device })).sum());
        const grads = tl.grad([loss], inputs, { allowUnused: true });
        // The outputs, the loss and the gradients: everything else vmap made is freed.
        expect(tl.memory().numTensors).toBe(before + outs.length + 1 + grads.filter((g) => g).length);
        await expectNested(result, c.result, `${c.name} result`);
        for (let i = 0; i < inputs.length; i++) {
          if (c.grads[i]) await expectTensor(grads[i]!, c.grads[i]!, FUNCTIONAL, `${c.name} grad of input ${i}`);
        }
        free(...inputs, ...outs, loss, ...grads);
      });
    }
    suite.test('autograd:vmap', 'randomness, structured inputs and outputs, and errors that name the problem', async () => {
      const x = shaped([1, 2, 3, 4, 5, 6], [3, 2]);
      const [xt, pair] = [x.t(), t([10, 20])];
      const before = tl.memory().numTensors;
      expect(() => tl.func.vmap((r: T) => r.add(tl.rand([2], { device })))(x)).toThrow(/vmap: fn drew random numbers while randomness is 'error'/);
      tl.manualSeed(7);
      const same = tl.func.vmap((r: T) => r.mul(0).add(tl.rand([2], { device })), { randomness: 'same' })(x);
      tl.manualSeed(7);
      const different = tl.func.vmap((r: T) => r.mul(0).add(tl.rand([2], { device })), { randomness: 'different' })(x);
      const structured = tl.func.vmap((p: { a: T; b: T[] }, k: number) => ({ sum: p.a.add(p.b[0]).mul(k), first: p.b[1] }), { inDims: [{ a: 0, b: [1, null] }, null] })(
        { a: x, b: [xt, pair] }, 2,
      ) as { sum: T; first: T };
      expect(() => tl.func.vmap((a: T, b: T) => a.add(b))(x, pair)).toThrow(/vmap: every mapped input needs the same size along its mapped dim, got 3 \(argument 0\), 2 \(argument 1\)/);
      expect(() => tl.func.vmap((a: T) => a, { inDims: null })(x)).toThrow(/vmap: at least one input must be a tensor mapped over a dim/);
      expect(() => tl.func.vmap((a: T) => a, { inDims: 2 })(x)).toThrow(/vmap: inDims 2 for argument 0 is out of range for a tensor of rank 2/);
      expect(() => tl.func.vmap((a: T) => a.sum().item() as unknown as T)(x)).toThrow(/vmap: fn must return tensors/);
      expect(() => tl.func.vmap((a: T) => a, { batchSize: 2 } as object)(x)).toThrow(/vmap: unknown option 'batchSize'; supported: inDims, outDims, randomness, chunkSize/);
      expect(() => tl.func.vmap((a: T) => a, { chunkSize: 0 })(x)).toThrow(/vmap: chunkSize must be a positive integer or null, got 0/);
      expect(tl.memory().numTensors).toBe(before + 4); // same, different, structured.sum, structured.first
      const rows = Array.from(await same.data());
      expect(rows.slice(0, 2)).toEqual(rows.slice(2, 4));
      expect(rows.slice(0, 2)).toEqual(rows.slice(4, 6));
      const drawn = Array.from(await different.data());
      expect(drawn.slice(0, 2)).not.toEqual(drawn.slice(2, 4));
      await expectValues(structured.sum, [3, 2], [4, 8, 12, 16, 20, 24], EXACT); // (row of x + column of xᵀ, the same row) · 2
      await expectValues(structured.first, [3, 2], [10, 20, 10, 20, 10, 20], EXACT); // the unmapped input, once per sample
      free(x, xt, pair, same, different, structured.sum, structured.first);
    });
  });

  describe('custom ops with several outputs, autograd.backward, grad modes', () => {
    suite.test('autograd:custom', 'a custom op with two outputs gets both gradients (zeros for an unused one)', async () => {
      const seen: (T | null)[][] = [];
      const sumDiff = tl.customOp({
        name: 'sumDiff',
        forward: (a: T, b: T) => [a.add(b), a.sub(b)],
        backward: (grads, { needsInputGrad }) => {
          seen.push(grads);
          expect(needsInputGrad).toEqual([true, false]);
          const [gs, gd] = grads as T[];
          return [gs.add(gd), null];
        },
      });
      const a = leaf([1, 2]);
      const b = t([10, 20]);
      const [s, d] = sumDiff(a, b);
      expect(s.gradFn?.name).toBe('sumDiff');
      await expectValues(d, [2], [-9, -18], EXACT);
      const before = tl.memory().numTensors;
      tl.tidy(() => s.mul(3).sum().backward(undefined, { retainGraph: true }));
      expect(tl.memory().numTensors).toBe(before + 1);
      await expectValues(a.grad!, [2], [3, 3], EXACT);
      expect(seen[0][1]).not.toBeNull(); // materialized zeros
      a.grad = null;
      tl.tidy(() => s.mul(2).sum().add(d.mul(5).sum()).backward());
      await expectValues(a.grad!, [2], [7, 7], EXACT);
      expect(() => sumDiff(a, 3 as unknown as T)).toThrow('sumDiff: input 1 is a number; custom ops take tensors');
      free(a, b, s, d);
    });

    suite.test('autograd:custom', 'autograd.backward runs several roots in one pass', async () => {
      const x = leaf([1, 2]);
      const a = x.mul(x).sum();
      const b = x.mul(3);
      tl.autograd.backward([a, b], [null, t([1, 10])]);
      await expectValues(x.grad!, [2], [5, 34], EXACT);
      expect(() => tl.autograd.backward([a], [t([1]), t([2])])).toThrow(/got 2 gradients for 1 outputs/);
      free(x, a, b);
    });

    suite.test('autograd:custom', 'setGradEnabled (scoped and global) and inferenceMode', () => {
      const x = leaf([1]);
      tl.tidy(() => {
        expect(tl.setGradEnabled(false, () => x.mul(2)).requiresGrad).toBe(false);
        expect(tl.setGradEnabled(true, () => tl.noGrad(() => x.mul(2))).requiresGrad).toBe(false);
        expect(tl.inferenceMode(() => x.mul(2)).gradFn).toBeNull();
        tl.setGradEnabled(false);
        try {
          expect(tl.isGradEnabled()).toBe(false);
          expect(x.mul(2).requiresGrad).toBe(false);
        } finally {
          tl.setGradEnabled(true);
        }
        expect(x.mul(2).requiresGrad).toBe(true);
      });
      expect(() => tl.setGradEnabled('no' as unknown as boolean)).toThrow(/setGradEnabled: expected a boolean/);
      free(x);
    });
  });
  describe('trace (what exportOnnx records)', () => {
    suite.test('autograd:trace', 'records each op with its inputs, outputs and attributes, integer ops and comparisons too', async () => {
      const x = t([[1, -2, 3], [4, 5, -6]]);
      const ids = tl.tensor([2, 0, 1], { dtype: 'int32', device });
      const { result, trace } = tl.autograd.trace((tr) => {
        tr.idOf(x);
        tr.idOf(ids);
        return tl.tidy(() => x.relu().softmax(1).sum(0, true).add(ids.gt(1).cast('float32')));
      });
      try {
        expect(trace.ops.map((o) => o.op)).toEqual(['relu', 'softmax', 'sum', 'gt', 'cast', 'add']);
        const [relu, softmax, sum, gt, cast, add] = trace.ops;
        expect(relu.inputs).toEqual([0]);
        expect(softmax.inputs).toEqual(relu.outputs);
        expect(softmax.attrs).toEqual({ dim: 1 });
        expect(sum.attrs).toEqual({ axes: [0], keepdim: true });
        expect(gt.inputs[0]).toBe(1); // the int32 input, though no gradient flows through it
        expect(add.inputs).toEqual([sum.outputs[0], cast.outputs[0]]);
        expect(trace.idOf(result)).toBe(add.outputs[0]);
        expect(trace.idOf(x)).toBe(0);
        expect(trace.tensorOf(gt.outputs[0]).dtype).toBe('bool');
        await expectValues(trace.tensorOf(sum.outputs[0]), [1, 3], [0.3818184, 0.7694852, 0.8486964], TOLERANCES.elementwise);
      } finally {
        trace.dispose();
        free(result, x, ids);
      }
    });

    suite.test('autograd:trace', 'records creation ops by their shape and mean as one op after its sum and division', () => {
      const x = t([[1, 2], [3, 4]]);
      const { result, trace } = tl.autograd.trace(() => tl.tidy(() => x.mean(1).add(tl.arange(0, 2, 1, { device })).add(tl.zeros([2], { device }))));
      try {
        const find = (name: string) => trace.ops.find((o) => o.op === name)!;
        const ops = trace.ops.map((o) => o.op);
        // The ops inside mean come first (what a trace keeps of them depends on the kernels).
        expect(ops.slice(ops.indexOf('mean'))).toEqual(['mean', 'arange', 'cast', 'add', 'full', 'add']);
        expect(ops.indexOf('div')).toBeLessThan(ops.indexOf('mean'));
        const [div, mean, arange, full] = ['div', 'mean', 'arange', 'full'].map(find);
        expect(mean.attrs).toEqual({ axes: [1], keepdim: false });
        // mean's output is a new value: what reads it reads mean, not the division inside it.
        expect(mean.outputs[0]).not.toBe(div.outputs[0]);
        expect(find('add').inputs[0]).toBe(mean.outputs[0]);
        expect([arange.inputs, arange.attrs]).toEqual([[], { start: 0, step: 1 }]);
        expect([full.inputs, full.attrs]).toEqual([[], { value: 0 }]);
      } finally {
        trace.dispose();
        free(result, x);
      }
    });

    suite.test('autograd:trace', 'records what runs under noGrad (values, not gradients) and the ops composites are written with; refuses nesting and async functions', async () => {
      const x = t([0.5, -1]);
      const { result, trace } = tl.autograd.trace(() => tl.tidy(() => x.add(tl.noGrad(() => x.exp().sum())).gelu()));
      try {
        // As torch.jit.trace: the sum made under noGrad is the add's input, not a constant.
        const ops = trace.ops.map((o) => o.op);
        const sum = trace.ops.find((o) => o.op === 'sum')!;
        const add = trace.ops.find((o) => o.op === 'add')!;
        expect(ops[0]).toBe('exp');
        expect(ops.indexOf('sum')).toBeLessThan(ops.indexOf('add'));
        expect(add.inputs[1]).toBe(sum.outputs[0]);
        // gelu is written with other ops: those are recorded, as the ops a graph needs.
        expect(ops.length).toBeGreaterThan(3);
        // An op built inside itself (softmax's max, exp and sum) reports itself alone.
        const inner = tl.autograd.trace(() => tl.noGrad(() => x.softmax(0)));
        expect(inner.trace.ops.map((o) => o.op)).toEqual(['softmax']);
        inner.trace.dispose();
        inner.result.dispose();
        expect(() => tl.autograd.trace(() => tl.autograd.trace(() => 1))).toThrow(/trace: a trace is already running/);
        expect(() => tl.autograd.trace(async () => 1)).toThrow(/trace: the traced function must be synchronous/);
        // A failed trace leaves the next one free to start.
        expect(tl.autograd.trace(() => 2).result).toBe(2);
      } finally {
        trace.dispose();
        free(result, x);
      }
    });
  });
}
