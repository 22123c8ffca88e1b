/**
 * Train an MLP or a small CNN on MNIST or Fashion-MNIST.
 *
 *   pnpm mnist [--model mlp|cnn] [--dataset mnist|fashion] [--backend NAME] [--epochs N]
 *              [--batch-size N] [--lr X] [--data DIR] [--[no-]download] [--mirror URL] [--save FILE]
 *              [--load FILE --eval-only] [--limit N] [--seed N]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tl from '@tensile/core';
import { DataLoader, DatasetFilesMissingError } from '@tensile/datasets';
import { loadSafetensors, saveSafetensors } from '@tensile/nn';
import { Adam, CosineAnnealingLR } from '@tensile/optim';
import { buildModel, chooseBackendWithReasons, evaluate, limited, loadData, trainEpoch, type DatasetKind, type ModelKind } from './train.js';

const USAGE = `usage: pnpm mnist [options]
  --model mlp|cnn          model (default mlp)
  --dataset mnist|fashion  dataset (default mnist)
  --backend NAME           cpu, wasm, webgpu, cuda (default: the best that starts)
  --epochs N               training epochs (default 2)
  --batch-size N           batch size (default 64)
  --lr X                   Adam learning rate (default 0.001)
  --schedule cosine|none   learning-rate schedule over the whole run, stepped per batch (default cosine)
  --data DIR               directory with mnist/ and fashion-mnist/ (default: TENSILE_DATA, then the cache)
  --download               download missing files into the cache (TENSILE_CACHE or ~/.cache/tensile),
                           checksums verified (the default; --no-download to refuse)
  --mirror URL             download from this base URL instead of the canonical mirror
  --save FILE              save the trained weights (safetensors)
  --load FILE              load weights (safetensors) before training / evaluating
  --eval-only              only evaluate (with --load)
  --limit N                train on the first N images only
  --seed N                 seed for initialisation and shuffling (default 0)
  --help`;

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

/** Paths on the command line are relative to where `pnpm mnist` was typed (pnpm runs the script in this package). */
function userPath(p: string | undefined): string | undefined {
  return p === undefined ? undefined : path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

function positive(name: string, value: string | undefined, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) fail(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${value}'`);
  return n;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2).filter((a) => a !== '--'),
      options: {
        model: { type: 'string', default: 'mlp' },
        dataset: { type: 'string', default: 'mnist' },
        backend: { type: 'string' },
        epochs: { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        schedule: { type: 'string', default: 'cosine' },
        data: { type: 'string' },
        download: { type: 'boolean', default: true },
        mirror: { type: 'string' },
        save: { type: 'string' },
        load: { type: 'string' },
        'eval-only': { type: 'boolean', default: false },
        limit: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowNegative: true,
    });
  } catch (error) {
    fail((error as Error).message);
  }
  const v = { ...parsed.values, data: userPath(parsed.values.data), save: userPath(parsed.values.save), load: userPath(parsed.values.load) };
  if (v.help) {
    console.log(USAGE);
    return;
  }
  const model = v.model as ModelKind;
  if (model !== 'mlp' && model !== 'cnn') fail(`--model must be mlp or cnn, got '${v.model}'`);
  const dataset = v.dataset as DatasetKind;
  if (dataset !== 'mnist' && dataset !== 'fashion') fail(`--dataset must be mnist or fashion, got '${v.dataset}'`);
  if (v['eval-only'] && !v.load) fail('--eval-only needs --load FILE');
  const epochs = v['eval-only'] ? 0 : positive('epochs', v.epochs, 2);
  const batchSize = positive('batch-size', v['batch-size'], 64);
  const lr = positive('lr', v.lr, 1e-3, false);
  if (v.schedule !== 'cosine' && v.schedule !== 'none') fail(`--schedule must be cosine or none, got '${v.schedule}'`);
  const limit = v.limit === undefined ? undefined : positive('limit', v.limit, 0);
  const seed = v.seed === undefined ? 0 : Number(v.seed);
  if (!Number.isInteger(seed)) fail(`--seed must be an integer, got '${v.seed}'`);

  if (v.mirror !== undefined && !/^https?:\/\//.test(v.mirror)) fail(`--mirror must be an http(s) URL, got '${v.mirror}'`);
  const mirrors = v.mirror === undefined ? undefined : [v.mirror.endsWith('/') ? v.mirror : `${v.mirror}/`];

  const choice = await chooseBackendWithReasons(v.backend);
  const backend = choice.name;
  console.log(
    `backend: ${backend} (${v.backend ? 'chosen with --backend' : 'the best that started'}; registered: ${tl.listBackends().join(', ')})` +
      choice.passedOver.map((line) => `\n  passed over ${line}`).join(''),
  );

  let data;
  try {
    data = await loadData({ dataset, data: v.data, download: v.download, mirrors });
  } catch (error) {
    if (!(error instanceof DatasetFilesMissingError)) throw error;
    // The library's message names its options; this one names the command's flags.
    process.stderr.write(
      `error: ${error.dataset} files not found: ${error.files.join(', ')}\nLooked in:\n${error.looked.map((d) => `  ${d}`).join('\n')}\n` +
        `Run with --download to fetch them from ${error.mirror} into ${error.cacheDir} (checksums verified), ` +
        `or point --data DIR (or TENSILE_DATA) at a directory holding ${dataset === 'fashion' ? 'fashion-mnist' : 'mnist'}/.\n`,
    );
    process.exit(2);
  }
  const { train, test } = data;
  const trainSet = limited(train, limit);
  console.log(`${dataset === 'fashion' ? 'Fashion-MNIST' : 'MNIST'}: ${trainSet.length} training images, ${test.length} test images (from ${train.files[0].replace(/[/\\][^/\\]*$/, '')})`);

  tl.manualSeed(seed);
  const net = buildModel(model);
  if (v.load) {
    const { tensors } = await loadSafetensors(v.load);
    net.loadStateDict(tensors);
    Object.values(tensors).forEach((t) => t.dispose());
    console.log(`loaded weights from ${v.load}`);
  }
  console.log(`model: ${model}, ${net.numParameters()} parameters`);

  const optimizer = new Adam(net.parameters(), { lr });
  const loader = new DataLoader(trainSet, { batchSize, shuffle: true, seed });
  // Cosine decay from lr to 0 over all the steps of the run.
  const scheduler = v.schedule === 'cosine' && epochs > 0 ? new CosineAnnealingLR(optimizer, { tMax: epochs * loader.length }) : null;
  if (epochs > 0) console.log(`optimizer: Adam, lr ${lr}, schedule ${scheduler ? 'cosine (per batch)' : 'constant'}, batch size ${batchSize}, ${epochs} epoch${epochs === 1 ? '' : 's'}`);
  const started = performance.now();
  let lastSpeed = 0;
  let accuracy = Number.NaN;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const result = await trainEpoch(net, optimizer, loader, `epoch ${epoch + 1}/${epochs}`, { onStep: () => scheduler?.step() });
    lastSpeed = result.imagesPerSecond;
    accuracy = await evaluate(net, test);
    console.log(
      `epoch ${epoch + 1}/${epochs}: train loss ${result.loss.toFixed(4)}, ${result.imagesPerSecond.toFixed(0)} images/s, ` +
        `${result.seconds.toFixed(1)} s, test accuracy ${(accuracy * 100).toFixed(2)}%`,
    );
  }
  if (epochs === 0) accuracy = await evaluate(net, test);
  const wall = (performance.now() - started) / 1000;
  console.log(
    `test accuracy: ${(accuracy * 100).toFixed(2)}% (${model}, ${dataset}, ${epochs ? `${epochs} epoch${epochs === 1 ? '' : 's'}` : 'evaluation only'}, ` +
      `backend ${backend}${epochs ? `, ${lastSpeed.toFixed(0)} images/s, ${wall.toFixed(1)} s` : ''})`,
  );
  if (v.save) {
    await saveSafetensors(net.stateDict(), v.save, { model, dataset, accuracy: accuracy.toFixed(4) });
    console.log(`saved weights to ${v.save}`);
  }
}

main().catch((error: Error) => {
  process.stderr.write(`error: ${error.message}\n`);
  process.exit(1);
});
