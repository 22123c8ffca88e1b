// pnpm --filter @tensile/example-transformers generate --model DIR_OR_HUB_ID --prompt "..."
// Streams a causal LM's continuation of a prompt to stdout.
import { AutoTokenizer, textStreamer } from '@tensile/transformers';
import { flags, loadCausalLM, useBackend } from './common.js';

const USAGE = `usage: generate --model DIR|HUB_ID --prompt TEXT [--max-new-tokens 40] [--sample] [--temperature 0.8]
                [--top-k 50] [--top-p 0.95] [--seed 0] [--backend wasm|cpu]`;
const args = flags(USAGE, {
  model: { type: 'string' },
  prompt: { type: 'string' },
  'max-new-tokens': { type: 'string', default: '40' },
  sample: { type: 'boolean', default: false },
  temperature: { type: 'string', default: '0.8' },
  'top-k': { type: 'string', default: '50' },
  'top-p': { type: 'string', default: '0.95' },
  seed: { type: 'string', default: '0' },
  backend: { type: 'string', default: 'wasm' },
});
if (!args.model || args.prompt === undefined) {
  console.error(USAGE);
  process.exit(2);
}
await useBackend(args.backend);
const tokenizer = await AutoTokenizer.fromPretrained(args.model);
const model = await loadCausalLM(args.model, args.backend);
const ids = tokenizer.encode(args.prompt);
process.stdout.write(args.prompt);
const start = performance.now();
let count = 0;
const stream = textStreamer(tokenizer, (text) => process.stdout.write(text));
const out = await model.generate([ids], {
  maxNewTokens: Number(args['max-new-tokens']),
  doSample: args.sample,
  temperature: Number(args.temperature),
  topK: Number(args['top-k']),
  topP: Number(args['top-p']),
  seed: Number(args.seed),
  onToken: (tokens) => {
    count++;
    stream(tokens);
  },
});
const seconds = (performance.now() - start) / 1000;
process.stdout.write('\n');
console.error(`${count} tokens in ${seconds.toFixed(2)} s (${(count / seconds).toFixed(1)} tokens/s) on ${args.backend}`);
out.dispose();
model.dispose();
