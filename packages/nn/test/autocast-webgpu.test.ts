// tl.autocast on webgpu, the backend that holds float16: which dtype each op runs in (PyTorch's
// CUDA lists), that the values are those of the same ops on explicitly cast inputs, that
// gradients reach float32 parameters in float32, and that the region is scoped (device,
// nesting, async, throws). Without an adapter with 'shader-f16' the file skips, naming the
// reason, unless TENSILE_REQUIRE_TOOLS makes that a failure.
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import '@tensile/backend-cpu';
import '@tensile/backend-webgpu';
import { backendUnavailable, skipReason } from '@tensile/conformance/required-tools';
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, Conv2d, functional as F, GRU, GRUCell, Linear, LSTM, LSTMCell, type Module, MultiheadAttention, RNN, RNNCell } from '../src/index.js';

const unavailable = (await backendUnavailable('webgpu')) ?? (tl.isDTypeSupported('float16', 'webgpu') ? null : skipReason("the WebGPU adapter has no 'shader-f16'"));
await tl.setBackend('cpu');

const gpu = { device: 'webgpu' } as const;
const randn = (shape: number[], dtype: 'float32' | 'float16' = 'float32') => tl.randn(shape, { ...gpu, dtype });
const ac = <T>(fn: () => T): T => tl.autocast('webgpu', fn);

/** [name, the op on float32 inputs made here, the dtype it must run in under autocast]. */
type PolicyCase = [string, () => Tensor, 'float16' | 'float32'];
const x32 = () => randn([4, 6]);
const x16 = () => randn([4, 6], 'float16');
const POLICY_CASES: PolicyCase[] = [
  // products run in float16
  ['matmul', () => tl.matmul(x32(), randn([6, 3])), 'float16'],
  ['mm', () => tl.mm(x32(), randn([6, 3])), 'float16'],
  ['bmm', () => tl.bmm(randn([2, 4, 6]), randn([2, 6, 3])), 'float16'],
  ['mv', () => tl.mv(x32(), randn([6])), 'float16'],
  ['addmm', () => tl.addmm(randn([4, 3]), x32(), randn([6, 3])), 'float16'],
  ['baddbmm', () => tl.baddbmm(randn([2, 4, 3]), randn([2, 4, 6]), randn([2, 6, 3])), 'float16'],
  ['conv1d', () => tl.conv1d(randn([1, 2, 8]), randn([3, 2, 3]), randn([3])), 'float16'],
  ['conv2d', () => tl.conv2d(randn([1, 2, 5, 5]), randn([3, 2, 3, 3]), randn([3])), 'float16'],
  ['convTranspose1d', () => tl.convTranspose1d(randn([1, 2, 5]), randn([2, 3, 3])), 'float16'],
  ['convTranspose2d', () => tl.convTranspose2d(randn([1, 2, 4, 4]), randn([2, 3, 3, 3])), 'float16'],
  ['scaledDotProductAttention', () => tl.scaledDotProductAttention(randn([1, 2, 4, 8]), randn([1, 2, 4, 8]), randn([1, 2, 4, 8]), { attnMask: randn([4, 4]) }), 'float16'],
  ['einsum (bmm in PyTorch)', () => tl.einsum('ij,jk->ik', x32(), randn([6, 3])), 'float16'],
  ['F.linear', () => F.linear(x32(), randn([3, 6]), randn([3])), 'float16'],
  ['F.prelu', () => F.prelu(randn([2, 3, 4]), randn([3])), 'float16'],
  // range-sensitive ops run in float32, also on float16 input
  ['exp', () => tl.exp(x16()), 'float32'],
  ['log', () => tl.log(x16().abs()), 'float32'],
  ['pow', () => tl.pow(x16(), 2), 'float32'],
  ['rsqrt', () => tl.rsqrt(x16().abs()), 'float32'],
  ['softplus', () => tl.softplus(x16()), 'float32'],
  ['sum', () => tl.sum(x16()), 'float32'],
  ['prod', () => tl.prod(x16(), 1), 'float32'],
  ['cumsum', () => tl.cumsum(x16(), 1), 'float32'],
  ['softmax', () => tl.softmax(x16(), -1), 'float32'],
  ['logSoftmax', () => tl.logSoftmax(x16(), -1), 'float32'],
  ['logsumexp', () => tl.logsumexp(x16(), 1), 'float32'],
  ['norm', () => tl.norm(x16()), 'float32'],
  ['linalg.vectorNorm', () => tl.linalg.vectorNorm(x16(), 2, 1), 'float32'],
  ['cdist', () => tl.cdist(x16(), randn([3, 6], 'float16')), 'float32'],
  ['F.layerNorm', () => F.layerNorm(x16(), [6], randn([6]), randn([6])), 'float32'],
  ['F.groupNorm', () => F.groupNorm(randn([2, 4, 3], 'float16'), 2), 'float32'],
  ['F.normalize', () => F.normalize(x16()), 'float32'],
  ['F.softmin', () => F.softmin(x16(), -1), 'float32'],
  ['F.cosineSimilarity', () => F.cosineSimilarity(x16(), x16()), 'float32'],
  ['F.crossEntropy', () => F.crossEntropy(x16(), tl.tensor([0, 5, 2, 1], { ...gpu, dtype: 'int32' })), 'float32'],
  ['F.mseLoss (float16 input, float32 target)', () => F.mseLoss(x16(), x32()), 'float32'],
  ['F.binaryCrossEntropyWithLogits', () => F.binaryCrossEntropyWithLogits(x16(), x32().sigmoid()), 'float32'],
  ['F.smoothL1Loss', () => F.smoothL1Loss(x16(), x16()), 'float32'],
  ['F.klDiv', () => F.klDiv(x16().logSoftmax(-1), x32().softmax(-1)), 'float32'],
  // ops of several tensors run in the widest
  ['cat', () => tl.cat([x16(), x32()]), 'float32'],
  ['stack', () => tl.stack([x16(), x32()]), 'float32'],
  ['addcmul', () => tl.addcmul(x16(), x32(), x16()), 'float32'],
  ['atan2', () => tl.atan2(x16(), x32()), 'float32'],
  ['F.bilinear', () => F.bilinear(randn([4, 3], 'float16'), randn([4, 2]), randn([5, 3, 2])), 'float32'],
  // unlisted ops keep their input's dtype, float16 included (their internals are not autocast)
  ['relu (float16)', () => tl.relu(x16()), 'float16'],
  ['add (float16)', () => tl.add(x16(), 1), 'float16'],
  ['mean (float16)', () => tl.mean(x16(), 1), 'float16'],
  ['var (float16)', () => tl.variance(x16(), 1), 'float16'],
  ['tanh (float16)', () => tl.tanh(x16()), 'float16'],
  ['sigmoid (float16)', () => tl.sigmoid(x16()), 'float16'],
  ['gelu (float16)', () => tl.gelu(x16()), 'float16'],
  ['silu (float16)', () => tl.silu(x16()), 'float16'],
  ['amax (float16)', () => tl.amax(x16(), 1), 'float16'],
  ['F.maxPool2d (float16)', () => F.maxPool2d(randn([1, 2, 4, 4], 'float16'), { kernelSize: 2 }), 'float16'],
  ['F.dropout (float16)', () => F.dropout(x16(), 0.5, true), 'float16'],
  ['F.batchNorm (float16 input, float32 parameters)', () => F.batchNorm(randn([4, 3, 2], 'float16'), null, null, { weight: randn([3]), bias: randn([3]), training: true }), 'float16'],
  ['relu (float32)', () => tl.relu(x32()), 'float32'],
];

if (unavailable) {
  describe('tl.autocast on webgpu', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
} else {
  describe('tl.autocast on webgpu: the dtype each op runs in', () => {
    for (const [name, run, dtype] of POLICY_CASES) {
      it(`${name} runs in ${dtype}, and frees its casts`, () => {
        const before = tl.memory().numTensors;
        const out = tl.tidy(() => tl.keep(ac(run)));
        expect(out.dtype).toBe(dtype);
        out.dispose();
        expect(tl.memory().numTensors).toBe(before);
      });
    }

    it('binaryCrossEntropy is refused under autocast (as PyTorch), and works outside it', () => {
      const p = tl.sigmoid(x32());
      const t = tl.rand([4, 6], gpu);
      expect(() => ac(() => F.binaryCrossEntropy(p, t))).toThrow(/binaryCrossEntropy: unsafe under autocast.*binaryCrossEntropyWithLogits/);
      expect(F.binaryCrossEntropy(p, t).dtype).toBe('float32');
    });

    it('batch norm takes float16 input with float32 parameters, not the reverse', () => {
      const half = F.batchNorm(randn([4, 3, 2], 'float16'), null, null, { weight: randn([3]), training: true });
      expect(half.dtype).toBe('float16');
      expect(() => F.batchNorm(randn([4, 3, 2]), null, null, { weight: randn([3], 'float16'), training: true })).toThrow(
        'batchNorm: weight is float16 but input is float32; give them one dtype (.half() or .float()), or float32 parameters for float16 input',
      );
    });

    it('an explicit dtype opts out, as in PyTorch (cumsum with { dtype: float32 } on float32 input stays float32)', () => {
      expect(ac(() => tl.cumsum(x32(), 1, { dtype: 'float32' })).dtype).toBe('float32');
    });

    it('cpu tensors are not autocast by a webgpu region', () => {
      const a = tl.randn([3, 4], { device: 'cpu' });
      expect(ac(() => tl.matmul(a, a.t())).dtype).toBe('float32');
    });
  });

  describe('tl.autocast on webgpu: values and gradients', () => {
    it('a product under autocast equals the product of float16 casts, bit for bit', async () => {
      const a = randn([5, 7]);
      const b = randn([7, 3]);
      const got = ac(() => a.matmul(b));
      const want = a.half().matmul(b.half());
      expect(await got.array()).toEqual(await want.array());
    });

    it('logSoftmax of a float16 input under autocast equals logSoftmax of its float32 cast', async () => {
      const x = randn([3, 9], 'float16');
      expect(await ac(() => x.logSoftmax(-1)).array()).toEqual(await x.float().logSoftmax(-1).array());
    });

    it('gradients reach float32 parameters in float32, equal to those through explicit casts', async () => {
      const w = randn([4, 6]).requiresGrad_();
      const b = randn([4]).requiresGrad_();
      const x = randn([8, 6]);
      const target = tl.tensor([0, 1, 2, 3, 0, 1, 2, 3], { ...gpu, dtype: 'int32' });
      const loss = ac(() => F.crossEntropy(F.linear(x, w, b), target));
      expect(loss.dtype).toBe('float32');
      loss.backward();
      const [gw, gb] = [w.grad!, b.grad!];
      expect([gw.dtype, gb.dtype]).toEqual(['float32', 'float32']);

      const w2 = w.detach().requiresGrad_();
      const b2 = b.detach().requiresGrad_();
      const manual = F.crossEntropy(F.linear(x.half(), w2.half(), b2.half()).float(), target);
      manual.backward();
      expect(await loss.item()).toBe(await manual.item());
      expect(await gw.array()).toEqual(await w2.grad!.array());
      expect(await gb.array()).toEqual(await b2.grad!.array());
    });

    it('backward called inside the region gives the same gradients as outside it', async () => {
      const w = randn([3, 5]).requiresGrad_();
      const x = randn([4, 5]);
      const inside = ac(() => {
        F.linear(x, w).exp().sum().backward();
        return w.grad!.clone();
      });
      w.grad = null;
      ac(() => F.linear(x, w).exp().sum()).backward();
      expect(inside.dtype).toBe('float32');
      expect(await inside.array()).toEqual(await w.grad!.array());
    });

    it('a parameter is cast once per region (the cache), freed when the region ends; gradients as without it', async () => {
      const w = randn([5, 6]).requiresGrad_();
      const x = randn([4, 6]);
      const run = (cacheEnabled: boolean) => {
        const before = tl.memory().numTensors;
        const counts: number[] = [];
        const loss = tl.autocast('webgpu', { cacheEnabled }, () => {
          let total: Tensor = tl.zeros([], gpu);
          for (let i = 0; i < 4; i++) {
            const next = tl.tidy(() => total.add(F.linear(x, w).float().sum()));
            total.dispose(); // the graph keeps what it needs
            total = next;
            counts.push(tl.memory().numTensors - before);
          }
          return total;
        });
        const live = tl.memory().numTensors - before;
        loss.backward();
        const grad = w.grad!.clone();
        w.grad = null;
        loss.dispose();
        return { counts, live, grad };
      };
      const cached = run(true);
      const uncached = run(false);
      // One live handle per step (the running total, its predecessors freed) plus, with the cache, the copy of w.
      expect(cached.counts).toEqual([2, 2, 2, 2]);
      expect(uncached.counts).toEqual([1, 1, 1, 1]);
      expect([cached.live, uncached.live]).toEqual([1, 1]); // the copy is freed with the region
      expect(await cached.grad.array()).toEqual(await uncached.grad.array());
    });

    it('a checkpointed segment is autocast, also when recomputed: the same output and gradients as without checkpointing', async () => {
      const w1 = randn([6, 8]).requiresGrad_();
      const w2 = randn([8, 3]).requiresGrad_();
      const x = randn([4, 6]);
      const block = (h: Tensor) => h.matmul(w1).relu().matmul(w2);
      const plain = ac(() => block(x));
      const checkpointed = ac(() => tl.checkpoint(block, x));
      expect([plain.dtype, checkpointed.dtype]).toEqual(['float16', 'float16']);
      expect(await checkpointed.array()).toEqual(await plain.array());
      const [g1, g2] = tl.grad(plain.float().square().sum(), [w1, w2]);
      // The backward pass runs outside the region; the recomputation is autocast all the same.
      const [c1, c2] = tl.grad(checkpointed.float().square().sum(), [w1, w2]);
      expect(await c1!.array()).toEqual(await g1!.array());
      expect(await c2!.array()).toEqual(await g2!.array());
    });

    it('modules with float32 parameters run under autocast: conv, batch norm, linear, attention', () => {
      const conv = new Conv2d(2, 4, 3, { padding: 1 }).to('webgpu');
      const norm = new BatchNorm2d(4).to('webgpu');
      const linear = new Linear(4 * 16, 8).to('webgpu');
      const attention = new MultiheadAttention(8, 2).to('webgpu');
      const x = randn([2, 2, 4, 4]);
      const before = tl.memory().numTensors;
      const out = tl.tidy(() =>
        ac(() => {
          const h = norm.forward(conv.forward(x)).relu();
          expect(h.dtype).toBe('float16');
          const z = linear.forward(h.flatten(1)).reshape([2, 1, 8]);
          const mask = tl.zeros([2, 2], gpu);
          const [y] = attention.forward(z, z, z, { attnMask: mask, needWeights: false });
          const [withWeights] = attention.forward(z, z, z, { attnMask: mask });
          expect(withWeights.dtype).toBe('float16');
          return y;
        }),
      );
      expect(out.dtype).toBe('float16');
      expect(norm.runningMean?.dtype).toBe('float32');
      out.dispose();
      expect(tl.memory().numTensors).toBe(before);
    });
  });

  describe('tl.autocast on webgpu: recurrent layers and cells run in float16, as PyTorch lists them', () => {
    /** [name, a seeded float32 layer on webgpu, its forward on x, the input shape]. */
    const layers: [string, () => Module, (m: Module, x: Tensor) => Tensor, number[]][] = [
      ['LSTM', () => new LSTM(4, 5, { numLayers: 2 }), (m, x) => (m as LSTM).forward(x)[0], [3, 2, 4]],
      ['GRU (bidirectional)', () => new GRU(4, 5, { bidirectional: true }), (m, x) => (m as GRU).forward(x)[0], [3, 2, 4]],
      ['RNN', () => new RNN(4, 5), (m, x) => (m as RNN).forward(x)[0], [3, 2, 4]],
      ['LSTMCell', () => new LSTMCell(4, 5), (m, x) => (m as LSTMCell).forward(x)[0], [2, 4]],
      ['GRUCell', () => new GRUCell(4, 5), (m, x) => (m as GRUCell).forward(x), [2, 4]],
      ['RNNCell', () => new RNNCell(4, 5), (m, x) => (m as RNNCell).forward(x), [2, 4]],
    ];
    for (const [name, make, run, shape] of layers) {
      it(`${name}: float16 output equal to the .half() layer's, float32 gradients on the float32 weights`, async () => {
        tl.manualSeed(21);
        const layer = make().to('webgpu');
        tl.manualSeed(21);
        const half = make().to('webgpu').half();
        const x = randn(shape);
        const out = tl.tidy(() => tl.keep(ac(() => run(layer, x))));
        expect(out.dtype).toBe('float16');
        expect(await out.array()).toEqual(await tl.tidy(() => run(half, x.half())).array());
        tl.tidy(() => out.float().sum().backward());
        for (const p of layer.parameters()) {
          expect(p.dtype).toBe('float32');
          expect(p.grad?.dtype).toBe('float32');
        }
        out.dispose();
      });
    }

    it('a float16 cell builds its default hidden state in float16 (outside autocast too)', () => {
      const cell = new GRUCell(3, 4).to('webgpu').half();
      expect(cell.forward(randn([2, 3], 'float16')).dtype).toBe('float16');
      expect(() => cell.forward(randn([2, 3]))).toThrow("GRUCell: input must have the layer's dtype float16, got float32");
    });
  });

  describe('tl.autocast: the region', () => {
    it('reports itself, nests, switches off with { enabled: false } and restores after a throw', () => {
      expect(tl.isAutocastEnabled('webgpu')).toBe(false);
      expect(tl.getAutocastDtype('webgpu')).toBe(null);
      ac(() => {
        expect(tl.isAutocastEnabled('webgpu')).toBe(true);
        expect(tl.getAutocastDtype('webgpu')).toBe('float16');
        expect(tl.isAutocastEnabled('cpu')).toBe(false);
        tl.autocast('webgpu', { enabled: false }, () => {
          expect(tl.isAutocastEnabled('webgpu')).toBe(false);
          expect(tl.matmul(x32(), randn([6, 2])).dtype).toBe('float32');
        });
        expect(tl.isAutocastEnabled('webgpu')).toBe(true);
      });
      expect(() => ac(() => { throw new Error('boom'); })).toThrow('boom');
      expect(tl.isAutocastEnabled('webgpu')).toBe(false);
    });

    it('an async body keeps autocast until it settles', async () => {
      const seen = await ac(async () => {
        await Promise.resolve();
        return tl.matmul(x32(), randn([6, 2])).dtype;
      });
      expect(seen).toBe('float16');
      expect(tl.isAutocastEnabled('webgpu')).toBe(false);
    });

    it('refuses a device without float16, another dtype, an unknown option and a missing body', () => {
      expect(() => tl.autocast('cpu', () => 0)).toThrow(/autocast: cpu has no float16.*isDTypeSupported/);
      expect(tl.autocast('cpu', { enabled: false }, () => 1)).toBe(1);
      expect(() => tl.autocast('webgpu', { dtype: 'float32' }, () => 0)).toThrow('autocast: dtype must be float16, got float32');
      expect(() => tl.autocast('webgpu', { cacheEnabled: 1 } as never, () => 0)).toThrow('autocast: cacheEnabled must be a boolean, got number');
      expect(() => tl.autocast('webgpu', { cache: true } as never, () => 0)).toThrow(/autocast: unknown option 'cache'/);
      expect(() => tl.autocast('webgpu', { enabled: 'yes' } as never, () => 0)).toThrow('autocast: enabled must be a boolean');
      expect(() => (tl.autocast as (d: string) => unknown)('webgpu')).toThrow('autocast: expected a function to run');
      expect(tl.isAutocastEnabled('webgpu')).toBe(false);
    });
  });
}
