// Every optimiser fixture case on float16 parameters on webgpu (the backend that holds
// float16): ten steps from the fixture's start with its gradients, both rounded to half, and
// the same half-rounded values stepped in float32 on cpu as the reference (the path the
// PyTorch fixtures check). The state is float32, as mixed-precision training keeps it (see
// the optim README). Without an adapter with 'shader-f16' the file skips, naming the reason,
// unless TENSILE_REQUIRE_TOOLS makes that a failure.
import * as tl from '@tensile/core';
import { roundToFloat16 } from '@tensile/core';
import '@tensile/backend-cpu';
import '@tensile/backend-webgpu';
import { settleGarbage } from '@tensile/conformance';
import { backendUnavailable, skipReason } from '@tensile/conformance/required-tools';
import { describe, expect, it } from 'vitest';
import { ASGD, Adadelta, Adagrad, Adam, AdamW, Adamax, LBFGS, NAdam, RAdam, RMSprop, Rprop, SGD, clipGradNorm, clipGradValue, type Optimizer } from '../src/index.js';
import { loadFixture, makeOptimizer, type OptimizerCase } from './helpers.js';

const unavailable = (await backendUnavailable('webgpu')) ?? (tl.isDTypeSupported('float16', 'webgpu') ? null : skipReason("the WebGPU adapter has no 'shader-f16'"));
const fixture = loadFixture<{ steps: number; cases: OptimizerCase[] }>('optimizers.json');

const half = (values: number[]) => values.map(roundToFloat16);

/** The parameters after every step of `c` on `device` in `dtype`, and the dtypes of the state's tensors. */
async function run(c: OptimizerCase, device: string, dtype: 'float32' | 'float16') {
  const params = c.initial.map((v, i) => {
    const p = tl.tidy(() => tl.tensor(half(v), { device, dtype }).reshape(c.shapes[i]));
    p.requiresGrad = true;
    return p;
  });
  const optimizer = makeOptimizer(c, params);
  for (const grads of c.grads) {
    params.forEach((p, i) => (p.grad = tl.tidy(() => tl.tensor(half(grads[i]), { device, dtype }).reshape(c.shapes[i]))));
    optimizer.step();
  }
  const values = await Promise.all(params.map(async (p) => Array.from(await p.data())));
  const stateDTypes = new Set(params.flatMap((p) => Object.values(optimizer.state.get(p) ?? {}).filter((s) => s instanceof tl.Tensor).map((s) => (s as tl.Tensor).dtype)));
  optimizer.zeroGrad();
  for (const p of params) p.dispose();
  for (const s of optimizer.state.values()) for (const v of Object.values(s)) if (v instanceof tl.Tensor) v.dispose();
  return { values, stateDTypes };
}

if (unavailable) {
  describe('optimisers on float16 parameters on webgpu', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
} else {
  describe('optimisers on float16 parameters on webgpu', () => {
    for (const c of fixture.cases) {
      it(`${c.name}: ${fixture.steps} steps in float16 follow float32 on cpu to half precision, state in float32`, async () => {
        await settleGarbage(); // earlier tests' dropped handles finalize now, not during the awaited reads
        const before = tl.memory().numTensors;
        const got = await run(c, 'webgpu', 'float16');
        const want = await run(c, 'cpu', 'float32');
        expect([...got.stateDTypes], 'state dtypes').toEqual([...want.stateDTypes]);
        got.values.forEach((values, i) => {
          const scale = Math.max(...want.values[i].map(Math.abs));
          const worst = values.reduce((m, v, k) => Math.max(m, Math.abs(v - want.values[i][k])), 0);
          expect(worst / scale, `param ${i}: largest difference ${worst} against a scale of ${scale}`).toBeLessThanOrEqual(5e-3);
        });
        expect(tl.memory().numTensors).toBe(before);
      });
    }

    // Gradients whose squares sum past float16's range (65504): the norm must not overflow.
    for (const normType of [2, 1, 'inf'] as const) {
      it(`clipGradNorm (norm ${normType}) and clipGradValue on float16 gradients of large magnitude`, async () => {
        await settleGarbage(); // earlier tests' dropped handles finalize now, not during the awaited reads
        const before = tl.memory().numTensors;
        const values = Array.from({ length: 2 }, (_, i) => half(Array.from({ length: 300 }, (_, k) => 40 + 60 * Math.sin(k + i))));
        const clip = async (device: string, dtype: 'float32' | 'float16') => {
          const params = values.map((v) => tl.zeros([v.length], { device, dtype }));
          params.forEach((p, i) => (p.grad = tl.tensor(values[i], { device, dtype })));
          const norm = clipGradNorm(params, 1, normType);
          const clipped = await Promise.all(params.map(async (p) => Array.from(await p.grad!.data())));
          clipGradValue(params, 0.01);
          const valued = await Promise.all(params.map(async (p) => Array.from(await p.grad!.data())));
          const result = { norm: Number(await norm.item()), normDType: norm.dtype, clipped, valued };
          norm.dispose();
          for (const p of params) {
            p.grad = null;
            p.dispose();
          }
          return result;
        };
        const got = await clip('webgpu', 'float16');
        const want = await clip('cpu', 'float32');
        expect(got.normDType).toBe('float16');
        expect(got.norm, 'norm').toBeGreaterThan(0);
        expect(Math.abs(got.norm - want.norm) / want.norm, `norm ${got.norm} against ${want.norm}`).toBeLessThan(2e-3);
        for (const [i, g] of got.clipped.entries()) {
          const scale = Math.max(...want.clipped[i].map(Math.abs));
          expect(Math.max(...g.map((v, k) => Math.abs(v - want.clipped[i][k]))) / scale).toBeLessThan(5e-3);
          expect(Math.max(...got.valued[i].map((v, k) => Math.abs(v - want.valued[i][k]))) / 0.01).toBeLessThan(5e-3);
        }
        expect(tl.memory().numTensors).toBe(before);
      });
    }

    // Zero and tiny gradients with the default eps (1e-8, which is 0 in float16): the update and
    // the state are float32, so no step is 0/0 and no second moment underflows.
    const DEFAULTS = { SGD: { momentum: 0.9 }, Adam: {}, AdamW: {}, Adamax: {}, NAdam: {}, RAdam: {}, RMSprop: {}, Adagrad: {}, Adadelta: {}, ASGD: {}, Rprop: {} };
    const CLASSES = { SGD, Adam, AdamW, Adamax, NAdam, RAdam, RMSprop, Adagrad, Adadelta, ASGD, Rprop } as const;
    it.each(Object.keys(CLASSES))('%s with its defaults: zero and tiny float16 gradients step as in float32, to float16 rounding', async (name) => {
      await settleGarbage(); // earlier tests' dropped handles finalize now, not during the awaited reads
      const before = tl.memory().numTensors;
      const start = [1, -2, 3, 0.5, -0.25, 4];
      const grads = [0, 1e-3, -1e-4, 1, 2 ** -20, -0.5].map(roundToFloat16);
      const steps = async (device: string, dtype: 'float32' | 'float16') => {
        const p = tl.tensor(start, { device, dtype });
        p.requiresGrad = true;
        const Ctor = CLASSES[name as keyof typeof CLASSES] as unknown as new (params: tl.Tensor[], options: object) => Optimizer<any>;
        const opt = new Ctor([p], { lr: 1e-2, ...DEFAULTS[name as keyof typeof DEFAULTS] });
        for (let i = 0; i < 4; i++) {
          p.grad = tl.tensor(grads, { device, dtype });
          opt.step();
        }
        const values = Array.from(await p.data());
        opt.zeroGrad();
        p.dispose();
        for (const s of opt.state.values()) for (const v of Object.values(s)) if (v instanceof tl.Tensor) v.dispose();
        return values;
      };
      const got = await steps('webgpu', 'float16');
      const want = await steps('cpu', 'float32');
      expect(got.every(Number.isFinite), `float16: ${got}`).toBe(true);
      // Within rounding of the parameter at each step: four float16 ulps of its value.
      got.forEach((v, i) => {
        const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(start[i]), Math.abs(want[i])))) - 10);
        expect(Math.abs(v - want[i]), `element ${i}: ${v} against ${want[i]}`).toBeLessThanOrEqual(4 * ulp);
      });
      expect(tl.memory().numTensors).toBe(before);
    });

    it('a float16 state from a state dict (as PyTorch saves half parameters) is widened and training goes on', async () => {
      await settleGarbage(); // earlier tests' dropped handles finalize now, not during the awaited reads
      const before = tl.memory().numTensors;
      const make = () => {
        const p = tl.tensor([1, -2, 3, 0.5], { device: 'webgpu', dtype: 'float16' });
        p.requiresGrad = true;
        return p;
      };
      const grad = () => tl.tensor([0.1, -0.02, 0.003, 0], { device: 'webgpu', dtype: 'float16' });
      const a = make();
      const first = new Adam([a], { lr: 1e-2 });
      a.grad = grad();
      first.step();
      const saved = first.stateDict();
      const halfState = Object.fromEntries(Object.entries(saved.state).map(([k, s]) => [k, Object.fromEntries(Object.entries(s).map(([n, v]) => [n, v instanceof tl.Tensor ? v.half() : v]))]));
      expect((saved.state[0].expAvgSq as tl.Tensor).dtype).toBe('float32');
      const b = make();
      tl.tidy(() => b.assign(a.detach()));
      const second = new Adam([b], { lr: 1e-2 });
      second.loadStateDict({ ...saved, state: halfState });
      for (const [p, opt] of [[a, first], [b, second]] as const) {
        p.grad = grad();
        opt.step();
      }
      expect((second.state.get(b)!.expAvgSq as tl.Tensor).dtype).toBe('float32');
      const [va, vb] = [await a.data(), await b.data()];
      // Within one step (lr): the half copy lost the second moments that underflow in float16.
      va.forEach((v, i) => expect(Math.abs(v - vb[i]), `element ${i}: ${vb[i]} against ${v}`).toBeLessThanOrEqual(1e-2));
      expect(Array.from(vb).every(Number.isFinite)).toBe(true);
      for (const s of [...Object.values(saved.state), ...Object.values(halfState)]) for (const v of Object.values(s)) if (v instanceof tl.Tensor) v.dispose();
      for (const [p, opt] of [[a, first], [b, second]] as const) {
        opt.zeroGrad();
        opt.dispose();
        p.dispose();
      }
      expect(tl.memory().numTensors).toBe(before);
    });

    it.each([null, 'strong_wolfe'] as const)('LBFGS (lineSearchFn %s) minimises a quadratic in float16 parameters', async (lineSearchFn) => {
      await settleGarbage(); // earlier tests' dropped handles finalize now, not during the awaited reads
      const before = tl.memory().numTensors;
      const w = tl.tensor([0.5, -0.5, 1, 2, -3], { device: 'webgpu', dtype: 'float16' });
      w.requiresGrad = true;
      const target = tl.tensor([1, 2, 3, 4, 0.25], { device: 'webgpu', dtype: 'float16' });
      const opt = new LBFGS([w], { lineSearchFn, lr: lineSearchFn ? 1 : 0.5 });
      const closure = () => {
        opt.zeroGrad();
        const loss = tl.tidy(() => w.sub(target).square().sum());
        loss.backward();
        return loss;
      };
      for (let i = 0; i < 3; i++) await opt.step(closure);
      expect(w.dtype).toBe('float16');
      const found = Array.from(await w.data());
      [1, 2, 3, 4, 0.25].forEach((v, i) => expect(Math.abs(found[i] - v), `${found}`).toBeLessThanOrEqual(2 ** (Math.floor(Math.log2(v)) - 10)));
      opt.zeroGrad();
      opt.dispose();
      for (const t of [w, target]) t.dispose();
      expect(tl.memory().numTensors).toBe(before);
    });
  });
}
