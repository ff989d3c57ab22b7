import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AttendanceCounts, AttendanceEvent, Presence } from '../domain/index.js';

/** Where a session is in its life; also the SessionStatus search attribute. */
export type SessionPhase = 'scheduled' | 'live' | 'ended' | 'calculated';

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
  /** Events that changed the state (duplicates excluded), across continue-as-new runs. */
  acceptedEvents: number;
}

/** A batch of normalised provider events; the gateway sends one batch per webhook. */
export const eventsSignal = defineSignal<[AttendanceEvent[]]>('events');
/** Live presence at `now` (epoch ms, the caller's clock: a query has no clock of its own). */
export const presenceQuery = defineQuery<Presence, [number]>('presence');
export const summaryQuery = defineQuery<SessionSummary>('summary');
/** Ends the meeting now (or at `at`), as if the provider had sent its end event; the final calculation follows after the grace delay. */
export const endUpdate = defineUpdate<SessionSummary, [{ at?: number }]>('end');
/** Recomputes attendance from the stored event log now; resolves once it is persisted. */
export const recalculateUpdate = defineUpdate<SessionSummary, []>('recalculate');
