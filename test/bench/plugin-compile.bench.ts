/**
 * Plugin chain compile figures in process: a 10,000-route configuration with key-auth on every
 * route (and rate-limiting on one service), compiled whole, then patched by a one-route delta,
 * a one-plugin delta, a one-service-plugin delta and a consumer delta — the time each takes and
 * how many chains it compiled (CompiledPlugins.compiledChains). Part of the plugins section
 * (`pnpm bench plugins`); also runs alone: `scripts/toolchain.sh node test/bench/plugin-compile.bench.ts`.
 */

import { compilePlugins, patchPlugins } from '@turnpike/data-plane/plugin-chain';
import { handler as keyAuth } from '@turnpike/data-plane/plugins/key-auth';
import { handler as rateLimiting } from '@turnpike/data-plane/plugins/rate-limiting';
import { createLogger } from '@turnpike/shared';
import { Report } from './report.ts';

type Entity = Record<string, unknown> & { id: string };
type Content = Map<string, Map<string, Entity>>;
interface Change {
  readonly entity: string;
  readonly id: string;
  readonly value?: Entity;
}

const SERVICES = 10;
const options = {
  handlers: new Map([keyAuth, rateLimiting].map((h) => [h.name, h])),
  log: createLogger({ level: 'silent' }),
};
const KEY_AUTH = {
  key_names: ['apikey'],
  key_in_header: true,
  key_in_query: true,
  key_in_body: false,
  hide_credentials: false,
  run_on_preflight: true,
};

function config(routes: number): Content {
  const routeMap = new Map<string, Entity>();
  const plugins = new Map<string, Entity>();
  for (let i = 0; i < routes; i++) {
    routeMap.set(`r${i}`, { id: `r${i}`, paths: [`/r${i}`], service: { id: `s${i % SERVICES}` } });
    plugins.set(`p${i}`, { id: `p${i}`, name: 'key-auth', route: { id: `r${i}` }, config: KEY_AUTH });
  }
  plugins.set('limit', {
    id: 'limit',
    name: 'rate-limiting',
    service: { id: 's3' },
    config: { minute: 1000, limit_by: 'consumer', policy: 'local' },
  });
  return new Map([
    ['routes', routeMap],
    ['plugins', plugins],
    ['consumers', new Map([['c0', { id: 'c0', username: 'c0' }]])],
  ]);
}

function apply(content: Content, change: Change): Content {
  const next = new Map(content);
  const byId = new Map(content.get(change.entity));
  if (change.value === undefined) byId.delete(change.id);
  else byId.set(change.id, change.value);
  next.set(change.entity, byId);
  return next;
}

export interface PluginCompileFigure {
  readonly label: string;
  readonly ms: number;
  readonly chains: number;
}

export function pluginCompileFigures(routes: number, rounds: number): PluginCompileFigure[] {
  let content = config(routes);
  const routeList = () => [...content.get('routes')!.values()];
  let start = performance.now();
  let plugins = compilePlugins(routeList(), content, options);
  const figures: PluginCompileFigure[] = [
    { label: 'full compile', ms: performance.now() - start, chains: plugins.compiledChains },
  ];
  const deltas: [string, (k: number) => Change][] = [
    [
      'one-route delta',
      (k) => ({
        entity: 'routes',
        id: 'r5',
        value: { id: 'r5', paths: [`/moved${k}`], service: { id: 's6' } },
      }),
    ],
    [
      'one route-plugin delta',
      (k) => ({
        entity: 'plugins',
        id: 'p7',
        value: {
          id: 'p7',
          name: 'key-auth',
          route: { id: 'r7' },
          config: { ...KEY_AUTH, hide_credentials: k % 2 === 0 },
        },
      }),
    ],
    [
      'one service-plugin delta',
      (k) => ({
        entity: 'plugins',
        id: 'limit',
        value: {
          id: 'limit',
          name: 'rate-limiting',
          service: { id: 's3' },
          config: { minute: 1000 + k, limit_by: 'consumer', policy: 'local' },
        },
      }),
    ],
    [
      'one consumer delta',
      (k) => ({ entity: 'consumers', id: 'c0', value: { id: 'c0', username: `c0-${k}` } }),
    ],
  ];
  for (const [label, make] of deltas) {
    let total = 0;
    let chains = 0;
    for (let k = 0; k < rounds; k++) {
      const change = make(k);
      content = apply(content, change);
      start = performance.now();
      plugins = patchPlugins(plugins, content, [change], options);
      total += performance.now() - start;
      chains = plugins.compiledChains;
    }
    figures.push({ label, ms: total / rounds, chains });
  }
  return figures;
}

export function reportPluginCompile(
  report: Report,
  routes: number,
  figures: readonly PluginCompileFigure[],
): void {
  const scope = `plugin chains in process, ${routes.toLocaleString('en')} routes with key-auth each`;
  for (const f of figures) {
    const measured = `${f.ms.toFixed(2)} ms, ${f.chains.toLocaleString('en')} chains compiled`;
    // The target: a one-route delta recompiles only the touched chain.
    if (f.label === 'one-route delta')
      report.add(`${scope}: ${f.label}`, measured, '1 chain', f.chains === 1);
    else report.add(`${scope}: ${f.label}`, measured, '');
  }
}

if (import.meta.main) {
  const report = new Report('plugin chains, in process');
  reportPluginCompile(report, 10_000, pluginCompileFigures(10_000, 20));
  console.log(`\n${report.table()}`);
}
