import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_DECLARATIONS } from '../workflows/search-attributes.js';
import { NO_TEMPORAL_CLI_HELP, buildTemporalCli, findTemporalCli, type LocatedCli } from './temporal-cli.js';
import { lowerPriority, stopChild } from './processes.js';

export interface DevServerOptions {
  /** SQLite file that keeps workflows across restarts; omitted = in memory (tests). */
  dbFile?: string;
  port: number;
  /** Web UI port; omitted = headless. */
  uiPort?: number;
  /** The Web UI's remote codec (`--ui-codec-endpoint`): the API's /codec, so the UI shows decrypted payloads. */
  uiCodecEndpoint?: string;
  namespace: string;
  /** `--sqlite-pragma` values on top of DEV_SQLITE_PRAGMAS (the dev server accepts journal_mode and synchronous). */
  sqlitePragmas?: Record<string, string>;
  /** `--dynamic-config-value` settings, values as JSON (e.g. `{ 'history.maximumBufferedEventsBatch': '1000' }`). */
  dynamicConfig?: Record<string, string>;
  log: (line: string) => void;
  /** Run at a CPU priority this much lower than this process's (Config.backgroundNice); default 0. */
  nice?: number;
}

export interface RunningTemporal {
  address: string;
  uiUrl?: string;
  /** How the binary was found, for the start-up banner. */
  source: LocatedCli['source'] | 'sdk download';
  stop: () => Promise<void>;
}

/** Polls the frontend until it answers a gRPC call, so callers never race the server's start-up. */
export async function waitForTemporal(
  address: string,
  timeoutMs: number,
  exited?: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = exited?.();
    if (why) throw new Error(why);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`Temporal at ${address} did not become ready within ${timeoutMs / 1000} s: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * For a dev server with a SQLite file. SQLite's defaults (rollback journal, synchronous=FULL) fsync several
 * times per commit and every signal is several commits: WAL with synchronous=NORMAL took signalWithStart 3-6x
 * faster in bench/tuning/sqlite-pragmas.ts (median 58 → 207 workflow starts/s, 139 → 700 signals/s). The cost:
 * a power loss or OS crash (not a process crash) may lose the last commits, never corrupt the file.
 * synchronous=OFF was another ~30% but may corrupt the file on power loss.
 */
export const DEV_SQLITE_PRAGMAS: Readonly<Record<string, string>> = { journal_mode: 'WAL', synchronous: 'NORMAL' };

const pragmasOf = (options: DevServerOptions) =>
  options.dbFile ? { ...DEV_SQLITE_PRAGMAS, ...options.sqlitePragmas } : {};

function devServerArgs(options: DevServerOptions): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
  ];
  args.push(...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]));
  if (options.uiPort !== undefined && options.uiCodecEndpoint)
    args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const [pragma, value] of Object.entries(pragmasOf(options))) args.push('--sqlite-pragma', `${pragma}=${value}`);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {}))
    args.push('--dynamic-config-value', `${key}=${value}`);
  for (const declaration of SEARCH_ATTRIBUTE_DECLARATIONS) args.push('--search-attribute', declaration);
  return args;
}

async function spawnDevServer(cli: LocatedCli, options: DevServerOptions): Promise<RunningTemporal> {
  if (options.dbFile) mkdirSync(dirname(options.dbFile), { recursive: true });
  const child: ChildProcess = spawn(cli.path, devServerArgs(options), { stdio: ['ignore', 'ignore', 'pipe'] });
  lowerPriority(child.pid, options.nice ?? 0);
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (stderr.length > 50) stderr.shift();
  });
  let exitCode: number | null | undefined;
  child.on('exit', (code) => (exitCode = code));
  const address = `127.0.0.1:${options.port}`;
  try {
    await waitForTemporal(address, 60_000, () =>
      exitCode === undefined
        ? undefined
        : `Temporal dev server exited with code ${exitCode}:\n${stderr.join('').slice(-2_000)}`,
    );
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    address,
    uiUrl: options.uiPort === undefined ? undefined : `http://localhost:${options.uiPort}`,
    source: cli.source,
    stop: () => stopChild(child),
  };
}

/** Last resort: the SDK downloads a dev server itself (needs internet). */
async function sdkDevServer(options: DevServerOptions): Promise<RunningTemporal> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip: '127.0.0.1',
      port: options.port,
      namespace: options.namespace,
      dbFilename: options.dbFile,
      ui: options.uiPort !== undefined,
      uiPort: options.uiPort,
      extraArgs: [
        ...(options.uiPort !== undefined && options.uiCodecEndpoint
          ? ['--ui-codec-endpoint', options.uiCodecEndpoint]
          : []),
        ...SEARCH_ATTRIBUTE_DECLARATIONS.flatMap((declaration) => ['--search-attribute', declaration]),
        ...Object.entries(pragmasOf(options)).flatMap(([pragma, value]) => ['--sqlite-pragma', `${pragma}=${value}`]),
        ...Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => [
          '--dynamic-config-value',
          `${key}=${value}`,
        ]),
      ],
    },
  });
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: options.uiPort === undefined ? undefined : `http://localhost:${options.uiPort}`,
    source: 'sdk download',
    stop: () => env.teardown(),
  };
}

/** Starts a Temporal dev server with the binary found in the order DESIGN.md gives, building it when needed. */
export async function startTemporalDevServer(options: DevServerOptions): Promise<RunningTemporal> {
  const cli = findTemporalCli() ?? (await buildTemporalCli(options.log));
  if (cli) return spawnDevServer(cli, options);
  options.log('No temporal binary and no Go toolchain: trying the Temporal SDK download...');
  try {
    return await sdkDevServer(options);
  } catch (error) {
    throw new Error(`${NO_TEMPORAL_CLI_HELP}\n(SDK download failed: ${String(error)})`);
  }
}
