// pnpm --filter @tensile/example-transformers finetune --model DIR_OR_HUB_ID --text FILE --out DIR
// Fine-tunes a causal LM on a text file (random windows, AdamW, the hub's shifted
// cross-entropy), shows a progress bar, and saves a checkpoint in the hub's layout that
// fromPretrained, and the hub's PyTorch code, load. With --amp (webgpu), mixed precision:
// float32 weights, the forward pass under tl.autocast and a GradScaler.
import { readFileSync } from 'node:fs';
import * as tl from '@tensile/core';
import { clipGradNorm, AdamW, GradScaler } from '@tensile/optim';
import { AutoTokenizer } from '@tensile/transformers';
import { flags, loadCausalLM, useBackend } from './common.js';

const USAGE = `usage: finetune --model DIR|HUB_ID --text FILE --out DIR [--steps 300] [--batch 4] [--seq 64]
                [--lr 3e-4] [--weight-decay 0.01] [--clip 1.0] [--seed 0] [--backend wasm|cpu|webgpu] [--amp]`;
const args = flags(USAGE, {
  model: { type: 'string' },
  text: { type: 'string' },
  out: { type: 'string' },
  steps: { type: 'string', default: '300' },
  batch: { type: 'string', default: '4' },
  seq: { type: 'string', default: '64' },
  lr: { type: 'string', default: '3e-4' },
  'weight-decay': { type: 'string', default: '0.01' },
  clip: { type: 'string', default: '1.0' },
  seed: { type: 'string', default: '0' },
  backend: { type: 'string', default: 'wasm' },
  amp: { type: 'boolean', default: false },
});
if (!args.model || !args.text || !args.out) {
  console.error(USAGE);
  process.exit(2);
}
await useBackend(args.backend);
if (args.amp && !tl.isDTypeSupported('float16', args.backend)) {
  console.error(`--amp needs float16 on the device (webgpu on an adapter with 'shader-f16'); ${args.backend} has none`);
  process.exit(2);
}
tl.manualSeed(Number(args.seed));
const tokenizer = await AutoTokenizer.fromPretrained(args.model);
const model = await loadCausalLM(args.model, args.backend);
const tokens = tokenizer.encode(readFileSync(args.text, 'utf8'), { addSpecialTokens: false });
const seq = Math.min(Number(args.seq), tokens.length, model.maxPositions ?? Infinity);
const batch = Number(args.batch);
const steps = Number(args.steps);
if (tokens.length < 2) throw new Error(`${args.text}: ${tokens.length} token(s); need at least 2`);

// Windows of `seq` tokens from seeded random offsets; labels are the inputs (the model shifts).
let state = Number(args.seed) >>> 0 || 1;
const nextOffset = () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state % (tokens.length - seq + 1);
};
const windowBatch = () => tl.tensor(Array.from({ length: batch }, () => {
  const o = nextOffset();
  return tokens.slice(o, o + seq);
}), { dtype: 'int32' });

// The loss over the first windows of the text, before and after.
const evalIds = tl.tensor([tokens.slice(0, seq)], { dtype: 'int32' });
const evalLoss = async () => {
  model.eval();
  const { logits, loss } = tl.noGrad(() => model.forward(evalIds, { labels: evalIds }));
  const v = Number(await loss!.item());
  logits.dispose();
  loss!.dispose();
  return v;
};

const before = await evalLoss();
model.train();
const opt = new AdamW(model.parameters(), { lr: Number(args.lr), weightDecay: Number(args['weight-decay']) });
// Disabled (without --amp), the scaler passes everything through: one loop for both.
const scaler = new GradScaler({ enabled: args.amp });
let skipped = 0;
const bar = new tl.ProgressBar({ total: steps, label: args.amp ? 'fine-tuning (amp)' : 'fine-tuning' });
const start = performance.now();
let last = before;
for (let step = 1; step <= steps; step++) {
  const ids = windowBatch();
  opt.zeroGrad();
  const { logits, loss } = tl.autocast(args.backend, { enabled: args.amp }, () => model.forward(ids, { labels: ids }));
  tl.tidy(() => scaler.scale(loss!).backward());
  scaler.unscale_(opt); // clip the true gradients, not the scaled ones
  clipGradNorm(model.parameters(), Number(args.clip)).dispose();
  if (!(await scaler.step(opt))) skipped++; // a step whose float16 gradients overflowed is skipped
  scaler.update();
  last = Number(await loss!.item());
  for (const t of [ids, logits, loss!]) t.dispose();
  bar.update(step, `loss ${last.toFixed(4)}`);
}
bar.finish(`loss ${last.toFixed(4)}`);
const after = await evalLoss();
await model.savePretrained(args.out);
await tokenizer.savePretrained(args.out);
const seconds = (performance.now() - start) / 1000;
const amp = args.amp ? `, mixed precision: ${skipped} step(s) skipped, loss scale ${scaler.getScale()}` : '';
console.error(`loss ${before.toFixed(4)} -> ${after.toFixed(4)} over ${steps} steps (${(steps / seconds).toFixed(2)} steps/s on ${args.backend}${amp}); saved ${args.out}`);
console.log(JSON.stringify({ steps, lossBefore: before, lossAfter: after, lastBatchLoss: last, out: args.out, memory: tl.memory().numTensors, amp: args.amp, skippedSteps: skipped }));
opt.dispose();
evalIds.dispose();
model.dispose();
