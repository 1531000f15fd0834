/** Kong's declarative configuration (`_format_version` 1.1, 2.1 or 3.0): parse, import, export. */

export { type DeclarativeDiff, type DeclarativeDiffItem, diffDeclarative } from './diff.ts';
export {
  declarativeDocument,
  type ExportFormat,
  type ExportOptions,
  exportDeclarative,
  readEntities,
  renderDeclarative,
} from './export.ts';
export { type FlattenOptions, type FlattenResult, flattenDeclarative } from './flatten.ts';
export {
  IMPORT_BATCH,
  type ImportMode,
  type ImportOptions,
  type ImportProgress,
  type ImportSummary,
  importDeclarative,
} from './import.ts';
export { EXAMPLE_CONFIG } from './init-template.ts';
export {
  DeclarativeParseError,
  type ParseOptions,
  parseDeclarative,
  parseDeclarativeObject,
} from './parse.ts';
export type { DeclarativeProblem, FlattenedError, FlattenedFieldError } from './problems.ts';
export { type DeclarativeConfig, FORMAT_VERSION } from './types.ts';
export { declarativeId, uuidV5 } from './uuid.ts';
