/**
 * A request's and a response's bytes on the wire, as nginx counts them (`$request_length`,
 * `$bytes_sent`): what the log serializer's `request.size` / `response.size` and the prometheus
 * bandwidth counters report. Node reads and writes HTTP/1 header lines as latin1, so a string's
 * length is its byte count; nothing here encodes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The request line, the header lines and the blank line as received, then the body (Content-Length). */
export function requestBytes(req: IncomingMessage): number {
  // "GET /path HTTP/1.1\r\n": two spaces, "HTTP/" and CRLF around method, target and version.
  let bytes = (req.method?.length ?? 0) + (req.url?.length ?? 0) + req.httpVersion.length + 9;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) bytes += raw[i]!.length + raw[i + 1]!.length + 4; // ": " and CRLF
  bytes += 2;
  const length = Number(req.headers['content-length']);
  return Number.isFinite(length) && length > 0 ? bytes + length : bytes;
}

/**
 * The response head node wrote (status line, every header line, Date and framing ones included,
 * and the blank line), then `bodyBytes`. 0 for the head when none was written (HTTP/2 keeps no
 * text head: its headers are HPACK-compressed frames).
 */
export function responseBytes(res: ServerResponse, bodyBytes: number): number {
  const head = (res as unknown as { _header?: string | null })._header;
  return (typeof head === 'string' ? head.length : 0) + bodyBytes;
}
