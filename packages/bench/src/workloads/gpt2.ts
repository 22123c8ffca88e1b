/**
 * A GPT-2-small-shaped model (12 layers, 12 heads, 768 wide, vocab 50257, 1024 positions: 124M
 * parameters, random weights), batch 1, in tokens/s:
 *
 * - `gpt2/generate`: greedy generation of 32 new tokens after a 16-token prompt (one pass over
 *   the prompt, then 31 single-token passes over the key/value cache). Tensile:
 *   `GPT2LMHeadModel.generate`; onnxruntime-node: the same greedy loop in JS over a session of
 *   the exported cached decoder (the presents of one run are the pasts of the next, argmax on
 *   the host). The check compares the 32 token ids: they must be equal (tolerance 0).
 * - `gpt2/prefill`: one pass over the 16-token prompt into an empty cache, logits of the last
 *   position; `gpt2/decode`: one token at position 16 over a cache holding the prompt (Tensile
 *   rewinds its cache to the prompt each run; onnxruntime gets the prompt's presents as pasts).
 *   The check compares the logits (tolerance 1e-3).
 *
 * The model is made on first use by tools/export_gpt2.py with /usr/bin/python3 (torch): the
 * PyTorch reference GPT-2 of @tensile/transformers' fixture generator, written as a hub-layout
 * checkpoint (hub/: config.json + model.safetensors, loaded by `GPT2LMHeadModel.fromPretrained`)
 * and as decoder.onnx (input_ids and past keys/values in, last-position logits and present
 * keys/values out) into the git-ignored .tensile-cache/gpt2/, remade when the script or the
 * reference changes.
 *
 * generate runs on wasm; prefill and decode on wasm and webgpu (Tensile only there: no peer
 * runs GPT-2 on WebGPU in Node). cpu is left out: a 124M model is far too slow on it.
 */
import path from 'node:path';
import type { Tensor } from '@tensile/core';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import type { Runner } from '../harness.js';
import { integers } from '../data.js';
import { exported, loadOrt, ORT_PEER, ortSession, packageDir } from './exported.js';
import type { Case, CaseInstance, Tl } from './types.js';

const LAYERS = 12;
const HEADS = 12;
const HEAD_DIM = 64;
const VOCAB = 50257;
/** Prompt length and new tokens of the generate row; prefill is the prompt, decode the token after it. */
const PROMPT = 16;
const NEW_TOKENS = 32;

const reference = path.join(packageDir, '..', 'transformers', 'tools');

/** .tensile-cache/gpt2/ (hub/, decoder.onnx), exported first when missing or stale. */
const model = () =>
  exported({
    name: 'gpt2',
    script: 'export_gpt2.py',
    modules: ['torch'],
    sources: [path.join(reference, 'reference.py'), path.join(reference, 'generate_fixtures.py')],
  });

type Gpt2 = import('@tensile/transformers').GPT2LMHeadModel;

async function loadTensile(device: string): Promise<Gpt2> {
  const { GPT2LMHeadModel } = await import('@tensile/transformers');
  // dtype: fromPretrained's default for the device (float32 on wasm; float16 on webgpu where the adapter has shader-f16).
  return GPT2LMHeadModel.fromPretrained(path.join(await model(), 'hub'), { device });
}

/** A session over decoder.onnx and helpers for its feeds. */
async function loadOrtDecoder(threads: number) {
  const ort = await loadOrt();
  const session = await ortSession(ort, path.join(await model(), 'decoder.onnx'), threads);
  const pastNames = Array.from({ length: LAYERS }, (_, i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]).flat();
  const ids = (tokens: ArrayLike<number>) => new ort.Tensor('int64', BigInt64Array.from(Array.from(tokens, BigInt)), [1, tokens.length]);
  /** Feeds for `tokens` after the pasts of `previous` (a run's outputs), or after nothing. */
  const feeds = (tokens: ArrayLike<number>, previous?: InferenceSession.OnnxValueMapType): Record<string, OrtTensor> => {
    const out: Record<string, OrtTensor> = { input_ids: ids(tokens) };
    for (const name of pastNames) {
      out[name] = previous
        ? (previous[name.replace('past_key_values', 'present')] as OrtTensor)
        : new ort.Tensor('float32', new Float32Array(0), [1, HEADS, 0, HEAD_DIM]);
    }
    return out;
  };
  return { session, feeds };
}

function lastLogits(result: InferenceSession.OnnxValueMapType): Float32Array {
  const values = (result.logits as OrtTensor).data as Float32Array;
  if (values.length !== VOCAB) throw new Error(`onnxruntime returned ${values.length} logits, expected ${VOCAB}`);
  return values;
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

const prompt = Array.from(integers(PROMPT, VOCAB, 1240));
const nextToken = integers(1, VOCAB, 1241)[0];

/** Tensile: prefill (an empty cache) or decode (one token over the prompt's cache), last logits. */
async function tensilePass(tl: Tl, device: string, mode: 'prefill' | 'decode'): Promise<Runner> {
  const gpt2 = await loadTensile(device);
  const cache = gpt2.createCache(1, PROMPT + 1);
  const promptIds = tl.tensor(prompt, { dtype: 'int32', device }).reshape([1, PROMPT]);
  const tokenIds = tl.tensor([nextToken], { dtype: 'int32', device }).reshape([1, 1]);
  const forward = (ids: Tensor): Tensor => gpt2.forward(ids, { cache, logitsToKeep: 1 }).logits;
  if (mode === 'decode') tl.noGrad(() => tl.tidy(() => forward(promptIds))).dispose();
  return {
    async run() {
      const logits = tl.noGrad(() =>
        tl.tidy(() => {
          if (mode === 'prefill') cache.reset();
          else cache.length = PROMPT; // rewind to the prompt: the new token overwrites position 16
          return forward(mode === 'prefill' ? promptIds : tokenIds);
        }),
      );
      const values = await logits.data();
      logits.dispose();
      return values;
    },
    dispose() {
      promptIds.dispose();
      tokenIds.dispose();
      cache.dispose();
      gpt2.dispose();
    },
  };
}

async function ortPass(threads: number, mode: 'prefill' | 'decode'): Promise<Runner> {
  const { session, feeds } = await loadOrtDecoder(threads);
  const input = mode === 'prefill' ? feeds(prompt) : feeds([nextToken], await session.run(feeds(prompt)));
  return {
    async run() {
      return lastLogits(await session.run(input));
    },
    dispose() {
      void session.release();
    },
  };
}

const NO_WEBGPU_PEER = 'no peer runs GPT-2 on WebGPU in Node (onnxruntime-node has no WebGPU execution provider on Linux, tfjs has no GPT-2)';
const CPU_TOO_SLOW = 'a 124M model is far too slow on cpu (about 1 token/s: ~20 s per 32-token generation, ~30 s to load)';

function passCase(mode: 'prefill' | 'decode'): Case {
  return {
    id: `gpt2/${mode}`,
    family: 'gpt2',
    title: mode === 'prefill' ? `GPT-2 124M prefill ${PROMPT} b1` : `GPT-2 124M decode at ${PROMPT} b1`,
    metric: { unit: 'tokens/s', perRun: mode === 'prefill' ? PROMPT : 1 },
    quick: false,
    tolerance: 1e-3,
    ownPeer: ORT_PEER,
    noPeer: (backend) => (backend === 'webgpu' ? NO_WEBGPU_PEER : undefined),
    backends: { only: ['wasm', 'webgpu'], note: `gpt2/prefill and gpt2/decode do not run on cpu: ${CPU_TOO_SLOW}` },
    init: (): CaseInstance => ({
      tensile: (tl, device) => tensilePass(tl, device, mode),
      peer: ({ threads }) => ortPass(threads, mode),
    }),
  };
}

function generateCase(): Case {
  return {
    id: 'gpt2/generate',
    family: 'gpt2',
    title: `GPT-2 124M greedy ${PROMPT}+${NEW_TOKENS} b1`,
    metric: { unit: 'tokens/s', perRun: NEW_TOKENS },
    quick: false,
    tolerance: 0,
    ownPeer: ORT_PEER,
    backends: { only: ['wasm'], note: `gpt2/generate runs on wasm only: ${CPU_TOO_SLOW}; webgpu has the prefill and decode rows` },
    init: (): CaseInstance => ({
      async tensile(tl, device) {
        const gpt2 = await loadTensile(device);
        return {
          async run() {
            const out = await gpt2.generate([prompt], { maxNewTokens: NEW_TOKENS, eosTokenId: null });
            const ids = await out.data();
            out.dispose();
            return ids.slice(PROMPT);
          },
          dispose() {
            gpt2.dispose();
          },
        };
      },
      async peer({ threads }) {
        const { session, feeds } = await loadOrtDecoder(threads);
        return {
          async run() {
            const tokens = new Int32Array(NEW_TOKENS);
            let result = await session.run(feeds(prompt));
            for (let step = 0; ; step++) {
              tokens[step] = argmax(lastLogits(result));
              if (step === NEW_TOKENS - 1) break;
              result = await session.run(feeds([tokens[step]], result));
            }
            return tokens;
          },
          dispose() {
            void session.release();
          },
        };
      },
    }),
  };
}

export function gpt2Cases(): Case[] {
  return [generateCase(), passCase('prefill'), passCase('decode')];
}
