/**
 * The Go programs cluster mode runs, built from source once per machine with `go install` into the cache
 * outside the clone (like the Temporal CLI, src/infra/temporal-cli.ts): temporal-server and temporal-sql-tool
 * v1.29.1 (the release docker-compose.yml runs), with the PostgreSQL schema copied from the module source next
 * to them, and the Temporal UI server v2.42.1.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { goBinary } from '../infra/temporal-cli.js';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const UI_SERVER_VERSION = 'v2.42.1';

export interface Binaries {
  temporalServer: string;
  sqlTool: string;
  /** `.../schema/postgresql/v12`, holding `temporal/versioned` and `visibility/versioned`. */
  schemaDir: string;
  uiServer: string;
}

interface Target {
  label: string;
  dir: string;
  /** `go install` arguments (one module, so one build). */
  packages: string[];
  /** Module source dir in GOMODCACHE and what to copy from it into the cache dir. */
  module: string;
  copy: Array<[from: string, to: string]>;
  /** Files that must exist for the target to count as built. */
  outputs: string[];
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.ROLLCALL_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rollcall');
}

function targets(env: NodeJS.ProcessEnv): { server: Target; ui: Target } {
  const root = cacheRoot(env);
  const serverDir = join(root, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const uiDir = join(root, `temporal-ui-server-${UI_SERVER_VERSION}`);
  return {
    server: {
      label: `temporal-server and temporal-sql-tool ${TEMPORAL_SERVER_VERSION}`,
      dir: serverDir,
      packages: [
        `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`,
        `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
      ],
      module: `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`,
      copy: [['schema/postgresql/v12', 'schema/postgresql/v12']],
      outputs: [
        'server',
        'sql',
        'schema/postgresql/v12/temporal/versioned',
        'schema/postgresql/v12/visibility/versioned',
      ],
    },
    ui: {
      label: `Temporal UI server ${UI_SERVER_VERSION}`,
      dir: uiDir,
      packages: [`github.com/temporalio/ui-server/v2/cmd/server@${UI_SERVER_VERSION}`],
      module: `github.com/temporalio/ui-server/v2@${UI_SERVER_VERSION}`,
      copy: [],
      outputs: ['server'],
    },
  };
}

const built = (target: Target) => target.outputs.every((output) => existsSync(join(target.dir, output)));

function binariesOf(env: NodeJS.ProcessEnv): Binaries {
  const { server, ui } = targets(env);
  return {
    temporalServer: join(server.dir, 'server'),
    sqlTool: join(server.dir, 'sql'),
    schemaDir: join(server.dir, 'schema/postgresql/v12'),
    uiServer: join(ui.dir, 'server'),
  };
}

/** The cached build, or undefined when any part is missing. */
export function findBinaries(env: NodeJS.ProcessEnv = process.env): Binaries | undefined {
  const { server, ui } = targets(env);
  return built(server) && built(ui) ? binariesOf(env) : undefined;
}

/** Runs a command to its end, collecting stdout and stderr together. */
export async function runCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('error', (error) => {
      output.push(String(error));
      resolve(null);
    });
    child.on('close', resolve);
  });
  return { code, output: output.join('') };
}

async function build(go: string, target: Target, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  mkdirSync(target.dir, { recursive: true });
  log(`Building ${target.label} with Go into ${target.dir} (first run only; a few minutes)...`);
  const started = Date.now();
  const ticker = setInterval(
    () => log(`  still building ${target.label} (${Math.round((Date.now() - started) / 1000)} s)...`),
    30_000,
  );
  try {
    const installed = await runCommand(go, ['install', ...target.packages], { ...env, GOBIN: target.dir });
    if (installed.code !== 0)
      throw new Error(
        `go install ${target.packages.join(' ')} failed:\n${installed.output.split('\n').slice(-20).join('\n')}`,
      );
    // go install left the module source in GOMODCACHE: copy what the programs need at run time next to them,
    // so a later `go clean -modcache` does not break the cached build.
    const modCache = (await runCommand(go, ['env', 'GOMODCACHE'], env)).output.trim();
    for (const [from, to] of target.copy)
      cpSync(join(modCache, target.module, from), join(target.dir, to), { recursive: true });
  } finally {
    clearInterval(ticker);
  }
  log(`Built ${target.label} in ${Math.round((Date.now() - started) / 1000)} s.`);
}

/** The cached build; builds whatever is missing (both in parallel). Throws with a readable message when it cannot. */
export async function ensureBinaries(
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Binaries> {
  const missing = Object.values(targets(env)).filter((target) => !built(target));
  if (missing.length === 0) return binariesOf(env);
  const go = goBinary(env);
  if (!go) {
    throw new Error(
      `Cluster mode needs ${missing.map((target) => target.label).join(' and ')}, built once with Go (1.23 or later) into ${cacheRoot(env)}; no \`go\` found. Install Go, or run the same topology with Docker: docker compose up.`,
    );
  }
  await Promise.all(missing.map((target) => build(go, target, env, log)));
  return binariesOf(env);
}
