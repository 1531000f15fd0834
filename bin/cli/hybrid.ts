import { DEFAULT_CLUSTER_CERT_DAYS, writeClusterCertificate } from '@turnpike/shared/cluster';
import type { Command } from 'commander';

/** `turnpike hybrid gen_cert [cert] [key]`: the shared cluster certificate, as `kong hybrid gen_cert`. */
export function registerHybrid(program: Command): void {
  const hybrid = program.command('hybrid').description('hybrid mode (control plane / data plane) utilities');
  hybrid
    .command('gen_cert')
    .argument('[cert]', 'where to write the certificate', 'cluster.crt')
    .argument('[key]', 'where to write the private key (mode 0600)', 'cluster.key')
    .description(
      'generate the shared cluster certificate and key (EC P-384, self-signed) for cluster_mtls = shared',
    )
    .option('-d, --days <days>', 'how many days the certificate is valid', String(DEFAULT_CLUSTER_CERT_DAYS))
    .option('--force', 'overwrite existing files')
    .action(async (cert: string, key: string, options: { days: string; force?: boolean }) => {
      const days = Number(options.days);
      await writeClusterCertificate(cert, key, { days, force: options.force === true });
      process.stdout.write(
        `Successfully generated certificate/key pairs, they have been written to: '${cert}' and '${key}'.\n`,
      );
    });
}
