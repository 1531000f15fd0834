/**
 * How plugin code finds the SDK, wherever it lives. Registered (once per process) before the
 * loader imports a plugin, these module hooks (`module.registerHooks`, synchronous, for `import`
 * and `require` alike):
 *
 * - resolve `@turnpike/plugin-sdk` and its subpaths, from any importer, to the SDK this node runs
 *   with — a plugin on a `plugin_paths` folder outside the node, in a container or in an npm
 *   package needs no copy of its own, and one it brought (an authoring devDependency) is passed
 *   over, so that every plugin shares the node's types, version checks and error classes;
 * - strip the types of a TypeScript plugin inside `node_modules` (an npm-installed plugin), which
 *   Node's own type stripping refuses there, with amaro (the stripper Node itself embeds), only
 *   for the plugin folders the loader registered.
 */
import { readFileSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

type Amaro = typeof import('amaro');
/**
 * amaro on first use: a module of 3.6 MB (swc in WebAssembly) that only an npm-installed
 * TypeScript plugin needs, never worth its load time and memory in every node (a hook is
 * synchronous, hence require).
 */
let amaro: Amaro | undefined;
const stripTypes = (source: string, filename: string): string => {
  amaro ??= createRequire(import.meta.url)('amaro') as Amaro;
  return amaro.transformSync(source, { mode: 'strip-only', filename }).code;
};

const SDK = '@turnpike/plugin-sdk';
const kState = Symbol.for('turnpike.plugin-module-hooks');

interface HookState {
  /** Plugin folders (ending in the path separator) whose .ts files are stripped here. */
  readonly stripIn: Set<string>;
}

type GlobalWithHooks = typeof globalThis & { [kState]?: HookState };

const TS = /\.(ts|mts|cts)$/;

/** "module" or "commonjs" for a .ts file: by its extension, else its package.json "type". */
function tsFormat(file: string): 'module' | 'commonjs' {
  if (file.endsWith('.mts')) return 'module';
  if (file.endsWith('.cts')) return 'commonjs';
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: unknown };
      return pkg.type === 'commonjs' ? 'commonjs' : 'module';
    } catch {
      if (dirname(dir) === dir) return 'module';
    }
  }
}

function install(): HookState {
  const state: HookState = { stripIn: new Set() };
  registerHooks({
    resolve(specifier, context, nextResolve) {
      // Resolved as if this module imported it: shared depends on the SDK, so it is the node's own.
      if (specifier === SDK || specifier.startsWith(`${SDK}/`)) {
        return nextResolve(specifier, { ...context, parentURL: import.meta.url });
      }
      return nextResolve(specifier, context);
    },
    load(url, context, nextLoad) {
      if (url.startsWith('file:') && TS.test(url) && url.includes('/node_modules/')) {
        const file = fileURLToPath(url);
        for (const dir of state.stripIn) {
          if (!file.startsWith(dir)) continue;
          return {
            format: tsFormat(file),
            source: stripTypes(readFileSync(file, 'utf8'), file),
            shortCircuit: true,
          };
        }
      }
      return nextLoad(url, context);
    },
  });
  return state;
}

/**
 * Installs the hooks in this process (the first call; later ones reuse them) and registers
 * `pluginDirs` as folders whose TypeScript is stripped even inside node_modules.
 */
export function installPluginModuleHooks(pluginDirs: readonly string[] = []): void {
  const global = globalThis as GlobalWithHooks;
  global[kState] ??= install();
  for (const dir of pluginDirs) global[kState].stripIn.add(dir.endsWith(sep) ? dir : dir + sep);
}

/** The URL the hooks resolve the SDK to (for tests and diagnostics). */
export function nodeSdkUrl(): string {
  return import.meta.resolve(SDK);
}
