/**
 * Reading docker-compose.yml and deploy/Dockerfile so a test can run the same topology as local
 * processes: the same commands and environment, with container paths, host names and ports
 * mapped onto this machine. Pure functions, apart from readCompose.
 */
import { readFile } from 'node:fs/promises';
import { CONFIG_KEYS, envFileName, envName } from '@turnpike/shared/config';
import { parse } from 'yaml';

export interface ComposeDependency {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
}

export interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  secrets?: (string | { source: string; target?: string })[];
  ports?: (string | number | { target: number; published?: string | number })[];
  expose?: (string | number)[];
  tmpfs?: string | string[];
  volumes?: (string | { type: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, ComposeDependency>;
  profiles?: string[];
  read_only?: boolean;
  security_opt?: string[];
  healthcheck?: { test?: string | string[] };
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string; environment?: string }>;
  volumes?: Record<string, unknown>;
}

/** Parses a compose file as Compose does, YAML merge keys (`<<: *anchor`) included. */
export async function readCompose(path: string): Promise<ComposeFile> {
  return parse(await readFile(path, 'utf8'), { merge: true }) as ComposeFile;
}

/** A service's `environment:` as a map; Compose accepts a map or a list of `KEY=VALUE`. */
export function environmentOf(service: ComposeService): Record<string, string> {
  const env: Record<string, string> = {};
  const source = service.environment ?? {};
  if (Array.isArray(source)) {
    for (const item of source) {
      const eq = item.indexOf('=');
      if (eq > 0) env[item.slice(0, eq)] = item.slice(eq + 1);
    }
    return env;
  }
  for (const [key, value] of Object.entries(source)) {
    if (value !== null) env[key] = String(value);
  }
  return env;
}

/** The exec-form command; a string would need a shell, which the distroless image lacks. */
export function commandOf(name: string, service: ComposeService): string[] {
  if (!Array.isArray(service.command)) {
    throw new Error(
      `service ${name}: command must be an exec-form list, got ${JSON.stringify(service.command)}`,
    );
  }
  return service.command;
}

/** Container path (`/run/secrets/<target>`) → top-level secret name, for each secret a service mounts. */
export function secretMounts(service: ComposeService): Map<string, string> {
  const mounts = new Map<string, string>();
  for (const secret of service.secrets ?? []) {
    const source = typeof secret === 'string' ? secret : secret.source;
    const target = typeof secret === 'string' ? secret : (secret.target ?? secret.source);
    mounts.set(target.startsWith('/') ? target : `/run/secrets/${target}`, source);
  }
  return mounts;
}

/** The container paths of a service's tmpfs mounts. */
export function tmpfsPaths(service: ComposeService): string[] {
  const tmpfs = service.tmpfs ?? [];
  return (typeof tmpfs === 'string' ? [tmpfs] : tmpfs).map((entry) => entry.split(':')[0] ?? entry);
}

/** `host:container` bind mounts (relative host paths as written). */
export function bindMounts(service: ComposeService): [host: string, container: string][] {
  const binds: [string, string][] = [];
  for (const volume of service.volumes ?? []) {
    if (typeof volume !== 'string') {
      if (volume.type === 'bind' && volume.source !== undefined) binds.push([volume.source, volume.target]);
      continue;
    }
    const [host, container] = volume.split(':');
    if (host !== undefined && container !== undefined && /^[./]/.test(host)) binds.push([host, container]);
  }
  return binds;
}

export function dependenciesOf(service: ComposeService): Map<string, ComposeDependency['condition']> {
  const deps = service.depends_on ?? [];
  if (Array.isArray(deps)) return new Map(deps.map((d) => [d, 'service_started']));
  return new Map(Object.entries(deps).map(([d, { condition }]) => [d, condition]));
}

/** The services `docker compose up` starts (no profile), dependencies first, as Compose orders them. */
export function startOrder(file: ComposeFile): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (order.includes(name)) return;
    if (visiting.has(name)) throw new Error(`depends_on cycle through ${name}`);
    const service = file.services[name];
    if (service === undefined) throw new Error(`depends_on names an unknown service: ${name}`);
    visiting.add(name);
    for (const dep of dependenciesOf(service).keys()) visit(dep);
    visiting.delete(name);
    order.push(name);
  };
  for (const [name, service] of Object.entries(file.services)) {
    if (service.profiles === undefined || service.profiles.length === 0) visit(name);
  }
  return order;
}

/** Host ports a `ports:` entry publishes: a fixed port is a number, a range is `first-last`. */
export function publishedPorts(service: ComposeService): { host: string; container: number }[] {
  const published: { host: string; container: number }[] = [];
  for (const port of service.ports ?? []) {
    if (typeof port === 'number') {
      published.push({ host: '', container: port });
    } else if (typeof port === 'object') {
      published.push({ host: String(port.published ?? ''), container: port.target });
    } else {
      // [ip:]host:container; the container part is last, the host part before it.
      const parts = port.split(':');
      const container = Number(parts.at(-1));
      published.push({ host: parts.length >= 2 ? (parts.at(-2) ?? '') : '', container });
    }
  }
  return published;
}

/** The env names Turnpike reads: TURNPIKE_<KEY> and TURNPIKE_<KEY>_FILE of every config key. */
export const TURNPIKE_ENV_NAMES: ReadonlySet<string> = new Set(
  CONFIG_KEYS.flatMap((key) => [envName(key.name), envFileName(key.name)]),
);

const LISTEN_KEYS = CONFIG_KEYS.filter((key) => key.kind === 'listen');

/** Every listen key made explicit (env value, else its default), so a test can move each port. */
export function withListenDefaults(env: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...env };
  for (const key of LISTEN_KEYS) {
    const name = envName(key.name);
    if (out[name] === undefined && key.default !== undefined) out[name] = key.default;
  }
  return out;
}

/** The ports named by the listen values of `env`: what a container would bind. */
export function listenPorts(env: Readonly<Record<string, string>>): number[] {
  const ports = new Set<number>();
  for (const key of LISTEN_KEYS) {
    const value = env[envName(key.name)];
    if (value === undefined) continue;
    for (const entry of listenEntries(value)) ports.add(entry.port);
  }
  return [...ports];
}

function listenEntries(value: string): { port: number; address: string; flags: string }[] {
  if (value.trim() === 'off') return [];
  return value.split(',').map((raw) => {
    const [address = '', ...flags] = raw.trim().split(/\s+/);
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    if (!Number.isInteger(port)) throw new Error(`not a listen entry: '${raw}'`);
    return { port, address, flags: flags.join(' ') };
  });
}

/** How a container's view maps onto this machine. */
export interface LocalPlan {
  /** Container path → host path (secrets, tmpfs, bind mounts); a value under one is moved. */
  readonly mounts: ReadonlyMap<string, string>;
  /** Values naming another service as `host:port` (`control-plane:8005`) → its local address. */
  readonly hosts: ReadonlyMap<string, string>;
  /** Container port → the host port this node binds instead (listen values go to 127.0.0.1). */
  readonly ports: ReadonlyMap<number, number>;
  /** Values replaced whole, by variable name. */
  readonly overrides?: Readonly<Record<string, string>>;
}

/** The environment a local process gets for a container's `env`. Unmapped values are kept as written. */
export function localiseEnvironment(
  env: Readonly<Record<string, string>>,
  plan: LocalPlan,
): Record<string, string> {
  const listenNames = new Set(LISTEN_KEYS.map((key) => envName(key.name)));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const override = plan.overrides?.[name];
    if (override !== undefined) out[name] = override;
    else if (listenNames.has(name)) out[name] = localiseListen(value, plan.ports);
    else out[name] = plan.hosts.get(value) ?? localisePath(value, plan.mounts);
  }
  return out;
}

export function localiseListen(value: string, ports: ReadonlyMap<number, number>): string {
  if (value.trim() === 'off') return value;
  return listenEntries(value)
    .map(({ port, flags }) => {
      const local = ports.get(port);
      if (local === undefined) throw new Error(`no local port for container port ${port}`);
      return `127.0.0.1:${local}${flags === '' ? '' : ` ${flags}`}`;
    })
    .join(', ');
}

export function localisePath(value: string, mounts: ReadonlyMap<string, string>): string {
  for (const [container, host] of mounts) {
    if (value === container) return host;
    if (value.startsWith(`${container}/`)) return `${host}${value.slice(container.length)}`;
  }
  return value;
}
