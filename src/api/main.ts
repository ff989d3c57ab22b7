import { loadConfig } from '../config/index.js';
import { createPool } from '../db/pool.js';
import { createClient } from '../infra/temporal-client.js';
import { required, runMain } from '../infra/run-main.js';
import { createLogger } from '../logger.js';
import { listen } from './server.js';

/** Production entry point of the API process (built JS); `npm start` runs it as a child. */
runMain('api', async () => {
  const config = loadConfig();
  const logger = createLogger('api', config.logLevel);
  const pool = createPool(required(config.databaseUrl, 'DATABASE_URL', 'the API process (npm start provides one)'));
  const temporal = createClient(config);
  const api = await listen({ config, pool, temporal, logger }, config.port);
  logger.info({ url: api.url }, 'API listening');
  return async () => {
    await api.close();
    await temporal.connection.close();
    await pool.end();
  };
});
