import type { ActivityDeps } from './deps.js';
import { reconcileActivities } from './reconcile.js';
import { reportPushActivities } from './report-push.js';
import { reportSyncActivities } from './report-sync.js';
import { sessionActivities } from './session.js';

/** Every activity the worker registers; workflows import only the type. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...sessionActivities(deps),
    ...reportPushActivities(deps),
    ...reportSyncActivities(deps),
    ...reconcileActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
