/**
 * A response head written straight to a socket, for the answers that have no ServerResponse (a
 * WebSocket handshake's 101, a refusal relayed from the service, a plugin's exit on a handshake).
 * node checks what goes through writeHead; here nothing would, so every name, value and the
 * reason phrase are checked before they are joined: a CR or LF in any of them would split the
 * response (and a plugin or an upstream supplied some of them).
 */

import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { Duplex } from 'node:stream';
import { RawResponseValueError } from '@turnpike/shared';

const BAD_REASON = /[^\t\u0020-\u007e\u0080-\u00ff]/;

/** `HTTP/1.1 <status> <reason>`, then `name: value` lines and the blank line. Throws RawResponseValueError (the caller answers 500). */
export function rawHead(status: number, reason: string, headers: readonly string[]): string {
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new RawResponseValueError(`invalid status ${status} for a raw response`);
  }
  if (BAD_REASON.test(reason))
    throw new RawResponseValueError(`invalid reason phrase ${JSON.stringify(reason)}`);
  let head = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      throw new RawResponseValueError(
        `invalid header ${JSON.stringify(name)}: ${JSON.stringify(value)} for a raw response`,
      );
    }
    head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

/** Writes a whole raw answer and closes the socket after it (or at once when it cannot be written). */
const kAnswer = Symbol('turnpike.raw-answer');
type AnsweredSocket = Duplex & { [kAnswer]?: { status: number; headBytes: number } };

/** Notes the status and head size of the answer written raw to `socket` (for its access line). */
export function noteRawAnswer(socket: Duplex, status: number, headBytes: number): void {
  (socket as AnsweredSocket)[kAnswer] ??= { status, headBytes };
}

/** The raw answer noted on `socket`, if any. */
export function rawAnswerOf(socket: Duplex): { status: number; headBytes: number } | undefined {
  return (socket as AnsweredSocket)[kAnswer];
}

/** A whole raw response's status and head size (`HTTP/1.1 NNN …\r\n\r\n`). */
function noteWhole(socket: Duplex, response: string | Buffer): void {
  const text =
    typeof response === 'string'
      ? response
      : response.toString('latin1', 0, Math.min(response.length, 16384));
  const status = Number(text.slice(9, 12));
  const end = text.indexOf('\r\n\r\n');
  if (Number.isInteger(status) && status >= 100)
    noteRawAnswer(socket, status, end < 0 ? text.length : end + 4);
}

export function answerAndClose(socket: Duplex, response: string | Buffer): void {
  noteWhole(socket, response);
  if (socket.writable) socket.end(response);
  else socket.destroy();
}
