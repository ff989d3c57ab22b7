import { Context } from '@temporalio/activity';
import { calculateAttendance, type AttendanceCounts, type AttendanceEvent } from '../domain/index.js';
import { saveAttendance } from '../db/attendance.js';
import { appendEvents, loadEvents } from '../db/events.js';
import { getSession, insertSession, updateSessionPhase } from '../db/sessions.js';
import { loadDirectoryFor } from '../db/users.js';
import { calculationSeconds } from '../worker/metrics.js';
import type { SessionPhase } from '../workflows/messages.js';
import { workflowIdFor, type SessionSpec } from '../workflows/types.js';
import type { ActivityDeps } from './index.js';

/** Well inside the calculation's heartbeat timeout (10 s), even on a busy event loop. */
const HEARTBEAT_MS = 2_000;

export interface CalculationOutcome {
  counts: AttendanceCounts;
  people: number;
  events: number;
  durationMs: number;
}

/** Activities of the session workflow; each is idempotent, so Temporal may retry any of them. */
export function sessionActivities({ pool, logger }: ActivityDeps) {
  /** A child logger naming the session, and the workflow run and activity it is working for. */
  const logFor = (sessionId: string) => {
    const { activityType, workflowExecution } = Context.current().info;
    return logger.child({ sessionId, workflowId: workflowExecution?.workflowId, runId: workflowExecution?.runId, activity: activityType });
  };

  return {
    /** Ensures the session row; tells a new run whether an earlier run already finalised the session. */
    async saveSession(spec: SessionSpec): Promise<{ finalized: boolean }> {
      const { row } = await insertSession(pool, spec, workflowIdFor(spec.id));
      return { finalized: row.status === 'calculated' };
    },

    /** Appends a batch to the event log; returns how many were new (a retried batch adds none). */
    async recordEvents(sessionId: string, events: AttendanceEvent[]): Promise<number> {
      const added = await appendEvents(pool, sessionId, events);
      logFor(sessionId).debug({ events: events.length, added }, 'events recorded');
      return added;
    },

    async recordPhase(sessionId: string, phase: SessionPhase, meetingStartedAt?: number, meetingEndedAt?: number): Promise<void> {
      await updateSessionPhase(pool, sessionId, phase, meetingStartedAt, meetingEndedAt);
      logFor(sessionId).info({ phase }, 'session phase');
    },

    /** Computes attendance from the stored log with the engine and persists it in one transaction. */
    async calculateAttendance(sessionId: string, auto: boolean): Promise<CalculationOutcome> {
      const context = Context.current();
      // Heartbeats say "this worker is alive": the workflow's heartbeat timeout notices a dead one in seconds.
      const alive = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
      try {
        return await calculate(sessionId, auto);
      } finally {
        clearInterval(alive);
      }
    },
  };

  async function calculate(sessionId: string, auto: boolean): Promise<CalculationOutcome> {
    const started = Date.now();
    const session = await getSession(pool, sessionId);
    if (!session) throw new Error(`session ${sessionId} is not in the database`);
    const events = await loadEvents(pool, sessionId);
    const users = await loadDirectoryFor(pool, events);
    const result = calculateAttendance({ session, users, events });
    await saveAttendance(pool, sessionId, result, { auto, calculatedAt: new Date() });
    const outcome = { counts: result.counts, people: result.people.length, events: events.length, durationMs: Date.now() - started };
    calculationSeconds.observe({ trigger: auto ? 'auto' : 'manual' }, outcome.durationMs / 1000);
    logFor(sessionId).info(outcome, 'attendance calculated');
    return outcome;
  }
}
