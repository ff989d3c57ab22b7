import type { Client } from '@temporalio/client';
import type { Config } from '../config/index.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../logger.js';
import { reconcileActivities } from './reconcile.js';
import { reportPushActivities } from './report-push.js';
import { reportSyncActivities } from './report-sync.js';
import { sessionActivities } from './session.js';

export interface ActivityDeps {
  config: Config;
  pool: Pool;
  logger: Logger;
  temporal: Client;
}

/** Every activity the worker registers; workflows import only the type. */
export function createActivities(deps: ActivityDeps) {
  return { ...sessionActivities(deps), ...reportPushActivities(deps), ...reportSyncActivities(deps), ...reconcileActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
