import { SECTIONS } from './keys.ts';
import { CONFIG_KEYS, type ConfigKeyInfo } from './schema.ts';

const HEADER = `# ------------------------------------------------------------------------------
# Turnpike configuration file (turnpike.conf)
# ------------------------------------------------------------------------------
#
# Every setting below is commented out and shows its default: uncomment a line
# and change its value to override it. The key names are Kong's (kong.conf).
#
# Syntax: \`key = value\`. \`#\` starts a comment; write \\# for a literal #.
# Booleans are on/off (or true/false); lists are comma-separated.
#
# Every key can also be set from the environment, which wins over this file:
#   TURNPIKE_<KEY>=value          e.g. TURNPIKE_PG_PORT=5433
#   TURNPIKE_<KEY>_FILE=/path     the value is the file's content (for secrets)
# Kong's KONG_<KEY> and KONG_<KEY>_FILE are read too; TURNPIKE_* wins over them.
#
# A kong.conf can be used as it is: Kong's nginx-level names of these keys are
# aliases (nginx_worker_processes = worker_processes, ...), Kong keys that mean
# nothing here (nginx_*, lua_*, db_cache_ttl, ...) are accepted with a warning
# that lists them, and Kong keys Turnpike does not do yet (stream_listen, ...)
# are refused, naming the key and where it was set.
#
# Loaded from: -c <file>, else $TURNPIKE_CONF, else /etc/turnpike/turnpike.conf.
# Check a file with: turnpike check <file>`;

const RULE = '#------------------------------------------------------------------------------';

/**
 * The text of turnpike.conf.default: every key that does something, commented out, with its
 * default and description. Keys accepted without effect yet (`notImplemented`) are left out.
 */
export function renderConfTemplate(keys: readonly ConfigKeyInfo[] = CONFIG_KEYS): string {
  const out: string[] = [HEADER];
  let section: string | undefined;
  for (const key of keys) {
    if (key.notImplemented !== undefined) continue;
    if (key.section !== section) {
      section = key.section;
      out.push('', RULE, `# ${SECTIONS[key.section]}`, RULE);
    }
    out.push('', ...wrap(describe(key), 78).map((line) => `# ${line}`), templateLine(key));
  }
  return `${out.join('\n')}\n`;
}

/** `#key = default`, the line a key must have in turnpike.conf.default. */
export function templateLine(key: ConfigKeyInfo): string {
  return `#${key.name} = ${(key.default ?? '').replaceAll('#', '\\#')}`.trimEnd();
}

function describe(key: ConfigKeyInfo): string {
  return key.secret ? `${key.description} Secret: never shown in logs or output.` : key.description;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
