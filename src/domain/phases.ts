/**
 * Where a session is in its life, in order; also the SessionStatus search attribute and the sessions.status
 * column (its CHECK lists these, see test/integration/schema-constants.test.ts).
 */
export const SESSION_PHASES = ['scheduled', 'live', 'ended', 'calculated'] as const;
export type SessionPhase = (typeof SESSION_PHASES)[number];

/** Phases in which someone can be in the room; the meeting's end closes every cycle. */
export const OPEN_PHASES: readonly SessionPhase[] = ['scheduled', 'live'];
