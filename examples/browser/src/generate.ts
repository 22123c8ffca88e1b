/**
 * Load a causal LM from a URL (a folder in the hub's layout: config.json, model.safetensors,
 * tokenizer.json) and stream its continuation of a prompt into the page.
 *
 * Query parameters:
 * - `model`          base URL of the checkpoint folder (CORS headers needed from another origin)
 * - `prompt`, `maxNewTokens` (default 40), `sample` (`1` to sample), `seed` (default 0)
 * - `dtype`          `float32` or `float16` (default: float16 on WebGPU where the adapter has it)
 * - `backend`        force one backend (`webgpu`, `wasm`, `cpu`); by default the first that starts
 * - `autostart`      `1` to generate as soon as the model is loaded
 *
 * The page publishes its state as `globalThis.__generate` (for tests and the curious).
 */
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import '@tensile/backend-wasm';
import '@tensile/backend-webgpu';
import { AutoModelForCausalLM, AutoTokenizer, textStreamer, type CausalLM, type PreTrainedTokenizer } from '@tensile/transformers';
import { chooseBackend, positiveInt } from './page.js';

interface GenerateState {
  backend: string | null;
  dtype: string | null;
  status: string;
  /** Generated token ids so far (the prompt's not included). */
  tokens: number[];
  text: string;
  tokensPerSecond: number | null;
  done: boolean;
  error: string | null;
}

const state: GenerateState = { backend: null, dtype: null, status: 'loading', tokens: [], text: '', tokensPerSecond: null, done: false, error: null };
(globalThis as { __generate?: GenerateState }).__generate = state;

const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function setStatus(text: string): void {
  state.status = text;
  $('status').textContent = text;
}

/** The model class a config.json's model_type names. */
function loadModel(url: string, dtype: 'float32' | 'float16' | undefined): Promise<CausalLM> {
  return AutoModelForCausalLM.fromPretrained(url, { dtype, logger: null });
}

let loaded: { url: string; model: CausalLM; tokenizer: PreTrainedTokenizer } | null = null;

async function generate(): Promise<void> {
  const url = new URL($<HTMLInputElement>('model-url').value, location.href).href;
  const button = $<HTMLButtonElement>('generate');
  button.disabled = true;
  try {
    if (loaded?.url !== url) {
      loaded?.model.dispose();
      setStatus(`loading ${url}`);
      const dtypeParam = params.get('dtype');
      if (dtypeParam !== null && dtypeParam !== 'float32' && dtypeParam !== 'float16') throw new Error(`dtype must be float32 or float16, got '${dtypeParam}'`);
      const [model, tokenizer] = await Promise.all([loadModel(url, dtypeParam ?? undefined), AutoTokenizer.fromPretrained(url)]);
      loaded = { url, model, tokenizer };
      state.dtype = model.parameters()[0]?.dtype ?? null;
      $('model').textContent = `${url} (${state.dtype})`;
    }
    const { model, tokenizer } = loaded;
    const prompt = $<HTMLTextAreaElement>('prompt').value;
    const output = $('output');
    output.textContent = prompt;
    state.tokens = [];
    state.text = '';
    state.done = false;
    setStatus('generating');
    const start = performance.now();
    const stream = textStreamer(tokenizer, (text) => {
      state.text += text;
      output.textContent += text;
    });
    const result = await model.generate([tokenizer.encode(prompt)], {
      maxNewTokens: positiveInt($<HTMLInputElement>('max-new-tokens').value, 40),
      doSample: $<HTMLInputElement>('sample').checked,
      temperature: 0.8,
      topP: 0.95,
      seed: Number(params.get('seed') ?? 0),
      onToken: (tokens) => {
        state.tokens.push(tokens[0]);
        stream(tokens);
        state.tokensPerSecond = state.tokens.length / ((performance.now() - start) / 1000);
        $('speed').textContent = `${state.tokensPerSecond.toFixed(1)} tokens/s`;
      },
    });
    result.dispose();
    setStatus(`generated ${state.tokens.length} tokens`);
    state.done = true;
  } finally {
    button.disabled = false;
  }
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  state.error = message;
  setStatus('failed');
  const footer = $('error');
  footer.hidden = false;
  footer.textContent = message;
  console.error(error);
}

async function start(): Promise<void> {
  state.backend = await chooseBackend(params.get('backend'));
  $('backend').textContent = state.backend;
  $<HTMLInputElement>('model-url').value = params.get('model') ?? '';
  $<HTMLTextAreaElement>('prompt').value = params.get('prompt') ?? 'Hello, my name is';
  if (params.has('maxNewTokens')) $<HTMLInputElement>('max-new-tokens').value = params.get('maxNewTokens')!;
  $<HTMLInputElement>('sample').checked = params.get('sample') === '1';
  $('form').addEventListener('submit', (e) => {
    e.preventDefault();
    generate().catch(fail);
  });
  $<HTMLButtonElement>('generate').disabled = false;
  setStatus('ready');
  if (params.get('autostart') === '1') await generate();
}

start().catch(fail);
