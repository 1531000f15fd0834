/**
 * The datastore's share of an Admin API write, alone (the control-plane section): concurrent
 * transactions each writing one route row and recording its change, the config version taken at
 * commit (store `recordConfigChanges`'s way, in the one statement the DAO sends) against taken
 * mid-transaction (`bumpConfigVersion`, which holds config_state's row lock from its UPDATE to
 * the commit). The two alternate in one run on one database, so their ratio is what to read.
 */
import { randomUUID } from 'node:crypto';
import { bootstrap, bumpConfigVersion, type Datastore, openDatastore } from '@turnpike/control-plane/store';
import { createLogger } from '@turnpike/shared';

export interface DatastoreWriteRates {
  /** Transactions per second, median over repetitions. */
  readonly atCommit: number;
  readonly midTransaction: number;
  readonly writers: number;
}

const INSERT = `INSERT INTO routes (id, created_at, updated_at, name, service_id, entity)
  VALUES ($1, now(), now(), $2, $3, '{}')`;

async function rate(writers: number, ms: number, write: () => Promise<void>): Promise<number> {
  let done = 0;
  const started = performance.now();
  const until = started + ms;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < until) {
        await write();
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function datastoreWriteRates(
  dsn: string,
  options: { writers: number; ms: number; repetitions: number },
): Promise<DatastoreWriteRates> {
  const silent = createLogger({ level: 'silent' });
  const db: Datastore = await openDatastore(
    { kind: 'postgres', connectionString: dsn, poolSize: options.writers },
    { log: silent },
  );
  try {
    await bootstrap(db, silent);
    const service = randomUUID();
    await db.query(
      `INSERT INTO services (id, created_at, updated_at, name, entity) VALUES ($1, now(), now(), 'bench', '{}')`,
      [service],
    );
    let n = 0;
    const atCommit = () =>
      db.transaction(async (tx) => {
        await tx.query(
          `WITH written AS (${INSERT} RETURNING id)
           INSERT INTO config_pending (first, entity, id, op) SELECT true, 'routes', written.id, 'upsert' FROM written`,
          [randomUUID(), `c-${n++}`, service],
        );
      });
    const midTransaction = () =>
      db.transaction(async (tx) => {
        const id = randomUUID();
        await tx.query(INSERT, [id, `m-${n++}`, service]);
        await bumpConfigVersion(tx, [{ entity: 'routes', id, op: 'upsert' }]);
      });
    const rates = { atCommit: [] as number[], midTransaction: [] as number[] };
    for (let r = 0; r < options.repetitions; r++) {
      rates.midTransaction.push(await rate(options.writers, options.ms, midTransaction));
      rates.atCommit.push(await rate(options.writers, options.ms, atCommit));
    }
    return {
      atCommit: median(rates.atCommit),
      midTransaction: median(rates.midTransaction),
      writers: options.writers,
    };
  } finally {
    await db.close();
  }
}
