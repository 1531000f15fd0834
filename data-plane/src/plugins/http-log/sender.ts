/**
 * Sends one batch to the log server (Kong's http-log `send_entries`): a single entry as itself when
 * `max_batch_size` is 1, else a JSON array; Content-Type and Content-Length set, Basic auth from the
 * endpoint's user info, the configured headers after (never over those). A status ≥ 300, a
 * connection error or the timeout is a failure (the queue retries it).
 */
import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface SenderConfig {
  readonly http_endpoint: string;
  readonly method: string;
  readonly content_type: string;
  readonly timeout: number;
  readonly keepalive: number;
  readonly headers: Readonly<Record<string, string>> | null;
}

export class LogSender {
  readonly #url: URL;
  readonly #https: boolean;
  readonly #agent: HttpAgent;
  readonly #headers: OutgoingHttpHeaders;
  readonly #config: SenderConfig;
  readonly #single: boolean;

  constructor(config: SenderConfig, single: boolean) {
    this.#config = config;
    this.#single = single;
    const url = new URL(config.http_endpoint);
    this.#url = url;
    this.#https = url.protocol === 'https:';
    const options = { keepAlive: true, timeout: config.keepalive, maxSockets: 16 };
    // Kong's http-log sends with ssl_verify = false.
    this.#agent = this.#https
      ? new HttpsAgent({ ...options, rejectUnauthorized: false })
      : new HttpAgent(options);
    const headers: OutgoingHttpHeaders = { 'Content-Type': config.content_type };
    if (url.username !== '' || url.password !== '') {
      const userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers.Authorization = `Basic ${Buffer.from(userinfo).toString('base64')}`;
    }
    const own = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
    for (const [name, value] of Object.entries(config.headers ?? {})) {
      if (!own.has(name.toLowerCase())) headers[name] = value;
    }
    this.#headers = headers;
  }

  /** Sends a batch of entries: records are JSON-encoded here, strings (already JSON) as they are. */
  send = (entries: readonly (string | object)[]): Promise<void> => {
    const encoded = entries.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
    const body = this.#single && encoded.length === 1 ? encoded[0]! : `[${encoded.join(',')}]`;
    const url = this.#url;
    const request = this.#https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          protocol: url.protocol,
          hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
          port: url.port === '' ? (this.#https ? 443 : 80) : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method: this.#config.method,
          agent: this.#agent,
          headers: { ...this.#headers, 'Content-Length': Buffer.byteLength(body) },
          timeout: this.#config.timeout,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < 4096) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status < 300) resolve();
            else {
              const text = Buffer.concat(chunks).toString('utf8').slice(0, 4096);
              reject(
                new Error(
                  `request to ${url.hostname}:${url.port} returned status code ${status} and body ${text}`,
                ),
              );
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) =>
        reject(new Error(`failed request to ${url.hostname}:${url.port}: ${err.message}`)),
      );
      req.end(body);
    });
  };

  close(): void {
    this.#agent.destroy();
  }
}
