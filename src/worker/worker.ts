import { existsSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { Config } from '../config/index.js';
import { createDataConverter } from '../infra/payload-codec.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';
import { installRuntime } from './runtime.js';
import { PREBUILT_BUNDLE, workflowsPath } from './workflows-path.js';

export interface WorkerDeps {
  config: Config;
  pool: Pool;
  logger: Logger;
  connection: NativeConnection;
  /** For activities that signal or start workflows (report sync, recalculation). */
  temporal: Client;
  /** A bundle built earlier (production build, or once per test run); else the prebuilt file or a fresh bundle. */
  workflowBundlePath?: string;
}

/** The workflow code a worker runs, and `rollcall replay` replays against by default. */
export function workflowSource(bundlePath: string | undefined) {
  const codePath = bundlePath ?? (existsSync(PREBUILT_BUNDLE) ? PREBUILT_BUNDLE : undefined);
  return codePath ? { workflowBundle: { codePath } } : { workflowsPath: workflowsPath() };
}

export async function createWorker({
  config,
  pool,
  logger,
  connection,
  temporal,
  workflowBundlePath,
}: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    dataConverter: createDataConverter(config.payloadKeys),
    activities: createActivities({ config, pool, logger, temporal }),
    ...workflowSource(workflowBundlePath),
  });
}

/** The worker's connection; installs the SDK runtime (logging) first, as the SDK requires. */
export async function connectWorker(address: string, logger: Logger): Promise<NativeConnection> {
  installRuntime(logger);
  return NativeConnection.connect({ address });
}
