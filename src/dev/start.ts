import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { migrate } from '../db/migrate.js';
import { provideDatabase } from '../infra/database.js';
import { isListening } from '../infra/ports.js';
import { killDescendantsOnExit, lowerPriority, stopChild } from '../infra/processes.js';
import { runMain } from '../infra/run-main.js';
import { dataDirPayloadKey, payloadKeyFile } from '../infra/secrets.js';
import { startTemporalDevServer, waitForTemporal } from '../infra/temporal-server.js';
import { createLogger, type Logger } from '../logger.js';

/**
 * `npm start`: the whole system on one machine. Starts what is missing (embedded PostgreSQL when
 * DATABASE_URL is unset, a Temporal dev server when TEMPORAL_ADDRESS is unset), applies migrations,
 * runs the worker and the API as child processes, and stops everything on Ctrl-C. Data stays in DATA_DIR.
 */

const DEV_TEMPORAL_PORT = 7233;
const say = (line: string) => process.stdout.write(`${line}\n`);

type Stop = () => Promise<void>;

async function provideTemporal(config: Config, stops: Stop[]): Promise<{ address: string; uiUrl?: string }> {
  if (config.temporal.address) {
    await waitForTemporal(config.temporal.address, 10_000).catch((error: unknown) => {
      throw new ConfigError(
        `Invalid configuration:\n  TEMPORAL_ADDRESS: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    return { address: config.temporal.address };
  }
  if (await isListening(DEV_TEMPORAL_PORT)) {
    say(`Something already listens on 127.0.0.1:${DEV_TEMPORAL_PORT}; using it as the Temporal server.`);
    const address = `127.0.0.1:${DEV_TEMPORAL_PORT}`;
    await waitForTemporal(address, 10_000);
    return { address, uiUrl: `http://localhost:${config.temporal.uiPort}` };
  }
  if (await isListening(config.temporal.uiPort)) {
    throw new ConfigError(
      `Invalid configuration:\n  TEMPORAL_UI_PORT: port ${config.temporal.uiPort} is taken; free it or set TEMPORAL_UI_PORT`,
    );
  }
  const dbFile = resolve(config.dataDir, 'temporal.sqlite');
  say(`Starting the Temporal dev server on 127.0.0.1:${DEV_TEMPORAL_PORT} (history in ${dbFile})...`);
  const temporal = await startTemporalDevServer({
    dbFile,
    port: DEV_TEMPORAL_PORT,
    uiPort: config.temporal.uiPort,
    // The UI decodes encrypted payloads through the API (which answers once it is up).
    uiCodecEndpoint: `http://localhost:${config.port}/codec`,
    namespace: config.temporal.namespace,
    log: say,
    nice: config.backgroundNice,
  });
  stops.push(temporal.stop);
  return temporal;
}

function startChild(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  onUnexpectedExit: () => void,
  nice: number,
): ChildProcess {
  const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  lowerPriority(child.pid, nice);
  child.on('exit', (code, signal) => {
    if (code !== 0 || signal) logger.warn({ child: name, code, signal }, 'child process exited');
    onUnexpectedExit();
  });
  return child;
}

async function waitForApi(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = await fetch(`${url}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the API did not become ready at ${url}/readyz within ${timeoutMs / 1000} s`);
}

/** Ports the API and the worker will listen on: taken ones stop the start before anything is started. */
async function checkPortsFree(config: Config): Promise<void> {
  const ports: Array<[string, number]> = [
    ['PORT', config.port],
    ['WORKER_METRICS_PORT', config.workerMetricsPort],
    ['SDK_METRICS_PORT', config.sdkMetricsPort],
  ];
  for (const [variable, port] of ports) {
    if (port && (await isListening(port)))
      throw new ConfigError(`Invalid configuration:\n  ${variable}: port ${port} is taken; free it or set ${variable}`);
  }
}

runMain('rollcall', async () => {
  const config = loadConfig();
  // However the start fails or this process ends, nothing it started is left running.
  killDescendantsOnExit();
  await checkPortsFree(config);
  const logger = createLogger('supervisor', config.logLevel);
  // Stopped in reverse order of starting: API and worker first, then Temporal, then PostgreSQL.
  const stops: Stop[] = [];
  // Set before anything is stopped, so children exiting on the same Ctrl-C are not taken for crashes.
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    for (const stop of stops.reverse().splice(0))
      await stop().catch((error: unknown) => logger.warn({ err: error }, 'stop failed'));
  };
  try {
    const database = await provideDatabase(config, say);
    if (database.stop) stops.push(database.stop);
    const databaseUrl = database.url;
    const applied = await migrate(databaseUrl, logger);
    say(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date.');
    const temporal = await provideTemporal(config, stops);
    // Workflow payloads are encrypted: with PAYLOAD_ENCRYPTION_KEY unset, with a key made once for this data dir.
    const payloadKey = config.payloadKeys ? undefined : dataDirPayloadKey(config.dataDir);
    if (payloadKey)
      say(
        `Workflow payloads are encrypted with the key in ${resolve(payloadKeyFile(config.dataDir))} (PAYLOAD_ENCRYPTION_KEY for the CLI).`,
      );
    const env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      ...(payloadKey && { PAYLOAD_ENCRYPTION_KEY: payloadKey }),
    };
    const onChildExit = () => {
      if (stopping) return;
      say('A Rollcall process exited unexpectedly; stopping everything.');
      void stopAll().then(() => process.exit(1));
    };
    for (const [name, script] of [
      ['worker', '../worker/main.js'],
      ['api', '../api/main.js'],
    ] as const) {
      // The worker is background work: the API's acks come first (BACKGROUND_NICE).
      const child = startChild(name, script, env, logger, onChildExit, name === 'worker' ? config.backgroundNice : 0);
      stops.push(() => stopChild(child));
    }
    const apiUrl = `http://localhost:${config.port}`;
    await waitForApi(apiUrl, 60_000);
    say('');
    say(`Rollcall is running.`);
    say(`  API:          ${apiUrl}   (readiness: ${apiUrl}/readyz)`);
    if (temporal.uiUrl) say(`  Temporal UI:  ${temporal.uiUrl}`);
    say(`  Live page:    ${apiUrl}/sessions/<session id>/live`);
    say(`  Metrics:      ${apiUrl}/metrics (API)`);
    if (config.workerMetricsPort) say(`                http://localhost:${config.workerMetricsPort}/metrics (worker)`);
    if (config.sdkMetricsPort) say(`                http://localhost:${config.sdkMetricsPort}/metrics (Temporal SDK)`);
    say(`  Data:         ${resolve(config.dataDir)}`);
    say('Press Ctrl-C to stop.');
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
});
