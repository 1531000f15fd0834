/**
 * The SDK boundary: what a plugin hands the context (statuses, header names and values, a query
 * string) is checked when it is handed over, so that nothing a plugin does can split an HTTP
 * message or make node throw later, far from the plugin, in the middle of writing a response.
 * A bad value throws a PluginValueError naming the plugin: the chain catches it like any throw of
 * the plugin (a 500 in rewrite/access/header, logged with the plugin's name).
 *
 * The rules are node's own (validateHeaderName / validateHeaderValue: an RFC 9110 token; no CR,
 * LF, NUL or other control character but tab), so a value that passes here is one node writes.
 * Kong's PDK checks only types and lets nginx escape CR/LF; refusing is louder and hides no bug.
 * Numbers and booleans become strings, as Kong's validate_header does.
 */

import { validateHeaderName, validateHeaderValue } from 'node:http';
import { PluginValueError } from '@turnpike/shared';

/** What the request line cannot carry (undici's own path check): space, controls, beyond Latin-1. */
const NOT_IN_TARGET = /[^\u0021-\u00ff]/;

export function checkHeaderName(plugin: string, name: unknown): string {
  if (typeof name !== 'string') {
    throw new PluginValueError(plugin, `gave a header name of type ${typeof name}, expected a string`);
  }
  try {
    validateHeaderName(name);
  } catch {
    throw new PluginValueError(
      plugin,
      `gave an invalid header name ${JSON.stringify(name)} (not an HTTP token)`,
    );
  }
  return name;
}

export function checkHeaderValue(plugin: string, name: string, value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else {
    throw new PluginValueError(
      plugin,
      `gave header ${name} a value of type ${typeof value}, expected a string, number or boolean`,
    );
  }
  try {
    validateHeaderValue(name, text);
  } catch {
    throw new PluginValueError(
      plugin,
      `gave header ${name} an invalid value ${JSON.stringify(text)} (CR, LF, NUL or another control character)`,
    );
  }
  return text;
}

/** Kong's kong.response.exit range. */
export function checkStatus(plugin: string, status: unknown): number {
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new PluginValueError(
      plugin,
      `gave the status ${JSON.stringify(status)}, expected an integer from 100 to 599`,
    );
  }
  return status;
}

/** A raw query string goes into the request line: no space or control character (it would split it). */
export function checkQuery(plugin: string, query: string): string {
  if (NOT_IN_TARGET.test(query)) {
    throw new PluginValueError(
      plugin,
      `gave an invalid query string ${JSON.stringify(query)} (a space, a control character or a character beyond Latin-1: percent-encode it)`,
    );
  }
  return query;
}

/** A path as a request line carries it: what it cannot carry percent-encoded (UTF-8), `%xx` escapes kept. */
export function checkPath(plugin: string, path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new PluginValueError(
      plugin,
      `gave the path ${JSON.stringify(path)}, expected a string starting with /`,
    );
  }
  return path.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu, (c) => encodeURIComponent(c));
}

const METHOD_TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** An HTTP method: a token, sent uppercase. */
export function checkMethod(plugin: string, method: unknown): string {
  if (typeof method !== 'string' || !METHOD_TOKEN.test(method)) {
    throw new PluginValueError(plugin, `gave the method ${JSON.stringify(method)}, expected an HTTP token`);
  }
  return method.toUpperCase();
}
