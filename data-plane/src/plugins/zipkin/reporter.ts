/**
 * Sends a batch of Zipkin v2 JSON spans (Kong's zipkin reporter `send_entries_to_zipkin`): one POST
 * of the JSON array to `http_endpoint`; a status other than 2xx fails the batch (the queue retries).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export class ZipkinReporter {
  readonly #url: URL;
  readonly #timeout: number;
  readonly #agent: HttpAgent;

  constructor(endpoint: string, timeout: number) {
    this.#url = new URL(endpoint);
    this.#timeout = timeout;
    this.#agent =
      this.#url.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, rejectUnauthorized: false })
        : new HttpAgent({ keepAlive: true });
  }

  send = (entries: readonly string[]): Promise<void> => {
    const body = Buffer.from(`[${entries.join(',')}]`);
    const url = this.#url;
    const https = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        {
          agent: this.#agent,
          method: 'POST',
          hostname: url.hostname,
          port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
          path: `${url.pathname}${url.search}`,
          headers: { 'content-type': 'application/json', 'content-length': body.byteLength },
          timeout: this.#timeout,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else
              reject(new Error(`zipkin server responded unexpectedly: ${status} ${res.statusMessage ?? ''}`));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => reject(new Error(`zipkin request failed: ${err.message}`)));
      req.end(body);
    });
  };
}
