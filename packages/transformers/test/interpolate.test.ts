// interpolatePosEncoding (the hub's interpolate_pos_encoding): ViT and CLIP on images of
// other sizes than they were trained on, against the PyTorch reference's bicubic resize of the
// position grid (generate_fixtures.py --logits).
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLIPModel, ViTForImageClassification } from '../src/index.js';
import { expected, fixture, haveFixtures, maxDiff, referenceLogits } from './fixtures.js';

const run = haveFixtures ? describe : describe.skip;
const TOL = 1e-4;

function pixels(shape: number[], seed: number): number[] {
  let s = seed;
  return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

run('interpolatePosEncoding', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'tensile-interpolate-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('ViTForImageClassification takes other image sizes with it, and refuses them without', async () => {
    const model = await ViTForImageClassification.fromPretrained(fixture('vit'), { logger: null });
    // Wider and taller than the 16 x 16 it was trained on, a non-square grid, and the trained size.
    for (const [shape, seed] of [[[2, 3, 24, 20], 1], [[1, 3, 13, 30], 2], [[1, 3, 16, 16], 3]] as [number[], number][]) {
      const values = pixels(shape, seed);
      const ours = model.forward(tl.tensor(values).reshape(shape), { interpolatePosEncoding: true }).logits;
      const theirs = referenceLogits(fixture('vit'), { pixel_values: values, pixel_shape: shape, interpolate_pos_encoding: true }, scratch);
      expect(ours.shape, `${shape}`).toEqual(theirs.shape);
      expect(maxDiff(ours.dataSync() as Float32Array, theirs.logits), `${shape}`).toBeLessThan(TOL);
      ours.dispose();
    }
    const wide = tl.tensor(pixels([1, 3, 24, 20], 4)).reshape([1, 3, 24, 20]);
    expect(() => model.forward(wide)).toThrow('ViTForImageClassification.forward: pixelValues must be [batch, 3, 16, 16] (interpolatePosEncoding takes other sizes), got ');
    expect(() => model.forward(tl.zeros([1, 3, 3, 20]), { interpolatePosEncoding: true })).toThrow('with height and width at least the patch size 4');
    // The position table trains through the resize.
    const { logits } = model.forward(wide, { interpolatePosEncoding: true });
    logits.sum().backward();
    const grad = model.vit.embeddings.positionEmbeddings.grad!;
    expect(grad.shape).toEqual([1, 17, 32]);
    expect(Math.max(...Array.from(grad.abs().dataSync() as Float32Array))).toBeGreaterThan(0);
    model.dispose();
  });

  it('CLIPModel scores images of another size with it', async () => {
    const e = expected('clip');
    const model = await CLIPModel.fromPretrained(fixture('clip'), { logger: null });
    const shape = [2, 3, 20, 28];
    const values = pixels(shape, 5);
    const ids = tl.tensor(e.input_ids, { dtype: 'int32' });
    const { logitsPerText } = model.forward(ids, tl.tensor(values).reshape(shape), { attentionMask: e.attention_mask, interpolatePosEncoding: true });
    const theirs = referenceLogits(fixture('clip'), { input_ids: e.input_ids, attention_mask: e.attention_mask, pixel_values: values, pixel_shape: shape, interpolate_pos_encoding: true }, scratch);
    expect(logitsPerText.shape).toEqual(theirs.shape);
    expect(maxDiff(logitsPerText.dataSync() as Float32Array, theirs.logits)).toBeLessThan(TOL);
    expect(() => model.getImageFeatures(tl.zeros(shape))).toThrow('pixelValues must be [batch, 3, 16, 16] (interpolatePosEncoding takes other sizes)');
    model.dispose();
  });
});
