/** Why the control plane refuses a data plane: Kong's sync_status words and a sentence. */
export interface Incompatibility {
  syncStatus: 'turnpike_version_incompatible' | 'plugin_set_incompatible';
  message: string;
}

const MAJOR_MINOR = /^(\d+)\.(\d+)\.\d+/;

/**
 * Kong's rule (kong/clustering/utils.lua check_kong_version_compatibility): the majors must be
 * equal, and a data plane may not be on a newer minor than its control plane (it could expect
 * config fields the control plane does not send). Older minors are served.
 */
export function checkVersion(cpVersion: string, dpVersion: string): Incompatibility | undefined {
  const cp = MAJOR_MINOR.exec(cpVersion);
  const dp = MAJOR_MINOR.exec(dpVersion);
  if (cp === null || dp === null) {
    return {
      syncStatus: 'turnpike_version_incompatible',
      message: `data plane version ${JSON.stringify(dpVersion)} is not a semantic version`,
    };
  }
  if (cp[1] !== dp[1]) {
    return {
      syncStatus: 'turnpike_version_incompatible',
      message: `data plane version ${dpVersion} is incompatible with control plane version ${cpVersion} (${cp[1]}.x.y are accepted)`,
    };
  }
  if (Number(dp[2]) > Number(cp[2])) {
    return {
      syncStatus: 'turnpike_version_incompatible',
      message: `data plane version ${dpVersion} is incompatible with older control plane version ${cpVersion}`,
    };
  }
  return undefined;
}

/** Refuses a data plane lacking a plugin the configuration uses, naming each missing one. */
export function checkPlugins(
  inUse: readonly string[],
  dataPlanePlugins: readonly { name: string }[],
): Incompatibility | undefined {
  const has = new Set(dataPlanePlugins.map((p) => p.name));
  const missing = inUse.filter((name) => !has.has(name));
  if (missing.length === 0) return undefined;
  return {
    syncStatus: 'plugin_set_incompatible',
    message: `the configuration uses plugin${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, not installed on the data plane`,
  };
}
