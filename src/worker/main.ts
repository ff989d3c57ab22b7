import { loadConfig } from '../config/index.js';
import { createPool } from '../db/pool.js';
import { createClient, temporalAddress } from '../infra/temporal-client.js';
import { required, runMain } from '../infra/run-main.js';
import { createLogger } from '../logger.js';
import { ensureReportSyncSchedule } from '../zoom-api/start.js';
import { serveWorkerMetrics } from './metrics.js';
import { installRuntime } from './runtime.js';
import { connectWorker, createWorker } from './worker.js';

/** Production entry point of the worker process (built JS, prebuilt workflow bundle); `npm start` runs it as a child. */
runMain('worker', async () => {
  const config = loadConfig();
  const logger = createLogger('worker', config.logLevel);
  const pool = createPool(required(config.databaseUrl, 'DATABASE_URL', 'the worker process (npm start provides one)'));
  // Installed here with the SDK's metrics exporter, before connectWorker would install it without one.
  installRuntime(logger, config.sdkMetricsPort, config.metricsHost);
  const metrics = config.workerMetricsPort
    ? await serveWorkerMetrics(config.workerMetricsPort, config.metricsHost)
    : undefined;
  const connection = await connectWorker(temporalAddress(config), logger);
  const temporal = createClient(config);
  const worker = await createWorker({ config, pool, logger, connection, temporal });
  const running = worker.run();
  await ensureReportSyncSchedule(temporal, config, logger).catch((error: unknown) =>
    logger.warn({ err: error }, 'daily Zoom report sync Schedule not ensured'),
  );
  const sdkMetrics = config.sdkMetricsPort
    ? `http://${config.metricsHost.includes(':') ? `[${config.metricsHost}]` : config.metricsHost}:${config.sdkMetricsPort}/metrics`
    : undefined;
  const { taskQueue, reportSyncTaskQueue } = config.temporal;
  logger.info({ taskQueue, reportSyncTaskQueue, metrics: metrics?.url, sdkMetrics }, 'worker running');
  return async () => {
    worker.shutdown();
    await running;
    await connection.close();
    await temporal.connection.close();
    await pool.end();
    await metrics?.close();
  };
});
