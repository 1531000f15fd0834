import type { ConfigChange } from './content.ts';
import { SyncPayloadError } from './payload-error.ts';

/**
 * The proto's Change message, structurally (shared/ does not depend on @turnpike/proto).
 * `op` uses the proto's `Op` numbers: 1 upsert, 2 delete.
 */
export interface WireChange {
  entity: string;
  id: string;
  op: 0 | 1 | 2;
  value: Buffer;
}

const OP_UPSERT = 1 as const;
const OP_DELETE = 2 as const;

export function changeToWire(change: ConfigChange): WireChange {
  if (change.op === 'delete') {
    return { entity: change.entity, id: change.id, op: OP_DELETE, value: Buffer.alloc(0) };
  }
  return {
    entity: change.entity,
    id: change.id,
    op: OP_UPSERT,
    value: Buffer.from(JSON.stringify(change.value)),
  };
}

/** Throws SyncPayloadError for an unknown op or an upsert whose value is not JSON. */
export function changeFromWire(change: WireChange): ConfigChange {
  if (change.op === OP_DELETE) return { entity: change.entity, id: change.id, op: 'delete' };
  if (change.op !== OP_UPSERT) {
    throw new SyncPayloadError(`change to ${change.entity} ${change.id} has unknown op ${change.op}`);
  }
  try {
    return {
      entity: change.entity,
      id: change.id,
      op: 'upsert',
      value: JSON.parse(Buffer.from(change.value).toString('utf8')),
    };
  } catch (error) {
    throw new SyncPayloadError(
      `change to ${change.entity} ${change.id} is not JSON: ${(error as Error).message}`,
    );
  }
}
