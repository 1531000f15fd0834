/** Edits of flat `[name, value, …]` header lists, case-insensitive on names. */

/** Removes every entry named `name`; returns how many were removed. */
export function removeHeader(headers: string[], name: string): number {
  const lower = name.toLowerCase();
  let write = 0;
  for (let read = 0; read < headers.length; read += 2) {
    if (headers[read]!.toLowerCase() === lower) continue;
    headers[write] = headers[read]!;
    headers[write + 1] = headers[read + 1]!;
    write += 2;
  }
  const removed = (headers.length - write) / 2;
  headers.length = write;
  return removed;
}

export function setHeader(headers: string[], name: string, value: string): void {
  removeHeader(headers, name);
  headers.push(name, value);
}

/** The first value of `name`, or undefined. */
export function findHeader(headers: readonly string[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === lower) return headers[i + 1];
  }
  return undefined;
}

/** How many times `name` appears in node's rawHeaders. */
export function countRawHeader(raw: readonly string[], name: string): number {
  const lower = name.toLowerCase();
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === lower) n++;
  return n;
}
