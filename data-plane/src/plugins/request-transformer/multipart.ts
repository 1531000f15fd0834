/**
 * A multipart/form-data body as lua-multipart handles it for Kong's request-transformer: parts
 * by name, get / set_simple / delete, written back with the request's boundary.
 */

interface Part {
  name: string;
  /** The part's header block as received (Content-Disposition, Content-Type…), CRLF-separated. */
  head: string;
  body: Buffer;
}

const NAME = /;\s*name="((?:[^"\\]|\\.)*)"/i;

export class Multipart {
  readonly #boundary: string;
  readonly #parts: Part[];

  private constructor(boundary: string, parts: Part[]) {
    this.#boundary = boundary;
    this.#parts = parts;
  }

  /** Undefined when the content type has no boundary. */
  static parse(body: Buffer, contentType: string): Multipart | undefined {
    const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
    const boundary = (m?.[1] ?? m?.[2])?.trim();
    if (boundary === undefined || boundary === '') return undefined;
    const parts: Part[] = [];
    const delimiter = Buffer.from(`--${boundary}`);
    let at = body.indexOf(delimiter);
    while (at !== -1) {
      let start = at + delimiter.length;
      if (body.subarray(start, start + 2).toString() === '--') break;
      if (body.subarray(start, start + 2).toString() === '\r\n') start += 2;
      const next = body.indexOf(delimiter, start);
      if (next === -1) break;
      let end = next;
      if (body.subarray(end - 2, end).toString() === '\r\n') end -= 2;
      const chunk = body.subarray(start, end);
      const split = chunk.indexOf('\r\n\r\n');
      const head = split === -1 ? chunk.toString('latin1') : chunk.subarray(0, split).toString('latin1');
      const name = NAME.exec(head)?.[1] ?? '';
      parts.push({ name, head, body: split === -1 ? Buffer.alloc(0) : chunk.subarray(split + 4) });
      at = next;
    }
    return new Multipart(boundary, parts);
  }

  has(name: string): boolean {
    return this.#parts.some((p) => p.name === name);
  }

  value(name: string): Buffer | undefined {
    return this.#parts.find((p) => p.name === name)?.body;
  }

  delete(name: string): void {
    for (let i = this.#parts.length - 1; i >= 0; i--)
      if (this.#parts[i]!.name === name) this.#parts.splice(i, 1);
  }

  /** lua-multipart's set_simple: a plain field (replaces a part of that name, else appended). */
  setSimple(name: string, value: Buffer | string): void {
    const part = {
      name,
      head: `Content-Disposition: form-data; name="${name.replaceAll('"', '\\"')}"`,
      body: typeof value === 'string' ? Buffer.from(value) : value,
    };
    const i = this.#parts.findIndex((p) => p.name === name);
    if (i === -1) this.#parts.push(part);
    else this.#parts[i] = part;
  }

  toBuffer(): Buffer {
    const out: Buffer[] = [];
    for (const part of this.#parts) {
      out.push(
        Buffer.from(`--${this.#boundary}\r\n${part.head}\r\n\r\n`, 'latin1'),
        part.body,
        Buffer.from('\r\n'),
      );
    }
    out.push(Buffer.from(`--${this.#boundary}--\r\n`));
    return Buffer.concat(out);
  }
}
