/**
 * Just enough of the Dockerfile syntax to read what an image runs: its stages and, per stage,
 * ENV, USER, EXPOSE, STOPSIGNAL, WORKDIR, COPY, RUN, and the exec forms of ENTRYPOINT, CMD and HEALTHCHECK.
 */

export interface DockerStage {
  readonly name: string;
  readonly from: string;
  readonly env: Record<string, string>;
  readonly expose: string[];
  /** COPY instructions: `--from` stage, sources, destination. */
  readonly copies: { from?: string; sources: string[]; dest: string }[];
  /** RUN instructions as written. */
  readonly runs: string[];
  user?: string;
  workdir?: string;
  stopSignal?: string;
  /** Exec form only; a shell form is recorded as `['/bin/sh', '-c', text]`. */
  entrypoint?: string[];
  cmd?: string[];
  healthcheck?: { options: string[]; cmd: string[] };
}

/** Instructions with their continuation lines joined and comments dropped. */
function instructions(text: string): { keyword: string; rest: string }[] {
  const out: { keyword: string; rest: string }[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (pending === '' && /^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    if (whole === '') continue;
    const match = /^(\w+)\s+([\s\S]*)$/.exec(whole);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      out.push({ keyword: match[1].toUpperCase(), rest: match[2] });
    }
  }
  return out;
}

function execForm(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as string[];
  return ['/bin/sh', '-c', trimmed];
}

/** `KEY=VALUE` pairs, values optionally double-quoted; the legacy `ENV KEY VALUE` form too. */
export function parseEnvInstruction(rest: string): Record<string, string> {
  const env: Record<string, string> = {};
  if (!/^\w+=/.test(rest.trim())) {
    const [key = '', ...value] = rest.trim().split(/\s+/);
    env[key] = value.join(' ');
    return env;
  }
  for (const match of rest.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const [, key = '', value = ''] = match;
    env[key] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
  }
  return env;
}

export function parseDockerfile(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  for (const { keyword, rest } of instructions(text)) {
    if (keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest);
      stages.push({
        name: match?.[2] ?? String(stages.length),
        from: match?.[1] ?? rest,
        env: {},
        expose: [],
        copies: [],
        runs: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) continue;
    switch (keyword) {
      case 'ENV':
        Object.assign(stage.env, parseEnvInstruction(rest));
        break;
      case 'USER':
        stage.user = rest.trim();
        break;
      case 'WORKDIR':
        stage.workdir = rest.trim();
        break;
      case 'COPY': {
        const words = rest.trim().split(/\s+/);
        const flags = words.filter((w) => w.startsWith('--'));
        const paths = words.filter((w) => !w.startsWith('--'));
        const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
        stage.copies.push({
          ...(from === undefined ? {} : { from }),
          sources: paths.slice(0, -1),
          dest: paths.at(-1) ?? '',
        });
        break;
      }
      case 'RUN':
        stage.runs.push(rest.trim());
        break;
      case 'EXPOSE':
        stage.expose.push(...rest.trim().split(/\s+/));
        break;
      case 'STOPSIGNAL':
        stage.stopSignal = rest.trim();
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = execForm(rest);
        break;
      case 'CMD':
        stage.cmd = execForm(rest);
        break;
      case 'HEALTHCHECK': {
        const at = rest.search(/\bCMD\b/);
        if (at < 0) break;
        stage.healthcheck = {
          options: rest.slice(0, at).trim().split(/\s+/).filter(Boolean),
          cmd: execForm(rest.slice(at + 3)),
        };
        break;
      }
    }
  }
  return stages;
}

export function stageNamed(stages: readonly DockerStage[], name: string): DockerStage {
  const stage = stages.find((s) => s.name === name);
  if (stage === undefined)
    throw new Error(`no stage named ${name} (have ${stages.map((s) => s.name).join(', ')})`);
  return stage;
}

/** The node binaries of the two images: Alpine's on PATH, distroless's at /nodejs/bin/node. */
const IMAGE_NODES = new Set(['node', '/nodejs/bin/node']);
/** The repository root inside the images (their WORKDIR, where the build copies the sources). */
const IMAGE_ROOT = '/app/';

/**
 * An exec-form command of an image, as it runs on this machine: the image's node becomes `node`
 * (this process's by default) and /app/… paths are the repository's.
 */
export function localImageCommand(
  cmd: readonly string[],
  repoRoot: string,
  node = process.execPath,
): { command: string; args: string[] } {
  const [program, ...args] = cmd;
  if (program === undefined || !IMAGE_NODES.has(program))
    throw new Error(`not a node command: ${cmd.join(' ')}`);
  const local = args.map((arg) =>
    arg.startsWith(IMAGE_ROOT) ? `${repoRoot}/${arg.slice(IMAGE_ROOT.length)}` : arg,
  );
  return { command: node, args: local };
}
