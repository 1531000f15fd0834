/**
 * The Admin API's listeners (`admin_listen`), opened at start and reconciled by a reload: the
 * entries a new configuration adds are opened first (a port that cannot be bound refuses the
 * reload, nothing changed), the ones it removes drain only once the whole reload is applied.
 * The listeners both configurations have are never touched.
 */
import type { Server } from 'node:http';
import { type Lifecycle, type Logger, type Stoppable, stoppableServer } from '@turnpike/shared';
import type { ListenEntry } from '@turnpike/shared/config';
import { boundPort, type ListenerCertificates, listenHttp } from './http-listener.ts';

interface Open {
  readonly entry: ListenEntry;
  readonly server: Server;
  readonly stoppable: Stoppable;
  readonly port: number;
}

export interface AdminListenerOptions {
  readonly tls: ListenerCertificates;
  readonly handler: Parameters<typeof listenHttp>[2];
  readonly clientError: Parameters<typeof listenHttp>[3];
  /** Called for every server opened (connection counters, access log). */
  readonly onServer: (server: Server) => void;
  readonly lifecycle: Lifecycle;
  readonly log: Logger;
}

/** A reconcile not applied yet: `commit` closes what the new configuration removed; `rollback` what it opened. */
export interface ListenerChange {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

const DRAIN_MS = 10_000;
const keyOf = (entry: ListenEntry) => JSON.stringify(entry);

export class AdminListeners {
  readonly #options: AdminListenerOptions;
  #open = new Map<string, Open>();

  constructor(options: AdminListenerOptions) {
    this.#options = options;
  }

  /** The bound ports, in admin_listen order. */
  get ports(): number[] {
    return [...this.#open.values()].map((o) => o.port);
  }

  get entries(): { entry: ListenEntry; port: number }[] {
    return [...this.#open.values()].map((o) => ({ entry: o.entry, port: o.port }));
  }

  async #listen(entry: ListenEntry): Promise<Open> {
    const { options } = { options: this.#options };
    const server = await listenHttp(entry, options.tls, options.handler, options.clientError);
    options.onServer(server);
    const stoppable = stoppableServer(`admin listener ${entry.host}:${entry.port}`, server);
    options.lifecycle.add(stoppable);
    const port = boundPort(server, entry);
    options.log.info({ host: entry.host, port, ssl: entry.ssl }, 'admin listener started');
    return { entry, server, stoppable, port };
  }

  async start(entries: readonly ListenEntry[]): Promise<void> {
    for (const entry of entries) this.#open.set(keyOf(entry), await this.#listen(entry));
  }

  /** Opens what `entries` adds; the removal waits for `commit`. */
  async reconcile(entries: readonly ListenEntry[]): Promise<ListenerChange> {
    const wanted = new Map(entries.map((e) => [keyOf(e), e]));
    const opened: Open[] = [];
    try {
      for (const [key, entry] of wanted) if (!this.#open.has(key)) opened.push(await this.#listen(entry));
    } catch (error) {
      await Promise.all(opened.map((o) => o.stoppable.stop('now', Date.now())));
      throw error;
    }
    return {
      commit: async () => {
        const next = new Map<string, Open>();
        for (const [key] of wanted) {
          const kept = this.#open.get(key) ?? opened.find((o) => keyOf(o.entry) === key);
          if (kept !== undefined) next.set(key, kept);
        }
        const removed = [...this.#open].filter(([key]) => !wanted.has(key)).map(([, o]) => o);
        this.#open = next;
        for (const o of removed)
          this.#options.log.info({ host: o.entry.host, port: o.port }, 'admin listener closing');
        await Promise.all(removed.map((o) => o.stoppable.stop('drain', Date.now() + DRAIN_MS)));
      },
      rollback: async () => {
        await Promise.all(opened.map((o) => o.stoppable.stop('now', Date.now())));
      },
    };
  }
}
