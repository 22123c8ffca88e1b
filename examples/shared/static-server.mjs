// The static file server the browser examples' dev scripts and tests share: folders served
// under URL prefixes on 127.0.0.1, optionally cross-origin isolated (COOP/COEP), which
// browsers require for SharedArrayBuffer and so for wasm's worker threads.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.gz': 'application/gzip',
};

/**
 * Serve each `[prefix, dir]` of `roots` (the first matching prefix wins; a folder serves its
 * index.html); resolves to `{ server, url }`. `port` 0 takes a free one; `cors` lets pages on
 * other ports fetch the files.
 */
export function serveFolders({ roots, port = 0, isolated = false, cors = false }) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    for (const [prefix, dir] of roots) {
      if (!path.startsWith(prefix)) continue;
      let file = resolve(dir, `.${sep}${path.slice(prefix.length)}`);
      if (file !== dir && !file.startsWith(dir + sep)) break; // no way out of the folder
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
      if (!existsSync(file)) break;
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
        ...(cors ? { 'Access-Control-Allow-Origin': '*' } : {}),
        ...(isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {}),
      });
      res.end(readFileSync(file));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolvePromise({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}

/** `serveFolders`, falling back to a free port when `port` is taken (for the dev commands). */
export async function serveOnFreePort(options) {
  try {
    return await serveFolders(options);
  } catch (error) {
    if (error.code !== 'EADDRINUSE') throw error;
    console.warn(`port ${options.port} is in use; taking a free one`);
    return serveFolders({ ...options, port: 0 });
  }
}
