/**
 * The plugin SDK's version (semver). A plugin may state the SDK it was written for
 * (`handler.sdkVersion`); the loader refuses one whose major version differs from this one.
 */
export const SDK_VERSION = '1.3.0';

/** The major version of a semver string, or undefined when it is not one. */
export function sdkMajor(version: string): number | undefined {
  const match = /^(\d+)\.\d+\.\d+/.exec(version);
  return match === null ? undefined : Number(match[1]);
}
