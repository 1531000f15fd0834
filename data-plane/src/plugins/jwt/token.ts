/**
 * JWS compact tokens (Kong's jwt_parser.lua): decode, verify the signature with node:crypto, check
 * the registered claims. Pure apart from the clock, which is passed in.
 */
import { constants, createHmac, type KeyObject, timingSafeEqual, verify } from 'node:crypto';

export interface DecodedToken {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  readonly signingInput: string;
  readonly signature: Buffer;
}

const HMAC: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
const RSA: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' };
const PSS: Record<string, string> = { PS256: 'sha256', PS384: 'sha384', PS512: 'sha512' };
const EC: Record<string, string> = { ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };

export function isSupportedAlgorithm(alg: string): boolean {
  return alg in HMAC || alg in RSA || alg in PSS || alg in EC || alg === 'EdDSA';
}

function json(segment: string): unknown {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

/** The token's parts, or Kong's reason ("invalid JSON", "invalid alg"…). */
export function decodeToken(token: string): DecodedToken | { error: string } {
  const parts = token.split('.');
  if (parts.length !== 3) return { error: 'invalid JSON' };
  const [h, c, s] = parts as [string, string, string];
  let header: unknown;
  let claims: unknown;
  try {
    header = json(h);
    claims = json(c);
  } catch {
    return { error: 'invalid JSON' };
  }
  if (typeof header !== 'object' || header === null) return { error: 'invalid JSON' };
  const alg = (header as { alg?: unknown }).alg;
  if (typeof alg !== 'string' || !isSupportedAlgorithm(alg)) return { error: 'invalid alg' };
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
    return { error: 'invalid claims' };
  return {
    header: header as Record<string, unknown>,
    claims: claims as Record<string, unknown>,
    signingInput: `${h}.${c}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

/** True when the alg is an HMAC one (its key is a shared secret, not a public key). */
export function isHmac(alg: string): boolean {
  return HMAC[alg] !== undefined;
}

/**
 * True when the signature verifies with `key`: the HMAC secret for HS*, else the public key
 * (parsed once per instance, see keys.ts).
 */
export function verifySignature(token: DecodedToken, alg: string, key: Buffer | string | KeyObject): boolean {
  const data = Buffer.from(token.signingInput);
  const hmac = HMAC[alg];
  if (hmac !== undefined) {
    if (typeof key !== 'string' && !Buffer.isBuffer(key)) return false;
    const expected = createHmac(hmac, key).update(data).digest();
    return expected.length === token.signature.length && timingSafeEqual(expected, token.signature);
  }
  if (typeof key === 'string' || Buffer.isBuffer(key)) return false;
  const publicKey = key;
  try {
    if (RSA[alg] !== undefined) return verify(RSA[alg], data, publicKey, token.signature);
    if (PSS[alg] !== undefined) {
      return verify(
        PSS[alg],
        data,
        {
          key: publicKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        },
        token.signature,
      );
    }
    if (EC[alg] !== undefined) {
      return verify(EC[alg], data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, token.signature);
    }
    if (alg === 'EdDSA') return verify(null, data, publicKey, token.signature);
  } catch {
    return false;
  }
  return false;
}

/** Kong's verify_registered_claims: errors by claim name, or undefined when all pass. */
export function checkClaims(
  claims: Record<string, unknown>,
  toVerify: readonly string[],
  nowSeconds: number,
): Record<string, string> | undefined {
  let errors: Record<string, string> | undefined;
  for (const name of toVerify) {
    const value = claims[name];
    let error: string | undefined;
    if (typeof value !== 'number') error = 'must be a number';
    else if (name === 'nbf' && value > nowSeconds) error = 'token not valid yet';
    else if (name === 'exp' && value <= nowSeconds) error = 'token expired';
    if (error === undefined) continue;
    errors ??= {};
    errors[name] = error;
  }
  return errors;
}

/** Kong's check_maximum_expiration. */
export function exceedsMaximumExpiration(
  claims: Record<string, unknown>,
  maximum: number,
  nowSeconds: number,
): boolean {
  if (maximum <= 0) return false;
  const exp = claims.exp;
  return typeof exp !== 'number' || exp - nowSeconds > maximum;
}
