/** One append stream per file path, shared by the file-log instances of a worker. */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Logger } from '@turnpike/plugin-sdk';

const streams = new Map<string, WriteStream>();

function open(path: string, log: Logger): WriteStream {
  const stream = createWriteStream(path, { flags: 'a', mode: 0o644 });
  stream.on('error', (err) => {
    log.error({ err, path }, 'failed to open the file');
    if (streams.get(path) === stream) streams.delete(path);
  });
  return stream;
}

/** Appends `line` to `path`; with `reopen`, the file is closed after the line and opened anew next time. */
export function appendLine(path: string, reopen: boolean, line: string, log: Logger): void {
  let stream = streams.get(path);
  if (reopen && stream !== undefined) {
    streams.delete(path);
    stream.end();
    stream = undefined;
  }
  if (stream === undefined) {
    stream = open(path, log);
    streams.set(path, stream);
  }
  stream.write(line);
}
