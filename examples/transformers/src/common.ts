// What both commands share: flags, the backend, and the model class a config.json names.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import '@tensile/backend-wasm';
import { GPT2LMHeadModel, LlamaForCausalLM, type CausalLM } from '@tensile/transformers';

export function flags<T extends Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>>(usage: string, options: T) {
  try {
    const { values } = parseArgs({ options: { ...options, help: { type: 'boolean' } }, strict: true });
    const all = values as Record<string, string | boolean | undefined>;
    if (all.help) {
      console.log(usage);
      process.exit(0);
    }
    return all as unknown as { [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean : string };
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

/** Start `name` (cpu, wasm or webgpu) and make it the default device. */
export async function useBackend(name: string): Promise<void> {
  if (!['cpu', 'wasm', 'webgpu'].includes(name)) throw new Error(`--backend must be cpu, wasm or webgpu, got '${name}'`);
  // webgpu is loaded only when asked for: it starts a GPU device (Dawn) in Node.
  if (name === 'webgpu') await import('@tensile/backend-webgpu');
  await tl.setBackend(name);
}

/** The causal-LM class for a hub config's model_type. */
export async function loadCausalLM(source: string, device: string): Promise<CausalLM> {
  let type: string | undefined;
  try {
    type = JSON.parse(readFileSync(path.join(source, 'config.json'), 'utf8')).model_type;
  } catch {
    type = undefined; // a hub id: GPT2LMHeadModel's loader names the model_type it finds
  }
  const options = { device, dtype: 'float32' as const };
  if (type && LlamaForCausalLM.modelTypes.includes(type as never)) return LlamaForCausalLM.fromPretrained(source, options);
  if (!type || type === 'gpt2') return GPT2LMHeadModel.fromPretrained(source, options);
  throw new Error(`model_type '${type}' is not a causal LM this example knows (gpt2, ${LlamaForCausalLM.modelTypes.join(', ')})`);
}
