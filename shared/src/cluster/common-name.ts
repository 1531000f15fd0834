/**
 * Which data plane certificates a control plane accepts by their subject common name, in the
 * pki modes. Kong's open-source `pki` checks no CN; Kong Gateway Enterprise's `pki_check_cn`
 * (kong/clustering/tls.lua `common_name_allowed`, kong/tools/utils.lua `get_cn_parent_domain`)
 * does. Turnpike:
 *
 * - with `cluster_allowed_common_names` set (either pki mode), the CN must be one of them, exactly:
 *   a list that is accepted is enforced;
 * - unset, `pki` admits any CN (as Kong), and in `pki_check_cn` the CN's parent domain (the CN without its first label) must equal that of the
 *   control plane's own certificate: `cp.example.com` admits `dp-1.example.com`, not
 *   `dp-1.other.com`, nor `example.com` itself.
 *
 * As in Kong, the control plane's first label may be a wildcard (`*.example.com`), a data
 * plane's may not; and when neither CN has a parent domain (single-label names such as
 * `control-plane` and `data-plane-1`) they agree: "no parent domain" equals "no parent domain".
 */

/** The first label, then a dot, then the parent: Lua's `^[%a%d%*-]+%.(.+)$` (control plane). */
const CONTROL_PLANE_CN = /^[A-Za-z0-9*-]+\.(.+)$/;
/** The same without the wildcard (Lua's `^[%a%d-]+%.(.+)$`), for a data plane's CN. */
const DATA_PLANE_CN = /^[A-Za-z0-9-]+\.(.+)$/;

export type CommonNameCheck = (commonName: string) => boolean;

/** The parent domain of a control plane CN, or undefined when it has none. */
export function parentDomain(commonName: string): string | undefined {
  return CONTROL_PLANE_CN.exec(commonName)?.[1];
}

/**
 * The check for data plane CNs: membership of `allowed` when it is not empty, else (with
 * `parentDomainRule`, pki_check_cn) the parent domain rule against `controlPlaneCommonName`
 * (undefined when the control plane's certificate has no CN, which then admits only data plane
 * CNs without a parent domain), else any CN (pki).
 */
export function commonNameCheck(
  allowed: readonly string[],
  controlPlaneCommonName: string | undefined,
  parentDomainRule = true,
): CommonNameCheck {
  if (allowed.length > 0) {
    const names = new Set(allowed);
    return (commonName) => names.has(commonName);
  }
  if (!parentDomainRule) return () => true;
  const parent = controlPlaneCommonName === undefined ? undefined : parentDomain(controlPlaneCommonName);
  return (commonName) => DATA_PLANE_CN.exec(commonName)?.[1] === parent;
}

/**
 * The first CN of a certificate subject as node:tls or node:crypto give it: an object with a
 * `CN` that is a string or, for several, an array (PeerCertificate.subject), or the text form
 * `CN=a\nO=b` (X509Certificate.subject).
 */
export function firstCommonName(subject: unknown): string | undefined {
  if (typeof subject === 'string') {
    for (const line of subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
    return undefined;
  }
  const cn = (subject as { CN?: unknown } | null | undefined)?.CN;
  if (typeof cn === 'string') return cn;
  if (Array.isArray(cn) && typeof cn[0] === 'string') return cn[0];
  return undefined;
}
