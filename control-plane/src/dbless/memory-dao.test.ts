import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOffsetError, InvalidSizeError, OperationUnsupportedError } from '@turnpike/shared';
import { parseDeclarativeObject } from '../declarative/parse.ts';
import { createMemoryDao } from './memory-dao.ts';
import { DblessState } from './state.ts';

const pluginSchemas = () => undefined;

async function loaded(document: Record<string, unknown>) {
  const state = new DblessState();
  await state.load(
    parseDeclarativeObject({ _format_version: '3.0', ...document }, { pluginSchemas }),
    'text',
  );
  return { state, dao: createMemoryDao(state) };
}

describe('the DB-less DAO', () => {
  it('lists in id order, page by page, with tag filters and parent scopes', async () => {
    const services = Array.from({ length: 5 }, (_, i) => ({
      name: `s${i}`,
      url: 'http://example.test',
      tags: i % 2 === 0 ? ['even'] : ['odd'],
      routes: [{ name: `r${i}`, paths: [`/${i}`] }],
    }));
    const { dao } = await loaded({ services });
    const first = await dao.entity('services').list({ size: 2 });
    assert.equal(first.data.length, 2);
    assert.ok(first.offset !== undefined);
    const rest = await dao.entity('services').list({ size: 10, offset: first.offset });
    const ids = [...first.data, ...rest.data].map((s) => s.id);
    assert.deepEqual(ids, [...ids].sort());
    assert.equal(ids.length, 5);
    assert.equal(rest.offset, undefined);
    const even = await dao.entity('services').list({ tags: { all: ['even'] } });
    assert.deepEqual(even.data.map((s) => s.name).sort(), ['s0', 's2', 's4']);
    const s3 = await dao.entity('services').get('s3');
    assert.ok(s3 !== undefined);
    const scoped = await dao.entity('routes').list({ scope: { field: 'service', id: s3.id } });
    assert.deepEqual(
      scoped.data.map((r) => r.name),
      ['r3'],
    );
    assert.equal(
      await dao.entity('routes').get('r3', { scope: { field: 'service', id: ids[0]! } }),
      undefined,
    );
    await assert.rejects(dao.entity('services').list({ size: 0 }), InvalidSizeError);
    await assert.rejects(dao.entity('services').list({ offset: 'x' }), InvalidOffsetError);
  });

  it('finds by id, endpoint key and unique field, and gives certificates their SNIs', async () => {
    const { dao } = await loaded({ consumers: [{ username: 'ann', custom_id: 'c-ann' }] });
    const ann = await dao.entity('consumers').get('ann');
    assert.equal(ann?.custom_id, 'c-ann');
    assert.equal((await dao.entity('consumers').get(ann.id.toUpperCase()))?.username, 'ann');
    assert.equal((await dao.entity('consumers').getByUnique('custom_id', 'c-ann'))?.id, ann.id);
    assert.equal(await dao.entity('consumers').get('bob'), undefined);
    assert.equal(await dao.configVersion(), 1);
  });

  it("refuses every write with Kong's off-strategy message", async () => {
    const { dao } = await loaded({ services: [{ name: 'web', url: 'http://example.test' }] });
    const cases: [Promise<unknown>, string][] = [
      [dao.entity('services').insert({ name: 'x' }), "cannot create 'services' entities"],
      [dao.entity('services').update('web', {}), "cannot update 'services' entities by 'name'"],
      [
        dao.entity('services').upsert('00000000-0000-4000-8000-000000000000', {}),
        "cannot create or update 'services' entities",
      ],
      [dao.entity('routes').delete('r'), "cannot remove 'routes' entities by 'name'"],
    ];
    for (const [write, message] of cases) {
      await assert.rejects(write, (err: unknown) => {
        assert.ok(err instanceof OperationUnsupportedError);
        assert.equal(err.status, 405);
        assert.deepEqual(err.toJSON(), {
          message: `${message} when not using a database`,
          name: 'operation unsupported',
          code: 12,
        });
        return true;
      });
    }
  });

  it('swaps a new file in whole, as the next version of the config source', async () => {
    const { state, dao } = await loaded({ services: [{ name: 'old', url: 'http://example.test' }] });
    const before = state.source.latest();
    await state.load(
      parseDeclarativeObject(
        { _format_version: '3.0', services: [{ name: 'new', url: 'http://example.test' }] },
        { pluginSchemas },
      ),
      'other text',
    );
    assert.equal(await dao.entity('services').get('old'), undefined);
    assert.ok((await dao.entity('services').get('new')) !== undefined);
    assert.equal(state.source.latest().version, before.version + 1);
    assert.notEqual(state.source.latest().hash, before.hash);
    assert.match(state.configurationHash(), /^[0-9a-f]{32}$/);
  });
});
