/**
 * A compiled plugin chain: the plugins that apply to a route, by priority, with the instances
 * each may run with. It holds nothing of a version but those: routes, versions and combinations
 * share it (the entities a request's plugins read come with the request, `ChainRequest.db`). `open` starts one request's run (./run.ts); plugins see it through the
 * frozen context of ./context.ts. The contract each phase keeps is written in
 * shared/plugin-sdk/src/handler.ts.
 */

import type { Logger, PluginHandler } from '@turnpike/plugin-sdk';
import type { ChainRequest, PluginChain, PluginRun } from '../runtime/plugin-chain.ts';
import type { CompiledInstance } from './instance.ts';
import { kRun, onResponseClose, RequestRun, type ResponseWithRun } from './run.ts';

export type { CompiledInstance } from './instance.ts';

/** One plugin in a route's chain: its handler and the instances that may apply. */
export interface ChainEntry {
  readonly name: string;
  readonly handler: PluginHandler;
  readonly base: CompiledInstance | undefined;
  readonly global: CompiledInstance | undefined;
  readonly byConsumer: ReadonlyMap<string, CompiledInstance> | undefined;
  readonly log: Logger;
}

export class CompiledChain implements PluginChain {
  readonly empty = false;
  readonly entries: readonly ChainEntry[];
  readonly hasRewrite: boolean;
  readonly hasBody: boolean;
  readonly hasLog: boolean;

  constructor(entries: readonly ChainEntry[]) {
    this.entries = entries;
    this.hasRewrite = entries.some((e) => e.handler.rewrite !== undefined && e.global !== undefined);
    this.hasBody = entries.some((e) => e.handler.body !== undefined);
    this.hasLog = entries.some((e) => e.handler.log !== undefined);
  }

  open(request: ChainRequest): PluginRun {
    const run = new RequestRun(this, request);
    if (this.hasLog) {
      (request.res as ResponseWithRun)[kRun] = run;
      request.res.once('close', onResponseClose);
    }
    return run;
  }
}
