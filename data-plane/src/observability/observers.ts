/** Several observers of the proxy as one (the access log and the metrics), or none. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestEntry, RequestObserver } from '../proxy/index.ts';

class Observers implements RequestObserver {
  readonly #all: readonly RequestObserver[];

  constructor(all: readonly RequestObserver[]) {
    this.#all = all;
  }

  requestStarted(): void {
    for (const observer of this.#all) observer.requestStarted?.();
  }

  requestDone(entry: RequestEntry, req: IncomingMessage, res: ServerResponse): void {
    for (const observer of this.#all) observer.requestDone(entry, req, res);
  }

  upgradeDone(entry: RequestEntry, req: IncomingMessage, status: number): void {
    for (const observer of this.#all) observer.upgradeDone?.(entry, req, status);
  }

  connectionOpened(socket: Socket): void {
    for (const observer of this.#all) observer.connectionOpened?.(socket);
  }
}

/** One observer for all of `observers` (undefined ones left out); undefined when none is left. */
export function combineObservers(
  ...observers: readonly (RequestObserver | undefined)[]
): RequestObserver | undefined {
  const all = observers.filter((o): o is RequestObserver => o !== undefined);
  if (all.length <= 1) return all[0];
  return new Observers(all);
}
