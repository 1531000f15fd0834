/**
 * Sends one OTLP/HTTP export request (Kong's otel utils `http_export_request`): POST of the
 * protobuf body to `traces_endpoint` with `Content-Type: application/x-protobuf` and the configured
 * headers; a status other than 2xx is a failure (the queue retries it).
 */
import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface ExporterConfig {
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>> | null | undefined;
  readonly connect_timeout: number;
  readonly send_timeout: number;
  readonly read_timeout: number;
}

export class OtlpExporter {
  readonly #url: URL;
  readonly #config: ExporterConfig;
  readonly #agent: HttpAgent;

  constructor(config: ExporterConfig) {
    this.#config = config;
    this.#url = new URL(config.endpoint);
    this.#agent =
      this.#url.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, rejectUnauthorized: false })
        : new HttpAgent({ keepAlive: true });
  }

  send(body: Uint8Array): Promise<void> {
    const url = this.#url;
    const https = url.protocol === 'https:';
    const headers: OutgoingHttpHeaders = {
      ...(this.#config.headers ?? {}),
      'content-type': 'application/x-protobuf',
      'content-length': body.byteLength,
    };
    const timeout = Math.max(
      this.#config.connect_timeout,
      this.#config.send_timeout,
      this.#config.read_timeout,
    );
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        {
          agent: this.#agent,
          method: 'POST',
          hostname: url.hostname,
          port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
          path: `${url.pathname}${url.search}`,
          headers,
          timeout,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else
              reject(
                new Error(
                  `failed to send request: ${status} ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`,
                ),
              );
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => reject(new Error(`failed to send request: ${err.message}`)));
      req.end(body);
    });
  }
}
