import type { Client } from '@temporalio/client';
import type { Config } from '../config/index.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';

/** What the HTTP layer needs; tests build it against their own Temporal server and database. */
export interface ApiDeps {
  config: Config;
  pool: Pool;
  temporal: Client;
  logger: Logger;
}
