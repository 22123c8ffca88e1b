// What both commands share: flags, the backend, and the causal LM a checkpoint names.
import { parseArgs } from 'node:util';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import '@tensile/backend-wasm';
import { AutoModelForCausalLM, type CausalLM } from '@tensile/transformers';

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

/** The causal LM a checkpoint's model_type names (a local directory or a hub id). */
export function loadCausalLM(source: string, device: string): Promise<CausalLM> {
  return AutoModelForCausalLM.fromPretrained(source, { device, dtype: 'float32' });
}
