/**
 * The progress of `turnpike config db_import`: entities written out of the file's total and the
 * rate in entities per second. On a terminal, one bar redrawn in place (at most ten times a
 * second); otherwise (a pipe, a log file) a plain line at most once a second. The last step is
 * always shown, so even a small import prints one line.
 */
import type { ImportProgress } from '@turnpike/control-plane/declarative';

export interface ProgressOutput {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

const BAR_WIDTH = 30;

/** 12,345: grouped by thousands (toLocaleString would load ICU's data for a few lines). */
function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function importProgress(
  out: ProgressOutput,
  now: () => number = performance.now.bind(performance),
): (progress: ImportProgress) => void {
  const tty = out.isTTY === true;
  const every = tty ? 100 : 1_000;
  const started = now();
  let shown = Number.NEGATIVE_INFINITY;
  return ({ done, total }) => {
    const at = now();
    const last = done >= total;
    if (!last && at - shown < every) return;
    shown = at;
    const seconds = (at - started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const share = total === 0 ? 1 : done / total;
    const percent = Math.floor(share * 100);
    const figures = `${count(done)}/${count(total)} entities (${percent}%), ${count(rate)} entities/s`;
    if (tty) {
      const filled = Math.round(share * BAR_WIDTH);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
      out.write(`\r${bar} ${figures}\u001b[K${last ? '\n' : ''}`);
    } else {
      out.write(`imported ${figures}\n`);
    }
  };
}
