import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SyncedEntityError } from '@turnpike/shared';
import { type EntityName, validateEntity } from '@turnpike/shared/schema';
import { applyDelta, type ConfigChange, type ConfigContent, hashConfig } from '@turnpike/shared/sync';
import { decodeChanges, decodeContent, decodeEntity } from './decode.ts';

const SERVICE_ID = '00000000-0000-4000-8000-000000000001';
const ROUTE_ID = '00000000-0000-4000-8000-000000000002';

/** An entity as the control plane stores and syncs it: validated, defaults filled. */
function stored(type: EntityName, input: Record<string, unknown>): Record<string, unknown> {
  const result = validateEntity(type, input, { operation: 'insert' });
  assert.ok(result.ok, JSON.stringify(result));
  return result.value as Record<string, unknown>;
}

const SERVICE = stored('services', { id: SERVICE_ID, name: 'api', url: 'http://api.internal:8080/v1' });
const ROUTE = stored('routes', { id: ROUTE_ID, paths: ['/api'], service: { id: SERVICE_ID } });

function refusal(fn: () => unknown): SyncedEntityError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SyncedEntityError, String(error));
    return error;
  }
  assert.fail('expected a SyncedEntityError');
}

describe('decodeEntity', () => {
  it("returns the control plane's entities as they are, without a copy", () => {
    assert.equal(decodeEntity('services', SERVICE_ID, SERVICE), SERVICE);
    assert.equal(decodeEntity('routes', ROUTE_ID, ROUTE), ROUTE);
  });

  it('names type, id and field of a value of the wrong kind, and refuses with TP_SYNCED_ENTITY', () => {
    const error = refusal(() => decodeEntity('routes', ROUTE_ID, { ...ROUTE, paths: ['/a', 7] }));
    assert.equal(error.code, 'TP_SYNCED_ENTITY');
    assert.equal(error.message, `routes ${ROUTE_ID} field paths[1]: expected a string`);
    assert.equal(
      refusal(() => decodeEntity('services', SERVICE_ID, { ...SERVICE, port: '80' })).field,
      'port',
    );
    assert.equal(
      refusal(() => decodeEntity('services', SERVICE_ID, { ...SERVICE, read_timeout: 1.5 })).message,
      `services ${SERVICE_ID} field read_timeout: expected an integer`,
    );
  });

  it('refuses a value outside the schema: an unknown protocol, a port out of range, a bad foreign key', () => {
    assert.equal(
      refusal(() => decodeEntity('services', SERVICE_ID, { ...SERVICE, protocol: 'ftp' })).field,
      'protocol',
    );
    assert.equal(
      refusal(() => decodeEntity('services', SERVICE_ID, { ...SERVICE, port: 70000 })).field,
      'port',
    );
    assert.equal(
      refusal(() => decodeEntity('routes', ROUTE_ID, { ...ROUTE, service: 'x' })).field,
      'service',
    );
  });

  it('refuses a required field missing, an id that is not its key, and what is not an object', () => {
    const { host: _host, ...hostless } = SERVICE;
    assert.match(
      refusal(() => decodeEntity('services', SERVICE_ID, hostless)).message,
      /host: required field missing/,
    );
    assert.equal(refusal(() => decodeEntity('services', 'other', SERVICE)).field, 'id');
    assert.equal(refusal(() => decodeEntity('services', SERVICE_ID, [SERVICE])).field, '');
  });

  it('fills an absent required field with its default (the subschema one when the protocols select it), in a copy', () => {
    const minimal = { id: ROUTE_ID, paths: ['/'] };
    const decoded = decodeEntity('routes', ROUTE_ID, minimal);
    assert.notEqual(decoded, minimal);
    assert.deepEqual(minimal, { id: ROUTE_ID, paths: ['/'] });
    assert.deepEqual(decoded.protocols, ['http', 'https']);
    assert.equal(decoded.strip_path, true);
    const grpc = decodeEntity('routes', ROUTE_ID, { id: ROUTE_ID, protocols: ['grpc'], paths: ['/'] });
    assert.equal(grpc.strip_path, false);
  });

  it('leaves fields it does not know alone (a newer control plane may add some)', () => {
    const newer = { ...SERVICE, some_future_field: { any: 'thing' } };
    assert.equal(decodeEntity('services', SERVICE_ID, newer), newer);
  });
});

describe('decodeContent', () => {
  it('returns the same content when every entity is complete, and refuses an unknown entity type', () => {
    const content: ConfigContent = new Map([
      ['services', new Map([[SERVICE_ID, SERVICE]])],
      ['routes', new Map([[ROUTE_ID, ROUTE]])],
    ]);
    assert.equal(decodeContent(content), content);
    const error = refusal(() => decodeContent(new Map([['key_sets', new Map([['v', { id: 'v' }]])]])));
    assert.equal(error.message, 'key_sets: this data plane knows no such entity type');
  });
});

describe('decodeChanges', () => {
  const content: ConfigContent = new Map([['services', new Map([[SERVICE_ID, SERVICE]])]]);
  const hash = hashConfig(content);

  it('decodes only the changed entities and keeps the synced content as the decoded one', () => {
    const route: ConfigChange = { entity: 'routes', id: ROUTE_ID, op: 'upsert', value: ROUTE };
    const next = applyDelta(content, hash, [route]).config;
    const decoded = decodeChanges({ content, synced: decodeContent(content) }, next, [route]);
    assert.equal(decoded.synced, next);
    assert.equal(decoded.synced.get('routes')?.get(ROUTE_ID), ROUTE);
  });

  it('refuses a delta whose entity is corrupt, naming it', () => {
    const bad: ConfigChange = {
      entity: 'routes',
      id: ROUTE_ID,
      op: 'upsert',
      value: { ...ROUTE, hosts: 'a' },
    };
    const next = applyDelta(content, hash, [bad]).config;
    const error = refusal(() => decodeChanges({ content, synced: decodeContent(content) }, next, [bad]));
    assert.equal(error.message, `routes ${ROUTE_ID} field hosts: expected an array`);
  });

  it('layers completed entities over the decoded view, leaving the synced content for the hash', () => {
    const minimal: ConfigChange = {
      entity: 'routes',
      id: ROUTE_ID,
      op: 'upsert',
      value: { id: ROUTE_ID, paths: ['/'] },
    };
    const next = applyDelta(content, hash, [minimal]).config;
    const decoded = decodeChanges({ content, synced: decodeContent(content) }, next, [minimal]);
    assert.equal(decoded.content, next);
    assert.notEqual(decoded.synced, next);
    assert.deepEqual(decoded.synced.get('routes')?.get(ROUTE_ID)?.protocols, ['http', 'https']);
    assert.deepEqual(next.get('routes')?.get(ROUTE_ID), { id: ROUTE_ID, paths: ['/'] });
    const gone: ConfigChange = { entity: 'routes', id: ROUTE_ID, op: 'delete' };
    const after = decodeChanges(decoded, applyDelta(next, hashConfig(next), [gone]).config, [gone]);
    assert.equal(after.synced.get('routes'), undefined);
    assert.equal(after.synced.get('services')?.get(SERVICE_ID), SERVICE);
  });
});
