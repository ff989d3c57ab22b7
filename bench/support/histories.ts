/**
 * What a session's workflow histories say about its health under load: runs in the continue-as-new chain,
 * workflow tasks completed and failed, and why they failed. FORCE_CLOSE_COMMAND is the server failing a
 * task during which more than 100 signals were buffered (history.maximumBufferedEventsBatch): the worker's
 * work on it is thrown away and the next task starts over with even more signals.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { fetchRunHistories, type WorkflowHistory } from '../../src/worker/replay.js';

const { WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;

export interface ChainHealth {
  runs: number;
  /** History events in all runs: each one a write in Temporal's store. */
  events: number;
  continuedAsNew: number;
  signals: number;
  tasksCompleted: number;
  tasksFailed: number;
  /** Failed tasks by cause, e.g. { FORCE_CLOSE_COMMAND: 12, UNHANDLED_COMMAND: 3 }. */
  failedBy: Record<string, number>;
  /** Most signals that arrived between one workflow task's start and the next's. */
  maxSignalsPerTask: number;
}

export async function chainHealth(client: Client, workflowId: string): Promise<ChainHealth> {
  const total: ChainHealth = {
    runs: 0,
    events: 0,
    continuedAsNew: 0,
    signals: 0,
    tasksCompleted: 0,
    tasksFailed: 0,
    failedBy: {},
    maxSignalsPerTask: 0,
  };
  for (const run of await fetchRunHistories(client, workflowId)) {
    const health = runHealth(run.history);
    total.runs += 1;
    total.events += health.events;
    total.continuedAsNew += health.continuedAsNew;
    total.signals += health.signals;
    total.tasksCompleted += health.tasksCompleted;
    total.tasksFailed += health.tasksFailed;
    for (const [cause, n] of Object.entries(health.failedBy)) total.failedBy[cause] = (total.failedBy[cause] ?? 0) + n;
    total.maxSignalsPerTask = Math.max(total.maxSignalsPerTask, health.maxSignalsPerTask);
  }
  return total;
}

/** The same figures for one run's history. */
export function runHealth(history: WorkflowHistory): ChainHealth {
  const health: ChainHealth = {
    runs: 1,
    events: history.events?.length ?? 0,
    continuedAsNew: 0,
    signals: 0,
    tasksCompleted: 0,
    tasksFailed: 0,
    failedBy: {},
    maxSignalsPerTask: 0,
  };
  let sinceTask = 0;
  for (const event of history.events ?? []) {
    if (event.workflowExecutionSignaledEventAttributes) {
      health.signals += 1;
      sinceTask += 1;
    } else if (event.workflowTaskStartedEventAttributes) {
      health.maxSignalsPerTask = Math.max(health.maxSignalsPerTask, sinceTask);
      sinceTask = 0;
    } else if (event.workflowTaskCompletedEventAttributes) {
      health.tasksCompleted += 1;
    } else if (event.workflowTaskFailedEventAttributes) {
      health.tasksFailed += 1;
      const cause = (WorkflowTaskFailedCause[event.workflowTaskFailedEventAttributes.cause ?? 0] ?? 'UNKNOWN').replace(
        'WORKFLOW_TASK_FAILED_CAUSE_',
        '',
      );
      health.failedBy[cause] = (health.failedBy[cause] ?? 0) + 1;
    } else if (event.workflowExecutionContinuedAsNewEventAttributes) {
      health.continuedAsNew += 1;
    }
  }
  return health;
}
