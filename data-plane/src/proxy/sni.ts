/**
 * The TLS listeners' SNICallback: the certificate for a server name comes from the Runtime current
 * at handshake time, so a new config version's certificates serve the next connection without
 * restarting a listener. No match leaves the listener's default certificate in place.
 */

import type { SecureContext } from 'node:tls';
import type { RuntimeSource } from '../runtime/index.ts';
import { findCertificate } from '../runtime/index.ts';

export type SniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;

export function sniCallback(holder: RuntimeSource): SniCallback {
  return (servername, cb) => {
    cb(null, findCertificate(holder.current.certificates, servername));
  };
}
