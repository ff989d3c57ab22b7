import { Context } from '@temporalio/activity';
import {
  calculateAttendance,
  stateFromEvents,
  type AttendanceCounts,
  type AttendanceEvent,
  type AttendanceState,
} from '../domain/index.js';
import { InvalidInput, SessionNotFound } from '../domain/errors.js';
import { saveAttendance } from '../db/attendance.js';
import { loadSessionFacts, storeFacts } from '../db/facts.js';
import { getSession, insertSession, updateSessionPhase } from '../db/sessions.js';
import { isDataError } from '../db/storable.js';
import { loadDirectoryFor } from '../db/users.js';
import { factSpan } from '../sessions/routing.js';
import { calculationSeconds } from '../worker/metrics.js';
import type { SessionPhase } from '../domain/phases.js';
import { workflowIdFor, type SessionSpec } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

/** Well inside the calculation's heartbeat timeout (10 s), even on a busy event loop. */
const HEARTBEAT_MS = 2_000;

export interface CalculationOutcome {
  /** False when a newer calculation had already saved its result: this one's was dropped. */
  saved: boolean;
  counts: AttendanceCounts;
  people: number;
  events: number;
  durationMs: number;
}

/** Activities of the session workflow; each is idempotent, so Temporal may retry any of them. */
export function sessionActivities({ pool, logger, config }: ActivityDeps) {
  /** A child logger naming the session, and the workflow run and activity it is working for. */
  const logFor = (sessionId: string) => {
    const { activityType, workflowExecution } = Context.current().info;
    return logger.child({
      sessionId,
      workflowId: workflowExecution?.workflowId,
      runId: workflowExecution?.runId,
      activity: activityType,
    });
  };

  return {
    /** Ensures the session row; tells a new run whether an earlier run already finalised it, and its newest calculation. */
    async saveSession(spec: SessionSpec): Promise<{ finalized: boolean; calculationSeq: number }> {
      const { earlyJoinMs, maxOverrunMs } = config.timings;
      const { row } = await insertSession(
        pool,
        spec,
        workflowIdFor(spec.id),
        factSpan(spec, earlyJoinMs, maxOverrunMs),
      );
      return { finalized: row.status === 'calculated', calculationSeq: row.calculationSeq };
    },

    /** The engine state of every fact stored so far that bears on the session (its live presence starts from here). */
    async loadSessionState(sessionId: string): Promise<AttendanceState> {
      return stateFromEvents(await loadSessionFacts(pool, sessionId));
    },

    /** Stores a fact the session itself produced (its hard stop), as a fact of that session only. */
    async storeSessionFact(session: SessionSpec, event: AttendanceEvent): Promise<void> {
      try {
        await storeFacts(pool, { provider: session.provider, roomId: session.room, instanceId: '' }, [event], {
          sessionId: session.id,
          relayed: true,
        });
      } catch (error) {
        if (isDataError(error))
          throw new InvalidInput(`fact refused by the database: ${String(error)}`, { cause: error });
        throw error;
      }
    },

    async recordPhase(
      sessionId: string,
      phase: SessionPhase,
      meetingStartedAt?: number,
      meetingEndedAt?: number,
    ): Promise<void> {
      await updateSessionPhase(pool, sessionId, phase, meetingStartedAt, meetingEndedAt);
      logFor(sessionId).info({ phase }, 'session phase');
    },

    /**
     * Computes attendance from the session's stored facts with the engine and persists it in one transaction,
     * unless a calculation with a higher `seq` already saved (an attempt that outlived its heartbeat).
     */
    async calculateAttendance(
      sessionId: string,
      seq: number,
      auto: boolean,
      final = false,
    ): Promise<CalculationOutcome> {
      const context = Context.current();
      // Heartbeats say "this worker is alive": the workflow's heartbeat timeout notices a dead one in seconds.
      const alive = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
      try {
        return await calculate(sessionId, seq, auto, final);
      } finally {
        clearInterval(alive);
      }
    },
  };

  async function calculate(sessionId: string, seq: number, auto: boolean, final: boolean): Promise<CalculationOutcome> {
    const started = Date.now();
    const session = await getSession(pool, sessionId);
    if (!session) throw new SessionNotFound(sessionId);
    const events = await loadSessionFacts(pool, sessionId);
    const users = await loadDirectoryFor(pool, events);
    const result = calculateAttendance({ session, users, events });
    const saved = await saveAttendance(pool, sessionId, result, { auto, calculatedAt: new Date(), seq, final });
    const outcome = {
      saved,
      counts: result.counts,
      people: result.people.length,
      events: events.length,
      durationMs: Date.now() - started,
    };
    calculationSeconds.observe({ trigger: auto ? 'auto' : 'manual' }, outcome.durationMs / 1000);
    logFor(sessionId).info(
      outcome,
      saved ? 'attendance calculated' : 'attendance calculated, but a newer calculation had saved first',
    );
    return outcome;
  }
}
