/**
 * `NODE_OPTIONS=--import=<this file>` with MODULE_TRACE_FILE=<path>: every module the process
 * resolves (ESM imports and CommonJS requires, through node:module's synchronous hooks) is
 * appended to that file, one URL a line, as it is first resolved. For tests of what a node loads.
 */
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env.MODULE_TRACE_FILE;
if (out !== undefined && out !== '') {
  const seen = new Set<string>();
  registerHooks({
    resolve(specifier, context, next) {
      const resolved = next(specifier, context);
      if (!seen.has(resolved.url)) {
        seen.add(resolved.url);
        appendFileSync(out, `${resolved.url}\n`);
      }
      return resolved;
    },
  });
}
