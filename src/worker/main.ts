import { loadConfig } from '../config/index.js';
import { createPool } from '../db/pool.js';
import { createClient, temporalAddress } from '../infra/temporal-client.js';
import { required, runMain } from '../infra/run-main.js';
import { createLogger } from '../logger.js';
import { connectWorker, createWorker } from './worker.js';

/** Production entry point of the worker process (built JS, prebuilt workflow bundle); `npm start` runs it as a child. */
runMain('worker', async () => {
  const config = loadConfig();
  const logger = createLogger('worker', config.logLevel);
  const pool = createPool(required(config.databaseUrl, 'DATABASE_URL', 'the worker process (npm start provides one)'));
  const connection = await connectWorker(temporalAddress(config), logger);
  const temporal = createClient(config);
  const worker = await createWorker({ config, pool, logger, connection, temporal });
  const running = worker.run();
  logger.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  return async () => {
    worker.shutdown();
    await running;
    await connection.close();
    await temporal.connection.close();
    await pool.end();
  };
});
