/**
 * The Admin GUI's built files (control-plane/admin-gui/dist, made by `vite build` at package
 * time), read once at start into memory with their headers: requests never touch the
 * filesystem, and only files that exist in the build can be named.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The build folder of the @turnpike/admin-gui package beside this control plane. */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../admin-gui/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt', '.map']);

/** Vite names what it emits under assets/ after the content's hash: such a URL never changes meaning. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the hashed files: always revalidated, so a new build is picked up at once. */
const REVALIDATE = 'no-cache';
const SHORT = 'public, max-age=3600';

export interface Asset {
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly type: string;
  readonly cacheControl: string;
}

export interface AssetSet {
  /** By URL path: `/index.html`, `/assets/index-3f2a1b.js`, … */
  readonly files: ReadonlyMap<string, Asset>;
  readonly index: Asset | undefined;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    // Dotfiles (the build stamp) are not part of the app.
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Reads the build; an absent folder gives an empty set (the listener then says how to build). */
export async function loadAssets(dir: string = DEFAULT_ASSETS_DIR): Promise<AssetSet> {
  const files = new Map<string, Asset>();
  let paths: string[];
  try {
    paths = await walk(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { files, index: undefined };
    throw err;
  }
  for (const path of paths) {
    const url = `/${relative(dir, path).split(sep).join('/')}`;
    const ext = extname(path).toLowerCase();
    const body = await readFile(path);
    const cacheControl = url === '/index.html' ? REVALIDATE : url.startsWith('/assets/') ? IMMUTABLE : SHORT;
    files.set(url, {
      body,
      gzip: COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body) : undefined,
      type: TYPES[ext] ?? 'application/octet-stream',
      cacheControl,
    });
  }
  return { files, index: files.get('/index.html') };
}

/**
 * index.html for admin_gui_path: the build's relative `./` references made absolute under the
 * prefix (a deep GUI URL such as `<path>/services/<id>` loads the same files), and the prefix
 * named for the app's router (`<meta name="turnpike-gui-path">`; no inline script: the CSP).
 */
export function indexUnder(index: Asset, guiPath: string): Asset {
  const root = guiPath === '/' ? '/' : `${guiPath}/`;
  const html = index.body
    .toString('utf8')
    .replaceAll('="./', `="${root}`)
    .replace('<head>', `<head>\n    <meta name="turnpike-gui-path" content="${guiPath}" />`);
  const body = Buffer.from(html);
  return { ...index, body, gzip: index.gzip === undefined ? undefined : gzipSync(body) };
}
