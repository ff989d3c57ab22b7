import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Later CLI tags carry a `replace` directive that `go install` refuses; v1.5.1 is the newest that builds this way. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** Outside the clone, so a machine builds the CLI once for every checkout and CI run. */
export function cliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheRoot = env.ROLLCALL_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rollcall');
  return join(cacheRoot, 'temporal-cli-v1.5.1');
}

export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go install';

export interface LocatedCli {
  path: string;
  source: CliSource;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  return (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find(isExecutable);
}

/** Finds a temporal binary without building anything: TEMPORAL_CLI_PATH, then PATH, then the cached build. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): LocatedCli | undefined {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI_PATH: "${explicit}" is not an executable file`);
    return { path: explicit, source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const cached = join(cliCacheDir(env), 'temporal');
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

/** A working `go` (on PATH, else the usual install place), if there is one. */
export function goBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const go = onPath('go', env) ?? ['/usr/local/go/bin/go'].find(isExecutable);
  return go && spawnSync(go, ['version']).status === 0 ? go : undefined;
}

/** Builds the CLI with `go install` into the cache, printing progress while it runs (minutes on a cold module cache). */
export async function buildTemporalCli(
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LocatedCli | undefined> {
  const go = goBinary(env);
  if (!go) return undefined;
  const gobin = cliCacheDir(env);
  mkdirSync(gobin, { recursive: true });
  log(
    `Building the Temporal CLI with Go (${TEMPORAL_CLI_MODULE}) into ${gobin}; first run only, this takes a few minutes...`,
  );
  const started = Date.now();
  const ticker = setInterval(
    () => log(`  still building the Temporal CLI (${Math.round((Date.now() - started) / 1000)} s)...`),
    20_000,
  );
  try {
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(go, ['install', TEMPORAL_CLI_MODULE], {
        env: { ...env, GOBIN: gobin },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.on('error', () => resolve(null));
      child.on('close', resolve);
    });
    if (code !== 0) {
      log(`go install failed:\n${output.join('').split('\n').slice(-15).join('\n')}`);
      return undefined;
    }
    log(`Built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)} s.`);
    return { path: join(gobin, 'temporal'), source: 'go install' };
  } finally {
    clearInterval(ticker);
  }
}

export const NO_TEMPORAL_CLI_HELP = [
  'Could not find or build the Temporal CLI (needed to run a local Temporal dev server). Fix one of:',
  '  - set TEMPORAL_ADDRESS to a running Temporal server (then no dev server is started);',
  '  - set TEMPORAL_CLI_PATH to a `temporal` binary, or put `temporal` on PATH (https://docs.temporal.io/cli);',
  `  - install Go (1.22 or later) so Rollcall can run \`go install ${TEMPORAL_CLI_MODULE}\`;`,
  '  - allow internet access so the Temporal SDK can download its dev server.',
].join('\n');
