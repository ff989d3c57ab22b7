import { existsSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { Config } from '../config/index.js';
import { createDataConverter } from '../infra/payload-codec.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';
import { bundleWorkflows } from './bundle.js';
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

/**
 * The worker process's Workers, run and stopped together: one on the task queue of the session workflows (and
 * everything else), one on the report sync task queue, so a sync's workflow tasks never queue behind those of the
 * sessions it is feeding facts to. Both register the same workflows and activities (one set, so one Zoom client
 * and one account limiter per process): what runs where follows from the queue a workflow was started on, and a
 * sync started on the main queue (before the report sync queue existed) still finishes there.
 */
export interface RollcallWorker {
  /** One per distinct task queue: the main queue first. */
  readonly workers: readonly Worker[];
  /** Runs every Worker until shutdown; if one fails, the others are shut down and the failure is thrown. */
  run(): Promise<void>;
  shutdown(): void;
}

export async function createWorker({
  config,
  pool,
  logger,
  connection,
  temporal,
  workflowBundlePath,
}: WorkerDeps): Promise<RollcallWorker> {
  const activities = createActivities({ config, pool, logger, temporal });
  const source = workflowSource(workflowBundlePath);
  // Without a prebuilt bundle, bundle once for both Workers rather than once each.
  const workflows = 'workflowBundle' in source ? source : { workflowBundle: { code: await bundleWorkflows() } };
  const queues = [...new Set([config.temporal.taskQueue, config.temporal.reportSyncTaskQueue])];
  const workers = await Promise.all(
    queues.map((taskQueue) =>
      Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue,
        dataConverter: createDataConverter(config.payloadKeys),
        activities,
        ...workflows,
      }),
    ),
  );
  const shutdown = () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return {
    workers,
    shutdown,
    async run() {
      const runs = workers.map((worker) => worker.run());
      try {
        await Promise.all(runs);
      } catch (error) {
        shutdown();
        await Promise.allSettled(runs);
        throw error;
      }
    },
  };
}

/** The worker's connection; installs the SDK runtime (logging) first, as the SDK requires. */
export async function connectWorker(address: string, logger: Logger): Promise<NativeConnection> {
  installRuntime(logger);
  return NativeConnection.connect({ address });
}
