#!/usr/bin/env node
// The `turnpike` command (bin/cli/program.ts). Node's compile cache is switched on before any
// other module loads, so that every run after the first reads its modules' type-stripped source
// and V8 code from the cache (os.tmpdir()/node-compile-cache; NODE_COMPILE_CACHE names another
// directory, NODE_DISABLE_COMPILE_CACHE=1 turns it off): half the CPU of loading them.
import { enableCompileCache } from 'node:module';

enableCompileCache();
await import('./cli/program.ts');
