import type { ActivityDeps } from './deps.js';
import { withFailureTable } from './failures.js';
import { reconcileActivities } from './reconcile.js';
import { reportPushActivities } from './report-push.js';
import { reportSyncActivities } from './report-sync.js';
import { sessionActivities } from './session.js';

/**
 * Every activity the worker registers; workflows import only the type. Each fails through one table
 * (failures.ts): a neutral error is retried or not the same way whichever activity throws it.
 */
export function createActivities(deps: ActivityDeps) {
  return withFailureTable({
    ...sessionActivities(deps),
    ...reportPushActivities(deps),
    ...reportSyncActivities(deps),
    ...reconcileActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
