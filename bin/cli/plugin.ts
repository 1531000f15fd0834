import { NODE_MODULES } from '@turnpike/shared/plugins';
import type { Command } from 'commander';
import { installPlugin } from '../plugin/install.ts';
import { packPlugin } from '../plugin/pack.ts';
import { signFile, verifyFile } from '../plugin/signature.ts';
import { writeTemplate } from '../plugin/template.ts';
import { type ConfigOptions, loadCliConfig, withConfigOptions } from './config.ts';

/** `turnpike plugin init|pack|sign|verify|install`: Kong's "installation and distribution" guide, for TypeScript. */
export function registerPlugin(program: Command): void {
  const plugin = program
    .command('plugin')
    .description('write, pack, sign, verify and install custom plugins');

  plugin
    .command('init')
    .argument('<name>', 'the plugin name (lowercase letters, digits and -)')
    .option('-d, --dir <parent>', 'the folder to create it in', '.')
    .description(
      'write a template plugin: handler, schema, a test with the SDK harness, package.json, README',
    )
    .action(async (name: string, options: { dir: string }) => {
      const dir = await writeTemplate(name, options.dir);
      process.stdout.write(`wrote plugin ${name} in ${dir}\n`);
    });

  plugin
    .command('pack')
    .argument('<dir>', 'the plugin folder')
    .option('-o, --out <file>', 'the tarball to write (default <name>-<version>.tgz)')
    .description(
      'check a plugin as a node loads it, and pack it with its manifest (name, version, SDK range, sha256 of every file)',
    )
    .action(async (dir: string, options: { out?: string }) => {
      const { file, manifest } = await packPlugin(dir, options.out);
      process.stdout.write(
        `packed ${manifest.name} ${manifest.version} (plugin SDK ${manifest.sdk}, ${Object.keys(manifest.files).length} files) into ${file}\n`,
      );
    });

  plugin
    .command('sign')
    .argument('<tarball>', 'the tarball to sign')
    .requiredOption('--key <key.pem>', 'the ECDSA P-256 private key (PEM)')
    .option('-o, --out <file>', 'the signature file (default <tarball>.sig)')
    .description("write a detached signature (ECDSA P-256, SHA-256; base64 DER, cosign sign-blob's format)")
    .action(async (tarball: string, options: { key: string; out?: string }) => {
      const out = await signFile(tarball, options.key, options.out);
      process.stdout.write(`signed ${tarball}: ${out}\n`);
    });

  plugin
    .command('verify')
    .argument('<tarball>', 'the tarball to verify')
    .requiredOption('--key <key.pub>', 'the ECDSA P-256 public key (PEM)')
    .option(
      '--signature <file>',
      'the signature (default <tarball>.sig; a cosign sign-blob signature or bundle works too)',
    )
    .description("verify a tarball's detached signature")
    .action(async (tarball: string, options: { key: string; signature?: string }) => {
      await verifyFile(tarball, options.key, options.signature);
      process.stdout.write('Verified OK\n');
    });

  withConfigOptions(
    plugin
      .command('install')
      .argument('<source>', 'a tarball (turnpike plugin pack, or npm pack), a plugin folder, or an npm spec')
      .option(
        '--verify-key <key.pub>',
        'refuse the tarball unless its signature verifies with this public key',
      )
      .option('--signature <file>', 'the signature (default <tarball>.sig)')
      .option(
        '--target <dir>',
        'install into this folder instead of the first plugin_paths entry or node_modules',
      )
      .option('--force', 'replace an installed version')
      .description(
        'install a plugin where this node finds it (the first plugin_paths entry, else node_modules), refusing a tampered tarball, a bad signature or an SDK range this node does not satisfy',
      ),
  ).action(
    async (
      source: string,
      options: ConfigOptions & { verifyKey?: string; signature?: string; target?: string; force?: boolean },
    ) => {
      const { config } = await loadCliConfig(options);
      const installed = await installPlugin(source, {
        pluginPaths: config.plugin_paths,
        nodeModules: NODE_MODULES,
        ...(options.verifyKey === undefined ? {} : { verifyKey: options.verifyKey }),
        ...(options.signature === undefined ? {} : { signature: options.signature }),
        ...(options.target === undefined ? {} : { target: options.target }),
        ...(options.force === undefined ? {} : { force: options.force }),
      });
      process.stdout.write(
        `installed ${installed.name} ${installed.version} into ${installed.dir}\nenable it on every node: plugins = bundled,${installed.name}\n`,
      );
    },
  );
}
