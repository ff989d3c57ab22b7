/** Where a session is in its life, in order; also the SessionStatus search attribute and the sessions.status column. */
export const SESSION_PHASES = ['scheduled', 'live', 'ended', 'calculated'] as const;
export type SessionPhase = (typeof SESSION_PHASES)[number];
