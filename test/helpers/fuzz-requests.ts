/**
 * A seeded generator of malformed HTTP/1.1 requests for the proxy fuzz run (test/e2e/proxy-fuzz.test.ts).
 * Every case is refused by construction — each mutation breaks a rule the proxy (or node's strict
 * parser) enforces — so any 2xx for it, or any of its bytes reaching the upstream, is a finding.
 * A pipelined case puts well-formed requests before the bad one: those must be answered, in order.
 *
 * Requests carry their case id in `X-Fuzz` (and in the path when the mutation leaves it), so the
 * upstream can tell an expected pipelined request from a refused one that leaked.
 * All bytes are ASCII, so a case's string is written to the socket as is.
 */

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type FuzzFamily = 'request-line' | 'headers' | 'chunked' | 'chunked-streamed' | 'pipelined';

export interface FuzzCase {
  readonly id: string;
  readonly family: FuzzFamily;
  /** What was broken, for the report. */
  readonly mutation: string;
  readonly bytes: string;
  /** Close the client's side after writing (the request cannot wait for more bytes then). */
  readonly halfClose: boolean;
  /** Ids of the well-formed requests before the bad one, answered first (pipelined cases). */
  readonly valid: readonly string[];
}

/** Routes the fuzz run configures: buffered (Kong's default) and request_buffering = false. */
export const FUZZ_PATH = '/fz';
export const STREAMED_PATH = '/st';

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** `what` inserted strictly inside `text`, after `from` characters and before the last one. */
function insertInside(text: string, random: Random, what: string, from = 1): string {
  const at = from + Math.floor(random() * (text.length - from));
  return text.slice(0, at) + what + text.slice(at);
}

/** Control characters node's strict parser refuses in a target or a header (tab excepted). */
const CONTROLS = [...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), '\u007f'].filter(
  (c) => c !== '\t',
);
const BAD_NAME_CHARS = [
  ' ',
  '(',
  ')',
  '"',
  '/',
  '[',
  ']',
  '?',
  '=',
  '{',
  '}',
  '@',
  ',',
  ';',
  '<',
  '>',
  '\\',
  '\u0001',
  '\u007f',
];
const BAD_VERSIONS = [
  'HTTP/2.0',
  'HTTP/3.0',
  'HTTP/1.2',
  'HTTP/0.9',
  'HTTP/1',
  'HTTP/11',
  'http/1.1',
  'HTTP /1.1',
  'HTT/1.1',
  'HTTP/1.1.1',
  'HTTP\\1.1',
  'HTTP/A.B',
  '',
];
const BAD_METHODS = ['get', 'G(T', 'GE T', 'GET\u0001', '', '<>', 'CONNECT', 'FOOBAR', 'G\u007fT'];
const BAD_HOSTS = [
  'a/b',
  'a b',
  '..',
  'a..b',
  'a@b',
  'a\\b',
  'a:',
  ':80',
  'a:99999',
  'a:8a',
  '[::1',
  '[zz]',
  'a%zz',
  'a?b',
  'a#b',
  '',
  '.',
];
const BAD_LENGTHS = ['abc', '-1', '+5', '1.0', '0x10', '1 2', '5,6', '99999999999999999999999'];
const BAD_ENCODINGS = [
  'chunked, identity',
  'gzip',
  'identity',
  'xchunked',
  'chunked, chunked',
  'gzip, chunked, gzip',
];

function head(method: string, target: string, version: string, headers: readonly string[]): string {
  return `${method} ${target}${version === '' ? '' : ` ${version}`}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
}

function goodHeaders(id: string): string[] {
  return ['Host: fuzz.test', `X-Fuzz: ${id}`, 'User-Agent: turnpike-fuzz'];
}

/** A well-formed GET: what pipelined cases put before the bad request. */
export function validRequest(id: string): string {
  return head('GET', `${FUZZ_PATH}/${id}`, 'HTTP/1.1', goodHeaders(id));
}

function requestLineCase(random: Random, id: string): [string, string] {
  const target = `${FUZZ_PATH}/${id}`;
  const headers = goodHeaders(id);
  switch (Math.floor(random() * 6)) {
    case 0: {
      const version = pick(random, BAD_VERSIONS);
      return [`version ${JSON.stringify(version)}`, head('GET', target, version, headers)];
    }
    case 1: {
      const c = pick(random, [...CONTROLS, ' ']);
      return [
        `control or space in the target (${c.charCodeAt(0)})`,
        head('GET', insertInside(target, random, c), 'HTTP/1.1', headers),
      ];
    }
    case 2: {
      const method = pick(random, BAD_METHODS);
      return [`method ${JSON.stringify(method)}`, head(method, target, 'HTTP/1.1', headers)];
    }
    case 3: {
      const form = pick(random, [
        `http://internal.test${target}`,
        '*',
        `fz/${id}`,
        '',
        `//internal.test${target}`,
      ]);
      return [`target form ${JSON.stringify(form.slice(0, 24))}`, head('GET', form, 'HTTP/1.1', headers)];
    }
    case 4: {
      const length = 8200 + Math.floor(random() * 200_000);
      return [
        `target of ${length} bytes`,
        head('GET', `${target}/${'a'.repeat(length)}`, 'HTTP/1.1', headers),
      ];
    }
    default: {
      const at = Math.floor(random() * 3);
      const line = `GET ${target} HTTP/1.1`;
      const broken = at === 0 ? `${line}\n` : at === 1 ? `${line}\r` : `${line}\r\r\n`;
      return ['request line ending', `${broken}${headers.map((h) => `${h}\r\n`).join('')}\r\n`];
    }
  }
}

function headerCase(random: Random, id: string): [string, string] {
  const target = `${FUZZ_PATH}/${id}`;
  const headers = goodHeaders(id);
  const withHeader = (extra: string[], keep = headers) =>
    head('GET', target, 'HTTP/1.1', [...keep, ...extra]);
  switch (Math.floor(random() * 11)) {
    case 0: {
      const c = pick(random, BAD_NAME_CHARS);
      return [`header name with ${JSON.stringify(c)}`, withHeader([`X-B${c}ad: v`])];
    }
    case 1: {
      const c = pick(random, CONTROLS);
      return [`header value with control ${c.charCodeAt(0)}`, withHeader([`X-Bad: a${c}b`])];
    }
    case 2:
      return ['obs-fold', withHeader(['X-Folded: one', ' two'])];
    case 3: {
      const host = pick(random, BAD_HOSTS);
      return [`Host ${JSON.stringify(host)}`, withHeader([`X-Fuzz: ${id}`], [`Host: ${host}`])];
    }
    case 4:
      return ['no Host', withHeader([`X-Fuzz: ${id}`], [])];
    case 5:
      return ['two Host headers', withHeader(['Host: other.test'])];
    case 6: {
      const length = pick(random, BAD_LENGTHS);
      return [`Content-Length ${JSON.stringify(length)}`, withHeader([`Content-Length: ${length}`])];
    }
    case 7:
      return [
        pick(random, ['Content-Length with Transfer-Encoding', 'two Content-Length headers']),
        `${head('POST', target, 'HTTP/1.1', [
          ...headers,
          'Content-Length: 3',
          random() < 0.5 ? 'Transfer-Encoding: chunked' : 'Content-Length: 4',
        ])}abcd`,
      ];
    case 8: {
      const encoding = pick(random, BAD_ENCODINGS);
      return [
        `Transfer-Encoding ${JSON.stringify(encoding)}`,
        `${head('POST', target, 'HTTP/1.1', [...headers, `Transfer-Encoding: ${encoding}`])}0\r\n\r\n`,
      ];
    }
    case 9: {
      const count = 101 + Math.floor(random() * 200);
      return [`${count} more headers`, withHeader(Array.from({ length: count }, (_, i) => `X-H${i}: v`))];
    }
    default: {
      const size = 9000 + Math.floor(random() * 100_000);
      return [
        pick(random, ['a header line without a colon', `a header of ${size} bytes`]),
        random() < 0.5 ? withHeader(['X-Broken']) : withHeader([`X-Big: ${'b'.repeat(size)}`]),
      ];
    }
  }
}

function chunkedCase(random: Random, id: string, path: string): [string, string] {
  const start = head('POST', `${path}/${id}`, 'HTTP/1.1', [...goodHeaders(id), 'Transfer-Encoding: chunked']);
  const data = 'x'.repeat(1 + Math.floor(random() * 40));
  const size = data.length.toString(16);
  const good = `${size}\r\n${data}\r\n`;
  switch (Math.floor(random() * 9)) {
    case 0:
      return ['a chunk longer than its size', `${start}${size}\r\n${data}EXTRA\r\n0\r\n\r\n`];
    case 1:
      return ['a chunk without its CRLF', `${start}${size}\r\n${data}0\r\n\r\n`];
    case 2:
      return [
        'a chunk shorter than its size',
        `${start}${(data.length + 7).toString(16)}\r\n${data}\r\n0\r\n\r\n`,
      ];
    case 3: {
      const bad = pick(random, ['zz', '-1', '0x5', 'g', ' ', '5 5', 'ffffffffffffffffffffff']);
      return [`chunk size ${JSON.stringify(bad)}`, `${start}${good}${bad}\r\n${data}\r\n0\r\n\r\n`];
    }
    case 4:
      return ['no terminating chunk', `${start}${good}`];
    case 5: {
      const trailer = pick(random, ['Content-Length: 5', 'Transfer-Encoding: chunked', 'content-length: 0']);
      return [`trailer ${JSON.stringify(trailer)}`, `${start}${good}0\r\n${trailer}\r\n\r\n`];
    }
    case 6: {
      const c = pick(
        random,
        CONTROLS.filter((x) => x !== '\r' && x !== '\n'),
      );
      return [
        `chunk extension with control ${c.charCodeAt(0)}`,
        `${start}${size};ext${c}=1\r\n${data}\r\n0\r\n\r\n`,
      ];
    }
    case 7:
      return ['LF-only chunk lines', `${start}${size}\n${data}\n0\n\n`];
    default:
      return ['a bare CR after the chunk data', `${start}${size}\r\n${data}\r0\r\n\r\n`];
  }
}

/** `count` cases from `seed`, spread over the families (pipelined ones wrap a bad request). */
export function fuzzCases(seed: number, count: number): FuzzCase[] {
  const random = seededRandom(seed);
  const cases: FuzzCase[] = [];
  for (let n = 0; n < count; n++) {
    const id = `c${seed}-${n}`;
    const roll = random();
    let family: FuzzFamily;
    let mutation: string;
    let bytes: string;
    const valid: string[] = [];
    if (roll < 0.25) {
      family = 'request-line';
      [mutation, bytes] = requestLineCase(random, id);
    } else if (roll < 0.5) {
      family = 'headers';
      [mutation, bytes] = headerCase(random, id);
    } else if (roll < 0.7) {
      family = 'chunked';
      [mutation, bytes] = chunkedCase(random, id, FUZZ_PATH);
    } else if (roll < 0.8) {
      family = 'chunked-streamed';
      [mutation, bytes] = chunkedCase(random, id, STREAMED_PATH);
    } else {
      family = 'pipelined';
      const before = 1 + Math.floor(random() * 3);
      let prefix = '';
      for (let i = 0; i < before; i++) {
        valid.push(`${id}-ok${i}`);
        prefix += validRequest(`${id}-ok${i}`);
      }
      const inner = random();
      const [what, bad] =
        inner < 0.3
          ? requestLineCase(random, id)
          : inner < 0.6
            ? headerCase(random, id)
            : inner < 0.9
              ? chunkedCase(random, id, FUZZ_PATH)
              : [
                  'garbage bytes',
                  `${pick(random, ['GARBAGE', '\u0001\u0002\u0003', '{"json": true}', ' ', '\r\n\r\n\r\n'])}\r\n\r\n`,
                ];
      mutation = `${before} valid, then ${what}`;
      bytes = prefix + bad;
    }
    cases.push({ id, family, mutation, bytes, halfClose: true, valid });
  }
  return cases;
}
