/** One `key = value` line of a kong.conf-style file. */
export interface ConfLine {
  readonly key: string;
  /** Comment removed, `\#` unescaped, whitespace trimmed; may be empty. */
  readonly value: string;
  /** 1-based. */
  readonly line: number;
}

export interface ConfSyntaxError {
  readonly line: number;
  readonly message: string;
}

export interface ParsedConfText {
  readonly lines: readonly ConfLine[];
  readonly errors: readonly ConfSyntaxError[];
}

/**
 * Parses kong.conf syntax: `key = value` lines, `#` starts a comment (`\#` is a literal `#`),
 * blank lines ignored, whitespace around keys and values trimmed.
 */
export function parseConfText(text: string): ParsedConfText {
  const lines: ConfLine[] = [];
  const errors: ConfSyntaxError[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = stripComment(raw).trim();
    if (content === '') return;
    const eq = content.indexOf('=');
    if (eq === -1) {
      errors.push({ line, message: `expected 'key = value', got '${content}'` });
      return;
    }
    const key = content.slice(0, eq).trim();
    if (!/^[A-Za-z0-9_]+$/.test(key)) {
      errors.push({ line, message: `invalid key '${key}': keys are letters, digits and underscores` });
      return;
    }
    lines.push({ key, value: content.slice(eq + 1).trim(), line });
  });
  return { lines, errors };
}

function stripComment(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '\\' && raw[i + 1] === '#') {
      out += '#';
      i++;
    } else if (ch === '#') {
      break;
    } else {
      out += ch;
    }
  }
  return out;
}
