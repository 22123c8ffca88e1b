/**
 * The reduce family: reduce (sum, prod, max, min) against the op table's folds,
 * argReduce, and the optional fused softmax/logSoftmax, over every axis set and layout.
 */
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import { randoms } from '../compare.js';
import type { Suite } from '../context.js';
import * as ref from './reference.js';
import { CONTIGUOUS, expectNear, kernelTest, stored, transposed, Views, type Layout } from './views.js';

const AXIS_SETS = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]];
const SHAPE = [3, 4, 5];
const LAYOUTS: { name: string; layout: Layout }[] = [
  { name: 'contiguous', layout: CONTIGUOUS },
  { name: 'permuted', layout: { kind: 'permuted', perm: [2, 0, 1] } },
  // A [5, 16, 3]-strided window from element 4 (gaps between every element).
  { name: 'strided', layout: { kind: 'strided', strides: [1, 15, 3], offset: 4 } },
];

export function reduceKernelTests(suite: Suite, backend: tl.Backend): void {
  const test = kernelTest(suite, backend);
  const holds = (dtype: tl.DType) => new Views(backend).supports(dtype);

  describe('kernels: reduce', () => {
    for (const op of tl.REDUCE_OPS) {
      const facts = tl.reduceFacts(op);
      for (const dtype of tl.kernelDTypes(facts).filter(holds)) {
        test(`reduce ${op} ${dtype} over every axis set and layout`, async (v) => {
          const int = dtype === 'int32';
          const data = int ? randoms(60, 7, -3, 4).map(Math.trunc) : randoms(60, 7, 0.5, 1.5).map((x) => stored(x, dtype));
          const rtol = dtype === 'float16' ? 2e-3 : int ? 0 : 1e-5;
          for (const axes of AXIS_SETS) {
            const expected = ref.reduce(op, data, SHAPE, axes, int).map((x) => stored(x, dtype));
            const outShape = SHAPE.map((d, i) => (axes.includes(i) ? 1 : d));
            for (const { name, layout } of LAYOUTS) {
              const out = v.empty(outShape, dtype);
              v.backend.reduce(op, v.make(data, SHAPE, dtype, layout), axes, out);
              expectNear(await v.read(out), expected, rtol, `${op} over [${axes}] of a ${name} view`);
            }
          }
        });
      }
    }

    test('max and min propagate NaN from anywhere in a long line or a column', async (v) => {
      for (const at of [0, 500, 999]) {
        const row = randoms(1000, at + 3, -2, 2);
        row[at] = Number.NaN;
        for (const op of ['max', 'min'] as const) {
          const line = v.empty([1]);
          v.backend.reduce(op, v.make(row, [1000]), [0], line);
          expect((await v.read(line))[0], `${op} of a line with NaN at ${at}`).toBeNaN();
          const column = v.empty([1, 4]);
          v.backend.reduce(op, v.make(row.slice(0, 1000), [250, 4], 'float32', transposed(2)), [0], column);
          const expected = ref.reduce(op, row, [250, 4], [0]);
          expectNear(await v.read(column), expected, 0, `${op} down columns, NaN at ${at}`);
        }
      }
    });

    test('reduce broadcast (stride-0) lines', async (v) => {
      for (const op of ['sum', 'max', 'min'] as const) {
        const out = v.empty([1]);
        v.backend.reduce(op, v.make([-7.5, -7.5, -7.5, -7.5], [4], 'float32', { kind: 'strided', strides: [0], offset: 0 }), [0], out);
        expect(await v.read(out)).toEqual([op === 'sum' ? -30 : -7.5]);
        const rows = v.empty([2, 1]);
        v.backend.reduce(op, v.make([3, 3, 3, 3, 3, -1, -1, -1, -1, -1], [2, 5], 'float32', { kind: 'strided', strides: [1, 0], offset: 0 }), [1], rows);
        expect(await v.read(rows)).toEqual(op === 'sum' ? [15, -5] : [3, -1]);
      }
    });

    test('int32 sums and products wrap like int32', async (v) => {
      const out = v.empty([1, 1], 'int32');
      v.backend.reduce('sum', v.make([2147483647, 1, 5, 7], [2, 2], 'int32'), [0, 1], out);
      expect(await v.read(out)).toEqual([(2147483647 + 13) | 0]);
      const prod = v.empty([1, 2], 'int32');
      v.backend.reduce('prod', v.make([65536, 3, 65536, 5], [2, 2], 'int32'), [0], prod);
      expect(await v.read(prod)).toEqual([0, 15]);
    });

    test('the identity over an empty axis, and 0-d inputs', async (v) => {
      for (const op of tl.REDUCE_OPS) {
        const out = v.empty([1, 3]);
        v.backend.reduce(op, v.make([], [0, 3]), [0], out);
        expect(await v.read(out), op).toEqual(new Array(3).fill(tl.reduceFacts(op).identity));
        const scalar = v.empty([]);
        v.backend.reduce(op, v.make([4], []), [], scalar);
        expect(await v.read(scalar), `${op} of a 0-d input`).toEqual([4]);
      }
    });

    test('a long line (2^17 + 5 elements) to one value, as x.sum() does', async (v) => {
      const n = (1 << 17) + 5;
      const data = randoms(n, 5, 0, 1);
      for (const op of ['sum', 'max', 'min'] as const) {
        const out = v.empty([]);
        v.backend.reduce(op, v.make(data, [n]), [0], out);
        const expected = Math.fround(ref.reduce(op, data, [n], [0])[0]);
        expectNear(await v.read(out), [expected], 1e-5, `${op} of ${n} elements`);
      }
    });
  });

  describe('kernels: argReduce', () => {
    for (const dtype of (['float32', 'int32', 'bool'] as const).filter(holds)) {
      test(`argmax and argmin ${dtype}: the first extreme along each axis`, async (v) => {
        const data = dtype === 'float32'
          ? [3, 1, 3, 0, 2, 2, 0, 5, Number.NaN, 1, 7, 7]
          : dtype === 'int32' ? [3, 1, 3, 0, 2, 2, 0, 5, -9, 1, 7, 7] : [0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1];
        const shape = [3, 4];
        for (const op of tl.ARG_REDUCE_OPS) {
          for (const axis of [0, 1]) {
            const expected = ref.argReduce(op, data, shape, axis);
            for (const layout of [CONTIGUOUS, transposed(2)]) {
              const out = v.empty(axis === 0 ? [1, 4] : [3, 1], 'int32');
              v.backend.argReduce(op, v.make(data, shape, dtype, layout), axis, out);
              expect(await v.read(out), `${op} along ${axis}`).toEqual(expected);
            }
          }
        }
      });
    }
  });

  if (backend.softmax && backend.logSoftmax) {
    describe('kernels: fused softmax', () => {
      test('softmax and logSoftmax along each axis, finite for large inputs', async (v) => {
        const shape = [3, 4];
        const data = randoms(12, 9, -5, 5).map((x, i) => (i === 5 ? 1000 : x));
        for (const axis of [0, 1]) {
          for (const layout of [CONTIGUOUS, transposed(2)]) {
            const out = v.empty(shape);
            v.backend.softmax!(v.make(data, shape, 'float32', layout), axis, out);
            expectNear(await v.read(out), ref.softmax(data, shape, axis, false), 1e-6, `softmax along ${axis}`);
            const outLog = v.empty(shape);
            v.backend.logSoftmax!(v.make(data, shape, 'float32', layout), axis, outLog);
            expectNear(await v.read(outLog), ref.softmax(data, shape, axis, true), 1e-5, `logSoftmax along ${axis}`);
          }
        }
      });

      test('softmax of long rows, rows with NaN, infinities or only -Infinity', async (v) => {
        const n = 1029;
        const rows = [
          randoms(n, 3, -30, 30),
          randoms(n, 4, -1, 1).map((x, i) => (i === 700 ? Number.NaN : x)),
          randoms(n, 5, -1, 1).map((x, i) => (i === 3 ? Infinity : x)),
          new Array(n).fill(-Infinity),
        ];
        const data = rows.flat();
        for (const log of [false, true]) {
          const out = v.empty([4, n]);
          (log ? v.backend.logSoftmax! : v.backend.softmax!).call(v.backend, v.make(data, [4, n]), 1, out);
          const expected = ref.softmax(data, [4, n], 1, log).map(Math.fround);
          expectNear(await v.read(out), expected, 1e-5, `${log ? 'logSoftmax' : 'softmax'} of special rows`);
        }
      });
    });
  }
}
