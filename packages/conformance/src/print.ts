/**
 * Printing tensors: `toString()`, `toStringAsync()` and Node's `util.inspect` against the
 * strings PyTorch's own formatter gives for the same values (fixtures/print/tensors.json,
 * written by tools/print_fixtures.py). Summaries are cut on the device (narrow + cat), so
 * every backend runs them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import type { Suite } from './context.js';
import { FIXTURE_DIR } from './fixtures.js';
import { HOST } from './kernels/views.js';

interface PrintCase {
  name: string;
  dtype: tl.DType;
  shape: number[];
  values: (number | 'nan' | 'inf' | '-inf')[];
  requiresGrad: boolean;
  options: tl.PrintOptions;
  expected: string;
}

const NON_FINITE = { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, '-inf': Number.NEGATIVE_INFINITY } as const;

function loadPrintCases(): PrintCase[] {
  return (JSON.parse(readFileSync(join(FIXTURE_DIR, 'print', 'tensors.json'), 'utf8')) as { cases: PrintCase[] }).cases;
}

export function printTests(suite: Suite): void {
  const device = suite.device;
  describe('printing (PyTorch format)', () => {
    for (const c of loadPrintCases()) {
      suite.test('print', c.name, async () => {
        if (c.dtype === 'float16' && !tl.isDTypeSupported('float16', device)) {
          expect(() => tl.zeros([1], { dtype: 'float16', device })).toThrow(/float16/);
          return;
        }
        const previous = tl.currentBackendName();
        // The fixtures carry no device suffix: print with this backend as the default device.
        await tl.setBackend(device);
        tl.setPrintOptions(c.options);
        const values = c.values.map((v) => (typeof v === 'string' ? NON_FINITE[v] : v));
        const flat = tl.tensor(HOST[c.dtype].from(values), { dtype: c.dtype, device });
        const t = flat.reshape(c.shape);
        flat.dispose();
        if (c.requiresGrad) t.requiresGrad = true;
        try {
          expect(await t.toStringAsync()).toBe(c.expected);
          // An empty tensor has nothing to read, so it prints in full everywhere.
          if (tl.getBackend(device).readSync || t.size === 0) {
            expect(t.toString()).toBe(c.expected);
            expect(inspect(t)).toBe(c.expected);
          } else {
            // No synchronous reads: the values print as PyTorch prints a meta tensor's.
            expect(t.toString()).toMatch(/^tensor\(\.\.\., shape=\[/);
          }
        } finally {
          tl.setPrintOptions('default');
          t.dispose();
          await tl.setBackend(previous);
        }
      });
    }

    suite.test('print', 'a recorded op shows its gradFn; a summary leaves no tensors behind', async () => {
      const x = tl.tensor([[1, 2], [3, 4]], { device, requiresGrad: true });
      const y = x.mul(2);
      const big = tl.rand([3, 1000], { device }).requiresGrad_(true);
      const alive = tl.memory().numTensors;
      expect(await y.toStringAsync()).toMatch(/^tensor\(\[\[2\., 4\.\],\n {8}\[6\., 8\.\]\](, device='\w+')?, gradFn=<MulBackward>\)$/);
      expect(await big.toStringAsync()).toMatch(/ \.\.\., .*shape=\[3, 1000\].*requiresGrad=true\)$/s);
      expect(tl.memory().numTensors).toBe(alive);
      for (const t of [x, y, big]) t.dispose();
    });
  });
}
