import type { Client } from '@temporalio/client';
import type { Config } from '../config/index.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';

/** What every activity module is built with. */
export interface ActivityDeps {
  config: Config;
  pool: Pool;
  logger: Logger;
  temporal: Client;
}
