/**
 * What the status listener's `/metrics` serves: this process's prom-client registry, then the
 * parts other components add (the data plane's proxy workers, aggregated). One text, one scrape.
 */

import { Registry } from 'prom-client';

/** A Prometheus text exposition. prom-client's Registry is one. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export class NodeMetrics implements MetricsSource {
  readonly registry: Registry;
  readonly #parts: (() => Promise<string>)[] = [];

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Adds a part, in Prometheus text, after this process's own series. */
  add(part: () => Promise<string>): void {
    this.#parts.push(part);
  }

  async metrics(): Promise<string> {
    const texts = [await this.registry.metrics()];
    for (const part of this.#parts) texts.push(await part());
    return texts.filter((t) => t !== '').join('\n');
  }
}
