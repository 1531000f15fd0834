/**
 * `google.api.http` path templates as Kong's deco.lua reads them: each `{var}` or `{var=pattern}`
 * becomes a capture (`*` one segment, `**` any), the rest of the template is kept as regex text,
 * the whole anchored.
 */

/** deco.lua's options_path_regex. */
const VARIABLE = /\{([-_.~0-9a-zA-Z]+)=?((?:(?:\*|\*\*|[-_.~0-9a-zA-Z])\/?)+)?\}/g;

export interface PathTemplate {
  readonly regex: RegExp;
  /** The variable each capture group fills, in order. */
  readonly names: readonly string[];
}

export function compileTemplate(path: string): PathTemplate {
  const names: string[] = [];
  const source = `^${path}$`.replace(VARIABLE, (_m, name: string, pattern: string | undefined) => {
    names.push(name);
    if (pattern === undefined || pattern === '*') return '([^/]+)';
    return `(${pattern.replace(/\*\*/g, '.+').replace(/\*/g, '[^/]+')})`;
  });
  return { regex: new RegExp(source), names };
}

/** The template's variables for `path`, or undefined when it does not match. */
export function matchTemplate(t: PathTemplate, path: string): Record<string, string> | undefined {
  const m = t.regex.exec(path);
  if (m === null) return undefined;
  const vars: Record<string, string> = {};
  t.names.forEach((name, i) => {
    const value = m[i + 1];
    if (value !== undefined) vars[name] = value;
  });
  return vars;
}
