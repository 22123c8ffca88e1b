// The image processors against Pillow and the hub's steps (tools/image_fixtures.py): every
// resampling filter to the bit, and ViT's and CLIP's preprocessing to float32 rounding.
import '@tensile/backend-cpu';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makePythonFixtures } from '@tensile/conformance/required-tools';
import { afterAll, describe, expect, it } from 'vitest';
import { AutoImageProcessor, ImageProcessor, resizeImage, type ImageProcessorConfig, type RawImage } from '../src/index.js';
import { maxDiff, packageDir, toolsDir } from './fixtures.js';

const FOLDER = path.join(packageDir, '.tensile-cache', 'image-processing');
// Made here, once (a skip reason where Pillow is missing; under TENSILE_REQUIRE_TOOLS, an error).
const why = makePythonFixtures({ folder: FOLDER, script: path.join(toolsDir, 'image_fixtures.py'), modules: ['PIL', 'numpy'] });
if (why) console.warn(`image processors vs Pillow: skipped (${why})`);

interface Fixtures {
  resizes: { image: RawImage; width: number; height: number; resample: number; expected: number[] }[];
  processors: { config: ImageProcessorConfig; images: RawImage[]; pixel_values: number[]; shape: number[] }[];
}
const fixtures: Fixtures | null = why ? null : JSON.parse(readFileSync(path.join(FOLDER, 'images.json'), 'utf8'));
const withPillow = fixtures ? describe : describe.skip;

const FILTER_NAMES = ['nearest', 'Lanczos', 'bilinear', 'bicubic', 'box', 'Hamming'];

withPillow('resizeImage is Pillow\'s Image.resize', () => {
  it.each(fixtures?.resizes.map((r) => [`${r.image.width}x${r.image.height}x${r.image.channels} to ${r.width}x${r.height}, ${FILTER_NAMES[r.resample]}`, r] as const) ?? [])('%s', (_, r) => {
    const got = resizeImage(r.image, r.width, r.height, r.resample);
    expect([got.width, got.height, got.channels]).toEqual([r.width, r.height, r.image.channels]);
    const wrong = Array.from(got.data).filter((v, i) => v !== r.expected[i]).length;
    expect(wrong).toBe(0);
  });
});

withPillow('ImageProcessor gives the pixel values of the hub\'s processors', () => {
  it.each(fixtures?.processors.map((p) => [`${p.config.image_processor_type ?? p.config.feature_extractor_type} ${JSON.stringify(p.config.size ?? '')} on ${p.images.map((i) => `${i.width}x${i.height}x${i.channels}`).join(', ')}`, p] as const) ?? [])('%s', (_, p) => {
    const processor = new ImageProcessor(p.config);
    const { pixelValues } = processor.preprocess(p.images);
    expect(pixelValues.shape).toEqual(p.shape);
    expect(pixelValues.dtype).toBe('float32');
    // float32 arithmetic in the same order: equal but for the last bit.
    expect(maxDiff(pixelValues.dataSync() as Float32Array, p.pixel_values)).toBeLessThan(1e-6);
    pixelValues.dispose();
  });
});

describe('AutoImageProcessor', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const folder = (files: Record<string, string>) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tensile-image-processor-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    return dir;
  };

  it('reads preprocessor_config.json and picks the processor it names', async () => {
    const dir = folder({ 'preprocessor_config.json': JSON.stringify({ image_processor_type: 'CLIPImageProcessor', size: { shortest_edge: 8 }, crop_size: 6 }) });
    const processor = await AutoImageProcessor.fromPretrained(dir);
    expect(processor.kind).toBe('CLIPImageProcessor');
    const image = { data: new Uint8Array(10 * 12 * 4).fill(255), width: 10, height: 12 };
    const { pixelValues } = processor.preprocess([image, image]);
    expect(pixelValues.shape).toEqual([2, 3, 6, 6]);
    // White through CLIP's mean and std: (1 - mean) / std per channel.
    const red = (1 - 0.48145466) / 0.26862954;
    expect((pixelValues.dataSync() as Float32Array)[0]).toBeCloseTo(red, 5);
    pixelValues.dispose();
  });

  it('names what is missing, unknown or malformed', async () => {
    await expect(AutoImageProcessor.fromPretrained(folder({}))).rejects.toThrow(/has no preprocessor_config.json/);
    await expect(AutoImageProcessor.fromPretrained(folder({ 'preprocessor_config.json': '{ nope' }))).rejects.toThrow(/preprocessor_config.json in .* is not valid JSON/);
    await expect(AutoImageProcessor.fromPretrained(folder({ 'preprocessor_config.json': JSON.stringify({ image_processor_type: 'DetrImageProcessor' }) })))
      .rejects.toThrow("AutoImageProcessor.fromPretrained: preprocessor_config.json of");
    expect(() => new ImageProcessor({ image_processor_type: 'DetrImageProcessor' })).toThrow('ImageProcessor: image_processor_type "DetrImageProcessor" is not one this library implements (ViTImageProcessor, CLIPImageProcessor');
    expect(() => new ImageProcessor({ image_processor_type: 'ViTImageProcessor', do_pad: true })).toThrow('ImageProcessor: ViTImageProcessor option do_pad=true is not supported');
    expect(() => new ImageProcessor({ image_processor_type: 'ViTImageProcessor', do_pad: false })).not.toThrow();
    expect(() => new ImageProcessor({ image_processor_type: 'ViTImageProcessor', resample: 7 })).toThrow("resample 7 is not one of Pillow's filters");
    expect(() => new ImageProcessor({ image_processor_type: 'CLIPImageProcessor', size: { longest_edge: 30 } })).toThrow('size with longest_edge is not supported');
    expect(() => new ImageProcessor({ image_processor_type: 'ViTImageProcessor', size: { height: 0, width: 3 } })).toThrow('size {"height":0,"width":3} must be');
    expect(() => new ImageProcessor({ image_processor_type: 'ViTImageProcessor', image_mean: [0.5, 0.5] })).toThrow('image_mean must be one number or three');
    expect(() => new ImageProcessor({ image_processor_type: 'ViTImageProcessor', image_std: 0 })).toThrow('image_std [0,0,0] has a zero');
  });

  it('refuses images that are not 8-bit pixels of their size, and batches of two sizes', () => {
    const vit = new ImageProcessor({ image_processor_type: 'ViTImageProcessor', size: 4 });
    expect(() => vit.preprocess({ data: new Uint8Array(10), width: 2, height: 2 })).toThrow('ViTImageProcessor.preprocess: an image of 2 x 2 with 10 values has 2.5 channels per pixel');
    expect(() => vit.preprocess({ data: [0, 1, 300], width: 1, height: 1 })).toThrow('pixel values must be integers from 0 to 255, got 300');
    expect(() => vit.preprocess({ data: new Uint8Array(3), width: 1.5, height: 2 })).toThrow('width 1.5 and height 2 must be positive integers');
    expect(() => vit.preprocess([])).toThrow('ViTImageProcessor.preprocess: no images given');
    expect(() => vit.preprocess(null as unknown as RawImage)).toThrow('an image must be { data, width, height, channels? }');
    const clip = new ImageProcessor({ image_processor_type: 'CLIPImageProcessor', size: 4, do_center_crop: false });
    const a = { data: new Uint8Array(4 * 8 * 3), width: 4, height: 8 };
    const b = { data: new Uint8Array(8 * 4 * 3), width: 8, height: 4 };
    expect(() => clip.preprocess([a, b])).toThrow('CLIPImageProcessor.preprocess: image 1 comes out 8 x 4 but image 0 4 x 8');
    const noRgb = new ImageProcessor({ image_processor_type: 'ViTImageProcessor', size: 4, do_convert_rgb: false });
    expect(() => noRgb.preprocess({ data: new Uint8Array(16), width: 4, height: 4 })).toThrow('a grey image needs do_convert_rgb');
    expect(() => resizeImage(a, 0, 3)).toThrow('resizeImage: the size 0 x 3 must be two positive integers');
    expect(() => resizeImage(a, 3, 3, 9)).toThrow("resizeImage: resample 9 is not one of Pillow's filters");
  });
});
