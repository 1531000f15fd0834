#!/usr/bin/env node
// The `turnpike` command (bin/cli/program.ts). Node's compile cache is switched on before any
// other module loads, so that every run after the first reads its modules' type-stripped source
// and V8 code from the cache (os.tmpdir()/node-compile-cache; NODE_COMPILE_CACHE names another
// directory, NODE_DISABLE_COMPILE_CACHE=1 turns it off): half the CPU of loading them.
import { enableCompileCache, getCompileCacheDir } from 'node:module';

enableCompileCache();
// The node's own child processes (proxy workers, `turnpike` commands it runs) start with the
// cache on, so that they never load Node's type stripper either (bin/turnpike.mjs says why).
const cacheDir = getCompileCacheDir();
if (cacheDir !== undefined) process.env.NODE_COMPILE_CACHE ??= cacheDir;
await import('./cli/program.ts');
