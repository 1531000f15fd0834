/**
 * The Admin GUI listeners (admin_gui_listen), on a control plane or traditional node: the
 * built single-page app from memory, `GET /kconfig.json` (where the Admin API is), hardening
 * headers on every answer, and a Content-Security-Policy on every answer when
 * admin_gui_csp_header is on (Turnpike's strict policy, or admin_gui_csp_header_value). Paths without a file extension fall back to index.html, so the GUI's own
 * URLs (`/services/…`) survive a reload. Only GET and HEAD.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Lifecycle, type Logger, stoppableServer } from '@turnpike/shared';
import { isLoopback, type TurnpikeConfig } from '@turnpike/shared/config';
import { boundPort, listenHttp } from '../http-listener.ts';
import { type Asset, type AssetSet, indexUnder, loadAssets } from './assets.ts';
import { type AdminPorts, type CspSettings, cspHeader, guiSettings } from './origins.ts';

export interface AdminGuiOptions {
  readonly config: TurnpikeConfig;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  readonly version: string;
  /** The Admin API's bound ports, which the GUI is told about. */
  readonly adminPorts: AdminPorts;
  /** Default: the @turnpike/admin-gui build. */
  readonly assetsDir?: string;
}

export interface AdminGui {
  /** Each listener's bound port, in admin_gui_listen order. */
  readonly listeners: readonly { readonly host: string; readonly port: number; readonly ssl: boolean }[];
}

const NOT_BUILT =
  'The Admin GUI has not been built: run `pnpm --filter @turnpike/admin-gui build` (npm test and the image build do).\n';

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  asset: Pick<Asset, 'body' | 'gzip'>,
): void {
  const gzip = asset.gzip !== undefined && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzip! : asset.body;
  res.writeHead(status, {
    ...headers,
    'content-length': body.length,
    ...(asset.gzip === undefined ? {} : { vary: 'Accept-Encoding' }),
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function text(body: string): Pick<Asset, 'body' | 'gzip'> {
  return { body: Buffer.from(body), gzip: undefined };
}

export function adminGuiHandler(
  assets: AssetSet,
  settings: {
    readonly apiUrl: string | undefined;
    readonly ports: AdminPorts;
    readonly version: string;
    /** admin_gui_path: every GUI URL is under it (default `/`). */
    readonly path?: string;
    /** admin_gui_csp_header(_value); default here: none sent (the node's default key value is on). */
    readonly csp?: CspSettings;
  },
): (req: IncomingMessage, res: ServerResponse) => void {
  const guiPath = settings.path ?? '/';
  const index = assets.index === undefined ? undefined : indexUnder(assets.index, guiPath);
  const kconfig = text(JSON.stringify(guiSettings(settings.apiUrl, settings.ports, settings.version)));
  return (req, res) => {
    const csp = cspHeader(
      settings.csp ?? { enabled: false },
      settings.apiUrl,
      settings.ports,
      req.headers.host,
      req.socket.localAddress,
    );
    const headers: Record<string, string> =
      csp === undefined ? { ...COMMON_HEADERS } : { ...COMMON_HEADERS, 'content-security-policy': csp };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(
        req,
        res,
        405,
        { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain' },
        text('Method not allowed\n'),
      );
      return;
    }
    const path = underGuiPath(decodePath(req.url ?? '/'), guiPath);
    if (path === undefined) {
      send(req, res, 404, { ...headers, 'content-type': 'text/plain' }, text('Not found\n'));
      return;
    }
    if (path === '/kconfig.json') {
      send(
        req,
        res,
        200,
        { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' },
        kconfig,
      );
      return;
    }
    if (path === '/robots.txt') {
      send(req, res, 200, { ...headers, 'content-type': 'text/plain' }, text('User-agent: *\nDisallow: /\n'));
      return;
    }
    if (index === undefined) {
      send(
        req,
        res,
        503,
        { ...headers, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
        text(NOT_BUILT),
      );
      return;
    }
    const file = path === '/' || path === '/index.html' ? index : assets.files.get(path);
    // A GUI route (no extension) is the app itself; a missing file is a 404, never the app.
    const asset = file ?? (!/\.[a-z0-9]+$/i.test(path) ? index : undefined);
    if (asset === undefined) {
      send(req, res, 404, { ...headers, 'content-type': 'text/plain' }, text('Not found\n'));
      return;
    }
    send(
      req,
      res,
      200,
      { ...headers, 'content-type': asset.type, 'cache-control': asset.cacheControl },
      asset,
    );
  };
}

/** The path within admin_gui_path (`/` for the prefix itself); undefined outside it. */
function underGuiPath(path: string | undefined, guiPath: string): string | undefined {
  if (path === undefined || guiPath === '/') return path;
  if (path === guiPath) return '/';
  return path.startsWith(`${guiPath}/`) ? path.slice(guiPath.length) : undefined;
}

/** The path of a request target, without query; undefined when it is not a clean absolute path. */
function decodePath(target: string): string | undefined {
  const q = target.indexOf('?');
  const raw = q === -1 ? target : target.slice(0, q);
  if (!raw.startsWith('/')) return undefined;
  try {
    const path = decodeURIComponent(raw);
    return path.includes('\0') ? undefined : path;
  } catch {
    return undefined;
  }
}

/** Starts every admin_gui_listen listener (none when it is off). */
export async function startAdminGui(options: AdminGuiOptions): Promise<AdminGui> {
  const { config, log, lifecycle } = options;
  if (config.admin_gui_listen.length === 0) return { listeners: [] };
  if (config.admin_listen.length === 0)
    log.warn('the Admin GUI will not work: admin_listen is off, so there is no Admin API to talk to');
  if (
    config.admin_gui_url.length === 0 &&
    config.admin_gui_listen.some((e) => e.host === '0.0.0.0' || e.host === '::')
  )
    log.warn(
      'admin_gui_listen binds every address but admin_gui_url is unset: the Admin API accepts the GUI’s cross-origin requests from loopback names only; set admin_gui_url to the URL browsers use',
    );
  if (!config.admin_gui_csp_header && config.admin_gui_listen.some((e) => !isLoopback(e.host)))
    log.warn(
      'admin_gui_listen is reachable beyond this machine and admin_gui_csp_header is off: the Admin GUI sends no Content-Security-Policy; set admin_gui_csp_header = on (the GUI needs nothing its policy forbids)',
    );
  const assets = await loadAssets(options.assetsDir);
  if (assets.index === undefined)
    log.warn('admin GUI assets are not built: its listeners answer 503 until they are');
  const handler = adminGuiHandler(assets, {
    apiUrl: config.admin_gui_api_url,
    ports: options.adminPorts,
    version: options.version,
    path: config.admin_gui_path,
    csp: { enabled: config.admin_gui_csp_header, value: config.admin_gui_csp_header_value },
  });
  const listeners: { host: string; port: number; ssl: boolean }[] = [];
  for (const entry of config.admin_gui_listen) {
    const tls = { certs: config.admin_gui_ssl_cert, keys: config.admin_gui_ssl_cert_key };
    const server = await listenHttp(entry, tls, handler);
    lifecycle.add(stoppableServer(`admin gui listener ${entry.host}:${entry.port}`, server));
    const port = boundPort(server, entry);
    listeners.push({ host: entry.host, port, ssl: entry.ssl });
    log.info({ host: entry.host, port, ssl: entry.ssl }, 'admin gui listener started');
  }
  return { listeners };
}
