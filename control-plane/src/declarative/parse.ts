/**
 * parseDeclarative: declarative text (YAML or JSON, `_format_version` 1.1, 2.1 or 3.0) → a validated
 * DeclarativeConfig, or one DeclarativeParseError carrying Kong's nested `fields`, a flat list
 * of problems naming each entity path and line, and Kong's `flattened_errors`.
 */
import { DeclarativeConfigError, type FieldErrors } from '@turnpike/shared';
import type { PluginSchemaLookup } from '@turnpike/shared/schema';
import { flattenDeclarative } from './flatten.ts';
import type { DeclarativeProblem, FlattenedError, ProblemCollector } from './problems.ts';
import { decodeDeclarative } from './source.ts';
import type { DeclarativeConfig } from './types.ts';

export interface ParseOptions {
  /** Picks the decoder by extension (`.json`, `.yml`, `.yaml`) and names the file in messages. */
  readonly filename?: string;
  readonly pluginSchemas: PluginSchemaLookup;
  /** Seconds since the epoch for generated timestamps; default the clock. */
  readonly now?: number;
}

/** Kong's code 14, with what a CLI or an Admin API client needs to find each mistake. */
export class DeclarativeParseError extends DeclarativeConfigError {
  /** Every error, in file order of discovery, with its path and (when known) line. */
  readonly problems: readonly DeclarativeProblem[];
  readonly flattenedErrors: readonly FlattenedError[];
  /** Kong's `fields` once the errors of single entities moved to `flattened_errors`. */
  readonly residualFields: FieldErrors;

  constructor(
    fields: FieldErrors,
    problems: readonly DeclarativeProblem[],
    flattened: readonly FlattenedError[] = [],
    residual: FieldErrors = fields,
  ) {
    super(fields);
    this.problems = problems;
    this.flattenedErrors = flattened;
    this.residualFields = residual;
  }

  /** The body of `POST /config?flatten_errors=1`, as Kong's declarative_config_flattened. */
  withFlattenedErrors(): DeclarativeConfigError {
    return new FlattenedDeclarativeError(this.residualFields, this.flattenedErrors);
  }

  /** One line per problem: `kong.yml:12: services[0].routes[1].paths[0]: should start with: /`. */
  describe(filename?: string): string {
    return this.problems
      .map((p) => {
        const where = [filename, p.line].filter((x) => x !== undefined).join(':');
        const path = p.path === '' ? '' : `${p.path}: `;
        return `${where === '' ? '' : `${where}: `}${path}${p.message}`;
      })
      .join('\n');
  }
}

class FlattenedDeclarativeError extends DeclarativeConfigError {
  readonly flattenedErrors: readonly FlattenedError[];

  constructor(fields: FieldErrors, flattened: readonly FlattenedError[]) {
    super(fields);
    this.flattenedErrors = flattened;
  }

  override toJSON() {
    return { ...super.toJSON(), flattened_errors: this.flattenedErrors };
  }
}

function fromCollector(problems: ProblemCollector): DeclarativeParseError {
  return new DeclarativeParseError(problems.fields, problems.problems, problems.flattened, problems.residual);
}

/** Validates a document already decoded (the Admin API's JSON body). */
export function parseDeclarativeObject(input: unknown, options: ParseOptions): DeclarativeConfig {
  const result = flattenDeclarative(input, options);
  if (!result.ok) throw fromCollector(result.problems);
  return result.config;
}

export function parseDeclarative(text: string, options: ParseOptions): DeclarativeConfig {
  const decoded = decodeDeclarative(text, options.filename);
  if (!decoded.ok) {
    const message = decoded.message.startsWith('unknown file type')
      ? decoded.message
      : `failed parsing declarative configuration: ${decoded.message}`;
    const problem: DeclarativeProblem = { path: '', segments: [], message };
    if (decoded.line !== undefined) problem.line = decoded.line;
    throw new DeclarativeParseError({ error: message }, [problem]);
  }
  const result = flattenDeclarative(decoded.value, options);
  if (result.ok) return result.config;
  for (const problem of result.problems.problems) {
    const line = decoded.locate(problem.segments);
    if (line !== undefined) problem.line = line;
  }
  throw fromCollector(result.problems);
}
