/**
 * Kong compiles regex route paths with PCRE; we run JS RegExp. The common PCRE-only syntax is
 * translated so that paths written for Kong keep working, and both the schema check and the
 * router compile through here so they agree on what is valid.
 */

/** Rewrites PCRE-only syntax into its JS equivalent. */
export function translatePcre(source: string): string {
  let out = source
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>') // named group
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>') // named back-reference
    .replace(/\\A/g, '^')
    .replace(/\\[zZ]/g, '$');
  // A leading inline flag group applies to the whole pattern: JS only has scoped modifiers.
  const inline = /^\(\?([ims]+)\)/.exec(out);
  if (inline !== null) out = `(?${inline[1]}:${out.slice(inline[0].length)})`;
  return out;
}

/**
 * Compiles a route path regex (without its `~` prefix) anchored at the start of the path,
 * as Kong's router does (PCRE "a" option). Throws SyntaxError when invalid.
 */
export function compileRoutePathRegex(source: string): RegExp {
  return new RegExp(`^(?:${translatePcre(source)})`);
}
