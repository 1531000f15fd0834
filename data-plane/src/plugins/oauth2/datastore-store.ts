/**
 * The TokenStore of a traditional node with a database: each write is an operation for the
 * control plane's oauth2 writer (control-plane/src/plugin-writes/oauth2.ts), sent through the
 * main process (the SDK's nodeDatastore()). A token write is answered once the proxy workers run
 * the version holding it, so the next request authenticates with it.
 */
import type { NodeDatastore } from '@turnpike/plugin-sdk';
import type { StoredCode, StoredToken, TokenStore } from './grants.ts';

const PLUGIN = 'oauth2';

export function datastoreTokenStore(datastore: NodeDatastore): TokenStore {
  const write = (op: Record<string, unknown>) => datastore.write(PLUGIN, op);
  return {
    insertToken: async (token) => (await write({ action: 'insert-token', token })) as StoredToken,
    renewToken: async (token, expiresIn) =>
      (await write({ action: 'renew-token', id: token.id, expires_in: expiresIn })) as StoredToken,
    deleteToken: async (token) => {
      await write({ action: 'delete-token', id: token.id });
    },
    insertCode: async (code) => (await write({ action: 'insert-code', code })) as StoredCode,
    findCode: async (code) =>
      ((await write({ action: 'find-code', code })) as StoredCode | null) ?? undefined,
    deleteCode: async (code) => {
      await write({ action: 'delete-code', code: code.code });
    },
  };
}
