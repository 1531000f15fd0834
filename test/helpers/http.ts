import { setTimeout as sleep } from 'node:timers/promises';

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** One HTTP request with an optional JSON body; the answer parsed as JSON when it is. */
export async function http(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/**
 * Calls `probe` until `done` says yes, and returns that answer; throws with the last answer after
 * `timeoutMs`. For state another process reaches on its own (a data plane applying a version).
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  let error: unknown;
  while (Date.now() < until) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch (err) {
      error = err;
    }
    await sleep(20);
  }
  throw new Error(
    `condition not met within ${timeoutMs}ms; last value: ${JSON.stringify(last)}${error ? `; last error: ${error}` : ''}`,
  );
}
