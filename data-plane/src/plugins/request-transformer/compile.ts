/** request-transformer's config compiled once per instance (configure): entries split, templates parsed. */
import { pairOf } from './pairs.ts';
import type { RequestTransformerConfig } from './schema.ts';
import { compileTemplate, type Piece } from './template.ts';

/** One `name:value` entry; `value` is the compiled template (undefined: the entry has none). */
export interface Entry {
  readonly name: string;
  readonly value: readonly Piece[] | undefined;
}

export interface Ops {
  readonly remove: readonly Entry[];
  readonly rename: readonly Entry[];
  readonly replace: readonly Entry[];
  readonly add: readonly Entry[];
  readonly append: readonly Entry[];
  readonly any: boolean;
}

export interface Compiled {
  readonly method: string | undefined;
  readonly uri: readonly Piece[] | undefined;
  readonly headers: Ops;
  readonly querystring: Ops;
  readonly body: Ops;
}

function entries(list: readonly string[]): Entry[] {
  return list.map((item) => {
    const { name, value } = pairOf(item);
    if (value === '') return { name, value: undefined };
    const compiled = compileTemplate(value);
    // The schema refused any template that does not compile.
    return { name, value: 'error' in compiled ? [value] : compiled };
  });
}

type Part = 'body' | 'headers' | 'querystring';

function ops(conf: RequestTransformerConfig, part: Part): Ops {
  const o = {
    remove: entries(conf.remove[part]),
    rename: entries(conf.rename[part]),
    replace: entries(conf.replace[part]),
    add: entries(conf.add[part]),
    append: entries(conf.append[part]),
  };
  const any = o.remove.length + o.rename.length + o.replace.length + o.add.length + o.append.length > 0;
  return { ...o, any };
}

export function compile(conf: RequestTransformerConfig): Compiled {
  const uri = conf.replace.uri == null ? undefined : compileTemplate(conf.replace.uri);
  return {
    method: conf.http_method == null ? undefined : conf.http_method.toUpperCase(),
    uri: uri === undefined || 'error' in uri ? undefined : uri,
    headers: ops(conf, 'headers'),
    querystring: ops(conf, 'querystring'),
    body: ops(conf, 'body'),
  };
}
