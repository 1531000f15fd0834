/**
 * The configuration of a DB-less node: the tables of the last declarative file loaded, their
 * version, the hash Kong reports (`configuration_hash`), and the config source the sync server
 * serves to this node's data plane. A load builds new tables aside and swaps them in with the
 * next version; loads run one at a time, in the order asked.
 */
import { createHash } from 'node:crypto';
import { configFromEntities } from '@turnpike/shared/sync';
import type { DeclarativeConfig } from '../declarative/types.ts';
import { MemoryConfigSource } from '../snapshot/memory-config-source.ts';
import type { TablesView } from './memory-dao.ts';
import { buildTables, EMPTY_TABLES, entitySetOf, type Tables } from './tables.ts';

/** Kong's configuration_hash of a node that has loaded nothing (declarative.get_current_hash). */
export const EMPTY_CONFIGURATION_HASH = '0'.repeat(32);

export class DblessState implements TablesView {
  #tables: Tables = EMPTY_TABLES;
  #version = 0;
  #hash = EMPTY_CONFIGURATION_HASH;
  #queue: Promise<unknown> = Promise.resolve();
  readonly source = new MemoryConfigSource();

  tables(): Tables {
    return this.#tables;
  }

  version(): number {
    return this.#version;
  }

  /** The MD5 of the declarative text (or JSON document) loaded last; 32 zeros before any. */
  configurationHash(): string {
    return this.#hash;
  }

  /** Replaces the whole configuration with `config`; `text` is what it was parsed from. */
  load(config: DeclarativeConfig, text: string): Promise<number> {
    const next = this.#queue.then(async () => {
      const tables = await buildTables(config);
      this.#tables = tables;
      this.#version += 1;
      this.#hash = createHash('md5').update(text, 'utf8').digest('hex');
      this.source.replace(configFromEntities(entitySetOf(tables)), this.#version);
      return this.#version;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
