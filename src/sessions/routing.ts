/**
 * Which sessions a room's fact bears on. A registered session reads the facts of its room from its scheduled
 * start less SESSION_EARLY_JOIN to its scheduled end plus SESSION_MAX_OVERRUN (its span, stored with the
 * session so every process routes alike); a fact inside the span of several sessions (back-to-back periods in
 * one room) reaches each of them. A fact no registered session covers belongs to the ad-hoc session of its
 * meeting instance, whose window is the actual meeting.
 */
import type { AttendancePolicy } from '../domain/index.js';
import type { FactRoom } from '../db/facts.js';
import type { SessionSpec } from '../workflows/types.js';

/** A registered session with the span of provider time it reads facts from (epoch ms). */
export interface RoutableSession extends SessionSpec {
  factsFrom: number;
  factsTo: number;
}

/** Where a registered session's facts start and end, and how far back an instance still open at the start may reach. */
export interface FactSpan {
  factsFrom: number;
  factsTo: number;
  instancesSince: number;
}

export function factSpan(
  spec: Pick<SessionSpec, 'scheduledStart' | 'scheduledEnd'>,
  earlyJoinMs: number,
  maxOverrunMs: number,
): FactSpan | undefined {
  if (spec.scheduledStart === undefined || spec.scheduledEnd === undefined) return undefined;
  const factsFrom = spec.scheduledStart - earlyJoinMs;
  return { factsFrom, factsTo: spec.scheduledEnd + maxOverrunMs, instancesSince: factsFrom - maxOverrunMs };
}

/** Ad-hoc ids take a prefix per provider; a Zoom instance uuid may hold `/`, `+` and `=`, hence base64url. */
export function adHocSessionId(room: Pick<FactRoom, 'provider' | 'instanceId'>): string {
  return `${room.provider}-${Buffer.from(room.instanceId).toString('base64url')}`;
}

/** The session of a meeting no registered session covers: its window is the actual meeting. */
export function adHocSession(room: FactRoom & { topic?: string }, policy: AttendancePolicy): SessionSpec {
  return {
    id: adHocSessionId(room),
    provider: room.provider,
    room: room.roomId,
    instanceId: room.instanceId,
    title: room.topic,
    adHoc: true,
    roster: [],
    policy,
  };
}

/** The registered sessions of the fact's room whose span holds its time; else the ad-hoc session of its instance. */
export function sessionsForFact(
  sessions: readonly RoutableSession[],
  room: FactRoom,
  at: number,
  policy: AttendancePolicy,
): SessionSpec[] {
  const bearing = sessions.filter(
    (s) => s.provider === room.provider && s.room === room.roomId && s.factsFrom <= at && at <= s.factsTo,
  );
  return bearing.length > 0 ? bearing : [adHocSession(room, policy)];
}
