import type { EnvOverride, IgnoredSetting } from './env.ts';

/** One warning about the configuration: a short message and the settings it concerns. */
export interface ConfigWarning {
  /** The log message (`log.warn({ settings }, message)`), and the first line `check` prints. */
  readonly message: string;
  readonly settings: readonly { readonly key: string; readonly source: string; readonly detail: string }[];
}

export const IGNORED_MESSAGE = 'configuration keys ignored: they have no effect in Turnpike';
export const OVERRIDDEN_MESSAGE = 'TURNPIKE_* variables win over the KONG_* variables naming the same keys';

/** One warning listing every ignored setting (by key), one for every KONG_* variable a TURNPIKE_* one beat. */
export function configWarnings(
  ignored: readonly IgnoredSetting[],
  overridden: readonly EnvOverride[],
): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  if (ignored.length > 0) {
    warnings.push({
      message: IGNORED_MESSAGE,
      settings: [...ignored]
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .map((s) => ({ key: s.key, source: s.source, detail: s.why })),
    });
  }
  if (overridden.length > 0) {
    warnings.push({
      message: OVERRIDDEN_MESSAGE,
      settings: overridden.map((o) => ({ key: o.key, source: o.winner, detail: `${o.loser} is not used` })),
    });
  }
  return warnings;
}

/** A warning as `check` prints it: the message, then one `key (from source): detail` line each. */
export function formatWarning(warning: ConfigWarning): string {
  const lines = warning.settings.map((s) => `  ${s.key} (from ${s.source}): ${s.detail}`);
  return `Warning: ${warning.message}:\n${lines.join('\n')}\n`;
}
