/**
 * Follows `GET /clustering/events`. EventSource cannot send the token header, so the stream is
 * read with fetch and parsed with eventsource-parser; a dropped stream is reopened with a
 * backoff, and each reopening starts with a fresh `snapshot` event.
 */
import { createParser } from 'eventsource-parser';
import type { AdminClient } from './client.ts';

export type StreamState = 'connecting' | 'live' | 'retrying';

export interface ClusterStreamHandlers {
  event(type: string, data: unknown): void;
  state(state: StreamState): void;
}

export function followClusterEvents(client: AdminClient, handlers: ClusterStreamHandlers): () => void {
  const abort = new AbortController();
  let delay = 500;
  const run = async () => {
    while (!abort.signal.aborted) {
      handlers.state('connecting');
      try {
        const body = await client.stream('/clustering/events', abort.signal);
        handlers.state('live');
        delay = 500;
        const parser = createParser({
          onEvent: (message) => {
            try {
              handlers.event(message.event ?? 'message', JSON.parse(message.data));
            } catch {
              // A malformed event is skipped; the next snapshot puts things right.
            }
          },
        });
        const reader = body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
      } catch {
        if (abort.signal.aborted) return;
      }
      handlers.state('retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  void run();
  return () => abort.abort();
}
