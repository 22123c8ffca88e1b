/** Downloading into the cache: checksums, progress, and atomic writes. */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { ProgressBar } from '@tensile/core';

/** A file's expected checksum. */
export interface Checksum {
  sha256?: string;
  md5?: string;
}

export interface DownloadOptions extends Checksum {
  /** Show a progress bar on stderr. Default true. */
  progress?: boolean;
  /** Label for the progress bar; the file name by default. */
  label?: string;
}

/**
 * The download cache: `TENSILE_CACHE`, else `~/.cache/tensile` (or `$XDG_CACHE_HOME/tensile`).
 */
export function defaultCacheDir(): string {
  if (process.env.TENSILE_CACHE) return path.resolve(process.env.TENSILE_CACHE);
  const base = process.env.XDG_CACHE_HOME ? process.env.XDG_CACHE_HOME : path.join(homedir(), '.cache');
  return path.join(base, 'tensile');
}

/** Compare a computed digest with the expected one; throws naming `file` on a mismatch. */
export function checkDigest(file: string, algorithm: 'sha256' | 'md5', actual: string, expected: string | undefined): void {
  if (expected && actual.toLowerCase() !== expected.toLowerCase()) {
    throw new Error(`${file}: checksum mismatch: ${algorithm} is ${actual}, expected ${expected.toLowerCase()}`);
  }
}

/** Verify `bytes` against `checksum`; throws naming `file` on a mismatch. */
export function verifyBytes(file: string, bytes: Uint8Array, checksum: Checksum): void {
  if (checksum.sha256) checkDigest(file, 'sha256', createHash('sha256').update(bytes).digest('hex'), checksum.sha256);
  if (checksum.md5) checkDigest(file, 'md5', createHash('md5').update(bytes).digest('hex'), checksum.md5);
}

let tempCounter = 0;

/**
 * Fetch `url` into `dest`, verifying the checksum. The bytes go to a temporary file beside
 * `dest` that is renamed into place only when complete and verified, so `dest` is never
 * half-written; on any failure the temporary file is removed and nothing is left behind.
 *
 * @example
 * ```ts
 * await downloadFile('https://example.com/data.gz', '/tmp/data.gz', { sha256: '...' });
 * ```
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  const temp = `${dest}.${process.pid}.${Date.now()}.${tempCounter++}.part`;
  const name = path.basename(dest);
  let received = 0;
  const fail = (what: string, cause?: unknown): Error =>
    new Error(`download of ${url} failed: ${what}`, cause === undefined ? undefined : { cause });
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw fail(`${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`, error);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => {});
    throw fail(`HTTP ${response.status} ${response.statusText}`);
  }
  const header = response.headers.get('content-length');
  const total = header ? Number(header) : 0;
  const bar = new ProgressBar({ total, label: `downloading ${options.label ?? name}`, bytes: true, silent: options.progress === false });
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  const file = await open(temp, 'wx');
  let closed = false;
  try {
    const reader = response.body.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
        throw fail(`the connection broke after ${received}${total ? ` of ${total}` : ''} bytes (${cause})`, error);
      }
      if (chunk.done) break;
      sha256.update(chunk.value);
      md5.update(chunk.value);
      await file.write(chunk.value);
      received += chunk.value.length;
      bar.update(received);
    }
    if (total && received !== total) throw fail(`truncated: received ${received} of ${total} bytes`);
    await file.sync();
    await file.close();
    closed = true;
    try {
      checkDigest(`${name} (from ${url})`, 'sha256', sha256.digest('hex'), options.sha256);
      checkDigest(`${name} (from ${url})`, 'md5', md5.digest('hex'), options.md5);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the download was discarded`);
    }
    await rename(temp, dest);
    bar.finish('done');
  } catch (error) {
    bar.finish('failed');
    if (!closed) await file.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
}

/** Try `urls` in order until one downloads and verifies; the error lists every failure. */
export async function downloadFromMirrors(urls: readonly string[], dest: string, options: DownloadOptions = {}): Promise<void> {
  const failures: string[] = [];
  for (const url of urls) {
    try {
      await downloadFile(url, dest, options);
      return;
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  throw new Error(`could not download ${path.basename(dest)}:\n  ${failures.join('\n  ')}`);
}
