/**
 * The one rule for tests that need something `.ci/run` installs (a backend's driver, PyTorch
 * for reference fixtures): without it they skip with the reason, unless TENSILE_REQUIRE_TOOLS
 * (set by CI) makes the skip a failure, so a broken install cannot hide.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tl from '@tensile/core';

/** The Python with Debian's python3-torch (and friends) that reference generators run on. */
export const PYTHON = '/usr/bin/python3';

/** `why`, as the reason to skip; under TENSILE_REQUIRE_TOOLS, `cause` (or `why`) thrown instead. */
export function skipReason(why: string, cause?: unknown): string {
  if (process.env.TENSILE_REQUIRE_TOOLS) throw cause ?? new Error(why);
  return why;
}

/** Why the backend `name` cannot start here (a skip reason), or null once it is ready. */
export async function backendUnavailable(name: string): Promise<string | null> {
  try {
    await tl.ready(name);
    return null;
  } catch (e) {
    return skipReason(`${name} backend unavailable: ${(e as Error).message}`, e);
  }
}

/** A folder of reference files that a Python generator writes. */
export interface PythonFixtures {
  /** The folder the generator fills (a git-ignored cache). */
  folder: string;
  /** The generator script. */
  script: string;
  /** Python modules it imports, probed first for a clear reason ('torch', 'onnx'). */
  modules: readonly string[];
  /** Other files it reads: their hash is in the stamp too, so a change remakes the fixtures. */
  sources?: readonly string[];
}

const STAMP = 'source-hash';

/**
 * Make `spec.folder` by running the generator, unless a stamp there holds the hash of the
 * generator and its sources. The generator writes into `<folder>.partial`, which replaces the
 * folder only when it succeeds, so an interrupted run is never used. Returns null when the
 * fixtures are ready, or the skip reason when the Python modules are missing; throws when the
 * generator fails.
 */
export function makePythonFixtures(spec: PythonFixtures): string | null {
  const hash = createHash('sha256');
  for (const file of [spec.script, ...(spec.sources ?? [])]) hash.update(readFileSync(file));
  const digest = hash.digest('hex');
  const stamp = path.join(spec.folder, STAMP);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return null;
  const imports = spec.modules.join(', ');
  if (spawnSync(PYTHON, ['-c', `import ${imports}`], { stdio: 'ignore' }).status !== 0) {
    const packages = spec.modules.map((m) => `python3-${m}`).join(' ');
    return skipReason(`${PYTHON} with ${imports} is not installed (apt-get install ${packages}); the reference fixtures cannot be generated`);
  }
  const partial = `${spec.folder}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const run = spawnSync(PYTHON, [spec.script, partial], { encoding: 'utf8' });
  if (run.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`${path.basename(spec.script)} failed:\n${run.stderr || run.error?.message}`);
  }
  writeFileSync(path.join(partial, STAMP), digest);
  rmSync(spec.folder, { recursive: true, force: true });
  renameSync(partial, spec.folder);
  return null;
}

/** Whether a previous makePythonFixtures (the global setup) left the fixtures in `folder`. */
export function havePythonFixtures(folder: string): boolean {
  return existsSync(path.join(folder, STAMP));
}
