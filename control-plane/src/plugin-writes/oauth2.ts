/**
 * oauth2's writes from the proxy of a traditional node (Kong 3.10 access.lua: issue_token and
 * authorize write kong.db.oauth2_tokens and kong.db.oauth2_authorization_codes). Tokens go
 * through the DAO (validated, a config change: synced to the proxy workers as any Admin API
 * write); codes, which Kong never exports, go to their own table (migration 005_oauth2) with
 * Kong's ttl of 300 s and are read back from it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Dao } from '../dao/index.ts';
import type { Datastore } from '../store/index.ts';

/** Kong's ttl for an authorization code (access.lua authorize: `{ ttl = 300 }`). */
const CODE_TTL_S = 300;

/** Kong's utils.random_string: 32 hex characters. */
const randomString = () => randomBytes(16).toString('hex');

type Ref = { readonly id: string } | null | undefined;

export type OAuth2Op =
  | {
      readonly action: 'insert-token';
      readonly token: {
        readonly service?: Ref;
        readonly credential: { readonly id: string };
        readonly authenticated_userid?: string | null;
        readonly expires_in: number;
        /** '' asks for a fresh random refresh token, null for none. */
        readonly refresh_token?: string | null;
        readonly scope?: string | null;
      };
    }
  | { readonly action: 'renew-token'; readonly id: string; readonly expires_in: number }
  | { readonly action: 'delete-token'; readonly id: string }
  | {
      readonly action: 'insert-code';
      readonly code: {
        readonly service?: Ref;
        readonly credential: { readonly id: string };
        readonly authenticated_userid?: string | null;
        readonly scope?: string | null;
        readonly challenge?: string | null;
        readonly challenge_method?: string | null;
        /** The oauth2 plugin instance that issued it (Kong's kong.plugin.get_id()). */
        readonly plugin?: Ref;
      };
    }
  | { readonly action: 'find-code'; readonly code: string }
  | { readonly action: 'delete-code'; readonly code: string };

interface CodeRow {
  code: string;
  service_id: string | null;
  credential_id: string;
  plugin_id: string | null;
  authenticated_userid: string | null;
  scope: string | null;
  challenge: string | null;
  challenge_method: string | null;
}

const ref = (id: string | null) => (id === null ? null : { id });

export function oauth2Writer(dao: Dao, datastore: Datastore) {
  const tokens = () => dao.entity('oauth2_tokens');
  return async (op: OAuth2Op): Promise<{ reply: unknown; version: number }> => {
    switch (op.action) {
      case 'insert-token': {
        const { refresh_token, ...rest } = op.token;
        const row = await tokens().insert({
          ...rest,
          service: rest.service ?? null,
          access_token: randomString(),
          ...(refresh_token == null
            ? {}
            : { refresh_token: refresh_token === '' ? randomString() : refresh_token }),
        });
        return { reply: row, version: await dao.configVersion() };
      }
      case 'renew-token': {
        const row = await tokens().update(op.id, {
          access_token: randomString(),
          expires_in: op.expires_in,
          created_at: Math.floor(Date.now() / 1000),
        });
        return { reply: row, version: await dao.configVersion() };
      }
      case 'delete-token':
        await tokens().delete(op.id);
        return { reply: null, version: await dao.configVersion() };
      case 'insert-code': {
        const c = op.code;
        const code = randomString();
        await datastore.query(
          `INSERT INTO oauth2_authorization_codes (id, created_at, expires_at, service_id, credential_id,
             plugin_id, code, authenticated_userid, scope, challenge, challenge_method)
           VALUES ($1, now(), now() + make_interval(secs => $2), $3, $4, $10, $5, $6, $7, $8, $9)`,
          [
            randomUUID(),
            CODE_TTL_S,
            c.service?.id ?? null,
            c.credential.id,
            code,
            c.authenticated_userid ?? null,
            c.scope ?? null,
            c.challenge ?? null,
            c.challenge_method ?? null,
            c.plugin?.id ?? null,
          ],
        );
        return { reply: { ...c, code, plugin: c.plugin ?? null }, version: 0 };
      }
      case 'find-code': {
        const result = await datastore.query<CodeRow>(
          `SELECT code, service_id, credential_id, plugin_id, authenticated_userid, scope, challenge,
             challenge_method FROM oauth2_authorization_codes WHERE code = $1 AND expires_at > now()`,
          [op.code],
        );
        const row = result.rows[0];
        const reply =
          row === undefined
            ? null
            : {
                code: row.code,
                service: ref(row.service_id),
                credential: { id: row.credential_id },
                plugin: ref(row.plugin_id),
                authenticated_userid: row.authenticated_userid,
                scope: row.scope,
                challenge: row.challenge,
                challenge_method: row.challenge_method,
              };
        return { reply, version: 0 };
      }
      case 'delete-code':
        await datastore.query('DELETE FROM oauth2_authorization_codes WHERE code = $1', [op.code]);
        return { reply: null, version: 0 };
    }
  };
}
