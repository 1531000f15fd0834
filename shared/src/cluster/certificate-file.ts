import { access, chmod, rm, writeFile } from 'node:fs/promises';
import { UsageError } from '../errors.ts';
import {
  type CertificatePair,
  type ClusterCertificateOptions,
  generateClusterCertificate,
} from './certificate.ts';

export interface WriteClusterCertificateOptions extends ClusterCertificateOptions {
  /** Replace existing files instead of refusing (`turnpike hybrid gen_cert --force`). */
  force?: boolean;
}

/**
 * Generates a cluster certificate and writes it as `kong hybrid gen_cert` does: the certificate
 * readable by all (0644), the key by its owner only (0600), and neither file overwritten unless
 * forced. Returns what was written.
 */
export async function writeClusterCertificate(
  certPath: string,
  keyPath: string,
  options: WriteClusterCertificateOptions = {},
): Promise<CertificatePair> {
  const force = options.force === true;
  if (!force) {
    // Both checked before anything is written, so a refusal leaves no half-written pair behind.
    for (const path of [certPath, keyPath]) {
      if (await exists(path)) throw alreadyExists(path);
    }
  }
  const pair = await generateClusterCertificate(options);
  await writeNew(certPath, pair.certPem, 0o644, force);
  try {
    await writeNew(keyPath, pair.keyPem, 0o600, force);
  } catch (error) {
    if (!force) await rm(certPath, { force: true });
    throw error;
  }
  return pair;
}

/**
 * Always creates the file afresh ('wx'): a forced overwrite removes the old file first, so a key
 * never sits, even briefly, in a file that was once world-readable; and without force, 'wx' keeps
 * the no-overwrite promise against a file created since the check above.
 */
async function writeNew(path: string, contents: string, mode: number, force: boolean): Promise<void> {
  if (force) await rm(path, { force: true });
  try {
    await writeFile(path, contents, { mode, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyExists(path);
    throw error;
  }
  // The umask may have narrowed `mode`; the certificate must stay readable by the other plane's user.
  await chmod(path, mode);
}

/** Kong's words ("… already exists.\nWill not overwrite it."), plus how to overwrite anyway. */
function alreadyExists(path: string): UsageError {
  return new UsageError(`${path} already exists.\nWill not overwrite it. Use --force to overwrite.`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
