/**
 * The trace context zipkin reads from the client and writes to the service (Kong 3.10
 * kong/observability/tracing/propagation, the b3, b3-single and w3c extractors and injectors).
 * B3 shares the span between client and server (Kong's `reuse_span_id`): the extracted span id is
 * the request span's, its parent the extracted parent. W3C's span id is the request span's parent.
 */
import type { PluginContext } from '@turnpike/plugin-sdk';

export type Format = 'b3' | 'b3-single' | 'w3c';

export interface Extracted {
  readonly format: Format;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly parentId?: string;
  /** undefined: the client left the decision to us. */
  readonly sampled?: boolean;
  readonly reuseSpanId: boolean;
}

const HEX_ID = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

function sampledOf(value: string | undefined, flags: string | undefined): boolean | undefined {
  if (flags === '1') return true;
  if (value === '1' || value === 'true' || value === 'd') return true;
  if (value === '0' || value === 'false') return false;
  return undefined;
}

function extractB3Single(value: string | undefined): Extracted | undefined {
  if (value === undefined) return undefined;
  const parts = value.trim().toLowerCase().split('-');
  if (parts.length === 1) {
    const sampled = sampledOf(parts[0], parts[0] === 'd' ? '1' : undefined);
    return sampled === undefined ? undefined : { format: 'b3-single', sampled, reuseSpanId: true };
  }
  const [traceId, spanId, flag, parentId] = parts;
  if (traceId === undefined || !HEX_ID.test(traceId) || spanId === undefined || !SPAN_ID.test(spanId))
    return undefined;
  if (parentId !== undefined && !SPAN_ID.test(parentId)) return undefined;
  return {
    format: 'b3-single',
    traceId,
    spanId,
    ...(parentId === undefined ? {} : { parentId }),
    ...(flag === undefined ? {} : { sampled: sampledOf(flag, flag === 'd' ? '1' : undefined) }),
    reuseSpanId: true,
  };
}

function extractB3(ctx: PluginContext): Extracted | undefined {
  const traceId = ctx.request.header('x-b3-traceid')?.toLowerCase();
  const spanId = ctx.request.header('x-b3-spanid')?.toLowerCase();
  const parentId = ctx.request.header('x-b3-parentspanid')?.toLowerCase();
  const sampled = sampledOf(ctx.request.header('x-b3-sampled'), ctx.request.header('x-b3-flags'));
  if (traceId === undefined && spanId === undefined) {
    return sampled === undefined ? undefined : { format: 'b3', sampled, reuseSpanId: true };
  }
  if (traceId === undefined || !HEX_ID.test(traceId) || spanId === undefined || !SPAN_ID.test(spanId))
    return undefined;
  if (parentId !== undefined && !SPAN_ID.test(parentId)) return undefined;
  return {
    format: 'b3',
    traceId,
    spanId,
    ...(parentId === undefined ? {} : { parentId }),
    ...(sampled === undefined ? {} : { sampled }),
    reuseSpanId: true,
  };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function extractW3c(value: string | undefined): Extracted | undefined {
  const m = value === undefined ? null : TRACEPARENT.exec(value.trim().toLowerCase());
  if (m === null) return undefined;
  const [, traceId, spanId, flags] = m as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return {
    format: 'w3c',
    traceId,
    spanId,
    sampled: (Number.parseInt(flags, 16) & 1) === 1,
    reuseSpanId: false,
  };
}

/** The first of `formats` the request carries (Kong's extraction order). */
export function extract(ctx: PluginContext, formats: readonly Format[]): Extracted | undefined {
  for (const format of formats) {
    const found =
      format === 'w3c'
        ? extractW3c(ctx.request.header('traceparent'))
        : format === 'b3-single'
          ? extractB3Single(ctx.request.header('b3'))
          : extractB3(ctx);
    if (found !== undefined) return found;
  }
  return undefined;
}

export interface InjectContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentId: string | undefined;
  readonly sampled: boolean;
}

/** Writes the context in `format` to the request sent to the service. */
export function inject(ctx: PluginContext, format: Format, c: InjectContext): void {
  const flag = c.sampled ? '1' : '0';
  if (format === 'w3c') {
    // W3C needs a 16-byte trace id: an 8-byte one is left-padded, as Kong's injector does.
    ctx.setUpstreamHeader(
      'traceparent',
      `00-${c.traceId.padStart(32, '0')}-${c.spanId}-${c.sampled ? '01' : '00'}`,
    );
  } else if (format === 'b3-single') {
    ctx.setUpstreamHeader(
      'b3',
      `${c.traceId}-${c.spanId}-${flag}${c.parentId === undefined ? '' : `-${c.parentId}`}`,
    );
  } else {
    ctx.setUpstreamHeader('x-b3-traceid', c.traceId);
    ctx.setUpstreamHeader('x-b3-spanid', c.spanId);
    if (c.parentId !== undefined) ctx.setUpstreamHeader('x-b3-parentspanid', c.parentId);
    ctx.setUpstreamHeader('x-b3-sampled', flag);
  }
}
