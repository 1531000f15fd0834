/**
 * The two classes of undici the data plane builds on, taken from their own modules: undici's
 * index also loads fetch, WebSocket, EventSource, the cache stores and the mocks (110 modules,
 * ~1.4 MB of source and ~100 ms of start-up) that a node never runs; `Pool` and `Dispatcher`
 * alone are 21 modules. The objects are the same as the index's (one module cache), so what a
 * test or a plugin imports from 'undici' is interchangeable with these. undici has no exports
 * map: its lib paths are importable, and pinned by the lockfile.
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);

export const Pool = require('undici/lib/dispatcher/pool.js') as typeof Undici.Pool;
export type Pool = Undici.Pool;
export const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as typeof Undici.Dispatcher;
