/**
 * The writes a traditional node's proxy workers ask for (the SDK's nodeDatastore()), one writer
 * per plugin (README.md). An unknown plugin or operation is refused, never ignored.
 */
import type { NodePluginWrites } from '@turnpike/shared/plugins';
import type { Dao } from '../dao/index.ts';
import type { Datastore } from '../store/index.ts';
import { type OAuth2Op, oauth2Writer } from './oauth2.ts';

const OAUTH2_ACTIONS = new Set([
  'insert-token',
  'renew-token',
  'delete-token',
  'insert-code',
  'find-code',
  'delete-code',
]);

export function pluginWrites(dao: Dao, datastore: Datastore): NodePluginWrites {
  const oauth2 = oauth2Writer(dao, datastore);
  return {
    write: async (plugin, op) => {
      const action = (op as { action?: unknown } | null)?.action;
      if (plugin === 'oauth2' && typeof action === 'string' && OAUTH2_ACTIONS.has(action)) {
        return oauth2(op as OAuth2Op);
      }
      throw new Error(`no datastore write '${String(action)}' for the plugin '${plugin}'`);
    },
  };
}
