/**
 * What the rows beside onnxruntime-node share (resnet18, gpt2): models exported by a python
 * tool (tools/*.py, run with /usr/bin/python3) into the git-ignored .tensile-cache/, and
 * onnxruntime-node CPU sessions set up alike for every such row.
 *
 * onnxruntime runs `intraOpNumThreads` = the wasm row's thread count (1 beside cpu, which is
 * single-threaded, and beside webgpu), one inter-op thread, no spinning (its idle workers would
 * take the cores from the interleaved Tensile runs).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InferenceSession } from 'onnxruntime-node';
import type { OwnPeer } from './types.js';

export const PYTHON = '/usr/bin/python3';
/** packages/bench (this file is src/workloads/exported.ts or dist/workloads/exported.js). */
export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ExportSpec {
  /** The cache folder's name: .tensile-cache/NAME/. */
  name: string;
  /** The tool, a file under tools/. */
  script: string;
  /** Python modules the tool imports, checked first for a clear error ("torch, torchvision"). */
  modules: string[];
  /** Other files the tool reads (its hash covers them too: a change remakes the export). */
  sources?: string[];
  /** The tool's arguments, given the folder it writes into (default: that folder). */
  args?(folder: string): string[];
}

const exports = new Map<string, Promise<string>>();

/**
 * The export's folder, .tensile-cache/NAME/, made by the tool when it is missing or older than
 * the tool (or its sources): the tool writes into NAME.partial/, which replaces NAME/ only when
 * the tool succeeds, so an interrupted export is never used.
 */
export function exported(spec: ExportSpec): Promise<string> {
  let made = exports.get(spec.name);
  if (!made) {
    made = (async () => {
      const folder = path.join(packageDir, '.tensile-cache', spec.name);
      const stamp = path.join(folder, 'source-hash');
      const script = path.join(packageDir, 'tools', spec.script);
      const hash = createHash('sha256');
      for (const file of [script, ...(spec.sources ?? [])]) hash.update(readFileSync(file));
      const digest = hash.digest('hex');
      if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return folder;
      const imports = spec.modules.join(', ');
      const probe = spawnSync(PYTHON, ['-c', `import ${imports}`], { stdio: 'ignore' });
      if (probe.status !== 0) {
        throw new Error(`the model is exported by ${PYTHON} with ${imports}, which are not installed (apt-get install ${spec.modules.map((m) => `python3-${m}`).join(' ')})`);
      }
      const partial = `${folder}.partial`;
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(partial, { recursive: true });
      const run = spawnSync(PYTHON, [script, ...(spec.args ? spec.args(partial) : [partial])], { encoding: 'utf8' });
      if (run.status !== 0) {
        rmSync(partial, { recursive: true, force: true });
        throw new Error(`${spec.script} failed: ${(run.stderr || run.error?.message || '').trim().split('\n').pop()}`);
      }
      writeFileSync(path.join(partial, 'source-hash'), digest);
      rmSync(folder, { recursive: true, force: true });
      renameSync(partial, folder);
      return folder;
    })();
    exports.set(spec.name, made);
  }
  return made;
}

/** onnxruntime's intra-op threads beside a Tensile run with `threads` wasm threads (0: not wasm). */
export const ortThreads = (threads: number): number => Math.max(1, threads);

/** The peer column of a row beside onnxruntime-node: "ort-cpu 2t". */
export const ORT_PEER: OwnPeer = { label: (threads) => `ort-cpu ${ortThreads(threads)}t` };

export type Ort = typeof import('onnxruntime-node');

/** onnxruntime-node, imported only when a row beside it runs. */
export async function loadOrt(): Promise<Ort> {
  try {
    return (await import('onnxruntime-node')).default;
  } catch (cause) {
    throw new Error(`onnxruntime-node is not installed (${(cause as Error).message.split('\n')[0]})`);
  }
}

/** A CPU session over `model` (a file or its bytes) with the thread settings above. */
export async function ortSession(ort: Ort, model: string | Uint8Array, threads: number): Promise<InferenceSession> {
  const options: InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: ortThreads(threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { 'session.intra_op.allow_spinning': '0' },
  };
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}
