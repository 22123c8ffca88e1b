// Every generated device file must be what the op table and plans generate now: a changed
// table with a stale file would give device code the wrong op codes or field slots.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OUTPUTS } from '../src/outputs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('generated device files', () => {
  for (const { path, render } of OUTPUTS) {
    it(`${path} is up to date (else run pnpm generate)`, () => {
      let committed: string;
      try {
        committed = readFileSync(join(root, path), 'utf8');
      } catch {
        throw new Error(`${path} is missing: run pnpm generate`);
      }
      expect(committed === render(), `${path} is stale: run pnpm generate and commit the result`).toBe(true);
    });
  }
});
