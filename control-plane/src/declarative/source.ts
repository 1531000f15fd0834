/**
 * Declarative text → a plain document, and a way back from a path in that document to the
 * line it was written on. JSON is tried first for `.json` files and unnamed input, as Kong does.
 *
 * YAML: the `yaml` package's Document API keeps source ranges (the lines problems name), its
 * errors are the ones users see, and it bounds aliases; but it costs 70–140 ms for a 1,000-route
 * file, at every DB-less start. So a plain file — no anchor, alias, tag or merge key, where
 * js-yaml's core schema and `yaml`'s core schema read the same values — is read by js-yaml
 * (10–20 ms), and the Document is made only if a problem's line is asked for. Anything else, and
 * any text js-yaml refuses, goes the Document way (its error message, its alias bound).
 */
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Segment } from './problems.ts';

export type LineLocator = (segments: readonly Segment[]) => number | undefined;

export type DecodeResult =
  | { readonly ok: true; readonly value: unknown; readonly locate: LineLocator }
  | { readonly ok: false; readonly message: string; readonly line?: number };

const NO_LINES: LineLocator = () => undefined;

/** The line of the deepest node of `segments` that exists in the document (a missing field → its entry). */
function locator(doc: Document, lines: LineCounter): LineLocator {
  return (segments) => {
    let node: unknown = doc.contents;
    let offset = (doc.contents as { range?: [number] } | null)?.range?.[0];
    for (const segment of segments) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (pair === undefined) break;
        offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as { range?: [number] } | undefined;
        if (item === undefined) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    return offset === undefined ? undefined : lines.linePos(offset).line;
  };
}

function yamlDocument(text: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  // merge: YAML 1.1 merge keys (`<<: *defaults`), which libyaml-based Kong reads.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, merge: true });
  return { doc, lines };
}

/** Lines found on the first call only: the Document is made when a problem is located. */
function lazyLocator(text: string): LineLocator {
  let locate: LineLocator | undefined;
  return (segments) => {
    if (locate === undefined) {
      const { doc, lines } = yamlDocument(text);
      locate = doc.errors.length === 0 ? locator(doc, lines) : NO_LINES;
    }
    return locate(segments);
  };
}

/**
 * What only the Document reads alike: anchors and aliases (`&a`, `*a`: the alias bound), tags
 * (`!tag`), merge keys (`<<`). YAML has them only at the start of a node: after a line's start,
 * a blank, `[`, `{` or `,`. So `*.example.com` in quotes or `a=1&b=2` in a URL keep the fast way;
 * a match inside a string merely takes the Document way.
 */
const NEEDS_DOCUMENT = /(?:^|[\s[{,])[&*!]|<</m;

function fromYaml(text: string): DecodeResult {
  if (!NEEDS_DOCUMENT.test(text)) {
    try {
      const value = loadYaml(text, { schema: CORE_SCHEMA });
      return { ok: true, value: value ?? null, locate: lazyLocator(text) };
    } catch {
      // Refused: the Document says why, in the words (and at the line) users see.
    }
  }
  return fromDocument(text);
}

function fromDocument(text: string): DecodeResult {
  const { doc, lines } = yamlDocument(text);
  const error = doc.errors[0];
  if (error !== undefined) {
    const line = error.pos === undefined ? undefined : lines.linePos(error.pos[0]).line;
    return {
      ok: false,
      message: error.message.split('\n')[0] ?? error.message,
      ...(line === undefined ? {} : { line }),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    // The alias bound ("Excessive alias count …"): refused as input, never thrown at the caller.
    return { ok: false, message: (err as Error).message };
  }
  return { ok: true, value, locate: locator(doc, lines) };
}

function fromJson(text: string): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  // JSON is YAML too: its Document gives the lines, when a problem asks for one.
  return { ok: true, value, locate: lazyLocator(text) };
}

/** Decodes by file name (`.json`, `.yml`, `.yaml`), or JSON then YAML when there is none. */
export function decodeDeclarative(text: string, filename?: string): DecodeResult {
  const isJson = filename === undefined || /json$/i.test(filename);
  const isYaml = filename === undefined || /ya?ml$/i.test(filename);
  if (!isJson && !isYaml)
    return { ok: false, message: `unknown file type: ${filename}. (Accepted types: json, yaml)` };
  if (isJson) {
    const json = fromJson(text);
    if (json.ok || !isYaml) return json;
  }
  return fromYaml(text);
}
