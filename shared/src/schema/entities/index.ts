/** Every entity definition, by table name. */
import { acls } from './acls.ts';
import { basicauthCredentials } from './basicauth-credentials.ts';
import { caCertificates } from './ca-certificates.ts';
import { certificates } from './certificates.ts';
import { consumers } from './consumers.ts';
import { hmacauthCredentials } from './hmacauth-credentials.ts';
import { jwtSecrets } from './jwt-secrets.ts';
import { keyauthCredentials } from './keyauth-credentials.ts';
import { oauth2Credentials, oauth2Tokens } from './oauth2.ts';
import { plugins } from './plugins.ts';
import { routes } from './routes.ts';
import { services } from './services.ts';
import { snis } from './snis.ts';
import { targets } from './targets.ts';
import { upstreams } from './upstreams.ts';
import { vaults } from './vaults.ts';

export const ENTITIES = {
  services,
  routes,
  consumers,
  plugins,
  upstreams,
  targets,
  certificates,
  snis,
  ca_certificates: caCertificates,
  keyauth_credentials: keyauthCredentials,
  basicauth_credentials: basicauthCredentials,
  jwt_secrets: jwtSecrets,
  hmacauth_credentials: hmacauthCredentials,
  oauth2_credentials: oauth2Credentials,
  oauth2_tokens: oauth2Tokens,
  acls,
  vaults,
} as const;
