import { ConfigInvalidError, TurnpikeError } from '@turnpike/shared';

/** Prints an error the way Kong's CLI does (`Error: …`) and exits non-zero. */
export function exitWithError(err: unknown): never {
  if (err instanceof ConfigInvalidError) {
    process.stderr.write(
      `Error: invalid configuration:\n${err.problems.map((p) => `  ${p.key} (from ${p.source}): ${p.message}`).join('\n')}\n`,
    );
  } else if (err instanceof TurnpikeError) {
    process.stderr.write(`Error: ${err.message}\n`);
  } else {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`Error: ${message}\n`);
  }
  process.exit(1);
}
