/** Kong's `kong.request.get_body`: a form or JSON body as an object of fields. */

/** The fields of a url-encoded or JSON object body; undefined for other types or a malformed body. */
export function parseBodyFields(
  body: Buffer,
  contentType: string | undefined,
): Record<string, unknown> | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) {
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  }
  if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The body re-encoded without `field`, in its own content type. */
export function bodyWithout(
  fields: Record<string, unknown>,
  field: string,
  contentType: string | undefined,
): string {
  const rest = { ...fields };
  delete rest[field];
  if ((contentType ?? '').toLowerCase().startsWith('application/json')) return JSON.stringify(rest);
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(rest)) {
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
  }
  return params.toString();
}
