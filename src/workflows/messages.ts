import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AttendanceCounts, AttendanceEvent, MeetingEndedEvent, Presence } from '../domain/index.js';
import type { SessionPhase } from '../domain/phases.js';

export type { SessionPhase } from '../domain/phases.js';

export interface SessionSummary {
  sessionId: string;
  phase: SessionPhase;
  meetingStartedAt?: number;
  meetingEndedAt?: number;
  /** When the final calculation is due (meeting end + CALCULATION_DELAY), while it is pending. */
  calculationDueAt?: number;
  /** Workflow time of the latest calculation, and how many ran. */
  calculatedAt?: number;
  calculations: number;
  lastCounts?: AttendanceCounts;
  connections: number;
  /** Facts that changed the state (duplicates excluded), across continue-as-new runs. */
  acceptedEvents: number;
}

/** Stored facts of the session's room, brought by the relay (a batch per round, any order, duplicates allowed). */
export const factsSignal = defineSignal<[AttendanceEvent[]]>('facts');
/** Live presence at `now` (epoch ms, the caller's clock: a query has no clock of its own). */
export const presenceQuery = defineQuery<Presence, [number]>('presence');
export const summaryQuery = defineQuery<SessionSummary>('summary');
/** An operator's end, already stored as a fact of this session; the final calculation follows after the grace delay. */
export const endUpdate = defineUpdate<SessionSummary, [MeetingEndedEvent]>('end');
/** Recomputes attendance from the stored facts; resolves once a calculation that started after the request is persisted. */
export const recalculateUpdate = defineUpdate<SessionSummary, []>('recalculate');
