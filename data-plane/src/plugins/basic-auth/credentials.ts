/** Reading `Authorization: Basic …` (Kong's retrieve_credentials), pure. */

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

const BASIC = /^\s*basic\s+(\S+)\s*$/i;

/** The username and password of a Basic header value; undefined when it is not one. */
export function parseBasic(value: string | undefined): BasicCredentials | undefined {
  if (value === undefined) return undefined;
  const match = BASIC.exec(value);
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
