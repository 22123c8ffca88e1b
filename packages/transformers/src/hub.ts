/**
 * Where a checkpoint's files come from: a local directory in the hub's layout, a hub repo
 * id downloaded into a cache (Node), or a base URL fetched directly (browsers).
 *
 * Downloads follow the hub's protocol: `GET {endpoint}/{repo}/resolve/{revision}/{file}`, a
 * first request without following redirects to read the checksum the hub gives
 * (`x-linked-etag`, the sha256 of a large file stored in LFS, or the `etag` of a small one,
 * its git blob sha1), then the bytes into `{file}.incomplete`, resumed with a `Range`
 * request when a previous download broke off, checked against that checksum, and renamed
 * into place. A progress bar goes to stderr.
 */
import { ProgressBar, formatBytes } from '@tensile/core';

/** Options shared by every `fromPretrained`. */
export interface HubOptions {
  /** Branch, tag or commit on the hub (default `'main'`). Ignored for local directories. */
  revision?: string;
  /** Download cache root; default `TENSILE_CACHE` or `~/.cache/tensile` (files go under `hub/`). */
  cacheDir?: string;
  /** The hub's address; default `HF_ENDPOINT` or `https://huggingface.co`. */
  endpoint?: string;
  /** An access token for gated or private repos; default `HF_TOKEN`. */
  token?: string;
  /** Show download progress on stderr (default true). */
  progress?: boolean;
  /** Use only files already in the cache; never touch the network. */
  localFilesOnly?: boolean;
  /** Download again even when a file is in the cache. */
  forceDownload?: boolean;
}

/** A file that does not exist at the source (a 404, or no such file in the directory). */
export class MissingFileError extends Error {
  readonly file: string;
  constructor(message: string, file: string) {
    super(message);
    this.name = 'MissingFileError';
    this.file = file;
  }
}

/** Read access to one checkpoint's files. */
export interface ModelSource {
  /** How to name the source in messages: the directory, URL or repo id (with revision). */
  readonly description: string;
  /** A file's bytes; throws `MissingFileError` when it does not exist. */
  bytes(file: string): Promise<Uint8Array>;
  /** Whether a file exists (without downloading it in full where that can be avoided). */
  has(file: string): Promise<boolean>;
  /** The local directory holding the files, when there is one (Node). */
  readonly directory?: string;
}

const decoder = new TextDecoder();

/** Parse a JSON file of a source, naming the file and source on failure. */
export async function readJson<T = Record<string, unknown>>(source: ModelSource, file: string): Promise<T> {
  const bytes = await source.bytes(file);
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch (e) {
    throw new Error(`${file} in ${source.description} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** Like `readJson`, but `null` when the file does not exist. */
export async function readJsonIfExists<T = Record<string, unknown>>(source: ModelSource, file: string): Promise<T | null> {
  try {
    return await readJson<T>(source, file);
  } catch (e) {
    if (e instanceof MissingFileError) return null;
    throw e;
  }
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
// Variable specifiers keep bundlers from resolving Node builtins for the browser.
const FS = 'node:fs/promises';
const PATH = 'node:path';
const OS = 'node:os';
const CRYPTO = 'node:crypto';

type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');

/** node:fs/promises and node:path, loaded so that browser bundles never see them (Node only). */
export async function nodeModules(): Promise<{ fs: Fs; path: Path }> {
  const [fs, path] = await Promise.all([import(/* @vite-ignore */ FS), import(/* @vite-ignore */ PATH)]);
  return { fs: fs as Fs, path: path as Path };
}

/** A directory in the hub's layout. */
class DirectorySource implements ModelSource {
  readonly description: string;
  constructor(readonly directory: string) {
    this.description = `'${directory}'`;
  }
  async bytes(file: string): Promise<Uint8Array> {
    const { fs, path } = await nodeModules();
    const full = path.join(this.directory, file);
    try {
      return new Uint8Array(await fs.readFile(full));
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') throw new MissingFileError(`no file '${file}' in ${this.description}`, file);
      throw new Error(`cannot read '${full}': ${(e as Error).message}`, { cause: e });
    }
  }
  async has(file: string): Promise<boolean> {
    const { fs, path } = await nodeModules();
    try {
      await fs.access(path.join(this.directory, file));
      return true;
    } catch {
      return false;
    }
  }
}

/** Files fetched from a base URL (a mirror, or the hub from a browser); nothing is cached. */
class UrlSource implements ModelSource {
  readonly description: string;
  private readonly base: string;
  constructor(base: string, private readonly headers: Record<string, string>) {
    this.base = base.endsWith('/') ? base : `${base}/`;
    this.description = `'${this.base}'`;
  }
  async bytes(file: string): Promise<Uint8Array> {
    const url = this.base + file;
    let response: Response;
    try {
      response = await fetch(url, { headers: this.headers });
    } catch (e) {
      throw new Error(`cannot fetch ${url}: ${(e as Error).message}`, { cause: e });
    }
    if (response.status === 404) throw new MissingFileError(`no file '${file}' at ${this.description} (HTTP 404)`, file);
    if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  async has(file: string): Promise<boolean> {
    const response = await fetch(this.base + file, { method: 'HEAD', headers: this.headers });
    return response.ok;
  }
}

/** What the hub says about a file before sending it. */
interface RemoteFile {
  /** `sha256` of an LFS file, or `sha1` of a git blob, when the hub gave one. */
  checksum: { algorithm: 'sha256' | 'sha1-git'; digest: string } | null;
}

function cleanEtag(value: string | null): string | null {
  if (!value) return null;
  return value.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
}

/** A repo on the hub, downloaded file by file into the cache on first use. */
class HubSource implements ModelSource {
  readonly description: string;
  readonly directory: string;
  private readonly headers: Record<string, string>;
  constructor(
    private readonly repo: string,
    private readonly revision: string,
    private readonly endpoint: string,
    cacheRoot: string,
    private readonly options: HubOptions,
    private readonly path: Path,
  ) {
    this.description = `hub repo '${repo}' (revision '${revision}')`;
    this.directory = path.join(cacheRoot, 'hub', `models--${repo.replace(/\//g, '--')}`, 'snapshots', revision.replace(/\//g, '--'));
    const token = options.token ?? process.env.HF_TOKEN;
    this.headers = token ? { authorization: `Bearer ${token}` } : {};
  }

  private url(file: string): string {
    const encoded = file.split('/').map(encodeURIComponent).join('/');
    return `${this.endpoint}/${this.repo}/resolve/${encodeURIComponent(this.revision)}/${encoded}`;
  }

  private async local(file: string): Promise<string> {
    const { fs } = await nodeModules();
    const dest = this.path.join(this.directory, file);
    const cached = await fs.access(dest).then(() => true, () => false);
    if (cached && !this.options.forceDownload) return dest;
    if (this.options.localFilesOnly) {
      throw new MissingFileError(`'${file}' of ${this.description} is not in the cache (${this.directory}) and localFilesOnly is set`, file);
    }
    await downloadHubFile(this.url(file), dest, {
      headers: this.headers,
      progress: this.options.progress ?? true,
      label: `${this.repo}/${file}`,
      file,
      what: this.description,
    });
    return dest;
  }

  async bytes(file: string): Promise<Uint8Array> {
    const { fs } = await nodeModules();
    return new Uint8Array(await fs.readFile(await this.local(file)));
  }

  async has(file: string): Promise<boolean> {
    const { fs } = await nodeModules();
    const dest = this.path.join(this.directory, file);
    if (await fs.access(dest).then(() => true, () => false)) return true;
    if (this.options.localFilesOnly) return false;
    const response = await fetch(this.url(file), { method: 'HEAD', headers: this.headers, redirect: 'manual' });
    return response.ok || (response.status >= 300 && response.status < 400);
  }
}

/** The default cache root: `TENSILE_CACHE`, else `$XDG_CACHE_HOME/tensile` or `~/.cache/tensile`. */
export async function defaultCacheDir(): Promise<string> {
  const path = (await import(/* @vite-ignore */ PATH)) as Path;
  if (process.env.TENSILE_CACHE) return path.resolve(process.env.TENSILE_CACHE);
  const os = (await import(/* @vite-ignore */ OS)) as typeof import('node:os');
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'tensile');
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/**
 * Open a checkpoint source: an existing local directory, an `http(s)://` base URL, or a hub
 * repo id (`'openai-community/gpt2'`), downloaded into the cache in Node and fetched
 * directly in a browser.
 *
 * @example
 * ```ts
 * const source = await openSource('HuggingFaceTB/SmolLM2-135M', { revision: 'main' });
 * const config = await readJson(source, 'config.json');
 * ```
 */
export async function openSource(source: string, options: HubOptions = {}): Promise<ModelSource> {
  if (typeof source !== 'string' || source === '') throw new TypeError(`fromPretrained: expected a directory, URL or hub repo id, got ${JSON.stringify(source)}`);
  const endpoint = (options.endpoint ?? (isNode ? process.env.HF_ENDPOINT : undefined) ?? 'https://huggingface.co').replace(/\/+$/, '');
  const revision = options.revision ?? 'main';
  const token = options.token ?? (isNode ? process.env.HF_TOKEN : undefined);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (/^https?:\/\//.test(source)) return new UrlSource(source, headers);
  if (isNode) {
    const { fs, path } = await nodeModules();
    const stat = await fs.stat(source).catch(() => null);
    if (stat?.isDirectory()) return new DirectorySource(path.resolve(source));
    if (stat) throw new Error(`fromPretrained: '${source}' is a file; give the directory that holds config.json`);
    if (!REPO_ID.test(source) || source.startsWith('.') || source.includes('..')) {
      throw new Error(`fromPretrained: '${source}' is neither an existing directory nor a hub repo id ('owner/name')`);
    }
    return new HubSource(source, revision, endpoint, options.cacheDir ?? (await defaultCacheDir()), options, path);
  }
  if (!REPO_ID.test(source)) throw new Error(`fromPretrained: '${source}' is neither a URL nor a hub repo id ('owner/name')`);
  return new UrlSource(`${endpoint}/${source}/resolve/${encodeURIComponent(revision)}/`, headers);
}

// ---- downloads ---------------------------------------------------------------------------

interface DownloadOptions {
  headers: Record<string, string>;
  progress: boolean;
  label: string;
  file: string;
  what: string;
}

/** What the hub says about a file: its checksum, from a request that does not follow redirects. */
async function probe(url: string, headers: Record<string, string>): Promise<RemoteFile & { status: number }> {
  const response = await fetch(url, { method: 'HEAD', headers, redirect: 'manual' });
  const linked = cleanEtag(response.headers.get('x-linked-etag'));
  const etag = cleanEtag(response.headers.get('etag'));
  let checksum: RemoteFile['checksum'] = null;
  if (linked && /^[0-9a-f]{64}$/.test(linked)) checksum = { algorithm: 'sha256', digest: linked };
  else if (etag && /^[0-9a-f]{64}$/.test(etag)) checksum = { algorithm: 'sha256', digest: etag };
  else if (etag && /^[0-9a-f]{40}$/.test(etag)) checksum = { algorithm: 'sha1-git', digest: etag };
  return { checksum, status: response.status };
}

/**
 * Download `url` to `dest` through `dest.incomplete`, resuming a partial file with a
 * `Range` request, verifying the hub's checksum, then renaming into place.
 */
export async function downloadHubFile(url: string, dest: string, options: DownloadOptions): Promise<void> {
  const { fs, path } = await nodeModules();
  const crypto = (await import(/* @vite-ignore */ CRYPTO)) as typeof import('node:crypto');
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const partial = `${dest}.incomplete`;
  const fail = (why: string, cause?: unknown) =>
    new Error(`download of '${options.file}' from ${options.what} (${url}) failed: ${why}`, cause === undefined ? undefined : { cause });
  let meta: Awaited<ReturnType<typeof probe>>;
  try {
    meta = await probe(url, options.headers);
  } catch (e) {
    throw fail((e as Error & { cause?: Error }).cause?.message ?? (e as Error).message, e);
  }
  if (meta.status === 404) throw new MissingFileError(`no file '${options.file}' in ${options.what} (HTTP 404 from ${url})`, options.file);
  if (meta.status === 401 || meta.status === 403) throw fail(`HTTP ${meta.status}: the repo is gated or private; pass { token } or set HF_TOKEN`);
  let have = (await fs.stat(partial).catch(() => null))?.size ?? 0;
  const headers = { ...options.headers, ...(have > 0 ? { range: `bytes=${have}-` } : {}) };
  let response: Response;
  try {
    response = await fetch(url, { headers });
  } catch (e) {
    throw fail((e as Error & { cause?: Error }).cause?.message ?? (e as Error).message, e);
  }
  if (response.status === 416 && have > 0) {
    // The partial file is already whole (or longer than the file): start again.
    await response.body?.cancel().catch(() => {});
    await fs.rm(partial, { force: true });
    return downloadHubFile(url, dest, options);
  }
  if (response.status === 404) throw new MissingFileError(`no file '${options.file}' in ${options.what} (HTTP 404 from ${url})`, options.file);
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => {});
    throw fail(`HTTP ${response.status} ${response.statusText}`);
  }
  let total: number;
  if (response.status === 206) {
    const range = /bytes (\d+)-(\d+)\/(\d+)/.exec(response.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== have) {
      await response.body.cancel().catch(() => {});
      await fs.rm(partial, { force: true });
      throw fail(`the server answered the resume request with an unexpected range (${response.headers.get('content-range')}); the partial file was discarded, try again`);
    }
    total = Number(range[3]);
  } else {
    have = 0; // a 200 answer sends the whole file
    total = Number(response.headers.get('content-length') ?? 0);
  }
  const file = await fs.open(partial, have > 0 ? 'a' : 'w');
  const label = `downloading ${options.label}${have > 0 ? ` (resuming at ${formatBytes(have)})` : ''}`;
  const bar = new ProgressBar({ label, total, bytes: true, silent: !options.progress });
  let received = have;
  try {
    const reader = response.body.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw fail(`the connection broke after ${received}${total ? ` of ${total}` : ''} bytes; run again to resume (${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message})`, e);
      }
      if (chunk.done) break;
      await file.write(chunk.value);
      received += chunk.value.length;
      bar.update(received);
    }
    if (total && received !== total) throw fail(`the connection ended after ${received} of ${total} bytes; run again to resume`);
    await file.sync();
  } catch (e) {
    bar.finish('interrupted');
    await file.close().catch(() => {});
    throw e;
  }
  await file.close();
  if (meta.checksum) {
    const bytes = await fs.readFile(partial);
    let digest: string;
    if (meta.checksum.algorithm === 'sha256') digest = crypto.createHash('sha256').update(bytes).digest('hex');
    else digest = crypto.createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    if (digest !== meta.checksum.digest) {
      await fs.rm(partial, { force: true });
      bar.finish('checksum mismatch');
      throw fail(`checksum mismatch: ${meta.checksum.algorithm} is ${digest}, the hub says ${meta.checksum.digest}; the download was discarded`);
    }
  }
  await fs.rename(partial, dest);
  bar.finish(meta.checksum ? `${meta.checksum.algorithm} ok` : 'done (no checksum given)');
}
