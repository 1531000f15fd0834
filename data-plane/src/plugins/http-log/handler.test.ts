import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queueParams } from './handler.ts';
import type { HttpLogConfig } from './schema.ts';

const queue = {
  max_batch_size: 1,
  max_coalescing_delay: 1,
  max_entries: 10_000,
  max_bytes: null,
  max_retry_time: 60,
  initial_retry_delay: 0.01,
  max_retry_delay: 60,
  concurrency_limit: 1,
};

function config(extra: Record<string, unknown>): HttpLogConfig {
  return { http_endpoint: 'http://127.0.0.1:9/', queue, ...extra } as unknown as HttpLogConfig;
}

describe('http-log queueParams (Kong Queue.get_plugin_params)', () => {
  it('keeps queue.* when the legacy fields are unset or at their old defaults', () => {
    for (const legacy of [{}, { retry_count: 10, queue_size: 1, flush_timeout: 2 }]) {
      const { queue: out, warnings } = queueParams(config(legacy));
      assert.deepEqual(out, queue);
      assert.deepEqual(warnings, []);
    }
  });

  it('maps queue_size and flush_timeout onto the queue, and only warns for retry_count', () => {
    const { queue: out, warnings } = queueParams(
      config({ retry_count: 15, queue_size: 50, flush_timeout: 5 }),
    );
    assert.equal(out.max_batch_size, 50);
    assert.equal(out.max_coalescing_delay, 5);
    assert.equal(out.max_retry_time, 60);
    assert.equal(warnings.length, 3);
    assert.match(warnings[0]!, /retry_count parameter no longer works/);
  });
});
