/** The Admin API over fetch, with the admin token in Kong's header on every request. */
import type { KongErrorBody } from './errors.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly body: KongErrorBody;

  constructor(status: number, body: KongErrorBody) {
    super(body.message ?? `Admin API answered ${status}`);
    this.status = status;
    this.body = body;
  }
}

export interface Page<T> {
  readonly data: T[];
  readonly offset?: string | null;
  readonly next?: string | null;
}

/** Most rows a list view reads (Kong pages by 1000 at most). */
const MAX_ROWS = 5000;

export class AdminClient {
  readonly base: string;
  readonly #token: () => string | undefined;

  constructor(base: string, token: () => string | undefined) {
    this.base = base;
    this.#token = token;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const token = this.#token();
    return {
      accept: 'application/json',
      ...(token === undefined ? {} : { 'kong-admin-token': token }),
      ...extra,
    };
  }

  async request<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      ...init,
      method,
      headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = { message: text };
    }
    if (!res.ok) throw new ApiError(res.status, (parsed ?? {}) as KongErrorBody);
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }

  /** Every row of a collection, following `offset`, up to a bound. */
  async list<T>(path: string, query: Record<string, string> = {}): Promise<T[]> {
    const rows: T[] = [];
    let offset: string | undefined;
    do {
      const params = new URLSearchParams({
        ...query,
        size: '1000',
        ...(offset === undefined ? {} : { offset }),
      });
      const page = await this.get<Page<T>>(`${path}?${params}`);
      rows.push(...page.data);
      offset = page.offset ?? undefined;
    } while (offset !== undefined && rows.length < MAX_ROWS);
    return rows;
  }

  /** A streaming GET (server-sent events), aborted by `signal`. */
  async stream(path: string, signal: AbortSignal): Promise<ReadableStream<BufferSource>> {
    const res = await fetch(`${this.base}${path}`, {
      headers: this.headers({ accept: 'text/event-stream' }),
      signal,
      cache: 'no-store',
    });
    if (!res.ok || res.body === null) throw new ApiError(res.status, {});
    return res.body as ReadableStream<BufferSource>;
  }
}
